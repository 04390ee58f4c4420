"""Newsletter through the real discord.py client and the emulated Discord: from a member's
proposal to the scheduled publication, across a restart and a deleted channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.harness import BotHarness
from bot.library.generate import make_pdf
from db.models import Document, ScheduledDelivery
from db.models.core import DeliveryStatus
from db.models.newsletter import IssueStatus, ItemStatus, NewsletterIssue, NewsletterItem

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
# A real PDF: the library (bot.documents) refuses damaged files.
PDF = make_pdf("Lettre d'information", ["Ateliers, permanences, forfaits."])
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def nl(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    """Core + newsletter on the demo network, the clock on 1 December 2026."""
    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.newsletter"],
        seed_capabilities=False,
        clock=Clock(START),
        settings_overrides={"public_url": "https://aiguillage.example"},
    ) as h:
        yield h


def texts(messages: list[dict]) -> str:  # type: ignore[type-arg]
    from bot.emulator import message_text

    return "\n".join(message_text(m) for m in messages)


async def propose(  # type: ignore[no-untyped-def]
    h: BotHarness,
    person: str,
    title: str,
    body: str = "Mardi 14h au CCAS.",
    link: str = "",
    **options,
):
    opened = await h.slash(person, "newsletter proposer", options=options)
    assert opened.modal is not None, opened.text
    return await h.emu.submit_modal(
        h.guild_id,
        h.person(person),
        fields={"Titre": title, "Texte": body, "Lien (facultatif)": link},
    )


async def items(h: BotHarness) -> list[NewsletterItem]:
    async with h.bot.db.session() as session:
        return list(await session.scalars(select(NewsletterItem).order_by(NewsletterItem.id)))


async def test_proposal_gets_a_receipt_and_a_review_card(nl: BotHarness) -> None:
    result = await propose(nl, "membre", "Atelier smartphone")
    assert result.ephemeral
    assert "proposition n° 1" in result.text and "Atelier smartphone" in result.text
    card = nl.emu.last_message(nl.channel("coordination"))
    assert card is not None and "Proposition n° 1 — Atelier smartphone" in texts([card])
    labels = [c["label"] for row in card["components"] for c in row["components"]]
    assert labels == ["Accepter", "Modifier", "Refuser"]
    (item,) = await items(nl)
    assert item.status == ItemStatus.PENDING and item.submitter_id == nl.person("membre")


async def eventually(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Deliveries woken by a commit run in the background: wait for their effect."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        if loop.time() > end:
            assert check(), "condition not reached in time"
        await asyncio.sleep(0.05)


async def published(h: BotHarness, timeout: float = 10.0) -> NewsletterIssue:
    """Wait until the letter is out (publication runs as a delivery, in the background)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        async with h.bot.db.session() as session:
            issue = await session.scalar(
                select(NewsletterIssue).where(NewsletterIssue.status == IssueStatus.PUBLISHED)
            )
        if issue is not None:
            await h.emu.wait_idle()
            return issue
        assert loop.time() < end, "the letter was not published in time"
        await asyncio.sleep(0.05)


def local_url(h: BotHarness, path: str) -> str:
    """The web side as reached locally (posts link to the public address)."""
    return f"http://127.0.0.1:{h.bot.web.bound_port}{path}"


def buttons(message: dict) -> list[str]:  # type: ignore[type-arg]
    return [c["label"] for row in message.get("components", []) for c in row["components"]]


def post_bodies(h: BotHarness, channel_id: int) -> list[dict]:  # type: ignore[type-arg]
    return [
        c.json
        for c in h.emu.calls
        if c.method == "POST"
        and c.path.endswith(f"/channels/{channel_id}/messages")
        and c.status == 200
    ]


