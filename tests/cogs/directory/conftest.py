"""Fixtures of the directory tests: a realistic Mérignac-like directory (27 places)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.directory.standard import import_file
from db.engine import Database

FIXTURES = Path(__file__).parent / "fixtures"
MERIGNAC = FIXTURES / "merignac.json"
CHARENTE = FIXTURES / "charente-lieux-mediation-numerique-2023-07.json"
GUILD = 4242
# A Tuesday morning in term time, no public holiday.
TUESDAY_10AM = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def directory(database: Database) -> AsyncIterator[Database]:
    """The migrated database (both engines) with the Mérignac directory in guild GUILD."""
    async with database.transaction() as session:
        await import_file(session, GUILD, MERIGNAC, now=TUESDAY_10AM)
    yield database
