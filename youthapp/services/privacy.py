"""The young person's privacy rights: a copy of their data, who looked at their record, and
erasure (on request, or when the retention period after they leave runs out)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Select,
    SQLColumnExpression,
    String,
    and_,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, joinedload

from youthapp import access, audit, db
from youthapp.models import (
    STAFF_ROLES,
    Alert,
    Appointment,
    Assignment,
    AuditEvent,
    AuthSession,
    CalendarFeed,
    CheckIn,
    CheckInSchedule,
    Device,
    Goal,
    Handover,
    IdempotencyKey,
    Message,
    MessageRead,
    Notification,
    PlanChange,
    Referral,
    SafetyPlan,
    SafetyTimer,
    StatusChange,
    Step,
    SupportPlan,
    User,
    YoungPerson,
)
from youthapp.services import alerts, idempotency, people, plans

# Every table that holds something about a young person, and where the export shows it —
# or why it does not. A test walks the schema and fails on any table missing here.
EXPORT_COVERAGE: dict[str, str] = {
    "users": "account",
    "young_people": "young_person",
    "referrals": "referral",
    "assignments": "assignments",
    "support_plans": "plan",
    "goals": "plan",
    "steps": "plan",
    "plan_changes": "plan_history",
    "safety_plans": "safety_plan",
    "appointments": "appointments",
    "calendar_feeds": "calendar_feed",
    "check_ins": "check_ins",
    "check_in_schedules": "check_in_schedule",
    "safety_timers": "safety_timers",
    "notifications": "notifications",
    "devices": "devices",
    "auth_sessions": "sign_ins",
    "status_changes": "not exported: the case history staff keep (the status itself is in "
    "young_person); through the data protection officer",
    "handovers": "not exported: staff-only notes between mentors; through the data protection "
    "officer",
    "audit_events": "access_log",
    # Their own calls for help, as the app shows them; the rest of an alert is staff-only,
    # and a full subject access request goes through the data protection officer.
    "alerts": "help_requests",
    "idempotency_keys": "not exported: a copy of answers already in this export, kept a day",
    "refresh_tokens": "not exported: secrets; the sign-ins they belong to are",
    "messages": "messages",
    "message_reads": "not exported: how far each member of staff has read (the young "
    "person's own reading is on each message)",
    "team_members": "not exported: staff belong to teams, young people never do (their "
    "team is the borough's, in young_person)",
}
STAFF_ONLY_HISTORY_FIELDS = frozenset({"staff_notes"})
# Said in every export, whether or not there are any such records: saying it only when there
# were would tell whoever holds the phone that there are.
HELD_BACK = (
    "Some records kept for your safety are not in this export. The programme's data "
    "protection officer can provide them."
)
# What the export reads by the young person's id alone.
_Own = TypeVar("_Own", Referral, PlanChange, CheckIn, SafetyTimer, Message)


@dataclass
class Export:
    account: User
    young_person: YoungPerson
    referrals: list[Referral]
    assignments: list[Assignment]
    goals: list[dict[str, Any]]
    plan_history: list[dict[str, Any]]
    safety_plan: SafetyPlan | None
    appointments: list[Appointment]
    calendar_feed: dict[str, Any]
    check_ins: list[CheckIn]
    messages: list[Message]
    check_in_schedule: CheckInSchedule | None
    safety_timers: list[SafetyTimer]
    notifications: list[Notification]
    devices: list[Device]
    sign_ins: list[AuthSession]
    access_log: list[dict[str, Any]]
    help_requests: list[Alert]
    exported_at: datetime
    held_back: str = HELD_BACK

    @property
    def referral(self) -> Referral | None:
        """The referral that brought them to the programme."""
        return self.referrals[0] if self.referrals else None


def export(session: Session, actor: User, *, now: datetime, show_names: bool) -> Export:
    """Everything the young person can see in the app, in one piece; staff-only fields are
    left to the views that show it."""
    person_id = access.own_record_id(actor)
    young_person = session.get_one(YoungPerson, person_id)
    feed = session.get(CalendarFeed, person_id)

    def own(model: type[_Own], *order: SQLColumnExpression[Any]) -> list[_Own]:
        return list(
            session.scalars(
                select(model).where(model.young_person_id == person_id).order_by(*order)
            )
        )

    return Export(
        account=actor,
        young_person=young_person,
        referrals=own(Referral, Referral.created_at),
        assignments=list(
            session.scalars(
                select(Assignment)
                .where(Assignment.young_person_id == person_id)
                .options(joinedload(Assignment.mentor))
                .order_by(Assignment.started_at)
            )
        ),
        goals=plans.load_goals(session, person_id),
        plan_history=[
            entry
            for change in own(PlanChange, PlanChange.occurred_at)
            if (entry := _without_staff_fields(change)) is not None
        ],
        safety_plan=session.get(SafetyPlan, person_id),
        appointments=list(
            session.scalars(
                select(Appointment)
                .where(Appointment.young_person_id == person_id)
                .options(joinedload(Appointment.mentor))
                .order_by(Appointment.starts_at)
            )
        ),
        calendar_feed={"active": feed is not None, "created_at": feed.created_at if feed else None},
        check_ins=own(CheckIn, CheckIn.created_at),
        messages=own(Message, Message.sent_at),
        check_in_schedule=session.get(CheckInSchedule, person_id),
        safety_timers=own(SafetyTimer, SafetyTimer.created_at),
        notifications=list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == actor.id)
                .order_by(Notification.created_at)
            )
        ),
        devices=list(
            session.scalars(
                select(Device).where(Device.user_id == actor.id).order_by(Device.created_at)
            )
        ),
        sign_ins=list(
            session.scalars(
                select(AuthSession)
                .where(AuthSession.user_id == actor.id)
                .order_by(AuthSession.created_at)
            )
        ),
        access_log=access_log(session, actor, show_names=show_names),
        help_requests=list(session.scalars(alerts.help_requests_query(actor))),
        exported_at=now,
    )


def _without_staff_fields(change: PlanChange) -> dict[str, Any] | None:
    changes = {k: v for k, v in change.changes.items() if k not in STAFF_ONLY_HISTORY_FIELDS}
    if not changes:
        return None
    return {
        "occurred_at": change.occurred_at,
        "by": change.actor_role,
        "object_type": change.object_type,
        "object_id": change.object_id,
        "action": change.action,
        "changes": changes,
    }


ACCESS_WORDS = {
    "viewed": "looked at",
    "listed": "saw in a list",
    "updated": "changed",
    "created": "added",
    "booked": "booked",
    "cancelled": "cancelled",
    "set": "set",
    "archived": "removed",
}


def access_log_query(actor: User) -> Select[AuditEvent, str | None]:
    """Which staff roles looked at or changed the young person's record, newest first, with
    the name of who did it (shown only where the programme allows)."""
    access.require_role(actor, access.YOUNG_PERSON)
    return (
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.young_person_id == actor.young_person_id,
            AuditEvent.actor_role.in_(STAFF_ROLES),
            # Staff's work on an alert the young person must never know of leaves no trace.
            ~and_(
                AuditEvent.object_type == "alert",
                AuditEvent.object_id.in_(_hidden_alert_ids(actor)),
            ),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id)
    )


def _hidden_alert_ids(actor: User) -> Select[str | None]:
    """The young person's hidden alerts' ids, as the audit trail writes them."""
    return select(AuditEvent.object_id).where(
        AuditEvent.young_person_id == actor.young_person_id,
        AuditEvent.action == alerts.HIDDEN_ALERT,
    )


def describe_access(
    rows: Iterable[tuple[AuditEvent, str | None]], *, show_names: bool
) -> list[dict[str, Any]]:
    """The access log's entries in words a young person reads."""
    entries = []
    for event, name in rows:
        what, _, verb = event.action.partition(".")
        role = event.actor_role or ""  # a staff role: the query takes no other
        entry = {
            "at": event.occurred_at,
            "role": event.actor_role,
            "action": event.action,
            "description": f"{role.replace('_', ' ')} "
            f"{ACCESS_WORDS.get(verb, verb)} {what.replace('_', ' ')}",
        }
        if show_names:
            entry["name"] = name
        entries.append(entry)
    return entries


