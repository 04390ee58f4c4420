"""library search at scale: FTS5 head table (SQLite), tag index ordered by document

Revision ID: 0006b_library_search
Revises: 0006_library
Create Date: 2026-11-23 18:50:00

* SQLite: FTS5 table ``document_fts_head`` (rowid = documents.id) holding the stemmed title,
  tags and description, filled from ``document_fts`` (which already holds them stemmed).
  Finding "every word in the title, tags or description" there is a plain match; on
  ``document_fts`` it needed a column filter, which makes FTS5 read the positions of every
  document matching the words anywhere. The delete trigger now clears both tables.
* PostgreSQL: ``document_fts.deleted`` (whether the document is in the bin), kept by a
  trigger on ``documents.deleted_at``, and ``document_fts.tag_keys`` (the document's tag
  keys, GIN-indexed): the search finds its candidates in ``document_fts`` alone, without
  joining ``documents`` or ``document_tags`` (whose merge joins walked thousands of rows,
  reading each one's large vector), and a tag filter is one more index condition.
* Both engines: the index on ``document_tags`` (guild_id, tag_key) gains ``document_id``, so
  "the newest documents with this tag" is read in order from the index (the tag filter of
  a search) instead of sorting every document of the tag.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006b_library_search"
down_revision: str | Sequence[str] | None = "0006_library"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_document_tags_guild_key")
        batch_op.create_index(
            "ix_document_tags_guild_key_document", ["guild_id", "tag_key", "document_id"]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE document_fts ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false")
        op.execute(
            "UPDATE document_fts s SET deleted = true FROM documents d "
            "WHERE d.id = s.document_id AND d.deleted_at IS NOT NULL"
        )
        op.execute("ALTER TABLE document_fts ADD COLUMN tag_keys TEXT[] NOT NULL DEFAULT '{}'")
        op.execute(
            "UPDATE document_fts s SET tag_keys = t.keys FROM (SELECT document_id, "
            "array_agg(tag_key ORDER BY tag_key) AS keys FROM document_tags GROUP BY document_id) t "
            "WHERE t.document_id = s.document_id"
        )
        op.execute("CREATE INDEX ix_document_fts_tag_keys ON document_fts USING GIN (tag_keys)")
        op.execute(
            """
            CREATE FUNCTION document_fts_follow_deleted() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE document_fts SET deleted = NEW.deleted_at IS NOT NULL
                WHERE document_id = NEW.id;
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER document_fts_follow_deleted AFTER UPDATE OF deleted_at ON documents "
            "FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at) "
            "EXECUTE FUNCTION document_fts_follow_deleted()"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE document_fts_head USING fts5("
            "title, tags, description, tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO document_fts_head (rowid, title, tags, description) "
            "SELECT rowid, title, tags, description FROM document_fts"
        )
        op.execute("DROP TRIGGER IF EXISTS document_fts_after_delete")
        op.execute(
            "CREATE TRIGGER document_fts_after_delete AFTER DELETE ON documents "
            "BEGIN DELETE FROM document_fts WHERE rowid = old.id; "
            "DELETE FROM document_fts_head WHERE rowid = old.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS document_fts_follow_deleted ON documents")
        op.execute("DROP FUNCTION IF EXISTS document_fts_follow_deleted()")
        op.execute("DROP INDEX IF EXISTS ix_document_fts_tag_keys")
        op.execute("ALTER TABLE document_fts DROP COLUMN IF EXISTS tag_keys")
        op.execute("ALTER TABLE document_fts DROP COLUMN IF EXISTS deleted")
    else:
        op.execute("DROP TRIGGER IF EXISTS document_fts_after_delete")
        op.execute(
            "CREATE TRIGGER document_fts_after_delete AFTER DELETE ON documents "
            "BEGIN DELETE FROM document_fts WHERE rowid = old.id; END"
        )
        op.execute("DROP TABLE IF EXISTS document_fts_head")
    with op.batch_alter_table("document_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_document_tags_guild_key_document")
        batch_op.create_index("ix_document_tags_guild_key", ["guild_id", "tag_key"])
