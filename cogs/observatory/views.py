"""Buttons under an observatory message: another section, or the COPIL report, for the
same period. ``DynamicItem``s whose custom_id carries the section and the period, so they
keep working after a restart; the clicker's rights are checked on every click."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import report_interaction_error
from bot.i18n import t

from .render import SECTIONS

if TYPE_CHECKING:
    from .cog import ObservatoryCog


def _cog(interaction: discord.Interaction) -> ObservatoryCog:
    cog = interaction.client.get_cog("ObservatoryCog")  # type: ignore[attr-defined]
    assert cog is not None
    return cog  # type: ignore[return-value]


class SectionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # The period is its slug (2026-S1, 2026, 2026-T2, 2026-03, 2026-01-01_2026-06-30).
    template=r"obs:(?P<section>[a-z]+):(?P<period>[0-9A-Za-z_-]{4,24})",
):
    def __init__(self, section: str, period: str, label: str = "") -> None:
        style = (
            discord.ButtonStyle.primary if section == "rapport" else discord.ButtonStyle.secondary
        )
        super().__init__(
            discord.ui.Button(
                label=label or section, style=style, custom_id=f"obs:{section}:{period}"
            )
        )
        self.section = section
        self.period = period

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SectionButton:
        return cls(match["section"], match["period"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        try:
            if self.section == "rapport":
                await cog.send_report(interaction, self.period)
            elif self.section in SECTIONS:
                await cog.send_section(interaction, self.period, self.section, publish=False)
        except Exception as error:
            await report_interaction_error(interaction, error)


def sections_view(period_slug: str, current: str, locale: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for section in SECTIONS:
        if section == current:
            continue
        view.add_item(
            SectionButton(section, period_slug, t(f"observatory.section_choice.{section}", locale))
        )
    view.add_item(SectionButton("rapport", period_slug, t("observatory.button_report", locale)))
    return view


DYNAMIC_ITEMS = (SectionButton,)