def access_log(session: Session, actor: User, *, show_names: bool) -> list[dict[str, Any]]:
    """The whole access log, as the export holds it."""
    return describe_access(session.execute(access_log_query(actor)), show_names=show_names)


# --- erasure -----------------------------------------------------------------------------


def erase_on_request(
    session: Session, actor: User, young_person_id: uuid.UUID, *, reason: str, now: datetime
) -> datetime:
    young_person = people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR)
    erase(session, young_person.id, now=now, actor=actor, reason=reason, trigger="request")
    return now


def erase(
    session: Session,
    young_person_id: uuid.UUID,
    *,
    now: datetime,
    actor: User | None,
    reason: str,
    trigger: str,
) -> None:
    """Remove everything that identifies the young person or tells their story, keeping only
    anonymous facts for outcome reports (dates, statuses, domains) and the audit trail.
    Their account is closed and every sign-in ends."""
    person = young_person_id
    account_ids = list(session.scalars(select(User.id).where(User.young_person_id == person)))
    for model in (
        Message,
        MessageRead,
        CheckIn,
        SafetyTimer,
        CheckInSchedule,
        SafetyPlan,
        PlanChange,
        Step,
        SupportPlan,
        CalendarFeed,
    ):
        session.execute(delete(model).where(model.young_person_id == person))
    idempotency.forget_about(
        session,
        young_person_id=person,
        referral_ids=list(
            session.scalars(select(Referral.id).where(Referral.young_person_id == person))
        ),
    )
    if account_ids:
        for by_account in (Notification, Device, IdempotencyKey, AuthSession):
            session.execute(delete(by_account).where(by_account.user_id.in_(account_ids)))
        session.execute(
            update(User)
            .where(User.id.in_(account_ids))
            .values(
                email=literal("erased-") + cast(User.id, String) + "@erased.invalid",
                password_hash="!erased",  # noqa: S106 - not a hash: nothing can ever match it
                display_name="Erased",
                is_active=False,
                contact_windows=None,
                contact_channels=None,
                no_go_boroughs=None,
                app_pin_hash=None,
                duress_pin_hash=None,
                updated_at=now,
            )
        )
    session.execute(
        update(Goal)
        .where(Goal.young_person_id == person)
        .values(title="", description="", staff_notes=None)
    )
    session.execute(
        update(Appointment)
        .where(Appointment.young_person_id == person)
        .values(
            location=None,
            notes_for_young_person=None,
            staff_notes=None,
            response_message=None,
            cancel_reason=None,
        )
    )
    session.execute(
        update(Alert)
        .where(Alert.young_person_id == person)
        .values(summary="", details={}, resolution_note=None)
    )
    session.execute(
        update(StatusChange).where(StatusChange.young_person_id == person).values(reason=None)
    )
    session.execute(update(Handover).where(Handover.young_person_id == person).values(note=None))
    young_person = session.get_one(YoungPerson, person)
    birth_year = date(young_person.date_of_birth.year, 1, 1)  # age stays countable, no more
    session.execute(
        update(Referral)
        .where(Referral.young_person_id == person)
        .values(
            first_name="Erased",
            last_name="",
            match_key="",
            date_of_birth=birth_year,
            phone=None,
            email=None,
            reason="",
            risk_notes=None,
            decision_reason=None,
        )
    )
    young_person.first_name, young_person.last_name, young_person.search_name = "Erased", "", ""
    young_person.match_key = ""
    young_person.phone = young_person.email = young_person.activation_code_hash = None
    young_person.activation_code_expires_at = None
    young_person.date_of_birth = birth_year
    young_person.status, young_person.exited_at = "exited", young_person.exited_at or now
    if trigger == "request":  # asking to be forgotten: not even an anonymous count
        young_person.consent_reporting = False
    young_person.erased_at = young_person.updated_at = now
    young_person.erasure_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        "young_person.erased",
        young_person_id=person,
        subject=("young_person", person),
        now=now,
        details={"trigger": trigger},
    )


