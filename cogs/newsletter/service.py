"""The newsletter's data: proposals, review, the next issue and its order, archives,
subscriptions. Plain async functions over a SQLAlchemy session, no Discord types.

Every function validates first and raises :class:`NewsletterError` before changing
anything; the caller owns the transaction (``async with bot.db.transaction()``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import filetype
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.newsletter.compose import Attachment, IssueContent, ItemContent, is_web_url
from cogs.newsletter.errors import NewsletterError
from cogs.newsletter.naming import issue_heading, next_number
from db.models.newsletter import (
    IssueMode,
    IssueStatus,
    ItemStatus,
    NewsletterIssue,
    NewsletterItem,
    NewsletterSubscriber,
)
from db.models.structures import Structure

TITLE_MAX = 256
BODY_MAX = 4000
LINK_MAX = 1000
REASON_MAX = 1000
INTRO_MAX = 4000
SUMMARY_MAX = 4000
IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PDF_MAX_BYTES = 50 * 1024 * 1024


# --- validation ------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return re.sub(r"[ \t]+\n", "\n", (text or "").replace("\r\n", "\n")).strip()


def clean_submission(
    title: str | None, body: str | None, link_url: str | None
) -> tuple[str, str, str | None]:
    """Trimmed title, text and link, or NewsletterError naming what is wrong."""
    title = " ".join((title or "").split())
    body = _clean(body)
    link = (link_url or "").strip() or None
    if not title:
        raise NewsletterError("newsletter.title_required")
    if len(title) > TITLE_MAX:
        raise NewsletterError("newsletter.title_too_long", max=TITLE_MAX, length=len(title))
    if not body:
        raise NewsletterError("newsletter.body_required")
    if len(body) > BODY_MAX:
        raise NewsletterError("newsletter.body_too_long", max=BODY_MAX, length=len(body))
    if link is not None:
        has_scheme = re.match(r"^[a-z][a-z0-9+-]*:", link, re.IGNORECASE)
        if not has_scheme and "." in link and " " not in link:
            link = "https://" + link  # "www.ville.fr" is what people type
        if len(link) > LINK_MAX or not is_web_url(link):
            raise NewsletterError("newsletter.link_invalid", link=link[:100])
    return title, body, link


def check_image(data: bytes, filename: str) -> str:
    """The image's MIME type, sniffed from its bytes (the file name can lie)."""
    if len(data) > IMAGE_MAX_BYTES:
        raise NewsletterError(
            "newsletter.image_too_big", max_mb=IMAGE_MAX_BYTES // (1024 * 1024), name=filename
        )
    mime = filetype.guess_mime(data)
    if mime not in IMAGE_TYPES:
        raise NewsletterError("newsletter.image_type", name=filename)
    return mime


def check_pdf(data: bytes, filename: str) -> None:
    if len(data) > PDF_MAX_BYTES:
        raise NewsletterError(
            "newsletter.file_too_big", max_mb=PDF_MAX_BYTES // (1024 * 1024), name=filename
        )
    if filetype.guess_mime(data) != "application/pdf":
        raise NewsletterError("newsletter.file_not_pdf", name=filename)


def clean_reason(reason: str | None) -> str:
    reason = _clean(reason)
    if not reason:
        raise NewsletterError("newsletter.reason_required")
    if len(reason) > REASON_MAX:
        raise NewsletterError("newsletter.reason_too_long", max=REASON_MAX)
    return reason


def clean_long_text(text: str | None, key: str, maximum: int) -> str:
    text = _clean(text)
    if len(text) > maximum:
        raise NewsletterError(key, max=maximum, length=len(text))
    return text


# --- items -------------------------------------------------------------------------------


