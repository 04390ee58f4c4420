"""A demo network with deliveries of every kind due at one instant, and tools to crash the
bot in the middle of sending them.

The in-process bot (``BotHarness``) plans everything through the real commands (a COPIL
with a reminder, a newsletter issue, a delayed announcement) plus plain ``message``
deliveries; then it is stopped and bot PROCESSES take over the same database and the same
emulated Discord, on the same virtual timeline (``AIG_CLOCK_OFFSET_S``).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import Clock
from bot.emulator import message_text
from bot.harness import BotHarness
from db.engine import Database
from db.models import ScheduledDelivery
from db.models.core import DeliveryStatus
from tests.faults.processes import BotProcess

# Tuesday 9 March 2027, 09:00 in Paris; everything is due on Wednesday 10 March at 12:00.
START = datetime(2027, 3, 9, 8, 0, tzinfo=UTC)
DUE = datetime(2027, 3, 10, 11, 0, tzinfo=UTC)
DUE_PARIS = "10/03/2027"
MESSAGES = 12  # plain ``message`` deliveries, on top of the capabilities' ones

POST_MESSAGE = re.compile(r"/channels/\d+/messages$")


@dataclass
class HangingPost:
    """Make Discord store the ``nth`` delivery post, then never answer it.

    The bot has then posted but not recorded it: the worst moment for a crash. Anything
    posted with a delivery nonce (``aig-d…``) counts, channel messages and DMs alike.
    """

    nth: int
    seen: int = 0
    hung_nonce: str | None = None
    hung: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def install(self, emu: Any) -> None:
        original = emu._rest_handle

        async def handle(request: Any) -> Any:
            response = await original(request)
            if request.method == "POST" and POST_MESSAGE.search(request.path):
                call = next((c for c in reversed(emu.calls) if POST_MESSAGE.search(c.path)), None)
                nonce = str((call.json or {}).get("nonce") or "") if call else ""
                if nonce.startswith("aig-d") and not self.hung.is_set():
                    self.seen += 1
                    if self.seen == self.nth:
                        self.hung_nonce = nonce
                        self.hung.set()
                        await self.release.wait()
            return response

        emu._rest_handle = handle


class DeliveryWorld:
    """The harness plus the helpers the crash and multi-instance proofs share."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.harness = BotHarness(
            data_dir,
            database_url=database_url,
            clock=Clock(START),
            web=False,
            settings_overrides={"public_url": "https://aiguillage.example"},
        )
        self.db = Database(database_url)
        self.processes: list[BotProcess] = []

    @property
    def emu(self) -> Any:
        return self.harness.emu

    async def start(self) -> DeliveryWorld:
        await self.harness.start()
        return self

    async def stop(self) -> None:
        for process in self.processes:
            await process.kill()
        await self.harness.stop()
        await self.db.dispose()

    # ---- planning through the real commands ----------------------------------------------
    async def plan_everything(self) -> None:
        h = self.harness
        assert h.bot is not None
        copil = await h.slash(
            "coordinateur",
            "copil planifier",
            options={
                "date": DUE_PARIS,
                "heure": "14h",
                "lieu": "Mairie de Mérignac",
                "rappels": "H-2",
            },
        )
        assert "planifié" in copil.text, copil.text

        opened = await h.slash("membre", "newsletter proposer")
        assert opened.modal is not None, opened.text
        await h.emu.submit_modal(
            h.guild_id,
            h.person("membre"),
            fields={
                "Titre": "Permanence impôts",
                "Texte": "Jeudi au CCAS.",
                "Lien (facultatif)": "",
            },
        )
        await h.emu.wait_idle()
        card = next(
            m
            for m in reversed(h.emu.messages(h.channel("coordination")))
            if m.get("embeds") and "Permanence impôts" in message_text(m)
        )
        accepted = await h.emu.click(h.guild_id, h.person("coordinateur"), card, label="Accepter")
        assert "acceptée" in accepted.text, accepted.text
        planned = await h.slash(
            "coordinateur", "newsletter planifier", options={"date": DUE_PARIS, "heure": "12h"}
        )
        assert "paraîtra" in planned.text, planned.text

        announce = await h.slash(
            "referent",
            "annonce",
            options={"salon": h.channel("annonces"), "date": f"{DUE_PARIS} 12:00"},
        )
        assert announce.modal is not None, announce.text
        preview = await h.emu.submit_modal(
            h.guild_id,
            h.person("referent"),
            fields={"title": "Atelier CV", "body": "Mardi 14h, salle B.", "link": ""},
        )
        scheduled = await h.emu.click(
            h.guild_id, h.person("referent"), preview.message, label="Publier"
        )
        assert "programmée" in scheduled.text, scheduled.text

        async with h.bot.db.transaction() as session:
            for n in range(MESSAGES):
                await h.bot.scheduler.schedule(
                    session,
                    guild_id=h.guild_id,
                    kind="message",
                    due_at=DUE,
                    payload={
                        "channel_id": h.channel("entraide"),
                        "content": f"Message programmé n° {n + 1}",
                    },
                )
        await h.emu.wait_idle()
        kinds = Counter(d.kind for d in await self.deliveries() if d.status == "pending")
        for kind in ("events.reminder", "message"):
            assert kinds[kind], kinds
        assert any(k.startswith("newsletter") for k in kinds), kinds
        assert any(k.startswith("announcement") for k in kinds), kinds

    async def hand_over_to_processes(self, *, at: datetime) -> None:
        """Stop the in-process bot; the clock jumps to ``at`` for everyone."""
        await self.harness.stop_bot()
        self.harness.clock.set(at)

    def process(self, instance_id: str) -> BotProcess:
        process = BotProcess(
            self.emu.base_url,
            self.data_dir,
            self.database_url,
            instance_id=instance_id,
            clock_offset_s=self.harness.clock.offset.total_seconds(),
            env={"AIGUILLAGE_PUBLIC_URL": "https://aiguillage.example"},
        )
        self.processes.append(process)
        return process

    # ---- observing ----------------------------------------------------------------------
    async def deliveries(self) -> list[ScheduledDelivery]:
        async with self.db.session() as session:
            return list(
                await session.scalars(select(ScheduledDelivery).order_by(ScheduledDelivery.id))
            )

    async def wait_all_done(self, timeout: float = 90.0) -> list[ScheduledDelivery]:  # noqa: ASYNC109
        """Until no delivery due by now is pending or being sent (then Discord is quiet)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            now = self.harness.clock.now()
            rows = await self.deliveries()
            busy = [
                d
                for d in rows
                if d.status == DeliveryStatus.SENDING
                or (d.status == DeliveryStatus.PENDING and d.due_at <= now)
            ]
            if not busy:
                await self.emu.wait_idle(quiet=0.3)
                return rows
            if loop.time() > end:
                raise TimeoutError(f"still busy: {[(d.id, d.kind, d.status) for d in busy]}")
            await asyncio.sleep(0.2)

    def created_nonces(self) -> Counter[str]:
        """How many messages Discord created for each nonce (a repeated nonce inside the
        window returns the existing message and creates nothing)."""
        return Counter(
            str(event.message["nonce"])
            for event in self.emu.message_log
            if event.kind == "create" and event.message.get("nonce")
        )

    def posts_with_nonce(self, nonce: str) -> int:
        return sum(
            1
            for c in self.emu.calls
            if c.method == "POST"
            and POST_MESSAGE.search(c.path)
            and str((c.json or {}).get("nonce")) == nonce
        )


def watched(rows: list[ScheduledDelivery], before: int) -> list[ScheduledDelivery]:
    """The deliveries due at :data:`DUE` and those created from then on (DMs that handlers
    schedule), not the demo's own, older ones (skipped as stale after the clock jump)."""
    return [d for d in rows if d.due_at == DUE or d.id > before]


def assert_each_sent_exactly_once(world: DeliveryWorld, rows: list[ScheduledDelivery]) -> None:
    """Every delivery is sent; every post of a delivery exists exactly once."""
    not_sent = [(d.id, d.kind, d.status, d.last_error) for d in rows if d.status != "sent"]
    assert not not_sent, not_sent
    created = world.created_nonces()
    duplicated = {nonce: n for nonce, n in created.items() if n > 1}
    assert not duplicated, f"posted more than once: {duplicated}"
    for delivery in rows:
        result = delivery.result or {}
        posted = created[delivery.nonce] + sum(
            n for nonce, n in created.items() if nonce.startswith(delivery.nonce + "-")
        )
        if result.get("message_id") or delivery.kind == "message":
            assert posted >= 1, f"delivery {delivery.id} ({delivery.kind}) posted nothing"
