"""Settings: environment variables, .env, and one clear message naming the variable."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    for name in list(os.environ):
        if name.startswith("AIGUILLAGE_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_sqlite_in_the_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings()
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith("data/aiguillage.db")
    assert settings.timezone == "Europe/Paris"


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc.def.ghi\nAIGUILLAGE_WEB_PORT=9090\n")
    monkeypatch.setenv("AIGUILLAGE_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    settings = load_settings()
    assert settings.require_token() == "abc.def.ghi"
    assert settings.web_port == 9090
    assert settings.effective_database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("AIGUILLAGE_DATABASE_URL", "mysql://x", "pilote non pris en charge"),
        ("AIGUILLAGE_DATABASE_URL", "::::", "URL SQLAlchemy illisible"),
        ("AIGUILLAGE_WEB_PORT", "abc", "nombre entier"),
        ("AIGUILLAGE_WEB_PORT", "70000", "au plus 65535"),
        ("AIGUILLAGE_LOG_LEVEL", "LOUD", "valeurs possibles"),
        ("AIGUILLAGE_TIMEZONE", "Mars/Olympus", "fuseau horaire inconnu"),
    ],
)
def test_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    assert variable in str(excinfo.value)
    assert expected in str(excinfo.value)


def test_missing_token_is_one_clear_message_not_a_traceback(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN manquant" in err
    assert "Traceback" not in err


def test_cli_reports_bad_settings_with_exit_code_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIGUILLAGE_DATABASE_URL", "mysql://x")
    assert main(["db", "upgrade"]) == 2
    assert "AIGUILLAGE_DATABASE_URL" in capsys.readouterr().err


def test_db_upgrade_then_current(monkeypatch, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIGUILLAGE_DATA_DIR", str(tmp_path / "d"))
    assert main(["db", "current"]) == 1  # empty database is behind
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert "Base à jour" in capsys.readouterr().out


def test_invite_url_has_bot_and_commands_scopes(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["invite", "123456789012345678"]) == 0
    url = capsys.readouterr().out.strip()
    assert "client_id=123456789012345678" in url
    assert "scope=bot%20applications.commands" in url
