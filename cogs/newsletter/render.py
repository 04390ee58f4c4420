"""Discord objects (embeds, files, mentions) from the newsletter's plain data."""

from __future__ import annotations

import io
from datetime import datetime

import discord
from babel.dates import format_datetime

from bot.i18n import t
from cogs.newsletter.cadence import PARIS
from cogs.newsletter.compose import (
    EMBED_COLOR,
    EMBED_DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    Labels,
    MessagePlan,
    truncate,
)
from db.models.newsletter import ItemStatus, NewsletterItem


def when_label(moment: datetime, locale: str = "fr") -> str:
    """ "mardi 5 janvier 2027 à 09:00" on the Paris wall clock."""
    pattern = "EEEE d MMMM yyyy 'à' HH:mm" if locale == "fr" else "EEEE d MMMM yyyy 'at' HH:mm"
    return format_datetime(moment.astimezone(PARIS), pattern, locale=locale)


def day_label(moment: datetime, locale: str = "fr") -> str:
    """ "5 janvier 2027" on the Paris calendar."""
    return format_datetime(moment.astimezone(PARIS), "d MMMM yyyy", locale=locale)


def compose_labels() -> Labels:
    """What the composition adds around the content, in French (posts speak French)."""
    return Labels(
        continued=t("newsletter.compose.continued", "fr"),
        structure=t("newsletter.compose.structure", "fr"),
        link=t("newsletter.compose.link", "fr"),
        read_online=t("newsletter.compose.read_online", "fr"),
        download_pdf=t("newsletter.compose.download_pdf", "fr"),
        summary=t("newsletter.compose.summary", "fr"),
        empty=t("newsletter.compose.empty", "fr"),
    )


def plan_embeds(plan: MessagePlan) -> list[discord.Embed]:
    return [discord.Embed.from_dict(data) for data in plan.to_dict()["embeds"]]


def plan_files(plan: MessagePlan, blobs: dict[str, bytes]) -> list[discord.File]:
    """The attachments of one planned message; ``blobs`` maps file name (or sha) to bytes."""
    files = []
    for attachment in plan.attachments:
        data = blobs.get(attachment.filename)
        if data is None:
            data = blobs[attachment.sha256]
        files.append(discord.File(io.BytesIO(data), filename=attachment.filename))
    return files


def mentions_for(role_id: int | None) -> discord.AllowedMentions:
    """Only the opt-in newsletter role may be pinged; never everyone, users or other roles."""
    return discord.AllowedMentions(
        everyone=False,
        users=False,
        roles=[discord.Object(role_id)] if role_id else False,
        replied_user=False,
    )


def status_text(item: NewsletterItem, locale: str, *, issue_number: int | None = None) -> str:
    reviewer = f"<@{item.reviewed_by}>" if item.reviewed_by else "—"
    if item.status == ItemStatus.ACCEPTED:
        return t(
            "newsletter.status_accepted", locale, reviewer=reviewer, number=issue_number or "?"
        )
    if item.status == ItemStatus.REFUSED:
        return t(
            "newsletter.status_refused",
            locale,
            reviewer=reviewer,
            reason=truncate(item.refusal_reason or "", 900),
        )
    if item.status == ItemStatus.PUBLISHED:
        return t("newsletter.status_published", locale, number=issue_number or "?")
    return t("newsletter.status_pending", locale)


def review_card(
    item: NewsletterItem,
    locale: str,
    *,
    structure_name: str | None = None,
    issue_number: int | None = None,
    image_filename: str | None = None,
) -> discord.Embed:
    """What coordinators see of a proposal (in the review channel and in /newsletter file)."""
    embed = discord.Embed(
        title=truncate(t("newsletter.card_title", locale, item_id=item.id, title=item.title), 256),
        description=truncate(item.body, EMBED_DESCRIPTION_LIMIT),
        colour=EMBED_COLOR,
        url=item.link_url or None,
    )
    embed.add_field(name=t("newsletter.card_by", locale), value=f"<@{item.submitter_id}>")
    if structure_name:
        embed.add_field(
            name=t("newsletter.card_structure", locale),
            value=truncate(structure_name, FIELD_VALUE_LIMIT),
        )
    if item.link_url:
        embed.add_field(
            name=t("newsletter.card_link", locale), value=truncate(item.link_url, FIELD_VALUE_LIMIT)
        )
    if item.image_sha256 and not image_filename:
        embed.add_field(name=t("newsletter.card_image", locale), value=item.image_filename or "✓")
    embed.add_field(
        name=t("newsletter.card_status", locale),
        value=status_text(item, locale, issue_number=issue_number),
        inline=False,
    )
    if image_filename:
        embed.set_image(url=f"attachment://{image_filename}")
    embed.timestamp = item.submitted_at
    return embed
