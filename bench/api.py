"""The API under load: throughput and latency of the endpoints a phone and a mentor use most,
beside the floors the same machine allows, worker memory, and how fast an urgent check-in
reaches the staff's push sender while the API is busy.

    .venv/bin/python -m bench.api [--sizes 1000,100000 | --size N] [--duration 10]
                                  [--concurrency 16]

Each size gets a table of its own, then the cross-size target compares every larger size
with the smallest. It creates (and drops) the databases youthapp_bench_api (freshly seeded
for each size) and youthapp_bench_pgbench on the PostgreSQL server at 127.0.0.1:5432, and
needs `wrk` and `pgbench` on PATH. bench/README.md says what each row means.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests
from flask_jwt_extended import create_access_token
from psycopg import sql
from sqlalchemy import func, select, text

from api import create_app
from api.extensions import Blueprint
from scheduler import runner
from scheduler.jobs import SchedulerContext
from youthapp import migrations
from youthapp.config import Settings
from youthapp.db import make_engine, make_session_factory
from youthapp.models import User
from youthapp.notify.senders import Outcome, PushMessage
from youthapp.services import people
from youthapp.services.passwords import PasswordHashing

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "youthapp_bench_api"
PGBENCH_DATABASE = "youthapp_bench_pgbench"
PASSWORD = "bench passphrase shared by every seeded account"  # noqa: S105 - a bench fixture
JWT_SECRET = "bench-only-signing-key-" + secrets.token_hex(24)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "load.lua"
MENTOR_EVERY = 20  # one mentor per 20 young people; each young person has two
TEAMS = 50  # young person i is in team i % TEAMS
COORDINATORS = TEAMS  # one a team: coordinator k in team k % TEAMS
GOALS, STEPS, APPOINTMENTS, CHECK_INS = 10, 5, 20, 200
THREADS, THREAD_MESSAGES = 200, 500  # young people 0..199 each have a 500-message thread
SPECIALTIES = ("mental_health", "substance_misuse", "housing", "employment")
SEED_CHUNK = 5000  # young people per INSERT ... SELECT for the big tables
BIG_TABLES = ("goals", "steps", "appointments", "check_ins")
SEEDED_TABLES = (
    "teams team_members young_people users assignments support_plans goals steps appointments "
    "check_ins alerts auth_sessions devices messages"
).split()
FOREIGN_KEY_SAMPLE_PAGES = 1000
TOKENS = 5000  # young people whose tokens the load walks through (all when fewer)
TARGET_PLAN_RATIO = 0.50
TARGET_CRISIS_RATIO = 0.50  # of the bare Flask endpoint's throughput
TARGET_PLAN_FLASK_RATIO = 0.10  # /me/plan, of the bare Flask endpoint's throughput
TARGET_TAIL = 4.0
TARGET_HELP_P99 = 2.0
TARGET_WORKER_MIB = 200
TARGET_SCALING = 0.80  # of the smallest size's throughput, at every larger size
DEFAULT_SIZES = [1000, 100000]


def _libpq(database: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


# --- A database of our own --------------------------------------------------------------


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    ident = sql.Identifier(name)
    with psycopg.connect(_libpq("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield name
    finally:
        with psycopg.connect(_libpq("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


# --- Seeding: server-side INSERT ... SELECT over generate_series ------------------------
# Ids are md5 of a readable key cast to uuid, so the bench can name any row without
# reading it back: team t is md5('team'||t), young person i md5('yp'||i), their account
# md5('ypu'||i), mentor j md5('m'||j), coordinator k md5('c'||k), a user's sign-in session
# md5('s'||user id).
#
# Young person i is in team i % TEAMS, coordinator k in team k % TEAMS, and each mentor in
# the teams of the young people assigned to them. Every young person keeps the borough
# 'Hackney' and no team holds a borough (team_boroughs stays empty): 50 teams are more than
# London's 33 boroughs, so they cannot each hold one, and nothing the bench requests works
# out a team from a borough (only a change of borough or of a team's boroughs does).

PEOPLE_SQL = """
INSERT INTO teams (id, name, created_at, updated_at)
SELECT md5('team'||t)::uuid, 'Team '||t, %(t)s, %(t)s
FROM generate_series(0, %(teams)s - 1) t;

INSERT INTO young_people (id, first_name, last_name, search_name, match_key, date_of_birth,
    borough, team_id, needs, status, activated_at, created_at, updated_at, consent_reporting,
    share_mental_health, share_substance_misuse, share_housing, share_employment)
SELECT md5('yp'||i)::uuid, 'Bench', 'Person'||i, 'bench person'||i, 'bench|person'||i,
    date '2010-01-01', 'Hackney', md5('team'||(i %% %(teams)s))::uuid,
    '[]'::json, 'active', %(t)s, %(t)s, %(t)s, true, true, true, true, true
FROM generate_series(0, %(n)s - 1) i;

INSERT INTO users (id, email, password_hash, role, display_name, is_active, specialty,
    discreet_mode, location_sharing, language, timezone, created_at, updated_at,
    young_person_id)
SELECT md5('ypu'||i)::uuid, 'yp'||i||'@bench.invalid', %(hash)s, 'young_person',
    'Person '||i, true, NULL, true, false, 'en', 'Europe/London', %(t)s, %(t)s,
    md5('yp'||i)::uuid
FROM generate_series(0, %(n)s - 1) i
UNION ALL
SELECT md5('m'||j)::uuid, 'mentor'||j||'@bench.invalid', %(hash)s, 'mentor',
    'Mentor '||j, true,
    (ARRAY['mental_health','substance_misuse','housing','employment'])[j %% 4 + 1],
    true, false, 'en', 'Europe/London', %(t)s, %(t)s, NULL
FROM generate_series(0, %(m)s - 1) j
UNION ALL
SELECT md5('c'||k)::uuid, 'coordinator'||k||'@bench.invalid', %(hash)s, 'coordinator',
    'Coordinator '||k, true, NULL, true, false, 'en', 'Europe/London', %(t)s, %(t)s, NULL
FROM generate_series(0, %(c)s - 1) k;

INSERT INTO assignments (id, young_person_id, mentor_id, specialty, started_at,
    assigned_by_id)
SELECT md5('a'||i||':'||k)::uuid, md5('yp'||i)::uuid, md5('m'||((i + k) %% %(m)s))::uuid,
    (ARRAY['mental_health','substance_misuse','housing','employment'])[((i + k) %% %(m)s) %% 4 + 1],
    %(t)s, md5('c0')::uuid
FROM generate_series(0, %(n)s - 1) i, generate_series(0, 1) k;

INSERT INTO team_members (user_id, team_id, joined_at)
SELECT md5('c'||k)::uuid, md5('team'||(k %% %(teams)s))::uuid, %(t)s
FROM generate_series(0, %(c)s - 1) k
UNION ALL
SELECT DISTINCT a.mentor_id, y.team_id, %(t)s
FROM assignments a JOIN young_people y ON y.id = a.young_person_id;

INSERT INTO support_plans (young_person_id, version, updated_at)
SELECT md5('yp'||i)::uuid, 1, %(t)s FROM generate_series(0, %(n)s - 1) i;

INSERT INTO alerts (id, young_person_id, kind, urgent, status, summary, details,
    occurrences, last_occurred_at, created_at, updated_at, resolved_at, resolution)
