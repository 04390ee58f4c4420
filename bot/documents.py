"""The library's document service: one store and one search for every capability.

Documents members add with /doc and the charter versions, newsletters, COPIL minutes and
reports other capabilities file all go through ``add`` / ``add_version``, which check the
file (real type, size, zip bombs, encrypted PDFs: bot/library/extraction.py), keep its bytes
in the blob store, and index its text in the same transaction as the rows, so one search
finds them all. Nothing here knows about Discord.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.library.errors import LibraryError
from bot.library.extraction import MAX_FILE_BYTES, ExtractedFile, check_and_extract
from bot.library.fields import (
    clean_category,
    clean_description,
    clean_link,
    clean_title,
    parse_tags,
    tag_key,
)
from bot.library.search_index import IndexedFields, SearchFilters, SearchIndex, index_for
from bot.library.snippets import Segment, make_snippet
from bot.library.textnorm import STOP_WORDS, fold, stem, tokens
from bot.storage import BlobStore, sha256_of
from db.base import utcnow
from db.engine import Database
from db.models.documents import Document, DocumentOrigin, DocumentVersion
from db.models.library import DocumentShareLink, DocumentTag, LibrarySearch

# Called inside the same transaction after a version is added.
VersionHook = Callable[[AsyncSession, Document, DocumentVersion, bytes | None], Awaitable[None]]

SHARE_LINK_TTL = timedelta(days=7)
SEARCH_RETENTION = timedelta(days=30)
SEARCH_CLEANUP_EVERY = 100
EXTRACTION_TIMEOUT_SECONDS = 30.0
FUZZY_MIN_SCORE = 75


@dataclass(frozen=True)
class Actor:
    """Who asks, as far as the library's rules care."""

    user_id: int
    is_coordinator: bool = False
    structure_ids: frozenset[int] = frozenset()


def can_manage(document: Document, actor: Actor) -> bool:
    """Replace or delete: the person who filed it, a referent of its owning structure, or a
    coordinator."""
    return (
        actor.is_coordinator
        or (document.owner_id is not None and document.owner_id == actor.user_id)
        or (document.structure_id is not None and document.structure_id in actor.structure_ids)
    )


@dataclass(frozen=True)
class SearchHit:
    document: Document
    snippet: list[Segment]


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    page: int
    has_more: bool
    # "all" (every word), "corrected" (typos fixed), "any" (some words), "fuzzy" (titles).
    strategy: str
    corrected_query: str | None = None


@dataclass
class _GuildVocabulary:
    signature: tuple[Any, ...]
    words: list[str] = field(default_factory=list)
    # (document id, folded "title tags", category, structure id, tag keys)
    titles: list[tuple[int, str, str, int | None, frozenset[str]]] = field(default_factory=list)


def query_words(query: str) -> list[str]:
    """The folded words of a query that can match (stop words dropped)."""
    return [t for t in tokens(query) if t not in STOP_WORDS]


