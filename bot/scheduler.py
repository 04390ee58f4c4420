"""Scheduled deliveries: persisted first, fired exactly once, rebuilt at startup.

The ``scheduled_deliveries`` table is the truth. APScheduler only drives time: one job
armed at the next due instant, a slow safety poll, leader heartbeats and the periodic
"planners" capabilities register. Firing a delivery means:

1. claim the row in its own transaction (``pending → sending``, guarded by a conditional
   UPDATE, so two processes can never both claim it);
2. run the handler for its ``kind`` (posting with a nonce derived from the delivery id:
   discord.py then sets ``enforce_nonce`` and Discord hands back the existing message if
   the same nonce is seen again, so a crash between send and commit cannot post twice);
3. record the outcome (``sent``; ``pending`` again with back-off for transient errors;
   ``failed`` and coordinators told for permanent ones, kept for a retry after a fix).

An overdue delivery found when the bot comes back is still sent if it is within its grace,
else marked ``skipped`` and logged. With several processes on one PostgreSQL database,
only the holder of an advisory lock fires deliveries; when it dies its connection closes,
the lock is released and another process takes over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.clock import Clock
from db.engine import Database
from db.models import ScheduledDelivery
from db.models.core import DeliveryStatus

if TYPE_CHECKING:
    from bot.client import AiguillageBot

log = logging.getLogger("aiguillage.scheduler")

Handler = Callable[[Any, ScheduledDelivery], Awaitable[dict[str, Any] | None]]
Planner = Callable[[], Awaitable[None]]

# Any 64-bit constant unique to this application: the advisory lock of the dispatcher.
LEADER_LOCK_KEY = 0x41494755494C4C  # "AIGUILL"


class PermanentDeliveryError(Exception):
    """The delivery cannot succeed as things stand (channel deleted, permission missing).

    It is kept as *failed* (nothing is lost), coordinators are told with ``key``'s message,
    and it can be retried once the cause is fixed.
    """

    def __init__(self, key: str, /, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


@dataclass
class DispatchOutcome:
    delivery_id: int
    status: str
    error: str | None = None


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at 30 min."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 1800))


class DeliveryScheduler:
    POLL_SECONDS = 30
    LEADER_SECONDS = 5

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        context: Any = None,
        grace: timedelta = timedelta(hours=6),
        max_attempts: int = 8,
        instance_id: str | None = None,
        on_failure: Callable[[ScheduledDelivery, str], Awaitable[None]] | None = None,
        metrics: Any = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.context = context  # passed to handlers (the bot)
        self.grace = grace
        self.max_attempts = max_attempts
        self.instance_id = (
            instance_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
        self.on_failure = on_failure
        self.metrics = metrics
        self.handlers: dict[str, Handler] = {}
        self.planners: dict[str, Planner] = {}
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._run_lock = asyncio.Lock()
        self._planner_locks: dict[str, asyncio.Lock] = {}
        self._leader_conn: AsyncConnection | None = None
        self._is_leader = False
        self._running = False
        self._just_elected = False
        clock.on_change(self._on_clock_change)

    # ---- registration -------------------------------------------------------------
    def register_handler(self, kind: str, handler: Handler) -> None:
        if kind in self.handlers and self.handlers[kind] is not handler:
            raise ValueError(f"a handler for delivery kind {kind!r} is already registered")
        self.handlers[kind] = handler

    def add_periodic(self, name: str, planner: Planner, **trigger: Any) -> None:
        """A recurring planner (``cron``: ``hour=8, minute=0`` or ``interval``: ``minutes=10``).

        Planners must be idempotent: they derive deliveries from the database and schedule
        them with a ``dedupe_key``. They run on the leader only, and after a clock jump.
        """
        self.planners[name] = planner
        kind = (
            "interval"
            if set(trigger) <= {"seconds", "minutes", "hours", "days", "weeks"}
            else "cron"
        )
        if kind == "cron":
            trigger.setdefault("timezone", "Europe/Paris")
        self._aps.add_job(
            self._run_planner,
            kind,
            args=[name],
            id=f"planner:{name}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            **trigger,
        )

    # ---- scheduling API used by capabilities ------------------------------------------
    async def schedule(
        self,
        session: AsyncSession,
        *,
        guild_id: int,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        grace: timedelta | None = None,
        created_by: int | None = None,
    ) -> ScheduledDelivery:
        """Persist a delivery in the caller's transaction; the dispatcher is woken after commit.

        With a ``dedupe_key``, scheduling again returns the existing row (its due time and
        payload are refreshed while it is still pending), so planners can run any number of
        times.
        """
        if due_at.tzinfo is None:
            raise ValueError("due_at must be timezone-aware")
        if kind not in self.handlers:
            raise ValueError(f"no handler registered for delivery kind {kind!r}")
        row: ScheduledDelivery | None = None
        if dedupe_key is not None:
            row = await session.scalar(
                select(ScheduledDelivery).where(
                    ScheduledDelivery.guild_id == guild_id,
                    ScheduledDelivery.dedupe_key == dedupe_key,
                )
            )
        if row is not None:
            if row.status == DeliveryStatus.PENDING:
                row.due_at = due_at
                row.payload = payload or {}
                if grace is not None:
                    row.grace_seconds = int(grace.total_seconds())
        else:
            row = ScheduledDelivery(
                guild_id=guild_id,
                kind=kind,
                due_at=due_at,
                payload=payload or {},
                dedupe_key=dedupe_key,
                grace_seconds=int(grace.total_seconds()) if grace is not None else None,
                created_by=created_by,
                status=DeliveryStatus.PENDING,
                attempts=0,
            )
            session.add(row)
        await session.flush()
        self._wake_after_commit(session)
        return row

    async def cancel(
        self,
        session: AsyncSession,
        guild_id: int,
        *,
        dedupe_key: str | None = None,
        delivery_id: int | None = None,
        dedupe_prefix: str | None = None,
    ) -> int:
        """Cancel pending deliveries (by id, key or key prefix); returns how many."""
        conditions = [
            ScheduledDelivery.guild_id == guild_id,
            ScheduledDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
        ]
        if delivery_id is not None:
            conditions.append(ScheduledDelivery.id == delivery_id)
        elif dedupe_key is not None:
            conditions.append(ScheduledDelivery.dedupe_key == dedupe_key)
        elif dedupe_prefix is not None:
            conditions.append(ScheduledDelivery.dedupe_key.startswith(dedupe_prefix))
        else:
            raise ValueError("cancel needs delivery_id, dedupe_key or dedupe_prefix")
        result = await session.execute(
            update(ScheduledDelivery)
            .where(*conditions)
            .values(status=DeliveryStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    async def retry(self, guild_id: int, delivery_id: int) -> bool:
        """Put a failed (or skipped) delivery back in the queue, due now."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ScheduledDelivery)
                .where(
                    ScheduledDelivery.guild_id == guild_id,
                    ScheduledDelivery.id == delivery_id,
                    ScheduledDelivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]),
                )
                .values(
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=None,
                    due_at=self.clock.now(),
                    grace_seconds=None,
                    last_error=None,
                )
            )
        self.wake()
        return bool(result.rowcount)

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._aps.add_job(
            self.run_due,
            "interval",
            seconds=self.POLL_SECONDS,
            id="deliveries:poll",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        if self.db.dialect == "postgresql":
            self._aps.add_job(
                self._keep_leadership,
                "interval",
                seconds=self.LEADER_SECONDS,
                id="leader",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
        self._aps.start()
        await self._keep_leadership()
        await self.run_planners()
        await self.run_due()

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._aps.shutdown(wait=False)
        async with self._run_lock:
            pass  # let an in-flight dispatch finish its bookkeeping
        await self._release_leadership()

    @property
    def running(self) -> bool:
        return self._running and self._aps.running

    @property
    def is_leader(self) -> bool:
        return self._is_leader

    # ---- leadership ------------------------------------------------------------------
    async def _keep_leadership(self) -> None:
        if self.db.dialect != "postgresql":
            self._is_leader = True  # one process per SQLite file
            return
        try:
            if self._leader_conn is not None:
                await self._leader_conn.execute(text("SELECT 1"))
                return
            conn = await self.db.engine.connect()
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY})
            await conn.commit()
            if got:
                self._leader_conn = conn
                self._is_leader = True
                self._just_elected = True
                log.info("scheduler leadership taken instance=%s", self.instance_id)
                self.wake()
            else:
                await conn.close()
                self._is_leader = False
        except Exception:
            log.warning("leadership check failed; standing down", exc_info=True)
            await self._release_leadership()

    async def _release_leadership(self) -> None:
        conn, self._leader_conn = self._leader_conn, None
        was_leader = self._is_leader
        self._is_leader = False
        if conn is not None:
            try:
                if was_leader:
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY}
                    )
                    await conn.commit()
                await conn.close()
            except Exception:
                await conn.invalidate()

    # ---- waking ---------------------------------------------------------------------
    def _wake_after_commit(self, session: AsyncSession) -> None:
        from sqlalchemy import event

        sync_session = session.sync_session
        if sync_session.info.get("aiguillage_wake_hooked"):
            return
        sync_session.info["aiguillage_wake_hooked"] = True

        def after_commit(_s: Any) -> None:
            sync_session.info.pop("aiguillage_wake_hooked", None)
            self.wake()

        event.listen(sync_session, "after_commit", after_commit, once=True)

    def wake(self) -> None:
        """Run a dispatch pass soon (from any code path, sync or async)."""
        if not self._running:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_soon(lambda: asyncio.ensure_future(self.run_due()))

    def _on_clock_change(self) -> None:
        self.wake()

    async def _arm_next(self) -> None:
        if not self._running:
            return
        async with self.db.session() as session:
            next_due = await session.scalar(
                select(ScheduledDelivery.due_at)
                .where(ScheduledDelivery.status == DeliveryStatus.PENDING)
                .order_by(ScheduledDelivery.due_at)
                .limit(1)
            )
            next_retry = await session.scalar(
                select(ScheduledDelivery.next_attempt_at)
                .where(
                    ScheduledDelivery.status == DeliveryStatus.PENDING,
                    ScheduledDelivery.next_attempt_at.is_not(None),
                )
                .order_by(ScheduledDelivery.next_attempt_at)
                .limit(1)
            )
        candidates = [d for d in (next_due, next_retry) if d is not None]
        if not candidates:
            return
        run_at = self.clock.to_real(max(min(candidates), self.clock.now()))
        self._aps.add_job(
            self.run_due,
            "date",
            run_date=run_at,
            id="deliveries:next",
            replace_existing=True,
            misfire_grace_time=None,
        )

    # ---- planners -------------------------------------------------------------------
    async def _run_planner(self, name: str) -> None:
        if not self._is_leader:
            return
        # One run of a planner at a time: the startup pass, the cron job and a clock jump
        # may overlap, and two runs would race to insert the same dedupe keys.
        async with self._planner_locks.setdefault(name, asyncio.Lock()):
            try:
                await self.planners[name]()
            except Exception:
                log.exception("planner %s failed", name)

    async def run_planners(self) -> None:
        for name in list(self.planners):
            await self._run_planner(name)

    # ---- dispatch -------------------------------------------------------------------
    async def run_due(self) -> list[DispatchOutcome]:
        """Fire every delivery that is due now. Safe to call at any time, from anywhere."""
        if not self._is_leader:
            return []
        outcomes: list[DispatchOutcome] = []
        async with self._run_lock:
            try:
                outcomes = await self._dispatch_pass()
            except Exception:
                log.exception("dispatch pass failed; will retry at the next poll")
            try:
                await self._arm_next()
            except Exception:
                log.exception("could not arm the next delivery")
        return outcomes

    async def _dispatch_pass(self) -> list[DispatchOutcome]:
        now = self.clock.now()
        reclaim_all = self._just_elected
        self._just_elected = False
        async with self.db.session() as session:
            conditions = [
                and_(
                    ScheduledDelivery.status == DeliveryStatus.PENDING,
                    ScheduledDelivery.due_at <= now,
                    or_(
                        ScheduledDelivery.next_attempt_at.is_(None),
                        ScheduledDelivery.next_attempt_at <= now,
                    ),
                ),
            ]
            # A claim left by a process that died (or by ourselves before a restart).
            stale = ScheduledDelivery.status == DeliveryStatus.SENDING
            if not reclaim_all:
                stale = and_(stale, ScheduledDelivery.claimed_by != self.instance_id)
            conditions.append(stale)
            due = list(
                await session.scalars(
                    select(ScheduledDelivery)
                    .where(or_(*conditions))
                    .order_by(ScheduledDelivery.due_at, ScheduledDelivery.id)
                    .limit(200)
                )
            )
        outcomes = []
        for delivery in due:
            outcomes.append(await self._fire(delivery, now))
        return outcomes

    async def _claim(self, delivery: ScheduledDelivery, now: datetime) -> bool:
        async with self.db.transaction() as session:
            result = await session.execute(
                update(ScheduledDelivery)
                .where(
                    ScheduledDelivery.id == delivery.id,
                    ScheduledDelivery.status == delivery.status,
                    ScheduledDelivery.attempts == delivery.attempts,
                )
                .values(
                    status=DeliveryStatus.SENDING,
                    claimed_by=self.instance_id,
                    claimed_at=now,
                    attempts=ScheduledDelivery.attempts + 1,
                )
            )
            return result.rowcount == 1

    async def _finish(self, delivery_id: int, **values: Any) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(ScheduledDelivery)
                .where(ScheduledDelivery.id == delivery_id)
                .values(**values)
            )

    def _grace_for(self, delivery: ScheduledDelivery) -> timedelta:
        if delivery.grace_seconds is not None:
            return timedelta(seconds=delivery.grace_seconds)
        return self.grace

    async def _fire(self, delivery: ScheduledDelivery, now: datetime) -> DispatchOutcome:
        late = now - delivery.due_at
        if (
            delivery.status == DeliveryStatus.PENDING
            and delivery.attempts == 0
            and late > self._grace_for(delivery)
        ):
            await self._finish(
                delivery.id,
                status=DeliveryStatus.SKIPPED,
                last_error=f"overdue by {late} (grace {self._grace_for(delivery)})",
            )
            log.warning(
                "delivery skipped id=%s kind=%s guild=%s due_at=%s late_by=%s",
                delivery.id,
                delivery.kind,
                delivery.guild_id,
                delivery.due_at.isoformat(),
                late,
            )
            self._count("skipped", delivery.kind)
            return DispatchOutcome(delivery.id, DeliveryStatus.SKIPPED)
        if not await self._claim(delivery, now):
            return DispatchOutcome(delivery.id, "lost-claim")
        delivery.attempts += 1
        handler = self.handlers.get(delivery.kind)
        try:
            if handler is None:
                raise PermanentDeliveryError("core.delivery.unknown_kind", kind=delivery.kind)
            result = await handler(self.context, delivery)
        except PermanentDeliveryError as exc:
            return await self._fail(delivery, exc.key, exc.kwargs)
        except Exception as exc:
            if delivery.attempts >= self.max_attempts:
                log.exception("delivery id=%s failed for good", delivery.id)
                return await self._fail(
                    delivery, "core.delivery.gave_up", {"error": str(exc)[:200]}
                )
            wait = backoff(delivery.attempts)
            log.warning(
                "delivery id=%s kind=%s attempt %s failed (%s); retry in %s",
                delivery.id,
                delivery.kind,
                delivery.attempts,
                exc,
                wait,
            )
            await self._finish(
                delivery.id,
                status=DeliveryStatus.PENDING,
                last_error=f"{type(exc).__name__}: {exc}"[:1000],
                next_attempt_at=self.clock.now() + wait,
            )
            self._count("retried", delivery.kind)
            return DispatchOutcome(delivery.id, DeliveryStatus.PENDING, str(exc))
        await self._finish(
            delivery.id,
            status=DeliveryStatus.SENT,
            sent_at=self.clock.now(),
            result=result or {},
            last_error=None,
        )
        log.info(
            "delivery sent id=%s kind=%s guild=%s late_by=%s",
            delivery.id,
            delivery.kind,
            delivery.guild_id,
            max(late, timedelta(0)),
        )
        self._count("sent", delivery.kind)
        return DispatchOutcome(delivery.id, DeliveryStatus.SENT)

    async def _fail(
        self, delivery: ScheduledDelivery, key: str, kwargs: dict[str, Any]
    ) -> DispatchOutcome:
        from bot.i18n import t

        reason = t(key, "fr", **kwargs)
        await self._finish(delivery.id, status=DeliveryStatus.FAILED, last_error=reason[:1000])
        log.error(
            "delivery failed id=%s kind=%s guild=%s: %s",
            delivery.id,
            delivery.kind,
            delivery.guild_id,
            reason,
        )
        self._count("failed", delivery.kind)
        if self.on_failure is not None:
            try:
                await self.on_failure(delivery, reason)
            except Exception:
                log.exception("could not report the failure of delivery %s", delivery.id)
        return DispatchOutcome(delivery.id, DeliveryStatus.FAILED, reason)

    def _count(self, outcome: str, kind: str) -> None:
        if self.metrics is not None:
            self.metrics.deliveries.labels(outcome=outcome, kind=kind).inc()


