#!/usr/bin/env bash
# The restore drill (`make restore-drill`): a backup is only a backup once it has been
# restored. On the PostgreSQL server at $PGHOST:$PGPORT (default 127.0.0.1:5432, user
# postgres) it
#   1. creates a fresh source database, migrates it and loads the demo data,
#   2. dumps it with `pg_dump -Fc` (the format docs/DEPLOY.md backs up with),
#   3. creates a second fresh database and `pg_restore`s the dump into it,
#   4. checks every table holds as many rows as in the source,
#   5. serves the API from the restored database with gunicorn (YOUTHAPP_ENV=production),
#      checks that /readyz answers 200 (reachable and migrated to head), signs in as the demo
#      coordinator and finds the demo young person in GET /api/v1/young-people,
#   6. stops the server,
# and drops both databases whatever happened (a trap). Any failed step exits non-zero with
# a line that starts "restore drill FAILED".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
PY=$BIN/python

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
SOURCE_DB=youthapp_drill_source_$$
RESTORED_DB=youthapp_drill_restored_$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/youthapp-restore-drill.XXXXXX")
STARTED=$EPOCHREALTIME
created=()
server_pid=""

say() {
    local micros=$((${EPOCHREALTIME/[.,]/} - ${STARTED/[.,]/}))
    printf '[%3d.%ds] %s\n' $((micros / 1000000)) $((micros / 100000 % 10)) "$*"
}
fail() {
    echo "restore drill FAILED: $*" >&2
    exit 1
}
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

