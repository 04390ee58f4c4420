"""Library tables beside the foundation's ``documents`` / ``document_versions``.

The full-text index itself is engine-specific and lives outside the ORM metadata (created by
migrations ``0006_library`` and ``0006b_library_search``): FTS5 virtual tables
``document_fts`` and ``document_fts_head`` on SQLite, a table ``document_fts`` with a
weighted ``tsvector`` and GIN indexes on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class DocumentTag(Base, GuildScoped):
    """One tag of one document, with its folded key ("Accès aux droits" -> "acces-aux-droits")
    so that filters, counts and autocomplete ignore case and accents."""

    __tablename__ = "document_tags"
    __table_args__ = (
        UniqueConstraint("document_id", "tag_key"),
        # In document order within a tag: "the newest documents with this tag" (search filter).
        Index("ix_document_tags_guild_key_document", "guild_id", "tag_key", "document_id"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(60))
    tag_key: Mapped[str] = mapped_column(String(60))


class DocumentShareLink(Base, GuildScoped):
    """An unguessable, expiring link to one version's file, served by the bot's web side."""

    __tablename__ = "document_share_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    downloads: Mapped[int] = mapped_column(default=0)


class LibrarySearch(Base, GuildScoped):
    """A search someone ran, so its result pages keep working after a restart
    (the page buttons carry only this row's id and a page number)."""

    __tablename__ = "library_searches"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    query: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
