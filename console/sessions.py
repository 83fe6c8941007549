"""Who is signed in to the console: a cookie naming one of the same sign-in sessions that
tokens name, checked on every request, and ended after 30 idle minutes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for

from api.database import db_session
from youthapp import access
from youthapp.clock import utcnow
from youthapp.errors import Forbidden, Unauthenticated
from youthapp.models import User
from youthapp.services import auth

IDLE = timedelta(minutes=30)
# Who works in the console: young people and referrers have the app and the referral form.
CONSOLE_ROLES = (access.COORDINATOR, access.MENTOR, access.LEAD, access.ADMIN)


def start(issued: auth.IssuedSession) -> None:
    session.clear()
    session["sid"] = str(issued.session_id)
    session["uid"] = str(issued.user.id)
    session["seen"] = utcnow().timestamp()


def end(reason: str) -> None:
    sid = session.get("sid")
    if sid:
        auth.end_session(db_session(), sid, now=utcnow(), reason=reason)
        db_session().commit()
    session.clear()


def current() -> User | None:
    """The signed-in user, read afresh (None if the sign-in has ended or gone idle)."""
    sid, uid, seen = session.get("sid"), session.get("uid"), session.get("seen")
    if not (sid and uid and isinstance(seen, float)):
        return None
    now = utcnow()
    if now.timestamp() - seen > IDLE.total_seconds():
        end("idle")
        return None
    try:
        user = auth.authenticate(db_session(), user_id=uid, session_id=sid, now=now)
    except Unauthenticated:
        session.clear()
        return None
    if user.role not in CONSOLE_ROLES:
        end("not_console")
        return None
    # A page that refreshes itself is not someone at work: it does not keep the sign-in.
    if request.headers.get("X-Console-Poll") != "1":
        session["seen"] = now.timestamp()
    return user


def signed_in(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Pages for signed-in staff (of `roles`, if given: others get the 403 page)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current()
            if user is None:
                return redirect(url_for("console.login", next=request.path))
            if roles and not access.role_may(user.role, roles, request.method):
                raise Forbidden("This page is not for your role.")
            g.current_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


def user() -> User:
    return g.current_user