async def test_review_with_persistent_buttons_accept_edit_refuse_and_dm(nl: BotHarness) -> None:
    structures = await nl.emu.autocomplete(
        nl.guild_id, nl.person("referent"), "newsletter proposer", "structure", "ccas"
    )
    assert structures, "the referent's structure is suggested"
    ccas = structures[0]["value"]
    await propose(
        nl,
        "referent",
        "Atelier smartphone",
        link="www.merignac.example/ateliers",
        image=("affiche.png", PNG, "image/png"),
        structure=ccas,
    )
    await propose(nl, "membre", "Vente de gâteaux")
    card1, card2 = [m for m in nl.emu.messages(nl.channel("coordination")) if m.get("embeds")]
    assert card1["attachments"][0]["filename"].startswith("proposition-1")
    assert card1["embeds"][0]["image"]["url"].startswith("attachment://proposition-1")

    # A member cannot use the coordinators' buttons: refused, nothing changes.
    refused = await nl.emu.click(nl.guild_id, nl.person("membre"), card1, label="Accepter")
    assert refused.ephemeral and "réservée aux coordinateurs" in refused.text
    assert [i.status for i in await items(nl)] == [ItemStatus.PENDING, ItemStatus.PENDING]

    # Restart: the buttons of cards posted before still work (DynamicItem custom_ids).
    await nl.restart()
    accepted = await nl.emu.click(nl.guild_id, nl.person("coordinateur"), card1, label="Accepter")
    assert "acceptée" in accepted.text and "position 1 de la lettre n° 1" in accepted.text
    card1 = nl.emu.get_message(int(card1["id"]))
    assert "Acceptée par" in texts([card1]) and buttons(card1) == ["Modifier", "Refuser"]
    assert "acceptée pour la lettre d'information n° 1" in texts(
        nl.emu.dm_messages(nl.person("referent"))
    )

    # Accepting twice (another coordinator, from an older list) is refused clearly.
    listing = await nl.slash("coordinateur", "newsletter file")
    again = await nl.emu.click(nl.guild_id, nl.person("coordinateur"), card2, label="Accepter")
    assert "acceptée" in again.text
    twice = await nl.emu.click(
        nl.guild_id, nl.person("coordinateur"), listing, label="Accepter n° 2"
    )
    assert "déjà acceptée" in twice.text

    # Edit through the modal, prefilled with the current text.
    opened = await nl.emu.click(nl.guild_id, nl.person("coordinateur"), card1, label="Modifier")
    modal = opened.modal
    assert modal is not None
    prefilled = [c["component"].get("value") for c in modal["components"]]
    assert (
        prefilled[0] == "Atelier smartphone"
        and prefilled[2] == "https://www.merignac.example/ateliers"
    )
    bad = await nl.emu.submit_modal(
        nl.guild_id,
        nl.person("coordinateur"),
        fields={"Titre": "Atelier", "Texte": "x", "Lien (facultatif)": "javascript:alert(1)"},
    )
    assert "n'est pas une adresse web valable" in bad.text
    assert (await items(nl))[0].title == "Atelier smartphone"
    await nl.emu.click(nl.guild_id, nl.person("coordinateur"), card1, label="Modifier")
    edited = await nl.emu.submit_modal(
        nl.guild_id,
        nl.person("coordinateur"),
        fields={
            "Titre": "Atelier « premiers pas »",
            "Texte": "Mardi 14h, CCAS.",
            "Lien (facultatif)": "",
        },
    )
    assert "modifiée" in edited.text
    assert "Atelier « premiers pas »" in texts([nl.emu.get_message(int(card1["id"]))])

    # Refuse with a reason: the member is told why; the card has no button left.
    await nl.emu.click(nl.guild_id, nl.person("coordinateur"), card2, label="Refuser")
    empty = None
    try:
        await nl.emu.submit_modal(nl.guild_id, nl.person("coordinateur"), fields={})
    except Exception as exc:  # the emulator enforces the required field, as Discord does
        empty = exc
    assert empty is not None
    await nl.emu.click(nl.guild_id, nl.person("coordinateur"), card2, label="Refuser")
    done = await nl.emu.submit_modal(
        nl.guild_id,
        nl.person("coordinateur"),
        fields={"Raison (transmise à l'auteur·rice)": "Hors du champ de la lettre"},
    )
    assert "refusée" in done.text
    assert "Hors du champ de la lettre" in texts(nl.emu.dm_messages(nl.person("membre")))
    card2 = nl.emu.get_message(int(card2["id"]))
    assert buttons(card2) == [] and "Refusée par" in texts([card2])
    statuses = [i.status for i in await items(nl)]
    assert statuses == [ItemStatus.ACCEPTED, ItemStatus.REFUSED]


