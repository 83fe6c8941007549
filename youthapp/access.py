"""Who may see whom: the one home of the programme's scope rules.

Role gates (may this role use this endpoint at all?) answer 403 and live on the routes.
Object scope (is this record the caller's to see?) lives here, as queries: a record
outside the caller's scope is simply not found, so it answers 404 and its existence does
not leak. Where a caller can see a record but not change it, the service says 403 after
the scoped fetch, so a 403 only ever tells them what they could already see.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    exists,
    false,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session, aliased, selectinload

from youthapp.errors import Forbidden
from youthapp.models import (
    MENTOR_SPECIALTIES,
    Alert,
    Appointment,
    Assignment,
    Referral,
    TeamMember,
    User,
    YoungPerson,
)

ADMIN = "admin"
COORDINATOR = "coordinator"
LEAD = "lead"
MENTOR = "mentor"
REFERRER = "referrer"
YOUNG_PERSON = "young_person"


# Who may reach the routes about a young person's case at all (their record, plan, goals,
# steps, appointments, alerts). Referrers and admins never may: 403 whatever the id. A young
# person passes this gate and finds only their own goals, steps and appointments; staff
# records about them are 404, like any record outside their scope. A lead reads (role_may).
CASE_ROUTE_ROLES = (COORDINATOR, MENTOR, YOUNG_PERSON)


# Staff who read case content: an admin who makes one of these accounts, or resets its
# password, can reach that content through it.
CASE_READING_ROLES = (COORDINATOR, LEAD, MENTOR)

_READS = ("GET", "HEAD")


def role_may(role: str, roles: Collection[str], method: str) -> bool:
    """The role gate of a route open to `roles`: a lead (the programme lead) reads whatever a
    coordinator reads, in every team, and changes nothing (403)."""
    if role == LEAD:
        return COORDINATOR in roles and method in _READS
    return role in roles


def gives_case_access(role: str, *, created: bool) -> bool:
    """Whether an admin's act on an account of `role` hands out case access: making a
    coordinator or a lead (who see whole teams at once), or resetting the password of anyone
    who reads cases. (A new mentor sees nothing until a coordinator assigns them.)"""
    if created:
        return role in (COORDINATOR, LEAD)
    return role in CASE_READING_ROLES


def told_of_case_access(admin: User) -> Select[User]:
    """Who hears that an admin handed out case access: every other active admin."""
    return (
        select(User)
        .where(User.is_active.is_(True), User.role == ADMIN, User.id != admin.id)
        .order_by(User.id)
    )


def require_role(actor: User, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden()


def own_record_id(actor: User) -> uuid.UUID:
    """The id of the young person whose account `actor` is; Forbidden for anyone else. A
    young person's account always belongs to their record (activation makes it for one)."""
    require_role(actor, YOUNG_PERSON)
    if actor.young_person_id is None:
        raise RuntimeError(f"the young person's account {actor.id} belongs to no record")
    return actor.young_person_id


# The consent half of a mentor's scope is the same for every mentor: built once, not per
# request (building it showed in the mentor list's profile).
_CONSENTING = aliased(YoungPerson)
_CONSENTED = or_(
    *(
        and_(Assignment.specialty == specialty, getattr(_CONSENTING, f"share_{specialty}"))
        for specialty in MENTOR_SPECIALTIES
    )
)


def actively_assigned(
    mentor_id: uuid.UUID, young_person_id: SQLColumnExpression[uuid.UUID] | uuid.UUID
) -> ColumnElement[bool]:
    """The mentor has a live (not ended) assignment to the young person, who consents to
    sharing with that mentor's specialty.

    An uncorrelated IN: the database finds the mentor's few young people once, through the
    assignments index, instead of testing every young person (a seq scan at 100,000).
    """
    live = (
        select(Assignment.young_person_id)
        .join(_CONSENTING, _CONSENTING.id == Assignment.young_person_id)
        .where(Assignment.mentor_id == mentor_id, Assignment.ended_at.is_(None), _CONSENTED)
    )
    return (
        literal(young_person_id).in_(live)
        if isinstance(young_person_id, uuid.UUID)
        else young_person_id.in_(live)
    )


