"""`make soak`: the service in production shape under mixed traffic, with faults, and what
it must prove at the end (bench/README.md, "The soak").

    .venv/bin/python -m bench.soak [--phones 200] [--seconds 300] [--report FILE]

On a database of its own (youthapp_soak, dropped afterwards): two gunicorn instances and
two schedulers on one PostgreSQL, pushes to a stand-in for FCM that records every one.
200 simulated phones (sync, plan, appointments, check-ins with retries, urgent presses,
messages) and the staff (goal edits with If-Match, acknowledging alerts, answering
messages) for `--seconds`; in the middle one scheduler is killed with SIGKILL and started
again, and later every PostgreSQL backend of the API is terminated. Then the outbox is let
drain and the run proves:

- every check-in the phones made is stored exactly once (none lost, none doubled);
- every urgent notification was pushed exactly once to its recipient's device, and every
  urgent alert reached exactly the staff it should;
- every appointment reminder that fell due was delivered exactly once;
- no answer was a 500;

and prints the latencies (p50, p99) of each kind of request and of urgent pushes. Exits 1
if any proof fails. The whole run is bounded: 10 minutes by default.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.api import ROOT, Gunicorn, _libpq, fresh_database, percentile

DATABASE = "youthapp_soak"
PASSWORD = "soak passphrase shared by every account"  # noqa: S105 - a soak fixture
MENTORS, COORDINATORS = 20, 4
# One reminder an hour before, two hours before, ... ten: each mentor's ten appointments
# can then start an hour apart (no double-booking) and still all fall due during the run.
REMINDER_HOURS = range(1, 11)
ESCALATION_MINUTES = 2
SCHEDULER_RESTART_AFTER = 5.0


# --- The stand-in for FCM ---------------------------------------------------------------


@dataclass
class Push:
    token: str
    notification_id: str
    kind: str
    urgent: bool
    received: float  # time.time()


class PushSink:
    """Answers FCM's token endpoint and messages:send on 127.0.0.1, keeping every push."""

    def __init__(self) -> None:
        self.pushes: list[Push] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    answer = {"access_token": "soak", "expires_in": 3600, "token_type": "Bearer"}
                else:
                    message = json.loads(body)["message"]
                    sink.add(
                        Push(
                            message["token"],
                            message["data"]["notification_id"],
                            message["data"]["kind"],
                            message["android"]["priority"] == "high",
                            time.time(),
                        )
                    )
                    answer = {"name": f"projects/soak/messages/{uuid.uuid4()}"}
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, push: Push) -> None:
        with self._lock:
            self.pushes.append(push)

    def snapshot(self) -> list[Push]:
        with self._lock:
            return list(self.pushes)

    def service_account(self, directory: Path) -> Path:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path = directory / "service-account.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "soak",
                    "private_key_id": "soak",
                    "private_key": pem,
                    "client_email": "push@soak.iam.gserviceaccount.com",
                    "client_id": "1",
                    "token_uri": f"{self.url}/token",
                }
            )
        )
        return path


# --- The cast, made through the app itself ----------------------------------------------


@dataclass
class Person:
    """A signed-in user as the soak drives them."""

    user_id: str
    role: str
    access: str
    refresh: str
    push_token: str
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class Phone(Person):
    young_person_id: str = ""
    mentors: list[int] = field(default_factory=list)
    goal_ids: list[str] = field(default_factory=list)


@dataclass
class Cast:
    phones: list[Phone]
    mentors: list[Person]
    coordinators: list[Person]
    appointments: dict[str, datetime]  # appointment id -> when its reminder falls due


def soak_env(database: str, sink: PushSink, account_file: Path, role: str) -> dict[str, str]:
    return {
        "YOUTHAPP_ENV": "production",
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        f"?application_name=soak-{role}",
        "JWT_SECRET_KEY": "soak-only-signing-key-0123456789abcdef0123456789abcdef",
        "LOG_LEVEL": "WARNING",
        "FCM_PROJECT_ID": "soak-test-push",
        "FCM_SERVICE_ACCOUNT_FILE": str(account_file),
        "FCM_BASE_URL": sink.url,
        "WEBPUSH_ALLOW_LOOPBACK": "true",
        "SWEEP_SECONDS": "5",
        "ESCALATION_MINUTES": str(ESCALATION_MINUTES),
        "REMINDER_OFFSETS_MINUTES": ",".join(str(hours * 60) for hours in REMINDER_HOURS),
        "ACCESS_TOKEN_MINUTES": "60",
    }


