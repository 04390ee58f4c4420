"""Demo data: charter v1 of the demo network, accepted by most demo members."""

from __future__ import annotations

from datetime import timedelta

from bot.client import AiguillageBot
from cogs.charter import versions
from db.models.documents import DocumentOrigin
from db.network import member_structure_id, record_charter_acceptance

DEMO_CHARTER = """# Charte du réseau des aidants numériques de Mérignac

## Article 1 — Objet
Cette charte protège les aidants (médiateurs numériques, agents d'accueil, travailleurs sociaux, bénévoles) et les personnes qu'ils accompagnent (les aidés) dans leurs démarches en ligne.

## Article 2 — Consentement et autonomie
L'aidant explique ce qu'il fait et pourquoi. L'aidé reste maître de ses démarches : l'aidant ne décide jamais à sa place.

## Article 3 — Identifiants et mots de passe
L'aidant ne conserve aucun identifiant, mot de passe ni code reçu par SMS. Pour agir à la place d'une personne, il utilise un mandat Aidants Connect.

## Article 4 — Confidentialité
Les informations personnelles vues pendant un accompagnement restent confidentielles. Aucune copie de pièce justificative n'est gardée sans l'accord écrit de la personne.

## Article 5 — Orientation
Chacun reste dans son champ de compétence et oriente vers la structure adaptée du réseau (annuaire : `/annuaire`), en prévenant son référent.

## Article 6 — Le réseau
Chaque structure désigne un·e référent·e qui fait circuler l'information. Les échanges sur Discord ne contiennent aucune donnée personnelle d'aidé.
"""


async def seed_demo(bot: AiguillageBot, guild_id: int, people: dict[str, int]) -> None:
    async with bot.db.transaction() as session:
        if await versions.current_version(session, guild_id) is not None:
            return  # seeded already (the demo restarts on the same database)
        data = DEMO_CHARTER.encode()
        document = await bot.documents.add(
            guild_id=guild_id,
            title="Charte du réseau — v1",
            data=data,
            filename="charte-reseau-v1.md",
            category="Charte",
            tags=["charte"],
            origin=DocumentOrigin.CHARTER,
            owner_id=people["coordinateur"],
            description="Première version adoptée en COPIL",
            text=DEMO_CHARTER,
            session=session,
        )
        now = bot.clock.now()
        version = await versions.publish(
            session,
            guild_id=guild_id,
            label="v1",
            summary="Première version adoptée en COPIL",
            text=DEMO_CHARTER,
            document_id=document.id,
            sha256=document.current.sha256 if document.current else None,
            filename="charte-reseau-v1.md",
            actor_id=people["coordinateur"],
            now=now - timedelta(days=30),
        )
        # Most members accepted; "membre" has not yet, so the follow-up shows someone to chase.
        for name in ("coordinateur", "referent", "referente-beutre", "english", "conseiller"):
            user_id = people.get(name)
            if user_id is None:
                continue
            await record_charter_acceptance(
                session,
                guild_id=guild_id,
                version_id=version.id,
                user_id=user_id,
                structure_id=await member_structure_id(session, guild_id, user_id),
                interaction_id=None,
                now=now - timedelta(days=29),
            )
    cog = bot.get_cog("CharterCog")
    guild = bot.get_guild(guild_id)
    if cog is not None and guild is not None:
        await cog.reconcile_gate(guild)  # type: ignore[attr-defined]
