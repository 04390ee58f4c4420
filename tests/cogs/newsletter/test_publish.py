"""The publication run with a fake channel: resume after a crash, deleted channel, retry."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from cogs.newsletter import service
from cogs.newsletter.compose import Attachment, IssueContent, MessagePlan
from cogs.newsletter.publish import ChannelUnavailable, publish_issue
from db.engine import Database
from db.models.documents import Document
from db.models.newsletter import IssueStatus, ItemStatus, NewsletterIssue, NewsletterItem

from .conftest import GUILD, NOW, PNG

URLS = service.UrlBuilder("https://bot.example", GUILD)


class FakeChannel:
    def __init__(self, channel_id: int, fail_at: int | None = None) -> None:
        self.channel_id = channel_id
        self.fail_at = fail_at
        self.posted: list[tuple[MessagePlan, dict[str, bytes], str]] = []

    async def post(self, plan: MessagePlan, files: dict[str, bytes], nonce: str) -> int:
        if self.fail_at is not None and len(self.posted) == self.fail_at:
            self.fail_at = None
            raise ConnectionError("gateway hiccup")
        self.posted.append((plan, files, nonce))
        return self.channel_id * 1000 + len(self.posted)


class World:
    """Channels that exist, blobs, and the library."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.channels: dict[int, FakeChannel] = {}
        self.blobs: dict[str, bytes] = {}
        self.archived: list[tuple[int, IssueContent]] = []

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.blobs[sha] = data
        return sha

    async def poster_for(self, channel_id: int) -> FakeChannel:
        if channel_id not in self.channels:
            raise ChannelUnavailable(f"channel {channel_id} not found")
        return self.channels[channel_id]

    async def load_blob(self, sha: str) -> bytes:
        return self.blobs[sha]

    async def archive(
        self, issue: NewsletterIssue, content: IssueContent, blobs: dict[str, bytes]
    ) -> int:
        self.archived.append((issue.number, content))
        async with self.db.transaction() as session:
            document = Document(guild_id=GUILD, title=content.heading, origin="newsletter")
            session.add(document)
            await session.flush()
            return document.id

    async def publish(
        self, db: Database, issue_id: int, channel_id: int | None, key: str | None = None, now=NOW
    ):  # type: ignore[no-untyped-def]
        return await publish_issue(
            db,
            guild_id=GUILD,
            issue_id=issue_id,
            channel_id=channel_id,
            poster_for=self.poster_for,
            load_blob=self.load_blob,
            archive=self.archive,
            urls=URLS,
            now=now,
            nonce_prefix="aig-d1",
            publish_key=key,
            mention="<@&77>",
        )


async def prepare(
    db: Database, world: World, count: int = 3, body: str = "Texte."
) -> tuple[int, str]:
    sha = world.put(PNG)
    async with db.transaction() as session:
        for n in range(count):
            item = await service.submit_item(
                session,
                guild_id=GUILD,
                submitter_id=40 + n,
                title=f"Article {n}",
                body=body,
                image=Attachment(f"img{n}.png", sha, 0, "image/png") if n == 0 else None,
                now=NOW,
            )
            _, issue = await service.accept_item(
                session, GUILD, item.id, reviewer_id=7, now=NOW, first_number=7
            )
        key = await service.prepare_schedule(
            session, issue, when=NOW + timedelta(days=1), now=NOW, scheduled_by=7
        )
        return issue.id, key


async def test_publishes_in_order_archives_and_is_idempotent(database: Database) -> None:
    world = World(database)
    world.channels[500] = FakeChannel(500)
    issue_id, key = await prepare(database, world)
    result = await world.publish(database, issue_id, 500, key)
    posted = world.channels[500].posted
    assert len(posted) == 1 and result.message_ids == [500001]
    plan, files, nonce = posted[0]
    assert plan.content.startswith("<@&77>\n📰 **Lettre n° 7 — décembre 2026**")
    assert [e.title for e in plan.embeds] == ["Article 0", "Article 1", "Article 2"]
    assert files == {"img0.png": PNG} and nonce == "aig-d1-0"
    assert result.document_id is not None and world.archived[0][0] == 7
    async with database.session() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        assert issue.status == IssueStatus.PUBLISHED and issue.document_id == result.document_id
        assert issue.snapshot["items"][0]["image"]["size"] == len(PNG)
        statuses = (
            {i.status for i in (await session.scalars(NewsletterItem.__table__.select())).all()}
            if False
            else None
        )
        items = list(await session.scalars(__import__("sqlalchemy").select(NewsletterItem)))
        assert {i.status for i in items} == {ItemStatus.PUBLISHED}
        assert statuses is None
    again = await world.publish(database, issue_id, 500, key)
    assert again.already_published and len(posted) == 1 and len(world.archived) == 1


