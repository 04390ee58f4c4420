"""`/guide publier|retirer|lien`, and the guide's web routes on the bot's web side."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AiguillageBot
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import coordinator_only, member_only

from .catalog import count_places
from .opendata import FORMATS
from .publication import PublicationError, get_publication, publish, withdraw
from .render import GuideLinks, links_embed
from .site import GuideSite, guide_path

log = logging.getLogger("aiguillage.guide")
NO_MENTIONS = discord.AllowedMentions.none()


class GuideCog(commands.Cog):
    guide = app_commands.Group(
        name="guide", description="Guide numérique des habitants (site public)", guild_only=True
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        self.site = GuideSite(bot.db, now=bot.clock.now, url=bot.web.url)
        try:
            # Routes must exist before the web side starts (setup runs before it does).
            self.site.register(bot.web.app.router)
        except RuntimeError:
            log.warning("web side already started: the guide's pages are not served")

    def links(self, slug: str) -> GuideLinks:
        url = self.bot.web.url
        return GuideLinks(
            home=url(guide_path(slug)),
            pdf=url(guide_path(slug, "guide.pdf")),
            print_page=url(guide_path(slug, "imprimer")),
            data_page=url(guide_path(slug, "donnees")),
            csv=url(guide_path(slug, f"donnees/{FORMATS['csv'].filename}")),
            json=url(guide_path(slug, f"donnees/{FORMATS['json'].filename}")),
            datapackage=url(guide_path(slug, "donnees/datapackage.json")),
        )

    def _public_url_warning(self, locale: str) -> str:
        if self.bot.settings.public_url:
            return ""
        return "\n" + t("guide.no_public_url", locale)

    # ---- /guide publier ------------------------------------------------------------
    @guide.command(name="publier", description="Publier le guide des habitants sur le web")
    @app_commands.rename(address="adresse", title="titre")
    @app_commands.describe(
        address="Fin de l'adresse du guide, ex. « merignac » (facultatif)",
        title="Titre affiché en haut du guide (facultatif)",
    )
    @coordinator_only()
    async def publish_command(
        self,
        interaction: discord.Interaction,
        address: app_commands.Range[str, 1, 80] | None = None,
        title: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild.id
        try:
            async with self.bot.db.transaction() as session:
                change = await publish(
                    session,
                    guild_id,
                    default_name=interaction.guild.name,
                    slug=address,
                    title=title,
                    by=interaction.user.id,
                    now=self.bot.clock.now(),
                )
                slug, guide_title = change.publication.slug, change.publication.title
                place_count = await count_places(session, guild_id)
        except PublicationError as refused:
            raise UserError(refused.key, **refused.kwargs) from None
        self.site.forget()
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="guide.publish",
            target=slug,
            details={"title": guide_title, "previous": change.old_slug},
        )
        links = self.links(slug)
        if change.was_published and change.old_slug is None:
            text = t("guide.already_published", locale, url=links.home)
        else:
            text = t("guide.published", locale, url=links.home)
        if change.old_slug:
            text += "\n" + t(
                "guide.moved", locale, old=self.bot.web.url(guide_path(change.old_slug))
            )
        if place_count == 0:
            text += "\n" + t("guide.empty_directory", locale)
        text += self._public_url_warning(locale)
        await interaction.followup.send(
            text,
            embed=links_embed(guide_title, links, place_count, locale),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # ---- /guide retirer ------------------------------------------------------------
    @guide.command(name="retirer", description="Retirer le guide des habitants du web")
    @coordinator_only()
    async def withdraw_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        guild_id = interaction.guild.id
        try:
            async with self.bot.db.transaction() as session:
                publication = await withdraw(
                    session, guild_id, by=interaction.user.id, now=self.bot.clock.now()
                )
                slug = publication.slug
        except PublicationError as refused:
            raise UserError(refused.key, **refused.kwargs) from None
        self.site.forget()
        await self.bot.audit(
            guild_id, actor_id=interaction.user.id, action="guide.withdraw", target=slug
        )
        await interaction.response.send_message(
            t("guide.withdrawn", locale, url=self.bot.web.url(guide_path(slug))),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # ---- /guide lien ---------------------------------------------------------------
    @guide.command(name="lien", description="Adresse du guide des habitants, à transmettre")
    @member_only()
    async def link_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            publication = await get_publication(session, interaction.guild.id)
            if publication is None or not publication.published:
                raise UserError("guide.not_published_link")
            place_count = await count_places(session, interaction.guild.id)
            slug, guide_title = publication.slug, publication.title
        links = self.links(slug)
        await interaction.response.send_message(
            t("guide.link", locale, url=links.home) + self._public_url_warning(locale),
            embed=links_embed(guide_title, links, place_count, locale),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
