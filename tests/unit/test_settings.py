from pathlib import Path

import pytest
import yaml

from engagement.settings import Settings, SettingsError


def test_defaults_are_embedded_and_on_loopback(tmp_path: Path) -> None:
    settings = Settings.from_env({}, base_dir=tmp_path)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'fusion.db'}"
    assert (settings.rasa_port, settings.action_port, settings.engagement_port) == (
        5005,
        5055,
        8000,
    )
    assert settings.host == "127.0.0.1"
    assert settings.max_message_length == 1000
    assert settings.admin_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FUSION_ENGAGEMENT_PORT", "eighty"),
        ("FUSION_ACTION_PORT", "70000"),
        ("FUSION_MAX_MESSAGE_LENGTH", "0"),
        ("FUSION_DEFAULT_LANGUAGE", "de"),
        ("FUSION_ADMIN_TOKEN", "short"),
        ("FUSION_DATABASE_URL", "mysql://db/fusion"),
        ("FUSION_REDIS_URL", "memcached://cache:11211"),
        ("FUSION_TRACKER_DATABASE_URL", "mongodb://db/tracker"),
        ("FUSION_TRUSTED_PROXIES", "nginx.local"),
        ("FUSION_STAFF_TOKENS", "lea:marketer:short"),
        ("FUSION_STAFF_TOKENS", "lea:intern:token-of-lea-0123456789"),
        ("FUSION_STAFF_TOKENS", "lé a:marketer:token-of-lea-0123456789"),
        ("FUSION_STAFF_TOKENS", "lea:marketer:token-of-lea-0123456789,"
                                "lea:admin:token-of-lea-9876543210"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, base_dir=tmp_path)


def test_plain_database_urls_get_their_async_driver(tmp_path: Path) -> None:
    pg = Settings.from_env({"FUSION_DATABASE_URL": "postgresql://u:p@db/fusion"}, base_dir=tmp_path)
    lite = Settings.from_env({"FUSION_DATABASE_URL": "sqlite:////tmp/x.db"}, base_dir=tmp_path)
    assert pg.database_url == "postgresql+asyncpg://u:p@db/fusion"
    assert lite.database_url == "sqlite+aiosqlite:////tmp/x.db"


def test_urls_for_other_processes_use_loopback_for_wildcard_hosts(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"FUSION_HOST": "0.0.0.0", "FUSION_ACTION_PORT": "6000"}, base_dir=tmp_path
    )
    assert settings.action_url == "http://127.0.0.1:6000/webhook"


def test_on_postgresql_rasa_gets_its_own_tracker_database_and_redis_locks(tmp_path: Path) -> None:
    from bot.composition import render_rasa_config

    settings = Settings.from_env({
        "FUSION_DATA_DIR": str(tmp_path),
        "FUSION_DATABASE_URL": "postgresql://fusion:s3cret@db.internal:5433/shop",
        "FUSION_REDIS_URL": "redis://:p%40ss@cache.internal:6380/2",
    }, base_dir=tmp_path)  # fmt: skip
    endpoints = yaml.safe_load(render_rasa_config(settings, "endpoints.yml").read_text())
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 5433,
        "db": "shop_tracker", "username": "fusion", "password": "s3cret",
    }  # fmt: skip
    lock = endpoints["lock_store"]
    assert (lock["type"], lock["url"], lock["port"]) == ("redis", "cache.internal", 6380)
    assert (lock["db"], lock["password"]) == (2, "p@ss")


def test_on_sqlite_the_tracker_is_a_file_and_locks_stay_in_memory(tmp_path: Path) -> None:
    from bot.composition import render_rasa_config

    settings = Settings.from_env({"FUSION_DATA_DIR": str(tmp_path)}, base_dir=tmp_path)
    endpoints = yaml.safe_load(render_rasa_config(settings, "endpoints.yml").read_text())
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db"),
    }  # fmt: skip
    assert "lock_store" not in endpoints


def test_a_messaging_channel_is_on_when_all_its_variables_are_set(tmp_path: Path) -> None:
    from bot.composition import render_rasa_config

    env = {
        "FUSION_DATA_DIR": str(tmp_path), "FUSION_TWILIO_ACCOUNT_SID": "AC0123",
        "FUSION_TWILIO_AUTH_TOKEN": "twilio-token-0123", "FUSION_TWILIO_NUMBER": "+33100",
    }  # fmt: skip
    settings = Settings.from_env(env, base_dir=tmp_path)
    credentials = yaml.safe_load(render_rasa_config(settings, "credentials.yml").read_text())
    assert credentials["bot.messaging.VerifiedTwilioInput"] == {
        "account_sid": "AC0123", "twilio_number": "+33100", "auth_token": "twilio-token-0123",
    }  # fmt: skip
    assert "twilio-token-0123" in settings.secrets, "masked in the logs"
    with pytest.raises(SettingsError, match="FUSION_SLACK_SIGNING_SECRET"):
        Settings.from_env({"FUSION_SLACK_TOKEN": "xoxb-1"}, base_dir=tmp_path)


def test_personal_staff_tokens_name_a_person_and_a_role_and_are_masked(tmp_path: Path) -> None:
    settings = Settings.from_env({"FUSION_STAFF_TOKENS": " lea:marketer:token-of-lea-0123456789, "
                                  "sam.b@shop:community_manager:token:of:sam-0123456789"},
                                 base_dir=tmp_path)  # fmt: skip
    assert settings.staff_tokens == {
        "token-of-lea-0123456789": ("lea", "marketer"),
        "token:of:sam-0123456789": ("sam.b@shop", "community_manager"),
    }
    assert set(settings.staff_tokens) <= set(settings.secrets)