async def test_interrupted_run_resumes_without_reposting(database: Database) -> None:
    world = World(database)
    channel = world.channels[500] = FakeChannel(500, fail_at=2)
    long_body = "\n\n".join("Paragraphe " + "mot " * 200 for _ in range(4))  # ~3 300 each
    issue_id, key = await prepare(database, world, count=4, body=long_body)
    with pytest.raises(ConnectionError):
        await world.publish(database, issue_id, 500, key)
    assert len(channel.posted) == 2
    # Items edited meanwhile do not change what the resumed run posts.
    async with database.transaction() as session:
        item = (await service.issue_items(session, await session.get(NewsletterIssue, issue_id)))[0]
        item.title = "Changé après coup"
    result = await world.publish(database, issue_id, 500, key)
    nonces = [n for _, _, n in channel.posted]
    assert nonces == [f"aig-d1-{i}" for i in range(len(nonces))]
    assert result.message_ids == [500000 + i for i in range(1, len(nonces) + 1)]
    assert all(
        "Changé" not in (e.title or "") for plan, _, _ in channel.posted for e in plan.embeds
    )


async def test_deleted_channel_fails_then_retry_in_the_new_channel_posts_everything(
    database: Database,
) -> None:
    world = World(database)
    issue_id, key = await prepare(database, world)
    with pytest.raises(ChannelUnavailable):
        await world.publish(database, issue_id, 500, key)
    async with database.session() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        assert issue.status == IssueStatus.FAILED and "500" in issue.last_error
        items = await service.issue_items(session, issue)
        assert len(items) == 3  # nothing lost
    world.channels[600] = FakeChannel(600)
    result = await world.publish(database, issue_id, 600, key)
    assert result.channel_id == 600 and len(world.channels[600].posted) == 1
    async with database.session() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        assert (
            issue.status == IssueStatus.PUBLISHED
            and issue.channel_id == 600
            and issue.last_error is None
        )


async def test_channel_deleted_midway_restarts_in_the_new_channel(database: Database) -> None:
    world = World(database)
    long_body = "\n\n".join("Paragraphe " + "mot " * 200 for _ in range(4))
    issue_id, key = await prepare(database, world, count=4, body=long_body)

    class Vanishing(FakeChannel):
        async def post(self, plan, files, nonce):  # type: ignore[no-untyped-def]
            if len(self.posted) == 1:
                raise ChannelUnavailable("channel 500 deleted")
            return await super().post(plan, files, nonce)

    world.channels[500] = Vanishing(500)
    with pytest.raises(ChannelUnavailable):
        await world.publish(database, issue_id, 500, key)
    world.channels[600] = FakeChannel(600)
    await world.publish(database, issue_id, 600, key)
    total = len(world.channels[600].posted)
    assert total > 1 and world.channels[600].posted[0][0].content.startswith("<@&77>")


async def test_no_channel_configured_is_a_clear_failure(database: Database) -> None:
    world = World(database)
    issue_id, key = await prepare(database, world)
    with pytest.raises(ChannelUnavailable):
        await world.publish(database, issue_id, None, key)
    async with database.session() as session:
        assert (await session.get(NewsletterIssue, issue_id)).status == IssueStatus.FAILED


async def test_replaced_delivery_does_nothing(database: Database) -> None:
    world = World(database)
    world.channels[500] = FakeChannel(500)
    issue_id, key = await prepare(database, world)
    async with database.transaction() as session:
        issue = await session.get(NewsletterIssue, issue_id)
        new_key = await service.prepare_schedule(
            session, issue, when=NOW + timedelta(days=3), now=NOW, scheduled_by=7
        )
    stale = await world.publish(database, issue_id, 500, key)
    assert stale.stale and world.channels[500].posted == []
    fresh = await world.publish(database, issue_id, 500, new_key)
    assert not fresh.stale and len(world.channels[500].posted) == 1


async def test_item_accepted_after_the_freeze_waits_for_the_next_issue(database: Database) -> None:
    world = World(database)
    world.channels[500] = FakeChannel(500, fail_at=1)
    long_body = "\n\n".join("Paragraphe " + "mot " * 200 for _ in range(4))
    issue_id, key = await prepare(database, world, count=4, body=long_body)
    with pytest.raises(ConnectionError):
        await world.publish(database, issue_id, 500, key)
    async with database.transaction() as session:
        late = await service.submit_item(
            session, guild_id=GUILD, submitter_id=1, title="Tardif", body="x", now=NOW
        )
        await service.accept_item(session, GUILD, late.id, reviewer_id=7, now=NOW)
        late_id = late.id
    await world.publish(database, issue_id, 500, key)
    async with database.transaction() as session:
        item = await session.get(NewsletterItem, late_id)
        assert item.status == ItemStatus.ACCEPTED and item.issue_id is None
        nxt = await service.ensure_open_issue(session, GUILD, now=NOW)
        assert nxt.number == 8
        assert [i.title for i in await service.issue_items(session, nxt)] == ["Tardif"]


async def test_nothing_posted_yet_means_the_retry_takes_the_latest_items(
    database: Database,
) -> None:
    world = World(database)
    world.channels[500] = FakeChannel(500, fail_at=0)
    issue_id, key = await prepare(database, world)
    with pytest.raises(ConnectionError):
        await world.publish(database, issue_id, 500, key)
    async with database.transaction() as session:
        late = await service.submit_item(
            session, guild_id=GUILD, submitter_id=1, title="Tardif", body="x", now=NOW
        )
        await service.accept_item(session, GUILD, late.id, reviewer_id=7, now=NOW)
    await world.publish(database, issue_id, 500, key)
    titles = [e.title for plan, _, _ in world.channels[500].posted for e in plan.embeds]
    assert titles[-1] == "Tardif"
