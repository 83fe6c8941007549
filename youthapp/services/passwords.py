"""Password policy (NIST SP 800-63B: length and a deny list, no composition rules), Argon2id."""

from __future__ import annotations

import ctypes
import re
import threading
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from youthapp.config import Settings

MIN_LENGTH = 10
MAX_LENGTH = 256
_AFFIXES = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$", re.DOTALL)
_SEPARATORS = re.compile(r"[\W_]+")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("youthapp.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def normalise(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks: "é" typed as one character or as "e" and an accent
    is the same password, whichever phone keyboard typed it."""
    return unicodedata.normalize("NFKC", password)


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why a password would be refused; an empty list means it is acceptable."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.lower()
    affixes = _AFFIXES.match(lowered)
    assert affixes is not None  # every part of the pattern may be empty: it always matches
    core = affixes.group(1)  # "Password123!" -> "password"
    common = common_passwords()
    if lowered in common or (len(core) >= 4 and core in common):
        return ["This password is too common. Try a few unrelated words together."]
    if len(set(lowered)) < 4:
        return ["This password repeats too few characters. Try a few unrelated words together."]
    if email:
        address = email.lower()
        local = address.split("@", 1)[0]
        # "jordan.blake" also as "jordanblake": dropping the dot makes it no less guessable.
        squeezed = _SEPARATORS.sub("", lowered)
        variants = {v for v in (local, _SEPARATORS.sub("", local)) if len(v) >= 4}
        if address in lowered or any(v in lowered or v in squeezed for v in variants):
            return ["Do not use your email address in your password."]
    return []


# glibc's M_MMAP_THRESHOLD, and a fixed value for it (bytes).
_M_MMAP_THRESHOLD, _LARGE_BLOCK = -3, 4 * 1024 * 1024


@cache
def _return_large_blocks_to_the_system() -> None:
    """Argon2 takes its memory (19 MiB a hash) with malloc. glibc raises its mmap threshold
    after the first such block is freed, so later ones come from the calling thread's
    arena and stay resident there: a worker whose four threads had each served a login
    kept 4 x 19 MiB however few hashes ran at once. A fixed threshold keeps big blocks in
    mmap, handed back as soon as the hash is done. Elsewhere than glibc: nothing to do."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _LARGE_BLOCK)
    except (OSError, AttributeError):
        pass


class PasswordHashing:
    """Argon2id hashing with the configured cost, and an equal-time answer for unknown users.
    At most `argon2_max_concurrent` hashes run at once in a process; others queue."""

    def __init__(self, settings: Settings) -> None:
        _return_large_blocks_to_the_system()
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._slots = threading.BoundedSemaphore(settings.argon2_max_concurrent)
        self._decoy = self._hasher.hash("decoy password that matches nobody")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(normalise(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches; with no hash, spend the same time and say no."""
        try:
            with self._slots:
                matches = self._hasher.verify(password_hash or self._decoy, normalise(password))
        except (VerificationError, InvalidHashError):
            return False
        return matches and bool(password_hash)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
