"""Teams across London's boroughs: which team a borough belongs to, who is in each team, and
who is on duty.

A borough belongs to at most one team besides the default one, "London", which covers every
borough no other team holds. A young person and a referral carry the team of their borough
(`team_id`), kept right here whenever a borough or a team's boroughs change, so that the
scope rule (access.py) is one indexed comparison.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.errors import Conflict, InvalidInput, NotFound
from youthapp.models import (
    DEFAULT_TEAM_ID,
    TEAM_ROLES,
    Referral,
    Team,
    TeamBorough,
    TeamMember,
    User,
    YoungPerson,
)
from youthapp.services import alerts, notifications, status
from youthapp.vocabulary import LONDON_BOROUGHS, canonical_boroughs

# The status history's reason for a move between teams.
TRANSFER = "transfer"


@dataclass(frozen=True)
class TeamView:
    """A team as the API shows it: the default team lists the boroughs it covers."""

    id: uuid.UUID
    name: str
    boroughs: list[str]
    is_default: bool
    created_at: datetime
    updated_at: datetime


def team_for_borough(session: Session, borough: str) -> uuid.UUID:
    """The team whose young people and referrals in `borough` are: the team holding it, or
    the default team."""
    held = session.scalar(select(TeamBorough.team_id).where(TeamBorough.borough == borough))
    return held or DEFAULT_TEAM_ID


def transfer(session: Session, actor: User, young_person: YoungPerson, *, now: datetime) -> bool:
    """After the young person's borough changed: if it is another team's, the case moves
    there (a move for safety, "a new home"). The old team's coordinators lose access at once
    (scope is by team); assigned mentors keep theirs; the new team's coordinators are told."""
    team_id = team_for_borough(session, young_person.borough)
    from_team_id = young_person.team_id
    if team_id == from_team_id:
        return False
    young_person.team_id = team_id
    session.flush()
    follow_young_person(session, [young_person.id])
    status.record(
        session,
        young_person,
        young_person.status,
        reason=TRANSFER,
        by=actor,
        now=now,
        from_team_id=from_team_id,
        to_team_id=team_id,
    )
    audit.record(
        session,
        actor,
        "young_person.transferred",
        young_person_id=young_person.id,
        subject=("team", team_id),
        now=now,
    )
    for coordinator in session.scalars(access.told_of_transfer(team_id)):
        notifications.notify(
            session,
            coordinator,
            "case_transferred",
            now=now,
            subject_id=young_person.id,
            data={"young_person_id": str(young_person.id), "team_id": str(team_id)},
        )
    alerts.hand_to_new_team(session, young_person.id, team_id, now=now)
    return True


def list_teams(session: Session, actor: User) -> list[TeamView]:
    access.require_role(actor, access.ADMIN, access.COORDINATOR, access.LEAD)
    teams = session.scalars(select(Team).order_by(Team.name, Team.id)).all()
    return _views(session, teams)


def create_team(
    session: Session, actor: User, data: Mapping[str, Any], *, now: datetime
) -> TeamView:
    access.require_role(actor, access.ADMIN)
    name = _name(session, data["name"])
    boroughs = _boroughs(data.get("boroughs") or [])
    team = Team(name=name, created_at=now, updated_at=now)
    session.add(team)
    session.flush()
    _take(session, team.id, boroughs)
    audit.record(
        session,
        actor,
        "team.created",
        subject=("team", team.id),
        details={"count": len(boroughs)},
        now=now,
    )
    return _views(session, [team])[0]


def update_team(
    session: Session, actor: User, team_id: uuid.UUID, changes: Mapping[str, Any], *, now: datetime
) -> TeamView:
    access.require_role(actor, access.ADMIN)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    changed = []
    if "name" in changes and changes["name"].strip() != team.name:
        team.name = _name(session, changes["name"], team_id=team.id)
        changed.append("name")
    if "boroughs" in changes:
        if team.is_default:
            raise InvalidInput(
                "The default team covers every borough no other team holds.",
                errors={"boroughs": ["Give boroughs to another team to take them from this one."]},
            )
        wanted = set(_boroughs(changes["boroughs"]))
        held = set(
            session.scalars(select(TeamBorough.borough).where(TeamBorough.team_id == team.id))
        )
        if wanted != held:
            _give_back(session, team.id, held - wanted)
            _take(session, team.id, sorted(wanted - held))
            changed.append("boroughs")
    if changed:
        team.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            "team.updated",
            subject=("team", team.id),
            details={"fields": changed},
            now=now,
        )
    return _views(session, [team])[0]


def set_user_teams(
    session: Session,
    actor: User,
    user_id: uuid.UUID,
    team_ids: Collection[uuid.UUID],
    *,
    now: datetime,
) -> User:
    """Put a coordinator or mentor in exactly these teams (an admin's act)."""
    access.require_role(actor, access.ADMIN)
    user = session.scalar(access.staff_accounts_visible_to(actor).where(User.id == user_id))
    if user is None:
        raise NotFound("No such account.")
    join(session, user, team_ids, now=now)
    audit.record(
        session,
        actor,
        "user.teams_changed",
        subject=("user", user.id),
        details={"count": len(set(team_ids))},
        now=now,
    )
    return user


