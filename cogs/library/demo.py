"""Demo network: a few real-looking documents, made in code (PDF, DOCX, XLSX, Markdown, link)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.library import generate
from db.models import Document, Referent
from db.models.documents import DocumentOrigin


def _documents(people: dict[str, int], referent_structure: int | None) -> list[dict[str, Any]]:
    return [
        {
            "title": "Procédure CAF — mise à jour de situation",
            "filename": "procedure-caf-mise-a-jour.pdf",
            "data": generate.make_pdf(
                "Procédure CAF — mise à jour de situation",
                [
                    "1. Se connecter sur caf.fr avec son numéro d'allocataire et son mot de passe "
                    "(ou via FranceConnect).",
                    "2. Rubrique « Déclarer un changement » : situation familiale (naissance, "
                    "séparation), professionnelle (reprise d'emploi), logement.",
                    "3. Vérifier les pièces demandées et les numériser avec le téléphone.",
                    "4. Penser à la déclaration trimestrielle de ressources pour la prime "
                    "d'activité et le RSA.",
                    "Orientation : en cas de blocage, la permanence CAF du CCAS reçoit sur "
                    "rendez-vous le jeudi.",
                ],
            ),
            "category": "procedure",
            "tags": ["caf", "accès aux droits"],
            "description": "Pas à pas pour accompagner une mise à jour de situation sur caf.fr.",
            "owner": people.get("referent"),
            "structure_id": referent_structure,
        },
        {
            "title": "Grille d'auto-diagnostic PIX",
            "filename": "grille-auto-diagnostic-pix.xlsx",
            "data": generate.make_xlsx(
                [
                    ["Domaine PIX", "Compétence", "Je sais faire", "Avec aide", "Pas encore"],
                    ["Information et données", "Mener une recherche sur le web", "", "", ""],
                    ["Communication", "Envoyer un courriel avec une pièce jointe", "", "", ""],
                    ["Création de contenus", "Remplir un formulaire en ligne", "", "", ""],
                    ["Protection et sécurité", "Reconnaître un message d'hameçonnage", "", "", ""],
                    [
                        "Environnement numérique",
                        "Ranger ses fichiers dans des dossiers",
                        "",
                        "",
                        "",
                    ],
                ],
                sheet_title="Auto-diagnostic",
            ),
            "category": "diagnostic",
            "tags": ["pix", "diagnostic", "compétences"],
            "description": "À faire remplir avant l'entrée en atelier pour orienter vers le bon niveau.",
            "owner": people.get("coordinateur"),
            "structure_id": None,
        },
        {
            "title": "Annuaire des permanences numériques",
            "filename": "annuaire-permanences.md",
            "data": generate.make_markdown(
                "Annuaire des permanences numériques",
                [
                    "- **CCAS de Mérignac** : jeudi 9 h – 12 h, sur rendez-vous (accès aux droits).",
                    "- **Médiathèque Michel Serres** : mercredi 14 h – 17 h, ateliers et postes "
                    "en libre accès.",
                    "- **Maison des Habitants de Beutre** : mardi matin, sans rendez-vous.",
                    "- **Bus numérique itinérant** : Beaudésert le lundi, Yser le vendredi.",
                ],
            ),
            "category": "annuaire",
            "tags": ["annuaire", "permanences"],
            "description": "Où orienter une personne, quel jour, avec ou sans rendez-vous.",
            "owner": people.get("membre"),
            "structure_id": None,
        },
        {
            "title": "Compte rendu du COPIL du 15 septembre",
            "filename": "copil-15-septembre.docx",
            "data": generate.make_docx(
                "Compte rendu du COPIL du 15 septembre",
                [
                    "Présents : élus, CCAS, médiathèques, Maisons des Habitants, associations.",
                    "Décisions : validation de la charte juridique de l'aidant ; ouverture du "
                    "serveur Discord des professionnels ; un référent par structure.",
                    "Prochain COPIL : mars, bilan du semestre et de la lettre d'information.",
                ],
                table=[["Action", "Pilote"], ["Annuaire des permanences", "CCAS"]],
            ),
            "category": "compte-rendu",
            "tags": ["copil", "gouvernance"],
            "description": "",
            "owner": people.get("coordinateur"),
            "structure_id": None,
            "origin": DocumentOrigin.MINUTES,
        },
        {
            "title": "Aidants Connect : habilitation des structures",
            "link": "https://aidantsconnect.beta.gouv.fr/",
            "category": "procedure",
            "tags": ["aidants connect", "mandat"],
            "description": "Agir légalement pour le compte d'une personne : habilitation et mandats.",
            "owner": people.get("coordinateur"),
            "structure_id": None,
        },
    ]


async def seed_demo(bot: Any, guild_id: int, people: dict[str, int]) -> None:
    """File the demo documents once (a second run adds nothing)."""
    async with bot.db.session() as session:
        existing = set(
            await session.scalars(select(Document.title).where(Document.guild_id == guild_id))
        )
        referent_structure = await session.scalar(
            select(Referent.structure_id).where(
                Referent.guild_id == guild_id, Referent.user_id == people.get("referent", 0)
            )
        )
    for spec in _documents(people, referent_structure):
        if spec["title"] in existing:
            continue
        await bot.documents.add(
            guild_id=guild_id,
            title=spec["title"],
            data=spec.get("data"),
            filename=spec.get("filename"),
            link_url=spec.get("link"),
            category=spec["category"],
            tags=spec["tags"],
            origin=spec.get(
                "origin", DocumentOrigin.LINK if "link" in spec else DocumentOrigin.UPLOAD
            ),
            owner_id=spec["owner"],
            structure_id=spec["structure_id"],
            description=spec["description"],
        )
