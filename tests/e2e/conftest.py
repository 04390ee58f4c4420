"""End-to-end fixtures: the real bot (real discord.py client) against the emulated Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.harness import BotHarness


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    """The demo network with every capability loaded, on SQLite."""
    async with BotHarness(tmp_path / "data") as h:
        yield h


@pytest.fixture
async def core_harness(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    """Only the core capability: fast, and independent of the others."""
    async with BotHarness(
        tmp_path / "data", extensions=["cogs.core"], seed_capabilities=False
    ) as h:
        yield h
