"""Library documents and their versions; file bytes live in the blob store (bot/storage.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, GuildScoped, IntPK, Snowflake, UTCDateTime, utcnow


class DocumentOrigin:
    UPLOAD = "upload"
    LINK = "link"
    CHARTER = "charter"
    NEWSLETTER = "newsletter"
    MINUTES = "minutes"
    REPORT = "report"


class Document(Base, GuildScoped):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_guild_deleted", "guild_id", "deleted_at"),
        Index("ix_documents_guild_updated", "guild_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(20), default=DocumentOrigin.UPLOAD)
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"), nullable=True
    )
    link_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.number",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions[-1] if self.versions else None


class DocumentVersion(Base, GuildScoped):
    __tablename__ = "document_versions"
    __table_args__ = (
        Index("ix_document_versions_document_number", "document_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mime_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # The link of a link document at this version (files have sha256 instead).
    link_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")  # extracted text, for search
    note: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