def mentors_in_scope(young_person_ids: Collection[uuid.UUID]) -> Select[uuid.UUID, User]:
    """(young person id, mentor) for each active mentor actively assigned to one of
    `young_person_ids` whose specialty that young person consents to share with: the
    mentors in scope, as a batch for the scheduler's sweeps."""
    return (
        select(Assignment.young_person_id, User)
        .join(User, User.id == Assignment.mentor_id)
        .join(_CONSENTING, _CONSENTING.id == Assignment.young_person_id)
        .where(
            Assignment.young_person_id.in_(young_person_ids),
            Assignment.ended_at.is_(None),
            User.is_active.is_(True),
            User.role == MENTOR,
            _CONSENTED,
        )
        .order_by(Assignment.young_person_id, User.id)
    )


def staff_in_scope(young_person_id: uuid.UUID) -> Select[User]:
    """The staff who work the young person's case, and so are told of it: the active
    coordinators of the young person's team, and the active mentors actively assigned whose
    specialty the young person consents to share with. The one rule for every alert (but an
    urgent one, urgent_alert_recipients), plan review and message to staff about a young
    person, as for every read (staff_scope)."""
    return _active_users_among(
        _coordinator_ids(_team_of(young_person_id)), _mentor_ids_in_scope(young_person_id)
    )


def urgent_alert_recipients(young_person_id: uuid.UUID) -> Select[User]:
    """Who is told of an urgent alert: the mentors in scope, and the coordinators of the
    young person's team who are on duty, or all of the team's coordinators when none is."""
    team = _team_of(young_person_id)
    on_duty = _coordinator_ids(team).where(User.is_active.is_(True), User.on_duty.is_(True))
    return _active_users_among(
        _coordinator_ids(team).where(or_(User.on_duty.is_(True), ~exists(on_duty))),
        _mentor_ids_in_scope(young_person_id),
    )


def staff_who_may_know(young_person_id: uuid.UUID) -> Select[User]:
    """Everyone on staff who may still hear of the young person (an all-clear, say): the
    staff in scope and the leads."""
    return _active_users_among(
        _coordinator_ids(_team_of(young_person_id)),
        _mentor_ids_in_scope(young_person_id),
        _lead_ids(),
    )


def _active_users_among(*ids: Select[uuid.UUID]) -> Select[User]:
    """The active users whose ids the queries give, in id order. A union of small id lists
    looked up by primary key: an OR of memberships would test every user in the programme
    (30 ms a message or urgent alert at 100,000 young people)."""
    return (
        select(User)
        .where(User.is_active.is_(True), User.id.in_(union(*ids)))
        .order_by(User.id)
    )


def _coordinator_ids(team: ColumnElement[uuid.UUID] | uuid.UUID) -> Select[uuid.UUID]:
    """The ids of the coordinators in `team` (active or not: _active_users_among checks)."""
    return (
        select(TeamMember.user_id)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team, User.role == COORDINATOR)
    )


def _lead_ids() -> Select[uuid.UUID]:
    return select(User.id).where(User.role == LEAD)


