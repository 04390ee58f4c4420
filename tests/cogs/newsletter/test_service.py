from datetime import timedelta

import pytest

from cogs.newsletter import service
from cogs.newsletter.compose import Attachment
from cogs.newsletter.errors import NewsletterError
from db.engine import Database
from db.models.newsletter import IssueMode, IssueStatus, ItemStatus, NewsletterItem

from .conftest import GUILD, NOW, OTHER_GUILD, PDF, PNG, add_structure


async def submit(db: Database, title: str = "Atelier", **kw) -> int:  # type: ignore[no-untyped-def]
    kw.setdefault("body", "Texte de l'article.")
    kw.setdefault("guild_id", GUILD)
    kw.setdefault("submitter_id", 42)
    async with db.transaction() as session:
        item = await service.submit_item(session, title=title, now=NOW, **kw)
        return item.id


@pytest.mark.parametrize(
    ("title", "body", "link", "key"),
    [
        ("", "x", None, "newsletter.title_required"),
        ("   ", "x", None, "newsletter.title_required"),
        ("x" * 257, "x", None, "newsletter.title_too_long"),
        ("t", "  \n ", None, "newsletter.body_required"),
        ("t", "x" * 4001, None, "newsletter.body_too_long"),
        ("t", "x", "pas une adresse", "newsletter.link_invalid"),
        ("t", "x", "javascript:alert(1)", "newsletter.link_invalid"),
        ("t", "x", "ftp://example.org/x", "newsletter.link_invalid"),
        ("t", "x", "https://" + "a" * 1000 + ".fr", "newsletter.link_invalid"),
    ],
)
def test_clean_submission_refuses_bad_input(
    title: str, body: str, link: str | None, key: str
) -> None:
    with pytest.raises(NewsletterError) as info:
        service.clean_submission(title, body, link)
    assert info.value.key == key


def test_clean_submission_normalises() -> None:
    assert service.clean_submission(
        "  Atelier   smartphone ", " Ligne 1  \r\nLigne 2 ", " www.ville.fr "
    ) == (
        "Atelier smartphone",
        "Ligne 1\nLigne 2",
        "https://www.ville.fr",
    )
    assert service.clean_submission("t", "b", "") == ("t", "b", None)


def test_check_image_and_pdf() -> None:
    assert service.check_image(PNG, "a.png") == "image/png"
    with pytest.raises(NewsletterError) as info:
        service.check_image(PDF, "a.png")
    assert info.value.key == "newsletter.image_type"
    with pytest.raises(NewsletterError) as info:
        service.check_image(PNG + b"\x00" * service.IMAGE_MAX_BYTES, "big.png")
    assert info.value.key == "newsletter.image_too_big"
    service.check_pdf(PDF, "l.pdf")
    with pytest.raises(NewsletterError) as info:
        service.check_pdf(PNG, "l.pdf")
    assert info.value.key == "newsletter.file_not_pdf"


async def test_submit_rejects_a_structure_of_another_guild(database: Database) -> None:
    foreign = await add_structure(database, OTHER_GUILD, "Médiathèque")
    with pytest.raises(NewsletterError) as info:
        await submit(database, structure_id=foreign)
    assert info.value.key == "newsletter.structure_unknown"
    async with database.session() as session:
        assert await service.pending_items(session, GUILD) == []


async def test_review_flow_accept_refuse_edit_and_order(database: Database) -> None:
    structure = await add_structure(database)
    a = await submit(
        database, "A", structure_id=structure, image=Attachment("a.png", "a" * 64, 10, "image/png")
    )
    b = await submit(database, "B", link_url="https://b.fr")
    c = await submit(database, "C")
    d = await submit(database, "D")
    await submit(database, "Autre réseau", guild_id=OTHER_GUILD)

    async with database.transaction() as session:
        assert [i.title for i in await service.pending_items(session, GUILD)] == [
            "A",
            "B",
            "C",
            "D",
        ]
        item, issue = await service.accept_item(
            session, GUILD, a, reviewer_id=7, now=NOW, first_number=7
        )
        assert issue.number == 7 and issue.status == IssueStatus.DRAFT
        assert item.status == ItemStatus.ACCEPTED and item.position == 1
        await service.accept_item(session, GUILD, b, reviewer_id=7, now=NOW)
        await service.accept_item(session, GUILD, c, reviewer_id=7, now=NOW)
        refused = await service.refuse_item(
            session, GUILD, d, reviewer_id=7, reason=" Hors sujet ", now=NOW
        )
        assert refused.refusal_reason == "Hors sujet"

    # Deciding twice, or on another guild's item, is refused.
    async with database.transaction() as session:
        for call, key in [
            (
                service.accept_item(session, GUILD, a, reviewer_id=7, now=NOW),
                "newsletter.item_already_accepted",
            ),
            (
                service.refuse_item(session, GUILD, d, reviewer_id=7, reason="x", now=NOW),
                "newsletter.item_already_decided",
            ),
            (
                service.refuse_item(session, GUILD, c, reviewer_id=7, reason="  ", now=NOW),
                "newsletter.reason_required",
            ),
            (
                service.accept_item(session, OTHER_GUILD, a, reviewer_id=7, now=NOW),
                "newsletter.item_not_found",
            ),
        ]:
            with pytest.raises(NewsletterError) as info:
                await call
            assert info.value.key == key

    async with database.transaction() as session:
        order = await service.move_item(session, GUILD, c, to_position=1, now=NOW)
        assert [i.title for i in order] == ["C", "A", "B"]
        order = await service.move_item(session, GUILD, c, to_position=99, now=NOW)
        assert [i.title for i in order] == ["A", "B", "C"]
        await service.edit_item(
            session,
            GUILD,
            b,
            editor_id=7,
            title="B bis",
            body="Nouveau texte",
            link_url=None,
            now=NOW,
        )

    async with database.session() as session:
        issue = await service.open_issue(session, GUILD)
        assert issue is not None
        content = await service.issue_content(
            session,
            issue,
            when=NOW + timedelta(days=35),
            urls=service.UrlBuilder("https://bot.example", GUILD),
        )
        assert content.heading == "Lettre n° 7 — janvier 2027"
        assert [i.title for i in content.items] == ["A", "B bis", "C"]
        assert content.items[0].structure == "CCAS"
        assert content.items[0].image is not None and content.items[0].image.sha256 == "a" * 64
        assert content.items[1].link_url is None and content.items[1].body == "Nouveau texte"
        assert content.url == f"https://bot.example/newsletter/{GUILD}/7"
        assert await service.issue_counts(session, GUILD) == {"pending": 0, "accepted": 3}


