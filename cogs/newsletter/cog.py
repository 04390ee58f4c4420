"""/newsletter: propose, review, order, preview, schedule, publish, archives, subscription.

Thin glue: parse and check, call the logic (service, publish, planner), render. The
publication, the members' call for items and the coordinators' reminders are scheduled
deliveries (persisted, exactly once, surviving restarts); see ``publish.py``.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.errors import PermissionRefused, UserError
from bot.guild_config import GuildConfig
from bot.i18n import locale_of, t
from bot.permissions import coordinator_only, is_coordinator, member_only, referent_structure_ids
from bot.scheduler import PermanentDeliveryError
from cogs.newsletter import service
from cogs.newsletter.cadence import (
    DEFAULT_CADENCE,
    Cadence,
    parse_cadence,
    publication_instant,
)
from cogs.newsletter.compose import (
    DEFAULT_LIMITS,
    Attachment,
    IssueContent,
    Limits,
    MessagePlan,
    compose_issue,
    truncate,
)
from cogs.newsletter.errors import NewsletterError
from cogs.newsletter.export import issue_html, issue_markdown
from cogs.newsletter.naming import issue_heading, issue_slug, period_label
from cogs.newsletter.planner import (
    KIND_CALL,
    KIND_PUBLISH,
    KIND_REMIND,
    PLANNED_KINDS,
    planned_deliveries,
    stale_keys,
)
from cogs.newsletter.publish import ChannelUnavailable, publish_issue, with_blobs
from cogs.newsletter.render import (
    compose_labels,
    day_label,
    mentions_for,
    plan_embeds,
    plan_files,
    review_card,
    when_label,
)
from cogs.newsletter.views import (
    DYNAMIC_ITEMS,
    EditModal,
    ProposalModal,
    RefuseModal,
    review_view,
)
from db.models import Guild, ScheduledDelivery, Structure
from db.models.core import DeliveryStatus
from db.models.documents import DocumentOrigin
from db.models.newsletter import (
    IssueMode,
    IssueStatus,
    ItemStatus,
    NewsletterIssue,
    NewsletterItem,
)

if TYPE_CHECKING:
    from bot.client import AiguillageBot

log = logging.getLogger("aiguillage.newsletter")

NONE = discord.AllowedMentions.none()
PUBLISH_GRACE = timedelta(days=2)  # a letter a day late is better than no letter
REMINDER_GRACE = timedelta(hours=12)
QUEUE_PAGE = 5  # proposals per message in /newsletter file (five rows of buttons)
QUEUE_PAGES = 5
ARCHIVE_CATEGORY = "Lettre d'information"

SETTING_CADENCE = "newsletter.cadence"
SETTING_FIRST_NUMBER = "newsletter.first_number"
SETTING_ROLE = "role.newsletter"
SETTING_REVIEW_CHANNEL = "channel.newsletter_review"
SETTING_CHANNEL = "channel.newsletter"  # declared by the runtime


def declare_settings(config: GuildConfig) -> None:
    config.declare(
        SETTING_ROLE,
        "role",
        "Rôle des abonnés à la lettre (mentionné à chaque parution)",
        label_en="Newsletter subscribers' role (mentioned on each issue)",
    )
    config.declare(
        SETTING_REVIEW_CHANNEL,
        "channel",
        "Salon de relecture des propositions pour la lettre (sinon : coordination)",
        label_en="Channel where newsletter proposals are reviewed (else: coordination)",
    )
    config.declare(
        SETTING_CADENCE,
        "text",
        "Rythme de la lettre (ex. « 1er mardi des mois impairs à 09:00, clôture J-7 »)",
        default=DEFAULT_CADENCE.to_text(),
        label_en="Newsletter cadence (French text, see /newsletter cadence)",
    )
    config.declare(
        SETTING_FIRST_NUMBER,
        "int",
        "Numéro de la première lettre publiée par le bot",
        default=1,
        label_en="Number of the first newsletter published by the bot",
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Logic refusals become the runtime's UserError (ephemeral, in the user's language)."""
    try:
        yield
    except NewsletterError as exc:
        raise UserError(exc.key, **exc.kwargs) from exc


# ---- scheduled deliveries (module functions: stable identity across cog reloads) --------
def _cog(bot: Any) -> NewsletterCog:
    cog = bot.get_cog("NewsletterCog")
    if cog is None:
        raise RuntimeError("the newsletter capability is not loaded")  # retried with backoff
    return cog  # type: ignore[no-any-return]


async def handle_publish(bot: Any, delivery: ScheduledDelivery) -> dict[str, Any]:
    return await _cog(bot).run_publication(delivery)


async def handle_call(bot: Any, delivery: ScheduledDelivery) -> dict[str, Any]:
    return await _cog(bot).post_call_for_items(delivery)


async def handle_remind(bot: Any, delivery: ScheduledDelivery) -> dict[str, Any]:
    return await _cog(bot).send_reminder(delivery)


class DiscordPoster:
    """Posts planned messages in one channel (see publish.Poster)."""

    def __init__(self, channel: Any, role_id: int | None) -> None:
        self.channel = channel
        self.role_id = role_id

    async def post(self, plan: MessagePlan, files: dict[str, bytes], nonce: str) -> int:
        mention = f"<@&{self.role_id}>" if self.role_id else None
        kwargs: dict[str, Any] = {
            "content": plan.content or None,
            "allowed_mentions": mentions_for(
                self.role_id if mention and mention in plan.content else None
            ),
            "nonce": nonce,
        }
        if plan.embeds:
            kwargs["embeds"] = plan_embeds(plan)
        if plan.attachments:
            kwargs["files"] = plan_files(plan, files)
        try:
            message = await self.channel.send(**kwargs)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise ChannelUnavailable(f"channel {self.channel.id}: {exc}") from exc
        if getattr(self.channel, "is_news", lambda: False)():
            try:
                await message.publish()
            except discord.HTTPException as exc:
                # Crossposting is limited (10 an hour per channel): the letter is posted anyway.
                log.warning("crosspost of message %s failed: %s", message.id, exc)
        return int(message.id)


