"""Embeds for onboarding: the charter shown to newcomers, the request shown to deciders."""

from __future__ import annotations

import discord

from bot.i18n import t
from db.models.charter import CharterVersion
from db.models.onboarding import OnboardingRequest, OnboardingStatus

EXCERPT = 1500
COLOURS = {
    OnboardingStatus.PENDING: 0xE3A21A,
    OnboardingStatus.APPROVED: 0x2E8B57,
    OnboardingStatus.REFUSED: 0xB03A2E,
    OnboardingStatus.CANCELLED: 0x808080,
}


def charter_embed(
    version: CharterVersion | None, structure_name: str, locale: str
) -> discord.Embed:
    """What a newcomer accepts: the current charter's label, summary and opening text."""
    if version is None:
        return discord.Embed(
            title=t("onboarding.confirm_title", locale, structure=structure_name),
            description=t("onboarding.no_charter", locale),
            colour=0x1F6FB2,
        )
    text = (
        version.text
        if len(version.text) <= EXCERPT
        else version.text[:EXCERPT].rsplit(" ", 1)[0] + " […]"
    )
    embed = discord.Embed(
        title=t("onboarding.charter_title", locale, label=version.label),
        description=text,
        colour=0x1F6FB2,
    )
    embed.add_field(
        name=t("onboarding.structure_field", locale), value=structure_name, inline=False
    )
    embed.set_footer(text=t("onboarding.charter_footer", locale))
    return embed


def request_embed(
    request: OnboardingRequest,
    *,
    structure_name: str,
    charter_label: str | None,
) -> discord.Embed:
    """The message deciders see; it is edited when the request is decided."""
    embed = discord.Embed(
        title=t("onboarding.request_title", "fr"),
        description=t(
            "onboarding.request_body",
            "fr",
            member=f"<@{request.user_id}>",
            structure=structure_name,
        ),
        colour=COLOURS.get(request.status, 0x808080),
    )
    embed.add_field(
        name=t("onboarding.charter_field", "fr"),
        value=t("onboarding.charter_accepted", "fr", label=charter_label)
        if charter_label
        else t("onboarding.charter_none", "fr"),
        inline=True,
    )
    embed.add_field(
        name=t("onboarding.status_field", "fr"),
        value=t(f"onboarding.status_{request.status}", "fr"),
        inline=True,
    )
    if request.status != OnboardingStatus.PENDING and request.decided_by:
        decision = t("onboarding.decided_by", "fr", by=f"<@{request.decided_by}>")
        if request.status == OnboardingStatus.REFUSED and request.reason:
            decision += "\n" + t("onboarding.reason_line", "fr", reason=request.reason)
        embed.add_field(name=t("onboarding.decision_field", "fr"), value=decision, inline=False)
    embed.set_footer(text=f"#{request.id}")
    embed.timestamp = request.requested_at
    return embed
