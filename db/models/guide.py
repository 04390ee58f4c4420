"""The residents' guide: whether each network publishes its directory on the web, and where.

One row per guild. The public address uses a slug chosen by the coordinators (never the
guild's Discord id); unpublishing keeps the row so that republishing keeps the address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, Timestamped, UTCDateTime


class GuidePublication(Base, GuildScoped, Timestamped):
    __tablename__ = "guide_publications"
    __table_args__ = (UniqueConstraint("guild_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
