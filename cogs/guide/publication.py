"""Whether a network publishes its residents' guide, and at which address.

Coordinators publish and withdraw with `/guide publier|retirer`; the web side looks the
guide up by its slug on every request (one indexed row), so a withdrawal is immediate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.guide import GuidePublication
from db.models.structures import fold

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,59}$")
# Paths the web side uses next to the guides, and words that would confuse residents.
RESERVED_SLUGS = frozenset({"static", "guide-static", "admin", "api", "healthz", "metrics"})
MAX_TITLE_LENGTH = 120


class PublicationError(Exception):
    """A refused publication; ``key`` is a message of the guide's catalogue."""

    def __init__(self, key: str, **kwargs: object) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


def slug_from_name(name: str) -> str:
    """ "Réseau numérique inclusif — Mérignac" → "reseau-numerique-inclusif-merignac"."""
    slug = "-".join(fold(name).split())[:60].strip("-")
    if len(slug) < 3:
        slug = (slug + "-guide").strip("-")
    return slug


def normalize_slug(text: str) -> str:
    """What a coordinator typed, made into an address part ("Mérignac Centre" is fine)."""
    return "-".join(fold(text).split())


def check_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise PublicationError("guide.slug_invalid", slug=slug)
    if slug in RESERVED_SLUGS:
        raise PublicationError("guide.slug_reserved", slug=slug)


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise PublicationError("guide.title_empty")
    if len(title) > MAX_TITLE_LENGTH:
        raise PublicationError("guide.title_too_long", maximum=MAX_TITLE_LENGTH)
    return title


@dataclass(frozen=True)
class PublicationChange:
    publication: GuidePublication
    was_published: bool
    old_slug: str | None  # the previous address when it changed


async def get_publication(session: AsyncSession, guild_id: int) -> GuidePublication | None:
    return await session.scalar(
        select(GuidePublication).where(GuidePublication.guild_id == guild_id)
    )


async def published_by_slug(session: AsyncSession, slug: str) -> GuidePublication | None:
    """The published guide at this address, or None (unknown or withdrawn: 404)."""
    return await session.scalar(
        select(GuidePublication).where(
            GuidePublication.slug == slug, GuidePublication.published.is_(True)
        )
    )


async def publish(
    session: AsyncSession,
    guild_id: int,
    *,
    default_name: str,
    slug: str | None,
    title: str | None,
    by: int | None,
    now: datetime,
) -> PublicationChange:
    """Publish (or re-publish, or move) the guild's guide. Keeps the previous address and
    title unless new ones are given; refuses an address another network uses."""
    current = await get_publication(session, guild_id)
    if slug is not None:
        wanted_slug = normalize_slug(slug)
        check_slug(wanted_slug)
    elif current is not None:
        wanted_slug = current.slug
    else:
        wanted_slug = slug_from_name(default_name)
    wanted_title = check_title(title) if title is not None else None
    owner = await session.scalar(
        select(GuidePublication.guild_id).where(GuidePublication.slug == wanted_slug)
    )
    if owner is not None and owner != guild_id:
        if slug is not None:
            raise PublicationError("guide.slug_taken", slug=wanted_slug)
        # A derived address already used elsewhere: make it unique with a number.
        base = wanted_slug[:55]
        for number in range(2, 1000):
            candidate = f"{base}-{number}"
            taken = await session.scalar(
                select(GuidePublication.id).where(GuidePublication.slug == candidate)
            )
            if taken is None:
                wanted_slug = candidate
                break
    if current is None:
        current = GuidePublication(
            guild_id=guild_id,
            slug=wanted_slug,
            title=wanted_title or check_title(default_name[:MAX_TITLE_LENGTH]),
            published=True,
            published_at=now,
            published_by=by,
        )
        session.add(current)
        await session.flush()
        return PublicationChange(current, was_published=False, old_slug=None)
    was_published = current.published
    old_slug = current.slug if current.slug != wanted_slug else None
    current.slug = wanted_slug
    if wanted_title:
        current.title = wanted_title
    if not was_published:
        current.published_at = now
        current.published_by = by
    current.published = True
    current.updated_at = now
    await session.flush()
    return PublicationChange(current, was_published=was_published, old_slug=old_slug)


async def withdraw(
    session: AsyncSession, guild_id: int, *, by: int | None, now: datetime
) -> GuidePublication:
    current = await get_publication(session, guild_id)
    if current is None or not current.published:
        raise PublicationError("guide.not_published")
    current.published = False
    current.withdrawn_at = now
    current.withdrawn_by = by
    current.updated_at = now
    await session.flush()
    return current
