from pathlib import Path

import pytest

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
