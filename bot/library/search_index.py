"""The full-text index behind the library, one implementation per engine, one small interface.

Both take the same input (folded query words, stop words removed) and return document ids
ranked best first, title and tags weighing more than description, description more than body.
User input never reaches the engine's query language: words are reduced to letters and
digits before they are quoted (FTS5) or joined with operators we write ourselves (tsquery).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.library.textnorm import fold, index_text, stem, tokens

Mode = Literal["all", "any"]

# Index at most this much body text per document: enough for long reports, and it keeps a
# PostgreSQL tsvector well under its 1 MB limit.
MAX_INDEXED_BODY_CHARS = 300_000


@dataclass(frozen=True)
class IndexedFields:
    title: str
    tags: list[str]
    description: str
    body: str


@dataclass(frozen=True)
class SearchFilters:
    tag_key: str | None = None
    category: str | None = None
    structure_id: int | None = None


class SearchIndex(Protocol):
    async def upsert(
        self, session: AsyncSession, guild_id: int, document_id: int, fields: IndexedFields
    ) -> None: ...

    async def remove(self, session: AsyncSession, document_id: int) -> None: ...

    async def match(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: Mode,
        filters: SearchFilters,
        limit: int,
        offset: int = 0,
    ) -> list[int]: ...


def _filter_sql(filters: SearchFilters, params: dict[str, object]) -> str:
    clauses = ["d.deleted_at IS NULL"]
    if filters.category:
        clauses.append("d.category = :category")
        params["category"] = filters.category
    if filters.structure_id is not None:
        clauses.append("d.structure_id = :structure_id")
        params["structure_id"] = filters.structure_id
    if filters.tag_key:
        clauses.append(
            "EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id "
            "AND t.tag_key = :tag_key)"
        )
        params["tag_key"] = filters.tag_key
    return " AND ".join(clauses)


def fts5_expression(words: list[str], mode: Mode) -> str:
    """An FTS5 MATCH expression where every stemmed word is a quoted string: operators,
    column filters, NEAR, ``*`` and quotes typed by people are plain text here."""
    stems = [stem(w) for w in words]
    quoted = ['"' + s.replace('"', '""') + '"' for s in dict.fromkeys(stems) if s]
    return (" OR " if mode == "any" else " ").join(quoted)


class SqliteFtsIndex:
    """FTS5 table ``document_fts`` (rowid = document id) of stemmed words."""

    # bm25 weights for title, tags, description, body.
    WEIGHTS = (10.0, 6.0, 3.0, 1.0)

    async def upsert(
        self, session: AsyncSession, guild_id: int, document_id: int, fields: IndexedFields
    ) -> None:
        await self.remove(session, document_id)
        await session.execute(
            text(
                "INSERT INTO document_fts (rowid, title, tags, description, body) "
                "VALUES (:id, :title, :tags, :description, :body)"
            ),
            {
                "id": document_id,
                "title": index_text(fields.title),
                "tags": index_text(" ".join(fields.tags)),
                "description": index_text(fields.description),
                "body": index_text(fields.body[:MAX_INDEXED_BODY_CHARS]),
            },
        )

    async def remove(self, session: AsyncSession, document_id: int) -> None:
        await session.execute(
            text("DELETE FROM document_fts WHERE rowid = :id"), {"id": document_id}
        )

    async def match(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: Mode,
        filters: SearchFilters,
        limit: int,
        offset: int = 0,
    ) -> list[int]:
        expression = fts5_expression(words, mode)
        if not expression:
            return []
        params: dict[str, object] = {
            "q": expression,
            "guild_id": guild_id,
            "limit": limit,
            "offset": offset,
        }
        where = _filter_sql(filters, params)
        weights = ", ".join(str(w) for w in self.WEIGHTS)
        rows = await session.execute(
            text(
                "SELECT d.id FROM document_fts f JOIN documents d ON d.id = f.rowid "
                f"WHERE document_fts MATCH :q AND d.guild_id = :guild_id AND {where} "
                f"ORDER BY bm25(document_fts, {weights}), d.id DESC "
                "LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        return [row[0] for row in rows]


def tsquery_text(words: list[str], mode: Mode) -> str:
    """A to_tsquery() argument built only from letters and digits and our own operators."""
    safe = [w for w in dict.fromkeys(words) if w and w.isalnum()]
    return (" | " if mode == "any" else " & ").join(safe)


class PostgresIndex:
    """Table ``document_fts``: weighted tsvector, GIN index, config ``aiguillage_fr``."""

    CONFIG = "aiguillage_fr"

    async def upsert(
        self, session: AsyncSession, guild_id: int, document_id: int, fields: IndexedFields
    ) -> None:
        # Accents are folded here as well as by `unaccent`, so search stays accent-insensitive
        # on a server where the extension could not be created.
        await session.execute(
            text(
                "INSERT INTO document_fts (document_id, guild_id, vector) VALUES (:id, :g, "
                f"setweight(to_tsvector('{self.CONFIG}', :title), 'A') || "
                f"setweight(to_tsvector('{self.CONFIG}', :tags), 'B') || "
                f"setweight(to_tsvector('{self.CONFIG}', :description), 'C') || "
                f"setweight(to_tsvector('{self.CONFIG}', :body), 'D')) "
                "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector, "
                "guild_id = EXCLUDED.guild_id"
            ),
            {
                "id": document_id,
                "g": guild_id,
                "title": fold(fields.title),
                "tags": fold(" ".join(fields.tags)),
                "description": fold(fields.description),
                "body": " ".join(tokens(fields.body[:MAX_INDEXED_BODY_CHARS])),
            },
        )

    async def remove(self, session: AsyncSession, document_id: int) -> None:
        await session.execute(
            text("DELETE FROM document_fts WHERE document_id = :id"), {"id": document_id}
        )

    async def match(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: Mode,
        filters: SearchFilters,
        limit: int,
        offset: int = 0,
    ) -> list[int]:
        query = tsquery_text(words, mode)
        if not query:
            return []
        params: dict[str, object] = {
            "q": query,
            "guild_id": guild_id,
            "limit": limit,
            "offset": offset,
        }
        where = _filter_sql(filters, params)
        order = "ts_rank(s.vector, q, 1) DESC, d.id DESC"
        if mode == "any":
            # ts_rank lets one word in a title beat several in the body; with "any word",
            # documents holding more of the words come first, as bm25 does on SQLite.
            terms = tsquery_text(words, "all").split(" & ")
            covered = []
            for n, term in enumerate(terms[:8]):
                params[f"t{n}"] = term
                covered.append(f"(s.vector @@ to_tsquery('{self.CONFIG}', :t{n}))::int")
            order = f"({' + '.join(covered)}) DESC, {order}"
        rows = await session.execute(
            text(
                f"SELECT d.id FROM document_fts s "
                f"CROSS JOIN to_tsquery('{self.CONFIG}', :q) AS q "
                "JOIN documents d ON d.id = s.document_id "
                f"WHERE s.vector @@ q AND s.guild_id = :guild_id AND {where} "
                f"ORDER BY {order} "
                "LIMIT :limit OFFSET :offset"
            ),
            params,
        )
        return [row[0] for row in rows]


def index_for(dialect: str) -> SearchIndex:
    if dialect == "postgresql":
        return PostgresIndex()
    if dialect == "sqlite":
        return SqliteFtsIndex()
    raise ValueError(f"no full-text index for {dialect}")
