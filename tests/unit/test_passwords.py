"""The password policy (length, a deny list, no composition rules) and Argon2id hashing."""

from __future__ import annotations

import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from youthapp.config import Settings
from youthapp.services.passwords import PasswordHashing, common_passwords, password_problems

CHEAP = Settings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)


# --- password_problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "gravel owl",  # exactly 10 characters
        "violet kettle under the stairs",
        "Żółta żaba skacze po łące",  # not only ASCII
        "correct horse battery staple",
        "7 blue ferries cross at dawn",
        "x" * 60 + "yz1 " * 49,  # 256 characters
    ],
)
def test_acceptable_passwords(password):
    assert password_problems(password) == []
    assert password_problems(password, email="sam.okafor@example.org") == []


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 10"),
        ("nine char", "at least 10"),
        ("x1y2z3 " * 37, "at most 256"),  # 259 characters
        ("1234567890", "common"),
        ("qwertyuiop", "common"),
        ("password123456", "common"),  # common word with digits added
        ("Password1234!", "common"),  # ... and a capital and a symbol
        ("!!Football2026", "common"),  # affixes on either side
        ("ILOVEYOU!!!!", "common"),
        ("aaaaaaaaaaaa", "repeats"),
        ("abababababab", "repeats"),
        ("12121212121212", "repeats"),
    ],
)
def test_refused_passwords_say_why(password, reason):
    problems = password_problems(password)
    assert len(problems) == 1
    assert reason in problems[0]


@pytest.mark.parametrize(
    "password",
    [
        "jordan.blake is me",
        "I am JORDAN.BLAKE!",
        "jordanblake forever",  # the local part without its dot
        "jordan.blake@example.org",
    ],
)
def test_the_email_address_is_not_a_password(password):
    problems = password_problems(password, email="Jordan.Blake@example.org")
    assert problems and "email" in problems[0]
    assert password_problems(password, email="someone.else@example.org") == []


def test_a_very_short_local_part_does_not_forbid_its_letters():
    assert password_problems("joyful orange kites", email="jo@example.org") == []


def test_the_deny_list_is_loaded_and_lower_case():
    common = common_passwords()
    assert len(common) > 10_000
    assert "password" in common and "qwertyuiop" in common
    assert all(word == word.lower() for word in common)
    assert not any(word.startswith("#") for word in common)


# --- PasswordHashing ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    return PasswordHashing(CHEAP)


def test_hashes_are_salted_argon2id_with_the_configured_cost(hashing):
    first = hashing.hash("violet kettle under the stairs")
    second = hashing.hash("violet kettle under the stairs")
    assert first.startswith("$argon2id$")
    assert "m=1024,t=1,p=1" in first
    assert first != second
    assert "violet" not in first


def test_verify(hashing):
    stored = hashing.hash("violet kettle under the stairs")
    assert hashing.verify(stored, "violet kettle under the stairs") is True
    assert hashing.verify(stored, "violet kettle under the stairs ") is False
    assert hashing.verify(stored, "Violet kettle under the stairs") is False
    assert hashing.verify(stored, "") is False


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "not a hash",
        "$2b$12$abcdefghijklmnopqrstuv",
        "$argon2id$v=19$m=1024,t=1,p=1$broken",
    ],
)
def test_verify_without_a_usable_hash_says_no(hashing, stored):
    assert hashing.verify(stored, "violet kettle under the stairs") is False
    assert hashing.verify(stored, "decoy password that matches nobody") is False


def test_the_same_password_typed_on_another_keyboard_still_verifies(hashing):
    # "é" as one code point (most keyboards) and as "e" + combining accent (some phones).
    composed, decomposed = "café au lait tous les jours", "cafe\u0301 au lait tous les jours"
    assert hashing.verify(hashing.hash(composed), decomposed) is True
    assert hashing.verify(hashing.hash(decomposed), composed) is True


def test_needs_rehash_when_the_cost_changes(hashing):
    stored = hashing.hash("violet kettle under the stairs")
    assert hashing.needs_rehash(stored) is False
    stronger = PasswordHashing(CHEAP.with_overrides(argon2_time_cost=2))
    assert stronger.needs_rehash(stored) is True
    assert stronger.verify(stored, "violet kettle under the stairs") is True  # still verifies
    assert stronger.needs_rehash(stronger.hash("violet kettle under the stairs")) is False


def test_a_password_with_line_breaks_is_judged_not_crashed_on():
    assert password_problems("\r\f\n abcdefg \n xyz") == []
    assert password_problems("password\n12345") != []


def test_at_most_the_configured_number_of_hashes_run_at_once():
    """Each Argon2 hash holds its memory cost; a burst of logins on a worker's threads must
    queue rather than multiply it (bench/README.md: worker memory)."""
    hashing = PasswordHashing(
        Settings(
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            argon2_parallelism=1,
            argon2_max_concurrent=2,
        )
    )
    real = hashing._hasher
    running, peak, lock = 0, 0, threading.Lock()

    class Watched:
        def __getattr__(self, name):
            method = getattr(real, name)

            def watched(*args):
                nonlocal running, peak
                with lock:
                    running += 1
                    peak = max(peak, running)
                time.sleep(0.05)
                try:
                    return method(*args)
                finally:
                    with lock:
                        running -= 1

            return watched

    hashing._hasher = Watched()
    stored = real.hash("violet kettle under the stairs")
    with ThreadPoolExecutor(max_workers=8) as pool:
        verified = list(
            pool.map(lambda _: hashing.verify(stored, "violet kettle under the stairs"), range(8))
        )
        hashed = list(pool.map(lambda _: hashing.hash("seven blue ferries"), range(8)))
    assert verified == [True] * 8
    assert all(real.verify(h, "seven blue ferries") for h in hashed)
    assert peak == 2


_BURST_OF_LOGINS = """
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from youthapp.config import Settings
from youthapp.services.passwords import PasswordHashing

def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

hashing = PasswordHashing(Settings())
stored = hashing.hash("violet kettle under the stairs")
before = peak_kib()
with ThreadPoolExecutor(4) as pool:
    for _ in range(4):
        list(pool.map(lambda _: hashing.verify(stored, "violet kettle under the stairs"), range(8)))
print(peak_kib() - before)
"""


@pytest.mark.skipif(
    not (sys.platform == "linux" and platform.libc_ver()[0] == "glibc"), reason="glibc's malloc"
)
def test_a_burst_of_logins_on_four_threads_holds_at_most_two_hashes_of_memory():
    """At the default cost (19 MiB a hash), 32 logins on 4 threads: the process's peak grows
    by two hashes' worth at most, not one per thread that ever hashed."""
    grown_kib = int(
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _BURST_OF_LOGINS],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parents[2],
        ).stdout
    )
    assert grown_kib <= 2 * Settings().argon2_memory_kib + 4096
