"""The network's legal charter: published versions and who accepted which."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class CharterVersion(Base, GuildScoped):
    """One published version; the current one is the latest published in the guild."""

    __tablename__ = "charter_versions"
    __table_args__ = (UniqueConstraint("guild_id", "label"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str] = mapped_column(Text, default="")
    # The bot's own copy of the text, shown by /charte (never an expiring attachment link).
    text: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True
    )
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    published_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CharterAcceptance(Base, GuildScoped):
    """A member accepted a version; recorded from the member's own interaction only."""

    __tablename__ = "charter_acceptances"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("charter_versions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake, index=True)
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The Discord interaction that carried the click: evidence of who accepted.
    interaction_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