class DocumentService:
    def __init__(
        self,
        db: Database,
        storage: BlobStore,
        *,
        now: Callable[[], datetime] = utcnow,
        max_file_bytes: int = MAX_FILE_BYTES,
        extraction_timeout: float = EXTRACTION_TIMEOUT_SECONDS,
    ) -> None:
        self.db = db
        self.storage = storage
        self.now = now
        self.max_file_bytes = max_file_bytes
        self.extraction_timeout = extraction_timeout
        self.index: SearchIndex = index_for(db.dialect)
        self._vocabularies: dict[int, _GuildVocabulary] = {}
        self.version_hooks: list[VersionHook] = []

    def on_version(self, hook: VersionHook) -> None:
        self.version_hooks.append(hook)

    # ----------------------------------------------------------------- writing

    async def check_file(self, data: bytes, filename: str) -> ExtractedFile:
        """Validate and extract in a worker thread, with a time limit (hostile PDFs)."""
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(check_and_extract, data, filename, self.max_file_bytes),
                self.extraction_timeout,
            )
        except TimeoutError as exc:
            raise LibraryError("library.error.extraction_timeout", filename=filename) from exc

    @asynccontextmanager
    async def _transaction(self, session: AsyncSession | None):  # type: ignore[no-untyped-def]
        if session is not None:
            yield session
        else:
            async with self.db.transaction() as own:
                yield own

    async def _store_blob(self, data: bytes) -> tuple[str, bool]:
        sha = sha256_of(data)
        existed = await self.storage.exists(sha)
        if not existed:
            await self.storage.put(data)
        return sha, existed

    async def add(
        self,
        *,
        guild_id: int,
        title: str,
        data: bytes | None = None,
        filename: str | None = None,
        link_url: str | None = None,
        category: str = "",
        tags: Iterable[str] | str | None = None,
        origin: str = DocumentOrigin.UPLOAD,
        owner_id: int | None = None,
        structure_id: int | None = None,
        description: str = "",
        mime_type: str | None = None,
        text: str = "",
        session: AsyncSession | None = None,
    ) -> Document:
        """File a new document (bytes or a link). Pass ``session`` to join the caller's
        transaction; otherwise one is opened and committed here.

        Everything is checked before anything is written: a refusal (``LibraryError``)
        leaves no row, no index entry and no new blob. ``text`` (optional) is searchable
        text the caller already has; by default it is extracted from the file.
        """
        title = clean_title(title)
        description = clean_description(description)
        category = clean_category(category)
        tag_pairs = parse_tags(tags if isinstance(tags, str) or tags is None else list(tags))
        if data is None and not link_url:
            raise LibraryError("library.error.file_or_link")
        extracted = await self.check_file(data, filename or "") if data is not None else None
        link = clean_link(link_url) if link_url else None

        sha, existed = await self._store_blob(data) if data is not None else (None, True)
        try:
            async with self._transaction(session) as s:
                now = self.now()
                document = Document(
                    guild_id=guild_id,
                    title=title,
                    description=description,
                    category=category,
                    tags=[display for display, _ in tag_pairs],
                    origin=origin,
                    structure_id=structure_id,
                    link_url=link,
                    owner_id=owner_id,
                    created_at=now,
                    updated_at=now,
                    versions=[],
                )
                s.add(document)
                await s.flush()
                for display, key in tag_pairs:
                    s.add(
                        DocumentTag(
                            guild_id=guild_id, document_id=document.id, tag=display, tag_key=key
                        )
                    )
                await self._new_version(
                    s, document, extracted, sha, link, owner_id, "", mime_type, text, data
                )
        except BaseException:
            if sha is not None and not existed:
                await self.storage.delete(sha)
            raise
        return document

    async def _new_version(
        self,
        session: AsyncSession,
        document: Document,
        extracted: ExtractedFile | None,
        sha: str | None,
        link: str | None,
        added_by: int | None,
        note: str,
        mime_type: str | None,
        text: str,
        data: bytes | None,
    ) -> DocumentVersion:
        now = self.now()
        number = max((v.number for v in document.versions), default=0) + 1
        version = DocumentVersion(
            guild_id=document.guild_id,
            document_id=document.id,
            number=number,
            sha256=sha,
            filename=extracted.filename if extracted else None,
            # The type found in the content wins over what a caller or a file name says.
            mime_type=extracted.kind.mime if extracted else mime_type,
            size=extracted.size if extracted else 0,
            text=text or (extracted.text if extracted else ""),
            link_url=link,
            note=note,
            added_by=added_by,
            added_at=now,
        )
        document.versions.append(version)
        if number > 1:
            document.link_url = link
            document.updated_at = now
        await session.flush()
        await self._reindex(session, document)
        for hook in self.version_hooks:
            await hook(session, document, version, data)
        return version

    async def add_version(
        self,
        document: Document | int,
        *,
        data: bytes | None = None,
        filename: str | None = None,
        added_by: int | None = None,
        note: str = "",
        mime_type: str | None = None,
        text: str = "",
        link_url: str | None = None,
        guild_id: int | None = None,
        actor: Actor | None = None,
        session: AsyncSession | None = None,
    ) -> DocumentVersion:
        """A new version of ``document`` (a Document, or its id with ``guild_id``); earlier
        versions and their files are kept. With ``actor``, refuses people who may not
        manage the document, before anything is read from the file."""
        if data is None and not link_url:
            raise LibraryError("library.error.file_or_link")
        note = clean_description(note)
        document_id = document if isinstance(document, int) else document.id
        if guild_id is None:
            if isinstance(document, int):
                raise ValueError("add_version(document_id) needs guild_id")
            guild_id = document.guild_id
        if actor is not None:
            async with self.db.session() as s:
                current = await self._get(s, guild_id, document_id)
                if not can_manage(current, actor):
                    raise LibraryError("library.error.not_owner", title=current.title)
        extracted = await self.check_file(data, filename or "") if data is not None else None
        link = clean_link(link_url) if link_url else None
        sha, existed = await self._store_blob(data) if data is not None else (None, True)
        try:
            async with self._transaction(session) as s:
                loaded = await self._get(s, guild_id, document_id)
                version = await self._new_version(
                    s, loaded, extracted, sha, link, added_by, note, mime_type, text, data
                )
        except BaseException:
            if sha is not None and not existed:
                await self.storage.delete(sha)
            raise
        if not isinstance(document, int) and document is not loaded:
            # Keep the caller's object in step (it may come from another session).
            document.versions = list(loaded.versions)
            document.link_url = loaded.link_url
            document.updated_at = loaded.updated_at
        return version

    async def _reindex(self, session: AsyncSession, document: Document) -> None:
        current = document.current
        await self.index.upsert(
            session,
            document.guild_id,
            document.id,
            IndexedFields(
                title=document.title,
                tags=list(document.tags),
                description=document.description,
                body=current.text if current else "",
            ),
        )

    async def reindex_all(self, guild_id: int | None = None, batch: int = 200) -> int:
        """Rebuild the full-text index (after an import by hand or a change of stemmer);
        returns the number of documents indexed. Deleted documents are indexed too, so a
        restore needs nothing more."""
        count = 0
        last_id = 0
        while True:
            async with self.db.transaction() as s:
                query = select(Document).where(Document.id > last_id)
                if guild_id is not None:
                    query = query.where(Document.guild_id == guild_id)
                documents = list(await s.scalars(query.order_by(Document.id).limit(batch)))
                if not documents:
                    break
                for document in documents:
                    await self._reindex(s, document)
                last_id = documents[-1].id
                count += len(documents)
        await self.index.optimize(self.db)
        return count

    async def soft_delete(self, guild_id: int, document_id: int, actor: Actor) -> Document:
        async with self.db.transaction() as s:
            document = await self._get(s, guild_id, document_id)
            if not can_manage(document, actor):
                raise LibraryError("library.error.not_owner", title=document.title)
            document.deleted_at = self.now()
            document.deleted_by = actor.user_id
            document.updated_at = self.now()
        return document

    async def restore(self, guild_id: int, document_id: int, actor: Actor) -> Document:
        if not actor.is_coordinator:
            raise LibraryError("library.error.restore_coordinators_only")
        async with self.db.transaction() as s:
            document = await self._get(s, guild_id, document_id, include_deleted=True)
            if document.deleted_at is None:
                raise LibraryError("library.error.not_deleted", title=document.title)
            document.deleted_at = None
            document.deleted_by = None
            document.updated_at = self.now()
        return document

    # ----------------------------------------------------------------- reading

    async def _get(
        self, session: AsyncSession, guild_id: int, document_id: int, include_deleted: bool = False
    ) -> Document:
        document = await session.get(Document, document_id)
        if (
            document is None
            or document.guild_id != guild_id
            or (document.deleted_at is not None and not include_deleted)
        ):
            raise LibraryError("library.error.not_found", document_id=document_id)
        return document

    async def get(self, guild_id: int, document_id: int) -> Document | None:
        """The document (deleted or not) or None: for capabilities that filed it."""
        async with self.db.session() as s:
            document = await s.get(Document, document_id)
            return document if document is not None and document.guild_id == guild_id else None

    async def fetch(
        self, guild_id: int, document_id: int, include_deleted: bool = False
    ) -> Document:
        """The document, or LibraryError("library.error.not_found") (deleted ones hidden)."""
        async with self.db.session() as s:
            return await self._get(s, guild_id, document_id, include_deleted)

    async def get_bytes(self, version: DocumentVersion) -> bytes:
        if version.sha256 is None:
            raise LibraryError("library.error.no_file")
        return await self.storage.get(version.sha256)

    async def recent(self, guild_id: int, limit: int = 10) -> list[Document]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(Document)
                .where(Document.guild_id == guild_id, Document.deleted_at.is_(None))
                .order_by(Document.updated_at.desc(), Document.id.desc())
                .limit(limit)
            )
            return list(rows)

    async def deleted(self, guild_id: int, limit: int = 25) -> list[Document]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(Document)
                .where(Document.guild_id == guild_id, Document.deleted_at.is_not(None))
                .order_by(Document.deleted_at.desc())
                .limit(limit)
            )
            return list(rows)

    async def tag_counts(self, guild_id: int) -> list[tuple[str, int]]:
        """Every tag in use with its number of documents, most used first."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(DocumentTag.tag_key, func.min(DocumentTag.tag), func.count())
                .join(Document, Document.id == DocumentTag.document_id)
                .where(DocumentTag.guild_id == guild_id, Document.deleted_at.is_(None))
                .group_by(DocumentTag.tag_key)
                .order_by(func.count().desc(), DocumentTag.tag_key)
            )
            return [(tag, count) for _key, tag, count in rows]

    async def suggest_tags(self, guild_id: int, typed: str, limit: int = 25) -> list[str]:
        """Existing tags for autocomplete: those starting with what was typed first."""
        key = tag_key(typed)
        tags = await self.tag_counts(guild_id)
        if not key:
            return [tag for tag, _ in tags[:limit]]
        starts = [t for t, _ in tags if tag_key(t).startswith(key)]
        contains = [t for t, _ in tags if key in tag_key(t) and t not in starts]
        return (starts + contains)[:limit]

    async def suggest_documents(
        self, guild_id: int, typed: str, *, deleted: bool = False, limit: int = 25
    ) -> list[Document]:
        """Documents whose title contains what was typed (for command autocomplete)."""
        async with self.db.session() as s:
            condition = (
                Document.deleted_at.is_not(None) if deleted else Document.deleted_at.is_(None)
            )
            rows = list(
                await s.scalars(
                    select(Document)
                    .where(Document.guild_id == guild_id, condition)
                    .order_by(Document.updated_at.desc())
                    .limit(500)
                )
            )
        folded = fold(typed.strip())
        if folded:
            rows = [d for d in rows if folded in fold(d.title) or folded == str(d.id)]
        return rows[:limit]

    # ----------------------------------------------------------------- search

    async def search(
        self,
        guild_id: int,
        query: str,
        filters: SearchFilters = SearchFilters(),  # noqa: B008 - frozen, never mutated
        page: int = 0,
        per_page: int = 5,
    ) -> SearchPage:
        """Ranked documents for ``query``: every word first, then with typos corrected, then
        any word, then a fuzzy match on titles and tags. Never raises on odd input."""
        words = query_words(query)
        if not words:
            raise LibraryError("library.error.empty_query")
        offset = page * per_page
        async with self.db.session() as s:
            strategy, used_words, corrected = "all", words, None
            ids = await self.index.match(s, guild_id, words, "all", filters, per_page + 1, offset)
            # On a later page, an empty answer may just mean "past the end".
            if not ids and (page == 0 or not await self._any(s, guild_id, words, "all", filters)):
                vocabulary = await self._vocabulary(s, guild_id)
                fixed = correct_words(words, vocabulary.words)
                if fixed != words and await self._any(s, guild_id, fixed, "all", filters):
                    strategy, used_words, corrected = "corrected", fixed, " ".join(fixed)
                    ids = await self.index.match(
                        s, guild_id, fixed, "all", filters, per_page + 1, offset
                    )
                else:
                    either = list(dict.fromkeys(words + fixed))
                    if await self._any(s, guild_id, either, "any", filters):
                        strategy, used_words = "any", either
                        ids = await self.index.match(
                            s, guild_id, either, "any", filters, per_page + 1, offset
                        )
                    else:
                        strategy = "fuzzy"
                        ids = fuzzy_titles(query, vocabulary.titles, filters)[
                            offset : offset + per_page + 1
                        ]
            documents = await self._load(s, ids[:per_page])
        stems = {stem(w) for w in used_words}
        hits = [
            SearchHit(
                document=d,
                snippet=make_snippet(
                    (d.current.text if d.current and d.current.text else "") or d.description,
                    stems,
                ),
            )
            for d in documents
        ]
        return SearchPage(
            hits=hits,
            page=page,
            has_more=len(ids) > per_page,
            strategy=strategy,
            corrected_query=corrected,
        )

    async def _any(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: str,
        filters: SearchFilters,
    ) -> bool:
        return await self.index.has_match(session, guild_id, words, mode, filters)  # type: ignore[arg-type]

    async def _load(self, session: AsyncSession, ids: list[int]) -> list[Document]:
        if not ids:
            return []
        rows = await session.scalars(select(Document).where(Document.id.in_(ids)))
        by_id = {d.id: d for d in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def _vocabulary(self, session: AsyncSession, guild_id: int) -> _GuildVocabulary:
        """Words of titles, tags and descriptions (for typo correction), cached per guild
        until a document of the guild is added, changed or deleted."""
        signature = tuple(
            (
                await session.execute(
                    select(func.count(), func.max(Document.updated_at)).where(
                        Document.guild_id == guild_id
                    )
                )
            ).one()
        )
        cached = self._vocabularies.get(guild_id)
        if cached is not None and cached.signature == signature:
            return cached
        rows = await session.execute(
            select(
                Document.id,
                Document.title,
                Document.description,
                Document.tags,
                Document.category,
                Document.structure_id,
            ).where(Document.guild_id == guild_id, Document.deleted_at.is_(None))
        )
        words: set[str] = set()
        titles = []
        for doc_id, title, description, tags, category, structure_id in rows:
            tag_text = " ".join(tags or [])
            words.update(tokens(f"{title} {tag_text} {description}"))
            titles.append(
                (
                    doc_id,
                    fold(f"{title} {tag_text}"),
                    category,
                    structure_id,
                    frozenset(tag_key(t) for t in tags or []),
                )
            )
        vocabulary = _GuildVocabulary(
            signature=signature,
            words=sorted(w for w in words if len(w) >= 3 and w not in STOP_WORDS),
            titles=titles,
        )
        self._vocabularies[guild_id] = vocabulary
        return vocabulary

    # ----------------------------------------------------------------- sharing

    async def save_search(
        self, guild_id: int, user_id: int, query: str, filters: SearchFilters
    ) -> int:
        async with self.db.transaction() as s:
            row = LibrarySearch(
                guild_id=guild_id,
                user_id=user_id,
                query=query[:500],
                filters={
                    "tag_key": filters.tag_key,
                    "category": filters.category,
                    "structure_id": filters.structure_id,
                },
                created_at=self.now(),
            )
            s.add(row)
            await s.flush()
            if row.id % SEARCH_CLEANUP_EVERY == 0:
                # Page buttons older than this answer "search expired"; keeps the table small.
                await s.execute(
                    delete(LibrarySearch).where(
                        LibrarySearch.created_at < self.now() - SEARCH_RETENTION
                    )
                )
            return row.id

    async def load_search(self, guild_id: int, search_id: int) -> tuple[str, SearchFilters]:
        async with self.db.session() as s:
            row = await s.get(LibrarySearch, search_id)
            if row is None or row.guild_id != guild_id:
                raise LibraryError("library.error.search_expired")
            return row.query, SearchFilters(**row.filters)

    async def create_share_link(
        self, guild_id: int, document_id: int, created_by: int | None
    ) -> DocumentShareLink:
        async with self.db.transaction() as s:
            document = await self._get(s, guild_id, document_id)
            version = document.current
            if version is None or version.sha256 is None:
                raise LibraryError("library.error.no_file")
            now = self.now()
            link = DocumentShareLink(
                token=secrets.token_urlsafe(32),
                guild_id=guild_id,
                document_id=document.id,
                version_id=version.id,
                created_by=created_by,
                created_at=now,
                expires_at=now + SHARE_LINK_TTL,
                downloads=0,
            )
            s.add(link)
        return link

    async def resolve_share_link(self, token: str) -> tuple[DocumentVersion, bytes]:
        """The version and bytes behind a share link, or LibraryError if it is unknown,
        expired, or its document was deleted since."""
        if not token or len(token) > 64:
            raise LibraryError("library.error.link_expired")
        async with self.db.transaction() as s:
            link = await s.get(DocumentShareLink, token)
            if link is None or link.expires_at <= self.now():
                raise LibraryError("library.error.link_expired")
            document = await s.get(Document, link.document_id)
            version = await s.get(DocumentVersion, link.version_id)
            if document is None or document.deleted_at is not None or version is None:
                raise LibraryError("library.error.link_expired")
            link.downloads += 1
        return version, await self.get_bytes(version)


def correct_words(words: list[str], vocabulary: list[str]) -> list[str]:
    """Replace words absent from ``vocabulary`` by the closest one (1 edit for short words,
    2 for longer ones); words already known, or too short to guess, are kept. Two swapped
    letters count as one edit ("cnetre" -> "centre"): the commonest typing slip would
    otherwise fall through to the slow fuzzy match of every title."""
    known = set(vocabulary)
    fixed: list[str] = []
    for word in words:
        if word in known or len(word) < 4 or not vocabulary:
            fixed.append(word)
            continue
        allowed = 1 if len(word) <= 6 else 2
        best = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=allowed)
        fixed.append(best[0] if best is not None else word)
    return fixed


def fuzzy_titles(
    query: str,
    titles: list[tuple[int, str, str, int | None, frozenset[str]]],
    filters: SearchFilters,
    limit: int = 50,
) -> list[int]:
    """Document ids whose title and tags look like the query, best first."""
    candidates = {
        doc_id: text
        for doc_id, text, category, structure_id, tag_keys in titles
        if (not filters.category or category == filters.category)
        and (filters.structure_id is None or structure_id == filters.structure_id)
        and (not filters.tag_key or filters.tag_key in tag_keys)
    }
    matches = process.extract(
        fold(query),
        candidates,
        scorer=fuzz.WRatio,
        score_cutoff=FUZZY_MIN_SCORE,
        limit=limit,
    )
    return [doc_id for _text, _score, doc_id in matches]


def describe(document: Document) -> dict[str, Any]:
    current = document.current
    return {
        "id": document.id,
        "title": document.title,
        "origin": document.origin,
        "versions": len(document.versions),
        "filename": current.filename if current else None,
    }
