"""The real bot on the emulated demo network, with issue 5's capabilities loaded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator import state as emulator_state
from bot.harness import BotHarness
from db.models import Referent, Structure

ISSUE5_EXTENSIONS = [
    "cogs.core",
    "cogs.referents",
    "cogs.onboarding",
    "cogs.charter",
    "cogs.announcements",
    "cogs.audit",
]


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path, extensions=ISSUE5_EXTENSIONS, web=False, seed_capabilities=False
    ) as running:
        await startup_done(running)
        yield running


async def startup_done(harness: BotHarness) -> None:
    """Wait for the cogs' startup reconciliations, then for Discord to go quiet."""
    assert harness.bot is not None
    for cog in harness.bot.cogs.values():
        event = getattr(cog, "startup_done", None)
        if event is not None:
            await asyncio.wait_for(event.wait(), 10)
    await settle(harness)


async def settle(harness: BotHarness) -> None:
    """Let gateway listeners finish (their database work makes no REST call to wait on)."""
    await asyncio.sleep(0.05)
    await harness.listeners_done()
    await harness.emu.wait_idle(quiet=0.1)


def role_names(harness: BotHarness, person: str) -> set[str]:
    guild = harness.emu.guild(harness.guild_id)
    member = guild.members[harness.person(person)]
    return {guild.roles[role_id].name for role_id in member.roles if role_id in guild.roles}


def channel_texts(harness: BotHarness, channel: str) -> list[str]:
    from bot.emulator.interactions import message_text

    return [message_text(m) for m in harness.emu.messages(harness.channel(channel))]


async def structure_id(harness: BotHarness, display_name: str) -> int:
    assert harness.bot is not None
    async with harness.bot.db.session() as session:
        rows = await session.scalars(
            select(Structure).where(Structure.guild_id == harness.guild_id)
        )
        return next(s.id for s in rows if s.display_name == display_name)


async def active_referents(harness: BotHarness) -> set[tuple[int, int, str]]:
    assert harness.bot is not None
    async with harness.bot.db.session() as session:
        rows = await session.scalars(
            select(Referent).where(Referent.guild_id == harness.guild_id, Referent.active.is_(True))
        )
        return {(r.user_id, r.structure_id, r.rank) for r in rows}


async def take_bot_permission(harness: BotHarness, permission: int) -> None:
    """An admin removes a permission from the bot's role (state + GUILD_ROLE_UPDATE)."""
    guild = harness.emu.guild(harness.guild_id)
    role = guild.bot_role
    assert role is not None
    role.permissions &= ~permission
    await harness.emu.dispatch(
        "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_payload()}
    )
    await harness.emu.wait_idle()


MANAGE_ROLES = emulator_state.MANAGE_ROLES


def texts(result: Any) -> str:
    return result.text


async def move_role_above_bot(harness: BotHarness, name: str) -> None:
    """An admin drags a role above the bot's own role (state + GUILD_ROLE_UPDATE each)."""
    guild = harness.emu.guild(harness.guild_id)
    role = guild.role(name)
    assert guild.bot_role is not None
    del guild.roles[role.id]
    guild._insert_role(role, guild.bot_role.position + 1)
    for changed in guild.roles.values():
        await harness.emu.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": changed.to_payload()}
        )
    await harness.emu.wait_idle()
