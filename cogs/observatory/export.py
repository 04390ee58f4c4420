"""The COPIL pack: a PDF (figures, charts, tables) and a CSV of every figure.

The CSV is "long": one figure per line (section, indicator, area, subject, value,
previous value), so a spreadsheet can pivot it any way. Cells that a spreadsheet would
run as a formula (=, +, -, @ …) are neutralised: area and structure names come from the
directory, which referents edit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

from bot.i18n import t
from db.demand import FILTERS
from db.models.structures import SERVICES

from .charts import Chart
from .figures import Observatory
from .labels import (
    area_text,
    comparison_value,
    days_text,
    gap_kind,
    gap_line,
    hours,
    percent,
    service_short,
)
from .texts import (
    coverage_rows,
    procedures_time_lines,
    stale_age,
    subtitle,
    summary_lines,
    when,
    without_referent_line,
)

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
CSV_HEADER = ("section", "indicateur", "zone", "objet", "valeur", "periode_precedente")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_PDF_ROWS = 400  # per table: beyond, the CSV has everything


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def figure_rows(obs: Observatory) -> list[tuple[Any, ...]]:
    """Every figure of the observatory, one per row (see CSV_HEADER)."""
    rows: list[tuple[Any, ...]] = []
    for c in obs.comparisons:
        rows.append(("synthese", c.key, "", "", c.current, c.previous))
    for area in obs.matrix.areas:
        for index, service in enumerate(SERVICES):
            cell = obs.matrix.cell(area, index)
            if not cell.places:
                continue
            subject = (area.label, service)
            rows += [
                ("couverture", "lieux", *subject, cell.places, None),
                ("couverture", "heures_semaine", *subject, cell.hours, None),
                ("couverture", "jours", *subject, days_text(cell.days), None),
                ("couverture", "soir", *subject, cell.evening, None),
                ("couverture", "samedi", *subject, cell.saturday, None),
                ("couverture", "sans_rdv", *subject, cell.walk_in, None),
                ("couverture", "gratuits", *subject, cell.free, None),
            ]
    for index, service in enumerate(SERVICES):
        total = obs.matrix.totals[index]
        rows.append(("couverture", "lieux_reseau", "", service, total.places, None))
        rows.append(("couverture", "heures_semaine_reseau", "", service, total.hours, None))
    for gap in obs.gaps:
        rows.append(("manques", gap.kind, area_text(gap.area), gap.service, gap.demand, None))
    for key, tally in sorted(obs.demand.by_need.items()):
        before = obs.demand_previous.by_need.get(key)
        label = obs.needs.label(key)
        rows += [
            ("demande", "demandes", "", label, tally.requests, before.requests if before else 0),
            ("demande", "sans_resultat", "", label, tally.no_result, before.no_result if before else 0),
            ("demande", "peu_de_resultats", "", label, tally.few_results, before.few_results if before else 0),
            ("demande", "orientations", "", label, tally.handovers, before.handovers if before else 0),
            ("demande", "lieux_qui_repondent", "", label, obs.need_offer.get(key, 0), None),
        ]  # fmt: skip
    for index, service in enumerate(SERVICES):
        tally = obs.demand.by_service.get(index)
        if tally:
            rows.append(("demande", "demandes_par_service", "", service, tally.requests, None))
    for key, tally in sorted(obs.demand.by_area.items()):
        rows.append(("demande", "demandes_par_zone", obs.area_label(key), "", tally.requests, None))
        rows.append(
            ("demande", "sans_resultat_par_zone", obs.area_label(key), "", tally.no_result, None)
        )
    rows.append(
        (
            "demande",
            "non_comprises",
            "",
            "",
            obs.demand.not_understood,
            obs.demand_previous.not_understood,
        )
    )
    rows.append(("demande", "sans_zone", "", "", obs.demand.unlocated, None))  # fmt: skip
    for name in FILTERS:
        rows.append(("filtres", name, "", "", obs.filters.by_filter.get(name, 0), None))
    for public, count in sorted(obs.filters.by_public.items()):
        rows.append(("filtres", "public", "", public, count, None))
    for point in obs.trend:
        month = f"{point.month // 100}-{point.month % 100:02d}"
        rows += [
            ("tendance", "demandes", "", month, point.requests, None),
            ("tendance", "sans_resultat", "", month, point.no_result, None),
            ("tendance", "orientations", "", month, point.handovers, None),
        ]
    for entry in obs.freshness.stale:
        rows.append(("fraicheur", "fiche_non_verifiee_jours", "", entry.name, entry.days, None))
    for _id, name in obs.freshness.without_referent:
        rows.append(("fraicheur", "sans_referent", "", name, 1, None))
    for row in obs.freshness.charter:
        rows.append(("charte", "membres", "", row.name, row.members, None))
        rows.append(("charte", "ont_accepte", "", row.name, row.accepted, None))
    for flow in [*obs.flow.rows, obs.flow.total]:
        name = flow.name if flow.structure_id else "total"
        rows += [
            ("orientations", "recues", "", name, flow.received, None),
            ("orientations", "prises_en_charge", "", name, flow.acknowledged, None),
            ("orientations", "reorientees", "", name, flow.redirected, None),
            ("orientations", "expirees", "", name, flow.expired, None),
            ("orientations", "en_attente", "", name, flow.open, None),
            ("orientations", "envoyees", "", name, flow.sent, None),
            ("orientations", "delai_median_heures", "", name, flow.median_answer_hours, None),
        ]
    return rows


def to_csv(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """UTF-8 with a byte order mark (so that spreadsheets read the accents), comma
    separated, dot decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ----------------------------------------------------------------------------- PDF
