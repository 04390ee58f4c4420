"""Embeds for /audit, from audit rows."""

from __future__ import annotations

import discord

from bot.i18n import t
from db.models.core import AuditEntry

LINE_MAX = 380


def audit_line(entry: AuditEntry, structure_names: dict[int, str]) -> str:
    actor = f"<@{entry.actor_id}>" if entry.actor_id else t("audit.system", "fr")
    line = f"<t:{int(entry.at.timestamp())}:f> · {actor} · `{entry.action}`"
    if entry.target:
        line += f" · {discord.utils.escape_markdown(entry.target)}"
    if entry.structure_id is not None:
        line += f" · {structure_names.get(entry.structure_id, '#' + str(entry.structure_id))}"
    return line[:LINE_MAX]


def audit_embed(
    entries: list[AuditEntry],
    *,
    total: int,
    page: int,
    pages: int,
    structure_names: dict[int, str],
    locale: str,
) -> discord.Embed:
    if not entries:
        return discord.Embed(
            title=t("audit.title", locale, total=0), description=t("audit.empty", locale)
        )
    embed = discord.Embed(
        title=t("audit.title", locale, total=total),
        description="\n".join(audit_line(e, structure_names) for e in entries)[:4000],
        colour=0x5B6770,
    )
    embed.set_footer(text=t("audit.page", locale, page=page + 1, pages=pages))
    return embed
