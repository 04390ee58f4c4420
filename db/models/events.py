"""Network events (COPIL, temps forts, ateliers): the event, its answers (RSVP), the
members who opted out of reminder DMs and the secret of each guild's calendar feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class EventKind:
    COPIL = "copil"
    TEMPS_FORT = "temps_fort"
    ATELIER = "atelier"
    REUNION = "reunion"
    AUTRE = "autre"

    ALL = (COPIL, TEMPS_FORT, ATELIER, REUNION, AUTRE)


class EventStatus:
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RsvpResponse:
    YES = "yes"
    NO = "no"
    # "Représenté·e par…": the responder will not come, a colleague (delegate) comes instead.
    REPRESENTED = "represented"

    ALL = (YES, NO, REPRESENTED)


class NetworkEvent(Base, GuildScoped):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_guild_starts", "guild_id", "starts_at"),
        UniqueConstraint("uid"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    # iCalendar UID: random, so it reveals nothing and survives every edit.
    uid: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default=EventKind.COPIL)
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(300), nullable=True)
    video_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    voice_channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.SCHEDULED)
    # iCalendar SEQUENCE: incremented on every change attendees should see.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    reminder_offsets: Mapped[list[str]] = mapped_column(JSON, default=list)
    discord_event_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    minutes_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True
    )
    minutes_summary: Mapped[str] = mapped_column(Text, default="")
    minutes_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Never loaded with the event: every click and refresh loads an event, and answers are
    # read by their own queries (``service.answers_of``). The database cascades deletes.
    rsvps: Mapped[list[EventRsvp]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
        order_by="EventRsvp.responded_at",
    )

    @property
    def cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


class EventRsvp(Base, GuildScoped):
    """One member's answer to one event (the latest click wins)."""

    __tablename__ = "event_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    response: Mapped[str] = mapped_column(String(20))
    delegate_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    # Structures the responder belonged to when answering: attendance history stays true
    # even after referents change.
    structure_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[NetworkEvent] = relationship(back_populates="rsvps")


class EventDmOptOut(Base, GuildScoped):
    """A member who does not want reminder DMs (channel reminders still apply)."""

    __tablename__ = "event_dm_optouts"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventFeed(Base, GuildScoped):
    """The secret token in a guild's calendar feed URL (rotating it revokes old links)."""

    __tablename__ = "event_feeds"
    __table_args__ = (UniqueConstraint("guild_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