SELECT md5('al'||i)::uuid, md5('yp'||i)::uuid, 'missed_check_in', false,
    CASE WHEN i %% 5 = 0 THEN 'open' ELSE 'resolved' END, 'Missed a check-in',
    '{}'::json, 1, %(t)s - make_interval(hours => i %% 500),
    %(t)s - make_interval(hours => i %% 500),
    %(t)s, CASE WHEN i %% 5 = 0 THEN NULL ELSE %(t)s END,
    CASE WHEN i %% 5 = 0 THEN NULL ELSE 'staff' END
FROM generate_series(0, %(n)s - 1) i;

INSERT INTO auth_sessions (id, user_id, created_at, expires_at)
SELECT md5('s'||u.id)::uuid, u.id, %(t)s, %(t)s + interval '30 days' FROM users u;

INSERT INTO devices (id, user_id, platform, push_token, push_token_hash, last_seen_at,
    created_at, updated_at)
SELECT md5('d'||u.id)::uuid, u.id, 'android', 'bench-'||u.id,
    md5('d'||u.id)||md5('e'||u.id), %(t)s, %(t)s, %(t)s
FROM users u WHERE u.role IN ('mentor', 'coordinator');
"""

# Per chunk of young people [lo, hi): the tables with many rows each.
CHUNK_SQL = """
INSERT INTO goals (id, young_person_id, domain, title, description, status, position,
    created_by_id, version, created_at, updated_at)
SELECT md5('g'||i||':'||g)::uuid, md5('yp'||i)::uuid,
    (ARRAY['mental_health','substance_misuse','housing','employment'])[g %% 4 + 1],
    'Goal '||g, 'What this goal is about, in a sentence or two.',
    (ARRAY['not_started','in_progress','achieved','paused'])[g %% 4 + 1], g,
    md5('m'||(i %% %(m)s))::uuid, 1, %(t)s, %(t)s
FROM generate_series(%(lo)s, %(hi)s - 1) i, generate_series(0, %(goals)s - 1) g;

INSERT INTO steps (id, goal_id, young_person_id, title, due_date, done, position, version,
    created_at, updated_at)
SELECT md5('st'||i||':'||g||':'||s)::uuid, md5('g'||i||':'||g)::uuid, md5('yp'||i)::uuid,
    'Step '||s||' of goal '||g, date '2027-01-01' + g * 7 + s, s < 2, s, 1, %(t)s, %(t)s
FROM generate_series(%(lo)s, %(hi)s - 1) i, generate_series(0, %(goals)s - 1) g,
     generate_series(0, %(steps)s - 1) s;

INSERT INTO appointments (id, young_person_id, mentor_id, starts_at, ends_at,
    duration_minutes, mode, location, status, young_person_response, created_by_id,
    timing_set_at, sequence, timing_sequence, version, created_at, updated_at)
SELECT md5('ap'||i||':'||k)::uuid, md5('yp'||i)::uuid, md5('m'||(i %% %(m)s))::uuid,
    %(t)s + make_interval(days => (k - %(appointments)s / 2) * 7, secs => i %% 3600),
    %(t)s + make_interval(days => (k - %(appointments)s / 2) * 7, secs => i %% 3600 + 1800),
    30, 'in_person', 'Youth centre',
    CASE WHEN k < %(appointments)s / 2 THEN 'attended' ELSE 'scheduled' END, 'pending',
    md5('m'||(i %% %(m)s))::uuid, %(t)s - interval '60 days', 0, 0, 1, %(t)s - interval '60 days',
    %(t)s - interval '60 days'
FROM generate_series(%(lo)s, %(hi)s - 1) i, generate_series(0, %(appointments)s - 1) k;

INSERT INTO check_ins (id, young_person_id, client_ref, mood, feeling_safe, needs_help,
    note, alert_ids, created_at, updated_at)
SELECT md5('ci'||i||':'||k)::uuid, md5('yp'||i)::uuid, 'seed-'||k, k %% 5 + 1, true, false,
    CASE WHEN k %% 3 = 0 THEN 'A short note about the day.' END, '[]'::json,
    %(t)s - make_interval(hours => k * 12), %(t)s - make_interval(hours => k * 12)
FROM generate_series(%(lo)s, %(hi)s - 1) i, generate_series(0, %(check_ins)s - 1) k;
"""

# The first THREADS young people: a thread of THREAD_MESSAGES, the young person and their
# first mentor in turn, a minute apart, all read and answered.
MESSAGES_SQL = """
INSERT INTO messages (id, young_person_id, sender_id, sender_role, sender_name, body,
    client_ref, sent_at, updated_at, read_by_young_person_at, awaiting_answer)
SELECT md5('msg'||i||':'||k)::uuid, md5('yp'||i)::uuid,
    CASE WHEN k %% 2 = 0 THEN md5('ypu'||i)::uuid ELSE md5('m'||(i %% %(m)s))::uuid END,
    CASE WHEN k %% 2 = 0 THEN 'young_person' ELSE 'mentor' END,
    CASE WHEN k %% 2 = 0 THEN 'Person '||i ELSE 'Mentor '||(i %% %(m)s) END,
    'A message of a sentence or two, as a phone would send it, number '||k||'.',
    CASE WHEN k %% 2 = 0 THEN 'seed-'||k END,
    %(t)s - make_interval(mins => %(thread)s - k), %(t)s - make_interval(mins => %(thread)s - k),
    %(t)s, false