async def test_bad_proposals_are_refused_before_anything_is_stored(nl: BotHarness) -> None:
    bad_link = await propose(nl, "membre", "Titre", link="pas une adresse")
    assert "n'est pas une adresse web valable" in bad_link.text
    big = await nl.slash(
        "membre",
        "newsletter proposer",
        options={"image": ("photo.png", PNG + b"\x00" * (8 * 1024 * 1024), "image/png")},
    )
    assert big.modal is None and "dépasse 8 Mo" in big.text
    not_image = await propose(nl, "membre", "Titre", image=("photo.png", PDF, "image/png"))
    assert "n'est pas une image" in not_image.text
    unknown = await nl.slash("membre", "newsletter proposer", options={"structure": "999999"})
    assert unknown.modal is None and "n'existe pas" in unknown.text
    newcomer = await nl.slash("nouveau", "newsletter proposer")
    assert newcomer.modal is None and newcomer.ephemeral
    assert await items(nl) == []
    assert not [m for m in nl.emu.messages(nl.channel("coordination")) if m.get("embeds")]


async def test_queue_order_and_preview_match_the_publication(nl: BotHarness) -> None:
    for n in range(7):
        await propose(nl, "membre", f"Article {n}", body=f"Texte de l'article {n}.")
    queue = await nl.slash("coordinateur", "newsletter file")
    assert "Propositions en attente (7)" in queue.text
    assert len(queue.followups) == 2 or len(queue.messages) == 2
    for n in (3, 1, 5):
        result = await nl.emu.click(
            nl.guild_id, nl.person("coordinateur"), queue, label=f"Accepter n° {n + 1}"
        )
        assert "acceptée" in result.text, result.text
    member_queue = await nl.slash("membre", "newsletter file")
    assert "réservée aux coordinateurs" in member_queue.text

    choices = await nl.emu.autocomplete(
        nl.guild_id, nl.person("coordinateur"), "newsletter ordre", "article", ""
    )
    assert [c["name"] for c in choices] == [
        "1. Article 3 (n° 4)",
        "2. Article 1 (n° 2)",
        "3. Article 5 (n° 6)",
    ]
    moved = await nl.slash(
        "coordinateur", "newsletter ordre", options={"article": "6", "position": 1}
    )
    assert "maintenant en position 1" in moved.text
    assert (
        moved.text.index("Article 5")
        < moved.text.index("Article 3")
        < moved.text.index("Article 1")
    )

    preview = await nl.slash("coordinateur", "newsletter apercu", options={})
    assert preview.ephemeral and "Aperçu de la lettre n° 1" in preview.text
    shown = [m for m in preview.followups if m.get("embeds")]
    assert [e["title"] for m in shown for e in m["embeds"]] == [
        "Article 5",
        "Article 3",
        "Article 1",
    ]

    await nl.slash("coordinateur", "newsletter publier", options={"introduction": "Bonne année !"})
    await published(nl)
    posted = nl.emu.messages(nl.channel("lettre-info"))
    assert [e["title"] for m in posted for e in m.get("embeds", [])] == [
        "Article 5",
        "Article 3",
        "Article 1",
    ]
    assert "Bonne année !" in posted[0]["content"]
    # Same embeds as the preview (the introduction was added after it).
    assert [m["embeds"] for m in posted] == [m["embeds"] for m in shown]