def join(
    session: Session, user: User, team_ids: Collection[uuid.UUID] | None, *, now: datetime
) -> None:
    """Make `user`'s teams exactly `team_ids` (None: the default team, for a new account)."""
    if user.role not in TEAM_ROLES:
        if team_ids:
            raise InvalidInput(
                "Only coordinators and mentors belong to teams.",
                errors={"team_ids": ["Leads, referrers and admins are in no team."]},
            )
        session.refresh(user, ["memberships"])
        return
    wanted = {DEFAULT_TEAM_ID} if team_ids is None else set(team_ids)
    if not wanted:
        raise InvalidInput(
            "A coordinator or mentor belongs to at least one team.",
            errors={"team_ids": ["Give at least one team."]},
        )
    found = set(session.scalars(select(Team.id).where(Team.id.in_(wanted))))
    if missing := wanted - found:
        raise InvalidInput(
            "No such team.",
            errors={"team_ids": [f"Not a team: {', '.join(map(str, sorted(missing)))}."]},
        )
    current = set(session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)))
    if current - wanted:
        session.execute(
            delete(TeamMember).where(
                TeamMember.user_id == user.id, TeamMember.team_id.in_(current - wanted)
            )
        )
    session.add_all(
        TeamMember(user_id=user.id, team_id=team_id, joined_at=now)
        for team_id in sorted(wanted - current)
    )
    session.flush()
    session.refresh(user, ["memberships"])


def team_ids_of(
    session: Session, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each user's teams, in one query."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    ids = list(user_ids)
    if not ids:
        return found
    rows = session.execute(
        select(TeamMember.user_id, TeamMember.team_id)
        .where(TeamMember.user_id.in_(ids))
        .order_by(TeamMember.user_id, TeamMember.team_id)
    )
    for user_id, team_id in rows:
        found.setdefault(user_id, []).append(team_id)
    return found


def set_duty(session: Session, actor: User, on_duty: bool, *, now: datetime) -> User:
    """A coordinator goes on or off duty: on duty, they take their teams' urgent alerts."""
    access.require_role(actor, access.COORDINATOR)
    if actor.on_duty != on_duty:
        actor.on_duty = on_duty
        actor.on_duty_since = now if on_duty else None
        session.flush()
        audit.record(
            session,
            actor,
            "duty.changed",
            subject=("user", actor.id),
            details={"status": "on" if on_duty else "off"},
            now=now,
        )
    return actor


@dataclass(frozen=True)
class Duty:
    on_duty: bool
    on_duty_since: datetime | None
    team_ids: list[uuid.UUID]


def duty_of(session: Session, user: User) -> Duty:
    return Duty(user.on_duty, user.on_duty_since, team_ids_of(session, [user.id]).get(user.id, []))


def _name(session: Session, name: str, *, team_id: uuid.UUID | None = None) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("Name the team.", errors={"name": ["Must not be blank."]})
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and taken != team_id:
        raise Conflict("A team with this name already exists.")
    return name


def _boroughs(names: Iterable[str]) -> list[str]:
    boroughs, unknown = canonical_boroughs(names)
    if unknown:
        raise InvalidInput(
            "Unknown borough.",
            errors={"boroughs": [f"Not a London borough: {', '.join(unknown)}."]},
        )
    return boroughs


def _take(session: Session, team_id: uuid.UUID, boroughs: list[str]) -> None:
    """Give `boroughs` to the team, with the young people and referrals in them."""
    if not boroughs:
        return
    held = session.execute(
        select(TeamBorough.borough, Team.name)
        .join(Team, Team.id == TeamBorough.team_id)
        .where(TeamBorough.borough.in_(boroughs), TeamBorough.team_id != team_id)
    ).all()
    if held:
        raise Conflict(
            "A borough belongs to one team at most: "
            + ", ".join(f"{borough} is {name}'s" for borough, name in sorted(held))
            + "."
        )
    session.add_all(TeamBorough(borough=borough, team_id=team_id) for borough in boroughs)
    session.flush()
    _rehome(session, boroughs, team_id)


def _give_back(session: Session, team_id: uuid.UUID, boroughs: Collection[str]) -> None:
    """The team lets `boroughs` go: they, and the cases in them, go back to the default team."""
    if not boroughs:
        return
    session.execute(
        delete(TeamBorough).where(TeamBorough.team_id == team_id, TeamBorough.borough.in_(boroughs))
    )
    _rehome(session, list(boroughs), DEFAULT_TEAM_ID)


def _rehome(session: Session, boroughs: list[str], team_id: uuid.UUID) -> None:
    """The young people of `boroughs`, and the referrals not yet anyone's, move to the team;
    a young person's referrals go where they go."""
    moved = select(YoungPerson.id).where(YoungPerson.borough.in_(boroughs))
    session.execute(
        update(YoungPerson)
        .where(YoungPerson.borough.in_(boroughs), YoungPerson.team_id != team_id)
        .values(team_id=team_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Referral)
        .where(
            Referral.young_person_id.is_(None),
            Referral.borough.in_(boroughs),
            Referral.team_id != team_id,
        )
        .values(team_id=team_id)
        .execution_options(synchronize_session=False)
    )
    follow_young_person(session, moved)


def follow_young_person(session: Session, young_person_ids: Any) -> None:
    """Referrals of these young people (ids, or a select of them) take their team."""
    session.execute(
        update(Referral)
        .where(Referral.young_person_id.in_(young_person_ids))
        .values(
            team_id=select(YoungPerson.team_id)
            .where(YoungPerson.id == Referral.young_person_id)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )


def _views(session: Session, teams: Iterable[Team]) -> list[TeamView]:
    teams = list(teams)
    held: dict[uuid.UUID, list[str]] = {}
    for borough, team_id in session.execute(
        select(TeamBorough.borough, TeamBorough.team_id).order_by(TeamBorough.borough)
    ):
        held.setdefault(team_id, []).append(borough)
    taken = {borough for boroughs in held.values() for borough in boroughs}
    unheld = [borough for borough in LONDON_BOROUGHS if borough not in taken]
    return [
        TeamView(
            id=team.id,
            name=team.name,
            boroughs=unheld if team.is_default else sorted(held.get(team.id, [])),
            is_default=team.is_default,
            created_at=team.created_at,
            updated_at=team.updated_at,
        )
        for team in teams
    ]
