"""How many appointment reminders per second the scheduler creates and delivers, beside the
same claim loop written as raw SQL (the ceiling for our ORM loop); then the scheduler
process's peak memory over those reminders at 1,000 and at 100,000 young people.

    .venv/bin/python -m bench.reminders [--size 100000] [--database-url URL]
                                        [--scheduler-sizes 1000,100000]

It creates a database of its own, runs the migrations, seeds it, measures, and drops it
again (and one more per scheduler size). bench/README.md says what each stage does and how
to read the tables.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from psycopg import sql
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import sessionmaker

from youthapp import migrations
from youthapp.db import make_engine, make_session_factory
from youthapp.models import (
    DEFAULT_TEAM_ID,
    Appointment,
    Assignment,
    CheckInSchedule,
    Device,
    Goal,
    Notification,
    SupportPlan,
    TeamMember,
    User,
    YoungPerson,
)
from youthapp.notify import dispatcher
from youthapp.notify.senders import Outcome, PushMessage, RecordingSender
from youthapp.services import consents, reminders

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/youthapp_bench"
# A fixed clock, so every run seeds and measures the same thing.
NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)
SWEEP_WORK = ("appointment_reminders", "check_in_prompts", "plan_reviews", "missed_check_ins")
CHECK_IN_AT = (NOW - timedelta(minutes=30)).time()  # London is on UTC in January
OFFSETS = (timedelta(hours=24), timedelta(hours=1))
BATCH_SIZES = "200,1000"
SEED_CHUNK = 5000
PLATFORMS = ("android", "ios", "web")
SCHEDULER_SIZES = "1000,100000"
# The target: the scheduler streams, so 100x the young people costs it <= 1.2x memory.
PEAK_RATIO_TARGET = 1.2
ROOT = Path(__file__).resolve().parent.parent


# --- Measuring --------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    rows: int
    seconds: float
    start_rss_kib: int = 0
    peak_rss_kib: int = 0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _reset_peak_rss() -> bool:
    """Start a new high-water mark for this process (Linux: writing 5 to clear_refs resets
    VmHWM), so each stage reports its own peak. False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _peak_rss_kib(per_stage: bool) -> int:
    if per_stage:
        return _status_kib("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


class Bench:
    """Runs stages, timing each and keeping its peak resident memory."""

    def __init__(self, profile_dir: Path | None) -> None:
        self.stages: list[Stage] = []
        self.seeding: list[Stage] = []
        self.profile_dir = profile_dir
        self.peak_is_per_stage = True

    def measure(self, name: str, run: Callable[[], int]) -> Stage:
        gc.collect()
        self.peak_is_per_stage = _reset_peak_rss() and self.peak_is_per_stage
        start_rss = _status_kib("VmRSS")
        profiler = cProfile.Profile() if self.profile_dir else None
        started = time.perf_counter()
        if profiler:
            rows = profiler.runcall(run)
        else:
            rows = run()
        seconds = time.perf_counter() - started
        stage = Stage(name, rows, seconds, start_rss, _peak_rss_kib(self.peak_is_per_stage))
        if profiler and self.profile_dir:
            profiler.dump_stats(self.profile_dir / f"{name.replace(' ', '_')}.prof")
        self.stages.append(stage)
        print(
            f"  {name}: {stage.rows} rows in {stage.seconds:.2f} s "
            f"({stage.rate:,.0f} rows/s, RSS {stage.start_rss_kib / 1024:,.0f} MiB "
            f"-> peak {stage.peak_rss_kib / 1024:,.0f} MiB)",
            flush=True,
        )
        return stage

    @contextmanager
    def seeding_step(self, name: str) -> Iterator[None]:
        """Time a step that prepares data: reported apart, never in the figures."""
        started = time.perf_counter()
        yield
        self.seeding.append(Stage(name, 0, time.perf_counter() - started))
        print(f"  (seeding) {name}: {self.seeding[-1].seconds:.2f} s", flush=True)


# --- A database of our own --------------------------------------------------------------


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(url: URL) -> Iterator[URL]:
    """Create the database `url` names, and drop it afterwards. A database that exists
    already is refused, except our default one left behind by an interrupted run."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not url.database or url.database == ":memory:":
            sys.exit("bench: SQLite needs a file, e.g. sqlite:////tmp/youthapp_bench.sqlite3")
        if path.exists():
            sys.exit(f"bench: {path} exists; the benchmark makes (and deletes) its own file")
        try:
            yield url
        finally:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        return
    if url.get_backend_name() != "postgresql":
        sys.exit("bench: --database-url must be postgresql+psycopg://... or sqlite:///...")
    name = sql.Identifier(url.database)
    with psycopg.connect(_libpq(url.set(database="postgres")), autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
        ).fetchone()
        if exists and url not in (
            make_url(DEFAULT_DATABASE_URL),
            scheduler_database_url(make_url(DEFAULT_DATABASE_URL)),
        ):
            sys.exit(
                f"bench: database {url.database} exists; name one that does not "
                "(the benchmark creates it and drops it afterwards)"
            )
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield url
    finally:
        with psycopg.connect(_libpq(url.set(database="postgres")), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


# --- Seeding ----------------------------------------------------------------------------


def _chunks(rows: Iterable[dict[str, Any]], size: int = SEED_CHUNK) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _bulk_insert(engine: Engine, model: type, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with engine.begin() as connection:
        for chunk in _chunks(rows):
            connection.execute(insert(model), chunk)
            count += len(chunk)
    return count


def seed_people(engine: Engine, young_people: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """One mentor, and `young_people` young people, each with an active account and one
    push device. Every second one has discreet mode off, so both wordings are made. All are
    in the default team (the migration's "London", which covers Hackney, their borough, while
    no other team holds it), where the app puts a new record or staff account."""
    booked = NOW - timedelta(days=7)
    stamps = {"created_at": booked, "updated_at": booked}
    born = date(2010, 1, 1)
    # As enrolment sets it (services.referrals): the birthdays' consent reviews already
    # passed when they joined (16 at 17), so the scheduler's consent review makes nothing.
    reviewed_age = consents.reviewed_age(consents.age_on(born, booked.date()))
    person_ids = [uuid.uuid4() for _ in range(young_people)]
    user_ids = [uuid.uuid4() for _ in range(young_people)]
    mentor_id = uuid.uuid4()

    def account(user_id: uuid.UUID, n: int, role: str, person: uuid.UUID | None) -> dict:
        return {
            "id": user_id,
            "email": f"{role}{n}@bench.invalid",
            "password_hash": "not-a-real-hash",
            "role": role,
            "display_name": f"{role} {n}",
            "is_active": True,
            "young_person_id": person,
            "discreet_mode": n % 2 == 0,
            "location_sharing": False,
            "language": "en",
            "timezone": "Europe/London",
            **stamps,
        }

    _bulk_insert(
        engine,
        YoungPerson,
        (
            {
                "id": person,
                "first_name": "Bench",
                "last_name": f"Person{n}",
                "search_name": f"bench person{n}",
                "match_key": f"bench|person{n}",
                "date_of_birth": born,
                "consent_reviewed_age": reviewed_age,
                "borough": "Hackney",
                "team_id": DEFAULT_TEAM_ID,
                "needs": [],
                "status": "active",
                **stamps,
            }
            for n, person in enumerate(person_ids)
        ),
    )
    _bulk_insert(engine, User, [account(mentor_id, 0, "mentor", None)])
    _bulk_insert(
        engine,
        TeamMember,
        [{"user_id": mentor_id, "team_id": DEFAULT_TEAM_ID, "joined_at": booked}],
    )
    _bulk_insert(
        engine,
        User,
        (
            account(user_id, n, "young_person", person)
            for n, (user_id, person) in enumerate(zip(user_ids, person_ids, strict=True))
        ),
    )
    _bulk_insert(
        engine,
        Device,
        (
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "platform": PLATFORMS[n % len(PLATFORMS)],
                "push_token": f"bench-token-{n}",
                "push_token_hash": hashlib.sha256(f"bench-token-{n}".encode()).hexdigest(),
                "last_seen_at": booked,
                "disabled_at": None,
                **stamps,
            }
            for n, user_id in enumerate(user_ids)
        ),
    )
    return mentor_id, person_ids


def seed_appointments(
    engine: Engine, size: int, mentor_id: uuid.UUID, person_ids: list[uuid.UUID]
) -> int:
    """`size` scheduled appointments, booked a week ago, starting between 1 minute and just
    under 24 hours after NOW: each has exactly one reminder due (24 h or 1 h before)."""
    booked = NOW - timedelta(days=7)

    def appointments() -> Iterator[dict[str, Any]]:
        for n in range(size):
            starts_at = NOW + timedelta(seconds=60 + n * 86_000 // size)
            yield {
                "id": uuid.uuid4(),
                "young_person_id": person_ids[n % len(person_ids)],
                "mentor_id": mentor_id,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=30),
                "duration_minutes": 30,
                "mode": "phone",
                "status": "scheduled",
                "young_person_response": "pending",
                "created_by_id": mentor_id,
                "timing_set_at": booked,
                "sequence": 0,
                "timing_sequence": 0,
                "version": 1,
                "created_at": booked,
                "updated_at": booked,
            }

    return _bulk_insert(engine, Appointment, appointments())


def snapshot_outbox(engine: Engine) -> None:
    """Keep the rows the sweep made, so every delivery stage starts from the same outbox."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_outbox AS SELECT * FROM notifications"))


