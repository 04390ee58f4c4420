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

from bot.library.fields import tag_key
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

    async def has_match(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: Mode,
        filters: SearchFilters,
    ) -> bool: ...

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


# Ranking every match of a word found in most documents costs time in proportion to the
# library's size (bm25 / ts_rank per match). Beyond this many matches, only the most recent
# ones are ranked, plus the most recent ones whose title, tags or description match: the
# best answers are almost always among those, and a search stays fast at 50,000 documents.
RANK_WINDOW = 300


def fts5_expression(words: list[str], mode: Mode) -> str:
    """An FTS5 MATCH expression where every stemmed word is a quoted string: operators,
    column filters, NEAR, ``*`` and quotes typed by people are plain text here."""
    stems = [stem(w) for w in words]
    quoted = ['"' + s.replace('"', '""') + '"' for s in dict.fromkeys(stems) if s]
    return (" OR " if mode == "any" else " ").join(quoted)


class SqliteFtsIndex:
    """FTS5 tables of stemmed words, rowid = document id: ``document_fts`` (title, tags,
    description, body) finds and ranks; ``document_fts_head`` (title, tags, description)
    finds the documents whose title, tags or description hold every word, without the
    column filter that would make FTS5 read the positions of every body match."""

    # bm25 weights for title, tags, description, body.
    WEIGHTS = (10.0, 6.0, 3.0, 1.0)

    # CROSS JOIN keeps the FTS table as the outer loop: SQLite would otherwise walk every
    # document of the guild and run the full-text match once per row.
    _JOIN = "document_fts f CROSS JOIN documents d ON d.id = f.rowid"
    _HEAD_JOIN = "document_fts_head h CROSS JOIN documents d ON d.id = h.rowid"

    @staticmethod
    def _conditions(filters: SearchFilters, params: dict[str, object], rowid: str) -> str:
        """Conditions on the FTS row (``rowid``) and its joined ``documents d`` row.

        The tag's documents are read once from the index (guild, tag, document) and tested
        on the FTS row itself (unary +: a membership test, not one full-text lookup per
        listed id), before ``documents`` is read for the others."""
        clauses = []
        if filters.tag_key:
            clauses.append(
                f"+{rowid} IN (SELECT t.document_id FROM document_tags t "
                "WHERE t.guild_id = :guild_id AND t.tag_key = :tag_key)"
            )
            params["tag_key"] = filters.tag_key
        clauses += ["d.guild_id = :guild_id", "d.deleted_at IS NULL"]
        if filters.category:
            clauses.append("d.category = :category")
            params["category"] = filters.category
        if filters.structure_id is not None:
            clauses.append("d.structure_id = :structure_id")
            params["structure_id"] = filters.structure_id
        return " AND ".join(clauses)

    async def upsert(
        self, session: AsyncSession, guild_id: int, document_id: int, fields: IndexedFields
    ) -> None:
        await self.remove(session, document_id)
        values = {
            "id": document_id,
            "title": index_text(fields.title),
            "tags": index_text(" ".join(fields.tags)),
            "description": index_text(fields.description),
            "body": index_text(fields.body[:MAX_INDEXED_BODY_CHARS]),
        }
        await session.execute(
            text(
                "INSERT INTO document_fts (rowid, title, tags, description, body) "
                "VALUES (:id, :title, :tags, :description, :body)"
            ),
            values,
        )
        await session.execute(
            text(
                "INSERT INTO document_fts_head (rowid, title, tags, description) "
                "VALUES (:id, :title, :tags, :description)"
            ),
            values,
        )

    async def remove(self, session: AsyncSession, document_id: int) -> None:
        for table in ("document_fts", "document_fts_head"):
            await session.execute(
                text(f"DELETE FROM {table} WHERE rowid = :id"), {"id": document_id}
            )

    async def optimize(self, db: Database) -> None:
        """Merge the indexes' segments into one (after a bulk import: faster searches)."""
        async with db.transaction() as session:
            for table in ("document_fts", "document_fts_head"):
                await session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))

    async def has_match(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: Mode,
        filters: SearchFilters,
    ) -> bool:
        expression = fts5_expression(words, mode)
        if not expression:
            return False
        params: dict[str, object] = {"q": expression, "guild_id": guild_id}
        found = await session.scalar(
            text(
                f"SELECT 1 FROM {self._JOIN} WHERE document_fts MATCH :q "
                f"AND {self._conditions(filters, params, 'f.rowid')} LIMIT 1"
            ),
            params,
        )
        return found is not None

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
        """The newest matches and the newest head matches (see RANK_WINDOW), ranked by
        bm25 in one statement: FTS5 counts each word's documents once per statement."""
        expression = fts5_expression(words, mode)
        if not expression:
            return []
        params: dict[str, object] = {"q": expression, "guild_id": guild_id}
        where = f"document_fts MATCH :q AND {self._conditions(filters, params, 'f.rowid')}"
        window = RANK_WINDOW
        boundary = await session.scalar(
            text(
                f"SELECT f.rowid FROM {self._JOIN} WHERE {where} "
                f"ORDER BY f.rowid DESC LIMIT 1 OFFSET {window - 1}"
            ),
            params,
        )
        candidates = ""
        if boundary is not None:
            head = await session.scalars(
                text(
                    f"SELECT h.rowid FROM {self._HEAD_JOIN} WHERE document_fts_head MATCH :q "
                    f"AND {self._conditions(filters, params, 'h.rowid')} "
                    f"ORDER BY h.rowid DESC LIMIT {window}"
                ),
                params,
            )
            older = sorted(int(i) for i in head if int(i) < int(boundary))
            params["boundary"] = int(boundary)
            if older:
                # The range lets FTS5 skip older matches; the list (unary +: no full-text
                # lookup per listed id) keeps only the head matches among them.
                params["oldest"] = older[0]
                listed = ", ".join(str(i) for i in older)
                candidates = (
                    f" AND f.rowid >= :oldest AND (f.rowid >= :boundary OR +f.rowid IN ({listed}))"
                )
            else:
                candidates = " AND f.rowid >= :boundary"
        weights = ", ".join(str(w) for w in self.WEIGHTS)
        rows = await session.scalars(
            text(
                f"SELECT f.rowid FROM {self._JOIN} WHERE {where}{candidates} "
                f"ORDER BY bm25(document_fts, {weights}), f.rowid DESC "
                f"LIMIT {int(limit)} OFFSET {int(offset)}"
            ),
            params,
        )
        return [int(i) for i in rows]


