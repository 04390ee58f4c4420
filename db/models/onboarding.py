"""Onboarding requests: a new member asks to join the network for one structure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class OnboardingStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # the member left, or asked again for another structure


class OnboardingRequest(Base, GuildScoped):
    __tablename__ = "onboarding_requests"
    __table_args__ = (
        # At most one open request per member and guild, enforced by both engines.
        Index(
            "uq_onboarding_requests_one_pending",
            "guild_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Snowflake, index=True)
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), default=OnboardingStatus.PENDING)
    # The charter version the member accepted when asking (None when no charter exists yet).
    charter_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("charter_versions.id", ondelete="SET NULL"), nullable=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The approval message posted for coordinators, updated once a decision is taken.
    message_channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
