"""Publishing an issue: the body of the ``newsletter.publish`` delivery, without Discord.

The cog hands in a :class:`Poster` (posts one planned message into the channel) and an
archiver (files the issue in the library). Progress is committed after every message, so
a retry (after a crash, a restart or a deleted channel) resumes where it stopped instead of
posting the beginning twice; once published, running it again does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from cogs.newsletter.compose import (
    DEFAULT_LIMITS,
    IssueContent,
    Labels,
    Limits,
    MessagePlan,
    compose_issue,
    limit_violations,
)
from cogs.newsletter.errors import NewsletterError
from cogs.newsletter.service import UrlBuilder, issue_content
from db.engine import Database
from db.models.newsletter import (
    IssueMode,
    IssueStatus,
    ItemStatus,
    NewsletterIssue,
    NewsletterItem,
)


class ChannelUnavailable(Exception):
    """The channel is gone, or the bot may not post there: permanent until fixed."""


class Poster(Protocol):
    async def post(self, plan: MessagePlan, files: dict[str, bytes], nonce: str) -> int:
        """Post one message (crossposting it if the channel is an announcement channel);
        return its id. Raise ChannelUnavailable when the channel cannot be used."""
        ...


PosterFactory = Callable[[int], Awaitable[Poster]]
Archiver = Callable[[NewsletterIssue, IssueContent, dict[str, bytes]], Awaitable[int | None]]
BlobLoader = Callable[[str], Awaitable[bytes]]


@dataclass
class PublicationResult:
    issue_id: int
    number: int
    channel_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
    document_id: int | None = None
    already_published: bool = False
    stale: bool = False  # the delivery was replaced by a reschedule: nothing done

    def to_dict(self) -> dict[str, object]:
        return {
            "issue_id": self.issue_id,
            "number": self.number,
            "channel_id": self.channel_id,
            "message_ids": self.message_ids,
            "document_id": self.document_id,
            "already_published": self.already_published,
            "stale": self.stale,
        }


async def _mark_failed(db: Database, issue_id: int, error: str) -> None:
    async with db.transaction() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        if issue is not None and issue.status != IssueStatus.PUBLISHED:
            issue.status = IssueStatus.FAILED
            issue.last_error = error[:2000]


def _blob_hashes(content: IssueContent) -> set[str]:
    hashes = {item.image.sha256 for item in content.items if item.image}
    if content.file is not None:
        hashes.add(content.file.sha256)
    return hashes


async def publish_issue(
    db: Database,
    *,
    guild_id: int,
    issue_id: int,
    channel_id: int | None,
    poster_for: PosterFactory,
    load_blob: BlobLoader,
    archive: Archiver,
    urls: UrlBuilder,
    now: datetime,
    nonce_prefix: str,
    publish_key: str | None = None,
    mention: str | None = None,
    labels: Labels | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> PublicationResult:
    """Post the issue into ``channel_id``, file it in the library, mark it published.

    ``publish_key`` is the delivery's dedupe key: a delivery that a reschedule replaced (or
    that was unscheduled) finds another key on the issue and does nothing.
    Raises ChannelUnavailable (issue marked failed, nothing lost) when there is no usable
    channel; any other exception leaves the progress made so far for the next attempt.
    """
    # 1. Freeze what will be posted, or take what was frozen by an interrupted attempt.
    async with db.transaction() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        if issue is None or issue.guild_id != guild_id:
            raise NewsletterError("newsletter.issue_not_found", issue_id=issue_id)
        if issue.status == IssueStatus.PUBLISHED:
            return PublicationResult(
                issue.id,
                issue.number,
                issue.channel_id,
                list(issue.message_ids or []),
                issue.document_id,
                already_published=True,
            )
        if publish_key is not None and (
            issue.publish_key != publish_key or issue.status == IssueStatus.DRAFT
        ):
            return PublicationResult(issue.id, issue.number, stale=True)
        if channel_id is None:
            error = "no newsletter channel configured"
        else:
            error = ""
            if issue.channel_id != channel_id and issue.message_ids:
                # The letter was partly posted in a channel that is gone: start over here.
                issue.message_ids = []
            if issue.snapshot and issue.message_ids:
                content = IssueContent.from_dict(issue.snapshot)
            else:
                draft = await issue_content(
                    session, issue, when=issue.scheduled_for or now, urls=urls
                )
                content = IssueContent.from_dict(
                    {**draft.to_dict(), "published_at": now.isoformat()}
                )
            issue.channel_id = channel_id
            issue.status = IssueStatus.SCHEDULED
            done = list(issue.message_ids or [])
    if error:
        await _mark_failed(db, issue_id, error)
        raise ChannelUnavailable(error)
    assert channel_id is not None

    # Real sizes decide what fits in one upload; the snapshot keeps them for the archive.
    content, blobs = await with_blobs(content, load_blob)
    async with db.transaction() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        assert issue is not None
        issue.snapshot = content.to_dict()

    plans = compose_issue(content, mention=mention, labels=labels, limits=limits)
    for index, plan in enumerate(plans):
        problems = limit_violations(plan, limits)
        if problems:
            raise AssertionError(f"message {index} breaks Discord limits: {problems}")

    # 2. Post what is not posted yet, recording each message as soon as it exists.
    try:
        poster = await poster_for(channel_id)
        for index, plan in enumerate(plans):
            if index < len(done):
                continue
            files = {a.filename: blobs[a.sha256] for a in plan.attachments}
            message_id = await poster.post(plan, files, f"{nonce_prefix}-{index}")
            done.append(message_id)
            async with db.transaction() as session:
                issue = await session.get(NewsletterIssue, issue_id)
                assert issue is not None
                issue.message_ids = list(done)
    except ChannelUnavailable as exc:
        await _mark_failed(db, issue_id, str(exc) or "channel unavailable")
        raise

    # 3. File it in the library (once), then close the issue.
    async with db.session() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        assert issue is not None
        document_id = issue.document_id
    if document_id is None:
        document_id = await archive(issue, content, blobs)
    async with db.transaction() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        assert issue is not None
        issue.document_id = document_id
        issue.status = IssueStatus.PUBLISHED
        issue.published_at = content.published_at or now
        issue.last_error = None
        items = await session.scalars(
            select(NewsletterItem).where(
                NewsletterItem.issue_id == issue_id,
                NewsletterItem.status == ItemStatus.ACCEPTED,
            )
        )
        published_ids = {item.item_id for item in content.items}
        for item in items:
            if issue.mode == IssueMode.ITEMS and item.id in published_ids:
                item.status = ItemStatus.PUBLISHED
            else:
                # Accepted after the content was frozen, or left out of a PDF letter:
                # it waits for the next issue.
                item.issue_id = None
            item.updated_at = now
    return PublicationResult(issue_id, content.number, channel_id, done, document_id)


async def with_blobs(
    content: IssueContent, load_blob: BlobLoader
) -> tuple[IssueContent, dict[str, bytes]]:
    """The files an issue shows (by sha256), and the content with their real sizes."""
    blobs = {sha: await load_blob(sha) for sha in _blob_hashes(content)}
    return IssueContent.from_dict(_with_sizes(content.to_dict(), blobs)), blobs


def _with_sizes(data: dict[str, object], blobs: dict[str, bytes]) -> dict[str, object]:
    def sized(attachment: object) -> object:
        if isinstance(attachment, dict) and attachment.get("sha256") in blobs:
            return {**attachment, "size": len(blobs[attachment["sha256"]])}
        return attachment

    items = [
        {**item, "image": sized(item.get("image"))}
        for item in data.get("items", [])  # type: ignore[union-attr]
    ]
    return {**data, "items": items, "file": sized(data.get("file"))}
