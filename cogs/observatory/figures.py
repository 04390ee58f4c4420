"""Everything the observatory shows for one guild and one period, computed once and then
rendered in Discord, on the web page, in the PDF and in the CSV (one source of figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db.models.structures import SERVICES

from . import data
from .coverage import CoverageMatrix, Gap, GapKind, Place, coverage_matrix, find_gaps
from .demand_stats import (
    DemandSummary,
    FilterUsage,
    TrendPoint,
    UnmetNeed,
    fill_months,
    filter_usage,
    summarize,
    unmet_needs,
)
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
    services = {}
    for index, service in enumerate(SERVICES):
        total = matrix.totals[index]
        quartiers = [a for a in matrix.areas if not a.is_commune]
        services[service] = {
            "places": total.places,
            "hours": total.hours,
            "saturday": total.saturday,
            "evening": total.evening,
            "quartiers_without": sum(1 for a in quartiers if not matrix.cell(a, index).places),
        }
    return {
        "places": matrix.places,
        "services": services,
        "structures": health.structures,
        "stale": len(health.stale),
        "without_referent": len(health.without_referent),
        "charter_rate": health.charter_rate,
    }


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


def need_offer(places: list[Place], needs: NeedCatalogue, keys: set[str]) -> dict[str, int]:
    offer = {}
    for key in keys:
        mask = needs.services_mask(key)
        offer[key] = sum(1 for p in places if p.receives_public and p.services_mask & mask)
    return offer


async def compute_observatory(
    session: AsyncSession,
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
    places = await data.load_places(session, guild_id)
    demand = summarize(await data.load_demand(session, guild_id, period))
    demand_previous = summarize(await data.load_demand(session, guild_id, previous))
    labels = await data.area_labels(session, guild_id)
    # Areas asked for whose places are all archived still get a row (their gaps matter).
    extra = [(key[0], key[1], *labels.get(key, (key[0], key[1]))) for key in demand.by_area]
    matrix = coverage_matrix(places, extra_areas=extra)
    gaps = find_gaps(matrix, demand=demand.service_demand())
    last_day = min(period.last_day, today) if period.start <= today else period.last_day
    window = last_months(last_day, trend_months)
    first_month = window.start.year * 100 + window.start.month
    trend = fill_months(
        await data.load_trend(session, guild_id, window),
        first_month,
        last_day.year * 100 + last_day.month,
    )
    filters: FilterUsage = filter_usage(await data.load_filters(session, guild_id, period))
    states, charter_label = await data.load_structure_states(session, guild_id)
    health = freshness(states, now, days=freshness_days, charter_version=charter_label)
    facts, names = await data.load_handovers(session, guild_id, period)
    facts_before, names_before = await data.load_handovers(session, guild_id, previous)
    snapshot = await data.snapshot_on_or_before(session, guild_id, previous.last_day)
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
        filters=filters,
        freshness=health,
        flow=orientation_flow(facts, names),
        flow_previous=orientation_flow(facts_before, names_before),
        needs=needs,
        need_offer=need_offer(places, needs, set(demand.by_need) | set(needs.needs)),
        previous_snapshot_day=snapshot.day if snapshot is not None else None,
    )
    observatory.comparisons = _compare(observatory, snapshot.figures if snapshot else None)
    return observatory
