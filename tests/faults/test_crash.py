"""``kill -9`` of the bot process while deliveries are due, then a restart: every delivery
is sent, and none twice.

The bot is a real OS process (``tests/faults/bot_process.py``); Discord is emulated in
this test's process. The crash lands at the worst moment: Discord has stored a delivery's
post but the bot has not recorded it as sent (the emulator never answers that request).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from db.models.core import DeliveryStatus
from tests.faults.scenario import (
    DUE,
    DeliveryWorld,
    HangingPost,
    assert_each_sent_exactly_once,
    watched,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
async def world(db_url: str, tmp_path) -> AsyncIterator[DeliveryWorld]:  # type: ignore[no-untyped-def]
    w = DeliveryWorld(tmp_path / "data", db_url)
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def test_kill_9_while_delivering_then_restart_sends_each_exactly_once(
    world: DeliveryWorld,
) -> None:
    await world.plan_everything()
    before = await world.deliveries()
    planned = {d.id for d in before if d.due_at == DUE}
    last_id = max(d.id for d in before)
    hang = HangingPost(nth=3)
    hang.install(world.emu)
    await world.hand_over_to_processes(at=DUE - timedelta(seconds=2))

    first = await world.process("first").start()
    await first.wait_for("ready")
    await asyncio.wait_for(hang.hung.wait(), 60)
    await first.kill()  # kill -9: no cleanup, no unlock, the claim stays "sending"
    hang.release.set()

    rows = {d.id: d for d in await world.deliveries()}
    in_flight = [d for d in rows.values() if d.status == DeliveryStatus.SENDING]
    assert [d.nonce for d in in_flight] == [hang.hung_nonce], "the crash left one claim"
    assert any(d.status == DeliveryStatus.SENT for d in rows.values()), "some went out first"
    assert any(d.status == DeliveryStatus.PENDING for i, d in rows.items() if i in planned), (
        "some were still waiting"
    )
    assert world.created_nonces()[hang.hung_nonce] == 1  # Discord has it already

    second = await world.process("second").start()
    await second.wait_for("ready")
    done = watched(await world.wait_all_done(), last_id)
    assert_each_sent_exactly_once(world, done)
    # The restarted bot did send the interrupted one again (same nonce), and Discord
    # answered with the existing message instead of posting it twice.
    assert world.posts_with_nonce(hang.hung_nonce) == 2
    assert world.created_nonces()[hang.hung_nonce] == 1
    kinds = {d.kind for d in done if d.id in planned}
    assert {"events.reminder", "message"} <= kinds
    assert any(k.startswith("newsletter") for k in kinds)
    assert any(k.startswith("announcement") for k in kinds)
    await second.terminate()
