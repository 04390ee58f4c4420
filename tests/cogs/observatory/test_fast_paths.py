"""The observatory's fast paths (national scale, bench/observatory.py) against plain
references on random data: the figures counted by the database equal those counted row
by row in Python, on SQLite and PostgreSQL; the gaps sorted in one pass equal the gaps
sorted on their full key; the garbage collector's pause always ends and hands what it
made to the oldest generation."""

from __future__ import annotations

import gc
import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

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
from cogs.observatory.demand_stats import (
    FEW_RESULTS,
    NeedGroup,
    Tally,
    summarize,
    unmet_needs,
)
from cogs.observatory.figures import compute_observatory, most_unanswered
from cogs.observatory.gcpause import collector_paused
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import Period, last_months, semester_of
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


# ----------------------------------------------------------------------------- collector
def test_the_collector_pause_is_reentrant_and_always_ends() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer holder still holds it
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    # Two computations overlapping (not nested): the last one out resumes.
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
    # Someone else paused it: it stays paused after ours.
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


class Made:
    """An object made during a pause (instances are tracked by the collector)."""


def test_what_a_pause_made_goes_to_the_oldest_generation_unscanned() -> None:
    with collector_paused():
        made = [Made() for _ in range(10_000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.get_count()[0] < 100  # no burst left for the young generation to scan
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(o) in oldest for o in made[::1000])


def test_objects_the_application_froze_stay_frozen() -> None:
    kept = Made()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            made = Made()
        assert gc.get_freeze_count() == frozen  # nothing unfrozen, nothing added
        assert kept is not made
    finally:
        gc.unfreeze()


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


def bucket(results: int) -> tuple[int, int]:
    """(no result, few results) of one request."""
    return int(results <= 0), int(0 < results <= FEW_RESULTS)


def reference_demand(rows: list[Any], period: Period) -> dict[str, Any]:
    """The demand figures of ``period``, counted one request at a time."""
    total, by_need, by_service = Tally(), {}, {}
    by_area: dict[tuple[str, str], Tally] = {}
    by_area_service: dict[tuple[tuple[str, str], int], Tally] = {}
    used: dict[str, int] = {}
    used_unanswered: dict[str, int] = {}
    publics: dict[str, int] = {}
    not_understood = unlocated = 0
    for row in rows:
        if not period.contains(row.day):
            continue
        none, few = bucket(row.result_count)
        handover = int(row.handover)
        total.add(1, none, few, handover)
        if not row.services_mask and not row.needs:
            not_understood += 1
        for key in filter(None, row.needs.split("|")):
            by_need.setdefault(key, Tally()).add(1, none, few, handover)
        services = [i for i in range(len(SERVICES)) if row.services_mask >> i & 1]
        for index in services:
            by_service.setdefault(index, Tally()).add(1, none, few, handover)
        if not row.commune_key:
            unlocated += 1
        else:
            areas = [(row.commune_key, "")]
            if row.quartier_key:
                areas.append((row.commune_key, row.quartier_key))
            for area in areas:
                by_area.setdefault(area, Tally()).add(1, none, 0, handover)
                for index in services:
                    by_area_service.setdefault((area, index), Tally()).add(1, none, 0, handover)
        for bit, name in enumerate(FILTERS):
            if row.filters_mask >> bit & 1:
                used[name] = used.get(name, 0) + 1
                if none:
                    used_unanswered[name] = used_unanswered.get(name, 0) + 1
        if row.public:
            publics[row.public] = publics.get(row.public, 0) + 1
    return {
        "total": total,
        "by_need": by_need,
        "by_service": by_service,
        "by_area": by_area,
        "by_area_service": by_area_service,
        "not_understood": not_understood,
        "unlocated": unlocated,
        "by_filter": used,
        "no_result_by_filter": used_unanswered,
        "by_public": publics,
    }


def reference_worst_areas(rows: list[Any], period: Period, need: str) -> list[Any]:
    """Where ``need`` found nothing, located requests only, worst first (three)."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        if (
            period.contains(row.day)
            and row.result_count <= 0
            and row.commune_key
            and need in row.needs.split("|")
        ):
            area = (row.commune_key, row.quartier_key)
            counts[area] = counts.get(area, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:3]


async def test_database_figures_equal_the_row_by_row_reference(db, guild, needs) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(guild)
    rows = random_log(rng, guild, needs, 1500)
    noise = random_log(rng, guild + 500_000, needs, 300)  # another network's requests
    async with db.transaction() as session:
        await session.execute(insert(DemandRecord), rows + noise)
    async with db.session() as session:
        stored = (
            await session.execute(select(DemandRecord).where(DemandRecord.guild_id == guild))
        ).scalars()
        stored = list(stored)
    assert len(stored) == len(rows)
    periods = [
        semester_of(TODAY),
        Period("range", FIRST_DAY - timedelta(days=3), TODAY + timedelta(days=1)),
        Period("month", date(2025, 4, 1), date(2025, 5, 1)),
        Period("range", date(2025, 2, 17), date(2026, 1, 9)),  # edges in mid-month
    ]
    for period in periods:
        obs = await compute_observatory(db, guild, period, now=NOW, needs=needs)
        for target, figures in ((period, obs.demand), (period.previous(), obs.demand_previous)):
            expected = reference_demand(stored, target)
            assert figures.total == expected["total"], target
            assert figures.by_need == expected["by_need"], target
            assert figures.by_service == expected["by_service"], target
            assert figures.not_understood == expected["not_understood"], target
        expected = reference_demand(stored, period)
        assert obs.demand.by_area == expected["by_area"]
        assert obs.demand.by_area_service == expected["by_area_service"]
        assert obs.demand.unlocated == expected["unlocated"]
        assert obs.filters.requests == expected["total"].requests
        assert obs.filters.by_filter == expected["by_filter"]
        assert obs.filters.no_result_by_filter == expected["no_result_by_filter"]
        assert obs.filters.by_public == expected["by_public"]
        # The needs that most often found nothing, and where.
        ranked = sorted(
            ((k, t) for k, t in expected["by_need"].items() if t.unmet),
            key=lambda kt: (-kt[1].no_result, -kt[1].few_results, -kt[1].requests, kt[0]),
        )
        assert [u.need for u in obs.unmet] == [k for k, _t in ranked[:10]]
        assert obs.unmet, "the random log has requests without result"
        for unmet in obs.unmet:
            assert list(unmet.worst_areas) == reference_worst_areas(stored, period, unmet.need)
        # The trend: every month of its window, counted from the rows.
        window = last_months(min(period.last_day, TODAY), 12)
        months = [p.month for p in obs.trend]
        assert months[0] == month_of(window.start) and months[-1] == month_of(window.last_day)
        for point in obs.trend:
            mine = [r for r in stored if r.month == point.month]
            assert point.requests == len(mine)
            assert point.no_result == sum(bucket(r.result_count)[0] for r in mine)
            assert point.few_results == sum(bucket(r.result_count)[1] for r in mine)
            assert point.handovers == sum(r.handover for r in mine)
    assert gc.isenabled()


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


def test_the_unanswered_needs_located_are_the_ones_shown() -> None:
    """Ties on requests without result are broken as the figures break them, so that
    each need shown gets its areas (two needs tie for the tenth place here)."""
    groups = [NeedGroup(f"|n{i:02d}|", 1, 0, 5) for i in range(9)]
    groups += [NeedGroup("|aa|", 1, 0, 1), NeedGroup("|zz|", 1, 0, 1)]
    groups += [NeedGroup("|zz|", 1, 1, 3), NeedGroup("|n00|n01|", 1, 0, 1)]
    shown = [u.need for u in unmet_needs(summarize(groups))]
    assert "zz" in shown and "aa" not in shown
    located = most_unanswered(groups)
    assert {k for value in located for k in value.split("|") if k} == set(shown)
    assert "|n00|n01|" in located
