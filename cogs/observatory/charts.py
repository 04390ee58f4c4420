"""Charts as PNG, drawn headless with matplotlib's object API (no pyplot global state, so
charts can be drawn in worker threads). Each chart keeps the numbers it was drawn from
(``Chart.data``): tests and the CSV read those, never pixels."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from db.models.structures import SERVICES

from .coverage import CoverageMatrix
from .figures import Observatory
from .labels import DAYS, SHORT_SERVICES

TEXT = {
    "fr": {
        "heatmap": "Couverture : lieux par quartier et par service",
        "weekly": "Heures d'ouverture par semaine et par service (au moins un lieu ouvert)",
        "evening": "dont après 18 h",
        "demand": "Demande et offre par besoin",
        "requests": "Demandes",
        "no_result": "dont sans résultat",
        "places": "Lieux qui y répondent",
        "trend": "Demandes /orienter par mois",
        "handovers": "suivies d'une orientation",
        "hours": "heures",
        "nothing": "Aucune demande enregistrée sur la période",
        "more": "… et {n} autres zones (voir le tableau)",
    },
    "en": {
        "heatmap": "Coverage: places per area and service",
        "weekly": "Weekly opening hours per service (at least one place open)",
        "evening": "of which after 6 pm",
        "demand": "Demand and offer per need",
        "requests": "Requests",
        "no_result": "of which no result",
        "places": "Places answering it",
        "trend": "/orienter requests per month",
        "handovers": "followed by a referral",
        "hours": "hours",
        "nothing": "No request logged in the period",
        "more": "… and {n} more areas (see the table)",
    },
}
MAX_HEATMAP_ROWS = 28
MAX_NEEDS = 12


@dataclass
class Chart:
    name: str  # file stem: couverture, horaires, demande, tendance
    title: str
    png: bytes
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def heatmap_rows(matrix: CoverageMatrix, limit: int = MAX_HEATMAP_ROWS) -> list[int]:
    """Indexes of the areas shown: every commune and as many quartiers as fit, in the
    matrix's order (a commune followed by its quartiers)."""
    if len(matrix.areas) <= limit:
        return list(range(len(matrix.areas)))
    communes = [i for i, a in enumerate(matrix.areas) if a.is_commune]
    room = max(0, limit - len(communes))
    quartiers = [i for i, a in enumerate(matrix.areas) if not a.is_commune][:room]
    return sorted(communes[:limit] + quartiers)


def coverage_heatmap(matrix: CoverageMatrix, locale: str = "fr") -> Chart:
    text = TEXT[locale]
    shown = heatmap_rows(matrix)
    grid = matrix.places_grid()
    rows = [
        matrix.areas[i].label if matrix.areas[i].is_commune else "   " + matrix.areas[i].label
        for i in shown
    ]
    values = [grid[i] for i in shown]
    columns = list(SHORT_SERVICES[locale])
    figure = _figure(11, max(3.0, 1.4 + 0.34 * len(rows)))
    axes = figure.add_subplot()
    if values:
        peak = max(1, max(max(row) for row in values))
        image = axes.imshow(values, cmap="YlGn", vmin=0, vmax=peak, aspect="auto")
        for y, row in enumerate(values):
            for x, count in enumerate(row):
                axes.text(
                    x,
                    y,
                    str(count) if count else "·",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#b00020" if not count else ("white" if count > peak * 0.6 else "black"),
                )
        figure.colorbar(image, ax=axes, shrink=0.6)
    axes.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=8)
    axes.set_yticks(range(len(rows)), rows, fontsize=8)
    title = text["heatmap"]
    if len(shown) < len(matrix.areas):
        axes.set_xlabel(text["more"].format(n=len(matrix.areas) - len(shown)), fontsize=8)
    axes.set_title(title)
    return Chart(
        "couverture",
        title,
        _png(figure),
        {
            "rows": [matrix.areas[i].label for i in shown],
            "columns": list(SERVICES),
            "values": values,
        },
    )


