"""The programme's records, one module per area; importing this package registers them all."""

from youthapp.models.auth import AuthFailure, AuthSession, RefreshToken
from youthapp.models.users import MENTOR_SPECIALTIES, REFERRER_TYPES, ROLES, STAFF_ROLES, User

__all__ = [
    "MENTOR_SPECIALTIES",
    "REFERRER_TYPES",
    "ROLES",
    "STAFF_ROLES",
    "AuthFailure",
    "AuthSession",
    "RefreshToken",
    "User",
]
