"""The `youthapp` command: migrating, making the first admin, and demo data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api import create_app
from youthapp.config import settings_for_tests
from youthapp.models import User

LOGIN = "/api/v1/auth/login"
PASSPHRASE = "seven quiet herons at dawn"


def create_user(runner, *options: str):
    return runner.invoke(args=["users", "create", *options])


@pytest.fixture
def fresh_app(tmp_path):
    """An app on a database of its own that nothing has migrated yet."""
    settings = settings_for_tests(f"sqlite:///{tmp_path / 'cli.sqlite3'}", tmp_path / "instance")
    app = create_app(settings)
    yield app
    app.extensions["youthapp"].engine.dispose()


def test_db_upgrade_makes_the_database_ready(fresh_app):
    client = fresh_app.test_client()
    assert client.get("/readyz").status_code == 503

    result = fresh_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "head" in result.output
    assert client.get("/readyz").status_code == 200

    again = fresh_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output


def test_users_create_makes_an_admin_who_can_sign_in(runner, client):
    result = create_user(
        runner, "--role", "admin", "--email", "Ops.Lead@Example.org", "--password", PASSPHRASE
    )
    assert result.exit_code == 0, result.output
    assert "ops.lead@example.org" in result.output
    assert PASSPHRASE not in result.output

    response = client.post(LOGIN, json={"email": "ops.lead@example.org", "password": PASSPHRASE})
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert user["role"] == "admin"
    assert user["display_name"] == "Ops.Lead"
    # The new admin can do admin things.
    users = client.get(
        "/api/v1/users", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"}
    )
    assert users.status_code == 200


def test_users_create_a_mentor_and_a_referrer_with_their_details(runner, db):
    mentor = create_user(
        runner,
        "--role",
        "mentor",
        "--email",
        "m@example.org",
        "--password",
        PASSPHRASE,
        "--display-name",
        "Amira Khan",
        "--specialty",
        "housing",
    )
    referrer = create_user(
        runner,
        "--role",
        "referrer",
        "--email",
        "r@example.org",
        "--password",
        PASSPHRASE,
        "--referrer-type",
        "teacher",
        "--organisation",
        "Hackney Academy",
    )
    assert mentor.exit_code == 0, mentor.output
    assert referrer.exit_code == 0, referrer.output
    stored = {u.email: u for u in db.scalars(select(User))}
    assert stored["m@example.org"].specialty == "housing"
    assert stored["m@example.org"].display_name == "Amira Khan"
    assert stored["r@example.org"].organisation == "Hackney Academy"
    assert stored["m@example.org"].password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (
            ["--role", "admin", "--email", "a@example.org", "--password", "short"],
            ["password", "at least 10"],
        ),
        (
            ["--role", "admin", "--email", "a@example.org", "--password", "Password1234!"],
            ["password", "common"],
        ),
        (["--role", "mentor", "--email", "a@example.org", "--password", PASSPHRASE], ["specialty"]),
        (
            [
                "--role",
                "referrer",
                "--email",
                "a@example.org",
                "--password",
                PASSPHRASE,
                "--referrer-type",
                "teacher",
            ],
            ["organisation"],
        ),
        (["--role", "admin", "--email", "not-an-email", "--password", PASSPHRASE], ["email"]),
        (
            [
                "--role",
                "admin",
                "--email",
                "a@example.org",
                "--password",
                PASSPHRASE,
                "--display-name",
                "x" * 101,
            ],
            ["display_name"],
        ),
        (
            [
                "--role",
                "admin",
                "--email",
                "a@example.org",
                "--password",
                PASSPHRASE,
                "--display-name",
                "   ",
            ],
            ["display_name"],
        ),
    ],
)
def test_users_create_refuses_with_a_readable_message(runner, client, db, options, words):
    result = create_user(runner, *options)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for word in words:
        assert word in result.output
    password = options[options.index("--password") + 1]
    assert password not in result.output
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_refuses_a_young_person_role(runner, db):
    result = create_user(
        runner, "--role", "young_person", "--email", "y@example.org", "--password", PASSPHRASE
    )
    assert result.exit_code == 2  # click's usage error: not one of the choices
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_refuses_a_duplicate_email(runner):
    create_user(runner, "--role", "admin", "--email", "ops@example.org", "--password", PASSPHRASE)
    again = create_user(
        runner, "--role", "coordinator", "--email", "OPS@example.org", "--password", PASSPHRASE
    )
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_demo_seed_refuses_outside_development(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "development" in result.output
    assert "correct-horse" not in result.output  # the demo password is not printed either
    demo = client.post(
        LOGIN, json={"email": "admin@demo.youthapp.test", "password": "correct-horse-battery-demo"}
    )
    assert demo.status_code == 401


def test_demo_seed_in_development_runs_twice_without_harm(tmp_path):
    settings = settings_for_tests(f"sqlite:///{tmp_path / 'dev.sqlite3'}", tmp_path / "instance")
    app = create_app(settings.with_overrides(environment="development"))
    try:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        first = runner.invoke(args=["demo", "seed"])
        second = runner.invoke(args=["demo", "seed"])
        assert first.exit_code == 0, first.output
        assert second.exit_code == 0, second.output
        with app.extensions["youthapp"].session_factory() as session:
            admins = session.scalars(select(User).where(User.role == "admin")).all()
        assert [a.email for a in admins] == ["admin@demo.youthapp.test"]
        response = app.test_client().post(
            LOGIN,
            json={"email": "admin@demo.youthapp.test", "password": "correct-horse-battery-demo"},
        )
        assert response.status_code == 200
    finally:
        app.extensions["youthapp"].engine.dispose()
