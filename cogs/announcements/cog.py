"""/annonce (referents, coordinators): modal, preview, publication now or later through
the scheduler (persisted, exactly once), crosspost in announcement channels, explicit
mentions; /annonces modifier|retirer for the author or a coordinator."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AiguillageBot
from bot.clock import PARIS
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import is_coordinator, referent_or_coordinator
from bot.scheduler import PermanentDeliveryError, allowed_mentions_from
from cogs.announcements import store
from cogs.announcements.errors import AnnouncementError
from cogs.announcements.policy import check_channel, check_mentions, check_text, parse_publish_at
from cogs.announcements.render import announcement_embed, message_parts
from cogs.announcements.views import AnnouncementModal, DraftButton, preview_view
from db.models.announcements import Announcement, AnnouncementStatus
from db.models.core import ScheduledDelivery
from db.network import get_structure, member_structure_id

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()
ATTACHMENT_MAX = 8 * 1024 * 1024


def declare_settings(bot: AiguillageBot) -> None:
    bot.guild_config.declare(
        "announcements.mention_roles",
        "roles",
        "Rôles que les référents peuvent mentionner dans /annonce",
        default=[],
        label_en="Roles referents may mention in /announce",
    )


def _user_error(exc: AnnouncementError) -> UserError:
    return UserError(exc.key, **exc.kwargs)


class AnnouncementsCog(commands.Cog):
    manage = app_commands.Group(
        name="annonces", description="Modifier ou retirer une annonce", guild_only=True
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DraftButton)
        self.bot.scheduler.register_handler(store.DELIVERY_KIND, self.publish_delivery)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DraftButton)

    # ---- /annonce ----------------------------------------------------------------------
    @app_commands.command(
        name="annonce", description="Publier une annonce signée de votre structure"
    )
    @app_commands.describe(
        salon="Salon d'annonces où publier",
        mention="Rôle à mentionner (parmi ceux autorisés par les coordinateurs)",
        diffusion="Prévenir tout le serveur (coordinateurs seulement)",
        date="Publication différée : JJ/MM/AAAA HH:MM (heure de Paris)",
        piece_jointe="Un fichier ou une image à joindre",
    )
    @app_commands.choices(
        diffusion=[
            app_commands.Choice(name="@everyone (tout le serveur)", value="everyone"),
            app_commands.Choice(name="@here (personnes en ligne)", value="here"),
        ]
    )
    @app_commands.guild_only()
    @referent_or_coordinator()
    async def announce(
        self,
        interaction: discord.Interaction,
        salon: discord.TextChannel,
        mention: discord.Role | None = None,
        diffusion: str | None = None,
        date: str | None = None,
        piece_jointe: discord.Attachment | None = None,
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        locale = locale_of(interaction)
        coordinator = await is_coordinator(self.bot, interaction.user)
        configured = await self.bot.guild_config.get(guild.id, "channel.announcements") or []
        allowed_roles = (
            await self.bot.guild_config.get(guild.id, "announcements.mention_roles") or []
        )
        # Everything checkable is checked before the author types a word.
        try:
            channel_id = check_channel(salon.id, configured)
            mentions = check_mentions(
                role_ids=[mention.id] if mention else [],
                broadcast=diffusion,
                is_coordinator=coordinator,
                allowed_role_ids=[int(r) for r in allowed_roles],
            )
            publish_at = parse_publish_at(date, self.bot.clock.now())
        except AnnouncementError as exc:
            raise _user_error(exc) from exc
        if piece_jointe is not None and piece_jointe.size > ATTACHMENT_MAX:
            raise UserError(
                "announcements.attachment_too_big", max_mb=ATTACHMENT_MAX // (1024 * 1024)
            )

        async def on_done(
            modal_interaction: discord.Interaction, title: str, body: str, link: str
        ) -> None:
            await self._create_preview(
                modal_interaction, channel_id, mentions, publish_at, piece_jointe, title, body, link
            )

        await interaction.response.send_modal(
            AnnouncementModal(
                title=t("announcements.modal_title", locale),
                labels=(
                    t("announcements.field_title", locale),
                    t("announcements.field_body", locale),
                    t("announcements.field_link", locale),
                ),
                on_done=on_done,
            )
        )

    async def _signature(
        self, guild: discord.Guild, user: discord.abc.User, coordinator: bool
    ) -> tuple[int | None, str]:
        async with self.bot.db.session() as session:
            structure_id = await member_structure_id(session, guild.id, user.id)
            structure = (
                await get_structure(session, guild.id, structure_id) if structure_id else None
            )
        if structure is not None:
            return structure.id, structure.display_name
        return None, t(
            "announcements.coordination_signature", "fr"
        ) if coordinator else user.display_name

    async def _create_preview(
        self,
        interaction: discord.Interaction,
        channel_id: int,
        mentions: Any,
        publish_at: Any,
        attachment: discord.Attachment | None,
        title: str,
        body: str,
        link: str,
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        locale = locale_of(interaction)
        try:
            title, body, link_url = check_text(title, body, link)
        except AnnouncementError as exc:
            raise _user_error(exc) from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        sha = filename = None
        if attachment is not None:
            sha = await self.bot.storage.put(await attachment.read())
            filename = attachment.filename
        coordinator = await is_coordinator(self.bot, interaction.user)
        structure_id, signature = await self._signature(guild, interaction.user, coordinator)
        async with self.bot.db.transaction() as session:
            draft = await store.create_draft(
                session,
                guild_id=guild.id,
                author_id=interaction.user.id,
                structure_id=structure_id,
                signature=signature,
                title=title,
                body=body,
                link_url=link_url,
                channel_id=channel_id,
                mentions=mentions,
                publish_at=publish_at,
                attachment_sha256=sha,
                attachment_filename=filename,
                now=self.bot.clock.now(),
            )
        content, _ = message_parts(draft)
        when = (
            t("announcements.when_later", locale, date=_paris(publish_at))
            if publish_at
            else t("announcements.when_now", locale)
        )
        intro = t(
            "announcements.preview",
            locale,
            channel=f"<#{channel_id}>",
            when=when,
            mentions=content or t("announcements.no_mention", locale),
        )
        files = []
        if sha and filename:
            files.append(
                discord.File(io.BytesIO(await self.bot.storage.get(sha)), filename=filename)
            )
        await interaction.followup.send(
            intro,
            embed=announcement_embed(draft, interaction.user.display_name),
            files=files,
            view=preview_view(
                draft.id,
                t("announcements.publish_button", locale),
                t("announcements.discard_button", locale),
            ),
            ephemeral=True,
            allowed_mentions=NONE,  # the preview never pings: it only shows what will
        )

    async def confirm(self, interaction: discord.Interaction, announcement_id: int) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise UserError("core.refused.guild_only")
        locale = locale_of(interaction)
        coordinator = await is_coordinator(self.bot, interaction.user)
        async with self.bot.db.transaction() as session:
            try:
                announcement = await store.confirm(
                    session,
                    guild_id=guild_id,
                    announcement_id=announcement_id,
                    actor_id=interaction.user.id,
                    is_coordinator=coordinator,
                )
            except AnnouncementError as exc:
                raise _user_error(exc) from exc
            await self.bot.scheduler.schedule(
                session,
                guild_id=guild_id,
                kind=store.DELIVERY_KIND,
                due_at=announcement.publish_at or self.bot.clock.now(),
                payload={"announcement_id": announcement.id},
                dedupe_key=store.delivery_key(announcement.id),
                created_by=interaction.user.id,
            )
            await self.bot.audit(
                guild_id,
                actor_id=interaction.user.id,
                action="announcement.schedule"
                if announcement.publish_at
                else "announcement.confirm",
                target=f"annonce:{announcement.id} {announcement.title}",
                structure_id=announcement.structure_id,
                details={
                    "channel_id": announcement.channel_id,
                    "mentions": announcement.mention_role_ids,
                    "broadcast": announcement.mention_broadcast,
                },
                session=session,
            )
        text = (
            t(
                "announcements.scheduled",
                locale,
                number=announcement.id,
                date=_paris(announcement.publish_at),
            )
            if announcement.publish_at
            else t(
                "announcements.publishing",
                locale,
                number=announcement.id,
                channel=f"<#{announcement.channel_id}>",
            )
        )
        await interaction.response.edit_message(
            content=text, view=None, attachments=[], allowed_mentions=NONE
        )

    async def discard(self, interaction: discord.Interaction, announcement_id: int) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise UserError("core.refused.guild_only")
        try:
            async with self.bot.db.transaction() as session:
                await store.discard_draft(
                    session,
                    guild_id=guild_id,
                    announcement_id=announcement_id,
                    actor_id=interaction.user.id,
                )
        except AnnouncementError as exc:
            raise _user_error(exc) from exc
        await interaction.response.edit_message(
            content=t("announcements.discarded", locale_of(interaction)),
            embed=None,
            view=None,
            allowed_mentions=NONE,
            attachments=[],
        )

    # ---- the scheduled delivery ----------------------------------------------------------
    async def publish_delivery(self, bot: Any, delivery: ScheduledDelivery) -> dict[str, Any]:
        guild_id = delivery.guild_id
        announcement_id = int(delivery.payload["announcement_id"])
        async with self.bot.db.session() as session:
            announcement = await session.get(Announcement, announcement_id)
        if announcement is None or announcement.status != AnnouncementStatus.SCHEDULED:
            return {"skipped": announcement.status if announcement else "deleted"}
        channel = await self.bot.resolve_channel(announcement.channel_id)
        if channel is None:
            await self._mark_failed(announcement)
            raise PermanentDeliveryError(
                "core.delivery.channel_missing", channel_id=announcement.channel_id
            )
        guild = self.bot.get_guild(guild_id)
        author = guild.get_member(announcement.author_id) if guild else None
        content, mentions = message_parts(announcement)
        files = []
        if announcement.attachment_sha256 and announcement.attachment_filename:
            data = await self.bot.storage.get(announcement.attachment_sha256)
            files.append(discord.File(io.BytesIO(data), filename=announcement.attachment_filename))
        try:
            message = await channel.send(
                content=content,
                embed=announcement_embed(announcement, author.display_name if author else ""),
                files=files,
                allowed_mentions=allowed_mentions_from(mentions),
                nonce=delivery.nonce,  # same on every attempt: Discord drops a repeated send
            )
        except discord.Forbidden as exc:
            await self._mark_failed(announcement)
            raise PermanentDeliveryError(
                "core.delivery.forbidden", channel_id=announcement.channel_id, detail=exc.text
            ) from exc
        except discord.NotFound as exc:
            await self._mark_failed(announcement)
            raise PermanentDeliveryError(
                "core.delivery.channel_missing", channel_id=announcement.channel_id
            ) from exc
        crossposted = False
        if getattr(channel, "is_news", lambda: False)():
            try:
                await message.publish()
                crossposted = True
            except discord.HTTPException as exc:
                log.warning("crosspost failed for announcement %s: %s", announcement.id, exc)
        async with self.bot.db.transaction() as session:
            await store.mark_published(
                session,
                guild_id=guild_id,
                announcement_id=announcement.id,
                message_id=message.id,
                now=self.bot.clock.now(),
            )
            await self.bot.audit(
                guild_id,
                actor_id=announcement.author_id,
                action="announcement.publish",
                target=f"annonce:{announcement.id} {announcement.title}",
                structure_id=announcement.structure_id,
                details={"message_id": message.id, "crossposted": crossposted},
                session=session,
            )
        return {
            "message_id": message.id,
            "channel_id": announcement.channel_id,
            "crossposted": crossposted,
        }

    async def _mark_failed(self, announcement: Announcement) -> None:
        async with self.bot.db.transaction() as session:
            await store.mark_failed(
                session, guild_id=announcement.guild_id, announcement_id=announcement.id
            )

    # ---- /annonces modifier | retirer -----------------------------------------------------
    async def announcement_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        coordinator = await is_coordinator(self.bot, interaction.user)
        async with self.bot.db.session() as session:
            rows = await store.manageable(
                session,
                guild_id=interaction.guild_id,
                actor_id=interaction.user.id,
                is_coordinator=coordinator,
            )
        current = current.casefold()
        return [
            app_commands.Choice(name=f"#{a.id} {a.title}"[:100], value=a.id)
            for a in rows
            if current in f"#{a.id} {a.title}".casefold()
        ][:25]

    @manage.command(name="modifier", description="Modifier une annonce (auteur ou coordinateur)")
    @app_commands.describe(numero="L'annonce à modifier")
    @app_commands.autocomplete(numero=announcement_autocomplete)
    @referent_or_coordinator()
    async def edit(self, interaction: discord.Interaction, numero: int) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        coordinator = await is_coordinator(self.bot, interaction.user)
        async with self.bot.db.session() as session:
            try:
                announcement = await store.get(session, interaction.guild.id, numero)
            except AnnouncementError as exc:
                raise _user_error(exc) from exc
        if not store.may_manage(
            announcement, actor_id=interaction.user.id, is_coordinator=coordinator
        ):
            raise UserError("announcements.not_author")
        if announcement.status not in (AnnouncementStatus.SCHEDULED, AnnouncementStatus.PUBLISHED):
            raise UserError("announcements.not_editable", status=announcement.status)

        async def on_done(
            modal_interaction: discord.Interaction, title: str, body: str, link: str
        ) -> None:
            await self._apply_edit(modal_interaction, numero, title, body, link)

        await interaction.response.send_modal(
            AnnouncementModal(
                title=t("announcements.edit_title", locale),
                labels=(
                    t("announcements.field_title", locale),
                    t("announcements.field_body", locale),
                    t("announcements.field_link", locale),
                ),
                defaults=(announcement.title, announcement.body, announcement.link_url or ""),
                on_done=on_done,
            )
        )

    async def _apply_edit(
        self,
        interaction: discord.Interaction,
        announcement_id: int,
        title: str,
        body: str,
        link: str,
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        coordinator = await is_coordinator(self.bot, interaction.user)
        try:
            title, body, link_url = check_text(title, body, link)
            async with self.bot.db.transaction() as session:
                announcement = await store.edit(
                    session,
                    guild_id=guild.id,
                    announcement_id=announcement_id,
                    actor_id=interaction.user.id,
                    is_coordinator=coordinator,
                    title=title,
                    body=body,
                    link_url=link_url,
                    now=self.bot.clock.now(),
                )
                await self.bot.audit(
                    guild.id,
                    actor_id=interaction.user.id,
                    action="announcement.edit",
                    target=f"annonce:{announcement.id} {announcement.title}",
                    structure_id=announcement.structure_id,
                    session=session,
                )
        except AnnouncementError as exc:
            raise _user_error(exc) from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        if announcement.status == AnnouncementStatus.PUBLISHED and announcement.message_id:
            author = guild.get_member(announcement.author_id)
            channel = self.bot.get_partial_messageable(announcement.channel_id)
            try:
                await channel.get_partial_message(announcement.message_id).edit(
                    embed=announcement_embed(announcement, author.display_name if author else ""),
                    allowed_mentions=NONE,
                )
            except discord.NotFound as exc:
                raise UserError("announcements.message_gone") from exc
        await interaction.followup.send(
            t("announcements.edited", locale_of(interaction), number=announcement.id),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @manage.command(
        name="retirer",
        description="Retirer une annonce publiée ou programmée (auteur ou coordinateur)",
    )
    @app_commands.describe(numero="L'annonce à retirer")
    @app_commands.autocomplete(numero=announcement_autocomplete)
    @referent_or_coordinator()
    async def withdraw(self, interaction: discord.Interaction, numero: int) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        coordinator = await is_coordinator(self.bot, interaction.user)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            async with self.bot.db.transaction() as session:
                announcement, previous = await store.withdraw(
                    session,
                    guild_id=guild.id,
                    announcement_id=numero,
                    actor_id=interaction.user.id,
                    is_coordinator=coordinator,
                    now=self.bot.clock.now(),
                )
                if previous == AnnouncementStatus.SCHEDULED:
                    await self.bot.scheduler.cancel(
                        session, guild.id, dedupe_key=store.delivery_key(announcement.id)
                    )
                await self.bot.audit(
                    guild.id,
                    actor_id=interaction.user.id,
                    action="announcement.withdraw",
                    target=f"annonce:{announcement.id} {announcement.title}",
                    structure_id=announcement.structure_id,
                    details={"was": previous},
                    session=session,
                )
        except AnnouncementError as exc:
            raise _user_error(exc) from exc
        if previous == AnnouncementStatus.PUBLISHED and announcement.message_id:
            try:
                await (
                    self.bot.get_partial_messageable(announcement.channel_id)
                    .get_partial_message(announcement.message_id)
                    .delete()
                )
            except discord.NotFound:
                log.info("announcement %s message already gone", announcement.id)
        await interaction.followup.send(
            t("announcements.withdrawn", locale_of(interaction), number=announcement.id),
            ephemeral=True,
            allowed_mentions=NONE,
        )


def _paris(moment: Any) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if moment else "-"
