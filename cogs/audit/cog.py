"""/audit (coordinators): the audit log with filters, paginated, exportable as CSV."""

from __future__ import annotations

import io
import math

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AiguillageBot
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import coordinator_only
from cogs.audit.errors import AuditError
from cogs.audit.queries import (
    PAGE_SIZE,
    AuditFilter,
    distinct_actions,
    export_csv,
    parse_since,
    search,
)
from cogs.audit.render import audit_embed
from cogs.audit.views import AuditPages
from db.network import active_structures, rank_structures

NONE = discord.AllowedMentions.none()


class AuditCog(commands.Cog):
    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot

    async def action_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.session() as session:
            actions = await distinct_actions(session, interaction.guild_id, current.strip())
        return [app_commands.Choice(name=a, value=a) for a in actions]

    async def structure_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.session() as session:
            structures = await active_structures(session, interaction.guild_id)
        return [
            app_commands.Choice(name=s.display_name[:100], value=s.id)
            for s in rank_structures(structures, current)
        ]

    @app_commands.command(name="audit", description="Journal des actions sensibles (coordinateurs)")
    @app_commands.describe(
        action="Type d'action (ex. referent.designate, ou referent. pour toutes)",
        membre="Qui a fait l'action",
        structure="Structure concernée",
        depuis="Depuis : 7j, 24h, 2sem ou une date JJ/MM/AAAA",
        texte="Texte cherché dans la cible",
        export="Joindre le résultat en CSV",
    )
    @app_commands.autocomplete(action=action_autocomplete, structure=structure_autocomplete)
    @app_commands.guild_only()
    @coordinator_only()
    async def audit(
        self,
        interaction: discord.Interaction,
        action: str | None = None,
        membre: discord.Member | None = None,
        structure: int | None = None,
        depuis: str | None = None,
        texte: str | None = None,
        export: bool = False,
    ) -> None:
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        locale = locale_of(interaction)
        try:
            since = parse_since(depuis, self.bot.clock.now())
        except AuditError as exc:
            raise UserError(exc.key, **exc.kwargs) from exc
        audit_filter = AuditFilter(
            action=action,
            actor_id=membre.id if membre else None,
            structure_id=structure,
            since=since,
            text=texte,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.session() as session:
            names = {s.id: s.display_name for s in await active_structures(session, guild_id)}

        async def render_page(page: int) -> tuple[discord.Embed, int]:
            async with self.bot.db.session() as session:
                rows, total = await search(session, guild_id, audit_filter, page=page)
            pages = max(math.ceil(total / PAGE_SIZE), 1)
            embed = audit_embed(
                rows, total=total, page=page, pages=pages, structure_names=names, locale=locale
            )
            return embed, pages

        embed, pages = await render_page(0)
        files = []
        if export:
            async with self.bot.db.session() as session:
                text, _ = await export_csv(session, guild_id, audit_filter)
            files.append(discord.File(io.BytesIO(("\ufeff" + text).encode()), filename="audit.csv"))
        view = (
            AuditPages(render_page, pages, interaction.user.id)
            if pages > 1
            else discord.utils.MISSING
        )
        await interaction.followup.send(
            embed=embed, files=files, view=view, ephemeral=True, allowed_mentions=NONE
        )
        if not export:
            return
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="audit.export",
            target=t("audit.export_target", "fr", filters=_describe(audit_filter)),
        )


def _describe(audit_filter: AuditFilter) -> str:
    parts = [f"{k}={v}" for k, v in vars(audit_filter).items() if v not in (None, "")]
    return ", ".join(parts) or "-"
