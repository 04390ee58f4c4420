"""A crowd of members sending a mixed stream of interactions to the real bot.

Shared by ``bench/interactions.py`` and ``bench/memory.py``. The world is the demo network
on the emulated Discord plus ``members`` extra approved members; the bot runs either in
this process (``BotHarness``) or alone in a child process (``tests/faults/bot_process.py``),
which is closer to production: Discord is not on the bot's machine, so the emulator's own
work should not be charged to the bot.

Interactions are fired open-loop (at a fixed rate, whatever the answers' speed), the way
users click: each one is an INTERACTION_CREATE on the gateway, and the emulator stamps the
instant it was sent and the instant the bot's callback arrived (``InteractionRecord``).
What counts as an interaction is a row of :data:`ACTIONS`; a row whose command the bot does
not have (a capability not merged yet) is skipped and reported.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.demo_network import build_demo_guild  # noqa: E402
from bot.emulator.interactions import (  # noqa: E402
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    MESSAGE_COMPONENT,
    InteractionRecord,
)
from bot.harness import BotHarness  # noqa: E402
from db.models import Structure  # noqa: E402
from tests.faults.processes import BotProcess  # noqa: E402

DEADLINE_S = 3.0  # Discord's limit for the first answer to an interaction
COMPLETE_TIMEOUT_S = 15.0  # a deferred answer must be completed within this

NEEDS = [
    "CAF",
    "dossier caf",
    "déclaration d'impôts",
    "pole emploie",
    "CV",
    "pas d'ordinateur",
    "carte grise",
    "ameli",
    "retraite",
    "créer une adresse mail",
    "prendre rendez-vous en préfecture",
    "apprendre à utiliser un smartphone",
]
DOC_QUERIES = ["charte", "compte rendu", "fiche pratique caf", "guide", "france services"]


class LoadWorld:
    """The demo network plus a crowd, with the bot in-process or in a child process."""

    def __init__(
        self,
        *,
        members: int = 200,
        bot_process: bool = True,
        database_url: str | None = None,
        data_dir: Path | None = None,
        seed: int = 7,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory() if data_dir is None else None
        self.data_dir = Path(self._tmp.name) / "data" if self._tmp else Path(data_dir)  # type: ignore[arg-type]
        self.members = members
        self.bot_process = bot_process
        self.harness = BotHarness(self.data_dir, database_url=database_url)
        self.process: BotProcess | None = None
        self.rng = random.Random(seed)
        self.crowd: list[int] = []
        self.structure_ids: list[int] = []
        self.places: list[str] = []
        self.rsvp_message_id: int | None = None
        self.bot_ready_s: float | None = None

    @property
    def emu(self) -> Any:
        return self.harness.emu

    async def start(self, before_bot: Callable[[LoadWorld], Any] | None = None) -> LoadWorld:
        h = self.harness
        h.emu.set_clock(h.clock.now)
        await h.emu.start()
        h.emu.install()
        h.network = build_demo_guild(h.emu)
        guild = h.emu.guilds[h.network.guild_id]
        roles = [h.network.roles["member"], h.network.roles["charter"]]
        for n in range(self.members):
            member = guild.add_member(f"aidant{n:04d}", roles=roles, global_name=f"Aidant {n}")
            self.crowd.append(member.id)
        await h.start_bot(first=True)
        assert h.bot is not None
        if before_bot is not None:
            await before_bot(self)
        async with h.bot.db.session() as session:
            # A sample is enough to pick cards from (the directory may hold 20,000).
            self.structure_ids = list(
                await session.scalars(
                    select(Structure.id)
                    .where(Structure.guild_id == h.guild_id, Structure.archived_at.is_(None))
                    .order_by(Structure.id)
                    .limit(2000)
                )
            )
        self.places = [
            c["value"]
            for c in await h.emu.autocomplete(
                h.guild_id,
                h.person("membre"),
                "orienter",
                focused="quartier",
                value="",
                options={"besoin": "CAF"},
            )
        ]
        self.rsvp_message_id = self._find_rsvp_message()
        if self.bot_process:
            database_url = h.bot.db.url
            await h.stop_bot()
            started = time.perf_counter()
            self.process = await BotProcess(
                h.emu.base_url,
                self.data_dir,
                database_url,
                instance_id="load",
                clock_offset_s=h.clock.offset.total_seconds(),
            ).start(timeout=300)
            self.bot_ready_s = time.perf_counter() - started
        return self

    async def restart_bot_process(self) -> float:
        """Stop the bot process cleanly and start a new one; seconds to ready."""
        assert self.process is not None
        await self.process.terminate()
        started = time.perf_counter()
        self.process = await BotProcess(
            self.emu.base_url,
            self.data_dir,
            self.process.database_url,
            instance_id="load-2",
            clock_offset_s=self.harness.clock.offset.total_seconds(),
        ).start(timeout=300)
        return time.perf_counter() - started

    def bot_log(self) -> str:
        """What the bot process logged so far (empty when the bot runs in this process)."""
        if self.process is None or self.process.log_path is None:
            return ""
        return self.process.log_path.read_text(errors="replace")

    async def stop(self) -> None:
        # Let work that follows the answers (announcement refreshes) finish first.
        await self.emu.wait_idle(quiet=0.3, timeout=15)
        if self.process is not None:
            await self.process.terminate()
            keep = os.environ.get("AIG_KEEP_BOT_LOG")
            if keep and self.process.log_path is not None:
                shutil.copyfile(self.process.log_path, keep)
        await self.harness.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def bot_pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _find_rsvp_message(self) -> int | None:
        channel_id = self.harness.channel("agenda-copil")
        for message in reversed(self.emu.messages(channel_id)):
            for row in message.get("components", []):
                for comp in row.get("components", []):
                    if re.fullmatch(r"events:rsvp:\d+:yes", comp.get("custom_id", "")):
                        return int(message["id"])
        return None

    def has_command(self, path: str) -> bool:
        name, *sub = path.split()
        try:
            cmd = self.emu.find_command(name, self.harness.guild_id)
        except Exception:
            return False
        options = cmd.get("options") or []
        for part in sub:
            found = next((o for o in options if o["name"] == part and o["type"] in (1, 2)), None)
            if found is None:
                return False
            options = found.get("options") or []
        return True

    # ---- building interactions (the emulator's own payload builders) -------------------
    def _context(self, user_id: int) -> tuple[Any, Any, Any]:
        emu = self.emu
        guild, _member, user = emu._user_and_guild(self.harness.guild_id, user_id)
        return guild, emu._default_channel(guild, user.id), user

    def slash(self, user_id: int, command: str, options: dict[str, Any]) -> InteractionRecord:
        guild, channel, user = self._context(user_id)
        data = self.emu._command_data(guild, channel, command, options, None, None)
        return self.emu._new_interaction(APPLICATION_COMMAND, guild, channel, user, data, "fr")

    def autocomplete(
        self, user_id: int, command: str, focused: str, value: str
    ) -> InteractionRecord:
        guild, channel, user = self._context(user_id)
        data = self.emu._command_data(
            guild, channel, command, {focused: value}, None, None, focused
        )
        return self.emu._new_interaction(
            APPLICATION_COMMAND_AUTOCOMPLETE, guild, channel, user, data, "fr"
        )

    def click(self, user_id: int, message_id: int, custom_id: str) -> InteractionRecord:
        emu = self.emu
        message = emu.get_message(message_id)
        guild, _member, user = emu._user_and_guild(self.harness.guild_id, user_id)
        channel = emu._channels[int(message["channel_id"])]
        data = {"custom_id": custom_id, "component_type": 2}
        return emu._new_interaction(
            MESSAGE_COMPONENT, guild, channel, user, data, "fr", message=message
        )


# ---- the mix: add a capability by adding a row ------------------------------------------
@dataclass(frozen=True)
class Action:
    name: str
    weight: float
    command: str | None  # the command that must exist for this row to run
    build: Callable[[LoadWorld, random.Random, int], InteractionRecord | None]


def _orienter(w: LoadWorld, rng: random.Random, user: int) -> InteractionRecord:
    options: dict[str, Any] = {"besoin": rng.choice(NEEDS)}
    if w.places and rng.random() < 0.4:
        options["quartier"] = rng.choice(w.places)
    if rng.random() < 0.2:
        options["ouvert_maintenant"] = True
    return w.slash(user, "orienter", options)


def _need_autocomplete(w: LoadWorld, rng: random.Random, user: int) -> InteractionRecord:
    need = rng.choice(NEEDS)
    return w.autocomplete(user, "orienter", "besoin", need[: rng.randint(1, len(need))])


def _fiche(w: LoadWorld, rng: random.Random, user: int) -> InteractionRecord | None:
    if not w.structure_ids:
        return None
    return w.slash(user, "structure fiche", {"nom": str(rng.choice(w.structure_ids))})


def _rsvp(w: LoadWorld, rng: random.Random, user: int) -> InteractionRecord | None:
    if w.rsvp_message_id is None:
        return None
    message = w.emu.get_message(w.rsvp_message_id)
    event_id = None
    for row in message.get("components", []):
        for comp in row.get("components", []):
            found = re.fullmatch(r"events:rsvp:(\d+):yes", comp.get("custom_id", ""))
            if found:
                event_id = found.group(1)
    if event_id is None:
        return None
    answer = "yes" if rng.random() < 0.7 else "no"
    return w.click(user, w.rsvp_message_id, f"events:rsvp:{event_id}:{answer}")


ACTIONS: list[Action] = [
    Action("orienter", 30, "orienter", _orienter),
    Action("orienter (autocomplete)", 15, "orienter", _need_autocomplete),
    Action("structure fiche", 15, "structure fiche", _fiche),
    Action("copil: réponse (bouton)", 15, "copil planifier", _rsvp),
    Action("aide", 5, "aide", lambda w, rng, u: w.slash(u, "aide", {})),
    Action(
        "evenement liste", 5, "evenement liste", lambda w, rng, u: w.slash(u, "evenement liste", {})
    ),
    Action(
        "doc chercher",
        10,
        "doc chercher",
        lambda w, rng, u: w.slash(u, "doc chercher", {"requete": rng.choice(DOC_QUERIES)}),
    ),
    Action("charte voir", 5, "charte voir", lambda w, rng, u: w.slash(u, "charte voir", {})),
]


def available_actions(world: LoadWorld) -> tuple[list[Action], list[str]]:
    usable, skipped = [], []
    for action in ACTIONS:
        if action.command is None or world.has_command(action.command):
            usable.append(action)
        else:
            skipped.append(action.name)
    return usable, skipped


# ---- firing and measuring ---------------------------------------------------------------
@dataclass
class Sample:
    action: str
    latency_s: float | None  # gateway event sent → interaction callback received
    completed: bool  # acknowledged, and a deferred answer was completed
    late: bool  # the callback came after the 3 s deadline (Discord refused it)
    finished_at: float = 0.0


@dataclass
class StreamResult:
    samples: list[Sample] = field(default_factory=list)
    elapsed_s: float = 0.0
    offered: int = 0

    @property
    def answered(self) -> list[Sample]:
        return [s for s in self.samples if s.latency_s is not None and not s.late]

    @property
    def lost(self) -> int:
        return sum(1 for s in self.samples if not s.completed and not s.late)

    @property
    def late(self) -> int:
        return sum(1 for s in self.samples if s.late)

    def percentile_ms(self, q: float) -> float:
        values = sorted(s.latency_s for s in self.samples if s.latency_s is not None)
        if not values:
            return float("nan")
        index = min(len(values) - 1, max(0, round(q / 100 * len(values)) - 1))
        return values[index] * 1000

    @property
    def throughput(self) -> float:
        """Completed interactions per second of the run (including the drain)."""
        done = sum(1 for s in self.samples if s.completed)
        return done / self.elapsed_s if self.elapsed_s else 0.0

    def lost_by_action(self) -> dict[str, int]:
        lost: dict[str, int] = {}
        for s in self.samples:
            if not s.completed and not s.late:
                lost[s.action] = lost.get(s.action, 0) + 1
        return lost

    def by_action(self) -> dict[str, tuple[int, float, float]]:
        out: dict[str, tuple[int, float, float]] = {}
        names = sorted({s.action for s in self.samples})
        for name in names:
            lat = sorted(
                s.latency_s * 1000
                for s in self.samples
                if s.action == name and s.latency_s is not None
            )
            if lat:
                out[name] = (
                    len(lat),
                    statistics.median(lat),
                    lat[min(len(lat) - 1, int(0.99 * len(lat)))],
                )
        return out


async def fire(emu: Any, action: str, record: InteractionRecord) -> Sample:
    loop = asyncio.get_running_loop()
    record.dispatched_at = loop.time()
    if not await emu.dispatch("INTERACTION_CREATE", record.payload):
        return Sample(action, None, False, False, loop.time())
    try:
        await asyncio.wait_for(record.acked.wait(), DEADLINE_S + 1.0)
    except TimeoutError:
        # Either never answered, or answered too late and refused by "Discord".
        late = any(
            c.status == 404 and f"/interactions/{record.id}/" in c.path for c in emu.calls[-2000:]
        )
        return Sample(action, None, False, late, loop.time())
    latency = (record.callback_at or loop.time()) - record.dispatched_at
    completed = True
    if record.callback_type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        end = loop.time() + COMPLETE_TIMEOUT_S
        while not record.resolved and loop.time() < end:
            record.activity.clear()
            try:
                await asyncio.wait_for(record.activity.wait(), end - loop.time())
            except TimeoutError:
                break
        completed = record.resolved
    return Sample(action, latency, completed, latency > DEADLINE_S, loop.time())


async def run_stream(
    world: LoadWorld,
    actions: list[Action],
    *,
    rate: float,
    duration: float,
    rng: random.Random | None = None,
    on_progress: Callable[[int], Any] | None = None,
) -> StreamResult:
    """Offer ``rate`` interactions per second for ``duration`` seconds, then wait for all."""
    rng = rng or world.rng
    weights = [a.weight for a in actions]
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[Sample]] = []
    total = int(rate * duration)
    started = loop.time()
    for n in range(total):
        target = started + n / rate
        delay = target - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        action = rng.choices(actions, weights)[0]
        user = rng.choice(world.crowd) if world.crowd else world.harness.person("membre")
        record = action.build(world, rng, user)
        if record is None:
            continue
        tasks.append(asyncio.create_task(fire(world.emu, action.name, record)))
        if on_progress is not None and (n + 1) % 1000 == 0:
            await on_progress(n + 1)
    samples = await asyncio.gather(*tasks)
    result = StreamResult(list(samples), offered=total)
    result.elapsed_s = max((s.finished_at for s in samples), default=loop.time()) - started
    return result
