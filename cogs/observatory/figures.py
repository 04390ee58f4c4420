"""Everything the observatory shows for one guild and one period, computed once and then
rendered in Discord, on the web page, in the PDF and in the CSV (one source of figures)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from db.engine import Database
from db.models.structures import SERVICES

from . import data
from .coverage import (
    CoverageMatrix,
    Gap,
    GapKind,
    Place,
    add_areas,
    coverage_matrix,
    find_gaps,
)
from .demand_stats import (
    DemandSummary,
    FilterUsage,
    NeedGroup,
    TrendPoint,
    UnmetNeed,
    fill_months,
    filter_usage,
    summarize,
    unmet_needs,
)
from .gcpause import collector_paused
from .health import DEFAULT_FRESHNESS_DAYS, Flow, Freshness, freshness, orientation_flow
from .needs import NeedCatalogue
from .periods import Period, last_months

PARIS = ZoneInfo("Europe/Paris")
TREND_MONTHS = 12


@dataclass(frozen=True)
class Comparison:
    key: str  # catalogue key suffix: observatory.compare.<key>
    current: float | None
    previous: float | None
    percent: bool = False  # a rate in [0, 1]

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass
class Observatory:
    guild_id: int
    period: Period
    previous_period: Period
    generated_at: datetime
    matrix: CoverageMatrix
    gaps: list[Gap]
    demand: DemandSummary
    demand_previous: DemandSummary
    unmet: list[UnmetNeed]
    trend: list[TrendPoint]
    filters: FilterUsage
    freshness: Freshness
    flow: Flow
    flow_previous: Flow
    needs: NeedCatalogue
    need_offer: dict[str, int]  # need key -> places offering one of its services
    previous_snapshot_day: date | None = None
    comparisons: list[Comparison] = field(default_factory=list)

    def area_label(self, key: tuple[str, str]) -> str:
        area = self.matrix.area(*key)
        return area.label if area is not None else (key[1] or key[0] or "?")

    def main_gaps(self) -> list[Gap]:
        return [g for g in self.gaps if g.kind in GapKind.MAIN]

    def hour_gaps(self) -> list[Gap]:
        return [g for g in self.gaps if g.kind not in GapKind.MAIN]

    def demand_vs_offer(self) -> list[tuple[str, int, int, int]]:
        """(service, requests, requests with no result, places offering it)."""
        rows = []
        for index, service in enumerate(SERVICES):
            tally = self.demand.by_service.get(index)
            rows.append(
                (
                    service,
                    tally.requests if tally else 0,
                    tally.no_result if tally else 0,
                    self.matrix.totals[index].places,
                )
            )
        return rows


def snapshot_figures(matrix: CoverageMatrix, health: Freshness) -> dict[str, Any]:
    """What the offer looked like on a day: kept monthly so that later periods can be
    compared with it (the directory itself only knows its present)."""
    quartiers = [a.key for a in matrix.areas if not a.is_commune]
    cells = matrix.cells
    services = {}
    for index, service in enumerate(SERVICES):
        total = matrix.totals[index]
        without = 0
        for key in quartiers:
            cell = cells.get((key, index))
            if cell is None or not cell.places:
                without += 1
        services[service] = {
            "places": total.places,
            "hours": total.hours,
            "saturday": total.saturday,
            "evening": total.evening,
            "quartiers_without": without,
        }
    return {
        "places": matrix.places,
        "services": services,
        "structures": health.structures,
        "stale": len(health.stale),
        "without_referent": len(health.without_referent),
        "charter_rate": health.charter_rate,
    }


async def offer_snapshot(
    db: Database, guild_id: int, *, now: datetime, freshness_days: int = DEFAULT_FRESHNESS_DAYS
) -> dict[str, Any]:
    """Today's offer and freshness only (no demand): what the monthly record keeps."""
    async with db.session() as session:
        places = await data.load_places(session, guild_id)
        states, charter_label = await data.load_structure_states(session, guild_id)
    health = freshness(states, now, days=freshness_days, charter_version=charter_label)
    return snapshot_figures(coverage_matrix(places), health)


def _compare(current: Observatory, previous_snapshot: dict[str, Any] | None) -> list[Comparison]:
    demand, before = current.demand, current.demand_previous
    flow, flow_before = current.flow.total, current.flow_previous.total
    rows = [
        Comparison("requests", demand.total.requests, before.total.requests),
        Comparison(
            "no_result_rate",
            demand.total.no_result_rate if demand.total.requests else None,
            before.total.no_result_rate if before.total.requests else None,
            percent=True,
        ),
        Comparison("handovers", flow.received, flow_before.received),
        Comparison("answer_rate", flow.answer_rate, flow_before.answer_rate, percent=True),
    ]
    snap = previous_snapshot or {}
    now = snapshot_figures(current.matrix, current.freshness)
    rows += [
        Comparison("places", now["places"], snap.get("places")),
        Comparison("stale", now["stale"], snap.get("stale")),
        Comparison("without_referent", now["without_referent"], snap.get("without_referent")),
        Comparison("charter_rate", now["charter_rate"], snap.get("charter_rate"), percent=True),
    ]
    return rows


