"""Discord messages of `/guide`, from plain data."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.i18n import t


@dataclass(frozen=True)
class GuideLinks:
    home: str
    pdf: str
    print_page: str
    data_page: str
    csv: str
    json: str
    datapackage: str


def links_embed(title: str, links: GuideLinks, place_count: int, locale: str) -> discord.Embed:
    embed = discord.Embed(
        title=t("guide.embed_title", locale, title=title),
        description=t("guide.embed_description", locale, url=links.home, count=place_count),
        url=links.home,
        colour=discord.Colour.dark_blue(),
    )
    embed.add_field(
        name=t("guide.embed_print", locale),
        value=t("guide.embed_print_value", locale, pdf=links.pdf, page=links.print_page),
        inline=False,
    )
    embed.add_field(
        name=t("guide.embed_data", locale),
        value=t(
            "guide.embed_data_value",
            locale,
            csv=links.csv,
            json=links.json,
            datapackage=links.datapackage,
            page=links.data_page,
        ),
        inline=False,
    )
    embed.set_footer(text=t("guide.embed_footer", locale))
    return embed
