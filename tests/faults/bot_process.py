"""One bot PROCESS against an emulated Discord running in another process (tests, benches).

Not part of ``aiguillage run``: it points discord.py at the emulator's URL (as
``EmulatedDiscord.install()`` does in-process) and starts the real ``AiguillageBot`` with
settings from the environment (``AIGUILLAGE_*``). Extra variables:

* ``AIG_EMULATOR_URL``: ``http://127.0.0.1:PORT`` of the emulated Discord (required);
* ``AIG_CLOCK_OFFSET_S``: seconds added to real time by the bot's clock, so every process
  of a test shares one virtual timeline (default 0);
* ``AIG_INSTANCE_ID``: the scheduler's instance id (default: host-pid-random);
* ``AIG_EXTENSIONS``: comma-separated capabilities to load (default: all).

It reports on stdout, one JSON object a line: ``{"event": "ready", ...}`` once the
scheduler runs, ``{"event": "leader", "leader": true|false}`` whenever leadership changes,
``{"event": "stopped"}`` after a clean SIGTERM shutdown.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, "pid": os.getpid(), **fields}), flush=True)


def point_discord_at(emulator_url: str) -> None:
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = emulator_url.rstrip("/") + "/api/v10"
    ws_url = emulator_url.replace("http://", "ws://", 1).rstrip("/") + "/gateway"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(ws_url)


async def main() -> int:
    from bot import process_tuning
    from bot.client import AiguillageBot
    from bot.clock import Clock
    from bot.config import load_settings
    from bot.logging_setup import setup_logging

    process_tuning.configure_for_service()
    point_discord_at(os.environ["AIG_EMULATOR_URL"])
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format)
    clock = Clock()
    clock.advance(timedelta(seconds=float(os.environ.get("AIG_CLOCK_OFFSET_S", "0"))))
    extensions = os.environ.get("AIG_EXTENSIONS")
    bot = AiguillageBot(
        settings,
        clock=clock,
        extensions=extensions.split(",") if extensions else None,
        guild_ready_timeout=0.05,
        instance_id=os.environ.get("AIG_INSTANCE_ID") or None,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    async def report() -> None:
        await bot.wait_until_ready()
        while not bot.scheduler.running:  # noqa: ASYNC110 (the scheduler has no event to await)
            await asyncio.sleep(0.02)
        process_tuning.freeze_startup_heap()
        say("ready", instance=bot.scheduler.instance_id, leader=bot.scheduler.is_leader)
        leader = bot.scheduler.is_leader
        while True:
            await asyncio.sleep(0.05)
            if bot.scheduler.is_leader != leader:
                leader = bot.scheduler.is_leader
                say("leader", leader=leader)

    runner = asyncio.create_task(bot.start(settings.require_token()))
    reporter = asyncio.create_task(report())
    stopper = asyncio.create_task(stopping.wait())
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    reporter.cancel()
    if not bot.is_closed():
        await bot.close()
    if runner in done and runner.exception() is not None:
        say("crashed", error=repr(runner.exception()))
        return 1
    say("stopped")
    return 0


if __name__ == "__main__":
    from bot.process_tuning import run

    sys.exit(run(main()))
