"""A small labelled directory whose coverage matrix and gaps were computed by hand.

    #  name                      commune / quartier     services      access           fees     hours
    1  CCAS de Mérignac          Mérignac / Centre      ADM           walk-in          free     Mo-Fr 09-12, 13:30-17 (32.5 h)
    2  Médiathèque d'Arlac       Mérignac / Arlac       OUT ACC       walk-in          free     Tu-Fr 14-19; Sa 10-17 (27 h)
    3  Maison des Habitants      Mérignac / Beutre      ADM OUT       phone only       free     Mo,We 09-12 (6 h)
    4  Clic Beutre (asso)        Mérignac / Beutre      ADM           online booking   paying   Th 18-20 (2 h)
    5  Cyber Capeyron            Mérignac / Capeyron    OUT ACC       walk-in          paying   Mo-Sa 10-18 (48 h)
    6  France Services Bastide   Bordeaux / Bastide     ADM EMP       walk-in + phone  free     Mo-Fr 08:30-17:30; Sa 09-12 (48 h)
    7  EPN de Pessac             Pessac / —             OUT           (not given)      (n. g.)  (not given)
    8  Siège du réseau           Mérignac / Arlac       ADM           no public        free     Mo-Fr 09-17
    9  Ancien PIMMS (archived)   Mérignac / Capeyron    ADM           walk-in          free     Mo-Fr 09-17

Hand-computed (see test_coverage.py): Mérignac ADM = 3 places (1, 3, 4; 8 receives no
public, 9 is archived), open 34.5 h on Mo-Fr, an evening (Th 18-20), no Saturday; Mérignac
OUT = 3 places (2, 3, 5), 54 h, Mo-Sa; Beutre ADM is appointment-only; Capeyron OUT is
paying-only; Arlac, Capeyron and Pessac have no ADM at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cogs.observatory.coverage import Place
from db.models.structures import (
    FRAIS,
    MODALITES_ACCES,
    SERVICES,
    Structure,
    fold,
    vocabulary_mask,
)

ADM, OUT, EMP, ACC = SERVICES[0], SERVICES[1], SERVICES[2], SERVICES[7]
GUILD = 4242
OTHER_GUILD = 4343
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

WALK_IN = ["Se présenter"]
PHONE = ["Téléphoner"]
ONLINE = ["Prendre un RDV en ligne"]
NO_PUBLIC = ["Ce lieu n'accueille pas de public"]

LABELLED: list[dict[str, Any]] = [
    dict(
        nom="CCAS de Mérignac",
        commune="Mérignac",
        quartier="Centre",
        services=[ADM],
        modalites_acces=WALK_IN,
        frais_a_charge=["Gratuit"],
        horaires="Mo-Fr 09:00-12:00,13:30-17:00",
    ),
    dict(
        nom="Médiathèque d'Arlac",
        commune="Mérignac",
        quartier="Arlac",
        services=[OUT, ACC],
        modalites_acces=WALK_IN,
        frais_a_charge=["Gratuit"],
        horaires="Tu-Fr 14:00-19:00; Sa 10:00-17:00",
    ),
    dict(
        nom="Maison des Habitants de Beutre",
        commune="Mérignac",
        quartier="Beutre",
        services=[ADM, OUT],
        modalites_acces=PHONE,
        frais_a_charge=["Gratuit"],
        horaires="Mo,We 09:00-12:00",
    ),
    dict(
        nom="Clic Beutre",
        commune="Mérignac",
        quartier="Beutre",
        services=[ADM],
        modalites_acces=ONLINE,
        frais_a_charge=["Payant"],
        horaires="Th 18:00-20:00",
    ),
    dict(
        nom="Cyber Capeyron",
        commune="Mérignac",
        quartier="Capeyron",
        services=[OUT, ACC],
        modalites_acces=WALK_IN,
        frais_a_charge=["Payant"],
        horaires="Mo-Sa 10:00-18:00",
    ),
    dict(
        nom="France Services Bastide",
        commune="Bordeaux",
        quartier="Bastide",
        services=[ADM, EMP],
        modalites_acces=WALK_IN + PHONE,
        frais_a_charge=["Gratuit"],
        horaires="Mo-Fr 08:30-17:30; Sa 09:00-12:00",
    ),
    dict(nom="EPN de Pessac", commune="Pessac", quartier=None, services=[OUT]),
    dict(
        nom="Siège du réseau",
        commune="Mérignac",
        quartier="Arlac",
        services=[ADM],
        modalites_acces=NO_PUBLIC,
        frais_a_charge=["Gratuit"],
        horaires="Mo-Fr 09:00-17:00",
    ),
    dict(
        nom="Ancien PIMMS",
        commune="Mérignac",
        quartier="Capeyron",
        services=[ADM],
        modalites_acces=WALK_IN,
        frais_a_charge=["Gratuit"],
        horaires="Mo-Fr 09:00-17:00",
        archived=True,
    ),
]


def labelled_places() -> list[Place]:
    """The live entries as the observatory sees them (the archived one left out)."""
    places = []
    for number, spec in enumerate(LABELLED, start=1):
        if spec.get("archived"):
            continue
        places.append(
            Place(
                id=number,
                name=spec["nom"],
                commune=spec["commune"],
                quartier=spec.get("quartier") or "",
                commune_key=fold(spec["commune"]),
                quartier_key=fold(spec.get("quartier")),
                services_mask=vocabulary_mask(spec["services"], SERVICES),
                acces_mask=vocabulary_mask(spec.get("modalites_acces"), MODALITES_ACCES),
                frais_mask=vocabulary_mask(spec.get("frais_a_charge"), FRAIS),
                horaires=spec.get("horaires"),
            )
        )
    return places


def structure_rows(guild_id: int = GUILD, now: datetime = NOW) -> list[Structure]:
    rows = []
    for number, spec in enumerate(LABELLED, start=1):
        values = {k: v for k, v in spec.items() if k != "archived"}
        rows.append(
            Structure(
                guild_id=guild_id,
                external_id=f"lab-{number}",
                code_postal="33700",
                adresse=f"{number} rue du Test",
                date_maj=date(2026, 9, 1),
                archived_at=now if spec.get("archived") else None,
                **values,
            )
        )
    return rows


async def seed_labelled(database: Any, guild_id: int = GUILD) -> dict[str, int]:
    """Insert the labelled directory; returns name -> structure id."""
    async with database.transaction() as session:
        rows = structure_rows(guild_id)
        session.add_all(rows)
        await session.flush()
        return {row.nom: row.id for row in rows}
