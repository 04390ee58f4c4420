"""The observatory's fast paths (national scale, bench/observatory.py) against plain
references on random data: the gaps sorted in one pass equal the gaps sorted on their
full key; an empty period is told from the days of its edge months."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from cogs.observatory import data
from cogs.observatory.coverage import (
    EVENING_MASK,
    NETWORK,
    SATURDAY_MASK,
    Cell,
    CoverageMatrix,
    Gap,
    GapKind,
    Place,
    add_areas,
    coverage_matrix,
    find_gaps,
)
from cogs.observatory.figures import compute_observatory
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import Period
from db.demand import FILTERS, PUBLIC_VALUES, month_of
from db.models.observatory import DemandRecord
from db.models.structures import FRAIS, MODALITES_ACCES, SERVICES

from .labelled import NOW

TODAY = NOW.date()
FIRST_DAY = date(2024, 12, 20)
AREAS = [("", "")] * 3 + [
    ("merignac", ""),
    ("merignac", "beutre"),
    ("merignac", "capeyron"),
    ("pessac", ""),
    ("pessac", "alouette"),
    ("talence", "thouars"),
]
HOURS = [None, "Mo-Fr 09:00-12:00", "Tu-Sa 14:00-19:00", "Sa 09:00-12:00", "not hours"]


@pytest.fixture(scope="module")
def needs() -> NeedCatalogue:
    return NeedCatalogue.load()


# ----------------------------------------------------------------------------- gaps
def reference_gaps(
    matrix: CoverageMatrix,
    *,
    services: list[int] | None = None,
    demand: dict[tuple[tuple[str, str], int], tuple[int, int]] | None = None,
    kinds: tuple[str, ...] = GapKind.ALL,
) -> list[Gap]:
    """find_gaps as documented, the obvious way: every gap, then one sort on the full key
    (stable: kinds of one cell keep the order they are listed in)."""
    demand = demand or {}
    network: dict[int, list[int]] = {}
    for (key, index), (asked, unanswered) in demand.items():
        if not key[1]:
            totals = network.setdefault(index, [0, 0])
            totals[0] += asked
            totals[1] += unanswered
    found = []
    for index in services if services is not None else range(len(SERVICES)):
        offered = matrix.totals[index].places > 0
        if not offered and GapKind.NONE in kinds:
            asked, unanswered = network.get(index, [0, 0])
            found.append(Gap(NETWORK, SERVICES[index], GapKind.NONE, 0, 0, asked, unanswered))
        for area in matrix.areas:
            cell = matrix.cells.get((area.key, index), Cell())
            commune = matrix.cells.get(((area.commune_key, ""), index), Cell()).places
            asked, unanswered = demand.get((area.key, index), (0, 0))
            listed = []
            if cell.places == 0:
                wider = not offered or (bool(area.quartier_key) and not commune)
                if asked or not wider:
                    listed.append(GapKind.NONE)
            else:
                if cell.appointment_only_places == cell.places:
                    listed.append(GapKind.APPOINTMENT_ONLY)
                if cell.paying_only_places == cell.places:
                    listed.append(GapKind.PAYING_ONLY)
                if cell.hours_known and not cell.slots & SATURDAY_MASK:
                    listed.append(GapKind.NO_SATURDAY)
                if cell.hours_known and not cell.slots & EVENING_MASK:
                    listed.append(GapKind.NO_EVENING)
            for kind in listed:
                if kind in kinds:
                    found.append(
                        Gap(area, SERVICES[index], kind, cell.places, commune, asked, unanswered)
                    )

    def order(gap: Gap) -> tuple[Any, ...]:
        area = gap.area
        return (
            -gap.unanswered,
            -GapKind.SEVERITY[gap.kind],
            -gap.demand,
            area is not NETWORK,
            bool(area.quartier_key),
            area.commune_key,
            area.quartier_key,
            SERVICES.index(gap.service),
        )

    return sorted(found, key=order)


def random_places(rng: random.Random, count: int) -> list[Place]:
    places = []
    for number in range(count):
        commune, quartier = rng.choice(AREAS[2:])  # one place has no commune at all
        mask = 0
        for _ in range(rng.randint(1, 3)):
            mask |= 1 << rng.randrange(4)  # four services: gaps of every kind
        places.append(
            Place(
                number,
                f"Lieu {number}",
                commune.title(),
                quartier.title(),
                commune,
                quartier,
                mask,
                acces_mask=1 << rng.randrange(len(MODALITES_ACCES)) if rng.random() < 0.9 else 0,
                frais_mask=1 << rng.randrange(len(FRAIS)) if rng.random() < 0.9 else 0,
                horaires=rng.choice(HOURS),
                prise_rdv=rng.random() < 0.2,
            )
        )
    return places


@pytest.mark.parametrize("seed", range(40))
def test_gaps_equal_the_reference_on_random_directories(seed: int) -> None:
    rng = random.Random(seed)
    extra = [("talence", "thouars", "Talence", "Thouars"), ("eysines", "", "Eysines", "")]
    matrix = coverage_matrix(random_places(rng, rng.randint(0, 30)), extra_areas=extra)
    demand: dict[tuple[tuple[str, str], int], tuple[int, int]] = {}
    for _ in range(rng.randint(0, 25)):
        area = rng.choice(matrix.areas) if matrix.areas else NETWORK
        asked = rng.randint(1, 4)  # few values: ties in demand are common
        demand[(area.key, rng.randrange(len(SERVICES)))] = (asked, rng.randint(0, asked))
    services = rng.sample(range(len(SERVICES)), rng.randint(1, 5)) if seed % 3 == 0 else None
    kinds = tuple(rng.sample(GapKind.ALL, rng.randint(1, 5))) if seed % 4 == 0 else GapKind.ALL
    expected = reference_gaps(matrix, services=services, demand=demand, kinds=kinds)
    assert find_gaps(matrix, services=services, demand=demand, kinds=kinds) == expected
    # Four services of thirteen are offered: unless filtered, there are always gaps.
    assert expected or services is not None or kinds != GapKind.ALL


def test_areas_added_later_are_the_areas_given_at_once() -> None:
    rng = random.Random(7)
    places = random_places(rng, 20)
    extra = [("talence", "thouars", "Talence", "Thouars"), ("merignac", "arlac", "M", "Arlac")]
    at_once = coverage_matrix(places, extra_areas=extra)
    later = coverage_matrix(places)
    assert [a.key for a in later.areas] != [a.key for a in at_once.areas]
    data_areas = [a for a in at_once.areas if a.key[0] == "talence"]
    assert [a.label for a in data_areas] == ["Talence", "Thouars (Talence)"]
    add_areas(later, extra)
    assert later.areas == at_once.areas and later.cells == at_once.cells


# ----------------------------------------------------------------------------- demand
def random_log(rng: random.Random, guild: int, needs: NeedCatalogue, count: int) -> list[dict]:
    keys = sorted(needs.needs)
    rows = []
    for _ in range(count):
        day = FIRST_DAY + timedelta(days=rng.randrange((TODAY - FIRST_DAY).days + 1))
        chosen = sorted(rng.sample(keys, rng.choice([0, 1, 1, 1, 2, 3])))
        mask = 0
        for key in chosen:
            mask |= needs.services_mask(key)
        if rng.random() < 0.1:
            mask = 0  # the need's services were not understood
        commune, quartier = rng.choice(AREAS)
        filters = rng.randrange(1 << len(FILTERS))
        results = rng.choice([0, 0, 1, 2, 3, 7, 30])
        rows.append(
            {
                "guild_id": guild,
                "day": day,
                "month": month_of(day),
                "services_mask": mask,
                "needs": "|" + "|".join(chosen) + "|" if chosen else "",
                "commune_key": commune,
                "quartier_key": quartier,
                "filters_mask": filters,
                "public": rng.choice(PUBLIC_VALUES) if filters & 8 else "",
                "result_count": results,
                "handover": results > 0 and rng.random() < 0.3,
            }
        )
    return rows


async def test_a_period_whose_months_hold_requests_on_other_days_only(db, guild, needs) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    rows = random_log(rng, guild, needs, 40)
    for row, day in zip(rows, [date(2025, 3, 30), date(2025, 5, 2)] * 20, strict=True):
        row.update(day=day, month=month_of(day))
    async with db.transaction() as session:
        await session.execute(insert(DemandRecord), rows)
    empty = Period("range", date(2025, 3, 31), date(2025, 5, 2))
    async with db.session() as session:
        assert not await data.has_demand(session, guild, empty)
        assert await data.has_demand(session, guild, Period("range", empty.start, date(2025, 5, 3)))
        assert await data.has_demand(session, guild, Period("range", date(2025, 3, 30), empty.end))
    obs = await compute_observatory(db, guild, empty, now=NOW, needs=needs)
    assert obs.demand.total.requests == 0 and obs.trend[-1].month == 202505
    assert sum(p.requests for p in obs.trend) == 40  # the trend counts whole months
