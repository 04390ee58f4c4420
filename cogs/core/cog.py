"""Slash commands of the runtime itself: help, server settings, scheduled deliveries."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from bot.client import AiguillageBot
from bot.clock import PARIS
from bot.errors import UserError
from bot.i18n import catalogues, locale_of, t
from bot.permissions import access_level, coordinator_only, open_to_all
from cogs.core.help import visible_for, walk_commands
from db.models import ScheduledDelivery
from db.models.core import DeliveryStatus

EMBED_DESCRIPTION_LIMIT = 4000


def _english(text: str, locale: str) -> str:
    if locale != "en":
        return text
    return catalogues().commands["en"].get(text, text)


class CoreCog(commands.Cog):
    config = app_commands.Group(
        name="config", description="Réglages du serveur (coordinateurs)", guild_only=True
    )
    deliveries = app_commands.Group(
        name="livraisons", description="Publications programmées (coordinateurs)", guild_only=True
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        self.config.extras["access"] = "coordinator"
        self.deliveries.extras["access"] = "coordinator"

    # ---- /aide -------------------------------------------------------------------------
    @app_commands.command(name="aide", description="Ce que le bot peut faire pour vous")
    @open_to_all()
    async def help(self, interaction: discord.Interaction) -> None:
        locale = locale_of(interaction)
        level = await access_level(self.bot, interaction.user) if interaction.guild else "guest"
        entries = visible_for(walk_commands(self.bot.tree.get_commands()), level)
        lines = []
        for entry in entries:
            path = " ".join(_english(part, locale) for part in entry.path.split())
            lines.append(f"**/{path}** — {_english(entry.description, locale)}")
        description = t("core.help.intro", locale, level=t(f"core.help.level_{level}", locale))
        if level == "guest":
            description += "\n" + t("core.help.guest_hint", locale)
        body = "\n".join(lines) or t("core.help.empty", locale)
        embed = discord.Embed(
            title=t("core.help.title", locale),
            description=(description + "\n\n" + body)[:EMBED_DESCRIPTION_LIMIT],
            colour=discord.Colour.blurple(),
        )
        embed.set_footer(text=t("core.help.footer", locale))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # ---- /config -------------------------------------------------------------------------
    async def _setting_autocomplete(
        self, interaction: discord.Interaction, current: str, kinds: tuple[str, ...]
    ) -> list[app_commands.Choice[str]]:
        current = current.casefold()
        choices = []
        for spec in sorted(self.bot.guild_config.specs.values(), key=lambda s: s.key):
            if spec.kind not in kinds:
                continue
            label = (
                spec.label_fr if locale_of(interaction) == "fr" else spec.label_en or spec.label_fr
            )
            if current in spec.key.casefold() or current in label.casefold():
                choices.append(
                    app_commands.Choice(name=f"{label} ({spec.key})"[:100], value=spec.key)
                )
        return choices[:25]

    def _spec(self, key: str, kinds: tuple[str, ...], locale: str) -> Any:
        spec = self.bot.guild_config.specs.get(key)
        if spec is None:
            raise UserError("core.config.unknown_key", key=key)
        if spec.kind not in kinds:
            raise UserError(
                "core.config.wrong_kind",
                key=key,
                expected=t(f"core.config.kind_{spec.kind}", locale),
            )
        return spec

    def _label(self, spec: Any, locale: str) -> str:
        return spec.label_fr if locale == "fr" else spec.label_en or spec.label_fr

    @config.command(name="voir", description="Voir les réglages du serveur")
    @coordinator_only()
    async def config_show(self, interaction: discord.Interaction) -> None:
        locale = locale_of(interaction)
        assert interaction.guild is not None
        values = await self.bot.guild_config.all(interaction.guild.id)
        lines = []
        for spec in sorted(self.bot.guild_config.specs.values(), key=lambda s: s.key):
            lines.append(
                f"**{self._label(spec, locale)}** (`{spec.key}`) : {self._render(spec.kind, values.get(spec.key), locale)}"
            )
        embed = discord.Embed(
            title=t("core.config.title", locale), description="\n".join(lines)[:4000]
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    def _render(self, kind: str, value: Any, locale: str) -> str:
        if value in (None, [], ""):
            return t("core.config.not_set", locale)
        if kind in ("channel", "channels"):
            return " ".join(f"<#{v}>" for v in (value if isinstance(value, list) else [value]))
        if kind in ("role", "roles"):
            return " ".join(f"<@&{v}>" for v in (value if isinstance(value, list) else [value]))
        return f"`{value}`"

    @config.command(name="salon", description="Choisir le salon d'un usage")
    @app_commands.rename(key="reglage", channel="salon")
    @app_commands.describe(key="Le réglage à modifier", channel="Le salon à utiliser")
    @coordinator_only()
    async def config_channel(
        self, interaction: discord.Interaction, key: str, channel: discord.TextChannel
    ) -> None:
        await self._save(interaction, key, ("channel", "channels"), channel.id, f"<#{channel.id}>")

    @config_channel.autocomplete("key")
    async def _channel_keys(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._setting_autocomplete(interaction, current, ("channel", "channels"))

    @config.command(name="role", description="Choisir le rôle d'un usage")
    @app_commands.rename(key="reglage", role="role")
    @app_commands.describe(key="Le réglage à modifier", role="Le rôle à utiliser")
    @coordinator_only()
    async def config_role(
        self, interaction: discord.Interaction, key: str, role: discord.Role
    ) -> None:
        await self._save(interaction, key, ("role", "roles"), role.id, f"<@&{role.id}>")

    @config_role.autocomplete("key")
    async def _role_keys(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._setting_autocomplete(interaction, current, ("role", "roles"))

    @config.command(name="valeur", description="Régler un nombre ou un texte")
    @app_commands.rename(key="reglage", value="valeur")
    @app_commands.describe(key="Le réglage à modifier", value="La nouvelle valeur")
    @coordinator_only()
    async def config_value(self, interaction: discord.Interaction, key: str, value: str) -> None:
        locale = locale_of(interaction)
        spec = self._spec(key, ("int", "text", "bool"), locale)
        parsed: Any = value.strip()
        if spec.kind == "int":
            try:
                parsed = int(parsed)
            except ValueError:
                raise UserError(
                    "core.config.wrong_kind", key=key, expected=t("core.config.kind_int", locale)
                ) from None
        elif spec.kind == "bool":
            lowered = parsed.casefold()
            if lowered not in ("oui", "non", "yes", "no", "true", "false", "1", "0"):
                raise UserError(
                    "core.config.wrong_kind", key=key, expected=t("core.config.kind_bool", locale)
                )
            parsed = lowered in ("oui", "yes", "true", "1")
        await self._save(interaction, key, (spec.kind,), parsed, f"`{parsed}`")

    @config_value.autocomplete("key")
    async def _value_keys(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._setting_autocomplete(interaction, current, ("int", "text", "bool"))

    @config.command(name="effacer", description="Revenir à la valeur par défaut")
    @app_commands.rename(key="reglage")
    @app_commands.describe(key="Le réglage à modifier")
    @coordinator_only()
    async def config_clear(self, interaction: discord.Interaction, key: str) -> None:
        locale = locale_of(interaction)
        assert interaction.guild is not None
        spec = self._spec(
            key, ("channel", "channels", "role", "roles", "int", "text", "bool"), locale
        )
        await self.bot.guild_config.unset(interaction.guild.id, key)
        await self.bot.audit(
            interaction.guild.id, actor_id=interaction.user.id, action="config.clear", target=key
        )
        await interaction.response.send_message(
            t("core.config.cleared", locale, label=self._label(spec, locale)), ephemeral=True
        )

    @config_clear.autocomplete("key")
    async def _all_keys(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._setting_autocomplete(
            interaction, current, ("channel", "channels", "role", "roles", "int", "text", "bool")
        )

    async def _save(
        self,
        interaction: discord.Interaction,
        key: str,
        kinds: tuple[str, ...],
        value: Any,
        shown: str,
    ) -> None:
        locale = locale_of(interaction)
        assert interaction.guild is not None
        spec = self._spec(key, kinds, locale)
        guild_id = interaction.guild.id
        if spec.kind in ("channels", "roles"):
            current = list(await self.bot.guild_config.get(guild_id, key) or [])
            if value not in current:
                current.append(value)
            value = current
        await self.bot.guild_config.set(guild_id, key, value, by=interaction.user.id)
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="config.set",
            target=key,
            details={"value": value},
        )
        await interaction.response.send_message(
            t("core.config.saved", locale, label=self._label(spec, locale), value=shown),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    # ---- /livraisons -----------------------------------------------------------------------
    @deliveries.command(name="liste", description="Publications programmées et en échec")
    @coordinator_only()
    async def deliveries_list(self, interaction: discord.Interaction) -> None:
        locale = locale_of(interaction)
        assert interaction.guild is not None
        async with self.bot.db.session() as session:
            rows = list(
                await session.scalars(
                    select(ScheduledDelivery)
                    .where(
                        ScheduledDelivery.guild_id == interaction.guild.id,
                        ScheduledDelivery.status.in_(
                            [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED]
                        ),
                    )
                    .order_by(ScheduledDelivery.due_at)
                    .limit(30)
                )
            )
        if not rows:
            await interaction.response.send_message(
                t("core.deliveries.none", locale), ephemeral=True
            )
            return
        lines = []
        for row in rows:
            due = row.due_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
            error = (
                f" — {row.last_error[:120]}"
                if row.status == DeliveryStatus.FAILED and row.last_error
                else ""
            )
            lines.append(
                t(
                    "core.deliveries.line",
                    locale,
                    id=row.id,
                    status=t(f"core.deliveries.status_{row.status}", locale),
                    kind=row.kind,
                    due=due,
                    error=error,
                )
            )
        embed = discord.Embed(
            title=t("core.deliveries.title", locale), description="\n".join(lines)[:4000]
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @deliveries.command(name="relancer", description="Relancer une publication en échec")
    @app_commands.rename(delivery_id="numero")
    @app_commands.describe(delivery_id="Numéro de la livraison")
    @coordinator_only()
    async def deliveries_retry(self, interaction: discord.Interaction, delivery_id: int) -> None:
        locale = locale_of(interaction)
        assert interaction.guild is not None
        if not await self.bot.scheduler.retry(interaction.guild.id, delivery_id):
            raise UserError("core.deliveries.not_retryable", delivery_id=delivery_id)
        await self.bot.audit(
            interaction.guild.id,
            actor_id=interaction.user.id,
            action="delivery.retry",
            target=f"#{delivery_id}",
        )
        await interaction.response.send_message(
            t("core.deliveries.retried", locale, delivery_id=delivery_id), ephemeral=True
        )

    @deliveries.command(name="annuler", description="Annuler une publication programmée")
    @app_commands.rename(delivery_id="numero")
    @app_commands.describe(delivery_id="Numéro de la livraison")
    @coordinator_only()
    async def deliveries_cancel(self, interaction: discord.Interaction, delivery_id: int) -> None:
        locale = locale_of(interaction)
        assert interaction.guild is not None
        async with self.bot.db.transaction() as session:
            count = await self.bot.scheduler.cancel(
                session, interaction.guild.id, delivery_id=delivery_id
            )
        if not count:
            raise UserError("core.deliveries.not_cancellable", delivery_id=delivery_id)
        await self.bot.audit(
            interaction.guild.id,
            actor_id=interaction.user.id,
            action="delivery.cancel",
            target=f"#{delivery_id}",
        )
        await interaction.response.send_message(
            t("core.deliveries.cancelled", locale, delivery_id=delivery_id), ephemeral=True
        )