async def test_refusing_an_accepted_item_takes_it_out_of_the_issue(database: Database) -> None:
    a = await submit(database, "A")
    b = await submit(database, "B")
    async with database.transaction() as session:
        await service.accept_item(session, GUILD, a, reviewer_id=7, now=NOW)
        await service.accept_item(session, GUILD, b, reviewer_id=7, now=NOW)
        await service.refuse_item(session, GUILD, a, reviewer_id=7, reason="Doublon", now=NOW)
        issue = await service.open_issue(session, GUILD)
        assert [i.title for i in await service.issue_items(session, issue)] == ["B"]


async def test_edit_refuses_bad_input_and_changes_nothing(database: Database) -> None:
    a = await submit(database, "A")
    async with database.transaction() as session:
        with pytest.raises(NewsletterError):
            await service.edit_item(
                session, GUILD, a, editor_id=7, title="", body="x", link_url=None, now=NOW
            )
    async with database.session() as session:
        assert (await session.get(NewsletterItem, a)).title == "A"


async def test_schedule_needs_items_or_a_file_and_a_future_date(database: Database) -> None:
    async with database.transaction() as session:
        issue = await service.ensure_open_issue(session, GUILD, now=NOW)
        with pytest.raises(NewsletterError) as info:
            await service.prepare_schedule(
                session, issue, when=NOW + timedelta(days=1), now=NOW, scheduled_by=7
            )
        assert info.value.key == "newsletter.issue_empty"
        with pytest.raises(NewsletterError) as info:
            await service.prepare_schedule(
                session, issue, when=NOW - timedelta(days=1), now=NOW, scheduled_by=7
            )
        assert info.value.key == "newsletter.when_past"
        pdf = Attachment("lettre.pdf", "f" * 64, len(PDF), "application/pdf")
        with pytest.raises(NewsletterError) as info:
            await service.prepare_schedule(
                session, issue, when=NOW, now=NOW, scheduled_by=7, file=pdf, summary=" "
            )
        assert info.value.key == "newsletter.summary_required"
        key1 = await service.prepare_schedule(
            session,
            issue,
            when=NOW + timedelta(days=1),
            now=NOW,
            scheduled_by=7,
            file=pdf,
            summary="Résumé",
        )
        assert issue.status == IssueStatus.SCHEDULED and issue.mode == IssueMode.FILE
        key2 = await service.prepare_schedule(
            session, issue, when=NOW + timedelta(days=2), now=NOW, scheduled_by=7
        )
        assert (
            key1 == f"newsletter:publish:{issue.id}:1"
            and key2 == f"newsletter:publish:{issue.id}:2"
        )
        assert await service.unschedule(session, issue, now=NOW) == key2
        assert issue.status == IssueStatus.DRAFT


async def test_numbering_follows_the_highest_number(database: Database) -> None:
    async with database.transaction() as session:
        first = await service.ensure_open_issue(session, GUILD, first_number=7, now=NOW)
        assert first.number == 7
        assert (await service.ensure_open_issue(session, GUILD, now=NOW)).id == first.id
        first.status = IssueStatus.PUBLISHED
        await session.flush()
        second = await service.ensure_open_issue(session, GUILD, now=NOW)
        assert second.number == 8
        other = await service.ensure_open_issue(session, OTHER_GUILD, now=NOW)
        assert other.number == 1


async def test_accepted_items_left_out_of_a_file_issue_carry_over(database: Database) -> None:
    a = await submit(database, "A")
    async with database.transaction() as session:
        _, issue = await service.accept_item(session, GUILD, a, reviewer_id=7, now=NOW)
        issue.status = IssueStatus.PUBLISHED
        issue.mode = IssueMode.FILE
        (await session.get(NewsletterItem, a)).issue_id = None
        await session.flush()
        nxt = await service.ensure_open_issue(session, GUILD, now=NOW)
        assert nxt.number == issue.number + 1
        assert [i.title for i in await service.issue_items(session, nxt)] == ["A"]


async def test_subscription_toggles(database: Database) -> None:
    async with database.transaction() as session:
        assert await service.toggle_subscription(session, GUILD, 5, now=NOW) is True
        assert await service.toggle_subscription(session, GUILD, 6, now=NOW) is True
        assert await service.subscriber_ids(session, GUILD) == [5, 6]
        assert await service.toggle_subscription(session, GUILD, 5, now=NOW) is False
        assert await service.subscriber_ids(session, GUILD) == [6]
        assert await service.subscriber_ids(session, OTHER_GUILD) == []