FROM generate_series(0, %(threads)s - 1) i, generate_series(0, %(thread)s - 1) k;
"""


@dataclass
class Seeded:
    size: int
    mentors: int
    rows: dict[str, int]
    seconds: float
    database_bytes: int


def mentors_for(size: int) -> int:
    return max(2, size // MENTOR_EVERY)


def seed(database: str, size: int) -> Seeded:
    started = time.perf_counter()
    engine = make_engine(f"{SERVER}/{database}")
    migrations.upgrade(engine)
    engine.dispose()
    # One Argon2 hash with the app's default cost, shared by every account.
    password_hash = PasswordHashing(Settings()).hash(PASSWORD)
    mentors = mentors_for(size)
    now = datetime.now(UTC).replace(microsecond=0)
    params = {
        "t": now,
        "n": size,
        "m": mentors,
        "c": COORDINATORS,
        "teams": TEAMS,
        "hash": password_hash,
        "goals": GOALS,
        "steps": STEPS,
        "appointments": APPOINTMENTS,
        "check_ins": CHECK_INS,
        "thread": THREAD_MESSAGES,
    }
    with psycopg.connect(_libpq(database), autocommit=True) as connection:
        prepare_bulk_load(connection)
        with connection.transaction():
            run_script(connection, PEOPLE_SQL, params)
        dropped_indexes = drop_indexes_for_load(connection, BIG_TABLES)
        for lo in range(0, size, SEED_CHUNK):
            hi = min(size, lo + SEED_CHUNK)
            with connection.transaction():
                run_script(connection, CHUNK_SQL, {**params, "lo": lo, "hi": hi})
            if size > SEED_CHUNK:
                _progress(f"seeded {hi:,}/{size:,} young people", started)
        with connection.transaction():
            run_script(connection, MESSAGES_SQL, {**params, "threads": min(THREADS, size)})
        for statement in dropped_indexes:
            connection.execute(statement)
        _progress(f"rebuilt {len(dropped_indexes)} indexes", started)
        connection.execute("RESET session_replication_role")
        check_foreign_keys(connection)
        connection.execute("VACUUM ANALYZE")
        rows = {table: count_rows(connection, table) for table in SEEDED_TABLES}
        database_bytes = connection.execute(
            "SELECT pg_database_size(current_database())"
        ).fetchone()[0]
    return Seeded(size, mentors, rows, time.perf_counter() - started, database_bytes)


def prepare_bulk_load(connection: psycopg.Connection) -> None:
    connection.execute("SET synchronous_commit = off")
    # 'replica' skips the foreign-key triggers, a lookup per key per row that makes the load
    # take 2.5 times as long. The rows are consistent by construction (every id is md5 of a
    # key from the same generate_series) and check_foreign_keys() checks a sample after.
    connection.execute("SET session_replication_role = replica")


def run_script(connection: psycopg.Connection, script: str, params: dict[str, Any]) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            connection.execute(statement, params)


def drop_indexes_for_load(connection: psycopg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop every index of `tables` that no foreign key relies on, those of primary keys and
    unique constraints included, and return the statements that make them again as the
    migrations did (the constraint's or the index's own definition, under its own name):
    one sorted build each after the load costs a fraction of millions of random-order
    insertions during it. Making them again also proves the seeded rows unique."""
    found = connection.execute(
        """
        SELECT owner.relname, index.relname, rule.conname,
               pg_get_constraintdef(rule.oid), pg_get_indexdef(index.oid)
        FROM pg_index
        JOIN pg_class index ON index.oid = pg_index.indexrelid
        JOIN pg_class owner ON owner.oid = pg_index.indrelid
        LEFT JOIN pg_constraint rule ON rule.conindid = index.oid AND rule.conrelid = owner.oid
        WHERE owner.relname = ANY(%s) AND owner.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (
              SELECT FROM pg_constraint foreign_key
              WHERE foreign_key.contype = 'f' AND foreign_key.conindid = index.oid)
        ORDER BY owner.relname, index.relname
        """,
        (list(tables),),
    ).fetchall()
    remake = []
    for table, index, constraint, constraint_definition, index_definition in found:
        if constraint:
            drop = sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}")
            connection.execute(drop.format(sql.Identifier(table), sql.Identifier(constraint)))
            add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(constraint)
            )
            remake.append(add.as_string(connection) + constraint_definition)
        else:
            connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
            remake.append(index_definition)
    return remake


def check_foreign_keys(connection: psycopg.Connection) -> None:
    """The foreign-key triggers were off while seeding: check every single-column foreign
    key on the rows of about FOREIGN_KEY_SAMPLE_PAGES pages of its table (all of a small
    one), drawn from all over it, and stop the run if any row points nowhere."""
    keys = connection.execute(
        """
        SELECT source.relname, target.relname, source_column.attname, target_column.attname
        FROM pg_constraint foreign_key
        JOIN pg_class source ON source.oid = foreign_key.conrelid
        JOIN pg_class target ON target.oid = foreign_key.confrelid
        JOIN pg_attribute source_column ON source_column.attrelid = foreign_key.conrelid
            AND source_column.attnum = foreign_key.conkey[1]
        JOIN pg_attribute target_column ON target_column.attrelid = foreign_key.confrelid
            AND target_column.attnum = foreign_key.confkey[1]
        WHERE foreign_key.contype = 'f' AND source.relnamespace = 'public'::regnamespace
          AND cardinality(foreign_key.conkey) = 1
        ORDER BY 1, 3
        """
    ).fetchall()
    for table, target, column, target_column in keys:
        dangling = connection.execute(
            sql.SQL(
                "SELECT count(*) FROM {table} TABLESAMPLE SYSTEM (least(100, 100.0 * {pages} "
                "/ greatest(1, pg_relation_size({name}) / current_setting('block_size')::int))) "
                "WHERE {column} IS NOT NULL AND NOT EXISTS "
                "(SELECT FROM {target} WHERE {target}.{target_column} = {table}.{column})"
            ).format(
                table=sql.Identifier(table),
                pages=sql.Literal(FOREIGN_KEY_SAMPLE_PAGES),
                name=sql.Literal(table),
                column=sql.Identifier(column),
                target=sql.Identifier(target),
                target_column=sql.Identifier(target_column),
            )
        ).fetchone()[0]
        if dangling:
            sys.exit(f"bench: seeded {table}.{column} has {dangling} rows with no {target} row")


def count_rows(connection: psycopg.Connection, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    return connection.execute(query).fetchone()[0]


def _progress(what: str, started: float) -> None:
    print(f"  {what} ({time.perf_counter() - started:.0f} s)", flush=True)


# --- The coordinator's scope: its plan -----------------------------------------------

SCOPE_INDEX = "ix_young_people_team_by_name"
SERIAL = "max_parallel_workers_per_gather = 0"
SMALL_SORT = 100  # rows: a team this small may be sorted (the planner's cheaper choice)
_SORT = re.compile(r"^\s*(->\s*)?(Incremental )?Sort\b", re.MULTILINE)
_ROWS = re.compile(r"->.*\(actual time=[\d.]+\.\.[\d.]+ rows=(\d+)")


@dataclass
class ScopePlan:
    """EXPLAIN (ANALYZE, BUFFERS) of the two statements of a coordinator's first page of
    GET /young-people, the page and its count, as the route builds them: as the server plans
    them, and again with no parallel workers (a busy server may have none to give). "met"
    when all four walk SCOPE_INDEX, the team's list in its own order, with no Sort and no
    Seq Scan on young_people; a team of at most SMALL_SORT young people may be sorted
    instead (at 1,000 young people a team is 20, and sorting them is the cheaper plan)."""

    coordinator: str
    plans: dict[str, str]  # "list" / "count" -> the plan's text
    serial: dict[str, str]  # the same, planned with SERIAL

    @staticmethod
    def sorted_rows(plan: str) -> int | None:
        """How many rows the plan's first Sort sorts (None: no Sort)."""
        found = _SORT.search(plan)
        if not found:
            return None
        below = _ROWS.search(plan, found.end())
        return int(below.group(1)) if below else 0

    @classmethod
    def walks(cls, plan: str) -> bool:
        return SCOPE_INDEX in plan and not re.search(r"Seq Scan on young_people\b", plan)

    @classmethod
    def fine(cls, plan: str) -> bool:
        if re.search(r"Seq Scan on young_people\b", plan):
            return False
        rows = cls.sorted_rows(plan)
        return cls.walks(plan) if rows is None else rows <= SMALL_SORT

    @property
    def ok(self) -> bool:
        return all(self.fine(plan) for plan in (*self.plans.values(), *self.serial.values()))

    @classmethod
    def summary(cls, plans: dict[str, str]) -> str:
        def said(plan: str) -> str:
            if "Seq Scan on young_people" in plan:
                return "Seq Scan on young_people"
            rows = cls.sorted_rows(plan)
            if rows is not None:
                return f"sorts {rows:,} rows" + (" (a small team)" if rows <= SMALL_SORT else "")
            return f"walks {SCOPE_INDEX}, no Sort" if cls.walks(plan) else "no index walk"

        return "; ".join(
            f"{name}: {said(plan)}, {_execution_ms(plan)}" for name, plan in plans.items()
        )


def _execution_ms(plan: str) -> str:
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return f"{float(found.group(1)):.1f} ms" if found else "? ms"


def coordinator_scope_plan(database: str, coordinator_key: str = "c0") -> ScopePlan:
    """The plans of the statements GET /young-people sends for a coordinator's first page,
    made with the app's own code: services.people.young_people_query (the route's query,
    over access.young_people_listed_for, which reads the coordinator's teams first: that
    statement is sent, not explained) with the page's LIMIT/OFFSET, and the count that
    api.pagination wraps round it; compiled by the engine's PostgreSQL dialect and EXPLAINed
    on the same engine, then again with SERIAL."""
    engine = make_engine(f"{SERVER}/{database}")
    page_size = Blueprint.DEFAULT_PAGINATION_PARAMETERS["page_size"]
    plans: dict[str, str] = {}
    serial: dict[str, str] = {}
    try:
        with make_session_factory(engine)() as session:
            coordinator = session.get(User, uuid.UUID(bytes=_md5(coordinator_key)))
            if coordinator is None or coordinator.role != "coordinator":
                sys.exit(f"bench: no seeded coordinator {coordinator_key!r}")
            query = people.young_people_query(session, coordinator)
            statements = {
                "list": query.limit(page_size).offset(0),
                "count": select(func.count()).select_from(query.order_by(None).subquery()),
            }
            connection = session.connection()
            for found in (plans, serial):
                if found is serial:
                    connection.exec_driver_sql(f"SET LOCAL {SERIAL}")
                for name, statement in statements.items():
                    compiled = statement.compile(dialect=engine.dialect)
                    rows = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params
                    )
                    found[name] = "\n".join(line for (line,) in rows)
            session.rollback()
    finally:
        engine.dispose()
    return ScopePlan(coordinator_key, plans, serial)