def weekly_hours_chart(matrix: CoverageMatrix, locale: str = "fr") -> Chart:
    """Stacked horizontal bars: hours per weekday for each service, Saturday and Sunday
    in warm colours; the evening hours (after 18:00) written at the end of the bar."""
    from .weekly import EVENING_MASK, SLOT_MINUTES

    text = TEXT[locale]
    labels = list(SHORT_SERVICES[locale])
    hours = [
        [matrix.totals[i].opening.day_hours(d) for d in range(7)] for i in range(len(SERVICES))
    ]
    evening = [
        (matrix.totals[i].opening.slots & EVENING_MASK).bit_count() * SLOT_MINUTES / 60
        for i in range(len(SERVICES))
    ]
    colours = ("#1f4e79", "#2e75b6", "#5b9bd5", "#2e75b6", "#1f4e79", "#f28e2b", "#e15759")
    figure = _figure(11, 4.8)
    axes = figure.add_subplot()
    left = [0.0] * len(labels)
    for day in range(7):
        widths = [row[day] for row in hours]
        axes.barh(
            labels,
            widths,
            left=left,
            color=colours[day],
            edgecolor="white",
            linewidth=0.8,
            label=DAYS[locale][day],
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, (total, late) in enumerate(zip(left, evening, strict=True)):
        note = f"{total:g} h" + (f" ({text['evening']} : {late:g} h)" if late else "")
        axes.text(total + 0.5, y, note, va="center", fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(text["hours"])
    axes.set_xlim(0, max([*left, 1.0]) * 1.35)
    axes.legend(ncols=7, fontsize=8, loc="lower right")
    axes.set_title(text["weekly"])
    return Chart(
        "horaires",
        text["weekly"],
        _png(figure),
        {
            "services": list(SERVICES),
            "days": list(DAYS[locale]),
            "hours": hours,
            "evening": evening,
        },
    )


def demand_offer_chart(obs: Observatory, locale: str = "fr") -> Chart:
    """Per need asked in the period (most asked first): requests, of which without
    result, and the number of places that declare a service answering it."""
    from matplotlib.ticker import MaxNLocator

    text = TEXT[locale]
    asked = sorted(obs.demand.by_need.items(), key=lambda kv: (-kv[1].requests, kv[0]))[:MAX_NEEDS]
    keys = [key for key, _tally in asked]
    labels = [obs.needs.short_label(key) for key in keys]
    requests = [tally.requests for _key, tally in asked]
    no_result = [tally.no_result for _key, tally in asked]
    places = [obs.need_offer.get(key, 0) for key in keys]
    figure = _figure(11, max(3.0, 1.2 + 0.4 * len(keys)))
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    if keys:
        left.barh(labels, requests, color="#4e79a7", label=text["requests"])
        left.barh(labels, no_result, color="#e15759", label=text["no_result"])
        right.barh(labels, places, color="#59a14f")
        for y, value in enumerate(requests):
            left.text(value, y, f" {value}", va="center", fontsize=8)
        for y, value in enumerate(places):
            right.text(value, y, f" {value}", va="center", fontsize=8)
        left.invert_yaxis()
        left.legend(fontsize=8, loc="lower right")
        for axes in (left, right):
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        left.text(0.5, 0.5, text["nothing"], ha="center", va="center", transform=left.transAxes)
    left.set_title(text["requests"], fontsize=10)
    right.set_title(text["places"], fontsize=10)
    figure.suptitle(text["demand"])
    return Chart(
        "demande",
        text["demand"],
        _png(figure),
        {
            "needs": keys,
            "labels": labels,
            "requests": requests,
            "no_result": no_result,
            "places": places,
        },
    )


def trend_chart(obs: Observatory, locale: str = "fr") -> Chart:
    from matplotlib.ticker import MaxNLocator

    text = TEXT[locale]
    months = [f"{p.month // 100}-{p.month % 100:02d}" for p in obs.trend]
    requests = [p.requests for p in obs.trend]
    no_result = [p.no_result for p in obs.trend]
    handovers = [p.handovers for p in obs.trend]
    figure = _figure(11, 4.2)
    axes = figure.add_subplot()
    axes.bar(months, requests, color="#4e79a7", label=text["requests"])
    axes.bar(months, no_result, color="#e15759", label=text["no_result"])
    axes.plot(months, handovers, color="#59a14f", marker="o", label=text["handovers"])
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=8)
    axes.set_title(text["trend"])
    return Chart(
        "tendance",
        text["trend"],
        _png(figure),
        {"months": months, "requests": requests, "no_result": no_result, "handovers": handovers},
    )


def all_charts(obs: Observatory, locale: str = "fr") -> list[Chart]:
    """The four charts, in the order they are shown."""
    return [
        coverage_heatmap(obs.matrix, locale),
        weekly_hours_chart(obs.matrix, locale),
        demand_offer_chart(obs, locale),
        trend_chart(obs, locale),
    ]
