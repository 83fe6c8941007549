"""What the people who run the service read: /metrics, and logs as JSON lines."""

from __future__ import annotations

import json
import logging

from scheduler import runner
from youthapp.config import ConfigurationError, load_settings

URGENT = {"client_ref": "help", "mood": 1, "feeling_safe": False, "needs_help": True}


def metric(page: str, name: str, **labels: str) -> float:
    pairs = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    wanted = name + ("{" + pairs + "}" if labels else "")
    for line in page.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{wanted} not in /metrics")


def test_metrics_report_requests_alerts_the_outbox_and_the_schedulers(
    client, as_role, programme, context
):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    young_person.get("/api/v1/me")
    young_person.post("/api/v1/me/check-ins", json=URGENT)
    runner._sweep_job(context, "escalations")
    scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.mimetype == "text/plain"
    page = scraped.get_data(as_text=True)
    assert metric(page, "http_requests_total", route="/api/v1/me", method="GET", status="200") >= 1
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/me"}' in page
    )
    assert metric(page, "youthapp_urgent_alerts_open") == 1
    assert metric(page, "youthapp_urgent_alert_oldest_unacknowledged_seconds") >= 0
    assert metric(page, "youthapp_outbox_pending", kind="alert") >= 1
    assert "youthapp_outbox_oldest_urgent_pending_seconds" in page
    assert "youthapp_scheduler_heartbeat_age_seconds{scheduler=" in page
    assert 'youthapp_sweep_duration_seconds{scheduler="' in page and 'sweep="escalations"' in page
    # No young person is named or counted one by one.
    assert young_person.user.display_name not in page


def test_metrics_answer_only_the_allowed_addresses(client):
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 404


def test_metrics_allow_must_be_addresses(tmp_path):
    try:
        load_settings(
            {"YOUTHAPP_ENV": "development", "METRICS_ALLOW": "not-an-address"},
            instance_path=tmp_path,
        )
    except ConfigurationError as error:
        assert "METRICS_ALLOW" in str(error)
    else:
        raise AssertionError("a bad METRICS_ALLOW was accepted")


def test_json_log_lines_carry_the_request_id_and_no_secrets(app):
    from api.logs import JsonLines, _RequestId

    with app.test_request_context("/api/v1/me"):
        from flask import g

        g.request_id = "req-12345678"
        record = logging.getLogger("youthapp").makeRecord(
            "youthapp", logging.INFO, __file__, 1, "login with password=hunter2", (), None
        )
        _RequestId().filter(record)
        line = json.loads(JsonLines().format(record))
    assert line["request_id"] == "req-12345678"
    assert line["level"] == "INFO" and line["logger"] == "youthapp"
    assert "hunter2" not in json.dumps(line)


_WORKER = """
import sys
from pathlib import Path
from api import create_app
from youthapp import migrations
from youthapp.config import settings_for_tests

database, instance, requests = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
app = create_app(settings_for_tests(database, instance))
migrations.upgrade(app.extensions["youthapp"].engine)
client = app.test_client()
for _ in range(requests):
    assert client.get("/api/v1/content/crisis").status_code == 200
if requests == 0:
    print(client.get("/metrics").get_data(as_text=True))
"""


def test_with_a_multiprocess_directory_a_scrape_adds_up_every_worker(tmp_path):
    """Two worker processes count their own requests; a scrape of a third sees the sum."""
    import os
    import subprocess
    import sys

    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    database = f"sqlite:///{tmp_path / 'workers.sqlite3'}"

    def worker(requests: int) -> str:
        done = subprocess.run(  # noqa: S603 - the test's own interpreter and script
            [sys.executable, "-c", _WORKER, database, str(tmp_path / "instance"), str(requests)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    worker(3)
    worker(4)
    page = worker(0)
    route = "/api/v1/content/crisis"
    assert metric(page, "http_requests_total", route=route, method="GET", status="200") == 7
    assert "youthapp_urgent_alerts_open" in page  # the safety figures beside them
