"""Embeds and lines for the library, from plain data (documents, search pages, tags)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.clock import PARIS
from bot.documents import SearchPage
from bot.i18n import catalogues, t
from bot.library.snippets import Segment
from db.models.documents import Document

COLOUR = discord.Colour.from_rgb(46, 134, 171)
FIELD_VALUE_LIMIT = 1024


def local_date(value: datetime) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y")


def category_label(category: str, locale: str) -> str:
    if not category:
        return t("library.none", locale)
    key = f"library.category.{category}"
    # Other capabilities may file under a category of their own: shown as it is.
    return t(key, locale) if catalogues().has(key) else category


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} Mo"
    return f"{max(1, round(size / 1024))} ko"


def snippet_markdown(segments: Sequence[Segment], limit: int = 300) -> str:
    """Discord markdown for a snippet: the document's own text escaped, matches in bold."""
    out = []
    for segment in segments:
        text = discord.utils.escape_markdown(discord.utils.escape_mentions(segment.text))
        out.append(f"**{text}**" if segment.highlighted else text)
    rendered = "".join(out)
    return rendered if len(rendered) <= limit else rendered[: limit - 1] + "…"


def meta_line(document: Document, locale: str) -> str:
    tags = " ".join(f"`{tag}`" for tag in document.tags[:6])
    line = t(
        "library.meta_line",
        locale,
        category=category_label(document.category, locale),
        versions=len(document.versions),
        date=local_date(document.updated_at),
    )
    return f"{line} {tags}".strip()


def document_field(number: int, document: Document, snippet: str, locale: str) -> tuple[str, str]:
    name = f"{number}. {document.title}"[:256]
    value = "\n".join(part for part in (snippet, meta_line(document, locale)) if part)
    return name, value[:FIELD_VALUE_LIMIT]


def results_embed(
    page: SearchPage, query: str, locale: str, filters_text: str | None, per_page: int
) -> discord.Embed:
    embed = discord.Embed(
        title=t("library.results_title", locale, query=query[:200])[:256], colour=COLOUR
    )
    notes = []
    if page.strategy == "corrected" and page.corrected_query:
        notes.append(t("library.results_corrected", locale, corrected=page.corrected_query))
    elif page.strategy == "any":
        notes.append(t("library.results_any", locale))
    elif page.strategy == "fuzzy":
        notes.append(t("library.results_fuzzy", locale))
    if filters_text:
        notes.append(t("library.filters", locale, filters=filters_text))
    if not page.hits:
        notes.append(t("library.no_result", locale, query=query[:200]))
    embed.description = "\n".join(notes)[:4000] or None
    for n, hit in enumerate(page.hits, start=1):
        name, value = document_field(n, hit.document, snippet_markdown(hit.snippet), locale)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=t("library.page", locale, page=page.page + 1))
    return embed


def recent_embed(documents: Sequence[Document], locale: str) -> discord.Embed:
    embed = discord.Embed(title=t("library.recent_title", locale), colour=COLOUR)
    if not documents:
        embed.description = t("library.recent_empty", locale)
    for n, document in enumerate(documents, start=1):
        description = discord.utils.escape_markdown(document.description[:200])
        name, value = document_field(n, document, description, locale)
        embed.add_field(name=name, value=value, inline=False)
    return embed


def tags_embed(tags: Sequence[tuple[str, int]], locale: str) -> discord.Embed:
    embed = discord.Embed(title=t("library.tags_title", locale), colour=COLOUR)
    if not tags:
        embed.description = t("library.tags_empty", locale)
        return embed
    lines = [f"`{tag}` × {count}" for tag, count in tags]
    text = ""
    for line in lines:
        if len(text) + len(line) + 3 > 4000:
            text += "\n…"
            break
        text += (" · " if text else "") + line
    embed.description = text
    embed.set_footer(text=t("library.tags_footer", locale))
    return embed


def card_embed(document: Document, locale: str, structure_name: str | None) -> discord.Embed:
    embed = discord.Embed(
        title=t("library.card_title", locale, title=document.title)[:256],
        description=discord.utils.escape_markdown(document.description)[:4000] or None,
        colour=COLOUR,
    )
    if document.link_url:
        embed.url = document.link_url
    nobody = t("library.nobody", locale)
    embed.add_field(
        name=t("library.card_category", locale), value=category_label(document.category, locale)
    )
    embed.add_field(
        name=t("library.card_tags", locale),
        value=" ".join(f"`{tag}`" for tag in document.tags) or t("library.none", locale),
    )
    if structure_name:
        embed.add_field(name=t("library.card_structure", locale), value=structure_name[:1024])
    origin_key = f"library.origin.{document.origin}"
    origin = t(origin_key, locale)
    embed.add_field(
        name=t("library.card_origin", locale),
        value=document.origin if origin == origin_key else origin,
    )
    embed.add_field(
        name=t("library.card_added", locale),
        value=t(
            "library.card_added_value",
            locale,
            owner=f"<@{document.owner_id}>" if document.owner_id else nobody,
            date=local_date(document.created_at),
        ),
        inline=False,
    )
    lines = []
    for version in reversed(document.versions):
        file_part = (
            f" — {discord.utils.escape_markdown(version.filename)} ({human_size(version.size)})"
            if version.filename
            else (f" — {version.link_url}" if version.link_url else "")
        )
        note = f" — « {discord.utils.escape_markdown(version.note)} »" if version.note else ""
        lines.append(
            t(
                "library.card_version_line",
                locale,
                number=version.number,
                date=local_date(version.added_at),
                who=f"<@{version.added_by}>" if version.added_by else nobody,
                file=file_part,
                note=note,
            )
        )
    value = ""
    for line in lines:
        if len(value) + len(line) + 1 > FIELD_VALUE_LIMIT - 2:
            value += "\n…"
            break
        value += ("\n" if value else "") + line
    embed.add_field(name=t("library.card_versions", locale), value=value or "—", inline=False)
    embed.set_footer(text=f"n°{document.id}")
    return embed
