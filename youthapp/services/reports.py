"""Outcome figures for the programme (journey 7): counted only for young people who consent to
reporting, from a bounded number of aggregate queries, with small numbers suppressed by the
rules in `suppression`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
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
from youthapp.errors import InvalidInput, NotFound
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
    Team,
    User,
    YoungPerson,
)
from youthapp.services import suppression
from youthapp.services.suppression import Cell, Count, Grid, Measure, median, rate
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
    team_ids: list[uuid.UUID] | None  # None: the whole programme
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
    team_id: uuid.UUID | None = None,
) -> OutcomeReport:
    """The outcome figures over [since, until) (default: the 90 days up to now), for the
    caller's teams, or one of them (`team_id`); a lead's for the programme or any team."""
    access.require_role(actor, access.COORDINATOR, access.LEAD)
    until = until or now
    since = since or _before(until, DEFAULT_PERIOD)
    if since > until:
        raise InvalidInput("`from` must not be after `to`.")
    team_ids = list(session.scalars(select(Team.id).order_by(Team.id)))
    scope = _scope(session, actor, team_id, team_ids)
    period = _Period(since, until, team_ids, scope)
    dialect = session.get_bind().dialect.name
    enrolments, active_caseload = _young_people(session, period, dialect)
    report = OutcomeReport(
        since=since,
        until=until,
        team_ids=sorted(scope) if scope is not None else None,
        referrals=_referrals(session, period),
        enrolments=enrolments,
        active_caseload=active_caseload,
        appointment_attendance=_attendance(session, period),
        check_ins=_check_ins(session, period, min(until, now)),
        goals_achieved=_goals(session, period),
        alerts=_alerts(session, period, dialect),
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


def _scope(
    session: Session, actor: User, team_id: uuid.UUID | None, team_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID] | None:
    """The teams a report is for: a coordinator's own (or one of them), or for a lead any
    one team or (None) the whole programme. A team outside the caller's is not found."""
    allowed = (
        set(team_ids) if actor.role == access.LEAD else set(session.scalars(access.teams_of(actor)))
    )
    if team_id is not None:
        if team_id not in allowed:
            raise NotFound("No such team.")
        return {team_id}
    return None if actor.role == access.LEAD else allowed