def reseed_outbox(engine: Engine) -> None:
    """Put back the N pending notifications the sweep made, on a freshly emptied table, and
    refresh the planner's statistics (as autovacuum would) so no stage inherits bloat."""
    empty = (
        "TRUNCATE notifications"
        if engine.dialect.name == "postgresql"
        else ("DELETE FROM notifications")
    )
    with engine.begin() as connection:
        connection.execute(text(empty))
        connection.execute(text("INSERT INTO notifications SELECT * FROM bench_outbox"))
        connection.execute(text("ANALYZE notifications"))


# --- The stages -------------------------------------------------------------------------


def create_reminders(session_factory: sessionmaker) -> int:
    with session_factory.begin() as session:
        return reminders.appointment_reminders(session, now=NOW, offsets=OFFSETS)


def deliver_with_orm(
    session_factory: sessionmaker, sender: RecordingSender, batch_size: int, size: int
) -> int:
    report = dispatcher.dispatch_due(
        session_factory,
        [sender],
        now=NOW,
        batch_size=batch_size,
        max_batches=size // batch_size + 2,
    )
    return report.sent


@dataclass
class Claimed:
    id: Any
    user_id: Any
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    urgent: bool
    attempts: int
    delivered: list[str]


class PostgresOutbox:
    """The dispatcher's claim loop in plain SQL through psycopg: one statement claims a
    batch, one reads the devices, one records every outcome."""

    CLAIM = """
        WITH due AS (
            SELECT id FROM notifications
            WHERE delivery_status = 'pending' AND urgent = %(urgent)s
              AND deliver_after <= %(now)s
            ORDER BY deliver_after, id
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED)
        UPDATE notifications n
        SET delivery_status = 'sending', lease_until = %(lease_until)s,
            attempts = n.attempts + 1
        FROM due WHERE n.id = due.id
        RETURNING n.id, n.user_id, n.kind, n.title, n.body, n.data, n.urgent, n.attempts,
                  n.delivered_device_ids"""
    DEVICES = """
        SELECT user_id, id, platform, push_token FROM devices
        WHERE user_id = ANY(%s) AND disabled_at IS NULL"""
    # Only the lease holder records the outcome, as in the dispatcher.
    MARK_SENT = """
        UPDATE notifications n
        SET delivery_status = 'sent', sent_at = %(now)s, last_error = NULL,
            lease_until = NULL, delivered_device_ids = outcome.delivered::json
        FROM unnest(%(ids)s::uuid[], %(delivered)s::text[], %(attempts)s::int[])
             AS outcome(id, delivered, attempts)
        WHERE n.id = outcome.id AND n.delivery_status = 'sending'
          AND n.attempts = outcome.attempts"""

    def __init__(self, url: URL) -> None:
        self.connection = psycopg.connect(_libpq(url))

    def claim(self, batch_size: int) -> tuple[list[Claimed], list[tuple]]:
        with self.connection.transaction():
            claimed: list[Claimed] = []
            for urgent in (True, False):  # as the dispatcher: each in the index's order
                claimed += [
                    Claimed(*row)
                    for row in self.connection.execute(
                        self.CLAIM,
                        {
                            "now": NOW,
                            "urgent": urgent,
                            "limit": batch_size - len(claimed),
                            "lease_until": NOW + dispatcher.LEASE,
                        },
                    )
                ]
                if len(claimed) >= batch_size:
                    break
            devices = (
                self.connection.execute(self.DEVICES, ([c.user_id for c in claimed],)).fetchall()
                if claimed
                else []
            )
        return claimed, devices

    def mark_sent(self, claimed: list[Claimed]) -> None:
        with self.connection.transaction():
            self.connection.execute(
                self.MARK_SENT,
                {
                    "now": NOW,
                    "ids": [c.id for c in claimed],
                    "delivered": [json.dumps(c.delivered) for c in claimed],
                    "attempts": [c.attempts for c in claimed],
                },
            )

    def close(self) -> None:
        self.connection.close()


