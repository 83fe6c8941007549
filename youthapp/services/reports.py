"""Outcome figures for the programme (journey 7): counted only for young people who consent to
reporting, from a bounded number of aggregate queries, with small numbers suppressed by the
rules in `suppression`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    TableValuedAlias,
    and_,
    extract,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.clock import local_to_utc
from youthapp.errors import InvalidInput
from youthapp.models import (
    ALERT_KINDS,
    REFERRAL_STATUSES,
    REFERRER_TYPES,
    WEEKDAYS,
    Alert,
    Appointment,
    CheckIn,
    CheckInSchedule,
    Goal,
    Referral,
    User,
    YoungPerson,
)
from youthapp.services import suppression
from youthapp.services.suppression import (
    Cell,
    Count,
    Measure,
    cells,
    median,
    protect,
    publish,
    rate,
)
from youthapp.vocabulary import DOMAINS

DEFAULT_PERIOD = timedelta(days=90)
POPULATION = (
    "Young people who consent to reporting and whose records have not been erased. Referrals "
    "never accepted have no young person record to ask: they are counted anonymously, by "
    "source and decision only; accepted referrals only when their young person is counted."
)
# Marks in the CSV download, after the UK Government Statistical Service's shorthand.
CSV_SUPPRESSED = "[c]"  # confidential
CSV_NOT_APPLICABLE = "[z]"  # nothing to measure (a rate with no denominator)
APPOINTMENT_OUTCOMES = ("attended", "missed")


@dataclass(frozen=True)
class ReferralFigures:
    total: Count
    by_source: dict[str, Count]
    by_decision: dict[str, Count]


@dataclass(frozen=True)
class CaseloadFigures:
    total: Count
    by_domain: dict[str, Count]


@dataclass(frozen=True)
class AttendanceFigures:
    attended: Count
    missed: Count
    recorded: Count
    rate: Measure


@dataclass(frozen=True)
class CheckInFigures:
    expected: Count
    received: Count
    not_received: Count
    rate: Measure


@dataclass(frozen=True)
class GoalFigures:
    total: Count
    by_domain: dict[str, Count]


@dataclass(frozen=True)
class AlertFigures:
    total: Count
    by_kind: dict[str, Count]
    acknowledged: Count
    not_acknowledged: Count
    median_minutes_to_acknowledge: Measure


@dataclass(frozen=True)
class Suppression:
    threshold: int = suppression.THRESHOLD
    rule: str = suppression.RULE


@dataclass(frozen=True)
class OutcomeReport:
    """Only published values: no suppressed number ever leaves this module."""

    since: datetime
    until: datetime
    referrals: ReferralFigures
    enrolments: Count
    active_caseload: CaseloadFigures
    appointment_attendance: AttendanceFigures
    check_ins: CheckInFigures
    goals_achieved: GoalFigures
    alerts: AlertFigures
    population: str = POPULATION
    suppression: Suppression = Suppression()


def outcomes(
    session: Session,
    actor: User,
    *,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    export_format: str = "json",
) -> OutcomeReport:
    """The programme's outcome figures over [since, until) (default: the 90 days up to now)."""
    access.require_role(actor, access.COORDINATOR)
    until = until or now
    since = since or _before(until, DEFAULT_PERIOD)
    if since > until:
        raise InvalidInput("`from` must not be after `to`.")
    dialect = session.get_bind().dialect.name
    enrolments, active_caseload = _young_people(session, since, until, dialect)
    report = OutcomeReport(
        since=since,
        until=until,
        referrals=_referrals(session, since, until),
        enrolments=enrolments,
        active_caseload=active_caseload,
        appointment_attendance=_attendance(session, since, until),
        check_ins=_check_ins(session, since, min(until, now)),
        goals_achieved=_goals(session, since, until),
        alerts=_alerts(session, since, until, dialect),
    )
    # Who ran the report, and over what: no young person is named, and no figure is kept.
    audit.record(
        session,
        actor,
        "report.outcomes_run",
        subject=("report", "outcomes"),
        details={"from": since.isoformat(), "to": until.isoformat(), "format": export_format},
        now=now,
    )
    return report


