"""Discord embeds for the observatory, from the figures and their sentences (texts.py).

Discord's limits shape this module: 4,096 characters per embed description, 1,024 per
field, 6,000 for all embeds of a message, 10 embeds and 10 files per message. Long lists
are cut with "… and N more" and the full detail is in the report and on the web page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import discord

from bot.i18n import t

from . import texts
from .charts import Chart
from .figures import Observatory

COLOUR = discord.Colour.from_rgb(46, 117, 182)
DESCRIPTION_BUDGET = 2_400  # leaves room in the 6,000 total for titles, fields, footers
FIELD_BUDGET = 1_000

SECTIONS = ("synthese", "couverture", "manques", "demande", "fraicheur", "orientations")
# Which charts illustrate each section.
SECTION_CHARTS = {
    "synthese": ("couverture", "horaires", "demande", "tendance"),
    "couverture": ("couverture", "horaires"),
    "manques": ("couverture",),
    "demande": ("demande", "tendance"),
    "fraicheur": (),
    "orientations": (),
}


@dataclass
class Rendered:
    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)


def pack(lines: list[str], budget: int, locale: str) -> str:
    """As many whole lines as fit in ``budget`` characters, then "… et N de plus"."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        cost = len(line) + 1
        if used + cost > budget - 60:
            kept.append(t("observatory.more", locale, count=len(lines) - index))
            break
        kept.append(line)
        used += cost
    return "\n".join(kept) or t("observatory.none", locale)


def _bullets(lines: list[str]) -> list[str]:
    return [f"• {line}" for line in lines]


def section_lines(obs: Observatory, section: str, locale: str, freshness_days: int) -> list[str]:
    if section == "synthese":
        return _bullets(
            texts.summary_lines(obs, locale, freshness_days)
            + texts.procedures_time_lines(obs, locale)
        )
    if section == "couverture":
        return texts.procedures_time_lines(obs, locale) + _bullets(
            texts.coverage_lines(obs, locale)
        )
    if section == "manques":
        main = _bullets(texts.gap_lines(obs, locale))
        return main or [t("observatory.gap.empty", locale)]
    if section == "demande":
        return _bullets(texts.demand_lines(obs, locale))
    if section == "fraicheur":
        lines = _bullets(texts.freshness_lines(obs, locale, freshness_days))
        if obs.freshness.charter_version is not None:
            lines.append(
                "**"
                + t(
                    "observatory.freshness.charter_heading",
                    locale,
                    version=obs.freshness.charter_version,
                )
                + "**"
            )
        return lines + _bullets(texts.charter_lines(obs, locale))
    if section == "orientations":
        return _bullets(texts.flow_lines(obs, locale))
    raise ValueError(section)


SECTION_TITLES = {
    "synthese": "summary",
    "couverture": "coverage",
    "manques": "gaps",
    "demande": "demand",
    "fraicheur": "freshness",
    "orientations": "flow",
}


def section_message(
    obs: Observatory,
    section: str,
    charts: list[Chart],
    locale: str,
    *,
    freshness_days: int = 182,
) -> Rendered:
    """One message: the section's text in the first embed, one embed per chart."""
    rendered = Rendered()
    main = discord.Embed(
        title=f"{texts.title(obs, locale)} · {t(f'observatory.section.{SECTION_TITLES[section]}', locale)}",
        description=pack(
            section_lines(obs, section, locale, freshness_days), DESCRIPTION_BUDGET, locale
        ),
        colour=COLOUR,
    )
    if section == "synthese":
        main.add_field(
            name=t("observatory.section.comparison", locale),
            value=pack(texts.comparison_lines(obs, locale), FIELD_BUDGET, locale),
            inline=False,
        )
        if obs.unmet:
            main.add_field(
                name=t("observatory.section.demand", locale),
                value=pack(_bullets(texts.need_lines(obs, locale)[:5]), FIELD_BUDGET, locale),
                inline=False,
            )
        gaps = texts.gap_lines(obs, locale)
        if gaps:
            main.add_field(
                name=t("observatory.section.gaps", locale),
                value=pack(_bullets(gaps[:6]), FIELD_BUDGET, locale),
                inline=False,
            )
    main.set_footer(text=texts.subtitle(obs, locale))
    rendered.embeds.append(main)
    wanted = SECTION_CHARTS[section]
    for chart in (c for c in charts if c.name in wanted):
        rendered.files.append(discord.File(io.BytesIO(chart.png), filename=chart.filename))
        if len(rendered.embeds) == 1 and rendered.embeds[0].image.url is None:
            rendered.embeds[0].set_image(url=f"attachment://{chart.filename}")
        else:
            embed = discord.Embed(title=chart.title, colour=COLOUR)
            embed.set_image(url=f"attachment://{chart.filename}")
            rendered.embeds.append(embed)
    return rendered
