"""Embeds for the charter, from plain data."""

from __future__ import annotations

import discord

from bot.i18n import t
from cogs.charter.extract import excerpt_pages
from cogs.charter.tracking import UNKNOWN_STRUCTURE, Tracking
from db.models.charter import CharterVersion

COLOUR = 0x1F6FB2


def charter_pages(
    version: CharterVersion, locale: str, accepted_at: str | None
) -> list[discord.Embed]:
    pages = excerpt_pages(version.text)
    embeds = []
    for index, text in enumerate(pages):
        embed = discord.Embed(
            title=t("charter.title", locale, label=version.label), description=text, colour=COLOUR
        )
        if index == 0 and version.summary:
            embed.add_field(
                name=t("charter.summary_field", locale), value=version.summary[:1024], inline=False
            )
        status = (
            t("charter.you_accepted", locale, when=accepted_at)
            if accepted_at
            else t("charter.you_pending", locale)
        )
        embed.set_footer(
            text=t(
                "charter.footer",
                locale,
                page=index + 1,
                pages=len(pages),
                date=version.published_at.astimezone().strftime("%d/%m/%Y"),
                status=status,
            )
        )
        embeds.append(embed)
    return embeds


def announcement_embed(version: CharterVersion) -> discord.Embed:
    embed = discord.Embed(
        title=t("charter.new_version_title", "fr", label=version.label),
        description=t("charter.new_version_body", "fr"),
        colour=COLOUR,
    )
    if version.summary:
        embed.add_field(
            name=t("charter.summary_field", "fr"), value=version.summary[:1024], inline=False
        )
    return embed


def tracking_embed(tracking: Tracking, locale: str) -> discord.Embed:
    total = len(tracking.members)
    embed = discord.Embed(
        title=t("charter.tracking_title", locale, label=tracking.version_label),
        description=t("charter.tracking_summary", locale, accepted=tracking.accepted, total=total),
        colour=COLOUR,
    )
    lines = [
        t(
            "charter.tracking_structure",
            locale,
            name=t("charter.no_structure", locale)
            if s.structure_name == UNKNOWN_STRUCTURE
            else s.structure_name,
            accepted=s.accepted,
            total=s.total,
        )
        for s in tracking.structures
    ]
    if lines:
        embed.add_field(
            name=t("charter.tracking_by_structure", locale),
            value="\n".join(lines)[:1024],
            inline=False,
        )
    pending = [f"<@{m.user_id}> ({m.structure_name})" for m in tracking.pending]
    if pending:
        text = "\n".join(pending)
        if len(text) > 1024:
            text = text[:980].rsplit("\n", 1)[0] + "\n" + t("charter.tracking_more", locale)
        embed.add_field(
            name=t("charter.tracking_pending", locale, count=len(pending)), value=text, inline=False
        )
    embed.set_footer(text=t("charter.tracking_csv", locale))
    return embed
