"""Settings, read once from the environment."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

from youthapp import windows
from youthapp.clock import DEFAULT_ZONE, is_time_zone

ENVIRONMENTS = ("development", "production", "test")
ADMIN_CASE_ACCESS_RULES = ("one_person", "two_person")
MIN_SECRET_LENGTH = 32
# The content/ folder at the root of the checkout (crisis contacts, articles, services).
DEFAULT_CONTENT_PATH = Path(__file__).resolve().parent.parent / "content"
# A UK phone number as dialled from a UK phone: digits and spaces, 3 to 11 digits.
_PHONE_NUMBER = re.compile(r"^[0-9][0-9 ]*$")
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
    # The key tokens were signed with before the last rotation: still accepted (never used
    # to sign), so that a rotation signs nobody out. Empty when there is none.
    jwt_secret_key_previous: str = field(default="", repr=False)
    redis_url: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    default_timezone: str = DEFAULT_ZONE
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
    # Argon2id cost: OWASP's first recommended setting (19 MiB, 2 passes, 1 lane). RFC 9106's
    # 64 MiB x 4 lanes put a gunicorn worker with 4 threads past 370 MB under a burst of
    # logins (bench/README.md); hashes made with other settings are upgraded at login.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    # At most this many hashes at once per process: each holds argon2_memory_kib, so a burst
    # of logins on a worker's threads cannot push it past its memory budget; the rest wait.
    argon2_max_concurrent: int = 2
    log_level: str = "INFO"
    # "json": one JSON object per log line (with the request id), for log shipping.
    log_format: str = "text"
    # Who may read /metrics: addresses or networks (loopback only by default).
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    # The scheduler: how often each sweep runs, when appointment reminders go out, and how
    # long an urgent alert may wait unacknowledged before every coordinator is told.
    sweep_seconds: int = 30
    reminder_offsets_minutes: tuple[int, ...] = (24 * 60, 60)
    escalation_minutes: int = 15
    # Privacy: how long records are kept after a young person leaves, and whether their
    # access log names the staff who looked (roles always show).
    retention_months: int = 24
    access_log_shows_names: bool = False
    # "two_person": an account that can read case content, made or reset by an admin, is
    # unusable until a second admin approves it.
    admin_case_access: str = "one_person"
    # Authored content, read and checked once at start-up.
    content_path: Path = DEFAULT_CONTENT_PATH
    # The programme's own duty line, listed with the crisis contacts. Empty means not set:
    # the crisis list then leaves it out rather than show a number nobody answers.
    duty_line_phone: str = ""
    duty_line_hours: str = ""
    # Messages: when the team is working, as "mon-fri 09:00-21:00" in the programme's zone
    # (empty: always; a young person's message out of hours gets one automatic reply), and
    # how long a young person's message may wait for a staff answer before coordinators
    # are alerted.
    staffed_hours: str = ""
    message_answer_hours: int = 24
    # Push to phones and browsers, off until configured: Web Push with our VAPID key pair,
    # FCM (Android, and iOS through FCM) with a service account. Every push request gives
    # up after push_timeout_seconds, so one slow push service cannot hold the others up.
    webpush_vapid_private_key: str = field(default="", repr=False)
    webpush_vapid_subject: str = ""
    # Accept (and post to) Web Push endpoints on 127.0.0.1/localhost over plain http: for
    # tests and local development only, never where users can register devices.
    webpush_allow_loopback: bool = False
    fcm_project_id: str = ""
    fcm_service_account_file: str = ""
    fcm_base_url: str = "https://fcm.googleapis.com"
    push_timeout_seconds: int = 5

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def with_overrides(self, **changes: Any) -> Settings:
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
    jwt_secret_key_previous = _previous_secret(env, environment, jwt_secret_key)

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
    duty_line_phone = " ".join(env.get("DUTY_LINE_PHONE", "").split())
    digits = duty_line_phone.replace(" ", "")
    if duty_line_phone and not (_PHONE_NUMBER.match(duty_line_phone) and 3 <= len(digits) <= 11):
        raise ConfigurationError(
            f"DUTY_LINE_PHONE {duty_line_phone[:40]!r} is not a UK phone number "
            "(digits and spaces, such as 020 7946 0000)"
        )
    duty_line_hours = " ".join(env.get("DUTY_LINE_HOURS", "").split())
    if len(duty_line_hours) > 200:
        raise ConfigurationError("DUTY_LINE_HOURS must be at most 200 characters")
    content_path = env.get("CONTENT_PATH", "").strip()

    min_age = _env_int(env, "PROGRAMME_MIN_AGE", defaults.programme_min_age)
    max_age = _env_int(env, "PROGRAMME_MAX_AGE", defaults.programme_max_age)
    if min_age > max_age:
        raise ConfigurationError("PROGRAMME_MIN_AGE must not be above PROGRAMME_MAX_AGE")
    offsets_text = env.get("REMINDER_OFFSETS_MINUTES", "").strip()
    try:
        reminder_offsets = (
            tuple(
                sorted(
                    {int(part) for part in offsets_text.split(",") if part.strip()}, reverse=True
                )
            )
            or defaults.reminder_offsets_minutes
        )
    except ValueError:
        raise ConfigurationError(
            "REMINDER_OFFSETS_MINUTES must be minutes separated by commas, e.g. 1440,60"
        ) from None
    if any(offset <= 0 for offset in reminder_offsets):
        raise ConfigurationError("REMINDER_OFFSETS_MINUTES must be positive")
    log_format = env.get("LOG_FORMAT", "").strip().lower() or defaults.log_format
    if log_format not in ("text", "json"):
        raise ConfigurationError("LOG_FORMAT must be text or json")
    metrics_allow = (
        tuple(part.strip() for part in env.get("METRICS_ALLOW", "").split(",") if part.strip())
        or defaults.metrics_allow
    )
    for network in metrics_allow:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"METRICS_ALLOW: {network!r} is not an address or network such as 10.0.0.0/8"
            ) from None
    staffed_hours = " ".join(env.get("STAFFED_HOURS", "").split())
    if staffed_hours:
        try:
            windows.parse(staffed_hours)
        except ValueError as error:
            raise ConfigurationError(f"STAFFED_HOURS: {error}") from None
    admin_case_access = env.get("ADMIN_CASE_ACCESS", "").strip() or defaults.admin_case_access
    if admin_case_access not in ADMIN_CASE_ACCESS_RULES:
        raise ConfigurationError("ADMIN_CASE_ACCESS must be one_person or two_person")
    return Settings(
        admin_case_access=admin_case_access,
        environment=environment,
        instance_path=instance,
        database_url=database_url,
        jwt_secret_key=jwt_secret_key,
        jwt_secret_key_previous=jwt_secret_key_previous,
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
        argon2_max_concurrent=_env_int(
            env, "ARGON2_MAX_CONCURRENT", defaults.argon2_max_concurrent, 1
        ),
        log_level=log_level,
        log_format=log_format,
        metrics_allow=metrics_allow,
        sweep_seconds=_env_int(env, "SWEEP_SECONDS", defaults.sweep_seconds, 1),
        reminder_offsets_minutes=reminder_offsets,
        escalation_minutes=_env_int(env, "ESCALATION_MINUTES", defaults.escalation_minutes, 1),
        retention_months=_env_int(env, "RETENTION_MONTHS", defaults.retention_months, 1),
        access_log_shows_names=env.get("ACCESS_LOG_SHOWS_NAMES", "").strip().lower()
        in ("1", "true", "yes", "on"),
        content_path=Path(content_path).resolve() if content_path else DEFAULT_CONTENT_PATH,
        duty_line_phone=duty_line_phone,
        duty_line_hours=duty_line_hours,
        staffed_hours=staffed_hours,
        message_answer_hours=_env_int(
            env, "MESSAGE_ANSWER_HOURS", defaults.message_answer_hours, 1
        ),
        **_push_settings(env, defaults),
    )


def _previous_secret(env: dict[str, str], environment: str, jwt_secret_key: str) -> str:
    """JWT_SECRET_KEY_PREVIOUS: optional, and held to the same rules as JWT_SECRET_KEY
    when given (32+ characters outside development), and never the current key itself
    (a rotation that forgot to change JWT_SECRET_KEY)."""
    previous = env.get("JWT_SECRET_KEY_PREVIOUS", "")
    if not previous:
        return ""
    if environment != "development" and len(previous.strip()) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"JWT_SECRET_KEY_PREVIOUS must be at least {MIN_SECRET_LENGTH} characters long"
        )
    if previous == jwt_secret_key:
        raise ConfigurationError(
            "JWT_SECRET_KEY_PREVIOUS is the same as JWT_SECRET_KEY: set JWT_SECRET_KEY to the "
            "new key and JWT_SECRET_KEY_PREVIOUS to the old one"
        )
    return previous


# A push request's timeout, in whole seconds: long enough for a distant push service,
# short enough that the dispatcher is never stuck behind one that hangs.
MAX_PUSH_TIMEOUT_SECONDS = 60
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class _PushSettings(TypedDict):
    webpush_vapid_private_key: str
    webpush_vapid_subject: str
    webpush_allow_loopback: bool
    fcm_project_id: str
    fcm_service_account_file: str
    fcm_base_url: str
    push_timeout_seconds: int


def _push_settings(env: dict[str, str], defaults: Settings) -> _PushSettings:
    """Web Push and FCM: each is on only when fully configured, and half a configuration
    is refused rather than silently sending nothing."""
    vapid_key = env.get("WEBPUSH_VAPID_PRIVATE_KEY", "").strip()
    vapid_subject = env.get("WEBPUSH_VAPID_SUBJECT", "").strip()
    if bool(vapid_key) != bool(vapid_subject):
        raise ConfigurationError(
            "Web Push needs both WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_SUBJECT"
        )
    if vapid_subject and not vapid_subject.startswith(("mailto:", "https://")):
        raise ConfigurationError(
            "WEBPUSH_VAPID_SUBJECT must be a mailto: or https:// address push services can "
            "reach us at"
        )
    allow_loopback = env.get("WEBPUSH_ALLOW_LOOPBACK", "").strip().lower()
    if allow_loopback not in _TRUE + _FALSE:
        raise ConfigurationError("WEBPUSH_ALLOW_LOOPBACK must be true or false")
    project_id = env.get("FCM_PROJECT_ID", "").strip()
    service_account_file = env.get("FCM_SERVICE_ACCOUNT_FILE", "").strip()
    if bool(project_id) != bool(service_account_file):
        raise ConfigurationError("FCM needs both FCM_PROJECT_ID and FCM_SERVICE_ACCOUNT_FILE")
    if project_id and not re.fullmatch(r"[a-z][a-z0-9-]{4,61}[a-z0-9]", project_id):
        raise ConfigurationError(f"FCM_PROJECT_ID {project_id[:80]!r} is not a Firebase project id")
    base_url = (env.get("FCM_BASE_URL", "").strip() or defaults.fcm_base_url).rstrip("/")
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", base_url):
        raise ConfigurationError(f"FCM_BASE_URL {base_url[:80]!r} is not an http(s) URL")
    if base_url.startswith("http://") and not (
        allow_loopback in _TRUE and urlsplit(base_url).hostname in ("127.0.0.1", "localhost", "::1")
    ):
        raise ConfigurationError(
            "FCM_BASE_URL must be https (plain http only on loopback, with "
            "WEBPUSH_ALLOW_LOOPBACK=true, for tests)"
        )
    timeout = _env_int(env, "PUSH_TIMEOUT_SECONDS", defaults.push_timeout_seconds, 1)
    if timeout > MAX_PUSH_TIMEOUT_SECONDS:
        raise ConfigurationError(
            f"PUSH_TIMEOUT_SECONDS must be at most {MAX_PUSH_TIMEOUT_SECONDS}, not {timeout}"
        )
    return {
        "webpush_vapid_private_key": vapid_key,
        "webpush_vapid_subject": vapid_subject,
        "webpush_allow_loopback": allow_loopback in _TRUE,
        "fcm_project_id": project_id,
        "fcm_service_account_file": str(Path(service_account_file).resolve())
        if service_account_file
        else "",
        "fcm_base_url": base_url,
        "push_timeout_seconds": timeout,
    }


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
