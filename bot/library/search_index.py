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
from db.engine import Database

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

    async def optimize(self, db: Database) -> None: ...

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


# Ranking every match of a word found in most documents costs time in proportion to the
# library's size (bm25 / ts_rank per match). Beyond this many matches, only the most recent
# ones are ranked, plus the most recent ones whose title, tags or description match: the
# best answers are almost always among those, and a search stays fast at 50,000 documents.
RANK_WINDOW = 300


@dataclass(frozen=True)
class _RankedQuery:
    """The engine-specific SQL pieces the bounded ranking needs."""

    from_sql: str  # FROM ... (with the match source and the documents join)
    match_sql: str  # the full-text condition
    title_from_sql: str  # FROM ... for the title/tags/description condition
    title_match_sql: str
    id_sql: str  # the document id column of the index table
    id_filter_sql: str  # the same, as written in an IN (...) filter
    order: list[tuple[str, int]]  # (SQL expression, +1 ascending / -1 descending)
    window: int  # how many recent matches are ranked


async def _bounded_ranking(
    session: AsyncSession,
    query: _RankedQuery,
    filter_sql: str,
    params: dict[str, object],
    limit: int,
    offset: int,
) -> list[int]:
    where = f"{query.match_sql} AND d.guild_id = :guild_id AND {filter_sql}"
    boundary = await session.scalar(
        text(
            f"SELECT {query.id_sql} FROM {query.from_sql} WHERE {where} "
            f"ORDER BY {query.id_sql} DESC LIMIT 1 OFFSET {query.window - 1}"
        ),
        params,
    )
    columns = ", ".join(f"{expr} AS k{n}" for n, (expr, _) in enumerate(query.order))
    order_sql = ", ".join(
        f"k{n} {'ASC' if direction > 0 else 'DESC'}" for n, (_, direction) in enumerate(query.order)
    )
    order_sql += f", {query.id_sql} DESC"

    async def ranked(extra: str, count: int, skip: int) -> list[tuple]:  # type: ignore[type-arg]
        rows = await session.execute(
            text(
                f"SELECT d.id, {columns} FROM {query.from_sql} WHERE {where}{extra} "
                f"ORDER BY {order_sql} LIMIT {int(count)} OFFSET {int(skip)}"
            ),
            params,
        )
        return [tuple(row) for row in rows]

    if boundary is None:
        return [row[0] for row in await ranked("", limit, offset)]
    wanted = offset + limit
    params["boundary"] = boundary
    candidates = await ranked(f" AND {query.id_sql} >= :boundary", wanted, 0)
    title_ids = await session.scalars(
        text(
            f"SELECT {query.id_sql} FROM {query.title_from_sql} WHERE {query.title_match_sql} "
            f"AND d.guild_id = :guild_id AND {filter_sql} "
            f"ORDER BY {query.id_sql} DESC LIMIT {query.window}"
        ),
        params,
    )
    older = [int(i) for i in title_ids if int(i) < int(boundary)]
    if older:
        listed = ", ".join(str(i) for i in older)
        # The range lets the engine skip older matches; the list does the rest.
        params["oldest"] = min(older)
        candidates += await ranked(
            f" AND {query.id_sql} >= :oldest AND {query.id_filter_sql} IN ({listed})", wanted, 0
        )

    def key(row: tuple) -> tuple:  # type: ignore[type-arg]
        return (*(direction * row[n + 1] for n, (_, direction) in enumerate(query.order)), -row[0])

    ordered = sorted(dict((row[0], row) for row in candidates).values(), key=key)
    return [row[0] for row in ordered[offset:wanted]]


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

    async def optimize(self, db: Database) -> None:
        """Merge the index's segments into one (after a bulk import: faster searches)."""
        async with db.transaction() as session:
            await session.execute(
                text("INSERT INTO document_fts(document_fts) VALUES ('optimize')")
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
            "tq": "{title tags description} : (" + expression + ")",
            "guild_id": guild_id,
        }
        # CROSS JOIN keeps the FTS table as the outer loop: SQLite would otherwise walk every
        # document of the guild and run the full-text match once per row.
        join = "document_fts f CROSS JOIN documents d ON d.id = f.rowid"
        weights = ", ".join(str(w) for w in self.WEIGHTS)
        query = _RankedQuery(
            from_sql=join,
            match_sql="document_fts MATCH :q",
            title_from_sql=join,
            title_match_sql="document_fts MATCH :tq",
            id_sql="f.rowid",
            # Unary + : FTS5 would otherwise run one full-text lookup per listed id.
            id_filter_sql="+f.rowid",
            order=[(f"bm25(document_fts, {weights})", 1)],
            window=RANK_WINDOW,
        )
        return await _bounded_ranking(
            session, query, _filter_sql(filters, params), params, limit, offset
        )


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
                "INSERT INTO document_fts (document_id, guild_id, vector, title_vector) "
                "VALUES (:id, :g, "
                f"setweight(to_tsvector('{self.CONFIG}', :title), 'A') || "
                f"setweight(to_tsvector('{self.CONFIG}', :tags), 'B') || "
                f"setweight(to_tsvector('{self.CONFIG}', :description), 'C') || "
                f"setweight(to_tsvector('{self.CONFIG}', :body), 'D'), "
                f"to_tsvector('{self.CONFIG}', :title || ' ' || :tags || ' ' || :description)) "
                "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector, "
                "title_vector = EXCLUDED.title_vector, guild_id = EXCLUDED.guild_id"
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

    async def optimize(self, db: Database) -> None:
        """Refresh the planner's statistics (GIN indexes maintain themselves)."""
        async with db.transaction() as session:
            await session.execute(text("ANALYZE document_fts"))

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
        }
        order = [("ts_rank(s.vector, q, 1)", -1)]
        if mode == "any":
            # ts_rank lets one word in a title beat several in the body; with "any word",
            # documents holding more of the words come first, as bm25 does on SQLite.
            covered = []
            for n, term in enumerate(tsquery_text(words, "all").split(" & ")[:8]):
                params[f"t{n}"] = term
                covered.append(f"(s.vector @@ to_tsquery('{self.CONFIG}', :t{n}))::int")
            order.insert(0, (f"({' + '.join(covered)})", -1))
        ranked = _RankedQuery(
            from_sql=(
                f"document_fts s CROSS JOIN to_tsquery('{self.CONFIG}', :q) AS q "
                "JOIN documents d ON d.id = s.document_id"
            ),
            match_sql="s.vector @@ q AND s.guild_id = :guild_id",
            # A small vector of its own: a weight-restricted query on `vector` would make
            # PostgreSQL re-read every large body vector to check weights.
            title_match_sql="s.title_vector @@ q AND s.guild_id = :guild_id",
            title_from_sql=(
                f"document_fts s CROSS JOIN to_tsquery('{self.CONFIG}', :q) AS q "
                "JOIN documents d ON d.id = s.document_id"
            ),
            id_sql="s.document_id",
            id_filter_sql="s.document_id",
            order=order,
            # ts_rank reads each (large, compressed) body vector: a smaller window.
            window=max(2, RANK_WINDOW // 2),
        )
        return await _bounded_ranking(
            session, ranked, _filter_sql(filters, params), params, limit, offset
        )


def index_for(dialect: str) -> SearchIndex:
    if dialect == "postgresql":
        return PostgresIndex()
    if dialect == "sqlite":
        return SqliteFtsIndex()
    raise ValueError(f"no full-text index for {dialect}")
