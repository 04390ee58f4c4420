"""Announcements posted by referents and coordinators (issue 5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class AnnouncementStatus:
    DRAFT = "draft"  # previewed, not confirmed yet
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"


class Announcement(Base, GuildScoped):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    author_id: Mapped[int] = mapped_column(Snowflake, index=True)
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    # The signature is frozen at writing time so a later rename does not rewrite history.
    signature: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    link_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    mention_role_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # "everyone" or "here" (coordinators only), else None.
    mention_broadcast: Mapped[str | None] = mapped_column(String(20), nullable=True)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attachment_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=AnnouncementStatus.DRAFT)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
