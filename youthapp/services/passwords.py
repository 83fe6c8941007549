"""Password policy (NIST SP 800-63B style: length and a deny list, no composition rules) and Argon2id."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from youthapp.config import Settings

MIN_LENGTH = 10
MAX_LENGTH = 256
_AFFIXES = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("youthapp.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why a password would be refused; an empty list means it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.lower()
    core = _AFFIXES.match(lowered).group(1)  # "Password123!" -> "password"
    common = common_passwords()
    if lowered in common or (len(core) >= 4 and core in common):
        return ["This password is too common. Try a few unrelated words together."]
    if len(set(lowered)) < 4:
        return ["This password repeats too few characters. Try a few unrelated words together."]
    if email:
        local = email.lower().split("@", 1)[0]
        if lowered == email.lower() or (len(local) >= 4 and local in lowered):
            return ["Do not use your email address in your password."]
    return []


class PasswordHashing:
    """Argon2id hashing with the configured cost, and an equal-time answer for unknown users."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._decoy = self._hasher.hash("decoy password that matches nobody")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches; with no hash, spend the same time and say no."""
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
