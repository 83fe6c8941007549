"""Settings, read once from the environment."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from youthapp.clock import is_time_zone

ENVIRONMENTS = ("development", "production", "test")
MIN_SECRET_LENGTH = 32
# Argon2 needs at least 8 KiB of memory per lane.
ARGON2_KIB_PER_LANE = 8


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    environment: str = "production"
    instance_path: Path = Path("instance")
    database_url: str = ""
    jwt_secret_key: str = ""
    redis_url: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    default_timezone: str = "Europe/London"
    # Login and activation throttling: per account after a few failures, per client
    # address only after many, because young people share carrier addresses.
    login_account_max_failures: int = 5
    login_account_window_minutes: int = 15
    login_address_max_failures: int = 100
    login_address_window_minutes: int = 60
    rate_limit_default: str = ""
    # Who the programme is for, and how long a young person's activation code lasts.
    programme_min_age: int = 10
    programme_max_age: int = 25
    activation_code_days: int = 14
    proxy_hops: int = 0
    max_content_length: int = 1024 * 1024
    # Argon2id cost; the defaults are RFC 9106's second recommended option.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    log_level: str = "INFO"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _env_int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


def load_settings(env: dict[str, str] | None = None, instance_path: Path | None = None) -> Settings:
    """Read the settings from the environment and check that they make sense."""
    env = dict(os.environ if env is None else env)
    environment = env.get("YOUTHAPP_ENV", "production").strip().lower()
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"YOUTHAPP_ENV must be one of {', '.join(ENVIRONMENTS)}")
    instance = Path(env.get("YOUTHAPP_INSTANCE_PATH") or instance_path or "instance").resolve()

    database_url = env.get("DATABASE_URL", "").strip()
    if not database_url:
        database_url = f"sqlite:///{instance / 'youthapp.sqlite3'}"
    elif database_url.startswith(("postgres://", "postgresql://")):
        # Hosting platforms hand out plain URLs; we talk to PostgreSQL through psycopg 3.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    # Only development may run without a real key: "test" and "production" alike refuse,
    # so that a mistyped YOUTHAPP_ENV never signs tokens with a guessable key.
    jwt_secret_key = env.get("JWT_SECRET_KEY", "")
    if environment != "development":
        if not jwt_secret_key:
            raise ConfigurationError(
                "JWT_SECRET_KEY is required outside development "
                "(set YOUTHAPP_ENV=development to run locally)"
            )
        if len(jwt_secret_key.strip()) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"JWT_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long"
            )
    elif not jwt_secret_key:
        jwt_secret_key = _development_secret(instance)

    default_timezone = env.get("DEFAULT_TIMEZONE", "").strip() or Settings.default_timezone
    if not is_time_zone(default_timezone):
        raise ConfigurationError(
            f"DEFAULT_TIMEZONE {default_timezone[:80]!r} is not a time zone (e.g. Europe/London)"
        )

    log_level = env.get("LOG_LEVEL", "").strip().upper() or Settings.log_level
    if log_level not in logging.getLevelNamesMapping():
        raise ConfigurationError(f"LOG_LEVEL {log_level[:40]!r} is not a logging level (e.g. INFO)")

    defaults = Settings()
    argon2_parallelism = _env_int(env, "ARGON2_PARALLELISM", defaults.argon2_parallelism, 1)
    argon2_memory_kib = _env_int(
        env,
        "ARGON2_MEMORY_KIB",
        defaults.argon2_memory_kib,
        ARGON2_KIB_PER_LANE * argon2_parallelism,
    )
    min_age = _env_int(env, "PROGRAMME_MIN_AGE", defaults.programme_min_age)
    max_age = _env_int(env, "PROGRAMME_MAX_AGE", defaults.programme_max_age)
    if min_age > max_age:
        raise ConfigurationError("PROGRAMME_MIN_AGE must not be above PROGRAMME_MAX_AGE")
    return Settings(
        environment=environment,
        instance_path=instance,
        database_url=database_url,
        jwt_secret_key=jwt_secret_key,
        redis_url=env.get("REDIS_URL", "").strip(),
        access_token_minutes=_env_int(
            env, "ACCESS_TOKEN_MINUTES", defaults.access_token_minutes, 1
        ),
        refresh_token_days=_env_int(env, "REFRESH_TOKEN_DAYS", defaults.refresh_token_days, 1),
        default_timezone=default_timezone,
        login_account_max_failures=_env_int(
            env, "LOGIN_ACCOUNT_MAX_FAILURES", defaults.login_account_max_failures
        ),
        login_account_window_minutes=_env_int(
            env, "LOGIN_ACCOUNT_WINDOW_MINUTES", defaults.login_account_window_minutes
        ),
        login_address_max_failures=_env_int(
            env, "LOGIN_ADDRESS_MAX_FAILURES", defaults.login_address_max_failures
        ),
        login_address_window_minutes=_env_int(
            env, "LOGIN_ADDRESS_WINDOW_MINUTES", defaults.login_address_window_minutes
        ),
        rate_limit_default=env.get("RATE_LIMIT_DEFAULT", "").strip(),
        programme_min_age=min_age,
        programme_max_age=max_age,
        activation_code_days=_env_int(
            env, "ACTIVATION_CODE_DAYS", defaults.activation_code_days, 1
        ),
        proxy_hops=_env_int(env, "PROXY_HOPS", defaults.proxy_hops),
        argon2_time_cost=_env_int(env, "ARGON2_TIME_COST", defaults.argon2_time_cost, 1),
        argon2_memory_kib=argon2_memory_kib,
        argon2_parallelism=argon2_parallelism,
        log_level=log_level,
    )


def _development_secret(instance: Path) -> str:
    """A per-checkout signing key kept in the instance folder, so restarts keep sessions.

    The key is written to a private temporary file and renamed into place, so nobody ever
    reads half a key, and an empty or cut-short file is replaced rather than signed with.
    """
    path = instance / "dev-jwt-secret"
    existing = _read_secret(path)
    if existing:
        return existing
    instance.mkdir(parents=True, exist_ok=True)
    temporary = instance / f".dev-jwt-secret.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    os.replace(temporary, path)
    return _read_secret(path) or ""


def _read_secret(path: Path) -> str | None:
    """The key in `path`, "" when the file is there but too short to be one, None if absent."""
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        return None
    return secret if len(secret) >= MIN_SECRET_LENGTH else ""


def settings_for_tests(database_url: str, instance_path: Path) -> Settings:
    """Settings for the test suite: a fixed key and a cheap password hash."""
    return Settings(
        environment="test",
        instance_path=instance_path,
        database_url=database_url,
        jwt_secret_key="test-only-signing-key-" + "x" * 32,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