def _pdf() -> Any:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(12, 12, 12)
    return pdf


def _heading(pdf: Any, text: str) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9.5)


def _paragraphs(pdf: Any, lines: Iterable[str]) -> None:
    pdf.set_font("DejaVu", "", 9.5)
    pdf.set_x(pdf.l_margin)
    for line in lines:
        pdf.multi_cell(0, 5, "• " + line.replace("**", ""), new_x="LMARGIN", new_y="NEXT")


def _table(
    pdf: Any, header: list[str], rows: list[tuple[Any, ...]], widths: tuple[int, ...]
) -> None:
    if not rows:
        return
    pdf.set_font("DejaVu", "", 8)
    shown = rows[:MAX_PDF_ROWS]
    with pdf.table(col_widths=widths, first_row_as_headings=True, line_height=4.5) as table:
        heading = table.row()
        for text in header:
            heading.cell(text)
        for values in shown:
            row = table.row()
            for value in values:
                row.cell(str(value))
    if len(rows) > len(shown):
        pdf.multi_cell(0, 5, t("observatory.more", "fr", count=len(rows) - len(shown)))
    pdf.set_font("DejaVu", "", 9.5)


def to_pdf(obs: Observatory, charts: list[Chart], *, guild_name: str, locale: str = "fr") -> bytes:
    def label(key: str) -> str:
        return t(f"observatory.report.table_{key}", locale)

    pdf = _pdf()
    pdf.set_title(t("observatory.report.title", locale, period=obs.period.label(locale)))
    pdf.set_creator("Aiguillage")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(
        0,
        9,
        t("observatory.report.title", locale, period=obs.period.label(locale)),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        6,
        t("observatory.report.cover_network", locale, guild=guild_name),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(0, 6, subtitle(obs, locale), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, t("observatory.section.summary", locale))
    _paragraphs(pdf, summary_lines(obs, locale))
    _paragraphs(pdf, procedures_time_lines(obs, locale))

    _heading(pdf, t("observatory.section.comparison", locale))
    comparison_rows = []
    for c in obs.comparisons:
        current, previous, change = comparison_value(c, locale)
        comparison_rows.append(
            (t(f"observatory.compare.{c.key}", locale), current, previous, change)
        )
    _table(
        pdf,
        [
            label("indicator"),
            obs.period.label(locale),
            obs.previous_period.label(locale),
            label("change"),
        ],
        comparison_rows,
        (80, 35, 35, 30),
    )

    for chart in charts:
        pdf.add_page()
        _heading(pdf, chart.title)
        pdf.image(io.BytesIO(chart.png), w=pdf.epw)

    pdf.add_page()
    _heading(pdf, t("observatory.section.gaps", locale))
    gaps = [
        (
            area_text(g.area, locale),
            service_short(g.service, locale),
            gap_kind(g.kind, locale),
            g.demand,
            g.unanswered,
        )
        for g in obs.main_gaps()
    ]
    if gaps:
        _table(
            pdf,
            [label("area"), label("service"), "", label("requests"), label("no_result")],
            gaps,
            (55, 35, 50, 20, 25),
        )
    else:
        _paragraphs(pdf, [t("observatory.gap.empty", locale)])
    hour_gaps = [gap_line(g, locale) for g in obs.hour_gaps()]
    if hour_gaps:
        _heading(pdf, t("observatory.gap.hours_heading", locale))
        _paragraphs(pdf, hour_gaps[:60])

    _heading(pdf, t("observatory.section.demand", locale))
    if obs.demand.total.requests:
        need_rows = [
            (
                obs.needs.short_label(key),
                tally.requests,
                tally.no_result,
                tally.few_results,
                obs.need_offer.get(key, 0),
            )
            for key, tally in sorted(obs.demand.by_need.items(), key=lambda kv: -kv[1].requests)
        ]
        _table(
            pdf,
            [label("need"), label("requests"), label("no_result"), label("few"), label("offer")],
            need_rows,
            (70, 28, 28, 28, 28),
        )
    else:
        _paragraphs(pdf, [t("observatory.demand.empty", locale)])

    _heading(pdf, t("observatory.section.coverage", locale))
    _table(
        pdf,
        [label(k) for k in ("area", "service", "places", "hours", "days", "evening", "saturday")],
        coverage_rows(obs, locale),
        (45, 33, 14, 22, 42, 14, 16),
    )

    _heading(pdf, t("observatory.section.freshness", locale))
    stale = [(e.name, stale_age(e.days, locale)) for e in obs.freshness.stale]
    _table(pdf, [label("structure"), label("last_verified")], stale, (110, 76))
    if obs.freshness.without_referent:
        _paragraphs(pdf, [without_referent_line(obs, locale, limit=150)])
    if obs.freshness.charter_version is not None:
        pdf.ln(2)
        pdf.multi_cell(
            0,
            5,
            t(
                "observatory.freshness.charter_heading",
                locale,
                version=obs.freshness.charter_version,
            ),
        )
        charter = [
            (r.name, r.members, r.accepted, percent(r.rate, locale))
            for r in obs.freshness.charter
            if r.members
        ]
        _table(
            pdf,
            [label("structure"), label("members"), label("accepted"), "%"],
            charter,
            (100, 28, 30, 28),
        )

    _heading(pdf, t("observatory.section.flow", locale))
    flow = [
        (
            r.name,
            r.received,
            r.acknowledged,
            r.redirected,
            r.expired,
            r.open,
            r.sent,
            hours(r.median_answer_hours, locale),
        )
        for r in obs.flow.rows
    ]
    if flow:
        _table(
            pdf,
            [
                label(k)
                for k in (
                    "structure",
                    "received",
                    "acknowledged",
                    "redirected",
                    "expired",
                    "open",
                    "sent",
                    "median",
                )
            ],
            flow,
            (50, 16, 22, 22, 18, 18, 18, 22),
        )
    else:
        _paragraphs(pdf, [t("observatory.flow.empty", locale)])

    _heading(pdf, t("observatory.section.method", locale))
    _paragraphs(pdf, [t("observatory.report.method", locale)])
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(
        0, 5, t("observatory.report.cover_generated", locale, date=when(obs.generated_at, locale))
    )
    return bytes(pdf.output())
