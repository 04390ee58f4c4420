"""Scheduled deliveries: persisted, exactly once, restart-safe, DST-correct, one leader."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import PARIS, Clock, at_paris
from bot.scheduler import DeliveryScheduler, PermanentDeliveryError, backoff
from db.engine import Database
from db.models import ScheduledDelivery
from db.models.core import DeliveryStatus

GUILD = 111


class Recorder:
    """A handler that records what it sends (what Discord would have received)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.fail_with: Exception | None = None

    async def __call__(self, context: object, delivery: ScheduledDelivery) -> dict:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((delivery.id, delivery.payload["text"]))
        return {"ok": True}


def make_scheduler(db: Database, clock: Clock, recorder: Recorder, **kwargs) -> DeliveryScheduler:
    scheduler = DeliveryScheduler(db, clock, **kwargs)
    scheduler.register_handler("test", recorder)
    return scheduler


async def schedule(scheduler: DeliveryScheduler, db: Database, due: datetime, text: str, **kw):
    async with db.transaction() as session:
        row = await scheduler.schedule(
            session, guild_id=GUILD, kind="test", due_at=due, payload={"text": text}, **kw
        )
    return row.id


async def status_of(db: Database, delivery_id: int) -> str:
    async with db.session() as session:
        return (await session.get(ScheduledDelivery, delivery_id)).status


async def test_delivery_fires_once_when_due(database: Database) -> None:
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    recorder = Recorder()
    scheduler = make_scheduler(database, clock, recorder)
    await scheduler.start()
    try:
        delivery_id = await schedule(scheduler, database, clock.now() + timedelta(hours=1), "hello")
        await scheduler.run_due()
        assert recorder.sent == []  # not due yet
        clock.advance(timedelta(minutes=59, seconds=59))
        await scheduler.run_due()
        assert recorder.sent == []
        clock.advance(timedelta(seconds=2))
        await scheduler.run_due()
        await scheduler.run_due()
        assert recorder.sent == [(delivery_id, "hello")]
        assert await status_of(database, delivery_id) == DeliveryStatus.SENT
    finally:
        await scheduler.stop()


async def test_delivery_survives_restart_and_is_sent_once(database: Database) -> None:
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    first_recorder = Recorder()
    first = make_scheduler(database, clock, first_recorder)
    await first.start()
    delivery_id = await schedule(first, database, clock.now() + timedelta(hours=2), "après")
    await first.stop()  # the bot goes down before the due time

    clock.advance(timedelta(hours=3))  # comes back one hour late: within the 6 h grace
    second_recorder = Recorder()
    second = make_scheduler(database, clock, second_recorder)
    await second.start()  # startup pass sends what is overdue
    await second.run_due()
    await second.stop()
    assert first_recorder.sent == []
    assert second_recorder.sent == [(delivery_id, "après")]


async def test_claim_left_by_a_crash_is_resent_with_the_same_nonce(database: Database) -> None:
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    recorder = Recorder()
    scheduler = make_scheduler(database, clock, recorder)
    delivery_id = await schedule(scheduler, database, clock.now(), "crash")
    # Simulate a process that claimed the row, maybe sent, then died before committing.
    async with database.transaction() as session:
        row = await session.get(ScheduledDelivery, delivery_id)
        row.status = DeliveryStatus.SENDING
        row.claimed_by = "dead-process"
        row.claimed_at = clock.now()
        row.attempts = 1
    await scheduler.start()
    await scheduler.run_due()
    await scheduler.stop()
    assert recorder.sent == [(delivery_id, "crash")]
    async with database.session() as session:
        row = await session.get(ScheduledDelivery, delivery_id)
    assert row.status == DeliveryStatus.SENT
    assert row.nonce == f"aig-d{delivery_id}"  # what Discord uses to drop the duplicate


async def test_overdue_beyond_grace_is_skipped_and_logged(database: Database, caplog) -> None:
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    recorder = Recorder()
    scheduler = make_scheduler(database, clock, recorder, grace=timedelta(hours=1))
    stale = await schedule(scheduler, database, clock.now() - timedelta(hours=2), "stale")
    fresh = await schedule(scheduler, database, clock.now() - timedelta(minutes=30), "fresh")
    own_grace = await schedule(
        scheduler, database, clock.now() - timedelta(hours=2), "long", grace=timedelta(days=1)
    )
    await scheduler.start()
    await scheduler.run_due()
    await scheduler.stop()
    assert sorted(recorder.sent) == sorted([(fresh, "fresh"), (own_grace, "long")])
    assert await status_of(database, stale) == DeliveryStatus.SKIPPED
    assert "delivery skipped" in caplog.text