class NewsletterCog(commands.Cog, name="NewsletterCog"):
    group = app_commands.Group(
        name="newsletter", description="Lettre d'information du réseau", guild_only=True
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        # The planner runs at startup, every hour and after clock jumps: one pass at a time.
        self._planning = asyncio.Lock()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # ---- shared helpers -------------------------------------------------------------
    def now(self) -> datetime:
        return self.bot.clock.now()

    def limits(self, guild_id: int) -> Limits:
        """Discord's limits, with the server's own upload size (it grows with boosts)."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return DEFAULT_LIMITS
        return Limits(upload_bytes=guild.filesize_limit)

    def urls(self, guild_id: int) -> service.UrlBuilder:
        # Links in posts only when the web side has a public address members can reach.
        return service.UrlBuilder(self.bot.settings.public_url, guild_id)

    async def cadence(self, guild_id: int) -> tuple[Cadence, str | None]:
        """The guild's cadence, and the stored text when it could not be understood."""
        text = await self.bot.guild_config.get(guild_id, SETTING_CADENCE)
        if not text:
            return DEFAULT_CADENCE, None
        try:
            return parse_cadence(str(text)), None
        except NewsletterError:
            log.warning("guild %s: newsletter cadence %r not understood", guild_id, text)
            return DEFAULT_CADENCE, str(text)

    async def first_number(self, guild_id: int) -> int:
        value = await self.bot.guild_config.get(guild_id, SETTING_FIRST_NUMBER)
        try:
            return max(int(value or 1), 1)
        except (TypeError, ValueError):
            return 1

    async def subscriber_role_id(self, guild_id: int) -> int | None:
        """The opt-in role, if configured and still on the server."""
        role_id = await self.bot.guild_config.get(guild_id, SETTING_ROLE)
        guild = self.bot.get_guild(guild_id)
        if not role_id or guild is None or guild.get_role(int(role_id)) is None:
            return None
        return int(role_id)

    async def newsletter_channel_id(self, guild_id: int) -> int | None:
        value = await self.bot.guild_config.get(guild_id, SETTING_CHANNEL)
        return int(value) if value else None

    async def review_channel(self, guild_id: int) -> Any:
        for key in (SETTING_REVIEW_CHANNEL, "channel.coordination"):
            channel_id = await self.bot.guild_config.get(guild_id, key)
            if channel_id:
                channel = await self.bot.resolve_channel(int(channel_id))
                if channel is not None:
                    return channel
        return None

    async def require_coordinator(self, interaction: discord.Interaction) -> None:
        if interaction.guild is None:
            raise PermissionRefused("core.refused.guild_only")
        if not await is_coordinator(self.bot, interaction.user):
            raise PermissionRefused("core.refused.coordinator")

    async def tell_member(self, user_id: int, text: str) -> bool:
        """A private message; False when the member's DMs are closed."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=NONE)
            return True
        except discord.HTTPException:
            log.info("could not DM member %s", user_id)
            return False

    async def _structure_name(self, session: Any, structure_id: int | None) -> str | None:
        if structure_id is None:
            return None
        names = await service.structure_names(session, {structure_id})
        return names.get(structure_id)

    async def _issue_number(self, session: Any, issue_id: int | None) -> int | None:
        if issue_id is None:
            return None
        issue = await session.get(NewsletterIssue, issue_id)
        return issue.number if issue else None

    # ---- review cards ---------------------------------------------------------------
    @staticmethod
    def _card_image_name(item: NewsletterItem) -> str | None:
        if not item.image_sha256:
            return None
        ext = (item.image_content_type or "image/png").rsplit("/", 1)[-1].replace("jpeg", "jpg")
        return f"proposition-{item.id}.{ext}"

    def _card_view(self, item: NewsletterItem) -> discord.ui.View | None:
        if item.status == ItemStatus.PENDING:
            return review_view([item.id])
        if item.status == ItemStatus.ACCEPTED:
            return review_view([item.id], accept=False)
        return None

    async def post_review_card(self, guild_id: int, item_id: int) -> bool:
        channel = await self.review_channel(guild_id)
        if channel is None:
            return False
        async with self.bot.db.session() as session:
            item = await service.get_item(session, guild_id, item_id)
            structure = await self._structure_name(session, item.structure_id)
        image_name = self._card_image_name(item)
        embed = review_card(item, "fr", structure_name=structure, image_filename=image_name)
        kwargs: dict[str, Any] = {}
        if image_name and item.image_sha256:
            data = await self.bot.storage.get(item.image_sha256)
            kwargs["file"] = discord.File(io.BytesIO(data), filename=image_name)
        try:
            message = await channel.send(
                t("newsletter.new_proposal", "fr"),
                embed=embed,
                view=self._card_view(item),
                allowed_mentions=NONE,
                **kwargs,
            )
        except discord.HTTPException as exc:
            log.warning("could not post the review card of proposal %s: %s", item_id, exc)
            return False
        async with self.bot.db.transaction() as session:
            row = await session.get(NewsletterItem, item_id)
            if row is not None:
                row.review_channel_id = channel.id
                row.review_message_id = message.id
        return True

    async def refresh_review_card(self, guild_id: int, item_id: int) -> None:
        """Show the decision on the card posted for coordinators (buttons follow the state)."""
        async with self.bot.db.session() as session:
            item = await service.get_item(session, guild_id, item_id)
            structure = await self._structure_name(session, item.structure_id)
            number = await self._issue_number(session, item.issue_id)
        if not item.review_channel_id or not item.review_message_id:
            return
        channel = await self.bot.resolve_channel(item.review_channel_id)
        if channel is None:
            return
        embed = review_card(
            item,
            "fr",
            structure_name=structure,
            issue_number=number,
            image_filename=self._card_image_name(item),
        )
        try:
            await channel.get_partial_message(item.review_message_id).edit(
                embed=embed, view=self._card_view(item)
            )
        except discord.HTTPException as exc:
            log.info("review card of proposal %s not updated: %s", item_id, exc)

    # ---- /newsletter proposer -------------------------------------------------------
    async def structure_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        mine = await referent_structure_ids(self.bot, interaction.guild_id, interaction.user.id)
        needle = current.casefold().strip()
        async with self.bot.db.session() as session:
            rows = await session.execute(
                select(Structure.id, Structure.nom, Structure.short_name, Structure.commune).where(
                    Structure.guild_id == interaction.guild_id, Structure.archived_at.is_(None)
                )
            )
            structures = rows.all()
        found = [
            s
            for s in structures
            if not needle or needle in s.nom.casefold() or needle in (s.short_name or "").casefold()
        ]
        # The member's own structures first, then alphabetical.
        found.sort(key=lambda s: (s.id not in mine, (s.short_name or s.nom).casefold()))
        return [
            app_commands.Choice(
                name=truncate(f"{s.short_name or s.nom} — {s.commune}", 100), value=str(s.id)
            )
            for s in found[:25]
        ]

    @group.command(name="proposer", description="Proposer une actualité pour la prochaine lettre")
    @app_commands.describe(
        image="Une image à joindre (PNG, JPEG, GIF ou WebP, 8 Mo au plus)",
        structure="La structure concernée par l'actualité",
    )
    @app_commands.autocomplete(structure=structure_autocomplete)
    @member_only()
    async def propose(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment | None = None,
        structure: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        structure_id: int | None = None
        if structure:
            if not structure.strip().isdigit():
                raise UserError("newsletter.structure_unknown")
            structure_id = int(structure)
            async with self.bot.db.session() as session:
                row = await session.get(Structure, structure_id)
            if row is None or row.guild_id != interaction.guild_id or row.archived_at:
                raise UserError("newsletter.structure_unknown")
        if image is not None and image.size > service.IMAGE_MAX_BYTES:
            raise UserError(
                "newsletter.image_too_big",
                max_mb=service.IMAGE_MAX_BYTES // (1024 * 1024),
                name=image.filename,
            )
        await interaction.response.send_modal(
            ProposalModal(locale, image=image, structure_id=structure_id)
        )

    async def submit_proposal(
        self,
        interaction: discord.Interaction,
        *,
        title: str,
        body: str,
        link: str,
        image: discord.Attachment | None,
        structure_id: int | None,
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        with user_errors():
            service.clean_submission(title, body, link)
        await interaction.response.defer(ephemeral=True, thinking=True)
        attachment = None
        if image is not None:
            try:
                data = await image.read()
            except (discord.HTTPException, discord.NotFound) as exc:
                raise UserError("newsletter.file_download_failed", name=image.filename) from exc
            with user_errors():
                mime = service.check_image(data, image.filename)
            sha = await self.bot.storage.put(data)
            attachment = Attachment(image.filename, sha, len(data), mime)
        async with self.bot.db.transaction() as session:
            with user_errors():
                item = await service.submit_item(
                    session,
                    guild_id=interaction.guild_id,
                    submitter_id=interaction.user.id,
                    title=title,
                    body=body,
                    link_url=link,
                    image=attachment,
                    structure_id=structure_id,
                    now=self.now(),
                )
            item_id, item_title = item.id, item.title
        posted = await self.post_review_card(interaction.guild_id, item_id)
        text = t("newsletter.receipt", locale, item_id=item_id, title=item_title)
        if not posted:
            text += "\n" + t("newsletter.receipt_no_review_channel", locale)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    # ---- review buttons and modals --------------------------------------------------
    async def accept_from_button(self, interaction: discord.Interaction, item_id: int) -> None:
        await self.require_coordinator(interaction)
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id
        first_number = await self.first_number(guild_id)  # not inside the transaction
        async with self.bot.db.transaction() as session:
            with user_errors():
                item, issue = await service.accept_item(
                    session,
                    guild_id,
                    item_id,
                    reviewer_id=interaction.user.id,
                    now=self.now(),
                    first_number=first_number,
                )
            position, number = item.position, issue.number
            submitter, title = item.submitter_id, item.title
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="newsletter.accept",
            target=f"proposition {item_id} → lettre {number}",
        )
        await self.refresh_review_card(guild_id, item_id)
        told = await self.tell_member(
            submitter, t("newsletter.dm_accepted", "fr", title=title, number=number)
        )
        text = t("newsletter.accepted", locale, item_id=item_id, position=position, number=number)
        if not told:
            text += "\n" + t("newsletter.author_not_told", locale)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    async def open_edit_modal(self, interaction: discord.Interaction, item_id: int) -> None:
        await self.require_coordinator(interaction)
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            with user_errors():
                item = await service.get_item(session, interaction.guild_id, item_id)
        if item.status == ItemStatus.PUBLISHED:
            raise UserError("newsletter.item_published", item_id=item_id)
        await interaction.response.send_modal(
            EditModal(
                locale_of(interaction),
                item_id=item_id,
                title=item.title,
                body=item.body,
                link=item.link_url,
            )
        )

    async def submit_edit(
        self, interaction: discord.Interaction, item_id: int, *, title: str, body: str, link: str
    ) -> None:
        await self.require_coordinator(interaction)
        assert interaction.guild_id is not None
        with user_errors():
            service.clean_submission(title, body, link)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.transaction() as session:
            with user_errors():
                await service.edit_item(
                    session,
                    interaction.guild_id,
                    item_id,
                    editor_id=interaction.user.id,
                    title=title,
                    body=body,
                    link_url=link,
                    now=self.now(),
                )
        await self.bot.audit(
            interaction.guild_id,
            actor_id=interaction.user.id,
            action="newsletter.edit",
            target=f"proposition {item_id}",
        )
        await self.refresh_review_card(interaction.guild_id, item_id)
        await interaction.followup.send(
            t("newsletter.edited", locale_of(interaction), item_id=item_id),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    async def open_refuse_modal(self, interaction: discord.Interaction, item_id: int) -> None:
        await self.require_coordinator(interaction)
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            with user_errors():
                item = await service.get_item(session, interaction.guild_id, item_id)
        if item.status == ItemStatus.PUBLISHED:
            raise UserError("newsletter.item_published", item_id=item_id)
        if item.status == ItemStatus.REFUSED:
            raise UserError("newsletter.item_already_decided", item_id=item_id)
        await interaction.response.send_modal(RefuseModal(locale_of(interaction), item_id=item_id))

    async def submit_refusal(
        self, interaction: discord.Interaction, item_id: int, *, reason: str
    ) -> None:
        await self.require_coordinator(interaction)
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        with user_errors():
            service.clean_reason(reason)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.transaction() as session:
            with user_errors():
                item = await service.refuse_item(
                    session,
                    interaction.guild_id,
                    item_id,
                    reviewer_id=interaction.user.id,
                    reason=reason,
                    now=self.now(),
                )
            submitter, title, reason_text = item.submitter_id, item.title, item.refusal_reason
        await self.bot.audit(
            interaction.guild_id,
            actor_id=interaction.user.id,
            action="newsletter.refuse",
            target=f"proposition {item_id}",
            details={"reason": reason_text},
        )
        await self.refresh_review_card(interaction.guild_id, item_id)
        told = await self.tell_member(
            submitter, t("newsletter.dm_refused", "fr", title=title, reason=reason_text)
        )
        text = t("newsletter.refused", locale, item_id=item_id)
        if not told:
            text += "\n" + t("newsletter.author_not_told", locale)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    # ---- /newsletter file -----------------------------------------------------------
    @group.command(name="file", description="Propositions en attente de relecture (coordinateurs)")
    @coordinator_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.session() as session:
            pending = await service.pending_items(session, interaction.guild_id)
            names = await service.structure_names(
                session, {i.structure_id for i in pending if i.structure_id}
            )
            issue = await service.open_issue(session, interaction.guild_id)
            accepted = len(await service.issue_items(session, issue)) if issue else 0
        if not pending:
            await interaction.followup.send(
                t("newsletter.queue_empty", locale), ephemeral=True, allowed_mentions=NONE
            )
            return
        header = f"**{t('newsletter.queue_title', locale, count=len(pending))}**"
        if issue is not None:
            header += "\n" + t(
                "newsletter.queue_next_issue", locale, number=issue.number, accepted=accepted
            )
        shown = pending[: QUEUE_PAGE * QUEUE_PAGES]
        for page_start in range(0, len(shown), QUEUE_PAGE):
            page = shown[page_start : page_start + QUEUE_PAGE]
            embeds = [
                review_card(
                    item,
                    locale,
                    structure_name=names.get(item.structure_id) if item.structure_id else None,
                )
                for item in page
            ]
            content = header if page_start == 0 else None
            if page_start + QUEUE_PAGE >= len(shown) and len(pending) > len(shown):
                embeds[-1].set_footer(
                    text=t("newsletter.queue_more", locale, count=len(pending) - len(shown))
                )
            await interaction.followup.send(
                content,
                embeds=embeds,
                view=review_view([i.id for i in page], locale, numbered=True),
                ephemeral=True,
                allowed_mentions=NONE,
            )

    # ---- /newsletter ordre ----------------------------------------------------------
    async def accepted_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.session() as session:
            issue = await service.open_issue(session, interaction.guild_id)
            items = await service.issue_items(session, issue) if issue else []
        needle = current.casefold().strip()
        return [
            app_commands.Choice(
                name=truncate(f"{i.position}. {i.title} (n° {i.id})", 100), value=str(i.id)
            )
            for i in items
            if not needle or needle in i.title.casefold() or needle == str(i.id)
        ][:25]

    @group.command(
        name="ordre", description="Voir ou changer l'ordre des articles de la prochaine lettre"
    )
    @app_commands.describe(
        article="L'article à déplacer", position="Sa nouvelle position (1 = en premier)"
    )
    @app_commands.autocomplete(article=accepted_autocomplete)
    @coordinator_only()
    async def order(
        self,
        interaction: discord.Interaction,
        article: str | None = None,
        position: app_commands.Range[int, 1, 100] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        moved_text = ""
        async with self.bot.db.transaction() as session:
            issue = await service.open_issue(session, interaction.guild_id)
            if issue is None:
                raise UserError("newsletter.no_open_issue")
            if article is not None and position is not None:
                if not article.strip().isdigit():
                    raise UserError("newsletter.item_not_found", item_id=article[:20])
                with user_errors():
                    order = await service.move_item(
                        session,
                        interaction.guild_id,
                        int(article),
                        to_position=position,
                        now=self.now(),
                    )
                moved = next(i for i in order if i.id == int(article))
                moved_text = t(
                    "newsletter.order_moved", locale, title=moved.title, position=moved.position
                )
            items = await service.issue_items(session, issue)
            number = issue.number
        if not items:
            body = t("newsletter.order_empty", locale, number=number)
        else:
            body = "\n".join(
                t("newsletter.order_line", locale, position=i.position, title=i.title, item_id=i.id)
                for i in items
            )
            body += "\n\n" + t("newsletter.order_hint", locale)
        embed = discord.Embed(
            title=t("newsletter.order_title", locale, number=number),
            description=truncate(body, 4096),
            colour=discord.Colour.blurple(),
        )
        await interaction.response.send_message(
            moved_text or None, embed=embed, ephemeral=True, allowed_mentions=NONE
        )

    # ---- composition used by the preview and the publication -------------------------
    async def _publication_date(self, guild_id: int, issue: NewsletterIssue) -> datetime:
        if issue.scheduled_for is not None:
            return issue.scheduled_for
        cadence, _ = await self.cadence(guild_id)
        return cadence.next_publication(self.now())

    async def compose_preview(
        self, guild_id: int, issue_id: int
    ) -> tuple[NewsletterIssue, datetime, list[MessagePlan], dict[str, bytes]]:
        async with self.bot.db.session() as session:
            issue = await session.get(NewsletterIssue, issue_id)
            assert issue is not None
            when = await self._publication_date(guild_id, issue)
            content = await service.issue_content(
                session, issue, when=when, urls=self.urls(guild_id)
            )
        content, blobs = await with_blobs(content, self.bot.storage.get)
        role_id = await self.subscriber_role_id(guild_id)
        plans = compose_issue(
            content,
            mention=f"<@&{role_id}>" if role_id else None,
            labels=compose_labels(),
            limits=self.limits(guild_id),
        )
        return issue, when, plans, blobs

    # ---- /newsletter apercu ---------------------------------------------------------
    @group.command(
        name="apercu", description="Voir la prochaine lettre exactement comme elle sera publiée"
    )
    @coordinator_only()
    async def preview(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            issue = await service.open_issue(session, interaction.guild_id)
        if issue is None:
            raise UserError("newsletter.no_open_issue")
        await interaction.response.defer(ephemeral=True, thinking=True)
        issue, when, plans, blobs = await self.compose_preview(interaction.guild_id, issue.id)
        state = (
            t("newsletter.preview_when_scheduled", locale, date=when_label(when, locale))
            if issue.status == IssueStatus.SCHEDULED
            else t("newsletter.preview_when_draft", locale, date=when_label(when, locale))
        )
        await interaction.followup.send(
            t(
                "newsletter.preview_header",
                locale,
                number=issue.number,
                messages=len(plans),
                when=state,
            ),
            ephemeral=True,
            allowed_mentions=NONE,
        )
        for plan in plans:
            kwargs: dict[str, Any] = {}
            if plan.embeds:
                kwargs["embeds"] = plan_embeds(plan)
            if plan.attachments:
                kwargs["files"] = plan_files(plan, blobs)
            await interaction.followup.send(
                plan.content or None, ephemeral=True, allowed_mentions=NONE, **kwargs
            )

    # ---- /newsletter planifier, publier, annuler, reessayer --------------------------
    async def _schedule(
        self,
        interaction: discord.Interaction,
        *,
        when_day: str | None,
        when_time: str | None,
        immediately: bool,
        introduction: str | None,
        fichier: discord.Attachment | None,
        resume: str | None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        locale = locale_of(interaction)
        # Every refusal happens before anything is stored or downloaded.
        if resume and fichier is None:
            raise UserError("newsletter.summary_without_file")
        if fichier is not None:
            if not (resume or "").strip():
                raise UserError("newsletter.summary_required")
            if fichier.size > service.PDF_MAX_BYTES:
                raise UserError(
                    "newsletter.file_too_big",
                    max_mb=service.PDF_MAX_BYTES // (1024 * 1024),
                    name=fichier.filename,
                )
        now = self.now()
        cadence, _ = await self.cadence(guild_id)
        with user_errors():
            if introduction is not None:
                service.clean_long_text(
                    introduction, "newsletter.intro_too_long", service.INTRO_MAX
                )
            if resume is not None:
                service.clean_long_text(resume, "newsletter.summary_too_long", service.SUMMARY_MAX)
            when = now if immediately else publication_instant(cadence, now, when_day, when_time)
            if when < now:
                raise NewsletterError("newsletter.when_past")
        channel_id = await self.newsletter_channel_id(guild_id)
        if channel_id is None:
            raise UserError("newsletter.no_channel")
        await interaction.response.defer(ephemeral=True, thinking=True)
        file = None
        if fichier is not None:
            try:
                data = await fichier.read()
            except discord.HTTPException as exc:
                raise UserError("newsletter.file_download_failed", name=fichier.filename) from exc
            with user_errors():
                service.check_pdf(data, fichier.filename)
            file = Attachment(
                fichier.filename, await self.bot.storage.put(data), len(data), "application/pdf"
            )
        first_number = await self.first_number(guild_id)  # not inside the transaction
        async with self.bot.db.transaction() as session:
            with user_errors():
                issue = await service.ensure_open_issue(
                    session,
                    guild_id,
                    first_number=first_number,
                    created_by=interaction.user.id,
                    now=now,
                )
                old_key = issue.publish_key if issue.status != IssueStatus.DRAFT else None
                key = await service.prepare_schedule(
                    session,
                    issue,
                    when=when,
                    now=now,
                    scheduled_by=interaction.user.id,
                    intro=introduction,
                    file=file,
                    summary=resume,
                )
            if old_key and old_key != key:
                await self.bot.scheduler.cancel(session, guild_id, dedupe_key=old_key)
            await self.bot.scheduler.schedule(
                session,
                guild_id=guild_id,
                kind=KIND_PUBLISH,
                due_at=when,
                payload={"issue_id": issue.id},
                dedupe_key=key,
                grace=PUBLISH_GRACE,
                created_by=interaction.user.id,
            )
            number, mode, file_name = issue.number, issue.mode, issue.file_name
            count = len(await service.issue_items(session, issue))
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="newsletter.publish_now" if immediately else "newsletter.schedule",
            target=f"lettre {number}",
            details={"due_at": when.isoformat(), "mode": mode},
        )
        heading = issue_heading(number, when, locale)
        if immediately:
            text = t(
                "newsletter.publishing_now", locale, heading=heading, channel=f"<#{channel_id}>"
            )
        else:
            content = (
                t("newsletter.scheduled_file", locale, name=file_name)
                if mode == IssueMode.FILE
                else t("newsletter.scheduled_items", locale, count=count)
            )
            role_note = (
                ""
                if await self.subscriber_role_id(guild_id)
                else t("newsletter.scheduled_no_role", locale)
            )
            text = t(
                "newsletter.scheduled",
                locale,
                heading=heading,
                date=when_label(when, locale),
                channel=f"<#{channel_id}>",
                content=content,
                role=role_note,
            )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    @group.command(name="planifier", description="Programmer la parution de la prochaine lettre")
    @app_commands.describe(
        date="Jour de parution, JJ/MM/AAAA (par défaut : la prochaine date du rythme)",
        heure="Heure de parution, ex. 9h ou 09:00 (par défaut : celle du rythme)",
        introduction="Quelques mots d'introduction en tête de la lettre",
        fichier="Une lettre faite ailleurs, en PDF (à la place des articles)",
        resume="Avec un PDF : le résumé publié sur Discord",
    )
    @coordinator_only()
    async def schedule(
        self,
        interaction: discord.Interaction,
        date: str | None = None,
        heure: str | None = None,
        introduction: app_commands.Range[str, 0, 4000] | None = None,
        fichier: discord.Attachment | None = None,
        resume: app_commands.Range[str, 0, 4000] | None = None,
    ) -> None:
        await self._schedule(
            interaction,
            when_day=date,
            when_time=heure,
            immediately=False,
            introduction=introduction,
            fichier=fichier,
            resume=resume,
        )

    @group.command(name="publier", description="Publier la prochaine lettre maintenant")
    @app_commands.describe(
        introduction="Quelques mots d'introduction en tête de la lettre",
        fichier="Une lettre faite ailleurs, en PDF (à la place des articles)",
        resume="Avec un PDF : le résumé publié sur Discord",
    )
    @coordinator_only()
    async def publish_now(
        self,
        interaction: discord.Interaction,
        introduction: app_commands.Range[str, 0, 4000] | None = None,
        fichier: discord.Attachment | None = None,
        resume: app_commands.Range[str, 0, 4000] | None = None,
    ) -> None:
        await self._schedule(
            interaction,
            when_day=None,
            when_time=None,
            immediately=True,
            introduction=introduction,
            fichier=fichier,
            resume=resume,
        )

    @group.command(
        name="annuler", description="Annuler la parution programmée (les articles restent acceptés)"
    )
    @coordinator_only()
    async def unschedule(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        # Database, role and audit-channel calls may take more than a second.
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.transaction() as session:
            issue = await service.open_issue(session, interaction.guild_id)
            if issue is None:
                raise UserError("newsletter.no_open_issue")
            with user_errors():
                key = await service.unschedule(session, issue, now=self.now())
            if key:
                await self.bot.scheduler.cancel(session, interaction.guild_id, dedupe_key=key)
            number = issue.number
        await self.bot.audit(
            interaction.guild_id,
            actor_id=interaction.user.id,
            action="newsletter.unschedule",
            target=f"lettre {number}",
        )
        await interaction.followup.send(
            t("newsletter.unscheduled", locale_of(interaction), number=number),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @group.command(name="reessayer", description="Relancer une parution en échec, après correction")
    @coordinator_only()
    async def retry(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        # Database, role and audit-channel calls may take more than a second.
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id
        channel_id = await self.newsletter_channel_id(guild_id)
        if channel_id is None or await self.bot.resolve_channel(channel_id) is None:
            raise UserError("newsletter.no_channel")
        retry_id: int | None = None
        async with self.bot.db.transaction() as session:
            issue = await service.open_issue(session, guild_id)
            if issue is None or issue.status == IssueStatus.DRAFT:
                raise UserError("newsletter.nothing_to_retry")
            delivery = None
            if issue.publish_key:
                delivery = await session.scalar(
                    select(ScheduledDelivery).where(
                        ScheduledDelivery.guild_id == guild_id,
                        ScheduledDelivery.dedupe_key == issue.publish_key,
                    )
                )
            if delivery is not None and delivery.status in DeliveryStatus.OPEN:
                raise UserError("newsletter.nothing_to_retry")
            if delivery is not None and delivery.status in (
                DeliveryStatus.FAILED,
                DeliveryStatus.SKIPPED,
            ):
                retry_id = delivery.id
            else:
                now = self.now()
                with user_errors():
                    key = await service.prepare_schedule(
                        session, issue, when=now, now=now, scheduled_by=interaction.user.id
                    )
                await self.bot.scheduler.schedule(
                    session,
                    guild_id=guild_id,
                    kind=KIND_PUBLISH,
                    due_at=now,
                    payload={"issue_id": issue.id},
                    dedupe_key=key,
                    grace=PUBLISH_GRACE,
                    created_by=interaction.user.id,
                )
            number = issue.number
        if retry_id is not None:
            await self.bot.scheduler.retry(guild_id, retry_id)
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="newsletter.retry",
            target=f"lettre {number}",
        )
        await interaction.followup.send(
            t(
                "newsletter.retried",
                locale_of(interaction),
                number=number,
                channel=f"<#{channel_id}>",
            ),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    # ---- /newsletter archives, abonnement, cadence ------------------------------------
    @group.command(name="archives", description="Les lettres déjà publiées")
    @member_only()
    async def archives(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            issues = await service.published_issues(session, interaction.guild_id)
        urls = self.urls(interaction.guild_id)
        lines = []
        for issue in issues[:25]:
            heading = (issue.snapshot or {}).get("heading") or issue_heading(
                issue.number, issue.published_at or self.now(), locale
            )
            links = ""
            if issue.document_id:
                links += t("newsletter.archives_doc", locale, document_id=issue.document_id)
            if urls.issue(issue.number):
                links += t("newsletter.archives_web", locale, url=urls.issue(issue.number))
            lines.append(
                t(
                    "newsletter.archives_line",
                    locale,
                    heading=heading,
                    date=day_label(issue.published_at or self.now(), locale),
                    links=links,
                )
            )
        description = "\n".join(lines) or t("newsletter.archives_empty", locale)
        if urls.feed() and issues:
            description += "\n\n" + t("newsletter.archives_feed", locale, url=urls.feed())
        embed = discord.Embed(
            title=t("newsletter.archives_title", locale),
            description=truncate(description, 4096),
            colour=discord.Colour.blurple(),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NONE)

    @group.command(
        name="abonnement",
        description="Être mentionné·e (ou ne plus l'être) à chaque nouvelle lettre",
    )
    @member_only()
    async def subscription(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        # Database, role and audit-channel calls may take more than a second.
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = locale_of(interaction)
        role_id = await self.bot.guild_config.get(interaction.guild.id, SETTING_ROLE)
        if not role_id:
            raise UserError("newsletter.no_role_configured")
        role = interaction.guild.get_role(int(role_id))
        if role is None:
            raise UserError("newsletter.role_missing")
        member = interaction.user
        assert isinstance(member, discord.Member)
        async with self.bot.db.transaction() as session:
            subscribed = await service.toggle_subscription(
                session, interaction.guild.id, member.id, now=self.now()
            )
            # Inside the transaction: if Discord refuses, nothing is recorded.
            try:
                if subscribed:
                    await member.add_roles(role, reason="/newsletter abonnement")
                else:
                    await member.remove_roles(role, reason="/newsletter abonnement")
            except discord.Forbidden as exc:
                raise UserError("newsletter.role_forbidden") from exc
        await interaction.followup.send(
            t("newsletter.subscribed" if subscribed else "newsletter.unsubscribed", locale),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @group.command(name="cadence", description="Voir ou changer le rythme de la lettre")
    @app_commands.describe(
        texte="Ex. : 1er mardi des mois impairs à 09:00, clôture J-7 (coordinateurs)"
    )
    @member_only()
    async def cadence_command(
        self, interaction: discord.Interaction, texte: app_commands.Range[str, 1, 200] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        prefix = ""
        # Database, role and audit-channel calls may take more than a second.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if texte is not None:
            await self.require_coordinator(interaction)
            with user_errors():
                cadence = parse_cadence(texte)
            await self.bot.guild_config.set(
                interaction.guild_id, SETTING_CADENCE, cadence.to_text(), by=interaction.user.id
            )
            await self.bot.audit(
                interaction.guild_id,
                actor_id=interaction.user.id,
                action="newsletter.cadence",
                target=cadence.to_text(),
            )
            await self.plan_guild(interaction.guild_id)
            prefix = t("newsletter.cadence_set", locale) + "\n"
        cadence, invalid = await self.cadence(interaction.guild_id)
        if invalid:
            prefix += t("newsletter.cadence_config_invalid", locale, text=invalid) + "\n"
        milestones = cadence.milestones(cadence.next_publication(self.now()))
        text = prefix + t(
            "newsletter.cadence_show",
            locale,
            cadence=cadence.to_text(),
            publication=when_label(milestones.publication, locale),
            call=when_label(milestones.call_for_items, locale),
            deadline_reminder=when_label(milestones.deadline_reminder, locale),
            deadline=when_label(milestones.deadline, locale),
            publication_reminder=when_label(milestones.publication_reminder, locale),
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    # ---- scheduled deliveries -------------------------------------------------------
    async def _poster_for(self, channel_id: int, role_id: int | None) -> DiscordPoster:
        try:
            channel = await self.bot.resolve_channel(channel_id)
        except discord.Forbidden as exc:
            raise ChannelUnavailable(f"channel {channel_id} not visible") from exc
        if channel is None or not hasattr(channel, "send"):
            raise ChannelUnavailable(f"channel {channel_id} not found")
        return DiscordPoster(channel, role_id)

    async def _archive(
        self,
        guild_id: int,
        issue: NewsletterIssue,
        content: IssueContent,
        blobs: dict[str, bytes],
    ) -> int:
        """File the published issue in the library (PDF as is, or the letter as HTML)."""
        urls = self.urls(guild_id)
        if content.file is not None:
            data = blobs[content.file.sha256]
            filename = content.file.filename
            mime = "application/pdf"
            text = content.summary
        else:
            image_url = None
            if urls.base:

                def image_url(item: Any) -> str:
                    return urls.image(content.number, item.item_id) or ""

            data = issue_html(content, image_url=image_url).encode("utf-8")
            when = content.published_at or self.now()
            filename = f"{issue_slug(content.number, when)}.html"
            mime = "text/html"
            text = issue_markdown(content)
        document = await self.bot.documents.add(
            guild_id=guild_id,
            title=content.heading,
            data=data,
            filename=filename,
            category=ARCHIVE_CATEGORY,
            tags=["lettre d'information", f"lettre-{content.number}"],
            origin=DocumentOrigin.NEWSLETTER,
            owner_id=issue.created_by,
            description=truncate(content.intro or content.summary, 500),
            mime_type=mime,
            text=text,
        )
        return int(document.id)

    async def run_publication(self, delivery: ScheduledDelivery) -> dict[str, Any]:
        guild_id = delivery.guild_id
        issue_id = int(delivery.payload["issue_id"])
        channel_id = await self.newsletter_channel_id(guild_id)
        role_id = await self.subscriber_role_id(guild_id)

        async def poster_for(cid: int) -> DiscordPoster:
            return await self._poster_for(cid, role_id)

        async def archive(
            issue: NewsletterIssue, content: IssueContent, blobs: dict[str, bytes]
        ) -> int:
            return await self._archive(guild_id, issue, content, blobs)

        try:
            result = await publish_issue(
                self.bot.db,
                guild_id=guild_id,
                issue_id=issue_id,
                channel_id=channel_id,
                poster_for=poster_for,
                load_blob=self.bot.storage.get,
                archive=archive,
                urls=self.urls(guild_id),
                now=self.now(),
                nonce_prefix=delivery.nonce,
                publish_key=delivery.dedupe_key,
                mention=f"<@&{role_id}>" if role_id else None,
                labels=compose_labels(),
                limits=self.limits(guild_id),
            )
        except ChannelUnavailable as exc:
            async with self.bot.db.session() as session:
                number = await self._issue_number(session, issue_id)
            detail = (
                t("newsletter.publish_no_channel", "fr")
                if channel_id is None
                else t("newsletter.publish_channel_gone", "fr", channel_id=channel_id)
            )
            raise PermanentDeliveryError(
                "newsletter.publish_channel_failed", number=number, detail=detail
            ) from exc
        except NewsletterError as exc:
            raise PermanentDeliveryError(
                "newsletter.publish_issue_gone", delivery_id=delivery.id
            ) from exc
        if not (result.already_published or result.stale):
            heading = issue_heading(result.number, self.now())
            async with self.bot.db.session() as session:
                issue = await session.get(NewsletterIssue, issue_id)
                if issue is not None and issue.snapshot:
                    heading = issue.snapshot.get("heading", heading)
            await self.bot.audit(
                guild_id,
                actor_id=None,
                action="newsletter.published",
                target=f"lettre {result.number}",
                details=result.to_dict(),
            )
            report = t(
                "newsletter.published_report",
                "fr",
                heading=heading,
                channel_id=result.channel_id,
                messages=len(result.message_ids),
                document_id=result.document_id,
            )
            online = self.urls(guild_id).issue(result.number)
            if online:
                report += "\n" + t("newsletter.published_online", "fr", url=online)
            await self.bot.notify_coordinators(guild_id, report)
        return result.to_dict()

    async def post_call_for_items(self, delivery: ScheduledDelivery) -> dict[str, Any]:
        guild_id = delivery.guild_id
        channel_id = await self.newsletter_channel_id(guild_id)
        if channel_id is None:
            return {"skipped": "no newsletter channel"}
        channel = await self.bot.resolve_channel(channel_id)
        if channel is None:
            raise PermanentDeliveryError("core.delivery.channel_missing", channel_id=channel_id)
        publication = datetime.fromisoformat(delivery.payload["publication"])
        deadline = datetime.fromisoformat(delivery.payload["deadline"])
        text = t(
            "newsletter.call_for_items",
            "fr",
            period=period_label(publication),
            deadline=when_label(deadline),
        )
        try:
            message = await channel.send(text, allowed_mentions=NONE, nonce=delivery.nonce)
        except discord.NotFound as exc:
            raise PermanentDeliveryError(
                "core.delivery.channel_missing", channel_id=channel_id
            ) from exc
        except discord.Forbidden as exc:
            raise PermanentDeliveryError(
                "core.delivery.forbidden", channel_id=channel_id, detail=exc.text
            ) from exc
        return {"channel_id": channel_id, "message_id": message.id}

    async def send_reminder(self, delivery: ScheduledDelivery) -> dict[str, Any]:
        guild_id = delivery.guild_id
        payload = delivery.payload
        publication = datetime.fromisoformat(payload["publication"])
        async with self.bot.db.session() as session:
            counts = await service.issue_counts(session, guild_id)
            issue = await service.open_issue(session, guild_id)
        period = period_label(publication)
        if payload.get("reminder") == "deadline":
            text = t(
                "newsletter.remind_deadline",
                "fr",
                period=period,
                deadline=when_label(datetime.fromisoformat(payload["deadline"])),
                pending=counts[ItemStatus.PENDING],
                accepted=counts[ItemStatus.ACCEPTED],
            )
        else:
            scheduled = issue is not None and issue.status == IssueStatus.SCHEDULED
            state = t(
                "newsletter.remind_state_scheduled"
                if scheduled
                else "newsletter.remind_state_not_scheduled",
                "fr",
                accepted=counts[ItemStatus.ACCEPTED],
                pending=counts[ItemStatus.PENDING],
            )
            when = (
                issue.scheduled_for if scheduled and issue and issue.scheduled_for else publication
            )
            text = t(
                "newsletter.remind_publication",
                "fr",
                period=period,
                publication=when_label(when),
                state=state,
            )
        notified = await self.bot.notify_coordinators(guild_id, text)
        return {"notified": notified, "reminder": payload.get("reminder")}

    # ---- the periodic planner -------------------------------------------------------
    async def plan_all(self) -> None:
        async with self.bot.db.session() as session:
            guild_ids = list(await session.scalars(select(Guild.id).where(Guild.left_at.is_(None))))
        for guild_id in guild_ids:
            try:
                await self.plan_guild(guild_id)
            except Exception:
                log.exception("newsletter planner failed for guild %s", guild_id)

    async def plan_guild(self, guild_id: int) -> None:
        """Schedule the call for items and the reminders of the coming publications."""
        async with self._planning:
            try:
                await self._plan_guild(guild_id)
            except IntegrityError:
                # Another process planned the same keys at the same moment: its rows stand.
                log.info("newsletter planner raced for guild %s; planning again", guild_id)
                await self._plan_guild(guild_id)

    async def _plan_guild(self, guild_id: int) -> None:
        now = self.now()
        planned = []
        if await self.newsletter_channel_id(guild_id) is not None:
            cadence, _ = await self.cadence(guild_id)
            planned = planned_deliveries(cadence, now)
        async with self.bot.db.transaction() as session:
            # Only future ones: a delivery already due belongs to the dispatcher, which may
            # not have fired it yet (the planner runs first after a clock jump).
            pending = set(
                await session.scalars(
                    select(ScheduledDelivery.dedupe_key).where(
                        ScheduledDelivery.guild_id == guild_id,
                        ScheduledDelivery.kind.in_(PLANNED_KINDS),
                        ScheduledDelivery.status == DeliveryStatus.PENDING,
                        ScheduledDelivery.due_at > now,
                    )
                )
            )
            for key in stale_keys({k for k in pending if k}, planned):
                await self.bot.scheduler.cancel(session, guild_id, dedupe_key=key)
            for delivery in planned:
                await self.bot.scheduler.schedule(
                    session,
                    guild_id=guild_id,
                    kind=delivery.kind,
                    due_at=delivery.due_at,
                    payload=delivery.payload,
                    dedupe_key=delivery.dedupe_key,
                    grace=REMINDER_GRACE,
                )


def register_deliveries(bot: AiguillageBot, cog: NewsletterCog) -> None:
    bot.scheduler.register_handler(KIND_PUBLISH, handle_publish)
    bot.scheduler.register_handler(KIND_CALL, handle_call)
    bot.scheduler.register_handler(KIND_REMIND, handle_remind)
    bot.scheduler.add_periodic("newsletter.planner", cog.plan_all, hours=1)
