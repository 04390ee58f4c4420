"""Two bot PROCESSES on one PostgreSQL database: one leader fires deliveries; ``kill -9``
the leader in the middle of a post and the other takes over; every delivery exactly once."""

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

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(240)]

SPREAD = 30  # extra messages due one every 0.3 s after DUE: sending goes on for a while


@pytest.fixture
async def world(pg_url: str, tmp_path) -> AsyncIterator[DeliveryWorld]:  # type: ignore[no-untyped-def]
    w = DeliveryWorld(tmp_path / "data", pg_url)
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def test_leader_killed_mid_post_the_other_takes_over_and_each_is_sent_once(
    world: DeliveryWorld,
) -> None:
    h = world.harness
    await world.plan_everything()
    assert h.bot is not None
    async with h.bot.db.transaction() as session:
        for n in range(SPREAD):
            await h.bot.scheduler.schedule(
                session,
                guild_id=h.guild_id,
                kind="message",
                due_at=DUE + timedelta(seconds=0.3 * n),
                payload={"channel_id": h.channel("entraide"), "content": f"Suite n° {n + 1}"},
            )
    before = await world.deliveries()
    last_id = max(d.id for d in before)
    hang = HangingPost(nth=6)
    hang.install(world.emu)
    await world.hand_over_to_processes(at=DUE - timedelta(seconds=20))

    a, b = world.process("instance-a"), world.process("instance-b")
    await asyncio.gather(a.start(timeout=90), b.start(timeout=90))
    assert a.is_leader != b.is_leader, "exactly one leader"
    leader, follower = (a, b) if a.is_leader else (b, a)

    await asyncio.wait_for(hang.hung.wait(), 90)
    assert follower.is_leader is False
    await leader.kill()  # kill -9: its PostgreSQL session dies, the advisory lock with it
    hang.release.set()
    # The follower's heartbeat (5 s) takes the lock and reclaims the interrupted claim.
    await follower.wait_for("leader", leader=True, timeout=30)

    done = watched(await world.wait_all_done(), last_id)
    assert_each_sent_exactly_once(world, done)
    assert world.posts_with_nonce(hang.hung_nonce) == 2  # sent again by the new leader...
    assert world.created_nonces()[hang.hung_nonce] == 1  # ...and not posted twice
    by_instance = {d.claimed_by for d in done if d.status == DeliveryStatus.SENT}
    assert by_instance == {leader.instance_id, follower.instance_id}, by_instance
    interrupted = next(d for d in done if d.nonce == hang.hung_nonce)
    assert interrupted.claimed_by == follower.instance_id and interrupted.attempts == 2
    await follower.terminate()
