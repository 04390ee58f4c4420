"""Interactions that can no longer be answered within Discord's 3 s are dropped, so the
bot catches up after a burst instead of answering everything too late (bot/overload.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.emulator.interactions import APPLICATION_COMMAND
from bot.harness import BotHarness
from bot.overload import STALE_AFTER_S, QueueAge


def test_waiting_time_ignores_a_skewed_clock() -> None:
    ages = QueueAge()
    # The bot's clock is 10 s ahead of Discord's: every age looks 10 s too long.
    assert ages.waited(10.05, monotonic_s=0.0) == 0.0
    assert not ages.is_stale(10.3, monotonic_s=1.0)
    assert ages.is_stale(10.05 + STALE_AFTER_S + 0.5, monotonic_s=2.0)
    # Behind instead: negative ages are no problem either.
    behind = QueueAge()
    assert behind.waited(-4.0, monotonic_s=0.0) == 0.0
    assert behind.waited(-3.0, monotonic_s=1.0) == 1.0


def test_offset_follows_the_clock_after_the_window() -> None:
    ages = QueueAge(window_s=600, bucket_s=60)
    ages.waited(0.05, monotonic_s=0.0)
    # The host clock jumps 5 s ahead (resynchronised); right after, ages look long…
    assert ages.is_stale(5.05, monotonic_s=30.0)
    # …until the ten-minute window no longer holds the old offset.
    for minute in range(1, 12):
        ages.waited(5.05, monotonic_s=minute * 60.0)
    assert not ages.is_stale(5.1, monotonic_s=12 * 60.0)


async def test_an_interaction_too_old_to_answer_is_dropped_and_the_next_served(
    core_harness: BotHarness,
) -> None:
    h = core_harness
    assert (await h.slash("membre", "aide")).text  # a fresh one: answered
    emu = h.emu
    guild, _member, user = emu._user_and_guild(h.guild_id, h.person("membre"))
    channel = emu._default_channel(guild, user.id)
    data = emu._command_data(guild, channel, "aide", {}, None, None)
    stale = emu._new_interaction(APPLICATION_COMMAND, guild, channel, user, data, "fr")
    assert h.bot is not None
    h.bot.clock.advance(timedelta(seconds=4))  # it waited 4 s before the bot got to it
    await emu.dispatch("INTERACTION_CREATE", stale.payload)
    await asyncio.sleep(0.3)
    await emu.wait_idle()
    assert stale.callback_type is None  # nothing sent: Discord would refuse it anyway
    expired = h.bot.metrics.command_errors.labels(kind="expired")._value.get()
    assert expired == 1
    assert h.bot.errors_seen == 0
    assert (await h.slash("membre", "aide")).text  # the next one is served
