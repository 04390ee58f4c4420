"""Announcements in the database: drafts, scheduling, publication, edit and withdrawal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.announcements.errors import AnnouncementError
from cogs.announcements.policy import MentionPlan
from db.models.announcements import Announcement, AnnouncementStatus

DELIVERY_KIND = "announcement.publish"


def delivery_key(announcement_id: int) -> str:
    return f"announcement:{announcement_id}"


async def create_draft(
    session: AsyncSession,
    *,
    guild_id: int,
    author_id: int,
    structure_id: int | None,
    signature: str,
    title: str,
    body: str,
    link_url: str | None,
    channel_id: int,
    mentions: MentionPlan,
    publish_at: datetime | None,
    attachment_sha256: str | None,
    attachment_filename: str | None,
    now: datetime,
) -> Announcement:
    announcement = Announcement(
        guild_id=guild_id,
        author_id=author_id,
        structure_id=structure_id,
        signature=signature,
        title=title,
        body=body,
        link_url=link_url,
        channel_id=channel_id,
        mention_role_ids=list(mentions.role_ids),
        mention_broadcast=mentions.broadcast,
        publish_at=publish_at,
        attachment_sha256=attachment_sha256,
        attachment_filename=attachment_filename,
        status=AnnouncementStatus.DRAFT,
        created_at=now,
    )
    session.add(announcement)
    await session.flush()
    return announcement


async def get(session: AsyncSession, guild_id: int, announcement_id: int) -> Announcement:
    announcement = await session.get(Announcement, announcement_id)
    if announcement is None or announcement.guild_id != guild_id:
        raise AnnouncementError("announcements.unknown")
    return announcement


def may_manage(announcement: Announcement, *, actor_id: int, is_coordinator: bool) -> bool:
    """The author or a coordinator may confirm, edit or withdraw."""
    return is_coordinator or announcement.author_id == actor_id


def _require_manager(announcement: Announcement, actor_id: int, is_coordinator: bool) -> None:
    if not may_manage(announcement, actor_id=actor_id, is_coordinator=is_coordinator):
        raise AnnouncementError("announcements.not_author")


def mentions_of(announcement: Announcement) -> MentionPlan:
    return MentionPlan(tuple(announcement.mention_role_ids or ()), announcement.mention_broadcast)


async def confirm(
    session: AsyncSession,
    *,
    guild_id: int,
    announcement_id: int,
    actor_id: int,
    is_coordinator: bool,
) -> Announcement:
    """The author confirmed the preview: the draft becomes scheduled (the scheduler
    delivery publishes it, now or at its date)."""
    announcement = await get(session, guild_id, announcement_id)
    # Only the author confirms their own draft (a coordinator edits or withdraws instead).
    if announcement.author_id != actor_id:
        raise AnnouncementError("announcements.not_author")
    if announcement.status != AnnouncementStatus.DRAFT:
        raise AnnouncementError("announcements.not_draft", status=announcement.status)
    announcement.status = AnnouncementStatus.SCHEDULED
    return announcement


async def discard_draft(
    session: AsyncSession, *, guild_id: int, announcement_id: int, actor_id: int
) -> None:
    announcement = await get(session, guild_id, announcement_id)
    if announcement.author_id != actor_id:
        raise AnnouncementError("announcements.not_author")
    if announcement.status == AnnouncementStatus.DRAFT:
        await session.delete(announcement)


async def mark_published(
    session: AsyncSession, *, guild_id: int, announcement_id: int, message_id: int, now: datetime
) -> Announcement:
    announcement = await get(session, guild_id, announcement_id)
    announcement.status = AnnouncementStatus.PUBLISHED
    announcement.message_id = message_id
    announcement.published_at = now
    return announcement


async def mark_failed(session: AsyncSession, *, guild_id: int, announcement_id: int) -> None:
    announcement = await get(session, guild_id, announcement_id)
    announcement.status = AnnouncementStatus.FAILED


async def edit(
    session: AsyncSession,
    *,
    guild_id: int,
    announcement_id: int,
    actor_id: int,
    is_coordinator: bool,
    title: str,
    body: str,
    link_url: str | None,
    now: datetime,
) -> Announcement:
    announcement = await get(session, guild_id, announcement_id)
    _require_manager(announcement, actor_id, is_coordinator)
    if announcement.status not in (AnnouncementStatus.SCHEDULED, AnnouncementStatus.PUBLISHED):
        raise AnnouncementError("announcements.not_editable", status=announcement.status)
    announcement.title = title
    announcement.body = body
    announcement.link_url = link_url
    announcement.edited_at = now
    return announcement


async def withdraw(
    session: AsyncSession,
    *,
    guild_id: int,
    announcement_id: int,
    actor_id: int,
    is_coordinator: bool,
    now: datetime,
) -> tuple[Announcement, str]:
    """Returns the announcement and the status it had (scheduled → cancel the delivery;
    published → delete the Discord message)."""
    announcement = await get(session, guild_id, announcement_id)
    _require_manager(announcement, actor_id, is_coordinator)
    previous = announcement.status
    if previous not in (AnnouncementStatus.SCHEDULED, AnnouncementStatus.PUBLISHED):
        raise AnnouncementError("announcements.not_withdrawable", status=previous)
    announcement.status = AnnouncementStatus.WITHDRAWN
    announcement.withdrawn_at = now
    announcement.withdrawn_by = actor_id
    return announcement, previous


async def manageable(
    session: AsyncSession, *, guild_id: int, actor_id: int, is_coordinator: bool, limit: int = 25
) -> list[Announcement]:
    """Scheduled and published announcements the actor may edit or withdraw, newest first
    (for autocomplete)."""
    query = select(Announcement).where(
        Announcement.guild_id == guild_id,
        Announcement.status.in_((AnnouncementStatus.SCHEDULED, AnnouncementStatus.PUBLISHED)),
    )
    if not is_coordinator:
        query = query.where(Announcement.author_id == actor_id)
    rows = await session.scalars(query.order_by(Announcement.id.desc()).limit(limit))
    return list(rows)
