"""The `youthapp` command: database, users, demo data, and the development server."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup

from youthapp import migrations
from youthapp.errors import Conflict, DomainError
from youthapp.models import STAFF_ROLES
from youthapp.services import accounts

db_cli = AppGroup("db", help="The database schema.")
users_cli = AppGroup("users", help="Staff accounts.")
demo_cli = AppGroup("demo", help="Demo data for local development.")

DEMO_ADMIN = {"email": "admin@demo.youthapp.test", "password": "correct-horse-battery-demo",
              "display_name": "Demo Admin", "role": "admin"}


def _runtime():
    return current_app.extensions["youthapp"]


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(_runtime().engine, revision)
    click.echo(f"Database at {revision}.")


@users_cli.command("create")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters, not a common one.")
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
            user = accounts.create_staff_user(session, runtime.hashing, None, data)
        except DomainError as error:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.errors or {}).items())
            raise click.ClickException(f"{error.message} {details}".strip()) from None
        click.echo(f"Created {user.role} {user.email} ({user.id}).")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Load demo data (development only); running it again changes nothing."""
    runtime = _runtime()
    if not runtime.settings.is_development:
        raise click.ClickException("Demo data is only for YOUTHAPP_ENV=development.")
    with runtime.session_factory.begin() as session:
        try:
            accounts.create_staff_user(session, runtime.hashing, None, DEMO_ADMIN)
        except Conflict:
            pass  # seeded before
    click.echo(f"Demo admin: {DEMO_ADMIN['email']} / {DEMO_ADMIN['password']}")


def register_commands(app: Flask) -> None:
    for group in (db_cli, users_cli, demo_cli):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from api import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, help="The youth support companion backend.")


def main() -> None:
    # The development server is for development: give it development defaults.
    if sys.argv[1:2] == ["run"]:
        os.environ.setdefault("YOUTHAPP_ENV", "development")
        os.environ.setdefault("FLASK_RUN_PORT", "5000")
    cli(prog_name="youthapp")
