"""library: tags, share links, saved searches, full-text index (FTS5 / tsvector)

Revision ID: 0006_library
Revises: 0001
Create Date: 2026-11-23 14:45:00

The full-text index is engine-specific, so it is plain SQL here and not in the ORM metadata:

* SQLite: FTS5 table ``document_fts`` (rowid = documents.id) holding the STEMMED words of
  title, tags, description and body (the library stems French itself, see
  cogs/library/textnorm.py; FTS5's porter is English-only). ``unicode61 remove_diacritics 2``
  folds whatever accents remain. A trigger drops the row when a document row is deleted.
* PostgreSQL: table ``document_fts`` with a weighted ``tsvector`` (title A, tags B,
  description C, body D) and a small ``title_vector`` (title, tags, description), each with
  a GIN index, built with the text search configuration
  ``aiguillage_fr``: a copy of ``french`` that goes through ``unaccent`` first when the
  extension can be created, else plain ``french`` (the indexer folds accents itself too, so
  search stays accent-insensitive either way).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_library"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _create_postgres_index() -> None:
    bind = op.get_bind()
    has_unaccent = True
    # CREATE EXTENSION needs a privilege the database owner may lack: try in a savepoint.
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        savepoint.commit()
    except sa.exc.DBAPIError:
        savepoint.rollback()
        has_unaccent = False
    op.execute("CREATE TEXT SEARCH CONFIGURATION aiguillage_fr (COPY = pg_catalog.french)")
    if has_unaccent:
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION aiguillage_fr "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
        )
    op.execute(
        """
        CREATE TABLE document_fts (
            document_id BIGINT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            guild_id BIGINT NOT NULL,
            vector TSVECTOR NOT NULL,
            title_vector TSVECTOR NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_document_fts_vector ON document_fts USING GIN (vector)")
    op.execute("CREATE INDEX ix_document_fts_title_vector ON document_fts USING GIN (title_vector)")
    op.execute("CREATE INDEX ix_document_fts_guild ON document_fts (guild_id)")


def _create_sqlite_index() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE document_fts USING fts5("
        "title, tags, description, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER document_fts_after_delete AFTER DELETE ON documents "
        "BEGIN DELETE FROM document_fts WHERE rowid = old.id; END"
    )


def upgrade() -> None:
    op.create_table(
        "document_tags",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.Column("tag_key", sa.String(length=60), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_tags_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_tags")),
        sa.UniqueConstraint(
            "document_id", "tag_key", name=op.f("uq_document_tags_document_id_tag_key")
        ),
    )
    with op.batch_alter_table("document_tags", schema=None) as batch_op:
        batch_op.create_index("ix_document_tags_guild_key", ["guild_id", "tag_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_tags_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "document_share_links",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_share_links_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_versions.id"],
            name=op.f("fk_document_share_links_version_id_document_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_document_share_links")),
    )
    with op.batch_alter_table("document_share_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_share_links_guild_id"), ["guild_id"], unique=False
        )

    op.create_table(
        "library_searches",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_searches")),
    )
    with op.batch_alter_table("library_searches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_library_searches_guild_id"), ["guild_id"], unique=False
        )

    # Listing versions of a document and the newest documents of a guild are hot paths.
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_url", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            "ix_document_versions_document_number", ["document_id", "number"], unique=True
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_guild_updated", ["guild_id", "updated_at"])

    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_index()
    else:
        _create_sqlite_index()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS document_fts")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS aiguillage_fr")
    else:
        op.execute("DROP TRIGGER IF EXISTS document_fts_after_delete")
        op.execute("DROP TABLE IF EXISTS document_fts")

    with op.batch_alter_table("library_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_searches_guild_id"))
    op.drop_table("library_searches")
    with op.batch_alter_table("document_share_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_share_links_guild_id"))
    op.drop_table("document_share_links")
    with op.batch_alter_table("document_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_tags_guild_id"))
        batch_op.drop_index("ix_document_tags_guild_key")
    op.drop_table("document_tags")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_guild_updated")
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_document_versions_document_number")
        batch_op.drop_column("link_url")
