"""The observatory's figures as sentences and lines (no Discord): the Discord embeds, the
web page and the PDF all say the same thing in the same words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from db.demand import FILTERS
from db.models.structures import SERVICES

from .figures import Observatory
from .labels import comparison_value, days_text, gap_line, hours, number, percent, service_short

PARIS = ZoneInfo("Europe/Paris")
PROCEDURES = 0  # "Aide aux démarches administratives": the COPIL's first question


def when(moment: datetime, locale: str = "fr") -> str:
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y %H:%M}" if locale == "fr" else f"{local:%Y-%m-%d %H:%M}"


def title(obs: Observatory, locale: str = "fr") -> str:
    return t("observatory.title", locale, period=obs.period.label(locale))


def subtitle(obs: Observatory, locale: str = "fr") -> str:
    return t(
        "observatory.subtitle",
        locale,
        previous=obs.previous_period.label(locale),
        date=when(obs.generated_at, locale),
    )


def freshness_months(days: int) -> int:
    return max(1, round(days / 30.4))


def summary_lines(obs: Observatory, locale: str = "fr", freshness_days: int = 182) -> list[str]:
    matrix, demand, fresh, flow = obs.matrix, obs.demand.total, obs.freshness, obs.flow.total
    communes = sum(1 for a in matrix.areas if a.is_commune)
    lines = [
        t(
            "observatory.summary.offer",
            locale,
            places=number(matrix.places, locale),
            communes=number(communes, locale),
            quartiers=number(len(matrix.areas) - communes, locale),
            no_public=number(matrix.no_public, locale),
        ),
        t(
            "observatory.summary.demand",
            locale,
            requests=number(demand.requests, locale),
            no_result=number(demand.no_result, locale),
            rate=percent(demand.no_result_rate, locale),
            few=number(demand.few_results, locale),
            handovers=number(demand.handovers, locale),
        ),
    ]
    if obs.demand.not_understood:
        lines.append(
            t(
                "observatory.summary.not_understood",
                locale,
                count=number(obs.demand.not_understood, locale),
            )
        )
    lines.append(t("observatory.summary.gaps", locale, count=number(len(obs.main_gaps()), locale)))
    lines.append(
        t(
            "observatory.summary.freshness",
            locale,
            stale=number(len(fresh.stale), locale),
            months=freshness_months(freshness_days),
            structures=number(fresh.structures, locale),
            without=number(len(fresh.without_referent), locale),
        )
    )
    if fresh.charter_version is None:
        lines.append(t("observatory.summary.no_charter", locale))
    else:
        lines.append(
            t(
                "observatory.summary.charter",
                locale,
                version=fresh.charter_version,
                accepted=number(fresh.members_accepted, locale),
                members=number(fresh.members, locale),
                rate=percent(fresh.charter_rate, locale),
            )
        )
    lines.append(
        t(
            "observatory.summary.flow",
            locale,
            received=number(flow.received, locale),
            acknowledged=number(flow.acknowledged, locale),
            redirected=number(flow.redirected, locale),
            expired=number(flow.expired, locale),
            open=number(flow.open, locale),
        )
    )
    return lines


def comparison_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    lines = []
    for comparison in obs.comparisons:
        current, previous, change = comparison_value(comparison, locale)
        lines.append(
            t(
                "observatory.compare.line",
                locale,
                label=t(f"observatory.compare.{comparison.key}", locale),
                current=current,
                previous=previous,
                change=change,
            ).rstrip()
        )
    if obs.previous_snapshot_day is None:
        lines.append(t("observatory.compare.no_snapshot", locale))
    else:
        day = obs.previous_snapshot_day
        lines.append(
            t(
                "observatory.compare.snapshot_of",
                locale,
                date=f"{day:%d/%m/%Y}" if locale == "fr" else f"{day:%Y-%m-%d}",
            )
        )
    return lines


def yes_no(value: bool, locale: str = "fr") -> str:
    return t("observatory.yes" if value else "observatory.no", locale)


def coverage_rows(
    obs: Observatory, locale: str = "fr"
) -> list[tuple[str, str, str, str, str, str, str]]:
    """(area, service, places, hours, days, evening, saturday) for every offered cell."""
    rows = []
    for area in obs.matrix.areas:
        for index in range(len(SERVICES)):
            cell = obs.matrix.cell(area, index)
            if not cell.places:
                continue
            rows.append(
                (
                    area.label,
                    service_short(index, locale),
                    number(cell.places, locale),
                    hours(cell.hours, locale),
                    days_text(cell.days, locale),
                    yes_no(cell.evening, locale),
                    yes_no(cell.saturday, locale),
                )
            )
    return rows


def coverage_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    return [
        t(
            "observatory.coverage.cell",
            locale,
            area=area,
            service=service,
            places=places,
            hours=hours_text,
            days=days,
            evening=evening,
            saturday=saturday,
        )
        for area, service, places, hours_text, days, evening, saturday in coverage_rows(obs, locale)
    ]


def procedures_time_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    """Answers "which quartiers have no help with online procedures on Saturdays / in
    the evening?" directly."""
    from .coverage import areas_lacking

    nowhere = t("observatory.coverage.nowhere", locale)
    saturday = [a.label for a in areas_lacking(obs.matrix, PROCEDURES, "saturday")]
    evening = [a.label for a in areas_lacking(obs.matrix, PROCEDURES, "evening")]
    return [
        t("observatory.coverage.saturday_missing", locale, areas=", ".join(saturday) or nowhere),
        t("observatory.coverage.evening_missing", locale, areas=", ".join(evening) or nowhere),
    ]