async def accept_all(h: BotHarness) -> None:
    for item in await items(h):
        if item.status == ItemStatus.PENDING:
            card = next(
                m
                for m in h.emu.messages(h.channel("coordination"))
                if m.get("embeds")
                and m["embeds"][0]["title"].startswith(f"Proposition n° {item.id} ")
            )
            result = await h.emu.click(h.guild_id, h.person("coordinateur"), card, label="Accepter")
            assert "acceptée" in result.text, result.text


async def test_scheduled_publication_survives_a_restart_and_is_posted_once(nl: BotHarness) -> None:
    role = await nl.emu.create_role(nl.guild_id, "Abonnés lettre")
    await nl.bot.guild_config.set(nl.guild_id, "role.newsletter", role.id)
    subscribed = await nl.slash("membre", "newsletter abonnement")
    assert "abonné·e" in subscribed.text
    assert role.id in nl.emu.guild(nl.guild_id).members[nl.person("membre")].roles

    await propose(nl, "referent", "Atelier smartphone", image=("affiche.png", PNG, "image/png"))
    await propose(nl, "membre", "Forfaits à petit prix", link="https://emmaus-connect.example")
    await accept_all(nl)

    # Default date: the cadence's next slot, first Tuesday of January 2027 at 09:00 Paris.
    scheduled = await nl.slash(
        "coordinateur",
        "newsletter planifier",
        options={"introduction": "Bonne année à tout le réseau !"},
    )
    assert (
        "Lettre n° 1 — janvier 2027 paraîtra le mardi 5 janvier 2027 à 09:00" in scheduled.text
    ), scheduled.text
    channel_id = nl.channel("lettre-info")
    await nl.restart()
    await nl.advance(timedelta(days=34, hours=22))  # 5 January 07:00 Paris: not yet
    assert not nl.emu.messages(channel_id)
    await nl.restart()
    await nl.advance(timedelta(hours=2, minutes=1))
    await published(nl)
    posted = nl.emu.messages(channel_id)
    assert len(posted) == 1
    letter = posted[0]
    assert letter["content"].startswith(f"<@&{role.id}>\n📰 **Lettre n° 1 — janvier 2027**")
    assert "Bonne année à tout le réseau !" in letter["content"]
    assert "https://aiguillage.example/newsletter/" in letter["content"]
    assert [e["title"] for e in letter["embeds"]] == ["Atelier smartphone", "Forfaits à petit prix"]
    assert letter["embeds"][0]["image"]["url"] == "attachment://affiche.png"
    assert [a["filename"] for a in letter["attachments"]] == ["affiche.png"]
    (body,) = post_bodies(nl, channel_id)
    mentions = body["allowed_mentions"]
    assert mentions["parse"] == [] and [str(r) for r in mentions["roles"]] == [str(role.id)]
    assert not mentions.get("users") and not mentions.get("replied_user")
    assert body["nonce"].startswith("aig-d") and body["enforce_nonce"] is True
    crossposts = [c for c in nl.emu.calls if c.path.endswith("/crosspost")]
    assert len(crossposts) == 1  # "lettre-info" is an announcement channel

    # Archived: issue published, items published, a library document, coordinators told.
    async with nl.bot.db.session() as session:
        issue = await session.scalar(select(NewsletterIssue))
        assert issue.status == IssueStatus.PUBLISHED and issue.document_id
        document = await session.get(Document, issue.document_id)
        assert document.origin == "newsletter" and document.title == "Lettre n° 1 — janvier 2027"
        assert document.current.filename == "lettre-001-janvier-2027.html"
    assert {i.status for i in await items(nl)} == {ItemStatus.PUBLISHED}
    await eventually(
        lambda: (
            "Lettre n° 1 — janvier 2027 est publiée"
            in texts(nl.emu.messages(nl.channel("coordination")))
        )
    )

    # Nothing more is posted later (exactly once), even after another restart.
    await nl.restart()
    await nl.advance(timedelta(hours=3))
    assert len(nl.emu.messages(channel_id)) == 1

    archives = await nl.slash("membre", "newsletter archives")
    assert "Lettre n° 1 — janvier 2027" in archives.text and "5 janvier 2027" in archives.text

    # The web side: page, exports, image, feed.
    base = local_url(nl, f"/newsletter/{nl.guild_id}")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/1") as response:
            page = await response.text()
            assert response.status == 200 and "Atelier smartphone" in page
            assert f"/newsletter/{nl.guild_id}/1/images/1" in page
        async with http.get(f"{base}/1.md") as response:
            assert response.status == 200
            assert (await response.text()).startswith("# Lettre n° 1 — janvier 2027")
        async with http.get(f"{base}/1.html") as response:
            assert (await response.text()).lstrip().startswith("<article")
        async with http.get(f"{base}/1/images/1") as response:
            assert response.status == 200 and await response.read() == PNG
        async with http.get(f"{base}/feed.atom") as response:
            feed = await response.text()
            assert response.status == 200 and "<entry>" in feed and "Lettre n° 1" in feed
        async with http.get(f"{base}/") as response:
            assert "Lettre n° 1 — janvier 2027" in await response.text()
        async with http.get(f"{base}/2") as response:
            assert response.status == 404  # drafts and unknown numbers are never served


