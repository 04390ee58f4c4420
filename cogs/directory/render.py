"""Embeds and text for the directory, from plain data (search results, structures)."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.i18n import t
from db.directory.hours import PARIS, describe_status, opening_status, weekly_table
from db.directory.search import OrientationOutcome, RankedResult
from db.models.structures import Structure

PAGE_SIZE = 4  # 4 rows of buttons (card, refer, report) + 1 row of navigation
COLOUR = discord.Colour.from_rgb(0, 122, 153)


def page_count(outcome: OrientationOutcome) -> int:
    return max(1, -(-len(outcome.results) // PAGE_SIZE))


def _filters(outcome: OrientationOutcome, locale: str) -> str:
    query = outcome.query
    parts = []
    if query.open_now:
        parts.append(t("directory.filter_open_now", locale))
    if query.walk_in:
        parts.append(t("directory.filter_walk_in", locale))
    if query.free:
        parts.append(t("directory.filter_free", locale))
    if query.public:
        parts.append(t("directory.filter_public", locale, public=query.public))
    return (" — " + ", ".join(parts)) if parts else ""


def _needs(outcome: OrientationOutcome) -> str:
    return ", ".join(m.need.label for m in outcome.match.matches[:3])


def _origin(outcome: OrientationOutcome, locale: str) -> str:
    return t("directory.origin", locale, place=outcome.origin.label) if outcome.origin else ""


def conditions(result: RankedResult, locale: str) -> str:
    parts = []
    if result.walk_in:
        parts.append(t("directory.walk_in", locale))
    if result.appointment:
        parts.append(t("directory.appointment", locale))
    fees = {
        "Gratuit": "directory.free",
        "Gratuit sous condition": "directory.free_condition",
        "Payant": "directory.paying",
    }
    parts += [t(fees[f], locale) for f in result.frais if f in fees]
    if result.reserved_for:
        parts.append(t("directory.reserved", locale, publics=", ".join(result.reserved_for)))
    return " · ".join(parts) or "—"


def contact_line(telephone: str | None, courriels: list[str], prise_rdv: str | None) -> str:
    parts = []
    if telephone:
        number = telephone
        if number.startswith("+33") and len(number) == 12:
            digits = "0" + number[3:]
            number = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        parts.append(f"📞 {number}")
    if courriels:
        parts.append(f"✉️ {courriels[0]}")
    if prise_rdv:
        parts.append(f"📅 {prise_rdv}")
    return " · ".join(parts)


def results_embed(
    outcome: OrientationOutcome, page: int, now: datetime, locale: str
) -> discord.Embed:
    pages = page_count(outcome)
    page = min(max(page, 0), pages - 1)
    embed = discord.Embed(
        title=t("directory.results_title", locale, need=outcome.query.text[:200]),
        description=t(
            "directory.results_intro",
            locale,
            needs=_needs(outcome),
            origin=_origin(outcome, locale),
            filters=_filters(outcome, locale),
            count=len(outcome.results),
            page=page + 1,
            pages=pages,
        ),
        colour=COLOUR,
    )
    start = page * PAGE_SIZE
    for number, result in enumerate(outcome.results[start : start + PAGE_SIZE], start=start + 1):
        c = result.candidate
        place = c.commune + (f", {c.quartier}" if c.quartier else "")
        lines = [
            describe_status(result.status, now, locale),
            f"📍 {c.adresse}, {c.code_postal} {c.commune}",
        ]
        contact = contact_line(c.telephone, c.courriels, c.prise_rdv)
        if contact:
            lines.append(contact)
        lines.append(f"**{t('directory.conditions', locale)}** : {conditions(result, locale)}")
        lines.append(f"**{t('directory.why', locale)}** : " + " ; ".join(result.reasons))
        embed.add_field(
            name=f"{number}. {c.display_name} — {place}"[:256],
            value="\n".join(lines)[:1024],
            inline=False,
        )
    return embed


def no_result_text(outcome: OrientationOutcome, locale: str) -> str:
    if not outcome.match.understood:
        if outcome.suggestions:
            return t(
                "directory.not_understood",
                locale,
                text=outcome.query.text[:200],
                suggestions=" ; ".join(f"« {s} »" for s in outcome.suggestions),
            )
        return t("directory.not_understood_none", locale, text=outcome.query.text[:200])
    text = t(
        "directory.no_result",
        locale,
        needs=_needs(outcome),
        origin=_origin(outcome, locale),
        filters=_filters(outcome, locale),
    )
    if outcome.broader is not None:
        text += "\n" + t(
            "directory.broader",
            locale,
            dropped=outcome.broader_dropped,
            count=outcome.broader_count,
        )
    else:
        text += "\n" + t("directory.no_broader", locale)
    return text


def card_embed(
    structure: Structure, referent_ids: list[int], now: datetime, locale: str
) -> discord.Embed:
    s = structure
    place = s.commune + (f" ({s.quartier})" if s.quartier else "")
    embed = discord.Embed(
        title=t("directory.card.title", locale, name=s.nom)[:256],
        description=(s.presentation_resume or "")[:1000] or None,
        colour=COLOUR,
    )
    if s.archived_at is not None:
        embed.description = t("directory.card.archived", locale)
    address = f"{s.adresse}" + (f" — {s.complement_adresse}" if s.complement_adresse else "")
    address += f"\n{s.code_postal} {place}"
    if s.latitude is not None and s.longitude is not None:
        address += (
            f"\n[{t('directory.card.map', locale)}](https://www.openstreetmap.org/?mlat="
            f"{s.latitude}&mlon={s.longitude}#map=18/{s.latitude}/{s.longitude})"
        )
    embed.add_field(name=t("directory.card.address", locale), value=address[:1024], inline=False)
    status = opening_status(s.horaires, now)
    hours = "\n".join(f"{day} : {spans}" for day, spans in weekly_table(s.horaires, locale))
    embed.add_field(
        name=t("directory.card.hours", locale),
        value=(describe_status(status, now, locale) + ("\n" + hours if hours else ""))[:1024],
        inline=False,
    )
    for key, values in (
        ("services", s.services),
        ("publics", s.publics_specifiquement_adresses),
        ("care", s.prise_en_charge_specifique),
        ("access", s.modalites_acces),
        ("fees", s.frais_a_charge),
        ("labels", s.dispositif_programmes_nationaux),
    ):
        if values:
            embed.add_field(
                name=t(f"directory.card.{key}", locale),
                value="\n".join(f"• {v}" for v in values)[:1024],
                inline=key not in ("services",),
            )
    contact = contact_line(s.telephone, s.courriels, s.prise_rdv)
    if s.site_web:
        contact += ("\n" if contact else "") + " ".join(s.site_web[:2])
    if contact:
        embed.add_field(
            name=t("directory.card.contact", locale), value=contact[:1024], inline=False
        )
    embed.add_field(
        name=t("directory.card.referents", locale),
        value=" ".join(f"<@{uid}>" for uid in referent_ids)
        or t("directory.card.no_referent", locale),
        inline=False,
    )
    if s.verified_at:
        footer = t(
            "directory.card.verified",
            locale,
            date=s.verified_at.astimezone(PARIS).strftime("%d/%m/%Y"),
        )
    else:
        footer = t("directory.card.never_verified", locale, date=s.date_maj.strftime("%d/%m/%Y"))
    embed.set_footer(text=footer)
    return embed
