"""PostgreSQL going away under the running bot.

The shared server is never restarted (others use it): the bot's throwaway database refuses
new connections (``ALLOW_CONNECTIONS false``) and its sessions are terminated with
``pg_terminate_backend``, which is what a restart looks like from the bot's side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.util import await_only

from bot.clock import Clock
from bot.harness import BotHarness
from db.models import AuditEntry, ScheduledDelivery
from db.models.events import EventRsvp, NetworkEvent
from tests.conftest import _admin_execute

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

START = datetime(2027, 3, 9, 8, 0, tzinfo=UTC)  # Tuesday 9 March 2027, 09:00 in Paris
DOWN = "La base de données est momentanément indisponible ; rien n'a été enregistré."


@pytest.fixture
async def h(pg_url: str, tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data",
        database_url=pg_url,
        clock=Clock(START),
        extensions=["cogs.core", "cogs.directory", "cogs.events"],
        seed_capabilities=False,
    ) as harness:
        try:
            yield harness
        finally:
            await set_database_up(harness, True)


def database_name(h: BotHarness) -> str:
    assert h.database_url is not None
    return str(make_url(h.database_url).database)


async def terminate_backends(h: BotHarness, pid: int | None = None) -> None:
    """Kill the bot's sessions (waiting up to 5 s for each to be gone)."""
    where = f"pid = {int(pid)}" if pid else f"datname = '{database_name(h)}'"
    await _admin_execute(
        f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        f"WHERE {where} AND pid <> pg_backend_pid()"
    )


async def set_database_up(h: BotHarness, up: bool) -> None:
    await _admin_execute(
        f'ALTER DATABASE "{database_name(h)}" ALLOW_CONNECTIONS {"true" if up else "false"}'
    )
    if not up:
        await terminate_backends(h)


async def health(h: BotHarness) -> int:
    assert h.bot is not None
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{h.bot.web.bound_port}/healthz") as response,
    ):
        return response.status


async def count(h: BotHarness, model: Any, *where: Any) -> int:
    assert h.bot is not None
    async with h.bot.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def plan_copil(h: BotHarness, day: str) -> Any:
    return await h.slash(
        "coordinateur",
        "copil planifier",
        options={"date": day, "heure": "14h", "lieu": "Mairie", "rappels": "J-1"},
    )


async def eventually(check: Callable[[], Any], timeout: float = 45.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await check():
        if loop.time() > end:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.25)


async def test_commands_fail_in_french_while_down_and_the_bot_recovers_by_itself(
    h: BotHarness,
) -> None:
    assert h.bot is not None
    planned = await plan_copil(h, "18/03/2027")
    assert "planifié" in planned.text, planned.text
    announcement = next(m for m in h.emu.messages(h.channel("agenda-copil")) if m.get("components"))
    async with h.bot.db.transaction() as session:
        await h.bot.scheduler.schedule(
            session,
            guild_id=h.guild_id,
            kind="message",
            due_at=h.clock.now() + timedelta(seconds=2),
            payload={"channel_id": h.channel("entraide"), "content": "Pendant la panne"},
        )
    events_before = await count(h, NetworkEvent)
    rsvps_before = await count(h, EventRsvp)
    audit_before = await count(h, AuditEntry)
    assert await health(h) == 200

    await set_database_up(h, False)
    # Member and coordinator commands, reads and writes, buttons: one clear French answer.
    attempts = {
        "orienter": lambda: h.slash("membre", "orienter", options={"besoin": "CAF"}),
        "structure fiche": lambda: h.slash("membre", "structure fiche", options={"nom": "CCAS"}),
        "aide": lambda: h.slash("referent", "aide"),
        "copil planifier": lambda: plan_copil(h, "25/03/2027"),
        "rsvp": lambda: h.emu.click(
            h.guild_id, h.person("referent"), announcement, label="Je viens"
        ),
        "evenement liste": lambda: h.slash("membre", "evenement liste"),
    }
    for name, attempt in attempts.items():
        answer = await attempt()
        assert answer.ok, (name, answer.error)
        assert DOWN in answer.text, (name, answer.text)
        assert "erreur" in answer.text.lower()  # the short error id, for the logs
    assert await health(h) == 503
    await asyncio.sleep(2.5)  # the delivery comes due while the database is away

    await set_database_up(h, True)
    # Nothing restarted, nothing called by hand: the next checks and polls reconnect.
    await eventually(lambda: _is(health(h), 200))
    answered = await h.emu.click(h.guild_id, h.person("referent"), announcement, label="Je viens")
    assert "vous venez" in answered.text, answered.text
    replanned = await plan_copil(h, "25/03/2027")
    assert "planifié" in replanned.text, replanned.text

    async def delivered() -> bool:
        return any(
            m.get("content") == "Pendant la panne" for m in h.emu.messages(h.channel("entraide"))
        )

    await eventually(delivered)  # the scheduler's safety poll (30 s) catches up
    assert (
        sum(m.get("content") == "Pendant la panne" for m in h.emu.messages(h.channel("entraide")))
        == 1
    )
    # What was refused while down left nothing: one event more (the replanned one), one
    # answer more (after recovery), and the audit rows of the successful actions only.
    assert await count(h, NetworkEvent) == events_before + 1
    assert await count(h, EventRsvp) == rsvps_before + 1
    assert await count(h, AuditEntry) > audit_before


async def _is(value: Any, expected: Any) -> bool:
    return await value == expected


async def test_connection_cut_in_the_middle_of_a_transaction_leaves_nothing_half_written(
    h: BotHarness,
) -> None:
    assert h.bot is not None
    engine = h.bot.db.engine.sync_engine
    cut: list[int] = []

    def kill_own_backend(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        # The event row is flushed, its reminders are being written: the connection dies.
        if (
            not cut
            and statement.lstrip().upper().startswith("INSERT INTO SCHEDULED_DELIVERIES")
            and "events.reminder" in str(_[0])  # the COPIL's, not a planner's
        ):
            pid = conn.connection.driver_connection.get_server_pid()
            cut.append(pid)
            await_only(terminate_backends(h, pid))

    events_before = await count(h, NetworkEvent)
    reminders = ScheduledDelivery.kind == "events.reminder"
    deliveries_before = await count(h, ScheduledDelivery, reminders)
    audit_before = await count(h, AuditEntry)
    event.listen(engine, "before_cursor_execute", kill_own_backend)
    try:
        refused = await plan_copil(h, "18/03/2027")
    finally:
        event.remove(engine, "before_cursor_execute", kill_own_backend)
    assert cut, "the connection was cut"
    assert DOWN in refused.text, refused.text
    assert await count(h, NetworkEvent) == events_before
    assert await count(h, ScheduledDelivery, reminders) == deliveries_before
    assert await count(h, AuditEntry) == audit_before
    assert not h.emu.calls.filter(method="POST", path=r"/scheduled-events$")
    assert not [m for m in h.emu.messages(h.channel("agenda-copil")) if m.get("embeds")]

    # The pool threw the dead connection away: the same command now goes through whole.
    planned = await plan_copil(h, "18/03/2027")
    assert "planifié" in planned.text, planned.text
    assert await count(h, NetworkEvent) == events_before + 1
    assert await count(h, ScheduledDelivery, reminders) > deliveries_before
    assert h.emu.calls.filter(method="POST", path=r"/scheduled-events$")