async def test_deleted_channel_is_reported_nothing_lost_and_retry_after_fix(nl: BotHarness) -> None:
    await propose(nl, "membre", "Fermeture estivale")
    await accept_all(nl)
    scheduled = await nl.slash(
        "coordinateur", "newsletter planifier", options={"date": "10/12/2026", "heure": "10h"}
    )
    assert "jeudi 10 décembre 2026 à 10:00" in scheduled.text, scheduled.text
    await nl.restart()
    await nl.emu.delete_channel(nl.channel("lettre-info"), guild_id=nl.guild_id)
    await nl.advance(timedelta(days=10))

    def coordination() -> str:
        return texts(nl.emu.messages(nl.channel("coordination")))

    await eventually(lambda: "n'a pas pu être publiée" in coordination())
    async with nl.bot.db.session() as session:
        issue = await session.scalar(select(NewsletterIssue))
        assert issue.status == IssueStatus.FAILED
        delivery = await session.scalar(
            select(ScheduledDelivery).where(ScheduledDelivery.kind == "newsletter.publish")
        )
        assert delivery.status == DeliveryStatus.FAILED
    report = coordination()
    assert "la lettre n° 1 n'a pas pu être publiée" in report
    assert "n'existe plus" in report and "/newsletter reessayer" in report
    assert [i.status for i in await items(nl)] == [ItemStatus.ACCEPTED]  # nothing lost

    # Retrying before the fix is refused with what to do.
    early = await nl.slash("coordinateur", "newsletter reessayer")
    assert "/config salon channel.newsletter" in early.text

    # The coordinators pick a new channel, then retry: the letter goes out, once.
    new_channel = await nl.emu.create_channel(nl.guild_id, "lettre-info-2")
    await nl.slash(
        "coordinateur",
        "config",
        subcommand="salon",
        options={"reglage": "channel.newsletter", "salon": new_channel.id},
    )
    nl.bot.guild_config._cache.clear()
    retried = await nl.slash("coordinateur", "newsletter reessayer")
    assert "relancée" in retried.text, retried.text
    await published(nl)
    posted = nl.emu.messages(new_channel.id)
    assert len(posted) == 1 and posted[0]["embeds"][0]["title"] == "Fermeture estivale"
    async with nl.bot.db.session() as session:
        issue = await session.scalar(select(NewsletterIssue))
        assert issue.status == IssueStatus.PUBLISHED and issue.channel_id == new_channel.id
    again = await nl.slash("coordinateur", "newsletter reessayer")
    assert "Aucune lettre en échec" in again.text


