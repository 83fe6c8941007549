"""Who may see whom: the one home of the programme's scope rules.

Role gates (may this role use this endpoint at all?) answer 403 and live on the routes.
Object scope (is this record the caller's to see?) lives here, as queries: a record
outside the caller's scope is simply not found, so it answers 404 and its existence does
not leak.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from youthapp.errors import Forbidden
from youthapp.models import User

ADMIN = "admin"
COORDINATOR = "coordinator"
MENTOR = "mentor"
REFERRER = "referrer"
YOUNG_PERSON = "young_person"


def require_role(actor: User, *roles: str) -> None:
    """For services reached from more than one door (API, CLI, scheduler)."""
    if actor.role not in roles:
        raise Forbidden()


def staff_accounts_visible_to(actor: User) -> Select[tuple[User]]:
    """Staff accounts are managed by admins only; young people's accounts are never listed."""
    query = select(User).where(User.role != YOUNG_PERSON)
    if actor.role != ADMIN:
        return query.where(False)
    return query