async def submit_item(
    session: AsyncSession,
    *,
    guild_id: int,
    submitter_id: int,
    title: str | None,
    body: str | None,
    link_url: str | None = None,
    image: Attachment | None = None,
    structure_id: int | None = None,
    now: datetime,
) -> NewsletterItem:
    title, body, link = clean_submission(title, body, link_url)
    if structure_id is not None:
        structure = await session.get(Structure, structure_id)
        if structure is None or structure.guild_id != guild_id or structure.archived_at:
            raise NewsletterError("newsletter.structure_unknown")
    item = NewsletterItem(
        guild_id=guild_id,
        submitter_id=submitter_id,
        title=title,
        body=body,
        link_url=link,
        image_sha256=image.sha256 if image else None,
        image_filename=image.filename if image else None,
        image_content_type=image.content_type if image else None,
        structure_id=structure_id,
        status=ItemStatus.PENDING,
        submitted_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def get_item(
    session: AsyncSession, guild_id: int, item_id: int, *, for_update: bool = False
) -> NewsletterItem:
    """The guild's item; ``for_update`` locks the row (PostgreSQL) so that two coordinators
    deciding at once are serialised and the second sees the first one's decision."""
    item = await session.get(NewsletterItem, item_id, with_for_update=for_update or None)
    if item is None or item.guild_id != guild_id:
        raise NewsletterError("newsletter.item_not_found", item_id=item_id)
    return item


async def pending_items(session: AsyncSession, guild_id: int) -> list[NewsletterItem]:
    rows = await session.scalars(
        select(NewsletterItem)
        .where(NewsletterItem.guild_id == guild_id, NewsletterItem.status == ItemStatus.PENDING)
        .order_by(NewsletterItem.submitted_at, NewsletterItem.id)
    )
    return list(rows)


async def items_of_submitter(
    session: AsyncSession, guild_id: int, submitter_id: int
) -> list[NewsletterItem]:
    rows = await session.scalars(
        select(NewsletterItem)
        .where(NewsletterItem.guild_id == guild_id, NewsletterItem.submitter_id == submitter_id)
        .order_by(NewsletterItem.submitted_at.desc(), NewsletterItem.id.desc())
    )
    return list(rows)


def _require_decidable(item: NewsletterItem) -> None:
    if item.status == ItemStatus.PUBLISHED:
        raise NewsletterError("newsletter.item_published", item_id=item.id)
    if item.status not in ItemStatus.DECIDABLE:
        raise NewsletterError("newsletter.item_already_decided", item_id=item.id)


async def accept_item(
    session: AsyncSession,
    guild_id: int,
    item_id: int,
    *,
    reviewer_id: int,
    now: datetime,
    first_number: int = 1,
) -> tuple[NewsletterItem, NewsletterIssue]:
    """Put a pending item at the end of the next issue."""
    item = await get_item(session, guild_id, item_id, for_update=True)
    if item.status == ItemStatus.ACCEPTED:
        raise NewsletterError("newsletter.item_already_accepted", item_id=item.id)
    _require_decidable(item)
    issue = await ensure_open_issue(
        session, guild_id, first_number=first_number, created_by=reviewer_id, now=now
    )
    last = await session.scalar(
        select(func.max(NewsletterItem.position)).where(
            NewsletterItem.issue_id == issue.id, NewsletterItem.status == ItemStatus.ACCEPTED
        )
    )
    item.status = ItemStatus.ACCEPTED
    item.issue_id = issue.id
    item.position = (last or 0) + 1
    item.reviewed_by = reviewer_id
    item.reviewed_at = now
    item.refusal_reason = None
    item.updated_at = now
    await session.flush()
    return item, issue


async def refuse_item(
    session: AsyncSession,
    guild_id: int,
    item_id: int,
    *,
    reviewer_id: int,
    reason: str | None,
    now: datetime,
) -> NewsletterItem:
    item = await get_item(session, guild_id, item_id, for_update=True)
    if item.status == ItemStatus.REFUSED:
        raise NewsletterError("newsletter.item_already_decided", item_id=item.id)
    _require_decidable(item)
    reason = clean_reason(reason)
    item.status = ItemStatus.REFUSED
    item.issue_id = None
    item.position = 0
    item.reviewed_by = reviewer_id
    item.reviewed_at = now
    item.refusal_reason = reason
    item.updated_at = now
    await session.flush()
    return item


async def edit_item(
    session: AsyncSession,
    guild_id: int,
    item_id: int,
    *,
    editor_id: int,
    title: str | None,
    body: str | None,
    link_url: str | None,
    now: datetime,
) -> NewsletterItem:
    item = await get_item(session, guild_id, item_id, for_update=True)
    if item.status == ItemStatus.PUBLISHED:
        raise NewsletterError("newsletter.item_published", item_id=item.id)
    title, body, link = clean_submission(title, body, link_url)
    item.title, item.body, item.link_url = title, body, link
    item.edited_by = editor_id
    item.updated_at = now
    await session.flush()
    return item


# --- the next issue ------------------------------------------------------------------------


async def open_issue(session: AsyncSession, guild_id: int) -> NewsletterIssue | None:
    """The issue being prepared (draft, scheduled, or failed and waiting for a retry)."""
    return await session.scalar(
        select(NewsletterIssue)
        .where(
            NewsletterIssue.guild_id == guild_id,
            NewsletterIssue.status.in_(IssueStatus.OPEN),
        )
        .order_by(NewsletterIssue.number)
        .limit(1)
    )


async def ensure_open_issue(
    session: AsyncSession,
    guild_id: int,
    *,
    first_number: int = 1,
    created_by: int | None = None,
    now: datetime,
) -> NewsletterIssue:
    issue = await open_issue(session, guild_id)
    if issue is not None:
        return issue
    highest = await session.scalar(
        select(func.max(NewsletterIssue.number)).where(NewsletterIssue.guild_id == guild_id)
    )
    issue = NewsletterIssue(
        guild_id=guild_id,
        number=next_number(highest, first_number),
        status=IssueStatus.DRAFT,
        mode=IssueMode.ITEMS,
        message_ids=[],
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(issue)
    await session.flush()
    # Items accepted but left out of a letter published from a file carry over, in order.
    orphans = await session.scalars(
        select(NewsletterItem)
        .where(
            NewsletterItem.guild_id == guild_id,
            NewsletterItem.status == ItemStatus.ACCEPTED,
            NewsletterItem.issue_id.is_(None),
        )
        .order_by(NewsletterItem.position, NewsletterItem.id)
    )
    for position, item in enumerate(orphans, start=1):
        item.issue_id = issue.id
        item.position = position
    await session.flush()
    return issue


async def issue_items(session: AsyncSession, issue: NewsletterIssue) -> list[NewsletterItem]:
    """Accepted items of an open issue (or published ones of a published issue), in order."""
    wanted = ItemStatus.PUBLISHED if issue.status == IssueStatus.PUBLISHED else ItemStatus.ACCEPTED
    rows = await session.scalars(
        select(NewsletterItem)
        .where(NewsletterItem.issue_id == issue.id, NewsletterItem.status == wanted)
        .order_by(NewsletterItem.position, NewsletterItem.id)
    )
    return list(rows)


async def move_item(
    session: AsyncSession, guild_id: int, item_id: int, *, to_position: int, now: datetime
) -> list[NewsletterItem]:
    """Move an accepted item to ``to_position`` (1-based, clamped) in its issue; the others
    keep their relative order. Returns the new order."""
    item = await get_item(session, guild_id, item_id)
    if item.status != ItemStatus.ACCEPTED or item.issue_id is None:
        raise NewsletterError("newsletter.item_not_in_issue", item_id=item.id)
    issue = await session.get(NewsletterIssue, item.issue_id)
    assert issue is not None
    ordered = [i for i in await issue_items(session, issue) if i.id != item.id]
    index = min(max(to_position, 1), len(ordered) + 1) - 1
    ordered.insert(index, item)
    for position, row in enumerate(ordered, start=1):
        if row.position != position:
            row.position = position
            row.updated_at = now
    await session.flush()
    return ordered


async def set_intro(
    session: AsyncSession, issue: NewsletterIssue, intro: str | None, *, now: datetime
) -> None:
    issue.intro = clean_long_text(intro, "newsletter.intro_too_long", INTRO_MAX)
    issue.updated_at = now


def _require_editable(issue: NewsletterIssue) -> None:
    if issue.status == IssueStatus.PUBLISHED:
        raise NewsletterError("newsletter.issue_published", number=issue.number)


async def prepare_schedule(
    session: AsyncSession,
    issue: NewsletterIssue,
    *,
    when: datetime,
    now: datetime,
    scheduled_by: int,
    intro: str | None = None,
    file: Attachment | None = None,
    summary: str | None = None,
) -> str:
    """Mark the issue scheduled for ``when`` and return the dedupe key of its publication
    delivery (a new key each time, so a reschedule or a retry is a fresh delivery while a
    double click on the same one is not)."""
    _require_editable(issue)
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    if when < now:
        raise NewsletterError("newsletter.when_past")
    if intro is not None:
        issue.intro = clean_long_text(intro, "newsletter.intro_too_long", INTRO_MAX)
    if file is not None:
        summary_text = clean_long_text(summary, "newsletter.summary_too_long", SUMMARY_MAX)
        if not summary_text:
            raise NewsletterError("newsletter.summary_required")
        issue.mode = IssueMode.FILE
        issue.file_sha256 = file.sha256
        issue.file_name = file.filename
        issue.summary = summary_text
    elif issue.mode == IssueMode.ITEMS and not await issue_items(session, issue):
        raise NewsletterError("newsletter.issue_empty", number=issue.number)
    attempt = _attempt_of(issue.publish_key) + 1
    issue.status = IssueStatus.SCHEDULED
    issue.scheduled_for = when
    issue.publish_key = f"newsletter:publish:{issue.id}:{attempt}"
    issue.last_error = None
    issue.updated_at = now
    if issue.created_by is None:
        issue.created_by = scheduled_by
    await session.flush()
    return issue.publish_key


def _attempt_of(key: str | None) -> int:
    if not key:
        return 0
    tail = key.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def unschedule(session: AsyncSession, issue: NewsletterIssue, *, now: datetime) -> str | None:
    """Back to draft; returns the delivery key to cancel."""
    _require_editable(issue)
    if issue.status != IssueStatus.SCHEDULED:
        raise NewsletterError("newsletter.issue_not_scheduled", number=issue.number)
    key = issue.publish_key
    issue.status = IssueStatus.DRAFT
    issue.updated_at = now
    return key


@dataclass(frozen=True)
class UrlBuilder:
    """Public addresses of an issue, from the web server's base URL (None: no web side)."""

    base: str | None
    guild_id: int

    def _join(self, path: str) -> str | None:
        return f"{self.base.rstrip('/')}{path}" if self.base else None

    def issue(self, number: int) -> str | None:
        return self._join(f"/newsletter/{self.guild_id}/{number}")

    def file(self, number: int) -> str | None:
        return self._join(f"/newsletter/{self.guild_id}/{number}/fichier.pdf")

    def image(self, number: int, item_id: int | None) -> str | None:
        return self._join(f"/newsletter/{self.guild_id}/{number}/images/{item_id}")

    def feed(self) -> str | None:
        return self._join(f"/newsletter/{self.guild_id}/feed.atom")

    def archives(self) -> str | None:
        return self._join(f"/newsletter/{self.guild_id}/")


async def structure_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Structure.id, Structure.short_name, Structure.nom).where(Structure.id.in_(ids))
    )
    return {row.id: row.short_name or row.nom for row in rows}