def make_cast(env: dict[str, str], phones: int, window: tuple[float, float]) -> Cast:
    """Staff, referrals accepted and activated, devices, plans and one appointment each,
    made in-process through the app's own HTTP interface (a Flask test client)."""
    from api import create_app
    from youthapp import migrations
    from youthapp.config import load_settings
    from youthapp.services import accounts

    app = create_app(load_settings({**os.environ, **env}))
    runtime = app.extensions["youthapp"]
    migrations.upgrade(runtime.engine)
    client = app.test_client()

    def call(person: Person | None, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if person is not None:
            headers["Authorization"] = f"Bearer {person.access}"
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        if response.status_code >= 300:
            sys.exit(f"soak: seeding {method} {path}: {response.status_code} {response.text}")
        return response.get_json()

    def staff(role: str, n: int, **details: Any) -> Person:
        email = f"{role}{n}@soak.example.org"
        with runtime.session_factory.begin() as session:
            accounts.create_staff_user(
                session,
                runtime.hashing,
                None,
                {
                    "email": email,
                    "password": PASSWORD,
                    "display_name": f"{role} {n}",
                    "role": role,
                    **details,
                },
            )
        tokens = call(None, "POST", "/auth/login", json={"email": email, "password": PASSWORD})
        return registered(tokens, role)

    def registered(tokens: dict[str, Any], role: str) -> Person:
        kind = Phone if role == "young_person" else Person
        person = kind(
            tokens["user"]["id"],
            role,
            tokens["access_token"],
            tokens["refresh_token"],
            f"soak-{role}-{uuid.uuid4()}",
        )
        call(
            person,
            "POST",
            "/me/devices",
            json={"platform": "android", "push_token": person.push_token},
        )
        return person

    referrer = staff("referrer", 0, referrer_type="teacher", organisation="Soak Academy")
    coordinators = [staff("coordinator", n) for n in range(COORDINATORS)]
    specialties = ("mental_health", "substance_misuse", "housing", "employment")
    mentors = [staff("mentor", n, specialty=specialties[n % 4]) for n in range(MENTORS)]
    cast = Cast([], mentors, coordinators, {})
    for i in range(phones):
        referral = call(
            referrer,
            "POST",
            "/referrals",
            json={
                "first_name": "Soak",
                "last_name": f"Phone{i}",
                "date_of_birth": (date(2006, 1, 1) + timedelta(days=i)).isoformat(),
                "borough": "Hackney",
                "needs": ["housing"],
                "reason": "Soak test",
                "consent_obtained": True,
            },
        )
        enrolment = call(
            coordinators[0],
            "POST",
            f"/referrals/{referral['id']}/decision",
            json={"decision": "accept", "reason": "Soak"},
        )
        tokens = call(
            None,
            "POST",
            "/auth/activate",
            json={
                "activation_code": enrolment["activation_code"],
                "email": f"phone{i}@soak.example.org",
                "password": PASSWORD,
            },
        )
        phone = registered(tokens, "young_person")
        assert isinstance(phone, Phone)
        phone.young_person_id = enrolment["young_person_id"]
        phone.mentors = [i % MENTORS, (i + 1) % MENTORS]
        for m in phone.mentors:
            call(
                coordinators[0],
                "POST",
                f"/young-people/{phone.young_person_id}/assignments",
                json={"mentor_id": mentors[m].user_id},
            )
        first = mentors[phone.mentors[0]]
        for title in ("Somewhere safe to live", "Back into college"):
            goal = call(
                first,
                "POST",
                f"/young-people/{phone.young_person_id}/plan/goals",
                json={"domain": "housing", "title": title, "description": "Soak"},
            )
            phone.goal_ids.append(goal["id"])
            call(first, "POST", f"/goals/{goal['id']}/steps", json={"title": "First step"})
        cast.phones.append(phone)
    # Booked last, so that each reminder (`hours` before) falls due within the traffic
    # window, which starts a few seconds from now, when the servers are up.
    start = datetime.now(UTC)
    rng = random.Random(0)  # noqa: S311 - traffic, not secrets
    for i, phone in enumerate(cast.phones):
        hours = REMINDER_HOURS[(i // MENTORS) % len(REMINDER_HOURS)]
        due = start + timedelta(seconds=rng.uniform(*window))
        first = mentors[phone.mentors[0]]
        appointment = call(
            first,
            "POST",
            "/appointments",
            json={
                "young_person_id": phone.young_person_id,
                "mentor_id": first.user_id,
                "starts_at": (due + timedelta(hours=hours)).isoformat(),
                "duration_minutes": 30,
                "mode": "phone",
            },
        )
        cast.appointments[appointment["id"]] = due
    runtime.engine.dispose()
    return cast


# --- Processes --------------------------------------------------------------------------


class Scheduler:
    def __init__(self, env: dict[str, str], name: str, logs: Path) -> None:
        self.env, self.name, self.logs = env, name, logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.logs / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [str(ROOT / ".venv/bin/youthapp"), "scheduler", "run"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- Traffic ----------------------------------------------------------------------------


@dataclass
class Record:
    label: str
    status: int  # 0: no answer (connection refused, reset, timed out)
    seconds: float


class Traffic:
    def __init__(self, cast: Cast, servers: list[str], until: float) -> None:
        self.cast, self.servers, self.until = cast, servers, until
        self.records: list[Record] = []
        self.check_ins: dict[str, str] = {}  # client_ref -> the id answered
        self.check_ins_given_up: list[str] = []
        self.urgent_presses: dict[str, int] = defaultdict(int)  # young person -> presses
        self.left_to_escalate = {p.young_person_id for p in cast.phones[1::2]}
        self._lock = threading.Lock()

    def note(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def send(
        self,
        http: requests.Session,
        base: str,
        person: Person,
        label: str,
        method: str,
        path: str,
        **kwargs: Any,
    ) -> requests.Response | None:
        headers = kwargs.pop("headers", {})
        for _ in range(2):
            started = time.perf_counter()
            try:
                response = http.request(
                    method,
                    f"{base}/api/v1{path}",
                    timeout=30,
                    headers={**headers, "Authorization": f"Bearer {person.access}"},
                    **kwargs,
                )
            except requests.RequestException:
                self.note(Record(label, 0, time.perf_counter() - started))
                return None
            self.note(Record(label, response.status_code, time.perf_counter() - started))
            if response.status_code != 401:
                return response
            self.refresh(http, base, person)
        return response

    def refresh(self, http: requests.Session, base: str, person: Person) -> None:
        with person.lock:
            response = http.post(
                f"{base}/api/v1/auth/refresh",
                headers={"Authorization": f"Bearer {person.refresh}"},
                timeout=30,
            )
            if response.status_code == 200:
                tokens = response.json()
                person.access, person.refresh = tokens["access_token"], tokens["refresh_token"]

    def until_answered(
        self,
        http: requests.Session,
        base: str,
        person: Person,
        label: str,
        path: str,
        body: dict[str, Any],
        ok: tuple[int, ...] = (200, 201),
    ) -> requests.Response | None:
        """A phone's retry: the same request (same client_ref) until it is answered."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = self.send(http, base, person, label, "POST", path, json=body)
            if response is not None and response.status_code in ok:
                return response
            time.sleep(0.5)
        return None

    def phone(self, index: int) -> None:
        phone = self.cast.phones[index]
        base = self.servers[index % len(self.servers)]
        http = requests.Session()
        rng = random.Random(index)  # noqa: S311 - traffic, not secrets
        cursor, plan_tag, n = None, None, 0
        time.sleep(rng.uniform(0, 3))
        while time.time() < self.until:
            roll = rng.random()
            if roll < 0.30:
                response = self.send(
                    http,
                    base,
                    phone,
                    "GET /me/sync",
                    "GET",
                    "/me/sync",
                    params={"since": cursor} if cursor else {},
                )
                if response is not None and response.status_code == 200:
                    cursor = response.json()["cursor"]
            elif roll < 0.50:
                headers = {"If-None-Match": plan_tag} if plan_tag else {}
                response = self.send(
                    http, base, phone, "GET /me/plan", "GET", "/me/plan", headers=headers
                )
                if response is not None and response.status_code == 200:
                    plan_tag = response.headers.get("ETag")
            elif roll < 0.58:
                self.send(http, base, phone, "GET /me/appointments", "GET", "/me/appointments")
            elif roll < 0.80 or roll >= 0.995:
                urgent = roll >= 0.995
                n += 1
                ref = f"{phone.user_id}:{n}"
                body = {
                    "client_ref": ref,
                    "mood": 1 if urgent else rng.randint(2, 5),
                    "feeling_safe": not urgent,
                    "needs_help": urgent,
                }
                label = "POST /me/check-ins (urgent)" if urgent else "POST /me/check-ins"
                response = self.until_answered(http, base, phone, label, "/me/check-ins", body)
                if response is None:
                    self.check_ins_given_up.append(ref)
                else:
                    with self._lock:
                        self.check_ins[ref] = response.json()["id"]
                        if urgent:
                            self.urgent_presses[phone.young_person_id] += 1
                    if rng.random() < 0.1:  # the answer was lost on the way: sent again
                        again = self.until_answered(
                            http, base, phone, label + " again", "/me/check-ins", body, ok=(200,)
                        )
                        if again is not None and again.json()["id"] != response.json()["id"]:
                            self.check_ins_given_up.append(ref + " answered with another id")
            elif roll < 0.88:
                n += 1
                ref = f"m:{phone.user_id}:{n}"
                self.until_answered(
                    http,
                    base,
                    phone,
                    "POST /me/messages",
                    "/me/messages",
                    {"client_ref": ref, "body": "Can we talk?"},
                )
            else:
                self.send(http, base, phone, "GET /me/messages", "GET", "/me/messages")
            time.sleep(rng.uniform(1.0, 4.0))

    def mentor(self, index: int) -> None:
        mentor = self.cast.mentors[index]
        base = self.servers[index % len(self.servers)]
        http = requests.Session()
        rng = random.Random(1000 + index)  # noqa: S311 - traffic, not secrets
        mine = [p for p in self.cast.phones if index in p.mentors]
        while time.time() < self.until:
            phone = rng.choice(mine)
            goal = rng.choice(phone.goal_ids)
            for _ in range(5):  # a lost update is refused (412): read again, edit again
                read = self.send(http, base, mentor, "GET /goals/{id}", "GET", f"/goals/{goal}")
                if read is None or read.status_code != 200:
                    break
                status = rng.choice(["not_started", "in_progress", "achieved", "paused"])
                edit = self.send(
                    http,
                    base,
                    mentor,
                    "PATCH /goals/{id}",
                    "PATCH",
                    f"/goals/{goal}",
                    json={"status": status},
                    headers={"If-Match": read.headers["ETag"]},
                )
                if edit is None or edit.status_code != 412:
                    break
            if rng.random() < 0.3:
                self.send(
                    http,
                    base,
                    mentor,
                    "POST /young-people/{id}/messages",
                    "POST",
                    f"/young-people/{phone.young_person_id}/messages",
                    json={"body": "Here when you need me."},
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
            time.sleep(rng.uniform(1.0, 3.0))

    def coordinator(self, index: int) -> None:
        coordinator = self.cast.coordinators[index]
        base = self.servers[index % len(self.servers)]
        http = requests.Session()
        rng = random.Random(2000 + index)  # noqa: S311 - traffic, not secrets
        while time.time() < self.until:
            listed = self.send(
                http, base, coordinator, "GET /alerts", "GET", "/alerts", params={"status": "open"}
            )
            if listed is not None and listed.status_code == 200 and listed.json():
                # The urgent alerts of every other young person are left to escalate.
                picked = [
                    alert
                    for alert in listed.json()
                    if alert["kind"] not in ("urgent_help", "urgent_help_unacknowledged")
                    or alert["young_person_id"] not in self.left_to_escalate
                ]
                for alert in picked[:2]:
                    if rng.random() < 0.5:
                        self.send(
                            http,
                            base,
                            coordinator,
                            "POST /alerts/{id}/acknowledge",
                            "POST",
                            f"/alerts/{alert['id']}/acknowledge",
                        )
            time.sleep(rng.uniform(2.0, 5.0))


def warm_up(cast: Cast, servers: list[str]) -> None:
    """Every worker thread of both servers answers a few requests before the clock starts:
    a worker's first requests (connections, caches) are start-up, not service."""

    def opening(phone: Phone, base: str) -> None:
        with requests.Session() as http:
            for path in ("/me/sync", "/me/plan", "/me/appointments", "/me/messages"):
                http.get(
                    f"{base}/api/v1{path}",
                    timeout=60,
                    headers={"Authorization": f"Bearer {phone.access}"},
                )

    threads = [
        threading.Thread(target=opening, args=(phone, servers[n % len(servers)]))
        for n, phone in enumerate(cast.phones[:32])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_traffic(traffic: Traffic) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=traffic.phone, args=(i,), daemon=True)
        for i in range(len(traffic.cast.phones))
    ]
    threads += [
        threading.Thread(target=traffic.mentor, args=(i,), daemon=True)
        for i in range(len(traffic.cast.mentors))
    ]
    threads += [
        threading.Thread(target=traffic.coordinator, args=(i,), daemon=True)
        for i in range(len(traffic.cast.coordinators))
    ]
    for thread in threads:
        thread.start()
    return threads


def terminate_api_backends(database: str) -> int:
    with psycopg.connect(_libpq(database), autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'soak-api'"
        ).fetchone()
    return int(row[0]) if row else 0


# --- The proofs -------------------------------------------------------------------------


def wait_for_drain(database: str, limit: float) -> float:
    """Until nothing is left to push that is due, or `limit` seconds; how long it took."""
    started = time.monotonic()
    with psycopg.connect(_libpq(database), autocommit=True) as connection:
        while time.monotonic() - started < limit:
            row = connection.execute(
                "SELECT count(*) FROM notifications WHERE delivery_status = 'sending' "
                "OR (delivery_status = 'pending' AND deliver_after <= now())"
            ).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(1)
    return time.monotonic() - started


@dataclass
class Proof:
    name: str
    ok: bool
    detail: str


def prove(database: str, cast: Cast, traffic: Traffic, pushes: list[Push]) -> list[Proof]:
    with psycopg.connect(_libpq(database), autocommit=True) as connection:
        stored = connection.execute(
            "SELECT client_ref, count(*), min(id::text) FROM check_ins GROUP BY client_ref"
        ).fetchall()
        notifications = connection.execute(
            "SELECT n.id::text, n.kind, n.urgent, n.delivery_status, n.user_id::text, "
            "n.data->>'alert_id', n.data->>'appointment_id', "
            "extract(epoch FROM n.created_at) FROM notifications n"
        ).fetchall()
        alerts = connection.execute(
            "SELECT id::text, kind, young_person_id::text FROM alerts"
        ).fetchall()
        # Urgent help still open a sweep after the escalation window must have escalated;
        # urgent help acknowledged (or resolved) within the window must not have.
        window = f"{ESCALATION_MINUTES * 60} seconds"
        margin = f"{ESCALATION_MINUTES * 60 + 15} seconds"
        handled = "COALESCE(acknowledged_at, resolved_at)"
        overdue = {
            row[0]
            for row in connection.execute(
                f"SELECT id::text FROM alerts WHERE kind = 'urgent_help' AND ("  # noqa: S608
                f"({handled} IS NULL AND created_at < now() - %s::interval) "
                f"OR {handled} > created_at + %s::interval)",
                (margin, margin),
            )
        }
        in_time = {
            row[0]
            for row in connection.execute(
                f"SELECT id::text FROM alerts WHERE kind = 'urgent_help' "  # noqa: S608
                f"AND {handled} < created_at + %s::interval",
                (window,),
            )
        }
        escalations = Counter(
            row[0]
            for row in connection.execute(
                "SELECT details->>'alert_id' FROM alerts WHERE kind = 'urgent_help_unacknowledged'"
            )
        )
        devices = dict(connection.execute("SELECT push_token, user_id::text FROM devices"))
    proofs = []

    # Check-ins: each one the phones made, once.
    counts = {ref: (count, id_) for ref, count, id_ in stored}
    doubled = [ref for ref, (count, _) in counts.items() if count > 1]
    lost = [ref for ref in traffic.check_ins if ref not in counts]
    wrong = [
        ref for ref, id_ in traffic.check_ins.items() if ref in counts and counts[ref][1] != id_
    ]
    unknown = [ref for ref in counts if ref not in traffic.check_ins]
    proofs.append(
        Proof(
            "no check-in lost or doubled",
            not (doubled or lost or wrong or unknown or traffic.check_ins_given_up),
            f"{len(traffic.check_ins):,} made, {len(counts):,} stored; lost {len(lost)}, "
            f"doubled {len(doubled)}, another id {len(wrong)}, not made by a phone "
            f"{len(unknown)}, given up {len(traffic.check_ins_given_up)}",
        )
    )

    # Pushes: each notification once to its recipient's one device, none twice.
    received = Counter((push.notification_id, push.token) for push in pushes)
    twice = [key for key, count in received.items() if count > 1]
    token_of = {user: token for token, user in devices.items()}
    by_id = {row[0]: row for row in notifications}
    phantom = [key for key in received if key[0] not in by_id]
    twice = [key for key in twice if key[0] in by_id and not by_id[key[0]][2]]  # not urgent
    urgent = [row for row in notifications if row[2]]
    unpushed_urgent = [
        row[0] for row in urgent if received.get((row[0], token_of.get(row[4], ""))) != 1
    ]
    first_push = {}
    for push in pushes:
        first_push.setdefault(push.notification_id, push.received)
    delays = [first_push[row[0]] - float(row[7]) for row in urgent if row[0] in first_push]
    proofs.append(
        Proof(
            "every urgent notification pushed exactly once to its recipient",
            not (unpushed_urgent or phantom),
            f"{len(urgent):,} urgent notifications; "
            f"not pushed exactly once {len(unpushed_urgent)}; "
            f"pushes of no notification {len(phantom)}; "
            f"other pushes sent twice {len(twice)} (at least once across a SIGKILL: "
            "a batch pushed but not yet recorded is pushed again); "
            f"raised to pushed p50 {_ms(percentile(delays, 0.5))}, "
            f"p99 {_ms(percentile(delays, 0.99))}, max {_ms(max(delays, default=0))}",
        )
    )

    # Urgent alerts: exactly their staff told (assigned mentors and every coordinator, none
    # on duty; the escalation to every coordinator).
    phone_of = {phone.young_person_id: phone for phone in cast.phones}
    coordinators = {person.user_id for person in cast.coordinators}
    told = defaultdict(set)
    for row in notifications:
        if row[1] == "alert" and row[5]:
            told[row[5]].add(row[4])
    staff_ids = coordinators | {m.user_id for m in cast.mentors}
    wrong_audience = []
    raised = [a for a in alerts if a[1] in ("urgent_help", "urgent_help_unacknowledged")]
    for alert_id, kind, young_person_id in raised:
        phone = phone_of[young_person_id]
        expected = set(coordinators)
        if kind == "urgent_help":
            expected |= {cast.mentors[m].user_id for m in phone.mentors}
        if (told[alert_id] & staff_ids) != expected:
            wrong_audience.append(alert_id)
    escalated = sum(1 for a in raised if a[1] == "urgent_help_unacknowledged")
    proofs.append(
        Proof(
            "every urgent alert reached exactly its staff",
            not wrong_audience and len(raised) > 0,
            f"{len(raised) - escalated} urgent help alerts from "
            f"{sum(traffic.urgent_presses.values())} presses, {escalated} escalations; "
            f"told the wrong staff {len(wrong_audience)}",
        )
    )
    unescalated = [alert for alert in overdue if escalations.get(alert) != 1]
    twice_escalated = [alert for alert, count in escalations.items() if count > 1]
    needlessly = [alert for alert in in_time if alert in escalations]
    proofs.append(
        Proof(
            f"every urgent alert left {ESCALATION_MINUTES} minutes unacknowledged escalated once",
            not (unescalated or twice_escalated or needlessly) and len(overdue) > 0,
            f"{len(overdue)} left unacknowledged past the window; not escalated exactly once "
            f"{len(unescalated)}; escalated twice {len(twice_escalated)}; acknowledged in "
            f"time but escalated {len(needlessly)} (of {len(in_time)})",
        )
    )

    # Reminders: each appointment's due reminder, once.
    reminders = [row for row in notifications if row[1] == "appointment_reminder"]
    per_appointment = Counter(row[6] for row in reminders)
    missing = [a for a in cast.appointments if per_appointment.get(a) != 1]
    undelivered = [
        row[0] for row in reminders if received.get((row[0], token_of.get(row[4], ""))) != 1
    ]
    proofs.append(
        Proof(
            "every due reminder delivered exactly once",
            not (missing or undelivered),
            f"{len(cast.appointments)} due; not made exactly once {len(missing)}; "
            f"not delivered exactly once {len(undelivered)}",
        )
    )

    statuses = Counter(record.status for record in traffic.records)
    errors = {status: count for status, count in statuses.items() if status >= 500}
    proofs.append(
        Proof(
            "no 500s",
            statuses.get(500, 0) == 0,
            f"{len(traffic.records):,} requests; 5xx {errors or 'none'}; "
            f"no answer {statuses.get(0, 0)}",
        )
    )
    return proofs


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def latency_table(records: list[Record]) -> str:
    by_label = defaultdict(list)
    for record in records:
        by_label[record.label].append(record)
    lines = ["| request | count | statuses | p50 ms | p99 ms |", "|---|---:|---|---:|---:|"]
    for label in sorted(by_label):
        rows = by_label[label]
        times = [r.seconds for r in rows]
        statuses = ", ".join(
            f"{s}: {c}" for s, c in sorted(Counter(r.status for r in rows).items())
        )
        lines.append(
            f"| {label} | {len(rows):,} | {statuses} | "
            f"{percentile(times, 0.5) * 1000:.1f} | {percentile(times, 0.99) * 1000:.1f} |"
        )
    return "\n".join(lines)


# --- The run ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=300, help="of traffic")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    begun = time.monotonic()
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        database = stack.enter_context(fresh_database(DATABASE))
        sink = PushSink()
        account_file = sink.service_account(Path(scratch))
        api_env = soak_env(database, sink, account_file, "api")
        # Reminders fall due from a sixth of the way into the traffic to 30 s before its
        # end: before, during and after the faults.
        seed_started = time.monotonic()
        window = (args.seconds / 6, args.seconds - 30.0)
        cast = make_cast(api_env, args.phones, window)
        say(
            f"soak: {len(cast.phones)} phones, {len(cast.mentors)} mentors, "
            f"{len(cast.coordinators)} coordinators, {len(cast.appointments)} reminders due; "
            f"seeded in {time.monotonic() - seed_started:.0f} s"
        )
        gunicorn = Gunicorn(workers=2, threads=4)
        servers = [stack.enter_context(gunicorn.serve("wsgi:app", api_env)) for _ in range(2)]
        schedulers = [
            Scheduler(
                soak_env(database, sink, account_file, "scheduler"), f"scheduler{n}", Path(scratch)
            )
            for n in (1, 2)
        ]
        for scheduler in schedulers:
            scheduler.start()
            stack.callback(scheduler.stop)
        warm_up(cast, [server.url for server in servers])
        started = time.time()
        traffic = Traffic(cast, [server.url for server in servers], started + args.seconds)
        threads = run_traffic(traffic)
        say(
            f"soak: traffic for {args.seconds} s on {', '.join(s.url for s in servers)}, "
            f"2 schedulers"
        )

        time.sleep(args.seconds * 0.35)
        schedulers[0].kill()
        say(f"soak: {time.time() - started:.0f} s: scheduler 1 killed (SIGKILL)")
        time.sleep(SCHEDULER_RESTART_AFTER)
        schedulers[0].start()
        say(f"soak: {time.time() - started:.0f} s: scheduler 1 started again")
        time.sleep(max(0.0, started + args.seconds * 0.6 - time.time()))
        say(
            f"soak: {time.time() - started:.0f} s: {terminate_api_backends(database)} "
            "PostgreSQL backends of the API terminated"
        )
        time.sleep(max(0.0, started + args.seconds * 0.8 - time.time()))
        say(
            f"soak: {time.time() - started:.0f} s: {terminate_api_backends(database)} "
            "PostgreSQL backends of the API terminated"
        )
        for thread in threads:
            thread.join(timeout=max(1.0, traffic.until + 90 - time.time()))
        drained = wait_for_drain(database, limit=120)
        say(f"soak: traffic over; outbox drained in {drained:.0f} s")
        proofs = prove(database, cast, traffic, sink.snapshot())
        say("")
        say("| proof | verdict | figures |")
        say("|---|---|---|")
        for proof in proofs:
            say(f"| {proof.name} | {'met' if proof.ok else 'FAILED'} | {proof.detail} |")
        say("")
        say(latency_table(traffic.records))
        say("")
        say(f"soak: {time.monotonic() - begun:.0f} s in all")
        if args.report:
            args.report.write_text("\n".join(lines) + "\n")
        failed = [proof.name for proof in proofs if not proof.ok]
        if failed:
            for scheduler in schedulers:
                for log in sorted(Path(scratch).glob(f"{scheduler.name}-*.log")):
                    tail = log.read_text(errors="replace")[-2000:]
                    print(f"--- {log.name} (last lines)\n{tail}", file=sys.stderr)
            sys.exit(f"soak: FAILED: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