async def test_oversized_issue_is_split_in_order_within_discord_limits(nl: BotHarness) -> None:
    paragraph = "Les ateliers numériques reprennent avec de nouvelles dates. " * 16  # ~960
    long_body = "\n\n".join([paragraph] * 4)[:3990]
    for n in range(12):
        await propose(
            nl,
            "membre",
            f"Article {n:02d} " + "T" * 200,
            body=long_body,
            **({"image": (f"image{n}.png", PNG, "image/png")} if n % 3 == 0 else {}),
        )
    await accept_all(nl)
    await nl.slash("coordinateur", "newsletter publier", options={"introduction": "Intro. " * 400})
    await published(nl)
    posted = nl.emu.messages(nl.channel("lettre-info"))
    assert len(posted) >= 8
    # Every request was accepted by the emulated Discord (it enforces the real limits).
    assert all(
        c.status == 200
        for c in nl.emu.calls
        if c.path.endswith(f"/channels/{nl.channel('lettre-info')}/messages")
    )
    titles = [e["title"][:10] for m in posted for e in m.get("embeds", [])]
    assert sorted(set(titles)) == titles_in_order(titles)
    for m in posted:
        assert len(m["content"]) <= 2000 and len(m.get("embeds", [])) <= 10
        shown = {
            e["image"]["url"].removeprefix("attachment://")
            for e in m.get("embeds", [])
            if e.get("image")
        }
        assert shown == {a["filename"] for a in m.get("attachments", [])}
    body_text = "".join(
        e.get("description", "")
        for m in posted
        for e in m.get("embeds", [])
        if e["title"].startswith("Article 05")
    )
    assert body_text.replace("\n", "").replace(" ", "") == long_body.replace("\n", "").replace(
        " ", ""
    )


def titles_in_order(titles: list[str]) -> list[str]:
    seen: list[str] = []
    for title in titles:
        if title not in seen:
            seen.append(title)
    return seen


async def test_pdf_issue_with_summary(nl: BotHarness) -> None:
    missing = await nl.slash(
        "coordinateur",
        "newsletter publier",
        options={"fichier": ("lettre.pdf", PDF, "application/pdf")},
    )
    assert "un résumé est obligatoire" in missing.text
    wrong = await nl.slash(
        "coordinateur",
        "newsletter publier",
        options={"fichier": ("lettre.pdf", PNG, "application/pdf"), "resume": "Résumé"},
    )
    assert "n'est pas un PDF" in wrong.text
    empty = await nl.slash("coordinateur", "newsletter publier")
    assert "aucun article accepté" in empty.text
    done = await nl.slash(
        "coordinateur",
        "newsletter publier",
        options={
            "fichier": ("Lettre janvier 2027.pdf", PDF, "application/pdf"),
            "resume": "Au sommaire : ateliers, permanences, forfaits.",
        },
    )
    assert "part maintenant" in done.text
    await published(nl)
    (post,) = nl.emu.messages(nl.channel("lettre-info"))
    assert post["embeds"][0]["description"].startswith("Au sommaire")
    assert post["attachments"][0]["filename"] == "Lettre_janvier_2027.pdf"
    async with nl.bot.db.session() as session:
        issue = await session.scalar(select(NewsletterIssue))
        document = await session.get(Document, issue.document_id)
        assert document.current.filename == "Lettre_janvier_2027.pdf"  # as Discord names it
    url = local_url(nl, f"/newsletter/{nl.guild_id}/1/fichier.pdf")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200 and await response.read() == PDF