def erase_after_retention(
    session: Session, *, now: datetime, months: int, batch_size: int = 100
) -> int:
    """Erase the records of everyone who left the programme more than `months` ago, and
    anonymise referrals that were declined or withdrawn as long ago (they never became a
    young person's record, so nothing else would ever clear them)."""
    cutoff = _months_before(now, months)
    due = list(
        session.scalars(
            select(YoungPerson.id)
            .where(
                YoungPerson.status == "exited",
                YoungPerson.erased_at.is_(None),
                YoungPerson.exited_at <= cutoff,
            )
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    )
    for young_person_id in due:
        erase(
            session,
            young_person_id,
            now=now,
            actor=None,
            trigger="retention",
            reason=f"retention period of {months} months after exit ended",
        )
    closed = db.rowcount(
        session,
        update(Referral)
        .where(
            Referral.young_person_id.is_(None),
            Referral.status.in_(("declined", "withdrawn")),
            func.coalesce(Referral.decided_at, Referral.withdrawn_at) <= cutoff,
            Referral.first_name != "Erased",
        )
        .values(
            first_name="Erased",
            last_name="",
            match_key="",
            phone=None,
            email=None,
            reason="",
            risk_notes=None,
            decision_reason=None,
        )
        .execution_options(synchronize_session=False),
    )
    if closed:
        audit.record(
            session,
            None,
            "referrals.erased",
            now=now,
            details={"count": closed, "trigger": "retention"},
        )
    return len(due) + closed


def _months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)
