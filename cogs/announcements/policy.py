"""What an announcement may contain and whom it may ping. Pure functions.

Mentions are explicit: none by default; a referent may ping only roles coordinators put
on the allow-list; @everyone / @here only for coordinators. The user's text goes in the
embed, where Discord never pings, and the message content holds only the mentions the
author chose, so text never triggers a mention by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from cogs.announcements.errors import AnnouncementError

PARIS = ZoneInfo("Europe/Paris")
TITLE_MAX = 256
BODY_MAX = 4000
LINK_MAX = 1000
BROADCASTS = ("everyone", "here")
MAX_SCHEDULE_AHEAD = timedelta(days=366)
EMBED_COLOUR = 0x1F6FB2


@dataclass(frozen=True)
class MentionPlan:
    role_ids: tuple[int, ...] = ()
    broadcast: str | None = None  # "everyone" or "here"

    @property
    def content(self) -> str | None:
        """The message content: only the chosen mentions, nothing the author typed."""
        parts = [f"<@&{role_id}>" for role_id in self.role_ids]
        if self.broadcast:
            parts.insert(0, f"@{self.broadcast}")
        return " ".join(parts) or None

    def allowed_mentions(self) -> dict[str, Any]:
        """The mention policy stored with the delivery (bot.scheduler.allowed_mentions_from):
        exactly these pings, never a user's."""
        return {
            "everyone": self.broadcast is not None,
            "roles": [str(role_id) for role_id in self.role_ids],
            "users": [],
        }


def check_mentions(
    *,
    role_ids: Iterable[int],
    broadcast: str | None,
    is_coordinator: bool,
    allowed_role_ids: Iterable[int],
) -> MentionPlan:
    roles = tuple(dict.fromkeys(int(r) for r in role_ids))
    if broadcast is not None:
        if broadcast not in BROADCASTS:
            raise AnnouncementError("announcements.bad_broadcast")
        if not is_coordinator:
            raise AnnouncementError(
                "announcements.broadcast_coordinators_only", broadcast=broadcast
            )
    if not is_coordinator:
        allowed = set(allowed_role_ids)
        for role_id in roles:
            if role_id not in allowed:
                raise AnnouncementError("announcements.mention_not_allowed", role=f"<@&{role_id}>")
    return MentionPlan(roles, broadcast)


_DATE_FORMATS = (
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})[h:](\d{2})?$"), True),
    (re.compile(r"^(\d{1,2})/(\d{1,2})\s+(\d{1,2})[h:](\d{2})?$"), False),
)


def parse_publish_at(text: str | None, now: datetime) -> datetime | None:
    """ "JJ/MM/AAAA HH:MM", "JJ/MM HH:MM" or "JJ/MM/AAAA 14h" in Paris time → aware UTC.

    Empty → None (publish now). A date without a year is the next such date. Refused when
    malformed, in the past, or more than a year ahead.
    """
    text = (text or "").strip().lower()
    if not text:
        return None
    local_now = now.astimezone(PARIS)
    for pattern, has_year in _DATE_FORMATS:
        match = pattern.match(text)
        if not match:
            continue
        groups = match.groups()
        if has_year:
            day, month, year, hour, minute = groups
        else:
            day, month, hour, minute = groups
            year = str(local_now.year)
        try:
            when = datetime(
                int(year), int(month), int(day), int(hour), int(minute or 0), tzinfo=PARIS
            )
        except ValueError:
            break
        if not has_year and when < local_now:
            when = when.replace(year=when.year + 1)
        if when <= local_now:
            raise AnnouncementError("announcements.date_in_past")
        if when - local_now > MAX_SCHEDULE_AHEAD:
            raise AnnouncementError("announcements.date_too_far")
        return when.astimezone(now.tzinfo)
    raise AnnouncementError("announcements.bad_date", example="15/09/2026 09:30")


def check_text(title: str, body: str, link: str | None) -> tuple[str, str, str | None]:
    title, body = title.strip(), body.strip()
    link = (link or "").strip() or None
    if not title:
        raise AnnouncementError("announcements.title_required")
    if len(title) > TITLE_MAX:
        raise AnnouncementError("announcements.title_too_long", max=TITLE_MAX)
    if not body:
        raise AnnouncementError("announcements.body_required")
    if len(body) > BODY_MAX:
        raise AnnouncementError("announcements.body_too_long", max=BODY_MAX)
    if link is not None:
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(link) > LINK_MAX:
            raise AnnouncementError("announcements.bad_link")
    return title, body, link


def check_channel(channel_id: int, configured: Iterable[int]) -> int:
    if int(channel_id) not in {int(c) for c in configured}:
        raise AnnouncementError("announcements.channel_not_allowed", channel=f"<#{channel_id}>")
    return int(channel_id)


def embed_dict(
    *,
    title: str,
    body: str,
    link: str | None,
    signature: str,
    author_name: str,
    edited: bool = False,
    attachment_filename: str | None = None,
) -> dict[str, Any]:
    """The embed as Discord's JSON (discord.Embed.from_dict in the cog)."""
    embed: dict[str, Any] = {
        "title": title,
        "description": body,
        "color": EMBED_COLOUR,
        "author": {"name": signature[:256]},
        "footer": {"text": (f"{author_name} · modifiée" if edited else author_name)[:2048]},
    }
    if link:
        embed["url"] = link
    if attachment_filename and attachment_filename.lower().endswith(
        (".png", ".jpg", ".jpeg", ".gif", ".webp")
    ):
        embed["image"] = {"url": f"attachment://{attachment_filename}"}
    return embed