def as_csv(report: OutcomeReport) -> str:
    """The same figures, one row each: figure, breakdown, value ([c] suppressed, [z] none)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("figure", "breakdown", "value"))
    writer.writerow(("period", "from", _iso(report.since)))
    writer.writerow(("period", "to", _iso(report.until)))
    if report.team_ids is not None:
        for team_id in report.team_ids:
            writer.writerow(("scope", "team_id", str(team_id)))
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


def _referrals(session: Session, period: _Period) -> ReferralFigures:
    """Referrals received in the range, by source (referrer type) and by where they stand now."""
    rows = session.execute(
        select(Referral.team_id, Referral.referrer_type, Referral.status, func.count())
        .where(
            Referral.created_at >= period.since,
            Referral.created_at < period.until,
            _counted_referral(),
        )
        .group_by(Referral.team_id, Referral.referrer_type, Referral.status)
    ).all()
    sources = [f"source:{source}" for source in REFERRER_TYPES]
    decisions = [f"decision:{status}" for status in REFERRAL_STATUSES]
    grid = period.grid(["total", *sources, *decisions], [("total", sources), ("total", decisions)])
    for team_id, source, status, n in rows:
        if source in REFERRER_TYPES:
            grid.add(team_id, "total", n)
            grid.add(team_id, f"source:{source}", n)
            grid.add(team_id, f"decision:{status}", n)
    cell = period.view(grid)
    return ReferralFigures(
        cell["total"].publish(),
        {source: cell[f"source:{source}"].publish() for source in REFERRER_TYPES},
        {status: cell[f"decision:{status}"].publish() for status in REFERRAL_STATUSES},
    )


def _young_people(session: Session, period: _Period, dialect: str) -> tuple[Count, CaseloadFigures]:
    """Enrolments in the range, and the active caseload now with its needs."""
    counts = session.execute(
        select(
            YoungPerson.team_id,
            func.count().filter(
                YoungPerson.created_at >= period.since, YoungPerson.created_at < period.until
            ),
            func.count().filter(YoungPerson.status == "active"),
        )
        .where(*_counted())
        .group_by(YoungPerson.team_id)
    ).all()
    need = _json_elements(YoungPerson.needs, dialect)
    by_need = session.execute(
        select(YoungPerson.team_id, need.c.value, func.count(YoungPerson.id.distinct()))
        .select_from(YoungPerson)
        .join(need, true())
        .where(YoungPerson.status == "active", *_counted())
        .group_by(YoungPerson.team_id, need.c.value)
    ).all()
    # Needs overlap (one person, several domains), so no cell follows from the total: within
    # a team the primary rule is enough, across teams each cell is a breakdown as any other.
    needs = [f"need:{domain}" for domain in DOMAINS]
    grid = period.grid(["enrolments", "caseload", *needs])
    for team_id, enrolled, active in counts:
        grid.add(team_id, "enrolments", enrolled)
        grid.add(team_id, "caseload", active)
    for team_id, domain, n in by_need:
        grid.add(team_id, f"need:{domain}", n)
    cell = period.view(grid)
    return cell["enrolments"].publish(), CaseloadFigures(
        cell["caseload"].publish(),
        {domain: cell[f"need:{domain}"].publish() for domain in DOMAINS},
    )


def _attendance(session: Session, period: _Period) -> AttendanceFigures:
    """Appointments starting in the range and marked attended or missed."""
    rows = session.execute(
        select(YoungPerson.team_id, Appointment.status, func.count())
        .join(YoungPerson, YoungPerson.id == Appointment.young_person_id)
        .where(
            Appointment.starts_at >= period.since,
            Appointment.starts_at < period.until,
            Appointment.status.in_(APPOINTMENT_OUTCOMES),
            *_counted(),
        )
        .group_by(YoungPerson.team_id, Appointment.status)
    ).all()
    grid = period.grid(["recorded", *APPOINTMENT_OUTCOMES], [("recorded", APPOINTMENT_OUTCOMES)])
    for team_id, outcome, n in rows:
        grid.add(team_id, "recorded", n)
        grid.add(team_id, outcome, n)
    cell = period.view(grid)
    return AttendanceFigures(
        attended=cell["attended"].publish(),
        missed=cell["missed"].publish(),
        recorded=cell["recorded"].publish(),
        rate=rate(cell["attended"], cell["recorded"]),
    )


def _check_ins(session: Session, period: _Period, until: datetime) -> CheckInFigures:
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
    since = period.since
    received = func.count(CheckIn.id)
    rows = session.execute(
        select(
            YoungPerson.team_id,
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
        # The primary keys: PostgreSQL then allows their other columns ungrouped.
        .group_by(CheckInSchedule.young_person_id, YoungPerson.id)
    ).all()
    grid = period.grid(
        ["expected", "received", "not_received"], [("expected", ("received", "not_received"))]
    )
    for team_id, days, local_time, zone, effective_from, count in rows:
        expected = expected_check_ins(days, local_time, zone, max(since, effective_from), until)
        grid.add(team_id, "expected", expected)
        grid.add(team_id, "received", min(count, expected))
        grid.add(team_id, "not_received", expected - min(count, expected))
    cell = period.view(grid)
    return CheckInFigures(
        expected=cell["expected"].publish(),
        received=cell["received"].publish(),
        not_received=cell["not_received"].publish(),
        rate=rate(cell["received"], cell["expected"]),
    )


def _goals(session: Session, period: _Period) -> GoalFigures:
    """Goals achieved in the range (and still achieved, and not deleted from the plan)."""
    rows = session.execute(
        select(YoungPerson.team_id, Goal.domain, func.count())
        .join(YoungPerson, YoungPerson.id == Goal.young_person_id)
        .where(
            Goal.status == "achieved",
            Goal.achieved_at >= period.since,
            Goal.achieved_at < period.until,
            Goal.archived_at.is_(None),
            *_counted(),
        )
        .group_by(YoungPerson.team_id, Goal.domain)
    ).all()
    grid = period.grid(["total", *DOMAINS], [("total", DOMAINS)])
    for team_id, domain, n in rows:
        if domain in DOMAINS:
            grid.add(team_id, "total", n)
            grid.add(team_id, domain, n)
    cell = period.view(grid)
    return GoalFigures(
        cell["total"].publish(), {domain: cell[domain].publish() for domain in DOMAINS}
    )


def _alerts(session: Session, period: _Period, dialect: str) -> AlertFigures:
    """Alerts raised in the range, by kind, and how long they waited to be acknowledged."""
    about_counted = (
        Alert.created_at >= period.since,
        Alert.created_at < period.until,
        Alert.kind.in_(ALERT_KINDS),
        *_counted(),
    )
    rows = session.execute(
        select(YoungPerson.team_id, Alert.kind, func.count(), func.count(Alert.acknowledged_at))
        .join(YoungPerson, YoungPerson.id == Alert.young_person_id)
        .where(*about_counted)
        .group_by(YoungPerson.team_id, Alert.kind)
    ).all()
    kinds = [f"kind:{kind}" for kind in ALERT_KINDS]
    acknowledgement = ["acknowledged", "not_acknowledged"]
    grid = period.grid(
        ["total", *kinds, *acknowledgement], [("total", kinds), ("total", acknowledgement)]
    )
    for team_id, kind, n, acknowledged_n in rows:
        grid.add(team_id, "total", n)
        grid.add(team_id, f"kind:{kind}", n)
        grid.add(team_id, "acknowledged", acknowledged_n)
        grid.add(team_id, "not_acknowledged", n - acknowledged_n)
    cell = period.view(grid)
    acknowledged = cell["acknowledged"]

    def median_minutes() -> float:
        minutes = _minutes_between(Alert.created_at, Alert.acknowledged_at, dialect).label("m")
        n = acknowledged.raw
        middle = session.scalars(
            select(minutes)
            .join(YoungPerson, YoungPerson.id == Alert.young_person_id)
            .where(Alert.acknowledged_at.is_not(None), *about_counted, *period.in_scope())
            .order_by(minutes)
            .offset((n - 1) // 2)
            .limit(2 - n % 2)
        ).all()
        return sum(float(m) for m in middle) / len(middle)

    return AlertFigures(
        total=cell["total"].publish(),
        by_kind={kind: cell[f"kind:{kind}"].publish() for kind in ALERT_KINDS},
        acknowledged=acknowledged.publish(),
        not_acknowledged=cell["not_acknowledged"].publish(),
        median_minutes_to_acknowledge=median(acknowledged, median_minutes),
    )


@dataclass(frozen=True)
class _Period:
    """What a report is over: a period, every team (for suppression across them), and the
    teams it is for (None: the whole programme)."""

    since: datetime
    until: datetime
    team_ids: Sequence[uuid.UUID]
    scope: Collection[uuid.UUID] | None

    def grid(
        self, keys: Sequence[str], breakdowns: Sequence[tuple[str, Sequence[str]]] = ()
    ) -> Grid:
        return Grid(self.team_ids, keys, breakdowns)

    def view(self, grid: Grid) -> dict[str, Cell]:
        grid.protect()
        return grid.view(self.scope)

    def in_scope(self) -> tuple[ColumnElement[bool], ...]:
        if self.scope is None:
            return ()
        return (YoungPerson.team_id.in_(list(self.scope)),)


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