async def test_dedupe_key_makes_scheduling_idempotent(database: Database) -> None:
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    scheduler = make_scheduler(database, clock, Recorder())
    first = await schedule(
        scheduler, database, clock.now() + timedelta(days=1), "a", dedupe_key="k"
    )
    again = await schedule(
        scheduler, database, clock.now() + timedelta(days=2), "b", dedupe_key="k"
    )
    assert first == again
    async with database.session() as session:
        rows = list(await session.scalars(select(ScheduledDelivery)))
    assert len(rows) == 1 and rows[0].payload == {"text": "b"}


async def test_transient_error_is_retried_with_backoff_permanent_is_kept_failed(
    database: Database,
) -> None:
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    recorder = Recorder()
    reported: list[str] = []

    async def on_failure(delivery: ScheduledDelivery, reason: str) -> None:
        reported.append(reason)

    scheduler = make_scheduler(database, clock, recorder, on_failure=on_failure)
    await scheduler.start()
    try:
        recorder.fail_with = RuntimeError("503 from Discord")
        transient = await schedule(scheduler, database, clock.now(), "retry me")
        await scheduler.run_due()
        assert await status_of(database, transient) == DeliveryStatus.PENDING
        recorder.fail_with = None
        clock.advance(backoff(1))
        await scheduler.run_due()
        assert recorder.sent == [(transient, "retry me")]

        recorder.fail_with = PermanentDeliveryError("core.delivery.channel_missing", channel_id=42)
        permanent = await schedule(scheduler, database, clock.now(), "deleted channel")
        await scheduler.run_due()
        assert await status_of(database, permanent) == DeliveryStatus.FAILED
        assert reported and "42" in reported[0]
        # Fixed: a coordinator retries; nothing was lost.
        recorder.fail_with = None
        assert await scheduler.retry(GUILD, permanent)
        await scheduler.run_due()
        assert (permanent, "deleted channel") in recorder.sent
    finally:
        await scheduler.stop()


@pytest.mark.parametrize(
    ("day", "expected_utc_hour"),
    [
        ((2027, 3, 27), 8),  # Saturday before the spring change: UTC+1
        ((2027, 3, 28), 7),  # the change happens at 02:00; 09:00 is already UTC+2
        ((2027, 10, 31), 8),  # autumn change: back to UTC+1
    ],
)
async def test_paris_wall_clock_across_dst(
    sqlite_database: Database, day: tuple[int, int, int], expected_utc_hour: int
) -> None:
    due = at_paris(*day, 9, 0)
    assert due.hour == expected_utc_hour and due.astimezone(PARIS).hour == 9
    clock = Clock(due - timedelta(minutes=1))
    recorder = Recorder()
    scheduler = make_scheduler(sqlite_database, clock, recorder)
    await scheduler.start()
    try:
        delivery_id = await schedule(scheduler, sqlite_database, due, "9h Paris")
        await scheduler.run_due()
        assert recorder.sent == []
        clock.advance(timedelta(minutes=1))
        await scheduler.run_due()
        assert recorder.sent == [(delivery_id, "9h Paris")]
    finally:
        await scheduler.stop()


async def test_armed_timer_fires_without_manual_dispatch(sqlite_database: Database) -> None:
    clock = Clock()
    recorder = Recorder()
    scheduler = make_scheduler(sqlite_database, clock, recorder)
    await scheduler.start()
    try:
        delivery_id = await schedule(
            scheduler, sqlite_database, clock.now() + timedelta(milliseconds=300), "timer"
        )
        for _ in range(40):
            await asyncio.sleep(0.05)
            if recorder.sent:
                break
        assert recorder.sent == [(delivery_id, "timer")]
    finally:
        await scheduler.stop()


@pytest.mark.postgres
async def test_two_processes_on_postgres_send_once(pg_url: str) -> None:
    from db.migrate import upgrade

    db_url = pg_url
    db_a, db_b = Database(db_url), Database(db_url)
    await upgrade(db_a.engine)
    clock = Clock(datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    rec_a, rec_b = Recorder(), Recorder()
    a = make_scheduler(db_a, clock, rec_a, instance_id="a")
    b = make_scheduler(db_b, clock, rec_b, instance_id="b")
    try:
        await a.start()
        await b.start()
        assert a.is_leader != b.is_leader
        ids = [await schedule(a, db_a, clock.now(), f"m{i}") for i in range(20)]
        await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due())
        assert sorted(i for i, _ in rec_a.sent + rec_b.sent) == ids
        # The leader dies: the other takes over and sends what comes next, once.
        leader, follower = (a, b) if a.is_leader else (b, a)
        await leader.stop()
        await follower._keep_leadership()
        assert follower.is_leader
        late = await schedule(follower, db_a, clock.now(), "after takeover")
        await follower.run_due()
        all_sent = [i for i, _ in rec_a.sent + rec_b.sent]
        assert all_sent.count(late) == 1 and len(all_sent) == 21
    finally:
        await a.stop()
        await b.stop()
        await db_a.dispose()
        await db_b.dispose()
