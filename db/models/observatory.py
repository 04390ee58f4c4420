"""Observatory of the network: the anonymous demand log, the web page's access token, and
monthly snapshots of the offer (so that a semester can be compared with the previous one).

The demand log is anonymous *by construction*: it has no column that could hold who asked,
about whom, or the words typed. Every column is a number, a flag, a day, or a key drawn
from a closed vocabulary (services of the national standard, need keys of the synonym
table, commune/quartier keys of the guild's own directory). See ``db/demand.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class DemandRecord(Base, GuildScoped):
    """One `/orienter` request, counted: what was needed, where, with which filters, how
    many places answered, and whether a handover followed. Never who, never the text."""

    __tablename__ = "observatory_demand"
    # One covering index per aggregation, its GROUP BY columns first: SQLite then counts
    # a million rows in index order without sorting them (PostgreSQL hashes anyway).
    __table_args__ = (
        Index(
            "ix_observatory_demand_by_need",
            "guild_id",
            "needs",
            "result_count",
            "services_mask",
            "handover",
            "filters_mask",
            "commune_key",
            "quartier_key",
            "day",
        ),
        Index(
            "ix_observatory_demand_by_area",
            "guild_id",
            "commune_key",
            "quartier_key",
            "services_mask",
            "result_count",
            "handover",
            "day",
        ),
        Index("ix_observatory_demand_by_month", "guild_id", "month", "result_count", "handover"),
        Index("ix_observatory_demand_by_public", "guild_id", "public", "day"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    # The Paris calendar day only (no time): requests of one day cannot be told apart.
    day: Mapped[date] = mapped_column(Date)
    month: Mapped[int] = mapped_column(Integer)  # 202604: grouped on without date functions
    # Bits of db.models.structures.SERVICES the need mapped to (0: need not understood).
    services_mask: Mapped[int] = mapped_column(Integer, default=0)
    # "|caf|impots|": keys of the synonym table (closed list, never the words typed).
    needs: Mapped[str] = mapped_column(String(200), default="")
    # Folded names from the guild's own directory ("" when the person's area was not given).
    commune_key: Mapped[str] = mapped_column(String(200), default="")
    quartier_key: Mapped[str] = mapped_column(String(200), default="")
    # Bits of db.demand.FILTERS (open now, walk-in, free, public).
    filters_mask: Mapped[int] = mapped_column(SmallInteger, default=0)
    # A value of the standard's closed vocabularies (publics, specific support) or "".
    public: Mapped[str] = mapped_column(String(60), default="")
    result_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    handover: Mapped[bool] = mapped_column(Boolean, default=False)


class ObservatoryAccess(Base, GuildScoped):
    """The secret token of a guild's read-only observatory page (rotating it revokes the
    old link). One row per guild."""

    __tablename__ = "observatory_access"
    __table_args__ = (UniqueConstraint("guild_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ObservatorySnapshot(Base, GuildScoped):
    """The state of the offer on a day (places and hours per service, freshness): the
    directory only knows its present, so comparisons with a past period read these."""

    __tablename__ = "observatory_snapshots"
    __table_args__ = (UniqueConstraint("guild_id", "day"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
