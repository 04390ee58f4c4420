"""Embeds and texts for events, from plain data (models, summaries) and the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord
from babel.dates import format_date, format_datetime, format_time

from bot.i18n import t
from cogs.events.rsvp import QuorumSummary
from cogs.events.timing import PARIS
from db.models.events import EventKind, NetworkEvent

FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4000
KIND_COLOURS = {
    EventKind.COPIL: discord.Colour.dark_teal(),
    EventKind.TEMPS_FORT: discord.Colour.orange(),
    EventKind.ATELIER: discord.Colour.blue(),
    EventKind.REUNION: discord.Colour.blurple(),
    EventKind.AUTRE: discord.Colour.light_grey(),
}
CANCELLED_COLOUR = discord.Colour.dark_grey()


def _babel_locale(locale: str) -> str:
    return "en_GB" if locale == "en" else "fr_FR"


def when(moment: datetime, locale: str) -> str:
    """« jeudi 1 avril 2027 à 14:00 » in Paris time."""
    pattern = "EEEE d MMMM y 'at' HH:mm" if locale == "en" else "EEEE d MMMM y 'à' HH:mm"
    return format_datetime(moment, pattern, locale=_babel_locale(locale), tzinfo=PARIS)


def short_date(moment: datetime, locale: str) -> str:
    return format_date(moment.astimezone(PARIS), "d MMM y", locale=_babel_locale(locale))


def long_date(moment: datetime, locale: str) -> str:
    return format_date(moment.astimezone(PARIS), "d MMMM y", locale=_babel_locale(locale))


def hour(moment: datetime, locale: str) -> str:
    return format_time(moment, "HH:mm", locale=_babel_locale(locale), tzinfo=PARIS)


def kind_label(kind: str, locale: str) -> str:
    return t(f"events.kind_{kind}", locale)


def where_lines(event: NetworkEvent, locale: str) -> list[str]:
    lines = []
    if event.location:
        lines.append(t("events.where_place", locale, place=event.location))
    if event.video_url:
        lines.append(t("events.where_video", locale, url=event.video_url))
    if event.voice_channel_id:
        lines.append(t("events.where_voice", locale, channel=f"<#{event.voice_channel_id}>"))
    return lines


def _bounded(lines: Sequence[str], locale: str, limit: int = FIELD_LIMIT) -> str:
    """Join lines, replacing what does not fit with « … et N autres »."""
    if not lines:
        return t("events.none", locale)
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index
        tail = t("events.and_more", locale, count=rest)
        if used + len(line) + 1 + len(tail) > limit and index < len(lines) - 1:
            out.append(tail)
            break
        if used + len(line) + 1 > limit:
            out.append(tail)
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def title_line(event: NetworkEvent, locale: str) -> str:
    prefix = t("events.cancelled_prefix", locale) if event.cancelled else ""
    return f"{prefix}{kind_label(event.kind, locale)} — {event.title}"[:256]


def announcement_embed(
    event: NetworkEvent, summary: QuorumSummary, locale: str = "fr"
) -> discord.Embed:
    """The announcement: what, when, where, agenda, and who comes (quorum at a glance)."""
    lines = [
        t(
            "events.when_line",
            locale,
            when=when(event.starts_at, locale),
            end=hour(event.ends_at, locale),
            relative=f"<t:{int(event.starts_at.timestamp())}:R>",
        ),
        *where_lines(event, locale),
    ]
    if event.cancelled:
        lines.insert(0, t("events.cancelled_banner", locale, reason=event.cancel_reason or "—"))
    if event.agenda:
        lines += ["", t("events.agenda_heading", locale), event.agenda]
    embed = discord.Embed(
        title=title_line(event, locale),
        description="\n".join(lines)[:DESCRIPTION_LIMIT],
        colour=CANCELLED_COLOUR if event.cancelled else KIND_COLOURS.get(event.kind),
    )
    represented = [
        f"{entry.structure.name} — "
        + ", ".join(
            f"<@{attendee}>"
            if on_behalf is None
            else t("events.on_behalf", locale, attendee=f"<@{attendee}>", of=f"<@{on_behalf}>")
            for attendee, on_behalf in entry.attendees
        )
        for entry in summary.represented
    ]
    embed.add_field(
        name=t("events.field_represented", locale, count=summary.represented_count),
        value=_bounded(represented, locale),
        inline=False,
    )
    embed.add_field(
        name=t("events.field_declined", locale, count=len(summary.declined)),
        value=_bounded([s.name for s in summary.declined], locale),
        inline=True,
    )
    embed.add_field(
        name=t("events.field_unanswered", locale, count=len(summary.unanswered)),
        value=_bounded([s.name for s in summary.unanswered], locale),
        inline=True,
    )
    if summary.total:
        quorum_key = "events.quorum_reached" if summary.quorum_reached else "events.quorum_missing"
        footer = t(
            quorum_key,
            locale,
            represented=summary.represented_count,
            total=summary.total,
            needed=summary.quorum_needed,
            attendees=len(summary.attendees),
        )
    else:
        footer = t("events.attendees_only", locale, attendees=len(summary.attendees))
    embed.set_footer(text=footer)
    return embed


def reminder_text(
    event: NetworkEvent, label: str, late_since: datetime | None, locale: str = "fr"
) -> str:
    text = t(
        "events.reminder_channel",
        locale,
        kind=kind_label(event.kind, locale),
        title=event.title,
        when=when(event.starts_at, locale),
        relative=f"<t:{int(event.starts_at.timestamp())}:R>",
    )
    if late_since is not None:
        text += "\n" + t("events.reminder_late_note", locale, due=when(late_since, locale))
    return text


def reminder_dm(event: NetworkEvent, structures: str, jump_url: str | None, locale: str) -> str:
    return t(
        "events.reminder_dm",
        locale,
        kind=kind_label(event.kind, locale),
        title=event.title,
        when=when(event.starts_at, locale),
        where=" · ".join(where_lines(event, locale)) or "—",
        structures=structures,
        link=jump_url or "—",
    )


def change_notice(event: NetworkEvent, change: str, fields: Sequence[str], locale: str) -> str:
    if change == "cancelled":
        return t(
            "events.notice_cancelled",
            locale,
            kind=kind_label(event.kind, locale),
            title=event.title,
            when=when(event.starts_at, locale),
            reason=event.cancel_reason or "—",
        )
    what = ", ".join(t(f"events.field_name_{name}", locale) for name in fields) or "—"
    return t(
        "events.notice_changed",
        locale,
        kind=kind_label(event.kind, locale),
        title=event.title,
        when=when(event.starts_at, locale),
        where=" · ".join(where_lines(event, locale)) or "—",
        what=what,
    )


def event_choice_label(event: NetworkEvent, locale: str) -> str:
    """Autocomplete entry: « 1 avr. 2027 — COPIL — COPIL du printemps »."""
    prefix = t("events.cancelled_prefix", locale) if event.cancelled else ""
    return f"{prefix}{short_date(event.starts_at, locale)} — {kind_label(event.kind, locale)} — {event.title}"[
        :100
    ]


def history_line(
    event: NetworkEvent, summary: QuorumSummary, has_minutes: bool, locale: str
) -> str:
    if event.cancelled:
        return t(
            "events.history_cancelled",
            locale,
            date=short_date(event.starts_at, locale),
            title=event.title,
        )
    return t(
        "events.history_line",
        locale,
        date=short_date(event.starts_at, locale),
        title=event.title,
        represented=summary.represented_count,
        total=summary.total,
        attendees=len(summary.attendees),
        minutes=t(
            "events.history_minutes_yes" if has_minutes else "events.history_minutes_no", locale
        ),
    )


def list_line(event: NetworkEvent, summary: QuorumSummary, locale: str) -> str:
    return t(
        "events.list_line",
        locale,
        when=when(event.starts_at, locale),
        kind=kind_label(event.kind, locale),
        title=event.title,
        attendees=len(summary.attendees),
        link=f" — https://discord.com/channels/{event.guild_id}/{event.channel_id}/{event.message_id}"
        if event.message_id
        else "",
    )


def ics_location(event: NetworkEvent, locale: str = "fr") -> str | None:
    """LOCATION for calendars: the place, else the visio link, else the Discord voice room."""
    if event.location:
        return event.location
    if event.video_url:
        return event.video_url
    if event.voice_channel_id:
        return t("events.ics_voice_location", locale)
    return None


def ics_description(event: NetworkEvent, jump_url: str | None, locale: str = "fr") -> str:
    parts = []
    if event.agenda:
        parts += [t("events.agenda_heading", locale), event.agenda, ""]
    if event.location:
        parts.append(t("events.where_place", locale, place=event.location))
    if event.video_url:
        parts.append(t("events.where_video", locale, url=event.video_url))
    if event.voice_channel_id:
        parts.append(t("events.ics_voice_location", locale))
    if jump_url:
        parts += ["", t("events.ics_discord_link", locale, link=jump_url)]
    return "\n".join(parts).strip()
