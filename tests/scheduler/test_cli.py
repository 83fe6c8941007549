"""`youthapp scheduler run-once --at` and `youthapp scheduler run` as operators use them."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from youthapp.config import DEFAULT_CONTENT_PATH
from youthapp.models import Alert


def test_run_once_at_a_time_runs_every_sweep_as_if_the_clock_read_it(
    runner, as_role, programme, db
):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    back = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    young_person.post("/api/v1/me/safety-timers", json={"expected_back_at": back.isoformat()})

    early = runner.invoke(
        args=["scheduler", "run-once", "--at", (back - timedelta(minutes=1)).isoformat()]
    )
    assert early.exit_code == 0, early.output
    assert "expired_safety_timers: 0" in early.output
    later = (back + timedelta(minutes=1)).isoformat()
    result = runner.invoke(args=["scheduler", "run-once", "--at", later])
    assert result.exit_code == 0, result.output
    assert "expired_safety_timers: 1" in result.output
    for name in (
        "appointment_reminders",
        "check_in_prompts",
        "missed_check_ins",
        "escalations",
        "plan_reviews",
        "delivered",
    ):
        assert f"{name}: " in result.output
    db.rollback()
    assert db.scalar(select(Alert.kind)) == "safety_timer_expired"


@pytest.mark.parametrize("bad", ["tomorrow", "2027-01-01T10:00:00"])
def test_run_once_refuses_a_time_it_cannot_place(runner, bad):
    result = runner.invoke(args=["scheduler", "run-once", "--at", bad])
    assert result.exit_code != 0
    assert "--at" in result.output


def test_the_scheduler_process_stops_cleanly_on_sigterm(tmp_path, database_url):
    env = {
        **os.environ,
        "YOUTHAPP_ENV": "development",
        "DATABASE_URL": database_url,
        "YOUTHAPP_INSTANCE_PATH": str(tmp_path),
        "SWEEP_SECONDS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "scheduler", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        for line in process.stdout:  # wait for a sweep to have run, however busy the machine
            seen.append(line)
            if "appointment_reminders at" in line or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
        output = "".join(seen) + rest
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "scheduler started" in output
    assert "appointment_reminders at" in output  # one log line per sweep run
    assert "scheduler stopped" in output


def test_the_core_commands_run_without_the_web_app_and_despite_broken_content(
    tmp_path, database_url, as_role, programme, db
):
    """A typo under content/ stops what serves content, never a migration or the
    escalation of an urgent alert."""
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_PATH, content)
    (content / "crisis" / "childline.yaml").write_text("channels: [this is not: valid")
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    young_person.post(
        "/api/v1/me/check-ins",
        json={"client_ref": "help", "mood": 1, "feeling_safe": True, "needs_help": True},
    )
    env = {
        **os.environ,
        "YOUTHAPP_ENV": "development",
        "DATABASE_URL": database_url,
        "YOUTHAPP_INSTANCE_PATH": str(tmp_path),
        "CONTENT_PATH": str(content),
    }
    command = [sys.executable, "-c", "from api.cli import main; main()"]
    upgrade = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [*command, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert upgrade.returncode == 0, upgrade.stderr
    later = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
    once = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [*command, "scheduler", "run-once", "--at", later],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert once.returncode == 0, once.stderr
    assert "escalations: 1" in once.stdout
    db.rollback()
    assert db.scalar(select(Alert.id).where(Alert.kind == "urgent_help_unacknowledged"))


def test_the_core_and_the_scheduler_never_import_flask():
    root = Path(__file__).resolve().parents[2]
    for package in ("youthapp", "scheduler"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text()
            assert not re.search(r"^\s*(import|from)\s+flask\b", text, re.M), path
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, scheduler.runner, scheduler.jobs, youthapp.runtime, youthapp.services"
            ".reminders; print('flask' in sys.modules)",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "False", probe.stderr
