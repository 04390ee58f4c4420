"""Discord messages stay within Discord's limits even for a national-size network, and
the sentences say the hand-counted figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cogs.observatory.charts import Chart
from cogs.observatory.coverage import Place, coverage_matrix, find_gaps
from cogs.observatory.demand_stats import AreaGroup, NeedGroup, filter_usage, summarize, unmet_needs
from cogs.observatory.figures import Comparison, Observatory
from cogs.observatory.health import (
    Flow,
    FlowRow,
    HandoverFact,
    StructureState,
    freshness,
    orientation_flow,
)
from cogs.observatory.labels import comparison_value, number, percent
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import semester_of
from cogs.observatory.render import SECTIONS, section_message
from cogs.observatory.texts import summary_lines

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def big_observatory() -> Observatory:
    places = [
        Place(
            i,
            f"Lieu de médiation numérique très bien nommé n° {i}",
            f"Commune {i % 300}",
            f"Quartier {i % 7}",
            f"commune {i % 300}",
            f"quartier {i % 7}",
            services_mask=(i % 511) + 1,
            acces_mask=1 if i % 3 else 2,
            frais_mask=4 if i % 5 == 0 else 1,
            horaires="Mo-Fr 09:00-12:00" if i % 2 else None,
        )
        for i in range(3000)
    ]
    matrix = coverage_matrix(places)
    needs = NeedCatalogue.load()
    keys = sorted(needs.needs)
    need_groups = [NeedGroup(f"|{k}|", 1, r, 10 + r) for k in keys for r in (0, 1, 5)]
    area_groups = [
        AreaGroup(f"commune {i % 300}", f"quartier {i % 7}", 3, 5, 2) for i in range(2000)
    ]
    worst = [(f"|{k}|", f"commune {i}", "quartier 1", 3) for k in keys for i in range(5)]
    demand = summarize(need_groups, area_groups, worst)
    states = [
        StructureState(i, f"Structure au nom assez long n° {i}", None, date(2024, 1, 1), 0, 3, 1)
        for i in range(3000)
    ]
    facts = [HandoverFact(i % 500, (i + 1) % 500, "acknowledged", NOW, NOW) for i in range(5000)]
    names = {i: f"Structure au nom assez long n° {i}" for i in range(500)}
    return Observatory(
        guild_id=1,
        period=semester_of(NOW.date()),
        previous_period=semester_of(NOW.date()).previous(),
        generated_at=NOW,
        matrix=matrix,
        gaps=find_gaps(matrix, demand=demand.service_demand()),
        demand=demand,
        demand_previous=summarize([]),
        unmet=unmet_needs(demand),
        trend=[],
        filters=filter_usage([]),
        freshness=freshness(states, NOW, charter_version="v2"),
        flow=orientation_flow(facts, names),
        flow_previous=Flow(rows=[], total=FlowRow(0, "total")),
        needs=needs,
        need_offer={k: 12 for k in keys},
        comparisons=[
            Comparison("requests", 1200, 900),
            Comparison("no_result_rate", 0.25, 0.3, percent=True),
            Comparison("places", 3000, None),
        ],
    )


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_section_fits_discord_limits(locale: str) -> None:
    obs = big_observatory()
    charts = [
        Chart(name, f"Titre {name}", PNG)
        for name in ("couverture", "horaires", "demande", "tendance")
    ]
    for section in SECTIONS:
        message = section_message(obs, section, charts, locale)
        assert 1 <= len(message.embeds) <= 10 and len(message.files) <= 10
        assert sum(len(embed) for embed in message.embeds) <= 6000, section
        for embed in message.embeds:
            assert len(embed.description or "") <= 4096
            assert len(embed.title or "") <= 256
            assert all(len(f.value) <= 1024 and len(f.name) <= 256 for f in embed.fields)
        if section in ("couverture", "manques", "fraicheur", "orientations"):
            # Thousands of lines: cut, saying how many more the report and page have.
            assert "de plus" in (message.embeds[0].description or "") or locale == "en"
            assert "more" in (message.embeds[0].description or "") or locale == "fr"


def test_summary_says_the_figures() -> None:
    obs = big_observatory()
    lines = summary_lines(obs)
    assert lines[0].startswith("**3 000** lieux accueillent du public dans **300** commune(s)")
    assert any("**3 000** fiche(s) non vérifiée(s) depuis 6 mois" in line for line in lines)


def test_number_formats() -> None:
    assert number(1234) == "1 234" and number(1234, "en") == "1,234"
    assert number(34.5) == "34,5" and number(34.5, "en") == "34.5"
    assert number(None) == "—"
    assert percent(0.4167) == "42 %" and percent(0.4167, "en") == "42%"
    assert comparison_value(Comparison("requests", 12, 4)) == ("12", "4", "▲ +8")
    assert comparison_value(Comparison("stale", 1, 3)) == ("1", "3", "▼ -2")
    assert comparison_value(Comparison("x", 0.42, 0.75, percent=True)) == (
        "42 %",
        "75 %",
        "▼ -33 pts",
    )
    assert comparison_value(Comparison("places", 7, None)) == ("7", "—", "")
    assert comparison_value(Comparison("places", 7, 7)) == ("7", "7", "=")
