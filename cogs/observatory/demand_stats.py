"""What professionals ask `/orienter` for, and what they do not find.

Works on groups already counted by the database (``DemandGroup``: one line per distinct
need × area × result bucket), so that a million requests become a few thousand lines
before Python sees them. Requests that found nothing are the most valuable signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from db.demand import FILTERS
from db.models.structures import SERVICES

# A request "found few" places when it got at most this many results.
FEW_RESULTS = 2


class Bucket:
    NONE = 0  # no result
    FEW = 1  # 1..FEW_RESULTS
    ENOUGH = 2


def bucket_of(result_count: int) -> int:
    if result_count <= 0:
        return Bucket.NONE
    return Bucket.FEW if result_count <= FEW_RESULTS else Bucket.ENOUGH


@dataclass(frozen=True)
class DemandGroup:
    needs: str  # "|caf|impots|"
    services_mask: int
    commune_key: str
    quartier_key: str
    bucket: int
    count: int
    handovers: int = 0

    @property
    def need_keys(self) -> list[str]:
        return [key for key in self.needs.split("|") if key]

    @property
    def understood(self) -> bool:
        return bool(self.services_mask or self.needs)


@dataclass
class Tally:
    requests: int = 0
    no_result: int = 0
    few_results: int = 0
    handovers: int = 0

    def add(self, group: DemandGroup) -> None:
        self.requests += group.count
        self.no_result += group.count if group.bucket == Bucket.NONE else 0
        self.few_results += group.count if group.bucket == Bucket.FEW else 0
        self.handovers += group.handovers

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
    by_area: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_area_service: dict[tuple[tuple[str, str], int], Tally] = field(default_factory=dict)
    by_area_need: dict[tuple[tuple[str, str], str], Tally] = field(default_factory=dict)
    unlocated: int = 0  # requests whose area was not given

    def service_demand(self) -> dict[tuple[tuple[str, str], int], tuple[int, int]]:
        """(area key, service) -> (requests, no result): the weights of coverage gaps."""
        return {key: (t.requests, t.no_result) for key, t in self.by_area_service.items()}


def summarize(groups: Iterable[DemandGroup]) -> DemandSummary:
    summary = DemandSummary()
    for group in groups:
        summary.total.add(group)
        if not group.understood:
            summary.not_understood += group.count
        areas: list[tuple[str, str]] = []
        if group.commune_key:
            areas.append((group.commune_key, ""))
            if group.quartier_key:
                areas.append((group.commune_key, group.quartier_key))
        else:
            summary.unlocated += group.count
        for area in areas:
            summary.by_area.setdefault(area, Tally()).add(group)
        for key in group.need_keys:
            summary.by_need.setdefault(key, Tally()).add(group)
            for area in areas:
                summary.by_area_need.setdefault((area, key), Tally()).add(group)
        for index in range(len(SERVICES)):
            if group.services_mask >> index & 1:
                summary.by_service.setdefault(index, Tally()).add(group)
                for area in areas:
                    summary.by_area_service.setdefault((area, index), Tally()).add(group)
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
    found: list[UnmetNeed] = []
    for key, tally in summary.by_need.items():
        if not tally.unmet:
            continue
        worst = sorted(
            (
                (area, t.no_result)
                for (area, need), t in summary.by_area_need.items()
                if need == key and area[1] and t.no_result
            ),
            key=lambda item: (-item[1], item[0]),
        )
        found.append(
            UnmetNeed(
                need=key,
                requests=tally.requests,
                no_result=tally.no_result,
                few_results=tally.few_results,
                handovers=tally.handovers,
                worst_areas=tuple(worst[:3]),
            )
        )
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


def filter_usage(rows: Iterable[tuple[int, str, int, int]]) -> FilterUsage:
    """From (filters_mask, public, bucket, count) rows."""
    usage = FilterUsage()
    for mask, public, bucket, count in rows:
        usage.requests += count
        for index, name in enumerate(FILTERS):
            if mask >> index & 1:
                usage.by_filter[name] = usage.by_filter.get(name, 0) + count
                if bucket == Bucket.NONE:
                    usage.no_result_by_filter[name] = usage.no_result_by_filter.get(name, 0) + count
        if public:
            usage.by_public[public] = usage.by_public.get(public, 0) + count
    return usage
