"""Settings from the environment: safe outside development, convenient inside it."""

from __future__ import annotations

import stat

import pytest

from youthapp.config import ConfigurationError, load_settings

KEY = "k" * 32


def production(**env: str) -> dict[str, str]:
    return {"YOUTHAPP_ENV": "production", "JWT_SECRET_KEY": KEY, **env}


# --- the signing key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [
        {},  # production is the default
        {"YOUTHAPP_ENV": "production"},
        {"YOUTHAPP_ENV": "production", "JWT_SECRET_KEY": ""},
        {"YOUTHAPP_ENV": "test"},  # only development may go without
    ],
)
def test_outside_development_a_signing_key_is_required(tmp_path, env):
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        load_settings(env, instance_path=tmp_path)
    assert not (tmp_path / "dev-jwt-secret").exists()


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize("key", ["short-secret", "x" * 31, " " * 40, "\t" * 32 + "abc"])
def test_outside_development_a_weak_signing_key_is_refused(tmp_path, environment, key):
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY") as raised:
        load_settings({"YOUTHAPP_ENV": environment, "JWT_SECRET_KEY": key}, instance_path=tmp_path)
    if key.strip():
        assert key.strip() not in str(raised.value)  # the error never repeats the secret


def test_a_32_character_key_is_used_as_given(tmp_path):
    settings = load_settings(production(), instance_path=tmp_path)
    assert settings.environment == "production"
    assert settings.jwt_secret_key == KEY
    assert not settings.is_development


def test_development_keeps_a_private_stable_key_in_the_instance_folder(tmp_path):
    instance = tmp_path / "instance"
    first = load_settings({"YOUTHAPP_ENV": "development"}, instance_path=instance)
    second = load_settings({"YOUTHAPP_ENV": "development"}, instance_path=instance)

    key_file = instance / "dev-jwt-secret"
    assert first.is_development
    assert len(first.jwt_secret_key) >= 32
    assert second.jwt_secret_key == first.jwt_secret_key
    assert key_file.read_text().strip() == first.jwt_secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    elsewhere = load_settings({"YOUTHAPP_ENV": "development"}, instance_path=tmp_path / "other")
    assert elsewhere.jwt_secret_key != first.jwt_secret_key


def test_development_replaces_an_empty_key_file_instead_of_signing_with_nothing(tmp_path):
    (tmp_path / "dev-jwt-secret").write_text("\n")  # a write cut short
    settings = load_settings({"YOUTHAPP_ENV": "development"}, instance_path=tmp_path)
    assert len(settings.jwt_secret_key) >= 32
    again = load_settings({"YOUTHAPP_ENV": "development"}, instance_path=tmp_path)
    assert again.jwt_secret_key == settings.jwt_secret_key
    assert stat.S_IMODE((tmp_path / "dev-jwt-secret").stat().st_mode) == 0o600


def test_development_uses_a_given_key(tmp_path):
    settings = load_settings(
        {"YOUTHAPP_ENV": "development", "JWT_SECRET_KEY": "dev"}, instance_path=tmp_path
    )
    assert settings.jwt_secret_key == "dev"
    assert not (tmp_path / "dev-jwt-secret").exists()


@pytest.mark.parametrize("environment", ["staging", "prod", "DEBUG"])
def test_an_unknown_environment_is_refused(tmp_path, environment):
    with pytest.raises(ConfigurationError, match="YOUTHAPP_ENV"):
        load_settings(production(YOUTHAPP_ENV=environment), instance_path=tmp_path)


# --- the database ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://app:pw@db.internal:5432/youthapp",
            "postgresql+psycopg://app:pw@db.internal:5432/youthapp",
        ),
        ("postgresql://app@db/youthapp", "postgresql+psycopg://app@db/youthapp"),
        ("postgresql+psycopg://app@db/youthapp", "postgresql+psycopg://app@db/youthapp"),
        ("  postgres://app@db/youthapp  ", "postgresql+psycopg://app@db/youthapp"),
    ],
)
def test_postgres_urls_are_spoken_through_psycopg_3(tmp_path, given, expected):
    settings = load_settings(production(DATABASE_URL=given), instance_path=tmp_path)
    assert settings.database_url == expected


def test_without_a_database_url_sqlite_lives_in_the_instance_folder(tmp_path):
    settings = load_settings(production(), instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'youthapp.sqlite3'}"
    assert settings.instance_path == tmp_path.resolve()


# --- numbers, zones and levels -----------------------------------------------------------


def test_whole_numbers_are_read(tmp_path):
    settings = load_settings(
        production(
            ACCESS_TOKEN_MINUTES="5",
            LOGIN_ACCOUNT_MAX_FAILURES="3",
            ARGON2_TIME_COST="2",
            ARGON2_MAX_CONCURRENT="1",
        ),
        instance_path=tmp_path,
    )
    assert settings.access_token_minutes == 5
    assert settings.login_account_max_failures == 3
    assert settings.argon2_time_cost == 2
    assert settings.argon2_max_concurrent == 1
    assert settings.refresh_token_days == 30  # untouched values keep their defaults


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCESS_TOKEN_MINUTES", "fifteen"),
        ("ACCESS_TOKEN_MINUTES", "1.5"),
        ("ACCESS_TOKEN_MINUTES", "-1"),
        ("ACCESS_TOKEN_MINUTES", "0"),  # every token would be born expired
        ("REFRESH_TOKEN_DAYS", "0"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "5 tries"),
        ("PROXY_HOPS", "-2"),
        ("ARGON2_TIME_COST", "0"),
        ("ARGON2_PARALLELISM", "0"),
        ("ARGON2_MEMORY_KIB", "4"),  # Argon2 needs 8 KiB per lane
        ("ARGON2_MAX_CONCURRENT", "0"),  # no login could ever be checked
    ],
)
def test_bad_numbers_are_refused_by_name(tmp_path, name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings(production(**{name: value}), instance_path=tmp_path)


def test_default_timezone(tmp_path):
    assert load_settings(production(), instance_path=tmp_path).default_timezone == "Europe/London"
    chosen = load_settings(production(DEFAULT_TIMEZONE="Europe/Dublin"), instance_path=tmp_path)
    assert chosen.default_timezone == "Europe/Dublin"


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus_Mons", "europe/london", "BST", "../etc/passwd", "localtime", "a/" * 3000 + "b"],
)
def test_a_bad_default_timezone_is_refused(tmp_path, zone):
    with pytest.raises(ConfigurationError, match="DEFAULT_TIMEZONE"):
        load_settings(production(DEFAULT_TIMEZONE=zone), instance_path=tmp_path)


def test_log_level(tmp_path):
    assert load_settings(production(LOG_LEVEL="debug"), instance_path=tmp_path).log_level == "DEBUG"
    with pytest.raises(ConfigurationError, match="LOG_LEVEL"):
        load_settings(production(LOG_LEVEL="chatty"), instance_path=tmp_path)


def test_the_admin_case_access_rule_is_one_of_two(tmp_path):
    assert load_settings(
        {"JWT_SECRET_KEY": "k" * 32}, instance_path=tmp_path
    ).admin_case_access == ("one_person")
    strict = load_settings(
        {"JWT_SECRET_KEY": "k" * 32, "ADMIN_CASE_ACCESS": "two_person"}, instance_path=tmp_path
    )
    assert strict.admin_case_access == "two_person"
    with pytest.raises(ConfigurationError, match="ADMIN_CASE_ACCESS"):
        load_settings(
            {"JWT_SECRET_KEY": "k" * 32, "ADMIN_CASE_ACCESS": "two"}, instance_path=tmp_path
        )
