"""Messages between a young person and their team: one thread per young person, with the
staff in scope of their case (access.staff_in_scope), recorded and kept with the case.

Messages are plain text, kept and returned as sent: never rendered, scanned or scored.
A young person's message out of staffed hours gets one automatic reply per out-of-hours
stretch, naming the duty line and the crisis contacts; one nobody on staff answers within
MESSAGE_ANSWER_HOURS raises a `message_unanswered` alert, which a staff answer resolves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from youthapp import access, audit, db, windows
from youthapp.content import CrisisContact, DutyLine
from youthapp.errors import Conflict, NotFound
from youthapp.models import Alert, Message, MessageRead, User, YoungPerson
from youthapp.services import alerts, notifications, people

MAX_LENGTH = 2000
UNANSWERED = "message_unanswered"
AUTOMATIC_REPLY_NAME = "Automatic reply"


def my_thread_query(actor: User, *, updated_since: datetime | None = None) -> Select[Message]:
    access.require_role(actor, access.YOUNG_PERSON)
    return _thread(access.own_record_id(actor), updated_since)


def thread_query(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    *,
    updated_since: datetime | None = None,
) -> Select[Message]:
    """The thread, for staff in scope (the read is audited)."""
    young_person = people.read_record(session, actor, young_person_id, "messages")
    return _thread(young_person.id, updated_since)


def send_mine(
    session: Session,
    actor: User,
    *,
    client_ref: str,
    body: str,
    now: datetime,
    staffed_hours: Sequence[windows.Window] | None,
    zone: str,
    duty_line: DutyLine | None,
    crisis_contacts: Sequence[CrisisContact] | None,
) -> tuple[Message, bool]:
    """The young person writes to their team; (message, created). The same client_ref
    again is the first message, unchanged, and tells nobody again."""
    access.require_role(actor, access.YOUNG_PERSON)
    young_person_id = access.own_record_id(actor)
    earlier = _by_client_ref(session, young_person_id, client_ref)
    if earlier is not None:
        return earlier, False
    message = Message(
        young_person_id=young_person_id,
        sender_id=actor.id,
        sender_role=access.YOUNG_PERSON,
        sender_name=actor.display_name,
        body=body,
        client_ref=client_ref,
        sent_at=now,
        updated_at=now,
        awaiting_answer=True,
    )
    try:
        with session.begin_nested():  # a retry racing the first loses here
            session.add(message)
            session.flush()
    except IntegrityError:
        earlier = _by_client_ref(session, young_person_id, client_ref)
        if earlier is None:
            raise
        return earlier, False
    for staff in session.scalars(access.staff_in_scope(young_person_id)):
        notifications.notify(
            session,
            staff,
            "message",
            now=now,
            subject_id=message.id,
            data={"young_person_id": str(young_person_id), "message_id": str(message.id)},
            template="message_to_staff",
        )
    if staffed_hours and not windows.is_open(staffed_hours, ZoneInfo(zone), now):
        _reply_out_of_hours(
            session, young_person_id, staffed_hours, zone, duty_line, crisis_contacts, now
        )
    return message, True


def send_as_staff(
    session: Session, actor: User, young_person_id: uuid.UUID, *, body: str, now: datetime
) -> Message:
    """A member of staff in scope writes in the thread: it answers whatever was waiting."""
    young_person = people.find_young_person(session, actor, young_person_id)
    access.require_role(actor, access.COORDINATOR, access.MENTOR)
    if young_person.status == "exited":
        raise Conflict("This young person has left the programme.")
    message = Message(
        young_person_id=young_person.id,
        sender_id=actor.id,
        sender_role=actor.role,
        sender_name=actor.display_name,
        body=body,
        sent_at=now,
        updated_at=now,
    )
    session.add(message)
    session.execute(
        update(Message)
        .where(Message.young_person_id == young_person.id, Message.awaiting_answer.is_(True))
        .values(awaiting_answer=False)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    _mark_read(session, actor, young_person.id, now)
    for alert in session.scalars(
        select(Alert).where(
            Alert.young_person_id == young_person.id,
            Alert.kind == UNANSWERED,
            Alert.status != "resolved",
        )
    ):
        alerts.resolve_by_facts(session, alert, "answered", now=now)
    audit.record(
        session,
        actor,
        "message.sent",
        young_person_id=young_person.id,
        subject=("message", message.id),
        now=now,
    )
    account = notifications.account_of(session, young_person.id)
    if account is not None:
        notifications.notify(
            session,
            account,
            "message",
            now=now,
            subject_id=message.id,
            data={"message_id": str(message.id)},
        )
    return message


def mark_mine_read(
    session: Session, actor: User, up_to_message_id: uuid.UUID, *, now: datetime
) -> int:
    """The young person has read the thread up to this message; how many were new."""
    access.require_role(actor, access.YOUNG_PERSON)
    young_person_id = access.own_record_id(actor)
    up_to = _message_in(session, young_person_id, up_to_message_id)
    return db.rowcount(
        session,
        update(Message)
        .where(
            Message.young_person_id == young_person_id,
            Message.sender_role != access.YOUNG_PERSON,
            Message.sent_at <= up_to.sent_at,
            Message.read_by_young_person_at.is_(None),
        )
        .values(read_by_young_person_at=now, updated_at=now)
        .execution_options(synchronize_session=False),
    )


def mark_read_as_staff(
    session: Session,
    actor: User,
    young_person_id: uuid.UUID,
    up_to_message_id: uuid.UUID,
    *,
    now: datetime,
) -> None:
    young_person = people.find_young_person(session, actor, young_person_id)
    up_to = _message_in(session, young_person.id, up_to_message_id)
    _mark_read(session, actor, young_person.id, up_to.sent_at)


def unread_count(session: Session, user: User) -> int:
    """Messages waiting to be read: for a young person, from their team; for staff, from
    the young people in their scope."""
    if user.role == access.YOUNG_PERSON:
        if user.young_person_id is None:
            return 0
        return int(
            session.scalar(
                select(func.count(Message.id)).where(
                    Message.young_person_id == user.young_person_id,
                    Message.sender_role != access.YOUNG_PERSON,
                    Message.read_by_young_person_at.is_(None),
                )
            )
            or 0
        )
    if user.role not in (access.COORDINATOR, access.MENTOR):
        return 0
    read_past = (
        select(MessageRead.user_id)
        .where(
            MessageRead.young_person_id == Message.young_person_id,
            MessageRead.user_id == user.id,
            MessageRead.read_up_to >= Message.sent_at,
        )
        .exists()
    )
    return int(
        session.scalar(
            select(func.count(Message.id)).where(
                access.staff_scope(user, Message.young_person_id),
                Message.sender_role == access.YOUNG_PERSON,
                ~read_past,
            )
        )
        or 0
    )


def raise_unanswered(session: Session, *, now: datetime, window: timedelta) -> int:
    """One `message_unanswered` alert per young person whose message has waited longer than
    `window` for any answer from staff (once per unanswered stretch). Returns how many."""
    # The first message still waiting in each thread, and which of them already raised an
    # alert: two statements, however many threads wait.
    first_sent = (
        select(Message.young_person_id, func.min(Message.sent_at).label("sent_at"))
        .where(Message.awaiting_answer.is_(True))
        .group_by(Message.young_person_id)
        .subquery()
    )
    firsts: dict[uuid.UUID, Message] = {}
    for message in session.scalars(
        select(Message)
        .join(
            first_sent,
            (first_sent.c.young_person_id == Message.young_person_id)
            & (first_sent.c.sent_at == Message.sent_at),
        )
        .join(YoungPerson, YoungPerson.id == Message.young_person_id)
        .where(
            Message.awaiting_answer.is_(True),
            Message.sent_at <= now - window,
            YoungPerson.status != "exited",
        )
        .order_by(Message.young_person_id, Message.id)
    ):
        firsts.setdefault(message.young_person_id, message)
    keys = {person: f"{UNANSWERED}:{first.id}" for person, first in firsts.items()}
    raised_before = set(
        session.scalars(select(Alert.dedupe_key).where(Alert.dedupe_key.in_(keys.values())))
    )
    raised = 0
    for young_person_id, first in firsts.items():
        if keys[young_person_id] in raised_before:
            continue
        alerts.raise_alert(
            session,
            young_person_id,
            UNANSWERED,
            summary=f"A message has waited over {int(window.total_seconds() // 3600)} hours "
            "for an answer",
            subject=("message", first.id),
            dedupe_key=keys[young_person_id],
            now=now,
        )
        raised += 1
    session.flush()
    return raised


def _reply_out_of_hours(
    session: Session,
    young_person_id: uuid.UUID,
    staffed_hours: Sequence[windows.Window],
    zone: str,
    duty_line: DutyLine | None,
    crisis_contacts: Sequence[CrisisContact] | None,
    now: datetime,
) -> None:
    """One automatic reply per out-of-hours stretch: none if one was sent since the staffed
    hours last closed."""
    closed_at = windows.last_closed(staffed_hours, ZoneInfo(zone), now)
    replied = session.scalar(
        select(Message.id).where(
            Message.young_person_id == young_person_id,
            Message.sender_role == "programme",
            *((Message.sent_at >= closed_at,) if closed_at is not None else ()),
        )
    )
    if replied is not None:
        return
    session.add(
        Message(
            young_person_id=young_person_id,
            sender_role="programme",
            sender_name=AUTOMATIC_REPLY_NAME,
            body=out_of_hours_text(duty_line, crisis_contacts),
            sent_at=now,
            updated_at=now,
        )
    )
    session.flush()


def out_of_hours_text(
    duty_line: DutyLine | None, crisis_contacts: Sequence[CrisisContact] | None
) -> str:
    lines = [
        "Thanks for your message. The team is not working right now; they will read it "
        "when they are back."
    ]
    if duty_line is not None:
        hours = f" ({duty_line.hours})" if duty_line.hours else ""
        lines.append(
            f"If it cannot wait, call the programme's duty line on {duty_line.phone}{hours}."
        )
    contacts = [
        f"{contact.name}: {contact.channels[0].value}"
        for contact in crisis_contacts or ()
        if contact.channels and not contact.from_configuration
    ]
    if contacts:
        lines.append("If you need help now: " + "; ".join(contacts) + ".")
    else:
        lines.append("If you are in danger now, call 999.")
    return "\n".join(lines)


def _thread(young_person_id: uuid.UUID, updated_since: datetime | None) -> Select[Message]:
    query = select(Message).where(Message.young_person_id == young_person_id)
    if updated_since is not None:
        query = query.where(Message.updated_at > updated_since)
    return query.order_by(Message.sent_at.desc(), Message.id.desc())


def _by_client_ref(session: Session, young_person_id: uuid.UUID, client_ref: str) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.young_person_id == young_person_id, Message.client_ref == client_ref
        )
    )


def _message_in(session: Session, young_person_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = session.scalar(
        select(Message).where(Message.id == message_id, Message.young_person_id == young_person_id)
    )
    if message is None:
        raise NotFound("No such message in this thread.")
    return message


def _mark_read(session: Session, actor: User, young_person_id: uuid.UUID, up_to: datetime) -> None:
    marker = session.get(MessageRead, (young_person_id, actor.id))
    if marker is None:
        session.add(
            MessageRead(young_person_id=young_person_id, user_id=actor.id, read_up_to=up_to)
        )
    elif marker.read_up_to < up_to:
        marker.read_up_to = up_to
    session.flush()
