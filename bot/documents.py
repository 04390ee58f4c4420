"""The library's document service: one store and one catalogue for every capability.

Charter versions, newsletters, COPIL minutes and reports are filed here as well as the
documents members add, so one search finds them all.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import BlobStore
from db.engine import Database
from db.models import Document, DocumentVersion
from db.models.documents import DocumentOrigin

# Called inside the same transaction after a version is added (the library indexes text).
VersionHook = Callable[[AsyncSession, Document, DocumentVersion, bytes | None], Awaitable[None]]


class DocumentService:
    def __init__(self, db: Database, storage: BlobStore) -> None:
        self.db = db
        self.storage = storage
        self.version_hooks: list[VersionHook] = []

    def on_version(self, hook: VersionHook) -> None:
        self.version_hooks.append(hook)

    async def add(
        self,
        *,
        guild_id: int,
        title: str,
        data: bytes | None = None,
        filename: str | None = None,
        link_url: str | None = None,
        category: str = "",
        tags: list[str] | None = None,
        origin: str = DocumentOrigin.UPLOAD,
        owner_id: int | None = None,
        structure_id: int | None = None,
        description: str = "",
        mime_type: str | None = None,
        text: str = "",
        session: AsyncSession | None = None,
    ) -> Document:
        """File a new document (bytes or a link). Pass ``session`` to join the caller's
        transaction; otherwise one is opened and committed here."""
        if data is None and not link_url:
            raise ValueError("a document needs bytes or a link")
        if session is None:
            async with self.db.transaction() as own:
                return await self.add(
                    guild_id=guild_id,
                    title=title,
                    data=data,
                    filename=filename,
                    link_url=link_url,
                    category=category,
                    tags=tags,
                    origin=origin,
                    owner_id=owner_id,
                    structure_id=structure_id,
                    description=description,
                    mime_type=mime_type,
                    text=text,
                    session=own,
                )
        document = Document(
            guild_id=guild_id,
            title=title,
            description=description,
            category=category,
            tags=sorted({tag.strip().lower() for tag in tags or [] if tag.strip()}),
            origin=origin,
            owner_id=owner_id,
            structure_id=structure_id,
            link_url=link_url,
            versions=[],
        )
        session.add(document)
        await session.flush()
        await self._new_version(session, document, data, filename, owner_id, "", mime_type, text)
        return document

    async def add_version(
        self,
        document: Document,
        *,
        data: bytes | None,
        filename: str | None,
        added_by: int | None,
        note: str = "",
        mime_type: str | None = None,
        text: str = "",
        session: AsyncSession,
    ) -> DocumentVersion:
        return await self._new_version(
            session, document, data, filename, added_by, note, mime_type, text
        )

    async def _new_version(
        self,
        session: AsyncSession,
        document: Document,
        data: bytes | None,
        filename: str | None,
        added_by: int | None,
        note: str,
        mime_type: str | None,
        text: str,
    ) -> DocumentVersion:
        sha = await self.storage.put(data) if data is not None else None
        if mime_type is None and filename:
            mime_type = mimetypes.guess_type(filename)[0]
        number = len(document.versions) + 1
        version = DocumentVersion(
            guild_id=document.guild_id,
            document_id=document.id,
            number=number,
            sha256=sha,
            filename=filename,
            mime_type=mime_type,
            size=len(data) if data is not None else 0,
            text=text,
            note=note,
            added_by=added_by,
        )
        document.versions.append(version)
        await session.flush()
        for hook in self.version_hooks:
            await hook(session, document, version, data)
        return version

    async def get(self, guild_id: int, document_id: int) -> Document | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(Document).where(Document.guild_id == guild_id, Document.id == document_id)
            )

    async def get_bytes(self, version: DocumentVersion) -> bytes:
        if version.sha256 is None:
            raise ValueError("this version is a link, not a file")
        return await self.storage.get(version.sha256)


def describe(document: Document) -> dict[str, Any]:
    current = document.current
    return {
        "id": document.id,
        "title": document.title,
        "origin": document.origin,
        "versions": len(document.versions),
        "filename": current.filename if current else None,
    }