def _mentor_ids_in_scope(young_person_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(User.id).where(
        User.role == MENTOR, User.id.in_(_consenting_mentor_ids(young_person_id))
    )


def _consenting_mentor_ids(young_person_id: uuid.UUID) -> Select[uuid.UUID]:
    return (
        select(Assignment.mentor_id)
        .join(_CONSENTING, _CONSENTING.id == Assignment.young_person_id)
        .where(
            Assignment.young_person_id == young_person_id,
            Assignment.ended_at.is_(None),
            _CONSENTED,
        )
    )


def escalation_recipients(young_person_id: uuid.UUID) -> Select[User]:
    """Who is told that an urgent alert about the young person went unacknowledged (the
    second tier): every active coordinator of the young person's team, on duty or not, and
    every lead (mentors were told of the alert itself)."""
    return _active_users_among(
        _coordinator_ids(_team_of(young_person_id)), _lead_ids()
    )


def told_of_new_referrals(team_id: uuid.UUID) -> Select[User]:
    """Who triages a new referral: the active coordinators of its borough's team."""
    return _team_coordinators(team_id)


def alert_recipients(alert: Alert) -> Select[User]:
    """Who is told of an alert as it is raised: its escalation's second tier, the urgent
    tier, only the coordinators of the team (a message nobody answered: the team must
    pick it up), or the staff in scope."""
    if alert.kind == "urgent_help_unacknowledged":
        return escalation_recipients(alert.young_person_id)
    if alert.urgent:
        return urgent_alert_recipients(alert.young_person_id)
    if alert.kind in COORDINATORS_ONLY_KINDS:
        return _team_coordinators(_team_of(alert.young_person_id))
    return staff_in_scope(alert.young_person_id)


# Alerts that go to the team's coordinators alone.
COORDINATORS_ONLY_KINDS = ("message_unanswered",)


def told_of_consent_review(team_id: uuid.UUID) -> Select[User]:
    """Who hears that a young person's consents are due for review: their team's active
    coordinators."""
    return _team_coordinators(team_id)


def told_of_transfer(team_id: uuid.UUID) -> Select[User]:
    """Who hears that a case moved to their team: its active coordinators."""
    return _team_coordinators(team_id)


def _team_coordinators(team: ColumnElement[uuid.UUID] | uuid.UUID) -> Select[User]:
    return _active_users_among(_coordinator_ids(team))


def _team_of(young_person_id: uuid.UUID) -> ColumnElement[uuid.UUID]:
    return select(YoungPerson.team_id).where(YoungPerson.id == young_person_id).scalar_subquery()


def teams_of(actor: User) -> Select[uuid.UUID]:
    """The ids of the teams `actor` is in."""
    return select(TeamMember.team_id).where(TeamMember.user_id == actor.id)


# Messages the scheduler sends a young person of its own accord (not a person's act):
# held while their support is paused.
SCHEDULED_KINDS = ("appointment_reminder", "check_in_prompt")


def may_reach(case_status: str | None, kind: str, *, urgent: bool) -> bool:
    """Whether a message may still be pushed to a young person whose case has this status
    (None: the recipient is staff). Paused: nothing scheduled; exited: only what answers
    an urgent call for help."""
    if case_status == "paused":
        return kind not in SCHEDULED_KINDS
    if case_status == "exited":
        return urgent
    return True


# What the account of a young person who has left the programme may still use, as paths
# under the API's root: their own account, their data and who saw it, their consents and
# sign-ins, and the check-in, because help is never refused (checkins.submit takes only an
# urgent one). Sign-in itself and the content are outside /me and stay open.
_OPEN_AFTER_EXIT = frozenset(
    {
        ("GET", "/me"),
        ("GET", "/me/export"),
        ("GET", "/me/access-log"),
        ("GET", "/me/consents"),
        ("PUT", "/me/consents"),
        ("POST", "/me/check-ins"),
    }
)


def open_after_exit(method: str, path: str) -> bool:
    """Whether a young person whose case is `exited` may make this request."""
    method = "GET" if method == "HEAD" else method
    if path.startswith("/auth/") or path.startswith("/content/"):
        return True
    return (method, path) in _OPEN_AFTER_EXIT or path.startswith("/me/sessions")


def staff_scope(
    actor: User, young_person_id: SQLColumnExpression[uuid.UUID]
) -> ColumnElement[bool]:
    """Whether `actor` may see, as staff, the young person whose id is `young_person_id`.

    A coordinator sees the young people of their teams; a lead sees everyone (reading
    only); a mentor sees those actively assigned to them, whatever their team. Referrers
    and admins see no young person's record, and young people reach their own only
    through `/me`, in views without staff-only fields, so to them these are not found.
    """
    if actor.role == COORDINATOR:
        return young_person_id.in_(
            select(YoungPerson.id).where(YoungPerson.team_id.in_(teams_of(actor)))
        )
    if actor.role == LEAD:
        return true()
    if actor.role == MENTOR:
        return actively_assigned(actor.id, young_person_id)
    return false()


def _in_my_teams(actor: User, team_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    return team_id.in_(teams_of(actor))


def own_or_staff_scope(
    actor: User, young_person_id: SQLColumnExpression[uuid.UUID]
) -> ColumnElement[bool]:
    """Records a young person sees about themself (their plan, their appointments), which
    staff in scope see too."""
    if actor.role == YOUNG_PERSON:
        if actor.young_person_id is None:
            return false()
        return young_person_id == actor.young_person_id
    return staff_scope(actor, young_person_id)


def young_people_visible_to(actor: User) -> Select[YoungPerson]:
    """The young people `actor` sees as staff (not erased). A coordinator's scope is put
    straight on the team column, with their teams as a subquery: right for a record found
    by id. For a list in name order, young_people_listed_for."""
    return _young_people_in_scope(actor, teams_of(actor))


def young_people_listed_for(session: Session, actor: User) -> Select[YoungPerson]:
    """The same young people as young_people_visible_to, for a list in name order (last
    name, first name, id): a coordinator's teams are read first and named in the query.

    For a coordinator in one team (the common case) that is `team_id = :team`, which the
    database answers by walking ix_young_people_team_by_name (team, last name, first name,
    id; not erased) in the list's own order and stopping at the page; a count of it is an
    index-only scan. With the teams as a subquery it read and sorted the whole team (2,000
    rows a page at 100,000 young people in 50 teams). In several teams it is an IN of their
    ids: the same rows, sorted. One statement more, however big the teams.
    """
    if actor.role != COORDINATOR:
        return young_people_visible_to(actor)
    return _young_people_in_scope(actor, sorted(session.scalars(teams_of(actor))))


def _young_people_in_scope(
    actor: User, coordinator_teams: Select[uuid.UUID] | Sequence[uuid.UUID]
) -> Select[YoungPerson]:
    # `coordinator_teams`: the teams of `actor`, as a query or as read (teams_of).
    scope = (
        _in_teams(coordinator_teams, YoungPerson.team_id)
        if actor.role == COORDINATOR
        else staff_scope(actor, YoungPerson.id)
    )
    return select(YoungPerson).where(scope, YoungPerson.erased_at.is_(None))


def _in_teams(
    team_ids: Select[uuid.UUID] | Sequence[uuid.UUID], team_id: SQLColumnExpression[uuid.UUID]
) -> ColumnElement[bool]:
    if isinstance(team_ids, Select):
        return team_id.in_(team_ids)
    if not team_ids:
        return false()
    if len(team_ids) == 1:
        return team_id == team_ids[0]
    return team_id.in_(team_ids)


def appointments_visible_to(actor: User) -> Select[Appointment]:
    """Coordinators see their teams' and leads everyone's; a mentor sees their own
    appointments with young people still assigned to them; a young person sees their own."""
    query = select(Appointment)
    if actor.role in (COORDINATOR, LEAD):
        return query.where(staff_scope(actor, Appointment.young_person_id))
    if actor.role == MENTOR:
        return query.where(
            Appointment.mentor_id == actor.id,
            actively_assigned(actor.id, Appointment.young_person_id),
        )
    if actor.role == YOUNG_PERSON and actor.young_person_id is not None:
        return query.where(Appointment.young_person_id == actor.young_person_id)
    return query.where(false())


def alerts_visible_to(actor: User) -> Select[Alert]:
    """Alerts are for staff: about the young people in their scope."""
    return select(Alert).where(staff_scope(actor, Alert.young_person_id))


def referrals_visible_to(actor: User) -> Select[Referral]:
    """Coordinators see the referrals of their teams, a lead every referral, a referrer
    their own; nobody else any."""
    query = select(Referral)
    if actor.role == COORDINATOR:
        return query.where(_in_my_teams(actor, Referral.team_id))
    if actor.role == LEAD:
        return query
    if actor.role == REFERRER:
        return query.where(Referral.referrer_id == actor.id)
    return query.where(false())


def staff_accounts_visible_to(actor: User) -> Select[User]:
    """Staff accounts are managed by admins only; young people's accounts are never listed."""
    query = select(User).where(User.role != YOUNG_PERSON).options(selectinload(User.memberships))
    if actor.role != ADMIN:
        return query.where(false())
    return query
