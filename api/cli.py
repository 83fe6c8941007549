"""The `youthapp` command: database, users, demo data, and the development server."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from sqlalchemy import select

from api.logs import configure_logging
from youthapp import migrations
from youthapp.clock import ensure_utc, utcnow
from youthapp.config import load_settings
from youthapp.errors import DomainError
from youthapp.models import STAFF_ROLES, User
from youthapp.runtime import Runtime, build_runtime
from youthapp.services import accounts, people, referrals

db_cli = AppGroup("db", help="The database schema.")
users_cli = AppGroup("users", help="Staff accounts.")
demo_cli = AppGroup("demo", help="Demo data for local development.")
scheduler_cli = AppGroup("scheduler", help="Reminders, prompts, escalations and delivery.")

DEMO_PASSWORD = "correct-horse-battery-demo"  # noqa: S105 (development demo data only)
DEMO_STAFF = [
    {"email": "admin@demo.youthapp.test", "display_name": "Demo Admin", "role": "admin"},
    {
        "email": "coordinator@demo.youthapp.test",
        "display_name": "Sam Coordinator",
        "role": "coordinator",
    },
    {"email": "lead@demo.youthapp.test", "display_name": "Lee Lead", "role": "lead"},
    {
        "email": "housing@demo.youthapp.test",
        "display_name": "Hana Housing",
        "role": "mentor",
        "specialty": "housing",
    },
    {
        "email": "wellbeing@demo.youthapp.test",
        "display_name": "Mo Mentalhealth",
        "role": "mentor",
        "specialty": "mental_health",
    },
    {
        "email": "teacher@demo.youthapp.test",
        "display_name": "Tia Teacher",
        "role": "referrer",
        "referrer_type": "teacher",
        "organisation": "Hackney Academy",
    },
]
DEMO_REFERRAL = {
    "first_name": "Jordan",
    "last_name": "Demo",
    "date_of_birth": date(2010, 5, 17),
    "borough": "Hackney",
    "needs": ["housing", "mental_health"],
    "consent_obtained": True,
    "reason": "Demo referral: missing school, seen with older boys.",
}


def _runtime() -> Runtime:
    """The core's runtime, and never the web app: these commands run migrations, sweeps and
    escalations, which nothing that only the web app needs (such as the content) may stop.
    It is the one of an app the caller already holds (a test's), or one built from the
    environment."""
    info = click.get_current_context().find_object(ScriptInfo)
    given = info.create_app if info is not None else None
    if given is not None and given is not _create_app:
        return given().extensions["youthapp"]
    data = info.data if info is not None else {}
    if "runtime" not in data:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        data["runtime"] = build_runtime(settings)
    return data["runtime"]


@db_cli.command("upgrade", with_appcontext=False)
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(_runtime().engine, revision)
    click.echo(f"Database at {revision}.")


@users_cli.command("create", with_appcontext=False)
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 10 characters, not a common one (asked for if not given).",
)
@click.option("--display-name", default=None, help="Defaults to the part of the email before @.")
@click.option("--specialty", default=None, help="Mentors only.")
@click.option("--referrer-type", default=None, help="Referrers only.")
@click.option("--organisation", default=None, help="Referrers only.")
def users_create(**options: str | None) -> None:
    """Create a staff account (the first admin is made this way)."""
    options["display_name"] = options["display_name"] or options["email"].split("@")[0]
    data = {key: value for key, value in options.items() if value is not None}
    runtime = _runtime()
    with runtime.session_factory.begin() as session:
        try:
            user = accounts.create_staff_user(
                session,
                runtime.hashing,
                None,
                data,
                default_timezone=runtime.settings.default_timezone,
            )
        except DomainError as error:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.errors or {}).items())
            raise click.ClickException(f"{error.message} {details}".strip()) from None
        click.echo(f"Created {user.role} {user.email} ({user.id}).")


@demo_cli.command("seed", with_appcontext=False)
def demo_seed() -> None:
    """Load demo data (development only); running it again changes nothing."""
    runtime = _runtime()
    if not runtime.settings.is_development:
        raise click.ClickException("Demo data is only for YOUTHAPP_ENV=development.")
    now = utcnow()
    with runtime.session_factory.begin() as session:
        if session.scalar(select(User.id).where(User.email == DEMO_STAFF[0]["email"])):
            click.echo("Demo data is already loaded.")
        else:
            staff = {
                person["email"].split("@")[0]: accounts.create_staff_user(
                    session,
                    runtime.hashing,
                    None,
                    {**person, "password": DEMO_PASSWORD},
                    default_timezone=runtime.settings.default_timezone,
                )
                for person in DEMO_STAFF
            }
            referral = referrals.submit_referral(
                session, staff["teacher"], DEMO_REFERRAL, settings=runtime.settings, now=now
            )
            enrolment = referrals.decide_referral(
                session,
                staff["coordinator"],
                referral.id,
                decision="accept",
                reason="Demo",
                settings=runtime.settings,
                now=now,
            )
            for mentor in ("housing", "wellbeing"):
                people.assign_mentor(
                    session,
                    staff["coordinator"],
                    enrolment.young_person.id,
                    staff[mentor].id,
                    now=now,
                )
            click.echo(f"Young person's activation code: {enrolment.activation_code}")
    click.echo(f"Staff accounts (password {DEMO_PASSWORD}):")
    for person in DEMO_STAFF:
        click.echo(f"  {person['role']:<12} {person['email']}")


def _scheduler_context():
    from scheduler.jobs import SchedulerContext
    from youthapp.notify.factory import senders_from_settings

    runtime = _runtime()
    return SchedulerContext(
        settings=runtime.settings,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        senders=senders_from_settings(runtime.settings),
    )


@scheduler_cli.command("run", with_appcontext=False)
def scheduler_run() -> None:
    """Run the scheduler until stopped (SIGTERM or Ctrl-C): its own process, never in a web
    worker."""
    from scheduler.runner import run_forever

    run_forever(_scheduler_context())


@scheduler_cli.command("run-once", with_appcontext=False)
@click.option(
    "--at",
    "at",
    default=None,
    metavar="TIME",
    help="Act as if the clock read TIME (ISO 8601 with an offset); default now.",
)
def scheduler_run_once(at: str | None) -> None:
    """Run every sweep once and deliver what is due, then exit."""
    from scheduler.jobs import run_all_once

    now = utcnow()
    if at:
        try:
            now = ensure_utc(datetime.fromisoformat(at))
        except ValueError:
            raise click.BadParameter(
                "Give an ISO 8601 time with an offset, e.g. 2026-12-01T18:00:00+00:00",
                param_hint="--at",
            ) from None
    for name, count in run_all_once(_scheduler_context(), now).items():
        click.echo(f"{name}: {count}")


def register_commands(app: Flask) -> None:
    for group in (db_cli, users_cli, demo_cli, scheduler_cli):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from api import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, help="The youth support companion backend.")
# On the command itself, so that `youthapp db upgrade` or `youthapp scheduler run` finds
# them without loading the web app; `youthapp run` (the development server) loads it.
for _group in (db_cli, users_cli, demo_cli, scheduler_cli):
    cli.add_command(_group)


def hide_server_version() -> None:
    """Werkzeug's development server names itself and Python, with their versions, in the
    Server header of every answer: have it name neither. (gunicorn sends only "gunicorn".)"""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = _server_name  # type: ignore[method-assign]


def _server_name(_handler: object) -> str:
    return "youthapp"


def main() -> None:
    # The development server is for development: give it development defaults.
    if sys.argv[1:2] == ["run"]:
        hide_server_version()
        os.environ.setdefault("YOUTHAPP_ENV", "development")
        os.environ.setdefault("FLASK_RUN_PORT", "5000")
    cli(prog_name="youthapp")