async def test_subscription_needs_a_configured_role_and_toggles(nl: BotHarness) -> None:
    closed = await nl.slash("membre", "newsletter abonnement")
    assert "pas encore ouvert" in closed.text
    role = await nl.emu.create_role(nl.guild_id, "Abonnés lettre")
    await nl.bot.guild_config.set(nl.guild_id, "role.newsletter", role.id)
    member = nl.emu.guild(nl.guild_id).members[nl.person("membre")]
    assert "abonné·e" in (await nl.slash("membre", "newsletter abonnement")).text
    assert role.id in member.roles
    assert "désabonné·e" in (await nl.slash("membre", "newsletter abonnement")).text
    assert role.id not in member.roles
    english = await nl.slash("english", "newsletter abonnement", locale="en-US")
    assert "You are subscribed" in english.text


async def test_call_for_items_and_reminders_follow_the_cadence(nl: BotHarness) -> None:
    shown = await nl.slash("membre", "newsletter cadence")
    assert "1er mardi des mois impairs à 09:00" in shown.text
    assert "mardi 5 janvier 2027 à 09:00" in shown.text
    refused = await nl.slash(
        "membre", "newsletter cadence", options={"texte": "dernier jeudi de chaque mois à 18h"}
    )
    assert "réservée aux coordinateurs" in refused.text
    bad = await nl.slash("coordinateur", "newsletter cadence", options={"texte": "quand on peut"})
    assert "Je ne comprends pas" in bad.text
    await propose(nl, "membre", "Une proposition")
    # Call for items on 15 December 09:00 Paris, coordinators' reminder on 27 December.
    await nl.advance(timedelta(days=14, hours=1))
    calls = [
        m
        for m in nl.emu.messages(nl.channel("lettre-info"))
        if "Appel à contributions" in m["content"]
    ]
    assert len(calls) == 1 and "/newsletter proposer" in calls[0]["content"]
    assert "mardi 29 décembre 2026 à 09:00" in calls[0]["content"]
    await nl.restart()
    await nl.advance(timedelta(days=12, hours=1))

    def coordination() -> str:
        return texts(nl.emu.messages(nl.channel("coordination")))

    await eventually(lambda: "Clôture des propositions" in coordination())
    assert "1 proposition(s) en attente" in coordination()
    await nl.advance(timedelta(days=8))
    await eventually(lambda: "n'est pas encore programmée" in coordination())
    # Running the planner again (every hour, after each restart) never duplicates them.
    await nl.bot.scheduler.run_planners()
    await nl.advance(timedelta(hours=2))
    calls = [
        m
        for m in nl.emu.messages(nl.channel("lettre-info"))
        if "Appel à contributions" in m["content"]
    ]
    assert len(calls) == 1

    changed = await nl.slash(
        "coordinateur",
        "newsletter cadence",
        options={"texte": "dernier jeudi de chaque mois à 18h"},
    )
    assert "Rythme enregistré" in changed.text and "jeudi 28 janvier 2027 à 18:00" in changed.text


async def test_demo_network_has_a_past_issue_and_pending_items(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data", extensions=["cogs.core", "cogs.newsletter"], clock=Clock(START)
    ) as h:
        archives = await h.slash("membre", "newsletter archives")
        assert "Lettre n° 6 — novembre 2026" in archives.text and "document n°" in archives.text
        queue = await h.slash("coordinateur", "newsletter file")
        assert "Propositions en attente (2)" in queue.text
        assert "Prochaine lettre : n° 7, 1 article(s) accepté(s)" in queue.text
        cards = [m for m in h.emu.messages(h.channel("coordination")) if m.get("embeds")]
        assert len(cards) == 2 and all(
            buttons(c) == ["Accepter", "Modifier", "Refuser"] for c in cards
        )
        preview = await h.slash("coordinateur", "newsletter apercu")
        assert "Lettre n° 7 — janvier 2027" in preview.text and "Café numérique" in preview.text
        url = local_url(h, f"/newsletter/{h.guild_id}/6")
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
            assert "Cartes SIM et recharges à 3 €" in await response.text()
        # Seeding twice (a restarted demo) adds nothing.
        await h.seed_capability_demos()
        async with h.bot.db.session() as session:
            assert len(list(await session.scalars(select(NewsletterIssue)))) == 2
