"""Relevance of `/orienter` on a realistic Mérignac-like directory (fixtures/merignac.json).

Each labelled request, written as professionals write them (typos, slang, no accents),
names the places that MUST be in the top 3 and those that must NOT. The precision
printed at the end (pytest -s) is reported in the closing note.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from db.directory.matching import default_table
from db.directory.search import OrientationQuery, orienter
from db.engine import Database

from .conftest import GUILD, TUESDAY_10AM


@dataclass(frozen=True)
class Case:
    text: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    place: str | None = None
    public: str | None = None
    walk_in: bool = False
    free: bool = False
    open_now: bool = False


CASES = [
    Case(
        "dossier CAF, pas d'ordinateur",
        ("mdh-beutre",),
        ("fablab-merignac", "ordi-solidaire-33"),
        place="Beutre",
    ),
    Case(
        "mettre a jour sa caf",
        ("caf-accueil-merignac", "france-services-beaudesert"),
        ("mdh-arlac",),
    ),
    Case("apl", ("caf-accueil-merignac",), ("mediatheque-michel-serres",)),
    Case("CAF", ("langues-et-demarches",), ("ccas-pessac",), place="Le Burck"),
    Case(
        "caf",
        ("centre-social-burck",),
        ("ccas-pessac",),
        place="Le Burck",
        public="Familles et/ou enfants",
    ),
    Case("pole emploi", ("france-travail-merignac",), ("fablab-merignac",)),
    Case("actualisation pole emploie", ("france-travail-merignac",), ("mediatheque-beaudesert",)),
    Case(
        "inscription france travail",
        ("france-travail-merignac",),
        ("cyberbase-eysines",),
        place="Beutre",
    ),
    Case(
        "faire un CV", ("france-travail-merignac", "france-services-beaudesert"), ("ccas-merignac",)
    ),
    Case("CV", ("mission-locale-technowest", "pij-merignac"), ("ccas-merignac",), public="Jeunes"),
    Case(
        "lettre de motivation",
        ("france-services-beaudesert", "france-travail-merignac"),
        ("ccas-merignac",),
        place="Centre",
    ),
    Case("impots", ("france-services-beaudesert",), ("mediatheque-michel-serres",)),
    Case("declaraton d'impot en ligne", ("ccas-pessac",), ("cyberbase-eysines",), place="Pessac"),
    Case("amelie carte vitale", (), ("mediatheque-beaudesert", "fablab-merignac")),
    Case("carte grisse", ("france-services-beaudesert",), ("cyber-seniors",)),
    Case("passeport", ("france-services-bastide",), ("mdh-beutre",), place="Bordeaux"),
    Case("renouvellement titre de sejour", ("france-services-beaudesert",), ("parents-connectes",)),
    Case("ma tante ne sait pas envoyer un mail", ("mdh-arlac",), ("ccas-merignac",), place="Arlac"),
    Case(
        "apprendre a se servir de sa tablette",
        ("mdh-capeyron",),
        ("france-travail-merignac",),
        place="Capeyron",
    ),
    Case("tablette", ("cyber-seniors", "mdh-capeyron"), (), place="Capeyron", public="Seniors"),
    Case("pas d'ordi pour imprimer", ("epn-chemin-long",), ("ccas-merignac",), place="Chemin-Long"),
    Case(
        "scanner un document", ("mediatheque-beaudesert",), ("fablab-merignac",), place="Beaudesert"
    ),
    Case("wifi", ("mediatheque-michel-serres",), ("ordi-solidaire-33",), place="Centre", free=True),
    Case(
        "acheter un ordinateur pas cher",
        ("ordi-solidaire-33", "emmaus-connect-bordeaux"),
        ("mediatheque-michel-serres",),
    ),
    Case("ordi reconditionné", ("ordi-solidaire-33",), (), place="Les Eyquems"),
    Case("pronote", ("mdh-arlac",), ("ccas-merignac",)),
    Case(
        "pronote",
        ("parents-connectes", "centre-social-burck"),
        ("ccas-merignac",),
        public="Familles et/ou enfants",
    ),
    Case("parcoursup", ("pij-merignac", "mdh-arlac"), ("fablab-merignac",), public="Jeunes"),
    Case("Parcoursupe", ("pij-merignac",), ("fablab-merignac",)),
    Case("arnaque par sms", ("pimms-merignac",), ("fablab-merignac",)),
    Case("compte facebook piraté", ("pimms-merignac",), ("ccas-merignac",)),
    Case("impression 3d", ("fablab-merignac",), ("ccas-merignac",)),
    Case("fab lab", ("fablab-merignac",), ("caf-accueil-merignac",)),
    Case("intelligence artificielle chatgpt", ("mediatheque-pessac",), ("ccas-merignac",)),
    Case("sourd, besoin d'aide pour la caf", ("secours-numerique-sourds",), (), public="Surdité"),
    Case(
        "parle pas français, dossier caf",
        ("langues-et-demarches",),
        (),
        public="Langues étrangères (autres)",
    ),
    Case("une dame d'Arlac veut apprendre l'ordinateur", ("mdh-arlac",), ("cyberbase-eysines",)),
    Case(
        "quelqu'un de Beutre doit faire sa declaration d'impots", ("mdh-beutre",), ("ccas-pessac",)
    ),
    Case("CAF", ("france-services-beaudesert",), ("caf-accueil-merignac",), walk_in=True),
    Case(
        "CV", ("france-travail-merignac",), ("mission-locale-technowest",), walk_in=True, free=True
    ),
    Case("visio avec ses petits enfants", ("cyber-seniors",), ("ccas-merignac",), public="Seniors"),
    Case(
        "boite mail",
        (),
        ("cyberbase-eysines", "mediatheque-pessac", "emmaus-connect-bordeaux"),
        place="Mérignac",
    ),
    Case("chomage", (), ("cyberbase-eysines", "mediatheque-beaudesert"), place="Eysines"),
    Case("carte vitale", ("ccas-pessac",), ("mediatheque-pessac",), place="Pessac"),
    Case("aah mdph", ("france-services-beaudesert",), ("mdh-arlac",)),
    Case("logement social hlm", ("france-services-beaudesert",), ("fablab-merignac",)),
    Case("mot de passe oublié impots.gouv", (), ("ccas-merignac", "fablab-merignac")),
    Case("jeune qui cherche une alternance", (), ("fablab-merignac", "ccas-merignac")),
    Case("faire ses papiers en ligne", (), ("mediatheque-beaudesert", "parents-connectes")),
]

NEVER = {"coordination-numerique"}  # "Ce lieu n'accueille pas de public"


@pytest.fixture
async def outcomes(directory: Database) -> list[tuple[Case, list[str]]]:
    table = default_table()
    found = []
    async with directory.session() as session:
        for case in CASES:
            query = OrientationQuery(
                case.text,
                place=case.place,
                public=case.public,
                walk_in=case.walk_in,
                free=case.free,
                open_now=case.open_now,
            )
            outcome = await orienter(session, GUILD, query, TUESDAY_10AM, table)
            found.append((case, [r.candidate.external_id for r in outcome.results]))
    return found


def test_labelled_requests(outcomes: list[tuple[Case, list[str]]]) -> None:
    assert len(CASES) >= 40
    failures = []
    must_total = must_hit = top3_total = top3_wrong = 0
    for case, ids in outcomes:
        top3 = ids[:3]
        assert not NEVER & set(ids), case.text
        must_total += len(case.must)
        must_hit += sum(1 for m in case.must if m in top3)
        top3_total += len(top3)
        top3_wrong += sum(1 for r in top3 if r in case.must_not)
        missing = [m for m in case.must if m not in top3]
        unwanted = [m for m in case.must_not if m in top3]
        if missing or unwanted or not top3:
            failures.append(f"{case.text!r}: top3={top3} missing={missing} unwanted={unwanted}")
    passed = len(CASES) - len(failures)
    print(
        f"\nrelevance: {passed}/{len(CASES)} requests fully right; "
        f"must-have recall@3 {must_hit}/{must_total}; "
        f"precision@3 (no must-not) {1 - top3_wrong / max(top3_total, 1):.3f}"
    )
    assert not failures, "\n".join(failures)