async def issue_content(
    session: AsyncSession,
    issue: NewsletterIssue,
    *,
    when: datetime,
    urls: UrlBuilder | None = None,
    file_size: int = 0,
    image_sizes: dict[str, int] | None = None,
) -> IssueContent:
    """What the issue says now (or what it said, once published: its snapshot)."""
    if issue.status == IssueStatus.PUBLISHED and issue.snapshot:
        return IssueContent.from_dict(issue.snapshot)
    image_sizes = image_sizes or {}
    heading = issue_heading(issue.number, when)
    url = urls.issue(issue.number) if urls else None
    if issue.mode == IssueMode.FILE and issue.file_sha256:
        return IssueContent(
            number=issue.number,
            heading=heading,
            intro=issue.intro,
            file=Attachment(
                issue.file_name or "lettre.pdf", issue.file_sha256, file_size, "application/pdf"
            ),
            summary=issue.summary,
            url=url,
            file_url=urls.file(issue.number) if urls else None,
        )
    items = await issue_items(session, issue)
    names = await structure_names(session, {i.structure_id for i in items if i.structure_id})
    return IssueContent(
        number=issue.number,
        heading=heading,
        intro=issue.intro,
        items=tuple(
            ItemContent(
                item_id=item.id,
                title=item.title,
                body=item.body,
                link_url=item.link_url,
                structure=names.get(item.structure_id) if item.structure_id else None,
                image=Attachment(
                    item.image_filename or "image",
                    item.image_sha256,
                    image_sizes.get(item.image_sha256, 0),
                    item.image_content_type,
                )
                if item.image_sha256
                else None,
            )
            for item in items
        ),
        url=url,
    )