def print_scope_plan(plan: ScopePlan) -> None:
    """The verdict now; the plans themselves are in the size's report."""
    print(
        f"  coordinator scope: {plan.summary(plan.plans)}: {verdict(plan.ok)} "
        f"(with {SERIAL}: {plan.summary(plan.serial)})",
        flush=True,
    )


# --- Tokens -----------------------------------------------------------------------------


def mint_tokens(database: str, user_keys: list[str]) -> list[str]:
    """Access tokens for seeded users, minted with the app's own JWT setup and secret.
    `user_keys` are the md5 keys of the users ('ypu7', 'm3'); each token names the user's
    seeded sign-in session, as a login would."""
    settings = Settings(
        environment="test",
        log_level="WARNING",
        instance_path=Path(tempfile.gettempdir()).resolve(),
        database_url=f"{SERVER}/{database}",
        jwt_secret_key=JWT_SECRET,
    )
    app = create_app(settings)
    with psycopg.connect(_libpq(database)) as connection:
        ids = connection.execute(
            "SELECT k, md5(k)::uuid FROM unnest(%s::text[]) k", (user_keys,)
        ).fetchall()
    tokens = []
    with app.app_context():
        for _, user_id in ids:
            session_id = uuid.UUID(bytes=_md5(f"s{user_id}"))
            tokens.append(
                create_access_token(
                    str(user_id),
                    additional_claims={"sid": str(session_id)},
                    expires_delta=timedelta(hours=6),
                )
            )
    app.extensions["youthapp"].engine.dispose()
    return tokens


def _md5(value: str) -> bytes:
    import hashlib

    return hashlib.md5(value.encode()).digest()  # noqa: S324 - ids, not security


# --- gunicorn ---------------------------------------------------------------------------


@dataclass
class Gunicorn:
    workers: int
    threads: int

    @property
    def description(self) -> str:
        return (
            f"gunicorn {self.workers} workers x {self.threads} threads (gthread), "
            "keep-alive 5 s, no access log"
        )

    @contextmanager
    def serve(self, target: str, env: dict[str, str]) -> Iterator[Server]:
        port = _free_port()
        log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--keep-alive",
                "5",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                target,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            server.wait_ready()
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Any

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                sys.exit(f"bench: gunicorn stopped at start-up:\n{self.log.read()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", int(self.url.rsplit(":", 1)[1])), 1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            # Every worker has imported the app once the port answers and workers exist.
            if len(self.worker_pids()) >= 1:
                time.sleep(1.0)
                return
        sys.exit("bench: gunicorn did not start within 60 s")

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def wait_idle(self, limit: float = 120.0) -> None:
        """Until the workers have used no CPU for half a second: requests queued by a load
        that has ended (slow logins) must not be counted against the next one."""
        deadline = time.monotonic() + limit
        last = self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_ticks()
            if now - last <= 1:
                return
            last = now

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def worker_peaks_mib(self) -> list[float]:
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- wrk --------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    note: str = ""
    group: str = "api"
    per_round: list[float] = field(default_factory=list)  # req/s of each round

    @property
    def rps(self) -> float:
        if self.per_round:
            return statistics.median(self.per_round)
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def measured(self) -> bool:
        return self.requests > 0 and not self.note.startswith("not measured")


