"""All figures of one guild and period, from the database, against the hand-counted
scenario (scenario.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from cogs.observatory import data
from cogs.observatory.coverage import GapKind
from cogs.observatory.figures import compute_observatory, snapshot_figures
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import parse_period, semester_of
from db.models.structures import SERVICES

from .labelled import ADM, NOW, OUT
from .scenario import seed_scenario

S2_2026 = semester_of(date(2026, 11, 23))


@pytest.fixture(scope="module")
def needs() -> NeedCatalogue:
    return NeedCatalogue.load()


async def test_every_figure_of_the_scenario(db, guild, needs) -> None:  # type: ignore[no-untyped-def]
    ids = await seed_scenario(db, guild)
    async with db.transaction() as session:
        await data.save_snapshot(
            session,
            guild,
            date(2026, 6, 15),
            {"places": 5, "stale": 3, "without_referent": 7, "charter_rate": 0.5},
            NOW,
        )
    obs = await compute_observatory(db, guild, S2_2026, now=NOW, needs=needs)

    # Coverage: the labelled directory (the archived place and the one without public out).
    assert obs.matrix.places == 7 and obs.matrix.no_public == 1
    assert obs.matrix.cell(("merignac", ""), ADM).places == 3
    assert obs.matrix.cell(("merignac", ""), ADM).hours == 34.5

    # Demand of S2 2026: 12 requests, 5 without result (4 CAF in Capeyron + 1 not
    # understood), 2 with few results, 3 followed by a handover; 4 without an area.
    total = obs.demand.total
    assert (total.requests, total.no_result, total.few_results, total.handovers) == (12, 5, 2, 3)
    assert obs.demand.not_understood == 1 and obs.demand.unlocated == 4
    caf = obs.demand.by_need["caf"]
    assert (caf.requests, caf.no_result, caf.few_results, caf.handovers) == (6, 4, 2, 1)
    assert [u.need for u in obs.unmet] == ["caf"]
    assert obs.unmet[0].worst_areas == ((("merignac", "capeyron"), 4),)
    assert obs.demand.by_area[("merignac", "")].requests == 6
    assert dict((s, (r, n, p)) for s, r, n, p in obs.demand_vs_offer())[ADM] == (8, 4, 4)
    assert dict((s, (r, n, p)) for s, r, n, p in obs.demand_vs_offer())[OUT] == (3, 0, 4)
    assert obs.need_offer["caf"] == 4  # places declaring "Aide aux démarches administratives"

    # Filters used.
    assert obs.filters.by_filter == {"gratuit": 4, "sans_rdv": 2}
    assert obs.filters.no_result_by_filter == {"gratuit": 4}

    # The most pressing gap: procedures in Capeyron, asked 4 times and never found.
    first = obs.main_gaps()[0]
    assert (first.area.label, first.service, first.kind) == (
        "Capeyron (Mérignac)",
        ADM,
        GapKind.NONE,
    )
    assert (first.demand, first.unanswered, first.commune_places) == (4, 4, 3)

    # Trend: twelve months to November 2026, zeros included.
    assert obs.trend[0].month == 202512 and obs.trend[-1].month == 202611
    by_month = {p.month: p.requests for p in obs.trend}
    assert by_month[202602] == 1 and by_month[202603] == 3
    assert by_month[202609] == 3 and by_month[202611] == 9
    assert sum(by_month.values()) == 16 and len(obs.trend) == 12

    # Freshness: 8 live structures; the CCAS is stale; 6 have no referent; charter v1
    # accepted by 2 of 3 known members (CCAS 1/1, Arlac 0/1, Bastide 1/1).
    fresh = obs.freshness
    assert fresh.structures == 8
    assert [e.name for e in fresh.stale] == ["CCAS de Mérignac"]
    assert len(fresh.without_referent) == 6
    assert fresh.charter_version == "v1"
    assert (fresh.members, fresh.members_accepted) == (3, 2)
    charter = {row.name: (row.accepted, row.members) for row in fresh.charter}
    assert charter["CCAS de Mérignac"] == (1, 1)
    assert charter["Médiathèque d'Arlac"] == (0, 1)
    assert charter["France Services Bastide"] == (1, 1)
    assert fresh.charter[0].name == "Médiathèque d'Arlac"  # worst rate first

    # Orientation flow in S2: CCAS received 2 (acknowledged after 2 h, redirected after
    # 6 h), Bastide 1 open, MDH 1 expired; Arlac sent 3.
    rows = {row.name: row for row in obs.flow.rows}
    ccas = rows["CCAS de Mérignac"]
    assert (ccas.received, ccas.acknowledged, ccas.redirected) == (2, 1, 1)
    assert ccas.median_answer_hours == 4.0 and ccas.answer_rate == 1.0
    assert rows["France Services Bastide"].open == 1
    assert rows["Maison des Habitants de Beutre"].expired == 1
    assert rows["Médiathèque d'Arlac"].sent == 3
    flow = obs.flow.total
    assert (flow.received, flow.sent) == (4, 3)
    assert flow.answer_rate == pytest.approx(2 / 3)
    assert obs.flow_previous.total.received == 1

    # Comparisons with S1 2026 (logs) and the snapshot of 15 June (offer, freshness).
    compare = {c.key: (c.current, c.previous) for c in obs.comparisons}
    assert compare["requests"] == (12, 4)
    assert compare["no_result_rate"] == (pytest.approx(5 / 12), pytest.approx(3 / 4))
    assert compare["handovers"] == (4, 1)
    assert compare["answer_rate"] == (pytest.approx(2 / 3), 1.0)
    assert compare["places"] == (7, 5)
    assert compare["stale"] == (1, 3)
    assert compare["without_referent"] == (6, 7)
    assert compare["charter_rate"] == (pytest.approx(2 / 3), 0.5)
    assert obs.previous_snapshot_day == date(2026, 6, 15)
    assert ids  # the scenario's structures exist


async def test_previous_semester_and_other_periods(db, guild, needs) -> None:  # type: ignore[no-untyped-def]
    await seed_scenario(db, guild)
    previous = await compute_observatory(
        db, guild, parse_period("semestre précédent", NOW.date()), now=NOW, needs=needs
    )
    year = await compute_observatory(
        db, guild, parse_period("2026", NOW.date()), now=NOW, needs=needs
    )
    assert previous.demand.total.requests == 4 and previous.demand.total.no_result == 3
    assert previous.flow.total.received == 1
    # No snapshot before S2 2025 ends: the offer's comparison is unknown, not zero.
    assert {c.key: c.previous for c in previous.comparisons}["places"] is None
    assert year.demand.total.requests == 16
    assert year.trend[-1].month == 202611


async def test_snapshot_figures_and_replacing_the_same_day(db, guild, needs) -> None:  # type: ignore[no-untyped-def]
    await seed_scenario(db, guild)
    obs = await compute_observatory(db, guild, S2_2026, now=NOW, needs=needs)
    figures = snapshot_figures(obs.matrix, obs.freshness)
    assert figures["places"] == 7
    assert figures["services"][ADM]["places"] == 4
    assert figures["services"][ADM]["saturday"] is True  # Bastide opens on Saturday
    # Quartiers without procedures help: Arlac, Capeyron (and not Beutre, Centre, Bastide).
    assert figures["services"][ADM]["quartiers_without"] == 2
    assert set(figures["services"]) == set(SERVICES)
    async with db.transaction() as session:
        await data.save_snapshot(session, guild, date(2026, 11, 1), {"places": 1}, NOW)
        await data.save_snapshot(session, guild, date(2026, 11, 1), figures, NOW)
    async with db.session() as session:
        row = await data.snapshot_on_or_before(session, guild, date(2026, 11, 30))
        assert row is not None and row.figures["places"] == 7
        assert await data.snapshot_on_or_before(session, guild, date(2026, 10, 31)) is None


async def test_page_token_is_per_guild_and_rotates(db, guild) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        assert await data.page_token(session, guild, create=False) is None
        first = await data.page_token(session, guild, create=True, by=1)
        assert first is not None and len(first) >= 40
        assert await data.page_token(session, guild, create=True) == first
        other = await data.page_token(session, guild + 500_000, create=True)
        assert other != first
    async with db.transaction() as session:
        assert await data.check_page_token(session, guild, first)
        assert not await data.check_page_token(session, guild, other or "")
        assert not await data.check_page_token(session, guild, first[:-1] + "x")
        second = await data.rotate_page_token(session, guild, by=2)
    async with db.session() as session:
        assert not await data.check_page_token(session, guild, first)
        assert await data.check_page_token(session, guild, second)