# --- publication bookkeeping (used by publish.py) ----------------------------------------


async def published_issues(session: AsyncSession, guild_id: int) -> list[NewsletterIssue]:
    rows = await session.scalars(
        select(NewsletterIssue)
        .where(
            NewsletterIssue.guild_id == guild_id,
            NewsletterIssue.status == IssueStatus.PUBLISHED,
        )
        .order_by(NewsletterIssue.number.desc())
    )
    return list(rows)


async def get_published_issue(
    session: AsyncSession, guild_id: int, number: int
) -> NewsletterIssue | None:
    return await session.scalar(
        select(NewsletterIssue).where(
            NewsletterIssue.guild_id == guild_id,
            NewsletterIssue.number == number,
            NewsletterIssue.status == IssueStatus.PUBLISHED,
        )
    )


async def issue_counts(session: AsyncSession, guild_id: int) -> dict[str, int]:
    """How many items wait for review and how many are in the next issue."""
    rows = await session.execute(
        select(NewsletterItem.status, func.count())
        .where(
            NewsletterItem.guild_id == guild_id,
            NewsletterItem.status.in_((ItemStatus.PENDING, ItemStatus.ACCEPTED)),
        )
        .group_by(NewsletterItem.status)
    )
    counts = {ItemStatus.PENDING: 0, ItemStatus.ACCEPTED: 0}
    counts.update({status: count for status, count in rows.all()})
    return counts


# --- subscriptions -----------------------------------------------------------------------


async def toggle_subscription(
    session: AsyncSession, guild_id: int, user_id: int, *, now: datetime
) -> bool:
    """Subscribe or unsubscribe; True when the member is now subscribed."""
    row = await session.scalar(
        select(NewsletterSubscriber).where(
            NewsletterSubscriber.guild_id == guild_id, NewsletterSubscriber.user_id == user_id
        )
    )
    if row is not None:
        await session.delete(row)
        await session.flush()
        return False
    session.add(NewsletterSubscriber(guild_id=guild_id, user_id=user_id, subscribed_at=now))
    await session.flush()
    return True


async def subscriber_ids(session: AsyncSession, guild_id: int) -> list[int]:
    rows = await session.scalars(
        select(NewsletterSubscriber.user_id)
        .where(NewsletterSubscriber.guild_id == guild_id)
        .order_by(NewsletterSubscriber.subscribed_at)
    )
    return list(rows)