def gap_lines(obs: Observatory, locale: str = "fr", *, hours_too: bool = False) -> list[str]:
    gaps = obs.gaps if hours_too else obs.main_gaps()
    return [gap_line(gap, locale) for gap in gaps]


def need_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    lines = []
    for unmet in obs.unmet:
        line = t(
            "observatory.demand.need_line",
            locale,
            need=obs.needs.short_label(unmet.need),
            requests=unmet.requests,
            no_result=unmet.no_result,
            few=unmet.few_results,
            places=obs.need_offer.get(unmet.need, 0),
        )
        if unmet.worst_areas:
            areas = ", ".join(
                f"{obs.area_label(key)} ({count})" for key, count in unmet.worst_areas
            )
            line += " — " + t("observatory.demand.worst_areas", locale, areas=areas)
        lines.append(line)
    return lines


def demand_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    from .demand_stats import FEW_RESULTS

    if not obs.demand.total.requests:
        return [t("observatory.demand.empty", locale)]
    lines = need_lines(obs, locale) or [
        t("observatory.demand.all_met", locale, few=FEW_RESULTS + 1)
    ]
    used = [
        f"{t(f'observatory.filter.{name}', locale)} ({obs.filters.by_filter[name]})"
        for name in FILTERS
        if obs.filters.by_filter.get(name)
    ]
    lines.append(
        t(
            "observatory.demand.filters",
            locale,
            filters=", ".join(used) or t("observatory.demand.filter_none", locale),
        )
    )
    if obs.demand.unlocated:
        lines.append(t("observatory.demand.unlocated", locale, count=obs.demand.unlocated))
    return lines


def stale_age(days: int | None, locale: str = "fr") -> str:
    if days is None:
        return t("observatory.freshness.never", locale)
    return t("observatory.freshness.days_ago", locale, days=days)


def freshness_lines(obs: Observatory, locale: str = "fr", freshness_days: int = 182) -> list[str]:
    fresh = obs.freshness
    lines = [
        t("observatory.freshness.stale_line", locale, name=e.name, age=stale_age(e.days, locale))
        for e in fresh.stale
    ] or [t("observatory.freshness.all_fresh", locale, months=freshness_months(freshness_days))]
    if fresh.without_referent:
        lines.append(without_referent_line(obs, locale))
    return lines


def without_referent_line(obs: Observatory, locale: str = "fr", limit: int = 40) -> str:
    names = [name for _id, name in obs.freshness.without_referent]
    listed = ", ".join(names[:limit])
    if len(names) > limit:
        listed += " " + t("observatory.more", locale, count=len(names) - limit)
    return t("observatory.freshness.without_referent", locale, names=listed)


def charter_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    fresh = obs.freshness
    if fresh.charter_version is None:
        return [t("observatory.summary.no_charter", locale)]
    return [
        t(
            "observatory.freshness.charter_line",
            locale,
            name=row.name,
            accepted=row.accepted,
            members=row.members,
            rate=percent(row.rate, locale),
        )
        for row in fresh.charter
        if row.members
    ]


def flow_lines(obs: Observatory, locale: str = "fr") -> list[str]:
    if not obs.flow.rows:
        return [t("observatory.flow.empty", locale)]
    return [
        t(
            "observatory.flow.line",
            locale,
            name=row.name,
            received=row.received,
            acknowledged=row.acknowledged,
            redirected=row.redirected,
            expired=row.expired,
            open=row.open,
            sent=row.sent,
            median=hours(row.median_answer_hours, locale),
        )
        for row in obs.flow.rows
    ]