def tsquery_text(words: list[str], mode: Mode) -> str:
    """A to_tsquery() argument built only from letters and digits and our own operators."""
    safe = [w for w in dict.fromkeys(words) if w and w.isalnum()]
    return (" | " if mode == "any" else " & ").join(safe)


class PostgresIndex:
    """Table ``document_fts``: weighted tsvector, GIN index, config ``aiguillage_fr``; the
    document's guild, tag keys and bin flag (``deleted``, kept by a trigger) beside them."""

    CONFIG = "aiguillage_fr"

    async def upsert(
        self, session: AsyncSession, guild_id: int, document_id: int, fields: IndexedFields
    ) -> None:
        # Accents are folded here as well as by `unaccent`, so search stays accent-insensitive
        # on a server where the extension could not be created.
        await session.execute(
            text(
                "INSERT INTO document_fts "
                "(document_id, guild_id, deleted, tag_keys, vector, title_vector) "
                "VALUES (:id, :g, "
                "(SELECT deleted_at IS NOT NULL FROM documents WHERE id = :id), "
                "CAST(:tag_keys AS TEXT[]), "
                f"setweight(to_tsvector('{self.CONFIG}', :title), 'A') || "
                f"setweight(to_tsvector('{self.CONFIG}', :tags), 'B') || "
                f"setweight(to_tsvector('{self.CONFIG}', :description), 'C') || "
                f"setweight(to_tsvector('{self.CONFIG}', :body), 'D'), "
                f"to_tsvector('{self.CONFIG}', :title || ' ' || :tags || ' ' || :description)) "
                "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector, "
                "title_vector = EXCLUDED.title_vector, guild_id = EXCLUDED.guild_id, "
                "deleted = EXCLUDED.deleted, tag_keys = EXCLUDED.tag_keys"
            ),
            {
                "id": document_id,
                "g": guild_id,
                # The same keys as document_tags (bot/library/fields.py): the tag filter.
                "tag_keys": sorted({key for key in map(tag_key, fields.tags) if key}),
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
        """After a bulk import: VACUUM (ANALYZE) the tables a search reads. Without
        statistics PostgreSQL picks plans that read every document's vector; without the
        vacuum, the first searches set hint bits on every new row and autovacuum soon
        rewrites the same pages while people search. (GIN indexes maintain themselves.)"""
        async with db.engine.connect() as connection:
            # VACUUM cannot run inside a transaction block.
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("document_fts", "documents", "document_tags"):
                await autocommit.execute(text(f"VACUUM (ANALYZE) {table}"))

    async def _custom_plans(self, session: AsyncSession) -> None:
        # How many documents a query matches decides the plan: the newest documents first
        # for a word found everywhere, the GIN index for a rare one. A prepared statement's
        # generic plan knows neither, so every search is planned with its own words.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def _tsquery(self) -> str:
        return f"to_tsquery('{self.CONFIG}', :q)"

    @staticmethod
    def _conditions(filters: SearchFilters, params: dict[str, object]) -> str:
        """Conditions on ``document_fts s`` alone (its guild, bin flag and tag keys follow
        the document): ``documents`` is read only for a category or structure filter.
        Written before the full-text condition: PostgreSQL tests conditions of equal cost
        in the order written, and the tag costs nothing to test where the vector must be
        read (and decompressed) from its TOAST table."""
        clauses = []
        if filters.tag_key:
            clauses.append("s.tag_keys @> ARRAY[CAST(:tag_key AS TEXT)]")
            params["tag_key"] = filters.tag_key
        clauses += ["s.guild_id = :guild_id", "NOT s.deleted"]
        own = []
        if filters.category:
            own.append("d.category = :category")
            params["category"] = filters.category
        if filters.structure_id is not None:
            own.append("d.structure_id = :structure_id")
            params["structure_id"] = filters.structure_id
        if own:
            clauses.append(
                "EXISTS (SELECT 1 FROM documents d WHERE d.id = s.document_id AND "
                + " AND ".join(own)
                + ")"
            )
        return " AND ".join(clauses)

    async def has_match(
        self,
        session: AsyncSession,
        guild_id: int,
        words: list[str],
        mode: Mode,
        filters: SearchFilters,
    ) -> bool:
        query = tsquery_text(words, mode)
        if not query:
            return False
        params: dict[str, object] = {"q": query, "guild_id": guild_id}
        await self._custom_plans(session)
        found = await session.scalar(
            text(
                f"SELECT 1 FROM document_fts s WHERE {self._conditions(filters, params)} "
                f"AND s.vector @@ {self._tsquery()} LIMIT 1"
            ),
            params,
        )
        return found is not None

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
        """One statement: the candidates (the newest matches, and the newest matches whose
        title, tags or description hold the words, see RANK_WINDOW) are ranked together,
        so only they are read and ranked, whatever the size of the library."""
        query = tsquery_text(words, mode)
        if not query:
            return []
        params: dict[str, object] = {"q": query, "guild_id": guild_id}
        conditions = self._conditions(filters, params)
        tsquery = self._tsquery()
        order = [f"ts_rank(s.vector, {tsquery}, 1) DESC"]
        if mode == "any":
            # ts_rank lets one word in a title beat several in the body; with "any word",
            # documents holding more of the words come first, as bm25 does on SQLite.
            covered = []
            for n, term in enumerate(tsquery_text(words, "all").split(" & ")[:8]):
                params[f"t{n}"] = term
                covered.append(f"(s.vector @@ to_tsquery('{self.CONFIG}', :t{n}))::int")
            order.insert(0, f"({' + '.join(covered)}) DESC")
        # ts_rank reads each (large, compressed) body vector: a smaller window than SQLite's.
        window = max(2, RANK_WINDOW // 2)

        def newest(vector: str) -> str:
            return (
                f"SELECT s.document_id FROM document_fts s WHERE {conditions} "
                f"AND s.{vector} @@ {tsquery} ORDER BY s.document_id DESC LIMIT {window}"
            )

        await self._custom_plans(session)
        rows = await session.scalars(
            text(
                f"WITH recent AS MATERIALIZED ({newest('vector')}), "
                # A small vector of its own: a weight-restricted query on `vector` would
                # make PostgreSQL re-read every large body vector to check weights.
                f"head AS MATERIALIZED ({newest('title_vector')}) "
                "SELECT s.document_id FROM document_fts s WHERE s.document_id IN "
                "(SELECT document_id FROM recent UNION SELECT document_id FROM head) "
                f"ORDER BY {', '.join(order)}, s.document_id DESC "
                f"LIMIT {int(limit)} OFFSET {int(offset)}"
            ),
            params,
        )
        return [int(i) for i in rows]


def index_for(dialect: str) -> SearchIndex:
    if dialect == "postgresql":
        return PostgresIndex()
    if dialect == "sqlite":
        return SqliteFtsIndex()
    raise ValueError(f"no full-text index for {dialect}")
