"""Newsletter: items proposed by members, issues composed from them (or from an uploaded
file), and the members who opted into the newsletter role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class ItemStatus:
    PENDING = "pending"  # waiting for a coordinator
    ACCEPTED = "accepted"  # in the next issue
    REFUSED = "refused"
    PUBLISHED = "published"  # part of a published issue: frozen

    DECIDABLE = (PENDING, ACCEPTED)


class IssueStatus:
    DRAFT = "draft"  # collecting accepted items
    SCHEDULED = "scheduled"  # a publication delivery is due
    FAILED = "failed"  # the delivery failed permanently (deleted channel...): retry possible
    PUBLISHED = "published"

    OPEN = (DRAFT, SCHEDULED, FAILED)


class IssueMode:
    ITEMS = "items"  # composed from accepted items
    FILE = "file"  # a PDF made elsewhere, posted with a summary


class NewsletterIssue(Base, GuildScoped):
    """One letter ("Lettre n° 7 — janvier 2027"). At most one open issue per guild."""

    __tablename__ = "newsletter_issues"
    __table_args__ = (
        UniqueConstraint("guild_id", "number"),
        Index("ix_newsletter_issues_guild_status", "guild_id", "status"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=IssueStatus.DRAFT)
    mode: Mapped[str] = mapped_column(String(10), default=IssueMode.ITEMS)
    intro: Mapped[str] = mapped_column(Text, default="")
    # File mode: the uploaded PDF (bytes in the blob store) and the summary posted with it.
    summary: Mapped[str] = mapped_column(Text, default="")
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Dedupe key of the publication delivery; a new one after each retry or reschedule.
    publish_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    # Messages already posted, in order: a retry resumes after them instead of reposting.
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True
    )
    # The content exactly as published, so archives never change when items are edited.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class NewsletterItem(Base, GuildScoped):
    """A piece of news proposed by a member (workshop, new permanence, closure, tip...)."""

    __tablename__ = "newsletter_items"
    __table_args__ = (
        Index("ix_newsletter_items_guild_status", "guild_id", "status"),
        Index("ix_newsletter_items_issue_position", "issue_id", "position"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.PENDING)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    link_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    image_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    image_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    image_content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletter_issues.id", ondelete="SET NULL"), nullable=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    submitter_id: Mapped[int] = mapped_column(Snowflake)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refusal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    edited_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    # The review card posted for coordinators, updated when a decision is taken.
    review_channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    review_message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class NewsletterSubscriber(Base, GuildScoped):
    """A member who opted into the newsletter role (the role is the view; this is the truth)."""

    __tablename__ = "newsletter_subscribers"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
