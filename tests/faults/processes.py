"""Bot processes for fault and load proofs: spawn ``bot_process.py``, follow, kill.

The emulated Discord runs in the calling process (its event loop must keep running, so
everything here is async); each bot is a real OS process, so ``kill -9`` is a real crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOT_PROCESS = Path(__file__).with_name("bot_process.py")
ROOT = BOT_PROCESS.parents[2]


@dataclass
class BotProcess:
    """One ``bot_process.py`` child; its JSON stdout lines become :attr:`events`."""

    emulator_url: str
    data_dir: Path
    database_url: str
    instance_id: str
    clock_offset_s: float = 0.0
    extensions: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 60.0) -> BotProcess:  # noqa: ASYNC109
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DISCORD_TOKEN": "emulated-token",
            "AIGUILLAGE_DATA_DIR": str(self.data_dir),
            "AIGUILLAGE_DATABASE_URL": self.database_url,
            "AIGUILLAGE_WEB_HOST": "127.0.0.1",
            "AIGUILLAGE_WEB_PORT": "0",
            "AIG_EMULATOR_URL": self.emulator_url,
            "AIG_CLOCK_OFFSET_S": repr(self.clock_offset_s),
            "AIG_INSTANCE_ID": self.instance_id,
            **self.env,
        }
        if self.extensions is not None:
            env["AIG_EXTENSIONS"] = ",".join(self.extensions)
        log_path = self.log_path or self.data_dir / f"{self.instance_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        with open(log_path, "ab") as stderr:  # noqa: ASYNC230 (a local file, opened once)
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(BOT_PROCESS),
                cwd=str(ROOT),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        self._reader = asyncio.create_task(self._read())
        await self.wait_for("ready", timeout=timeout)
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.events.append(event)
            self._changed.set()
        self.events.append({"event": "exited"})
        self._changed.set()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def is_leader(self) -> bool:
        """Leadership as last reported by the process (False once it exited)."""
        leader = False
        for event in self.events:
            if event["event"] in ("ready", "leader"):
                leader = bool(event.get("leader"))
            elif event["event"] == "exited":
                leader = False
        return leader

    async def wait_for(
        self,
        name: str,
        timeout: float = 30.0,  # noqa: ASYNC109
        **fields: Any,
    ) -> dict[str, Any]:
        """The first event ``name`` with these field values (raises if the process exits)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for event in self.events:
                if event["event"] == name and all(event.get(k) == v for k, v in fields.items()):
                    return event
            if any(e["event"] == "exited" for e in self.events) and name != "exited":
                raise RuntimeError(f"bot process exited; log:\n{self.log_tail()}")
            remaining = end - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no {name} {fields} within {timeout} s; log:\n{self.log_tail()}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def kill(self) -> None:
        """``kill -9``: no cleanup, no unlock, connections dropped by the kernel."""
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)
        await self._reap()

    async def terminate(self, timeout: float = 20.0) -> int | None:  # noqa: ASYNC109
        """SIGTERM and wait for the clean shutdown (SIGKILL if it does not come)."""
        if self.alive:
            self.process.terminate()  # type: ignore[union-attr]
            try:
                await asyncio.wait_for(self.process.wait(), timeout)  # type: ignore[union-attr]
            except TimeoutError:
                os.kill(self.pid, signal.SIGKILL)
        await self._reap()
        return self.process.returncode if self.process else None

    async def _reap(self) -> None:
        if self.process is not None:
            await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
