"""Giving and taking Discord roles without crashing on permissions.

Role hierarchy and a missing "Manage Roles" permission are the two usual reasons Discord
refuses (error 50013); both become a precise message naming the role and what to move.
Shared by every capability that manages roles (referents, onboarding, charter).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)
MISSING_PERMISSIONS = 50013


class RoleChangeRefused(Exception):
    """Discord will not (or did not) let the bot change this role."""

    def __init__(self, problem: str, role_name: str, bot_role_name: str) -> None:
        super().__init__(problem)
        self.problem = problem  # "manage_roles" or "hierarchy"
        self.role_name = role_name
        self.bot_role_name = bot_role_name

    def message_kwargs(self) -> dict[str, Any]:
        return {"role": self.role_name, "bot_role": self.bot_role_name}


def _bot_role_name(guild: discord.Guild) -> str:
    me = guild.me
    top = getattr(me, "top_role", None) if me is not None else None
    return top.name if top is not None and not top.is_default() else "Aiguillage"


def role_problem(guild: discord.Guild, role: discord.Role) -> RoleChangeRefused | None:
    """What would stop the bot from giving ``role``, checked before changing anything."""
    me = guild.me
    if me is None:
        return None
    if not me.guild_permissions.manage_roles:
        return RoleChangeRefused("manage_roles", role.name, _bot_role_name(guild))
    if role >= me.top_role and guild.owner_id != me.id:
        return RoleChangeRefused("hierarchy", role.name, _bot_role_name(guild))
    return None


def _refusal_from(
    exc: discord.Forbidden, guild: discord.Guild, role: discord.Role
) -> RoleChangeRefused:
    problem = role_problem(guild, role)
    if problem is not None:
        return problem
    # Discord said no though our cache thinks otherwise: hierarchy is the usual cause.
    return RoleChangeRefused("hierarchy", role.name, _bot_role_name(guild))


async def change_role(
    member: discord.Member, role: discord.Role, *, add: bool, reason: str
) -> bool:
    """Add or remove ``role``; False when nothing needed doing. Raises RoleChangeRefused."""
    has = any(r.id == role.id for r in member.roles)
    if has == add:
        return False
    try:
        if add:
            await member.add_roles(role, reason=reason)
        else:
            await member.remove_roles(role, reason=reason)
    except discord.Forbidden as exc:
        log.warning("role change refused role=%s member=%s code=%s", role.id, member.id, exc.code)
        raise _refusal_from(exc, member.guild, role) from exc
    except discord.NotFound:
        # The member left (or the role went) meanwhile: the leave/delete events handle it.
        log.info("role change skipped, member %s or role %s is gone", member.id, role.id)
        return False
    return True


async def create_role(guild: discord.Guild, name: str, *, reason: str) -> discord.Role:
    """Create a mentionable role; raises RoleChangeRefused without "Manage Roles"."""
    try:
        return await guild.create_role(name=name, mentionable=True, reason=reason)
    except discord.Forbidden as exc:
        raise RoleChangeRefused("manage_roles", name, _bot_role_name(guild)) from exc