class SqliteOutbox:
    """The same loop through the sqlite3 module: a claiming UPDATE ... RETURNING, and the
    outcomes with executemany (one prepared statement, run in-process)."""

    CLAIM = """
        UPDATE notifications
        SET delivery_status = 'sending', lease_until = :lease_until, attempts = attempts + 1
        WHERE id IN (SELECT id FROM notifications
                     WHERE delivery_status = 'pending' AND urgent = :urgent
                       AND deliver_after <= :now
                     ORDER BY deliver_after, id LIMIT :limit)
        RETURNING id, user_id, kind, title, body, data, urgent, attempts,
                  delivered_device_ids"""
    DEVICES = """
        SELECT user_id, id, platform, push_token FROM devices
        WHERE user_id IN (SELECT value FROM json_each(?)) AND disabled_at IS NULL"""
    MARK_SENT = """
        UPDATE notifications
        SET delivery_status = 'sent', sent_at = ?, last_error = NULL, lease_until = NULL,
            delivered_device_ids = ?
        WHERE id = ? AND delivery_status = 'sending' AND attempts = ?"""

    def __init__(self, url: URL) -> None:
        self.connection = sqlite3.connect(url.database, isolation_level=None, timeout=30)

    @staticmethod
    def _stamp(moment: datetime) -> str:
        # How SQLAlchemy stores a UTC timestamp on SQLite (see youthapp.db.UTCDateTime).
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def claim(self, batch_size: int) -> tuple[list[Claimed], list[tuple]]:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        rows: list[tuple] = []
        for urgent in (1, 0):  # as the dispatcher: each in the index's order
            rows += cursor.execute(
                self.CLAIM,
                {
                    "now": self._stamp(NOW),
                    "urgent": urgent,
                    "limit": batch_size - len(rows),
                    "lease_until": self._stamp(NOW + dispatcher.LEASE),
                },
            ).fetchall()
            if len(rows) >= batch_size:
                break
        claimed = [
            Claimed(
                id_,
                user_id,
                kind,
                title,
                body,
                json.loads(data),
                bool(urgent),
                attempts,
                json.loads(delivered),
            )
            for id_, user_id, kind, title, body, data, urgent, attempts, delivered in rows
        ]
        devices = (
            cursor.execute(self.DEVICES, (json.dumps([c.user_id for c in claimed]),)).fetchall()
            if claimed
            else []
        )
        cursor.execute("COMMIT")
        return claimed, devices

    def mark_sent(self, claimed: list[Claimed]) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        sent_at = self._stamp(NOW)
        cursor.executemany(
            self.MARK_SENT, [(sent_at, json.dumps(c.delivered), c.id, c.attempts) for c in claimed]
        )
        cursor.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def deliver_with_raw_sql(
    outbox: PostgresOutbox | SqliteOutbox, sender: RecordingSender, batch_size: int
) -> int:
    """Claim, push every message to its user's devices, record: as the dispatcher does for
    an all-successful batch, with no ORM in between."""
    sent = 0
    while True:
        claimed, device_rows = outbox.claim(batch_size)
        if not claimed:
            return sent
        devices: dict[Any, list[tuple]] = defaultdict(list)
        for user_id, device_id, device_platform, push_token in device_rows:
            devices[user_id].append((str(device_id), device_platform, push_token))
        for notification in claimed:
            message = PushMessage(
                notification_id=str(notification.id),
                kind=notification.kind,
                title=notification.title,
                body=notification.body,
                data={k: str(v) for k, v in (notification.data or {}).items()},
                urgent=notification.urgent,
            )
            for device_id, device_platform, push_token in devices.get(notification.user_id, []):
                if device_platform in sender.platforms and device_id not in notification.delivered:
                    if sender.send(push_token, message) is Outcome.DELIVERED:
                        notification.delivered.append(device_id)
        outbox.mark_sent(claimed)
        sent += len(claimed)
        if len(claimed) < batch_size:
            return sent


