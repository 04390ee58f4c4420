"""Embeds and text for the referents capability, from plain data."""

from __future__ import annotations

import discord

from bot.i18n import t
from cogs.referents.assignments import StructureReferents
from cogs.referents.reconcile import ReconcilePlan

EMBED_LIMIT = 4000


def overview_embeds(rows: list[StructureReferents], locale: str) -> list[discord.Embed]:
    """/referent liste: who represents which structure, then the structures with none."""
    covered = [r for r in rows if not r.uncovered]
    uncovered = [r for r in rows if r.uncovered]
    lines = []
    for row in covered:
        people = " ".join(f"<@{u}>" for u in row.titulars) or t("referents.list_none", locale)
        line = f"**{row.name}** — {people}"
        if row.deputies:
            deputies = " ".join(f"<@{u}>" for u in row.deputies)
            line += " " + t("referents.list_deputies", locale, deputies=deputies)
        lines.append(line)
    embeds: list[discord.Embed] = []
    title = t("referents.list_title", locale, covered=len(covered), total=len(rows))
    for chunk in _chunks(lines or [t("referents.list_empty", locale)]):
        embeds.append(
            discord.Embed(title=title if not embeds else None, description=chunk, colour=0x2E8B57)
        )
    if uncovered:
        names = [f"• {row.name}" for row in uncovered]
        for index, chunk in enumerate(_chunks(names)):
            embeds.append(
                discord.Embed(
                    title=t("referents.list_uncovered", locale, count=len(uncovered))
                    if index == 0
                    else None,
                    description=chunk,
                    colour=0xD9822B,
                )
            )
    return embeds[:10]


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > EMBED_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def reconcile_report(
    plan_repaired: ReconcilePlan,
    *,
    created: list[str],
    departed_lines: list[str],
    failures: list[str],
    global_role_missing: bool,
) -> str | None:
    """The message coordinators get after a reconciliation that changed or found something."""
    lines: list[str] = []
    if created:
        lines.append(t("referents.report_created", "fr", roles=", ".join(created)))
    if plan_repaired.grants:
        people = ", ".join(f"<@{u}>" for u, _ in plan_repaired.grants)
        lines.append(
            t("referents.report_granted", "fr", count=len(plan_repaired.grants), people=people)
        )
    if plan_repaired.revokes:
        pairs = ", ".join(f"<@{u}> (<@&{r}>)" for u, r in plan_repaired.revokes)
        lines.append(
            t("referents.report_revoked", "fr", count=len(plan_repaired.revokes), pairs=pairs)
        )
    lines.extend(departed_lines)
    if global_role_missing:
        lines.append(t("referents.report_global_missing", "fr"))
    lines.extend(failures)
    if not lines:
        return None
    return (t("referents.report_title", "fr") + "\n" + "\n".join(f"• {line}" for line in lines))[
        :1900
    ]
