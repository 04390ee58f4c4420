"""Who may do what: member, referent (the database decides), coordinator.

One module for every cog. Checks run before a command body, so a refused user changes
nothing; refusals are :class:`bot.errors.PermissionRefused` with a French message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from sqlalchemy import select

from bot.errors import CheckCrashed, PermissionRefused
from db.models import Referent

if TYPE_CHECKING:
    from bot.client import AiguillageBot


def _bot(interaction: discord.Interaction) -> AiguillageBot:
    return interaction.client  # type: ignore[return-value]


def _role_ids(member: discord.Member | discord.User) -> set[int]:
    return {role.id for role in getattr(member, "roles", [])}


async def is_coordinator(bot: AiguillageBot, member: discord.Member | discord.User) -> bool:
    if not isinstance(member, discord.Member):
        return False
    perms = member.guild_permissions
    if perms.administrator or perms.manage_guild:
        return True
    role_id = await bot.guild_config.get(member.guild.id, "role.coordinator")
    if role_id and int(role_id) in _role_ids(member):
        return True
    name = bot.settings.coordinator_role_name.casefold()
    return any(role.name.casefold() == name for role in member.roles)


async def referent_structure_ids(bot: AiguillageBot, guild_id: int, user_id: int) -> set[int]:
    """Structures this user represents (titular or deputy), from the database."""
    async with bot.db.session() as session:
        rows = await session.scalars(
            select(Referent.structure_id).where(
                Referent.guild_id == guild_id,
                Referent.user_id == user_id,
                Referent.active.is_(True),
            )
        )
        return set(rows)


async def is_referent(bot: AiguillageBot, member: discord.Member | discord.User) -> bool:
    guild = getattr(member, "guild", None)
    if guild is None:
        return False
    return bool(await referent_structure_ids(bot, guild.id, member.id))


async def is_member(bot: AiguillageBot, member: discord.Member | discord.User) -> bool:
    """An approved member of the network. Without a configured member role, every
    member of the (private) server counts."""
    if not isinstance(member, discord.Member):
        return False
    if await is_coordinator(bot, member):
        return True
    role_id = await bot.guild_config.get(member.guild.id, "role.member")
    if not role_id or member.guild.get_role(int(role_id)) is None:
        return True
    return int(role_id) in _role_ids(member) or await is_referent(bot, member)


async def can_manage_structure(
    bot: AiguillageBot, member: discord.Member | discord.User, structure_id: int
) -> bool:
    if await is_coordinator(bot, member):
        return True
    guild = getattr(member, "guild", None)
    if guild is None:
        return False
    return structure_id in await referent_structure_ids(bot, guild.id, member.id)


async def access_level(bot: AiguillageBot, member: discord.Member | discord.User) -> str:
    """ "coordinator", "referent", "member" or "guest" (not yet approved)."""
    if await is_coordinator(bot, member):
        return "coordinator"
    if await is_referent(bot, member):
        return "referent"
    if await is_member(bot, member):
        return "member"
    return "guest"


def _guild_only(interaction: discord.Interaction) -> None:
    if interaction.guild is None:
        raise PermissionRefused("core.refused.guild_only")


ACCESS_RANK = {"guest": 0, "member": 1, "referent": 2, "coordinator": 3}
ACCESS_ATTRIBUTE = "__aiguillage_access__"


def required_access(command: Any) -> str:
    """The access level a command (or its callback) was tagged with; "member" by default."""
    extras = getattr(command, "extras", None) or {}
    if "access" in extras:
        return str(extras["access"])
    callback = getattr(command, "callback", None)
    return getattr(callback, ACCESS_ATTRIBUTE, None) or getattr(command, ACCESS_ATTRIBUTE, "member")


def _check_with_tag(predicate: Any, level: str) -> Any:
    """app_commands.check + a tag /aide reads to list only what a person may use."""

    async def answered_predicate(interaction: discord.Interaction) -> bool:
        try:
            return await predicate(interaction)
        except app_commands.AppCommandError:
            raise
        except Exception as exc:
            raise CheckCrashed(exc) from exc  # so the error handler answers the user

    def decorator(func: Any) -> Any:
        func = app_commands.check(answered_predicate)(func)
        if isinstance(func, app_commands.Command):
            func.extras["access"] = level
        else:
            setattr(func, ACCESS_ATTRIBUTE, level)
        return func

    return decorator


def coordinator_only() -> Any:
    async def predicate(interaction: discord.Interaction) -> bool:
        _guild_only(interaction)
        if not await is_coordinator(_bot(interaction), interaction.user):
            raise PermissionRefused("core.refused.coordinator")
        return True

    return _check_with_tag(predicate, "coordinator")


def member_only() -> Any:
    async def predicate(interaction: discord.Interaction) -> bool:
        _guild_only(interaction)
        if not await is_member(_bot(interaction), interaction.user):
            raise PermissionRefused("core.refused.member")
        return True

    return _check_with_tag(predicate, "member")


def referent_or_coordinator() -> Any:
    async def predicate(interaction: discord.Interaction) -> bool:
        _guild_only(interaction)
        bot = _bot(interaction)
        if await is_coordinator(bot, interaction.user) or await is_referent(bot, interaction.user):
            return True
        raise PermissionRefused("core.refused.referent")

    return _check_with_tag(predicate, "referent")


def open_to_all() -> Any:
    """For commands anyone on the server may use (e.g. /aide, onboarding)."""

    def decorator(func: Any) -> Any:
        if isinstance(func, app_commands.Command):
            func.extras["access"] = "guest"
        else:
            setattr(func, ACCESS_ATTRIBUTE, "guest")
        return func

    return decorator
