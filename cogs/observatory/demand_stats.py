"""What professionals ask `/orienter` for, and what they do not find.

Works on groups already counted by the database, each query grouping by the columns of
one covering index (see ``db/models/observatory.py``): per need (``NeedGroup``), per area
and service (``AreaGroup``), per month, per filter. A million requests become a few
thousand lines before Python sees them. Requests that found nothing are the most
valuable signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from db.demand import FILTERS
from db.models.structures import SERVICES

# A request "found few" places when it got at most this many results.
FEW_RESULTS = 2
SERVICE_BITS = tuple(1 << index for index in range(len(SERVICES)))


class Bucket:
    NONE = 0  # no result
    FEW = 1  # 1..FEW_RESULTS
    ENOUGH = 2


def bucket_of(result_count: int) -> int:
    if result_count <= 0:
        return Bucket.NONE
    return Bucket.FEW if result_count <= FEW_RESULTS else Bucket.ENOUGH


@dataclass(slots=True)
class NeedGroup:
    """Requests of one need combination, services mask and result count."""

    needs: str  # "|caf|impots|"
    services_mask: int
    result_count: int
    count: int
    handovers: int = 0
    # Requests of the group that used each filter of db.demand.FILTERS, in that order.
    filters: tuple[int, ...] = ()

    @property
    def need_keys(self) -> list[str]:
        return [key for key in self.needs.split("|") if key]

    @property
    def understood(self) -> bool:
        return bool(self.services_mask or self.needs)


@dataclass(slots=True)
class AreaGroup:
    """Requests from one area for one services mask ("" commune: area not given)."""

    commune_key: str
    quartier_key: str
    services_mask: int
    count: int
    no_result: int
    handovers: int = 0


@dataclass(slots=True)
class Tally:
    requests: int = 0
    no_result: int = 0
    few_results: int = 0
    handovers: int = 0

    def add(self, count: int, no_result: int, few: int = 0, handovers: int = 0) -> None:
        self.requests += count
        self.no_result += no_result
        self.few_results += few
        self.handovers += handovers

    @property
    def unmet(self) -> int:
        """Requests with no or few results."""
        return self.no_result + self.few_results

    @property
    def no_result_rate(self) -> float:
        return self.no_result / self.requests if self.requests else 0.0

    @property
    def handover_rate(self) -> float:
        return self.handovers / self.requests if self.requests else 0.0


@dataclass
class DemandSummary:
    total: Tally = field(default_factory=Tally)
    not_understood: int = 0
    by_need: dict[str, Tally] = field(default_factory=dict)
    by_service: dict[int, Tally] = field(default_factory=dict)
    # Area keys at both levels, like the coverage matrix: (commune, "") and (commune, quartier).
    # Filled from area groups: requests, no_result and handovers (not "few").
    by_area: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_area_service: dict[tuple[tuple[str, str], int], Tally] = field(default_factory=dict)
    unlocated: int = 0  # requests whose area was not given
    # need key -> areas (quartier level) where it found nothing, worst first.
    worst_areas: dict[str, list[tuple[tuple[str, str], int]]] = field(default_factory=dict)

    def service_demand(self) -> dict[tuple[tuple[str, str], int], tuple[int, int]]:
        """(area key, service) -> (requests, no result): the weights of coverage gaps."""
        return {key: (t.requests, t.no_result) for key, t in self.by_area_service.items()}


def summarize(
    needs: Iterable[NeedGroup],
    areas: Iterable[AreaGroup] = (),
    worst: Iterable[tuple[str, str, str, int]] = (),
) -> DemandSummary:
    """``worst``: (needs, commune_key, quartier_key, requests with no result) rows."""
    summary = DemandSummary()
    for group in needs:
        bucket = bucket_of(group.result_count)
        no_result = group.count if bucket == Bucket.NONE else 0
        few = group.count if bucket == Bucket.FEW else 0
        summary.total.add(group.count, no_result, few, group.handovers)
        if not group.understood:
            summary.not_understood += group.count
        for key in group.need_keys:
            tally = summary.by_need.get(key)
            if tally is None:
                tally = summary.by_need[key] = Tally()
            tally.add(group.count, no_result, few, group.handovers)
        mask = group.services_mask
        for index, bit in enumerate(SERVICE_BITS):
            if mask & bit:
                tally = summary.by_service.get(index)
                if tally is None:
                    tally = summary.by_service[index] = Tally()
                tally.add(group.count, no_result, few, group.handovers)
    # Tens of thousands of area groups at national scale: plain lists in the loop.
    per_area: dict[tuple[str, str], list[int]] = {}
    per_cell: dict[tuple[tuple[str, str], int], list[int]] = {}
    services_of: dict[int, tuple[int, ...]] = {}
    for group in areas:
        if not group.commune_key:
            summary.unlocated += group.count
            continue
        keys = [(group.commune_key, "")]
        if group.quartier_key:
            keys.append((group.commune_key, group.quartier_key))
        services = services_of.get(group.services_mask)
        if services is None:
            services = services_of[group.services_mask] = tuple(
                i for i, bit in enumerate(SERVICE_BITS) if group.services_mask & bit
            )
        count, none, handovers = group.count, group.no_result, group.handovers
        for key in keys:
            totals = per_area.get(key)
            if totals is None:
                totals = per_area[key] = [0, 0, 0]
            totals[0] += count
            totals[1] += none
            totals[2] += handovers
            for index in services:
                cell = per_cell.get((key, index))
                if cell is None:
                    cell = per_cell[(key, index)] = [0, 0, 0]
                cell[0] += count
                cell[1] += none
                cell[2] += handovers
    summary.by_area = {key: Tally(v[0], v[1], 0, v[2]) for key, v in per_area.items()}
    summary.by_area_service = {key: Tally(v[0], v[1], 0, v[2]) for key, v in per_cell.items()}
    # A need is stored alone ("|caf|") or with others ("|caf|impots|"): an area's count
    # for it is the sum over both.
    unanswered: dict[str, dict[tuple[str, str], int]] = {}
    for needs_text, commune_key, quartier_key, count in worst:
        for key in (k for k in needs_text.split("|") if k):
            areas = unanswered.setdefault(key, {})
            areas[(commune_key, quartier_key)] = areas.get((commune_key, quartier_key), 0) + count
    for key, areas in unanswered.items():
        summary.worst_areas[key] = sorted(areas.items(), key=lambda item: (-item[1], item[0]))
    return summary


@dataclass(frozen=True)
class UnmetNeed:
    need: str  # key of the synonym table
    requests: int
    no_result: int
    few_results: int
    handovers: int
    # Where it went unanswered most: (area key, requests with no result), worst first.
    worst_areas: tuple[tuple[tuple[str, str], int], ...] = ()

    @property
    def no_result_rate(self) -> float:
        return self.no_result / self.requests if self.requests else 0.0


def unmet_needs(summary: DemandSummary, limit: int = 10) -> list[UnmetNeed]:
    """Needs asked for that found nothing or little: most unanswered first, then most
    asked. Needs that always found enough are left out."""
    found = [
        UnmetNeed(
            need=key,
            requests=tally.requests,
            no_result=tally.no_result,
            few_results=tally.few_results,
            handovers=tally.handovers,
            worst_areas=tuple(summary.worst_areas.get(key, [])[:3]),
        )
        for key, tally in summary.by_need.items()
        if tally.unmet
    ]
    found.sort(key=lambda u: (-u.no_result, -u.few_results, -u.requests, u.need))
    return found[:limit]


@dataclass(frozen=True)
class TrendPoint:
    month: int  # 202604
    requests: int
    no_result: int
    few_results: int
    handovers: int


def fill_months(points: Iterable[TrendPoint], first: int, last: int) -> list[TrendPoint]:
    """One point per month from ``first`` to ``last`` (YYYYMM), zero where nothing was
    asked, so that a quiet month shows as a dip, not as a missing bar."""
    by_month = {p.month: p for p in points}
    result = []
    year, month = divmod(first, 100)
    while year * 100 + month <= last:
        key = year * 100 + month
        result.append(by_month.get(key) or TrendPoint(key, 0, 0, 0, 0))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


@dataclass
class FilterUsage:
    requests: int = 0
    by_filter: dict[str, int] = field(default_factory=dict)  # name in FILTERS -> requests
    no_result_by_filter: dict[str, int] = field(default_factory=dict)
    by_public: dict[str, int] = field(default_factory=dict)


def filter_usage(
    needs: Iterable[NeedGroup], publics: Iterable[tuple[str, int]] = ()
) -> FilterUsage:
    """Filters used, from the need groups (which count them), and (public, requests)."""
    usage = FilterUsage()
    for group in needs:
        usage.requests += group.count
        for name, count in zip(FILTERS, group.filters, strict=False):
            if not count:
                continue
            usage.by_filter[name] = usage.by_filter.get(name, 0) + count
            if group.result_count <= 0:
                usage.no_result_by_filter[name] = usage.no_result_by_filter.get(name, 0) + count
    for public, count in publics:
        usage.by_public[public] = usage.by_public.get(public, 0) + count
    return usage
