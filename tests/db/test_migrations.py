from sqlalchemy import inspect

from db.engine import Database
from db.migrate import current_revisions, downgrade, head_revisions, is_up_to_date, upgrade
from db.models import Base


async def test_upgrade_from_empty_creates_every_model_table(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db.engine)
        assert await is_up_to_date(db.engine)
        assert await current_revisions(db.engine) == head_revisions()
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
        # Running it again is a no-op, as at every startup.
        await upgrade(db.engine)
    finally:
        await db.dispose()


async def test_downgrade_to_base_then_up_again(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db.engine)
        await downgrade(db.engine, "base")
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not (set(Base.metadata.tables) & tables)
        await upgrade(db.engine)
        assert await is_up_to_date(db.engine)
    finally:
        await db.dispose()
