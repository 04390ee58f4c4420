"""Property-based tests over every slash command's options (walked from the synced tree).

Whatever a person sends within what Discord's client allows: the bot answers within
Discord's 3 seconds, never with an unexpected error, never with a missing message; every
refusal is ephemeral, in French, and leaves the database exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.harness import BotHarness
from tests.security.fuzz import Referee, call_strategy, edge_calls, leaves

PERSONS = ["coordinateur", "referent", "membre", "nouveau"]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(tmp_path / "data") as harness:
        # A voice channel and a category, so every channel option has something to pick.
        await harness.emu.create_channel(harness.guild_id, "Salle visio", type=2)
        await harness.emu.create_channel(harness.guild_id, "Archives", type=4)
        harness.referee = Referee(harness)  # type: ignore[attr-defined]
        try:
            yield harness
        finally:
            harness.referee.close()  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_every_command_survives_its_worst_cases(h: BotHarness) -> None:
    """Deterministic: each command three times, every string option at its maximum length
    of hostile text, integers at their extremes, hostile files; as a coordinator, so that
    the input reaches the deepest code."""
    referee: Referee = h.referee  # type: ignore[attr-defined]
    all_leaves = leaves(h)
    assert len(all_leaves) >= 40, [leaf.path for leaf in all_leaves]
    problems: list[str] = []
    for leaf in all_leaves:
        for options in edge_calls(h, leaf):
            problems += await referee.run("coordinateur", leaf, options)
    assert not problems, "\n".join(problems)
    assert referee.refusals >= 20, "hostile input was almost never refused: not hostile enough"


FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.data())
async def test_random_hostile_calls(h: BotHarness, data: st.DataObject) -> None:
    referee: Referee = h.referee  # type: ignore[attr-defined]
    leaf = data.draw(st.sampled_from(leaves(h)), label="command")
    person = data.draw(st.sampled_from(PERSONS), label="person")
    options = data.draw(call_strategy(h, leaf), label="options")
    problems = await referee.run(person, leaf, options)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("AIGUILLAGE_FUZZ_LONG"),
    reason="long random fuzz (600 calls, ~20 min) runs on demand: AIGUILLAGE_FUZZ_LONG=1 ./dev test -m slow",
)
@pytest.mark.timeout(1800)
@settings(FUZZ, max_examples=600, derandomize=False)
@given(data=st.data())
async def test_random_hostile_calls_long(h: BotHarness, data: st.DataObject) -> None:
    referee: Referee = h.referee  # type: ignore[attr-defined]
    leaf = data.draw(st.sampled_from(leaves(h)), label="command")
    person = data.draw(st.sampled_from(PERSONS), label="person")
    options = data.draw(call_strategy(h, leaf), label="options")
    problems = await referee.run(person, leaf, options)
    assert not problems, "\n".join(problems)
