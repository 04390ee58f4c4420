"""Directory workflow tables: warm handovers ("Orienter ici") and error reports.

The structures themselves live in ``db/models/structures.py``. No table here ever holds
the identity of the person being oriented: handovers carry the need, an approximate
time, the professional's own case number and a few words checked for personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class HandoverStatus:
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    REDIRECTED = "redirected"
    EXPIRED = "expired"

    ALL = (OPEN, ACKNOWLEDGED, REDIRECTED, EXPIRED)


class Handover(Base, GuildScoped):
    """A professional tells a structure that someone is coming for a need."""

    __tablename__ = "directory_handovers"
    __table_args__ = (
        Index("ix_directory_handovers_guild_status", "guild_id", "status"),
        Index("ix_directory_handovers_structure", "structure_id", "status"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(Snowflake)
    # The sender's own structure when they are a referent (shown to the receiver).
    sender_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    need: Mapped[str] = mapped_column(String(200))
    expected_when: Mapped[str] = mapped_column(String(100), default="")
    case_ref: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=HandoverStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    redirect_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    # Where the receiving referents saw it, so the message can be edited on answer.
    channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)


class ReportStatus:
    OPEN = "open"
    CLOSED = "closed"


class ErrorReport(Base, GuildScoped):
    """ "Signaler une info erronée": tracked until a referent or coordinator closes it."""

    __tablename__ = "directory_reports"
    __table_args__ = (Index("ix_directory_reports_guild_status", "guild_id", "status"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(Snowflake)
    field: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