# ---- the built-in "message" delivery ----------------------------------------------------
async def deliver_message(bot: AiguillageBot, delivery: ScheduledDelivery) -> dict[str, Any]:
    """Post ``{channel_id, content, embeds, allowed_mentions, attachments, crosspost}``."""
    import discord

    payload = delivery.payload
    channel_id = int(payload["channel_id"])
    channel = await bot.resolve_channel(channel_id)
    if channel is None:
        raise PermanentDeliveryError("core.delivery.channel_missing", channel_id=channel_id)
    embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])][:10]
    files = []
    for attachment in payload.get("attachments", []):
        data = await bot.storage.get(attachment["sha256"])
        import io

        files.append(discord.File(io.BytesIO(data), filename=attachment["filename"]))
    mentions = allowed_mentions_from(payload.get("allowed_mentions"))
    try:
        message = await channel.send(  # type: ignore[union-attr]
            content=payload.get("content") or None,
            embeds=embeds,
            files=files,
            allowed_mentions=mentions,
            nonce=delivery.nonce,
        )
    except discord.NotFound as exc:
        raise PermanentDeliveryError(
            "core.delivery.channel_missing", channel_id=channel_id
        ) from exc
    except discord.Forbidden as exc:
        raise PermanentDeliveryError(
            "core.delivery.forbidden", channel_id=channel_id, detail=exc.text
        ) from exc
    result: dict[str, Any] = {"channel_id": channel_id, "message_id": message.id}
    if payload.get("crosspost") and getattr(channel, "is_news", lambda: False)():
        try:
            await message.publish()
            result["crossposted"] = True
        except discord.HTTPException as exc:
            log.warning("crosspost failed for message %s: %s", message.id, exc)
            result["crossposted"] = False
    return result


def allowed_mentions_from(spec: dict[str, Any] | None) -> Any:
    """Stored mention policy → discord.AllowedMentions; nothing is allowed unless listed."""
    import discord

    spec = spec or {}
    return discord.AllowedMentions(
        everyone=bool(spec.get("everyone", False)),
        users=[discord.Object(int(u)) for u in spec.get("users", [])] or False,
        roles=[discord.Object(int(r)) for r in spec.get("roles", [])] or False,
        replied_user=False,
    )
