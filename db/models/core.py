"""Runtime tables: guilds, per-guild settings, scheduled deliveries, audit, command sync."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class Guild(Base):
    """One Discord server = one territorial network."""

    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    territory: Mapped[str] = mapped_column(String(200), default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class GuildSetting(Base, GuildScoped):
    """A per-guild setting (channel, role, number, text) chosen by coordinators."""

    __tablename__ = "guild_settings"
    __table_args__ = (UniqueConstraint("guild_id", "key"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DeliveryStatus:
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher; the send may or may not have reached Discord
    SENT = "sent"
    FAILED = "failed"  # permanent failure (deleted channel, missing permission): kept for retry
    SKIPPED = "skipped"  # overdue beyond its grace when the bot came back
    CANCELLED = "cancelled"

    OPEN = (PENDING, SENDING)


class ScheduledDelivery(Base, GuildScoped):
    """Something the bot must do at a given instant, exactly once (see bot/scheduler.py)."""

    __tablename__ = "scheduled_deliveries"
    __table_args__ = (
        UniqueConstraint("guild_id", "dedupe_key"),
        Index("ix_scheduled_deliveries_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(80))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    # Lets a capability schedule idempotently ("copil:12:reminder:J-7"): one row per key and guild.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    grace_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def nonce(self) -> str:
        """Same value on every attempt, so Discord can recognise a repeated send."""
        return f"aig-d{self.id}"


class AuditEntry(Base, GuildScoped):
    """A privileged action: who did what, to what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_at", "guild_id", "at"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    structure_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CommandSyncState(Base):
    """Hash of the last command tree pushed to Discord, per scope (global or a guild)."""

    __tablename__ = "command_sync_state"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    tree_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