database_url() {
    if [[ $PGHOST == /* ]]; then  # a Unix socket directory
        echo "postgresql+psycopg://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"
    else
        echo "postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$1"
    fi
}

stop_server() {
    [[ -n $server_pid ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "the server did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_server
    # Only the databases this run created: never one that was there before.
    for db in "${created[@]}"; do
        if psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; then
            echo "dropped $db"
        else
            echo "WARNING: could not drop $db; drop it by hand" >&2
            status=1
        fi
    done
    if ((status != 0)) && [[ -s $WORK/server.log ]]; then
        echo "--- the end of the server's log ($WORK/server.log) ---" >&2
        tail -n 40 "$WORK/server.log" >&2
        echo "---" >&2
    fi
    rm -rf "$WORK"
    if ((status == 0)); then
        say "restore drill passed"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -x $BIN/youthapp && -x $BIN/gunicorn ]] || fail "no $BIN/youthapp or gunicorn: run make first"
for tool in psql pg_dump pg_restore pg_isready curl; do
    command -v "$tool" >/dev/null || fail "$tool is not installed"
done
pg_isready -q -h "$PGHOST" -p "$PGPORT" || fail "PostgreSQL is not reachable at $PGHOST:$PGPORT"

create_database() {
    psql_admin -c "CREATE DATABASE \"$1\"" || fail "could not create database $1"
    created+=("$1")
}

# What the app's commands need: the source database, development (demo data is for
# development only), and an instance folder and key of the drill's own, so the checkout's
# instance/ is never touched.
app_env=(
    YOUTHAPP_ENV=development
    YOUTHAPP_INSTANCE_PATH="$WORK/instance"
    JWT_SECRET_KEY="restore-drill-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
    LOG_LEVEL=WARNING
)

say "PostgreSQL at $PGHOST:$PGPORT as $PGUSER; source $SOURCE_DB, restored $RESTORED_DB"

say "1. create, migrate and seed the source database"
create_database "$SOURCE_DB"
env "${app_env[@]}" DATABASE_URL="$(database_url "$SOURCE_DB")" "$BIN/youthapp" db upgrade \
    || fail "youthapp db upgrade on $SOURCE_DB"
env "${app_env[@]}" DATABASE_URL="$(database_url "$SOURCE_DB")" "$BIN/youthapp" demo seed \
    >"$WORK/seed.log" || fail "youthapp demo seed on $SOURCE_DB"
grep -q "coordinator@demo.youthapp.test" "$WORK/seed.log" || fail "demo seed printed no accounts"

say "2. pg_dump -Fc $SOURCE_DB"
pg_dump -Fc -f "$WORK/youthapp.dump" "$SOURCE_DB" || fail "pg_dump of $SOURCE_DB"
pg_restore --list "$WORK/youthapp.dump" >/dev/null || fail "pg_restore cannot read the dump"
say "   dump: $(stat -c %s "$WORK/youthapp.dump") bytes, $(pg_restore --list "$WORK/youthapp.dump" | grep -c 'TABLE DATA') tables of data"

say "3. pg_restore into a fresh $RESTORED_DB"
create_database "$RESTORED_DB"
pg_restore --exit-on-error --no-owner --no-privileges -d "$RESTORED_DB" "$WORK/youthapp.dump" \
    || fail "pg_restore into $RESTORED_DB"

say "4. every table holds as many rows as in the source"
count_rows() {
    # One line per table, "name count", in one statement (query_to_xml counts each table).
    psql -X -q -v ON_ERROR_STOP=1 -At -F ' ' -d "$1" -c "
        SELECT table_name,
               (xpath('/row/n/text()', query_to_xml(
                   format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name),
                   false, true, '')))[1]::text
        FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        ORDER BY table_name"
}
count_rows "$SOURCE_DB" >"$WORK/source.counts" || fail "counting rows in $SOURCE_DB"
count_rows "$RESTORED_DB" >"$WORK/restored.counts" || fail "counting rows in $RESTORED_DB"
if ! diff -u "$WORK/source.counts" "$WORK/restored.counts" >"$WORK/counts.diff"; then
    cat "$WORK/counts.diff" >&2
    fail "the restored database's row counts differ from the source's (above)"
fi
[[ -s $WORK/source.counts ]] || fail "the source database has no tables"
say "   $(wc -l <"$WORK/source.counts") tables, $(awk '{n += $2} END {print n}' "$WORK/source.counts") rows in all, the same in both"

say "5. serve the API from $RESTORED_DB (gunicorn wsgi:app, production settings)"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
server_options=(--chdir "$ROOT" --bind "127.0.0.1:$port" --workers 1 --worker-class gthread
    --threads 2 --timeout 30 --graceful-timeout 5)
# gunicorn 25+ opens a control socket in ~/.gunicorn shared by every gunicorn of the user:
# the drill's own server keeps out of it.
if "$BIN/gunicorn" --help | grep -q -- --no-control-socket; then
    server_options+=(--no-control-socket)
fi
env YOUTHAPP_ENV=production \
    YOUTHAPP_INSTANCE_PATH="$WORK/instance" \
    JWT_SECRET_KEY="restore-drill-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')" \
    DATABASE_URL="$(database_url "$RESTORED_DB")" \
    LOG_LEVEL=WARNING \
    "$BIN/gunicorn" "${server_options[@]}" wsgi:app >"$WORK/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 150); do  # up to 30 s
    kill -0 "$server_pid" 2>/dev/null || fail "the server stopped at start-up (its log is below)"
    code=$(curl -s -o "$WORK/readyz.json" -w '%{http_code}' --max-time 2 "$base/readyz" || true)
    if [[ $code == 200 ]]; then
        ready=yes
        break
    fi
    sleep 0.2
done
[[ -n $ready ]] || fail "/readyz did not answer 200 within 30 s (last: ${code:-no answer} $(cat "$WORK/readyz.json" 2>/dev/null))"
say "   GET /readyz: 200 $(cat "$WORK/readyz.json")"

"$PY" - "$base" <<'EOF' || fail "the sign-in journey against the restored database"
"""Sign in as the demo coordinator and find the demo young person."""
import json
import sys
import urllib.error
import urllib.request

from api.cli import DEMO_PASSWORD, DEMO_REFERRAL

base = sys.argv[1]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method)
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(body).encode()
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:300]


status, body = call(
    "POST",
    "/api/v1/auth/login",
    {"email": "coordinator@demo.youthapp.test", "password": DEMO_PASSWORD},
)
if status != 200:
    sys.exit(f"POST /api/v1/auth/login as the demo coordinator: {status} {body}")
print(f"   POST /api/v1/auth/login as {body['user']['email']} ({body['user']['role']}): 200")
status, people = call("GET", "/api/v1/young-people", token=body["access_token"])
if status != 200:
    sys.exit(f"GET /api/v1/young-people: {status} {people}")
names = [(p.get("first_name"), p.get("last_name")) for p in people]
wanted = (DEMO_REFERRAL["first_name"], DEMO_REFERRAL["last_name"])
if wanted not in names:
    sys.exit(f"GET /api/v1/young-people has no {' '.join(wanted)}: {names}")
print(f"   GET /api/v1/young-people: 200, {len(people)} young person(s), {' '.join(wanted)} among them")
EOF

say "6. stop the server"
stop_server
say "   stopped; dropping both databases"
