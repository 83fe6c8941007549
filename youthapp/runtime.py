"""The core, started: what every face of it (the web app, the scheduler, the command line)
needs, built once from Settings, with no Flask in it.

The content library is loaded lazily and on its own: a broken file under content/ stops
only what serves content, never the scheduler's escalations or a migration.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from youthapp.config import Settings
from youthapp.content import ContentError, ContentLibrary, DutyLine, load_content
from youthapp.db import make_engine, make_session_factory, read_only_engine
from youthapp.services.passwords import PasswordHashing
from youthapp.services.throttle import ThrottlePolicy

log = logging.getLogger(__name__)


class ContentUnavailable(Exception):
    """The content could not be loaded; says why (which file, which field)."""


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_only_factory: sessionmaker[Session]
    hashing: PasswordHashing
    login_policy: ThrottlePolicy
    session_lifetime: timedelta
    _content: ContentLibrary | None = field(default=None, repr=False)
    _content_error: str | None = field(default=None, repr=False)
    _content_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def content(self) -> ContentLibrary:
        """The content library, loaded on first use; ContentUnavailable if it is broken."""
        with self._content_lock:
            if self._content is None and self._content_error is None:
                try:
                    self._content = load_content(
                        self.settings.content_path, duty_line=duty_line(self.settings)
                    )
                except ContentError as exc:
                    self._content_error = str(exc)
                    log.error("content cannot be served: %s", exc)
        if self._content is None:
            raise ContentUnavailable(self._content_error)
        return self._content

    def content_problem(self) -> str | None:
        """Why the content cannot be served, or None when it can."""
        try:
            self.content()
        except ContentUnavailable as exc:
            return str(exc)
        return None


def duty_line(settings: Settings) -> DutyLine | None:
    if not settings.duty_line_phone:
        return None
    return DutyLine(settings.duty_line_phone, settings.duty_line_hours)


def build_runtime(settings: Settings, *, pre_ping: bool = True) -> Runtime:
    """Everything the core needs to run, from the settings. `pre_ping=False` is for a face
    that retries a request whose first statement lost its connection (the web app)."""
    # No row values in database errors: they would carry notes and codes into the logs.
    engine = make_engine(settings.database_url, hide_parameters=True, pre_ping=pre_ping)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        read_only_factory=make_session_factory(read_only_engine(engine)),
        hashing=PasswordHashing(settings),
        login_policy=ThrottlePolicy(
            account_max_failures=settings.login_account_max_failures,
            account_window=timedelta(minutes=settings.login_account_window_minutes),
            address_max_failures=settings.login_address_max_failures,
            address_window=timedelta(minutes=settings.login_address_window_minutes),
        ),
        session_lifetime=timedelta(days=settings.refresh_token_days),
    )
