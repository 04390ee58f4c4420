"""Export to data·inclusion (schema v1.0.8): one structure per place, one service per
service of the standard it declares. Vocabularies come from ``data/data-inclusion/``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from db.models.structures import Structure, fold

from .standard import DATA_DIR, PIVOT_UNKNOWN, export_rows

DI_DIR = DATA_DIR / "data-inclusion"
SOURCE = "aiguillage"

# Standard service -> data·inclusion thématiques (only values of thematiques.json).
SERVICE_THEMATIQUES: dict[str, list[str]] = {
    "Aide aux démarches administratives": [
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "numerique--acceder-a-des-services-en-ligne",
    ],
    "Maîtrise des outils numériques du quotidien": [
        "numerique--maitriser-les-fondamentaux-du-numerique"
    ],
    "Insertion professionnelle via le numérique": [
        "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
        "trouver-un-emploi--repondre-a-des-offres-demploi",
    ],
    "Utilisation sécurisée du numérique": ["numerique--maitriser-les-fondamentaux-du-numerique"],
    "Parentalité et éducation avec le numérique": [
        "famille--soutien-a-la-parentalite-et-a-leducation"
    ],
    "Loisirs et créations numériques": ["remobilisation--activites-sportives-et-culturelles"],
    "Compréhension du monde numérique": ["numerique--maitriser-les-fondamentaux-du-numerique"],
    "Accès internet et matériel informatique": ["numerique--acceder-a-une-connexion-internet"],
    "Acquisition de matériel informatique à prix solidaire": ["numerique--acquerir-un-equipement"],
}
PUBLICS = {
    "Jeunes": "jeunes",
    "Étudiants": "etudiants",
    "Familles et/ou enfants": "familles",
    "Seniors": "seniors",
    "Femmes": "femmes",
}
MOBILISATION = {
    "Se présenter": "se-presenter",
    "Téléphoner": "telephoner",
    "Contacter par mail": "envoyer-un-courriel",
    "Envoyer un mail avec une fiche de prescription": "envoyer-un-courriel",
    "Prendre un RDV en ligne": "utiliser-lien-mobilisation",
}
RESEAUX = {
    "Aidants Connect": "aidants-connect",
    "Conseillers numériques": "conseillers-numeriques",
    "France Services": "france-service",
    "La Croix Rouge": "croix-rouge",
    "Emmaüs Connect": "emmaus",
    "Relais numérique (Emmaüs Connect)": "emmaus",
    "Point d'accès numérique CAF": "caf",
    "Grande école du numérique": "grandes-ecoles-du-numerique",
}


@cache
def vocabulary(name: str) -> frozenset[str]:
    data = json.loads((DI_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return frozenset(item["value"] for item in data)


def _slug(text: str) -> str:
    return fold(text).replace(" ", "-")


def _clip(text: str, maximum: int) -> str:
    return text if len(text) <= maximum else text[: maximum - 1].rstrip() + "…"


def _structure_record(row: dict[str, Any]) -> dict[str, Any]:
    pivot = row.get("pivot") or ""
    description = row.get("presentation_detail") or row.get("presentation_resume")
    reseaux = sorted(
        {RESEAUX[d] for d in row["dispositif_programmes_nationaux"] if d in RESEAUX}
        & vocabulary("reseaux-porteurs")
    )
    return {
        "id": row["id"],
        "siret": pivot if re.fullmatch(r"\d{14}", pivot) and pivot != PIVOT_UNKNOWN else None,
        "nom": _clip(row["nom"], 150) if len(row["nom"]) >= 3 else row["nom"].ljust(3, "."),
        "commune": row["commune"],
        "code_postal": row["code_postal"],
        "code_insee": row.get("code_insee"),
        "adresse": row["adresse"],
        "complement_adresse": row.get("complement_adresse"),
        "latitude": row.get("latitude"),
        "longitude": row.get("longitude"),
        "telephone": row.get("telephone"),
        "courriel": (row["courriels"] or [None])[0],
        "site_web": (row["site_web"] or [None])[0],
        "description": _clip(description, 10000) if description and len(description) >= 5 else None,
        "source": SOURCE,
        "date_maj": row["date_maj"].isoformat(),
        "horaires_accueil": row.get("horaires"),
        "accessibilite_lieu": row.get("fiche_acces_libre"),
        "reseaux_porteurs": reseaux or None,
        "lien_source": None,
    }


def _service_records(row: dict[str, Any]) -> list[dict[str, Any]]:
    records = []
    publics = sorted({PUBLICS[p] for p in row["publics_specifiquement_adresses"] if p in PUBLICS})
    frais = row["frais_a_charge"]
    modes = sorted({MOBILISATION[m] for m in row["modalites_acces"] if m in MOBILISATION})
    accueil = ["en-presentiel"]
    if "À distance" in row["modalites_accompagnement"]:
        accueil.append("a-distance")
    for service in row["services"]:
        thematiques = [
            t for t in SERVICE_THEMATIQUES.get(service, []) if t in vocabulary("thematiques")
        ]
        records.append(
            {
                "id": f"{row['id']}--{_slug(service)}",
                "structure_id": row["id"],
                "source": SOURCE,
                "nom": _clip(service, 150),
                "description": _clip(f"{service} — {row['nom']} ({row['commune']}).", 10000),
                "date_maj": row["date_maj"].isoformat(),
                "type": "accompagnement",
                "thematiques": thematiques or None,
                "frais": "payant" if frais == ["Payant"] else ("gratuit" if frais else None),
                "frais_precisions": "Gratuit sous condition"
                if "Gratuit sous condition" in frais
                else None,
                "publics": publics or ["tous-publics"],
                "modes_accueil": accueil,
                "modes_mobilisation": modes or None,
                "mobilisable_par": ["usagers", "professionnels"],
                "lien_mobilisation": row.get("prise_rdv"),
                "horaires_accueil": row.get("horaires"),
                "adresse": row["adresse"],
                "commune": row["commune"],
                "code_postal": row["code_postal"],
                "code_insee": row.get("code_insee"),
                "latitude": row.get("latitude"),
                "longitude": row.get("longitude"),
                "telephone": row.get("telephone"),
                "courriel": (row["courriels"] or [None])[0],
            }
        )
    return records


def export_data_inclusion(structures: Iterable[Structure]) -> bytes:
    """``{"structures": [...], "services": [...]}`` in data·inclusion's schema."""
    rows = export_rows(structures)
    document = {
        "structures": [_structure_record(row) for row in rows],
        "services": [record for row in rows for record in _service_records(row)],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