def _check_delivered(engine: Engine, sender: RecordingSender, size: int, stage: str) -> None:
    """Every reminder sent, each pushed exactly once: a fast wrong answer is no answer."""
    with engine.connect() as connection:
        sent = connection.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.delivery_status == "sent")
        )
    pushed = len({message.notification_id for _, message in sender.sent})
    if not (sent == size and pushed == size and len(sender.sent) == size):
        sys.exit(
            f"bench: {stage} delivered wrongly: {sent} rows marked sent, "
            f"{len(sender.sent)} pushes of {pushed} notifications, expected {size}"
        )


# --- The scheduler's memory, in a process of its own -----------------------------------


@dataclass
class SchedulerRun:
    young_people: int
    due: int
    rows_seeded: int
    database_mib: float
    seconds: float
    peak_at_start_kib: int
    peak_after_sweep_kib: dict[str, int]
    peak_kib: int

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def scheduler_database_url(url: URL) -> URL:
    """The scheduler stage's own database (or SQLite file) beside the main one."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        return url.set(database=str(path.with_stem(f"{path.stem}_scheduler")))
    return url.set(database=f"{url.database}_scheduler")


def database_mib(engine: Engine) -> float:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            size = connection.scalar(text("SELECT pg_database_size(current_database())"))
        else:
            path = Path(engine.url.database or "")
            # In WAL mode the newest pages are still in the -wal file.
            size = sum(file.stat().st_size for file in (path, Path(f"{path}-wal")) if file.exists())
    return size / 2**20


def seed_for_scheduler(engine: Engine, young_people: int, size: int) -> int:
    """The same seed as the main stages, spread over `young_people`, plus work for the
    sweeps that go through every young person: returns rows made."""
    migrations.upgrade(engine)
    mentor_id, person_ids = seed_people(engine, young_people)
    appointments = seed_appointments(engine, size, mentor_id, person_ids)
    sweep_work = seed_sweep_work(engine, mentor_id, person_ids)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    # Each young person: a record, an account and a device; and one mentor, in a team.
    return 3 * young_people + 2 + appointments + sweep_work


def seed_sweep_work(engine: Engine, mentor_id: uuid.UUID, person_ids: list[uuid.UUID]) -> int:
    """For each young person: a live assignment to the one mentor, a daily check-in at
    11:30 London time (so at NOW, 12:00, a prompt is due and still within its grace), and
    a plan not reviewed for 60 days with one goal past its target date (two plan reviews
    for the mentor). The mentor gets a device, so every message has somewhere to go."""
    started = NOW - timedelta(days=60)
    stamps = {"created_at": started, "updated_at": started}
    rows = _bulk_insert(
        engine,
        Device,
        [
            {
                "id": uuid.uuid4(),
                "user_id": mentor_id,
                "platform": "android",
                "push_token": "bench-token-mentor",
                "push_token_hash": hashlib.sha256(b"bench-token-mentor").hexdigest(),
                "last_seen_at": started,
                "disabled_at": None,
                **stamps,
            }
        ],
    )
    rows += _bulk_insert(
        engine,
        Assignment,
        (
            {
                "id": uuid.uuid4(),
                "young_person_id": person,
                "mentor_id": mentor_id,
                "specialty": "mental_health",
                "started_at": started,
                "assigned_by_id": mentor_id,
            }
            for person in person_ids
        ),
    )
    rows += _bulk_insert(
        engine,
        CheckInSchedule,
        (
            {
                "young_person_id": person,
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "local_time": CHECK_IN_AT,
                "timezone": "Europe/London",
                "grace_minutes": 60,
                "active": True,
                # From just before today's check-in, so no earlier day counts as missed.
                "effective_from": NOW - timedelta(minutes=40),
                "updated_at": started,
            }
            for person in person_ids
        ),
    )
    rows += _bulk_insert(
        engine,
        SupportPlan,
        ({"young_person_id": person, "version": 1, "updated_at": started} for person in person_ids),
    )
    rows += _bulk_insert(
        engine,
        Goal,
        (
            {
                "id": uuid.uuid4(),
                "young_person_id": person,
                "domain": "housing",
                "title": "Housing form",
                "description": "",
                "status": "in_progress",
                "target_date": date(2027, 1, 1),
                "position": 0,
                "created_by_id": mentor_id,
                "version": 1,
                **stamps,
            }
            for person in person_ids
        ),
    )
    return rows


def run_scheduler_process(url: URL) -> tuple[dict[str, Any], float]:
    """bench.scheduler_process on `url` at NOW: its JSON report and its wall-clock seconds."""
    command = [
        sys.executable,
        "-m",
        "bench.scheduler_process",
        "--database-url",
        url.render_as_string(hide_password=False),
        "--at",
        NOW.isoformat(),
    ]
    started = time.perf_counter()
    finished = subprocess.run(  # noqa: S603 - our own command line
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"bench: the scheduler process failed (exit {finished.returncode})")
    return json.loads(finished.stdout.strip().splitlines()[-1]), seconds


def _check_scheduler_delivered(
    engine: Engine, report: dict[str, Any], size: int, young_people: int
) -> None:
    """Every message made once, sent, and pushed to its one device once: `size` appointment
    reminders, a check-in prompt per young person and two plan reviews each for the
    mentor; nothing else in the outbox. A fast wrong answer is no answer."""
    one_device = func.json_array_length(Notification.delivered_device_ids) == 1
    with engine.connect() as connection:
        rows, sent = connection.execute(
            select(
                func.count(),
                func.count().filter(Notification.delivery_status == "sent", one_device),
            ).select_from(Notification)
        ).one()
    counts = report["counts"]
    made = {name: counts[name] for name in SWEEP_WORK}
    expected = {
        "appointment_reminders": size,
        "check_in_prompts": young_people,
        "plan_reviews": 2 * young_people,
        "missed_check_ins": 0,
    }
    total = size + 3 * young_people
    delivered, pushes = counts["delivered"], report["pushes"]
    if not (made == expected and delivered == pushes == rows == sent == total):
        sys.exit(
            f"bench: the scheduler process delivered wrongly: made {made}, {delivered} "
            f"delivered, {pushes} pushes; the outbox holds {rows} rows, {sent} sent to "
            f"exactly one device; expected {expected}, {total} in all"
        )


def measure_scheduler(url: URL, young_people: int, size: int) -> SchedulerRun:
    with fresh_database(url):
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            started = time.perf_counter()
            rows = seed_for_scheduler(engine, young_people, size)
            megabytes = database_mib(engine)
            print(
                f"  (seeding) {young_people:,} young people, {size:,} appointments: "
                f"{rows:,} rows, {megabytes:,.0f} MiB, {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            report, seconds = run_scheduler_process(url)
            _check_scheduler_delivered(engine, report, size, young_people)
        finally:
            engine.dispose()
    run = SchedulerRun(
        young_people,
        size,
        rows,
        megabytes,
        seconds,
        report["peak_at_start_kib"],
        report["peak_after_sweep_kib"],
        report["peak_kib"],
    )
    print(
        f"  scheduler process at {young_people:,} young people: {size:,} reminders "
        f"delivered in {seconds:.1f} s, peak RSS {run.peak_mib:,.0f} MiB",
        flush=True,
    )
    return run


def print_scheduler_report(runs: list[SchedulerRun]) -> None:
    print("\n== The scheduler process: one tick, every sweep then dispatch until drained")
    print(
        f"{'young people':>12}  {'due reminders':>13}  {'all messages':>12}  "
        f"{'rows seeded':>11}  {'database MiB':>12}  {'peak RSS MiB':>12}  {'seconds':>7}"
    )
    for run in runs:
        messages = run.due + 3 * run.young_people  # a prompt and two plan reviews each
        print(
            f"{run.young_people:>12,}  {run.due:>13,}  {messages:>12,}  "
            f"{run.rows_seeded:>11,}  {run.database_mib:>12,.0f}  {run.peak_mib:>12,.1f}  "
            f"{run.seconds:>7.1f}"
        )
    print_peak_by_step(runs)
    if len(runs) > 1:
        smallest = min(runs, key=lambda run: run.young_people)
        largest = max(runs, key=lambda run: run.young_people)
        ratio = largest.peak_kib / smallest.peak_kib
        print(
            f"peak at {largest.young_people:,} / peak at {smallest.young_people:,} young "
            f"people: {ratio:.2f}x (target <= {PEAK_RATIO_TARGET}x): "
            f"{'met' if ratio <= PEAK_RATIO_TARGET else 'missed'}"
        )
    print(
        "peak RSS: the child's own VmHWM from /proc/self/status, read as it finishes "
        "(os.wait4's ru_maxrss would count this process's memory too)"
    )


def print_peak_by_step(runs: list[SchedulerRun]) -> None:
    """The peak after each step, so a step whose memory grows with the data shows itself."""
    steps = ["start-up", *runs[0].peak_after_sweep_kib, "dispatch until drained"]

    def peak(run: SchedulerRun, step: str) -> int:
        if step == "start-up":
            return run.peak_at_start_kib
        if step == "dispatch until drained":
            return run.peak_kib
        return run.peak_after_sweep_kib[step]

    width = max(len(step) for step in steps)
    print(
        f"\n{'peak RSS MiB after':<{width}}  "
        + "  ".join(f"{f'{run.young_people:,} yp':>10}" for run in runs)
    )
    for step in steps:
        print(f"{step:<{width}}  " + "  ".join(f"{peak(run, step) / 1024:>10,.1f}" for run in runs))
    print()


# --- The machine and the report ---------------------------------------------------------


def machine(engine: Engine) -> list[tuple[str, str]]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            database = "PostgreSQL " + connection.scalar(text("SHOW server_version"))
        else:
            database = "SQLite " + connection.scalar(text("SELECT sqlite_version()"))
    return [
        ("nproc", str(len(os.sched_getaffinity(0)))),
        ("CPU", cpu),
        ("database", database),
        ("Python", platform.python_version()),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("psycopg", psycopg.__version__),
    ]


def print_report(bench: Bench, facts: list[tuple[str, str]]) -> None:
    memory = (
        "VmHWM from /proc/self/status, reset at the start of each stage"
        if bench.peak_is_per_stage
        else "ru_maxrss: the process's peak so far, not per stage"
    )
    print("\n== Results")
    width = max(len(stage.name) for stage in bench.stages)
    print(
        f"{'stage':<{width}}  {'rows':>8}  {'seconds':>8}  {'rows/s':>9}  "
        f"{'RSS at start MiB':>16}  {'peak RSS MiB':>12}"
    )
    for stage in bench.stages:
        print(
            f"{stage.name:<{width}}  {stage.rows:>8}  {stage.seconds:>8.2f}  "
            f"{stage.rate:>9,.0f}  {stage.start_rss_kib / 1024:>16,.0f}  "
            f"{stage.peak_rss_kib / 1024:>12,.0f}"
        )
    seeding = ", ".join(f"{s.name} {s.seconds:.1f} s" for s in bench.seeding)
    print(f"\nseeding (not measured above): {seeding}")
    print(f"peak RSS: {memory}")
    for name, value in facts:
        print(f"{name}: {value}")


# --- Command line -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reminders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--size",
        type=int,
        default=100_000,
        help="appointments with a reminder due (default 100000)",
    )
    parser.add_argument(
        "--young-people",
        type=int,
        default=1000,
        help="young people the appointments are spread over (default 1000)",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="a PostgreSQL database to create and drop, or a SQLite file "
        f"(default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--batch-sizes",
        default=BATCH_SIZES,
        metavar="N,N",
        help=f"batch sizes to deliver with, each in turn (default {BATCH_SIZES}; "
        f"the dispatcher's own default is {dispatcher.BATCH_SIZE})",
    )
    parser.add_argument(
        "--scheduler-sizes",
        default=SCHEDULER_SIZES,
        metavar="N,N",
        help="numbers of young people to run the scheduler process over, each with --size "
        f"reminders due, in a database of its own (default {SCHEDULER_SIZES}; '' skips it)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="write a cProfile .prof per measured stage to DIR "
        "(profiling slows every stage: not for the figures)",
    )
    args = parser.parse_args(argv)
    try:
        batch_sizes = [int(size) for size in args.batch_sizes.split(",")]
    except ValueError:
        parser.error("--batch-sizes takes whole numbers separated by commas, e.g. 200,1000")
    try:
        scheduler_sizes = [int(size) for size in args.scheduler_sizes.split(",") if size.strip()]
    except ValueError:
        parser.error("--scheduler-sizes takes whole numbers separated by commas, e.g. 1000,100000")
    if min(args.size, args.young_people, *batch_sizes, *scheduler_sizes) < 1:
        parser.error("--size, --young-people, --batch-sizes and --scheduler-sizes must be positive")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    url = make_url(args.database_url)
    bench = Bench(args.profile)
    load_at_start = os.getloadavg()[0]
    print(
        f"== {args.size} appointment reminders over {args.young_people} young people, "
        f"on {url.render_as_string(hide_password=True)}",
        flush=True,
    )
    with fresh_database(url):
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            session_factory = make_session_factory(engine)
            with bench.seeding_step("migrations"):
                migrations.upgrade(engine)
            with bench.seeding_step(f"{args.young_people} young people, accounts, devices"):
                mentor_id, person_ids = seed_people(engine, args.young_people)
            with bench.seeding_step(f"{args.size} appointments"):
                seed_appointments(engine, args.size, mentor_id, person_ids)
                with engine.begin() as connection:
                    connection.execute(text("ANALYZE"))

            created = bench.measure(
                "create (appointment_reminders)", lambda: create_reminders(session_factory)
            )
            if created.rows != args.size:
                sys.exit(f"bench: the sweep created {created.rows} reminders, expected {args.size}")
            with bench.seeding_step("outbox snapshot"):
                snapshot_outbox(engine)

            raw = PostgresOutbox if engine.dialect.name == "postgresql" else SqliteOutbox
            driver = "psycopg" if raw is PostgresOutbox else "sqlite3"
            for batch_size in batch_sizes:
                with bench.seeding_step(f"outbox for ORM {batch_size}"):
                    reseed_outbox(engine)
                sender = RecordingSender()
                bench.measure(
                    f"deliver ORM dispatch_due, batch {batch_size}",
                    lambda b=batch_size, s=sender: deliver_with_orm(
                        session_factory, s, b, args.size
                    ),
                )
                _check_delivered(engine, sender, args.size, f"ORM batch {batch_size}")

                with bench.seeding_step(f"outbox for raw {batch_size}"):
                    reseed_outbox(engine)
                sender, outbox = RecordingSender(), raw(url)
                try:
                    bench.measure(
                        f"deliver raw SQL ({driver}), batch {batch_size}",
                        lambda b=batch_size, s=sender, o=outbox: deliver_with_raw_sql(o, s, b),
                    )
                finally:
                    outbox.close()
                _check_delivered(engine, sender, args.size, f"raw batch {batch_size}")
            facts = machine(engine)
            # Other work on the machine skews every figure: show how busy it was.
            facts.append(
                (
                    "load average (1 min) at start, at end",
                    f"{load_at_start:.2f}, {os.getloadavg()[0]:.2f}",
                )
            )
        finally:
            engine.dispose()
    print_report(bench, facts)

    if scheduler_sizes:
        print(f"\n== The scheduler process over {args.scheduler_sizes} young people", flush=True)
        runs = [
            measure_scheduler(scheduler_database_url(url), young_people, args.size)
            for young_people in scheduler_sizes
        ]
        print_scheduler_report(runs)


if __name__ == "__main__":
    main()