def most_unanswered(groups: list[NeedGroup], limit: int = 10) -> list[str]:
    """The stored need values ("|caf|impots|") of the requests naming one of the needs
    the figures show as unmet (``unmet_needs``, same order and ties) that found nothing
    at least once: those whose areas are looked up."""
    shown = {u.need for u in unmet_needs(summarize(groups), limit) if u.no_result}
    return sorted({g.needs for g in groups if shown.intersection(g.need_keys)})


def need_offer(places: list[Place], needs: NeedCatalogue, keys: set[str]) -> dict[str, int]:
    """Need key -> places (receiving the public) that offer one of its services."""
    masks = Counter(p.services_mask for p in places if p.receives_public)
    offer = {}
    for key in keys:
        mask = needs.services_mask(key)
        offer[key] = sum(count for m, count in masks.items() if m & mask)
    return offer


async def compute_observatory(
    db: Database,
    guild_id: int,
    period: Period,
    *,
    now: datetime,
    needs: NeedCatalogue,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
    trend_months: int = TREND_MONTHS,
) -> Observatory:
    """Every figure of ``period`` for one guild. The reads are independent: each runs in
    its own session, concurrently (SQLite readers run in parallel under WAL, each on its
    own connection thread; PostgreSQL in its own processes). What Python computes from one
    read alone (the coverage matrix, freshness, the unanswered needs' areas) starts as
    soon as that read is in, while the demand log is still being counted."""
    with collector_paused():  # see gcpause.py: the collector would cost more than the rest
        return await _compute(
            db,
            guild_id,
            period,
            now=now,
            needs=needs,
            freshness_days=freshness_days,
            trend_months=trend_months,
        )


async def _compute(
    db: Database,
    guild_id: int,
    period: Period,
    *,
    now: datetime,
    needs: NeedCatalogue,
    freshness_days: int = DEFAULT_FRESHNESS_DAYS,
    trend_months: int = TREND_MONTHS,
) -> Observatory:
    today = now.astimezone(PARIS).date()
    previous = period.previous()
    last_day = min(period.last_day, today) if period.start <= today else period.last_day
    window = last_months(last_day, trend_months)

    async def read(loader: Any, *args: Any) -> Any:
        async with db.session() as session:
            return await loader(session, guild_id, *args)

    async def offer() -> tuple[list[Place], CoverageMatrix]:
        places = await read(data.load_places)
        return places, coverage_matrix(places)

    async def health() -> Freshness:
        states, charter_label = await read(data.load_structure_states)
        return freshness(states, now, days=freshness_days, charter_version=charter_label)

    async def needs_and_worst(target: Period) -> tuple[list[NeedGroup], list[Any]]:
        groups = await read(data.load_need_groups, target)
        # Where the most unanswered needs went unanswered (the ten the figures show).
        stored = most_unanswered(groups)
        worst = await read(data.load_unanswered_areas, target, stored) if stored else []
        return groups, worst

    async def demand_of(target: Period, detail: bool) -> tuple[Any, Any, Any, Any]:
        async with db.session() as session:
            if not await data.has_demand(session, guild_id, target):
                return [], [], [], []
        if not detail:
            return await read(data.load_need_groups, target), [], [], []
        (groups, worst), areas, publics = await asyncio.gather(
            needs_and_worst(target),
            read(data.load_area_groups, target),
            read(data.load_publics, target),
        )
        return groups, worst, areas, publics

    (
        (places, matrix),
        (need_groups, worst, area_groups, public_rows),
        (previous_groups, _worst, _areas, _publics),
        trend_points,
        labels,
        health_now,
        (facts, names),
        (facts_before, names_before),
        snapshot,
    ) = await asyncio.gather(
        offer(),
        demand_of(period, True),
        demand_of(previous, False),
        read(data.load_trend, window),
        read(data.area_labels),
        health(),
        read(data.load_handovers, period),
        read(data.load_handovers, previous),
        read(data.snapshot_on_or_before, previous.last_day),
    )
    demand = summarize(need_groups, area_groups, worst)
    # The previous period is compared on totals and needs only.
    demand_previous = summarize(previous_groups)
    # Areas asked for whose places are all archived still get a row (their gaps matter).
    add_areas(
        matrix, [(key[0], key[1], *labels.get(key, (key[0], key[1]))) for key in demand.by_area]
    )
    gaps = find_gaps(matrix, demand=demand.service_demand())
    trend = fill_months(
        trend_points,
        window.start.year * 100 + window.start.month,
        last_day.year * 100 + last_day.month,
    )
    observatory = Observatory(
        guild_id=guild_id,
        period=period,
        previous_period=previous,
        generated_at=now,
        matrix=matrix,
        gaps=gaps,
        demand=demand,
        demand_previous=demand_previous,
        unmet=unmet_needs(demand),
        trend=trend,
        filters=filter_usage(need_groups, public_rows),
        freshness=health_now,
        flow=orientation_flow(facts, names),
        flow_previous=orientation_flow(facts_before, names_before),
        needs=needs,
        need_offer=need_offer(places, needs, set(demand.by_need) | set(needs.needs)),
        previous_snapshot_day=snapshot.day if snapshot is not None else None,
    )
    observatory.comparisons = _compare(observatory, snapshot.figures if snapshot else None)
    return observatory
