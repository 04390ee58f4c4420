"""Demo data: the letter published two months ago (n° 6, in the library and on the web side),
one item already accepted for the next letter, and proposals waiting for review."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from cogs.newsletter import service
from cogs.newsletter.cadence import DEFAULT_CADENCE
from cogs.newsletter.compose import IssueContent, ItemContent
from cogs.newsletter.export import issue_html, issue_markdown
from cogs.newsletter.naming import issue_heading, issue_slug
from db.models import Structure
from db.models.documents import DocumentOrigin
from db.models.newsletter import (
    IssueMode,
    IssueStatus,
    ItemStatus,
    NewsletterIssue,
    NewsletterItem,
)

if TYPE_CHECKING:
    from bot.client import AiguillageBot

PAST_NUMBER = 6

PAST_ITEMS = [
    (
        "merignac-ccas",
        "Cartes SIM et recharges à 3 € : le dispositif continue",
        "Le CCAS poursuit la distribution de cartes SIM et de recharges internet à 3 € pour "
        "les personnes en précarité économique. Orientez vers l'accueil du CCAS, du lundi au "
        "vendredi, avec une pièce d'identité et un justificatif de ressources.",
        None,
    ),
    (
        "merignac-mediatheque-michel-serres",
        "Ateliers « premiers pas sur smartphone »",
        "Quatre séances le mardi de 14h à 16h pour apprendre à utiliser son téléphone : "
        "appels, photos, messages, applications utiles (Ameli, CAF, France Identité).\n\n"
        "Inscription sur place ou par téléphone.",
        "https://www.merignac.com",
    ),
    (
        "merignac-mdh-beutre",
        "Fermeture estivale de la Maison des Habitants",
        "La Maison des Habitants de Beutre sera fermée du 1er au 15 août. Pendant cette période, "
        "orientez les habitants vers la permanence du conseiller numérique à Chemin Long.",
        None,
    ),
]

PENDING_ITEMS = [
    (
        "referent",
        "merignac-ccas",
        "Nouvelle permanence France Services le samedi matin",
        "À partir de janvier, l'Espace France Services du CCAS ouvre aussi le samedi de 9h à "
        "12h, sur rendez-vous, pour les démarches CAF, Ameli, impôts et ANTS.",
        "https://www.merignac.com/france-services",
    ),
    (
        "membre",
        None,
        "Bon plan : partager la connexion de son téléphone",
        "Un tutoriel imprimable en pas à pas pour activer le partage de connexion (Android et "
        "iPhone), à remettre aux personnes sans box internet.",
        None,
    ),
]

ACCEPTED_ITEM = (
    "referente-beutre",
    "merignac-mdh-beutre",
    "Café numérique tous les jeudis",
    "Chaque jeudi de 10h à 12h, la Maison des Habitants de Beutre accueille sans rendez-vous "
    "les habitants qui ont une question sur leur ordinateur ou leur téléphone.",
    None,
)


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    now = bot.clock.now()
    async with bot.db.session() as session:
        if await session.scalar(
            select(NewsletterIssue.id).where(NewsletterIssue.guild_id == guild_id).limit(1)
        ):
            return  # already seeded (a restarted demo keeps its data)
        structures = {
            s.external_id: s
            for s in await session.scalars(select(Structure).where(Structure.guild_id == guild_id))
        }

    # The last publication before now, on the default cadence.
    past = [p for p in DEFAULT_CADENCE.publications_after(now - timedelta(days=130), 3) if p < now][
        -1
    ]
    coordinator = people.get("coordinateur")
    async with bot.db.transaction() as session:
        issue = NewsletterIssue(
            guild_id=guild_id,
            number=PAST_NUMBER,
            status=IssueStatus.PUBLISHED,
            mode=IssueMode.ITEMS,
            intro="Bonne rentrée à toutes et à tous ! Voici les nouvelles du réseau.",
            scheduled_for=past,
            published_at=past,
            message_ids=[],
            created_by=coordinator,
            created_at=past - timedelta(days=10),
            updated_at=past,
        )
        session.add(issue)
        await session.flush()
        contents = []
        for position, (external_id, title, body, link) in enumerate(PAST_ITEMS, start=1):
            structure = structures.get(external_id)
            item = NewsletterItem(
                guild_id=guild_id,
                status=ItemStatus.PUBLISHED,
                title=title,
                body=body,
                link_url=link,
                structure_id=structure.id if structure else None,
                issue_id=issue.id,
                position=position,
                submitter_id=people.get("referent") or coordinator or 0,
                submitted_at=past - timedelta(days=20),
                reviewed_by=coordinator,
                reviewed_at=past - timedelta(days=15),
                updated_at=past,
            )
            session.add(item)
            await session.flush()
            contents.append(
                ItemContent(
                    item_id=item.id,
                    title=title,
                    body=body,
                    link_url=link,
                    structure=structure.display_name if structure else None,
                )
            )
        content = IssueContent(
            number=PAST_NUMBER,
            heading=issue_heading(PAST_NUMBER, past),
            intro=issue.intro,
            items=tuple(contents),
            published_at=past,
        )
        issue.snapshot = content.to_dict()
        issue_id = issue.id

    document = await bot.documents.add(
        guild_id=guild_id,
        title=content.heading,
        data=issue_html(content).encode("utf-8"),
        filename=f"{issue_slug(PAST_NUMBER, past)}.html",
        category="Lettre d'information",
        tags=["lettre d'information", f"lettre-{PAST_NUMBER}"],
        origin=DocumentOrigin.NEWSLETTER,
        owner_id=coordinator,
        description=content.intro,
        mime_type="text/html",
        text=issue_markdown(content),
    )
    async with bot.db.transaction() as session:
        row = await session.get(NewsletterIssue, issue_id)
        assert row is not None
        row.document_id = document.id

    # The next letter (n° 7): one item accepted, two proposals waiting for review.
    pending_ids = []
    async with bot.db.transaction() as session:
        person, external_id, title, body, link = ACCEPTED_ITEM
        structure = structures.get(external_id)
        accepted = await service.submit_item(
            session,
            guild_id=guild_id,
            submitter_id=people.get(person) or people["membre"],
            title=title,
            body=body,
            link_url=link,
            structure_id=structure.id if structure else None,
            now=now - timedelta(days=3),
        )
        await service.accept_item(
            session,
            guild_id,
            accepted.id,
            reviewer_id=coordinator or 0,
            now=now - timedelta(days=2),
        )
        for person, external_id, title, body, link in PENDING_ITEMS:
            structure = structures.get(external_id) if external_id else None
            item = await service.submit_item(
                session,
                guild_id=guild_id,
                submitter_id=people[person],
                title=title,
                body=body,
                link_url=link,
                structure_id=structure.id if structure else None,
                now=now - timedelta(days=1),
            )
            pending_ids.append(item.id)

    # Review cards with their buttons, as if the proposals had just been sent.
    cog = bot.get_cog("NewsletterCog")
    if cog is not None:
        for item_id in pending_ids:
            await cog.post_review_card(guild_id, item_id)  # type: ignore[attr-defined]
