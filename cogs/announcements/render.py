"""The announcement as Discord shows it, from the database row."""

from __future__ import annotations

from typing import Any

import discord

from cogs.announcements.policy import embed_dict
from cogs.announcements.store import mentions_of
from db.models.announcements import Announcement


def announcement_embed(announcement: Announcement, author_name: str) -> discord.Embed:
    return discord.Embed.from_dict(
        embed_dict(
            title=announcement.title,
            body=announcement.body,
            link=announcement.link_url,
            signature=announcement.signature,
            author_name=author_name,
            edited=announcement.edited_at is not None,
            attachment_filename=announcement.attachment_filename,
        )
    )


def message_parts(announcement: Announcement) -> tuple[str | None, dict[str, Any]]:
    """(content with only the chosen mentions, stored allowed_mentions spec)."""
    plan = mentions_of(announcement)
    return plan.content, plan.allowed_mentions()
