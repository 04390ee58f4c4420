"""Alembic migrations, applied programmatically (at startup and by `aiguillage db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a URL (encoded password) must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade(connection, target: str) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config(str(connection.engine.url))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


def _downgrade(connection, target: str) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config(str(connection.engine.url))
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, target)


async def upgrade(engine: AsyncEngine, target: str = "heads") -> None:
    """Bring the schema to ``target``. Capabilities add their own branch off the base
    revision, so the normal target is every head."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, target)


async def downgrade(engine: AsyncEngine, target: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, target)


def _current(connection) -> set[str]:  # type: ignore[no-untyped-def]
    return set(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return set(script.get_heads())


async def is_up_to_date(engine: AsyncEngine) -> bool:
    return await current_revisions(engine) == head_revisions()