def as_csv(report: OutcomeReport) -> str:
    """The same figures, one row each: figure, breakdown, value ([c] suppressed, [z] none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("figure", "breakdown", "value"))
    writer.writerow(("period", "from", _iso(report.since)))
    writer.writerow(("period", "to", _iso(report.until)))
    for figure, breakdown, published in figures(report):
        writer.writerow((figure, breakdown, _csv_value(published)))
    writer.writerow(("note", CSV_SUPPRESSED, f"Suppressed. {report.suppression.rule}"))
    writer.writerow(("note", CSV_NOT_APPLICABLE, "Not applicable: nothing to measure."))
    writer.writerow(("note", "population", report.population))
    return buffer.getvalue()


def figures(report: OutcomeReport) -> Iterator[tuple[str, str, Count | Measure]]:
    """Every published figure as (figure, breakdown, value), in the order of the report."""
    referrals = report.referrals
    yield "referrals", "total", referrals.total
    yield from _each("referrals_by_source", referrals.by_source)
    yield from _each("referrals_by_decision", referrals.by_decision)
    yield "enrolments", "total", report.enrolments
    yield "active_caseload", "total", report.active_caseload.total
    yield from _each("active_caseload_by_domain", report.active_caseload.by_domain)
    attendance = report.appointment_attendance
    yield "appointments", "attended", attendance.attended
    yield "appointments", "missed", attendance.missed
    yield "appointments", "recorded", attendance.recorded
    yield "appointment_attendance_rate", "total", attendance.rate
    check_ins = report.check_ins
    yield "check_ins", "expected", check_ins.expected
    yield "check_ins", "received", check_ins.received
    yield "check_ins", "not_received", check_ins.not_received
    yield "check_in_rate", "total", check_ins.rate
    yield "goals_achieved", "total", report.goals_achieved.total
    yield from _each("goals_achieved_by_domain", report.goals_achieved.by_domain)
    alerts = report.alerts
    yield "alerts", "total", alerts.total
    yield from _each("alerts_by_kind", alerts.by_kind)
    yield "alerts", "acknowledged", alerts.acknowledged
    yield "alerts", "not_acknowledged", alerts.not_acknowledged
    yield "alert_median_minutes_to_acknowledge", "total", alerts.median_minutes_to_acknowledge


# --- Who is counted -------------------------------------------------------------------------


def _counted() -> tuple[ColumnElement[bool], ...]:
    """Young people the report may count: those who consented to reporting.

    Erasure after the retention period keeps the anonymous facts (and the consent) so that
    past figures do not shrink; erasure on request is the young person asking to be
    forgotten, and withdraws that consent with everything else (privacy.erase).
    """
    return (YoungPerson.consent_reporting.is_(True),)


def _counted_referral() -> ColumnElement[bool]:
    # Referrals come before enrolment. One that was accepted has a young person record, and
    # is counted only if that young person is (consent given, not erased). One never accepted
    # (submitted, declined, withdrawn) has no record whose consent could be asked: it is
    # counted anyway, but only as an anonymous number by source and by decision, suppressed
    # like every other count, which says nothing about the child and shows funders where
    # referrals come from and what becomes of them. A consequence to keep in mind: `accepted`
    # is the consenting subset, so an acceptance rate must not be read off these figures.
    counted_people = select(YoungPerson.id).where(*_counted())
    return or_(
        and_(Referral.young_person_id.is_(None), Referral.status != "accepted"),
        Referral.young_person_id.in_(counted_people),
    )


# --- The figures ----------------------------------------------------------------------------


def _referrals(session: Session, since: datetime, until: datetime) -> ReferralFigures:
    """Referrals received in the range, by source (referrer type) and by where they stand now."""
    rows = session.execute(
        select(Referral.referrer_type, Referral.status, func.count())
        .where(Referral.created_at >= since, Referral.created_at < until, _counted_referral())
        .group_by(Referral.referrer_type, Referral.status)
    ).all()
    by_source = cells(REFERRER_TYPES, ((source, n) for source, status, n in rows))
    by_decision = cells(
        REFERRAL_STATUSES,
        ((status, n) for source, status, n in rows if source in REFERRER_TYPES),
    )
    total = Cell(sum(cell.raw for cell in by_source.values()))
    protect(total, by_source.values(), by_decision.values())
    return ReferralFigures(total.publish(), publish(by_source), publish(by_decision))


def _young_people(
    session: Session, since: datetime, until: datetime, dialect: str
) -> tuple[Count, CaseloadFigures]:
    """Enrolments in the range, and the active caseload now with its needs."""
    enrolled, active = session.execute(
        select(
            func.count().filter(YoungPerson.created_at >= since, YoungPerson.created_at < until),
            func.count().filter(YoungPerson.status == "active"),
        ).where(*_counted())
    ).one()
    need = _json_elements(YoungPerson.needs, dialect)
    by_need = session.execute(
        select(need.c.value, func.count(YoungPerson.id.distinct()))
        .select_from(YoungPerson)
        .join(need, true())
        .where(YoungPerson.status == "active", *_counted())
        .group_by(need.c.value)
    ).all()
    enrolments, caseload = Cell(enrolled), Cell(active)
    by_domain = cells(DOMAINS, by_need)
    # Needs overlap (one person, several domains), so no cell follows from the total: the
    # primary rule is enough here.
    protect(enrolments)
    protect(caseload)
    for cell in by_domain.values():
        protect(cell)
    return enrolments.publish(), CaseloadFigures(caseload.publish(), publish(by_domain))


def _attendance(session: Session, since: datetime, until: datetime) -> AttendanceFigures:
    """Appointments starting in the range and marked attended or missed."""
    rows = session.execute(
        select(Appointment.status, func.count())
        .join(YoungPerson, YoungPerson.id == Appointment.young_person_id)
        .where(
            Appointment.starts_at >= since,
            Appointment.starts_at < until,
            Appointment.status.in_(APPOINTMENT_OUTCOMES),
            *_counted(),
        )
        .group_by(Appointment.status)
    ).all()
    outcome = cells(APPOINTMENT_OUTCOMES, rows)
    recorded = Cell(sum(cell.raw for cell in outcome.values()))
    protect(recorded, outcome.values())
    return AttendanceFigures(
        attended=outcome["attended"].publish(),
        missed=outcome["missed"].publish(),
        recorded=recorded.publish(),
        rate=rate(outcome["attended"], recorded),
    )


def _check_ins(session: Session, since: datetime, until: datetime) -> CheckInFigures:
    """Check-ins expected of young people with an active schedule, and how many came.

    Per young person, the window is [since, until) from when their current schedule took
    effect (occurrences before it never count, as for missed check-ins), and up to now.
    Received counts their check-ins in that window, at most as many as were expected of
    them: an urgent check-in on top of the daily one does not lift the rate above 100%, but
    neither is each check-in matched to its occurrence (missed_check_in alerts do that).
    Expected occurrences are worked out per schedule in Python (a wall-clock time in the
    young person's zone), from one query whose rows are one per schedule, in constant time
    each.
    """
    received = func.count(CheckIn.id)
    rows = session.execute(
        select(
            CheckInSchedule.days,
            CheckInSchedule.local_time,
            CheckInSchedule.timezone,
            CheckInSchedule.effective_from,
            received,
        )
        .join(YoungPerson, YoungPerson.id == CheckInSchedule.young_person_id)
        .outerjoin(
            CheckIn,
            and_(
                CheckIn.young_person_id == CheckInSchedule.young_person_id,
                CheckIn.created_at >= since,
                CheckIn.created_at >= CheckInSchedule.effective_from,
                CheckIn.created_at < until,
            ),
        )
        .where(
            CheckInSchedule.active.is_(True),
            CheckInSchedule.effective_from < until,
            *_counted(),
        )
        # The primary key: PostgreSQL then allows the schedule's other columns ungrouped.
        .group_by(CheckInSchedule.young_person_id)
    ).all()
    expected_total = received_total = 0
    for days, local_time, zone, effective_from, count in rows:
        expected = expected_check_ins(days, local_time, zone, max(since, effective_from), until)
        expected_total += expected
        received_total += min(count, expected)
    expected_cell = Cell(expected_total)
    parts = {
        "received": Cell(received_total),
        "not_received": Cell(expected_total - received_total),
    }
    protect(expected_cell, parts.values())
    return CheckInFigures(
        expected=expected_cell.publish(),
        received=parts["received"].publish(),
        not_received=parts["not_received"].publish(),
        rate=rate(parts["received"], expected_cell),
    )


def _goals(session: Session, since: datetime, until: datetime) -> GoalFigures:
    """Goals achieved in the range (and still achieved, and not deleted from the plan)."""
    rows = session.execute(
        select(Goal.domain, func.count())
        .join(YoungPerson, YoungPerson.id == Goal.young_person_id)
        .where(
            Goal.status == "achieved",
            Goal.achieved_at >= since,
            Goal.achieved_at < until,
            Goal.archived_at.is_(None),
            *_counted(),
        )
        .group_by(Goal.domain)
    ).all()
    by_domain = cells(DOMAINS, rows)
    total = Cell(sum(cell.raw for cell in by_domain.values()))
    protect(total, by_domain.values())
    return GoalFigures(total.publish(), publish(by_domain))


def _alerts(session: Session, since: datetime, until: datetime, dialect: str) -> AlertFigures:
    """Alerts raised in the range, by kind, and how long they waited to be acknowledged."""
    about_counted = (
        Alert.created_at >= since,
        Alert.created_at < until,
        Alert.kind.in_(ALERT_KINDS),
        *_counted(),
    )
    rows = session.execute(
        select(Alert.kind, func.count(), func.count(Alert.acknowledged_at))
        .join(YoungPerson, YoungPerson.id == Alert.young_person_id)
        .where(*about_counted)
        .group_by(Alert.kind)
    ).all()
    by_kind = cells(ALERT_KINDS, ((kind, n) for kind, n, _ in rows))
    raised = sum(n for _, n, _ in rows)
    acknowledged_count = sum(n for _, _, n in rows)
    total = Cell(raised)
    acknowledgement = {
        "acknowledged": Cell(acknowledged_count),
        "not_acknowledged": Cell(raised - acknowledged_count),
    }
    protect(total, by_kind.values(), acknowledgement.values())
    acknowledged = acknowledgement["acknowledged"]

    def median_minutes() -> float:
        minutes = _minutes_between(Alert.created_at, Alert.acknowledged_at, dialect).label("m")
        n = acknowledged.raw
        middle = session.scalars(
            select(minutes)
            .join(YoungPerson, YoungPerson.id == Alert.young_person_id)
            .where(Alert.acknowledged_at.is_not(None), *about_counted)
            .order_by(minutes)
            .offset((n - 1) // 2)
            .limit(2 - n % 2)
        ).all()
        return sum(float(m) for m in middle) / len(middle)

    return AlertFigures(
        total=total.publish(),
        by_kind=publish(by_kind),
        acknowledged=acknowledged.publish(),
        not_acknowledged=acknowledgement["not_acknowledged"].publish(),
        median_minutes_to_acknowledge=median(acknowledged, median_minutes),
    )


# --- Expected check-ins ---------------------------------------------------------------------


def expected_check_ins(
    days: Sequence[str], local_time: time, zone_name: str, start: datetime, end: datetime
) -> int:
    """How many instants `schedules.occurrences()` gives for this schedule in [start, end),
    counted without walking every day of a long range.

    A day's occurrence lies within a day of its local date however the clocks change, so only
    the days near either end are worked out one by one (exactly as occurrences() does); every
    scheduled weekday between them is in the range.
    """
    if end <= start or not days:
        return 0
    zone = ZoneInfo(zone_name)
    wanted = {WEEKDAYS.index(day) for day in days}
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()

    def exactly(offsets: Iterable[int], base: date) -> int:
        found = 0
        for offset in offsets:
            day = base + timedelta(days=offset)
            if day.weekday() in wanted and start <= local_to_utc(day, local_time, zone) < end:
                found += 1
        return found

    inner_first, inner_last = first + timedelta(days=2), last - timedelta(days=2)
    if inner_first > inner_last:
        return exactly(range(-1, (last - first).days + 2), first)
    return (
        exactly(range(-1, 2), first)
        + _weekdays_between(inner_first, inner_last, wanted)
        + exactly(range(-1, 2), last)
    )


def _weekdays_between(first: date, last: date, wanted: set[int]) -> int:
    """Days from `first` to `last` (both included) that fall on one of the `wanted` weekdays."""
    weeks, rest = divmod((last - first).days + 1, 7)
    return weeks * len(wanted) + sum((first.weekday() + i) % 7 in wanted for i in range(rest))


# --- Plumbing -------------------------------------------------------------------------------


def _json_elements(column: SQLColumnExpression[list[str]], dialect: str) -> TableValuedAlias:
    """The elements of a JSON array column as rows with a `value` column."""
    if dialect == "postgresql":
        return func.json_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


def _minutes_between(
    start: SQLColumnExpression[datetime], end: SQLColumnExpression[datetime | None], dialect: str
) -> ColumnElement[float | Decimal]:
    if dialect == "postgresql":
        return extract("epoch", end - start) / 60
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _before(moment: datetime, period: timedelta) -> datetime:
    """`moment - period`, or the earliest time there is (for a `to` in the year 1)."""
    earliest = datetime.min.replace(tzinfo=UTC)
    return moment - period if moment - earliest > period else earliest


def _each(figure: str, counts: Mapping[str, Count]) -> Iterator[tuple[str, str, Count]]:
    for breakdown, count in counts.items():
        yield figure, breakdown, count


def _csv_value(published: Count | Measure) -> str:
    if published.suppressed:
        return CSV_SUPPRESSED
    if published.value is None:
        return CSV_NOT_APPLICABLE
    return str(published.value)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