@dataclass
class Load:
    duration: int
    concurrency: int
    threads: int = 2
    rounds: int = 3
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-api-")))

    def lines_file(self, name: str, lines: list[str]) -> Path:
        path = self.workdir / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        return path

    def run(
        self,
        name: str,
        base_url: str,
        path: str,
        kind: str,
        lines: Path,
        *,
        group: str = "api",
        duration: int | None = None,
        warmup: int = 2,
    ) -> Result:
        env = {
            **os.environ,
            "BENCH_LINES": str(lines),
            "BENCH_KIND": kind,
            "BENCH_PATH": path,
            "BENCH_PASSWORD": PASSWORD,
        }

        def wrk(seconds: int) -> dict[str, Any] | str:
            env["BENCH_NONCE"] = secrets.token_hex(4)
            completed = subprocess.run(  # noqa: S603 - our own command line
                [
                    shutil.which("wrk") or "wrk",
                    "--threads",
                    str(self.threads),
                    "--connections",
                    str(self.concurrency),
                    "--duration",
                    f"{seconds}s",
                    "--timeout",
                    "10s",
                    "--script",
                    str(LUA),
                    base_url + path,
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            match = re.search(r"^BENCH_RESULT (.*)$", completed.stdout, re.MULTILINE)
            if completed.returncode or not match:
                return f"wrk failed: {completed.stderr.strip()[-300:] or completed.stdout[-300:]}"
            return json.loads(match.group(1))

        if not shutil.which("wrk"):
            return Result(name, note="not measured: wrk is not installed", group=group)
        if warmup:
            wrk(warmup)
        outcome = wrk(duration or self.duration)
        if isinstance(outcome, str):
            return Result(name, note=f"not measured: {outcome}", group=group)
        errors = sum(outcome[k] for k in ("connect", "read", "write", "status", "timeout"))
        result = Result(
            name,
            requests=outcome["requests"],
            seconds=outcome["duration_us"] / 1e6,
            errors=errors,
            p50_ms=outcome["p50_us"] / 1000,
            p99_ms=outcome["p99_us"] / 1000,
            group=group,
        )
        if outcome["status"]:
            result.note = f"{outcome['status']} non-2xx answers"
        print(
            f"  {name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, errors {errors}",
            flush=True,
        )
        return result

    def check(self, base_url: str, path: str, kind: str, lines: Path) -> str | None:
        """One request as wrk would make it: None if it answers 2xx, else why not."""
        value = lines.read_text().split("\n", 1)[0]
        headers = {}
        body = None
        url = base_url + path + (value if kind == "pk" else "")
        if kind == "sync":
            value, cursor = value.split(" ")
            url += f"?since={cursor}"
        if kind in ("get", "revalidate", "checkin", "sync", "message"):
            headers["Authorization"] = f"Bearer {value}"
        if kind == "revalidate":
            headers["If-None-Match"] = '"1"'  # every seeded plan is at version 1
        if kind == "login":
            body = {"email": value, "password": PASSWORD}
        elif kind == "message":
            body = {"client_ref": "check-" + secrets.token_hex(6), "body": "Are you there?"}
        elif kind == "checkin":
            body = {
                "client_ref": "check-" + secrets.token_hex(6),
                "mood": 3,
                "feeling_safe": True,
                "needs_help": False,
            }
        answer = requests.request(
            "POST" if body else "GET", url, headers=headers, json=body, timeout=30
        )
        expected = 304 if kind == "revalidate" else None
        if answer.status_code >= 300 and answer.status_code != expected:
            return f"{answer.status_code} {answer.text[:200]}"
        if expected and answer.status_code != expected:
            return f"{answer.status_code}, not {expected}"
        return None


# --- pgbench ----------------------------------------------------------------------------


def pgbench(load: Load, scale: int) -> Result:
    name = f"pgbench -S (scale {scale})"
    if not shutil.which("pgbench"):
        return Result(name, note="not measured: pgbench is not installed", group="baseline")
    with fresh_database(PGBENCH_DATABASE):
        base = [shutil.which("pgbench") or "pgbench", "-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(  # noqa: S603
            [*base, "-i", "-q", "-s", str(scale), PGBENCH_DATABASE],
            check=True,
            capture_output=True,
        )
        completed = subprocess.run(  # noqa: S603
            [
                *base,
                "-S",
                "-n",
                "-c",
                str(load.concurrency),
                "-j",
                str(load.threads),
                "-T",
                str(load.duration),
                "-r",
                PGBENCH_DATABASE,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    tps = re.search(r"tps = ([\d.]+)", completed.stdout)
    transactions = re.search(r"number of transactions actually processed: (\d+)", completed.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", completed.stdout)
    if not (tps and transactions):
        return Result(name, note=f"not measured: {completed.stderr[-200:]}", group="baseline")
    requests = int(transactions.group(1))
    result = Result(
        name,
        requests=requests,
        seconds=requests / float(tps.group(1)),
        note=f"mean latency {latency.group(1) if latency else '?'} ms (no percentiles)",
        group="baseline",
    )
    print(f"  {name}: {result.rps:,.0f} tps", flush=True)
    return result


# --- Help latency: urgent check-ins to the push sender, under load ----------------------


class TimingSender:
    """Records when each staff alert notification is handed over, by alert id."""

    platforms = ("ios", "android", "web")

    def __init__(self) -> None:
        self.handed: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def send(self, push_token: str, message: PushMessage) -> Outcome:
        alert_id = (message.data or {}).get("alert_id")
        if alert_id:
            with self.lock:
                self.handed.setdefault(str(alert_id), []).append(time.perf_counter())
        return Outcome.DELIVERED


def help_latency(
    database: str,
    server: Server,
    load: Load,
    background: tuple[str, str, Path],
    probes: list[tuple[str, str]],
) -> tuple[list[float], list[float], int, Result]:
    """Run the scheduler's own delivery loop (LISTEN/NOTIFY, dispatch_due) in this process
    with a timing sender, put the API under `background` load with wrk, and meanwhile post
    one urgent check-in (needs_help) every 0.25 s, each from a different young person.
    Returns the seconds from each POST to its first and to its last staff push."""
    settings = Settings(
        environment="test",
        log_level="WARNING",
        database_url=f"{SERVER}/{database}",
        jwt_secret_key=JWT_SECRET,
    )
    logging.getLogger("youthapp").setLevel(logging.WARNING)
    engine = make_engine(settings.database_url)
    sender = TimingSender()
    context = SchedulerContext(settings, engine, make_session_factory(engine), [sender])
    stop = threading.Event()
    dispatcher = threading.Thread(target=runner._deliver_until_stopped, args=(context, stop))
    dispatcher.start()
    time.sleep(1.0)

    posted: dict[str, float] = {}  # young person's user id -> when the POST was sent
    failures: list[str] = []
    duration = load.duration + 4

    def post_probes() -> None:
        time.sleep(2.0)  # let the load get going
        with requests.Session() as client:
            for user_id, token in probes:
                started = time.perf_counter()
                answer = client.post(
                    server.url + "/api/v1/me/check-ins",
                    timeout=30,
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "client_ref": "urgent-" + secrets.token_hex(6),
                        "mood": 1,
                        "feeling_safe": True,
                        "needs_help": True,
                    },
                )
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code} {answer.text[:120]}")
                else:
                    posted[user_id] = started
                time.sleep(0.25)

    prober = threading.Thread(target=post_probes)
    prober.start()
    name, path, lines = background
    under = load.run(
        f"{name} (during help probes)", server.url, path, "get", lines, duration=duration, warmup=0
    )
    prober.join()
    time.sleep(3.0)  # what is still in flight
    stop.set()
    dispatcher.join(timeout=10)

    with engine.connect() as connection:
        owners = dict(
            connection.execute(
                text(
                    "SELECT a.id::text, u.id::text FROM alerts a "
                    "JOIN users u ON u.young_person_id = a.young_person_id "
                    "WHERE a.kind IN ('urgent_help', 'feeling_unsafe')"
                )
            ).all()
        )
    engine.dispose()
    first, last = [], []
    undelivered = 0
    for alert_id, user_id in owners.items():
        if user_id not in posted:
            continue
        times = sender.handed.get(alert_id)
        if not times:
            undelivered += 1
            continue
        first.append(min(times) - posted[user_id])
        last.append(max(times) - posted[user_id])
    undelivered += len(posted) - len({u for u in owners.values() if u in posted})
    if failures:
        print(f"  help probes refused: {failures[:3]}", flush=True)
    return first, last, undelivered + len(failures), under


# --- The report -------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with psycopg.connect(_libpq("postgres")) as connection:
        version = connection.execute("SHOW server_version").fetchone()[0]
    wrk_version = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "wrk", "--version"], capture_output=True, text=True, check=False
    )
    return [
        ("nproc", str(os.cpu_count())),
        ("CPU", cpu),
        ("memory", f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"),
        ("PostgreSQL", version),
        ("Python", sys.version.split()[0]),
        ("wrk", (wrk_version.stdout or wrk_version.stderr).split("\n")[0].strip()),
        ("load average (1 min) at the end", f"{os.getloadavg()[0]:.2f}"),
    ]


def row(result: Result) -> str:
    if not result.measured:
        return f"| {result.name} | — | — | — | — | {result.note} |"
    p50 = f"{result.p50_ms:.1f}" if result.p50_ms else "—"
    p99 = f"{result.p99_ms:.1f}" if result.p99_ms else "—"
    tail = f"{result.p99_ms / result.p50_ms:.1f}" if result.p50_ms else "—"
    note = result.note
    if result.errors and "non-2xx" not in note:
        note = (note + "; " if note else "") + f"{result.errors} errors"
    return f"| {result.name} | {result.rps:,.0f} | {p50} | {p99} | {tail} | {note} |"


def verdict(ok: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[ok]


@dataclass
class SizeRun:
    """Everything measured on one data set."""

    seeded: Seeded
    results: list[Result] = field(default_factory=list)
    memory: dict[str, list[float]] = field(default_factory=dict)
    help_first: list[float] = field(default_factory=list)
    help_last: list[float] = field(default_factory=list)
    help_lost: int = 0
    scope_plan: ScopePlan | None = None
    sync_unchanged_bytes: int = 0


def print_report(run: SizeRun, server_config: str, load: Load) -> str:
    seeded, results, memory = run.seeded, run.results, run.memory
    help_first, help_last, help_lost = run.help_first, run.help_last, run.help_lost
    out: list[str] = []
    out.append(
        f"API benchmark: {seeded.size:,} young people, {seeded.mentors:,} mentors, "
        f"{COORDINATORS} coordinators, {TEAMS} teams; {sum(seeded.rows.values()):,} rows seeded in "
        f"{seeded.seconds:.0f} s ({seeded.database_bytes / 2**20:,.0f} MiB)"
    )
    out.append("rows: " + ", ".join(f"{k} {v:,}" for k, v in seeded.rows.items()))
    out.append(f"server: {server_config}; YOUTHAPP_ENV=production, LOG_LEVEL=WARNING")
    out.append(
        f"load: wrk, {load.threads} threads, {load.concurrency} connections, "
        f"{load.duration} s per row after a 2 s warm-up, on the same machine; "
        f"{load.rounds} rounds, each row measured once in each: req/s, p50 and p99 are "
        "the medians of the rounds'"
    )
    out.append("")
    out.append("| endpoint | req/s | p50 ms | p99 ms | p99/p50 | note |")
    out.append("|---|---:|---:|---:|---:|---|")
    for result in results:
        out.append(row(result))
    out.append("")
    out.append("| gunicorn worker peak RSS (VmHWM) after the load | MiB per worker |")
    out.append("|---|---|")
    for name, peaks in memory.items():
        out.append(f"| {name} | {', '.join(f'{p:,.0f}' for p in peaks) or '—'} |")
    out.append("")
    if help_last:
        out.append(
            f"help latency (urgent POST /me/check-ins -> staff push handed to the sender, "
            f"{len(help_last)} probes under load): first push p50 "
            f"{statistics.median(help_first):.3f} s, p99 {percentile(help_first, 0.99):.3f} s; "
            f"all staff pushes p50 {statistics.median(help_last):.3f} s, "
            f"p99 {percentile(help_last, 0.99):.3f} s; not delivered: {help_lost}"
        )
    else:
        out.append("help latency: not measured (no probe was delivered)")

    by_name = {r.name: r for r in results}
    plan = by_name.get("GET /me/plan")
    raw = by_name.get("raw psycopg select by pk (Flask)")
    out.append("")
    out.append("| target | figure | verdict |")
    out.append("|---|---|---|")
    if plan and raw and plan.measured and raw.measured:
        ratio = plan.rps / raw.rps
        out.append(
            f"| /me/plan >= 50% of raw-psycopg throughput | {ratio:.0%} "
            f"({plan.rps:,.0f} / {raw.rps:,.0f}) | {verdict(ratio >= TARGET_PLAN_RATIO)} |"
        )
    else:
        out.append("| /me/plan >= 50% of raw-psycopg throughput | — | not measured |")
    crisis = by_name.get("GET /content/crisis")
    flask = by_name.get("bare Flask JSON")
    if plan and flask and plan.measured and flask.measured:
        ratio = plan.rps / flask.rps
        out.append(
            f"| /me/plan >= 10% of bare Flask throughput | {ratio:.1%} "
            f"({plan.rps:,.0f} / {flask.rps:,.0f}) | {verdict(ratio >= TARGET_PLAN_FLASK_RATIO)} |"
        )
    else:
        out.append("| /me/plan >= 10% of bare Flask throughput | — | not measured |")
    if crisis and flask and crisis.measured and flask.measured:
        ratio = crisis.rps / flask.rps
        out.append(
            f"| crisis contacts >= 50% of bare Flask throughput | {ratio:.0%} "
            f"({crisis.rps:,.0f} / {flask.rps:,.0f}) | {verdict(ratio >= TARGET_CRISIS_RATIO)} |"
        )
    else:
        out.append("| crisis contacts >= 50% of bare Flask throughput | — | not measured |")
    if run.sync_unchanged_bytes:
        size = run.sync_unchanged_bytes
        out.append(
            f"| a repeat of /me/sync with the cursor, nothing changed, < 1 KiB as sent | "
            f"{size:,} bytes (largest of {SYNC_CURSORS}) | {verdict(size < 1024)} |"
        )
    # Not targets: where the gap to the raw select goes (bench/README.md, "/me/plan").
    same_sql = by_name.get("/me/plan's SQL in raw psycopg (Flask)")
    unchanged = by_name.get("GET /me/plan, unchanged (If-None-Match: 304)")
    for label, figure, against in (
        ("/me/plan against its own SQL in raw psycopg", plan, same_sql),
        ("/me/plan 304 against raw-psycopg throughput", unchanged, raw),
    ):
        if figure and against and figure.measured and against.measured:
            out.append(
                f"| {label} | {figure.rps / against.rps:.0%} "
                f"({figure.rps:,.0f} / {against.rps:,.0f}) | (for reading) |"
            )
    for result in results:
        if result.group == "api" and result.measured and result.p50_ms:
            tail = result.p99_ms / result.p50_ms
            out.append(
                f"| p99 <= 4x p50: {result.name} | {tail:.1f}x | {verdict(tail <= TARGET_TAIL)} |"
            )
    api_peaks = memory.get("API, before the login load", [])
    login_peaks = memory.get("API, after the login load", [])
    if api_peaks:
        out.append(
            f"| worker peak RSS < {TARGET_WORKER_MIB} MB | {max(api_peaks):,.0f} MiB | "
            f"{verdict(max(api_peaks) < TARGET_WORKER_MIB)} |"
        )
    if login_peaks:
        out.append(
            f"| worker peak RSS < {TARGET_WORKER_MIB} MB, logins included | "
            f"{max(login_peaks):,.0f} MiB | {verdict(max(login_peaks) < TARGET_WORKER_MIB)} |"
        )
    if help_last:
        p99 = percentile(help_last, 0.99)
        out.append(
            f"| help latency p99 <= 2 s (all staff pushes) | {p99:.3f} s | "
            f"{verdict(p99 <= TARGET_HELP_P99 and not help_lost)} |"
        )
    else:
        out.append("| help latency p99 <= 2 s | — | not measured |")
    if scope := run.scope_plan:
        out.append(
            f"| coordinator scope walks {SCOPE_INDEX} in order (no Sort, no Seq Scan on "
            f"young_people), as planned and with {SERIAL} | {scope.summary(scope.plans)}; "
            f"with {SERIAL}: {scope.summary(scope.serial)} | {verdict(scope.ok)} |"
        )
    out.append(
        "| same endpoints at a larger size keep >= 80% of their throughput at the smallest "
        "| table after the last size | (across sizes) |"
    )
    out.append(
        "| reminders delivered >= 30% of the raw-SQL claim loop | bench.reminders table "
        "| (other benchmark) |"
    )
    if scope := run.scope_plan:
        for settings, plans in (("", scope.plans), (f", {SERIAL}", scope.serial)):
            for name, plan in plans.items():
                out.append("")
                out.append(
                    f"coordinator scope plan: {name} of GET /young-people's first page for "
                    f"{scope.coordinator}{settings}, EXPLAIN (ANALYZE, BUFFERS):"
                )
                out.append("    " + plan.replace("\n", "\n    "))
    out.append("")
    out.extend(f"{name}: {value}" for name, value in machine())
    report = "\n".join(out)
    print(f"\n== API results at {seeded.size:,} young people\n" + report, flush=True)
    return report


def print_scaling(runs: list[SizeRun]) -> str:
    """The cross-size target: each API endpoint at every larger size keeps at least
    TARGET_SCALING of its throughput at the smallest size, from this same run."""
    out: list[str] = []
    smallest, *larger = sorted(runs, key=lambda run: run.seeded.size)
    if not larger:
        out.append(
            f"same endpoints at a larger size keep >= {TARGET_SCALING:.0%} of their throughput "
            f"at {smallest.seeded.size:,}: not measured (one size; --sizes 1000,100000)"
        )
    for run in larger:
        out.append(
            f"same endpoints at {run.seeded.size:,} keep >= {TARGET_SCALING:.0%} of their "
            f"throughput at {smallest.seeded.size:,} (same run)"
        )
        out.append("")
        out.append(
            f"| endpoint | req/s at {smallest.seeded.size:,} | req/s at {run.seeded.size:,} "
            "| kept | verdict |"
        )
        out.append("|---|---:|---:|---:|---|")
        out.extend(scaling_rows(smallest.results, run.results))
        out.append("")
    report = "\n".join(out).rstrip()
    print("\n== API across sizes\n" + report, flush=True)
    return report


def scaling_rows(small: list[Result], large: list[Result]) -> list[str]:
    at_large = {result.name: result for result in large}
    rows = []
    for before in small:
        after = at_large.get(before.name)
        if before.group != "api" or after is None:
            continue
        if not (before.measured and after.measured):
            rows.append(f"| {before.name} | — | — | — | not measured |")
            continue
        kept = after.rps / before.rps
        rows.append(
            f"| {before.name} | {before.rps:,.0f} | {after.rps:,.0f} | {kept:.0%} "
            f"| {verdict(kept >= TARGET_SCALING)} |"
        )
    return rows


# --- One data set -----------------------------------------------------------------------

# Login last: Argon2 (64 MiB per hash) sets each worker's peak memory.
ENDPOINTS = (
    ("GET /me/plan", "/api/v1/me/plan", "get", "young"),
    ("GET /me/plan, unchanged (If-None-Match: 304)", "/api/v1/me/plan", "revalidate", "young"),
    ("GET /me/appointments", "/api/v1/me/appointments", "get", "young"),
    # Opening the app: everything in one answer; then a repeat with the cursor, nothing
    # having changed (young people without a thread, whom no other row changes).
    ("GET /me/sync (opening the app)", "/api/v1/me/sync", "get", "young"),
    ("GET /me/sync?since= (nothing changed)", "/api/v1/me/sync", "sync", "cursors"),
    ("GET /me/messages (a 500-message thread)", "/api/v1/me/messages", "get", "threads"),
    ("POST /me/check-ins", "/api/v1/me/check-ins", "checkin", "young"),
    ("POST /me/messages", "/api/v1/me/messages", "message", "threads"),
    ("GET /young-people (mentor)", "/api/v1/young-people", "get", "mentors"),
    ("GET /young-people (coordinator)", "/api/v1/young-people", "get", "coordinators"),
    # Signed out, as a phone asks before anything else: the stored answer (no database).
    ("GET /content/crisis", "/api/v1/content/crisis", "pk", "nothing"),
    ("GET /alerts (mentor)", "/api/v1/alerts", "get", "mentors"),
    ("POST /auth/login", "/api/v1/auth/login", "login", "emails"),
)
BASELINES = (
    ("bare WSGI", "bench.baselines:bare_wsgi", "/", "nothing"),
    ("bare Flask JSON", "bench.baselines:bare_flask", "/json", "nothing"),
    ("raw psycopg select by pk (Flask)", "bench.baselines:flask_pk", "/pk/", "people"),
    ("/me/plan's SQL in raw psycopg (Flask)", "bench.baselines:flask_plan_sql", "/plan/", "people"),
)
HELP_PROBES = 200  # young people kept out of the load to post the urgent check-ins
SYNC_CURSORS = 500  # young people whose "nothing changed" sync the load repeats


@dataclass
class Inputs:
    """What the load sends on one data set: a lines file per kind (tokens of young
    people, of mentors, emails, young people's ids) and the help probes' (user id, token)."""

    lines: dict[str, Path]
    probes: list[tuple[str, str]]
    cursor_tokens: list[str] = field(default_factory=list)
    sync_unchanged_bytes: int = 0  # the largest "nothing changed" answer, as sent


def prepare_inputs(load: Load, size: int, mentors: int) -> Inputs:
    # Tokens of many different young people; the last ones are kept for the help probes.
    probes_count = min(HELP_PROBES, max(1, size // 5))
    people = list(range(size))
    load_people = people[: max(1, size - probes_count)][:TOKENS]
    probe_people = people[size - probes_count :]
    thread_people = load_people[: min(THREADS, size)]
    cursor_people = load_people[min(THREADS, size) :][:SYNC_CURSORS] or load_people
    lines = {
        "young": mint_tokens(DATABASE, [f"ypu{i}" for i in load_people]),
        "threads": mint_tokens(DATABASE, [f"ypu{i}" for i in thread_people]),
        "mentors": mint_tokens(DATABASE, [f"m{j}" for j in range(mentors)]),
        "coordinators": mint_tokens(DATABASE, [f"c{k}" for k in range(COORDINATORS)]),
        "emails": [f"yp{i}@bench.invalid" for i in load_people[:1000]],
        "people": [str(uuid.UUID(bytes=_md5(f"yp{i}"))) for i in load_people],
        # The bare baselines request the path itself: one line, appended to nothing.
        "nothing": ["?"],
    }
    probe_ids = [str(uuid.UUID(bytes=_md5(f"ypu{i}"))) for i in probe_people]
    probe_tokens = mint_tokens(DATABASE, [f"ypu{i}" for i in probe_people])
    return Inputs(
        {name: load.lines_file(name, values) for name, values in lines.items()},
        list(zip(probe_ids, probe_tokens, strict=True)),
        cursor_tokens=mint_tokens(DATABASE, [f"ypu{i}" for i in cursor_people]),
    )


def take_cursors(server: Server, load: Load, inputs: Inputs) -> None:
    """Open the app once as each of the cursor people, keep the cursor, and ask again with
    it: the lines of the "nothing changed" row, and the size of that answer as sent."""
    lines, largest = [], 0
    with requests.Session() as http:
        http.headers["Accept-Encoding"] = "gzip, br"
        for token in inputs.cursor_tokens:
            auth = {"Authorization": f"Bearer {token}"}
            first = http.get(f"{server.url}/api/v1/me/sync", headers=auth, timeout=30)
            if first.status_code != 200:
                continue
            cursor = first.json()["cursor"]
            again = http.get(
                f"{server.url}/api/v1/me/sync", params={"since": cursor}, headers=auth, timeout=30
            )
            largest = max(largest, int(again.headers.get("Content-Length") or len(again.content)))
            lines.append(f"{token} {cursor}")
    inputs.lines["cursors"] = load.lines_file("cursors", lines or ["? ?"])
    inputs.sync_unchanged_bytes = largest


def server_env(load: Load) -> dict[str, str]:
    return {
        "YOUTHAPP_ENV": "production",
        "JWT_SECRET_KEY": JWT_SECRET,
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "LOG_LEVEL": "WARNING",
        "ACCESS_TOKEN_MINUTES": "360",
        "YOUTHAPP_INSTANCE_PATH": str(load.workdir / "instance"),
    }


def bench_size(size: int, load: Load, gunicorn: Gunicorn, pgbench_scale: int) -> SizeRun:
    print(f"== API benchmark at {size:,} young people", flush=True)
    with fresh_database(DATABASE):
        seeded = seed(DATABASE, size)
        print(
            f"  (seeding) {sum(seeded.rows.values()):,} rows in {seeded.seconds:.1f} s",
            flush=True,
        )
        run = SizeRun(seeded)
        run.scope_plan = coordinator_scope_plan(DATABASE)
        print_scope_plan(run.scope_plan)
        inputs = prepare_inputs(load, size, seeded.mentors)
        env = server_env(load)
        rounds: list[list[Result]] = []
        for number in range(1, load.rounds + 1):
            print(f"  round {number} of {load.rounds}", flush=True)
            results: list[Result] = []
            with gunicorn.serve("wsgi:app", env) as server:
                take_cursors(server, load, inputs)
                run.sync_unchanged_bytes = max(
                    run.sync_unchanged_bytes, inputs.sync_unchanged_bytes
                )
                measure_endpoints(server, load, inputs, results, run.memory)
                if number == 1:  # the help probes' figures are their own many samples
                    measure_help_latency(server, load, inputs, run)
            measure_baselines(gunicorn, env, load, inputs, results, run.memory)
            rounds.append(results)
        run.results[:0] = medians_of(rounds)
    run.results.append(pgbench(load, pgbench_scale))
    return run


def medians_of(rounds: list[list[Result]]) -> list[Result]:
    """Each row once: its req/s, p50 and p99 the medians of its rounds'."""
    combined = []
    for first in rounds[0]:
        runs = [r for results in rounds for r in results if r.name == first.name]
        measured = [r for r in runs if r.measured]
        if not measured:
            combined.append(first)
            continue
        notes = sorted({r.note for r in measured if r.note})
        combined.append(
            Result(
                first.name,
                requests=sum(r.requests for r in measured),
                seconds=sum(r.seconds for r in measured),
                errors=sum(r.errors for r in measured),
                p50_ms=statistics.median(r.p50_ms for r in measured),
                p99_ms=statistics.median(r.p99_ms for r in measured),
                note="; ".join([*notes, "rounds " + ", ".join(f"{r.rps:,.0f}" for r in measured)]),
                group=first.group,
                per_round=[r.rps for r in measured],
            )
        )
    return combined


def measure_endpoints(
    server: Server,
    load: Load,
    inputs: Inputs,
    results: list[Result],
    memory: dict[str, list[float]],
) -> None:
    for name, path, kind, lines_name in ENDPOINTS:
        lines = inputs.lines[lines_name]
        problem = load.check(server.url, path, kind, lines)
        if problem:
            results.append(Result(name, note=f"not measured: {problem}"))
            print(f"  {name}: not measured: {problem}", flush=True)
            continue
        server.wait_idle()
        results.append(load.run(name, server.url, path, kind, lines))
        server.wait_idle()
        if name == "GET /alerts (mentor)":
            memory["API, before the login load"] = server.worker_peaks_mib()
    memory["API, after the login load"] = server.worker_peaks_mib()


def measure_help_latency(server: Server, load: Load, inputs: Inputs, run: SizeRun) -> None:
    server.wait_idle()
    run.help_first, run.help_last, run.help_lost, under = help_latency(
        DATABASE,
        server,
        load,
        ("GET /me/plan", "/api/v1/me/plan", inputs.lines["young"]),
        inputs.probes,
    )
    under.group = "load"
    run.results.append(under)
    run.memory["API, after the help probes too"] = server.worker_peaks_mib()


def measure_baselines(
    gunicorn: Gunicorn,
    env: dict[str, str],
    load: Load,
    inputs: Inputs,
    results: list[Result],
    memory: dict[str, list[float]],
) -> None:
    for name, target, path, lines_name in BASELINES:
        lines = inputs.lines[lines_name]
        with gunicorn.serve(target, env) as server:
            problem = load.check(server.url, path, "pk", lines)
            if problem:
                results.append(Result(name, note=f"not measured: {problem}", group="baseline"))
                continue
            results.append(load.run(name, server.url, path, "pk", lines, group="baseline"))
            memory[name] = server.worker_peaks_mib()


# --- Command line -----------------------------------------------------------------------


def sizes_list(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive numbers: {text!r}")
    return sorted(set(sizes))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument(
        "--sizes",
        type=sizes_list,
        default=DEFAULT_SIZES,
        metavar="N,N",
        help="young people, one data set each, comma-separated (default 1000,100000)",
    )
    sizes.add_argument(
        "--size", type=sizes_list, dest="sizes", metavar="N", help="the same as --sizes N"
    )
    parser.add_argument(
        "--duration", type=int, default=5, help="seconds per row and round (default 5)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds; figures are their medians (default 3)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gunicorn worker (default 4)"
    )
    parser.add_argument("--pgbench-scale", type=int, default=10, help="pgbench -i -s (10)")
    parser.add_argument("--report", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if min(args.duration, args.rounds, args.concurrency, args.workers, args.threads) < 1:
        parser.error("every number must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    if not shutil.which("wrk"):
        print("  wrk is not installed (Debian: apt-get install wrk): load rows not measured")
    load = Load(args.duration, args.concurrency, rounds=args.rounds)
    gunicorn = Gunicorn(args.workers, args.threads)
    print(f"  load average (1 min) at start: {os.getloadavg()[0]:.2f}", flush=True)
    runs: list[SizeRun] = []
    reports: list[str] = []
    try:
        for size in args.sizes:
            runs.append(bench_size(size, load, gunicorn, args.pgbench_scale))
            reports.append(print_report(runs[-1], gunicorn.description, load))
    finally:
        shutil.rmtree(load.workdir, ignore_errors=True)
    reports.append(print_scaling(runs))
    if args.report:
        args.report.write_text("\n\n".join(reports) + "\n")


if __name__ == "__main__":
    main()
