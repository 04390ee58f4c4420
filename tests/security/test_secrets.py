"""The Discord token never shows: not in logs (discord.py's included, at DEBUG), not in
error messages to users, not in the settings' repr, not in the login failure message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.harness import BotHarness
from bot.logging_setup import JsonFormatter, TextFormatter, register_secret, scrub

# Shaped like a real token (base64 id . timestamp . hmac) so any accidental formatting keeps it.
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GsEcRt.Th1s-1s_N0t-A-R3al-T0ken-9f8e7d6c5b4a"
TOKEN_PARTS = [FAKE_TOKEN, FAKE_TOKEN.split(".")[2]]  # the HMAC part alone is the secret


class _Capture(logging.Handler):
    """Keeps every record three ways: raw (message + traceback), text and JSON formatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.raw: list[str] = []
        self.text: list[str] = []
        self.json: list[str] = []
        self._plain = logging.Formatter("%(name)s %(message)s")
        self._text = TextFormatter()
        self._json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(self._plain.format(record))
        self.text.append(self._text.format(record))
        self.json.append(self._json.format(record))


@pytest.fixture
def capture() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    watched = [root, logging.getLogger("discord"), logging.getLogger("aiguillage")]
    levels = [logger.level for logger in watched]
    root.addHandler(handler)
    for logger in watched:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in zip(watched, levels, strict=True):
            logger.setLevel(level)


def _leaks(lines: list[str]) -> list[str]:
    return [line[:300] for line in lines if any(part in line for part in TOKEN_PARTS)]


def test_settings_repr_str_and_dump_hide_the_token() -> None:
    settings = Settings(discord_token=FAKE_TOKEN, data_dir=Path("data"))
    for shown in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.model_dump()),
    ):
        assert not _leaks([shown]), shown
    assert settings.require_token() == FAKE_TOKEN  # the value is still there for login


@pytest.mark.parametrize(
    "url",
    [
        "mysql://aig:S3cretPassw0rd@db/aiguillage",  # unsupported driver
        "postgresql+asyncpg://aig:S3cretPassw0rd@db:notaport/aiguillage",  # unreadable URL
    ],
)
def test_config_error_hides_the_database_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("AIGUILLAGE_DATABASE_URL", url)
    with pytest.raises(ConfigError) as excinfo:
        load_settings()
    assert "AIGUILLAGE_DATABASE_URL" in str(excinfo.value)
    assert "S3cretPassw0rd" not in str(excinfo.value)


def test_formatters_scrub_a_registered_token_even_in_tracebacks() -> None:
    register_secret(FAKE_TOKEN)
    logger = logging.getLogger("aiguillage.test_secrets")
    try:
        raise RuntimeError(f"login with {FAKE_TOKEN} failed")
    except RuntimeError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "token=%s", (FAKE_TOKEN,), None
        )
        import sys

        record.exc_info = sys.exc_info()
    for formatter in (TextFormatter(), JsonFormatter()):
        out = formatter.format(record)
        assert "[jeton masqué]" in out
        assert not _leaks([out]), out
    assert FAKE_TOKEN not in scrub(f"Bot {FAKE_TOKEN}")


async def test_a_whole_run_at_debug_never_logs_the_token(tmp_path: Path, capture: _Capture) -> None:
    """Login, command sync, commands, an unexpected error, a refused request, a gateway
    resume and a restart, with every logger at DEBUG: the token appears nowhere, not even
    in the raw records (before the scrubber), nor in anything the bot sent to Discord."""
    harness = BotHarness(
        tmp_path / "data",
        extensions=["cogs.core"],
        seed_capabilities=False,
        settings_overrides={"discord_token": FAKE_TOKEN, "log_level": "DEBUG"},
    )
    async with harness:
        emu = harness.emu
        bot = harness.bot
        assert bot is not None
        await harness.slash("membre", "aide")
        await harness.slash("membre", "config voir")  # refused

        @discord.app_commands.command(name="panne", description="Commande qui échoue")
        async def broken(interaction: discord.Interaction) -> None:
            raise RuntimeError(f"failure while holding {interaction.client.http.token[:4]}…")

        bot.tree.add_command(broken)
        await bot.sync_commands_if_changed()
        failed = await harness.slash("membre", "panne")
        assert "erreur inattendue" in failed.text
        emu.inject("GET", r"/channels/\d+$", status=401, times=1)
        with pytest.raises(discord.HTTPException):
            await bot.fetch_channel(harness.channel("annonces"))
        await emu.disconnect(resume=True)
        await emu.wait_resumed()
        await harness.restart()
        # The token really was used: the emulator saw it on every authenticated request.
        assert emu.tokens_seen == {FAKE_TOKEN}
        sent = [str(call.json) for call in emu.calls] + [str(call.files) for call in emu.calls]
    assert len(capture.raw) > 50, "DEBUG capture saw almost nothing: the test proves nothing"
    assert any(r.startswith("discord.") for r in capture.raw), "discord.py's logs not captured"
    assert not _leaks(capture.raw), _leaks(capture.raw)
    assert not _leaks(capture.text)
    assert not _leaks(capture.json)
    assert not _leaks(sent)


async def test_a_rejected_token_gives_a_message_without_it(
    tmp_path: Path, capture: _Capture
) -> None:
    harness = BotHarness(
        tmp_path / "data",
        extensions=["cogs.core"],
        seed_capabilities=False,
        settings_overrides={"discord_token": FAKE_TOKEN},
    )
    harness.emu.inject("GET", r"/users/@me$", status=401, times=-1)
    with pytest.raises(RuntimeError) as excinfo:
        await harness.start()
    await harness.stop()
    cause = excinfo.value.__cause__
    assert isinstance(cause, discord.LoginFailure)
    chain = [str(excinfo.value), str(cause), repr(cause), str(cause.__cause__)]
    assert not _leaks(chain), chain
    assert not _leaks(capture.raw)
