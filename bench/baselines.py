"""The floors our API is measured against, served by gunicorn with the very settings the API
gets (bench/api.py starts them):

    bench.baselines:bare_wsgi   a WSGI callable returning a fixed JSON body
    bench.baselines:bare_flask  a Flask app with one JSON endpoint, /json
    bench.baselines:flask_pk    a Flask app with /pk/<uuid>: one raw psycopg select of a young
                                person by primary key (a connection per worker thread, opened
                                once, as a pool would), the row returned as JSON
    bench.baselines:flask_plan_sql  a Flask app with /plan/<uuid>: a young person's support
                                plan through the same database conversation as GET /me/plan
                                (in autocommit, with no ping: the user and sign-in session,
                                the plan version, the goals, the steps) in raw psycopg, with
                                no JWT, ORM or marshmallow: the ceiling for the API's design

DATABASE_URL names the database for flask_pk (postgresql+psycopg:// or postgresql://).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import psycopg
from flask import Flask, abort, jsonify

_BODY = json.dumps({"status": "ok"}).encode()


def bare_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]
    )
    return [_BODY]


bare_flask = Flask("bench_bare_flask")


@bare_flask.get("/json")
def _json() -> Any:
    return jsonify(status="ok")


flask_pk = Flask("bench_flask_pk")
_local = threading.local()
_SELECT = (
    "SELECT id, first_name, last_name, borough, status, date_of_birth, created_at "
    "FROM young_people WHERE id = %s"
)


def _connection() -> psycopg.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        url = os.environ.get("DATABASE_URL", "")
        dsn = "postgresql://" + url.split("://", 1)[1]
        connection = psycopg.connect(dsn, autocommit=True)
        _local.connection = connection
    return connection


@flask_pk.get("/pk/<uuid:person_id>")
def _by_primary_key(person_id: Any) -> Any:
    row = _connection().execute(_SELECT, (person_id,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(
        id=str(row[0]),
        first_name=row[1],
        last_name=row[2],
        borough=row[3],
        status=row[4],
        date_of_birth=row[5].isoformat(),
        created_at=row[6].isoformat(),
    )


flask_plan_sql = Flask("bench_flask_plan_sql")
_plan_local = threading.local()
_SIGNED_IN = (
    "SELECT u.id, u.role, u.young_person_id FROM users u JOIN auth_sessions s "
    "ON s.user_id = u.id WHERE u.young_person_id = %s AND s.revoked_at IS NULL "
    "AND s.expires_at > now() AND u.is_active"
)
_VERSION = "SELECT version FROM support_plans WHERE young_person_id = %s"
_GOALS = (
    "SELECT id, domain, title, description, status, target_date, achieved_at, position, "
    "updated_at FROM goals WHERE young_person_id = %s AND archived_at IS NULL "
    "ORDER BY position, created_at, id"
)
_STEPS = (
    "SELECT id, goal_id, title, done, due_date, done_at, position, updated_at FROM steps "
    "WHERE young_person_id = %s AND archived_at IS NULL ORDER BY position, created_at, id"
)
_GOAL_KEYS = "id domain title description status target_date achieved_at position updated_at"
_STEP_KEYS = "id goal_id title done due_date done_at position updated_at"


def _plan_connection() -> psycopg.Connection:
    connection = getattr(_plan_local, "connection", None)
    if connection is None or connection.closed:
        url = os.environ.get("DATABASE_URL", "")
        connection = psycopg.connect("postgresql://" + url.split("://", 1)[1], autocommit=True)
        _plan_local.connection = connection
    return connection


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@flask_plan_sql.get("/plan/<uuid:person_id>")
def _plan(person_id: Any) -> Any:
    connection = _plan_connection()  # autocommit, as the API's read-only routes
    if connection.execute(_SIGNED_IN, (person_id,)).fetchone() is None:
        abort(401)
    version = connection.execute(_VERSION, (person_id,)).fetchone()
    goals = [
        {**dict(zip(_GOAL_KEYS.split(), map(_plain, row), strict=True)), "steps": []}
        for row in connection.execute(_GOALS, (person_id,))
    ]
    steps_of = {goal["id"]: goal["steps"] for goal in goals}
    for row in connection.execute(_STEPS, (person_id,)):
        step = dict(zip(_STEP_KEYS.split(), map(_plain, row), strict=True))
        steps_of.get(row[1], []).append(step)
    for goal in goals:
        goal["id"] = str(goal["id"])
        for step in goal["steps"]:
            step["id"], step["goal_id"] = str(step["id"]), str(step["goal_id"])
    response = jsonify(young_person_id=str(person_id), goals=goals)
    response.headers["ETag"] = f'"{version[0] if version else 0}"'
    return response
