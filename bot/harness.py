"""The real bot against the emulated Discord, on the demo network.

One class for the demo console, the end-to-end tests and the benches: start, act as a
member, restart on the same database, advance the clock. Never imported by ``run``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.client import AiguillageBot, discover_modules
from bot.clock import Clock
from bot.config import Settings
from bot.demo_network import (
    DemoNetwork,
    assign_demo_referents,
    build_demo_guild,
    seed_demo_database,
)
from bot.emulator import EmulatedDiscord
from db.migrate import upgrade

log = logging.getLogger("aiguillage.harness")


class BotHarness:
    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        extensions: list[str] | None = None,
        clock: Clock | None = None,
        seed_capabilities: bool = True,
        directory_file: Path | None = None,
        web: bool = True,
        settings_overrides: dict[str, Any] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.extensions = extensions
        self.clock = clock or Clock()
        self.seed_capabilities = seed_capabilities
        self.directory_file = directory_file
        self.web = web
        self.settings_overrides = settings_overrides or {}
        self.emu = EmulatedDiscord()
        self.network: DemoNetwork | None = None
        self.bot: AiguillageBot | None = None
        self._task: asyncio.Task[None] | None = None
        self.starts = 0

    # ---- lifecycle --------------------------------------------------------------------
    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "data_dir": self.data_dir,
            "database_url": self.database_url,
            "web_host": "127.0.0.1",
            "web_port": 0,
            "demo_directory_file": self.directory_file,
            "discord_token": "emulated-token",
        }
        values.update(self.settings_overrides)
        return Settings(**values)

    async def start(self) -> BotHarness:
        self.emu.set_clock(self.clock.now)
        await self.emu.start()
        self.emu.install()
        self.network = build_demo_guild(self.emu)
        await self.start_bot(first=True)
        return self

    async def start_bot(self, *, first: bool = False) -> AiguillageBot:
        bot = AiguillageBot(
            self.settings(),
            clock=self.clock,
            extensions=self.extensions,
            guild_ready_timeout=0.05,
            web_enabled=self.web,
        )
        if first:
            await upgrade(bot.db.engine)
            assert self.network is not None
            await seed_demo_database(bot, self.network)
        # The token the settings hold, as ``run`` does (tests use a recognisable fake one).
        token = bot.settings.require_token()
        self._task = asyncio.create_task(bot.start(token), name="bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if self._task in done and self._task.exception() is not None:
                raise RuntimeError("the bot failed to start") from self._task.exception()
            raise TimeoutError("the bot did not become ready within 30 s")
        # Let on_ready handlers (scheduler start) finish.
        for _ in range(100):
            if bot.scheduler.running:
                break
            await asyncio.sleep(0.02)
        self.bot = bot
        self.starts += 1
        if first and self.seed_capabilities:
            await self.seed_capability_demos()
        return bot

    async def seed_capability_demos(self) -> None:
        assert self.bot is not None and self.network is not None
        loaded = set(self.bot.extensions)
        for module_name in discover_modules("demo"):
            if module_name.rsplit(".", 1)[0] not in loaded:
                continue
            module = importlib.import_module(module_name)
            seed = getattr(module, "seed_demo", None)
            if seed is not None:
                await seed(self.bot, self.network.guild_id, dict(self.network.people))
        # An imported directory replaces the sample: give the demo's referents a structure in it.
        await assign_demo_referents(self.bot, self.network)

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except (asyncio.CancelledError, TimeoutError, Exception):
                log.debug("bot task ended", exc_info=True)
        self.bot = None
        self._task = None

    async def restart(self) -> AiguillageBot:
        """Stop the bot and start a new process-equivalent on the same database."""
        await self.stop_bot()
        return await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        self.emu.uninstall()
        await self.emu.stop()

    async def __aenter__(self) -> BotHarness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- acting -----------------------------------------------------------------------
    @property
    def guild_id(self) -> int:
        assert self.network is not None
        return self.network.guild_id

    def person(self, name: str) -> int:
        assert self.network is not None
        return self.network.people[name]

    def channel(self, name: str) -> int:
        assert self.network is not None
        return self.network.channels[name]

    async def slash(self, person: str, command: str, **kwargs: Any) -> Any:
        """Run a slash command as ``person`` (in their own Discord language by default)."""
        kwargs.setdefault("locale", None)
        return await self.emu.slash(self.guild_id, self.person(person), command, **kwargs)

    async def click(self, person: str, message: Any = None, **kwargs: Any) -> Any:
        return await self.emu.click(self.guild_id, self.person(person), message, **kwargs)

    async def select(self, person: str, message: Any = None, **kwargs: Any) -> Any:
        return await self.emu.select(self.guild_id, self.person(person), message, **kwargs)

    async def submit(self, person: str, custom_id: str | None = None, **kwargs: Any) -> Any:
        return await self.emu.submit_modal(self.guild_id, self.person(person), custom_id, **kwargs)

    async def listeners_done(self, timeout: float = 10.0) -> None:
        """Wait until the bot's gateway event handlers (``on_member_join``…) have finished.
        discord.py runs each in its own task named ``discord.py: <handler>``; a handler
        that only does database work makes no REST call an idle-wait would notice."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            running = [
                task
                for task in asyncio.all_tasks()
                if task is not asyncio.current_task()
                and task.get_name().startswith("discord.py: on_")
                and not task.done()
            ]
            if not running:
                return
            await asyncio.wait(running, timeout=deadline - loop.time())

    async def advance(self, delta: timedelta) -> None:
        assert self.bot is not None
        await self.bot.advance_clock(delta)
        await self.emu.wait_idle()
