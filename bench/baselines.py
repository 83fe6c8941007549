"""The floors our API is measured against, served by gunicorn with the very settings the API
gets (bench/api.py starts them):

    bench.baselines:bare_wsgi   a WSGI callable returning a fixed JSON body
    bench.baselines:bare_flask  a Flask app with one JSON endpoint, /json
    bench.baselines:flask_pk    a Flask app with /pk/<uuid>: one raw psycopg select of a young
                                person by primary key (a connection per worker thread, opened
                                once, as a pool would), the row returned as JSON

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
