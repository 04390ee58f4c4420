"""Charts render as real PNGs of a sensible size, and the numbers behind each one are the
figures (read back from ``Chart.data``, not from pixels)."""

from __future__ import annotations

import struct
from datetime import date

import pytest

from cogs.observatory.charts import (
    all_charts,
    coverage_heatmap,
    heatmap_rows,
    weekly_hours_chart,
)
from cogs.observatory.coverage import Place, coverage_matrix
from cogs.observatory.figures import compute_observatory
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import semester_of
from db.models.structures import SERVICES

from .labelled import ADM, NOW, labelled_places
from .scenario import seed_scenario


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
async def observatory(sqlite_database):  # type: ignore[no-untyped-def]
    guild = 77
    await seed_scenario(sqlite_database, guild)
    return await compute_observatory(
        sqlite_database,
        guild,
        semester_of(date(2026, 11, 23)),
        now=NOW,
        needs=NeedCatalogue.load(),
    )


async def test_the_four_charts_render_and_carry_their_numbers(observatory) -> None:  # type: ignore[no-untyped-def]
    charts = {chart.name: chart for chart in all_charts(observatory)}
    assert list(charts) == ["couverture", "horaires", "demande", "tendance"]
    for chart in charts.values():
        width, height = png_size(chart.png)
        assert 600 <= width <= 2000 and 250 <= height <= 2000, (chart.name, width, height)
        assert 8_000 < len(chart.png) < 1_500_000, (chart.name, len(chart.png))

    heat = charts["couverture"].data
    assert heat["rows"][:3] == ["Bordeaux", "Bastide (Bordeaux)", "Mérignac"]
    assert heat["columns"] == list(SERVICES)
    merignac = heat["rows"].index("Mérignac")
    assert heat["values"][merignac][SERVICES.index(ADM)] == 3
    assert heat["values"] == observatory.matrix.places_grid()

    weekly = charts["horaires"].data
    adm = weekly["hours"][SERVICES.index(ADM)]
    assert adm == [9.0, 9.0, 9.0, 11.0, 9.0, 3.0, 0.0]  # Thursday: Clic Beutre 18-20
    assert weekly["evening"][SERVICES.index(ADM)] == 2.0

    demand = charts["demande"].data
    assert demand["needs"][0] == "caf"  # most asked: 6 requests
    assert demand["labels"][0] == "CAF"
    assert (demand["requests"][0], demand["no_result"][0], demand["places"][0]) == (6, 4, 4)
    assert dict(zip(demand["needs"], demand["requests"], strict=True)) == {
        "caf": 6,
        "mail": 3,
        "impots": 2,
    }

    trend = charts["tendance"].data
    assert trend["months"][0] == "2025-12" and trend["months"][-1] == "2026-11"
    assert trend["requests"][-1] == 9 and trend["no_result"][-1] == 5
    assert sum(trend["handovers"]) == 3


async def test_english_labels(observatory) -> None:  # type: ignore[no-untyped-def]
    chart = weekly_hours_chart(observatory.matrix, "en")
    assert chart.data["days"][0] == "Mon" and chart.title.startswith("Weekly")


def test_an_empty_network_still_renders() -> None:
    chart = coverage_heatmap(coverage_matrix([]))
    assert png_size(chart.png)[0] > 0 and chart.data["values"] == []


def test_a_large_network_shows_communes_and_some_quartiers() -> None:
    places = [
        Place(i, f"P{i}", f"Commune {i % 5}", f"Q{i}", f"c{i % 5}", f"q{i}", services_mask=1)
        for i in range(60)
    ]
    matrix = coverage_matrix(places)
    shown = heatmap_rows(matrix)
    assert len(shown) == 28
    assert sum(1 for i in shown if matrix.areas[i].is_commune) == 5
    chart = coverage_heatmap(matrix)
    assert len(chart.data["rows"]) == 28


def test_labelled_weekly_chart_without_database() -> None:
    chart = weekly_hours_chart(coverage_matrix(labelled_places()))
    assert sum(chart.data["hours"][SERVICES.index(SERVICES[2])]) == 48
