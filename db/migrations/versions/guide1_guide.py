"""guide: publication state of the residents' guide per guild

Revision ID: guide1
Revises: 0001
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "guide1"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guide_publications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.BigInteger(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.BigInteger(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_publications")),
        sa.UniqueConstraint("guild_id", name=op.f("uq_guide_publications_guild_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_guide_publications_slug")),
    )
    with op.batch_alter_table("guide_publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guide_publications_guild_id"), ["guild_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("guide_publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guide_publications_guild_id"))
    op.drop_table("guide_publications")
