"""Coverage matrix and gaps of the labelled directory, against figures computed by hand."""

from __future__ import annotations

import pytest

from cogs.observatory.coverage import (
    GapKind,
    Place,
    areas_lacking,
    coverage_matrix,
    find_gaps,
    weekly_hours_per_service,
)
from cogs.observatory.weekly import weekly_opening
from db.models.structures import SERVICES

from .labelled import ACC, ADM, EMP, OUT, labelled_places

MO, TU, WE, TH, FR, SA = range(6)


@pytest.fixture
def matrix():  # type: ignore[no-untyped-def]
    return coverage_matrix(labelled_places())


def test_weekly_opening_counts_hours_days_evenings_saturdays() -> None:
    ccas = weekly_opening("Mo-Fr 09:00-12:00,13:30-17:00")
    assert ccas.hours == 32.5
    assert ccas.days == (MO, TU, WE, TH, FR)
    assert not ccas.evening and not ccas.saturday
    arlac = weekly_opening("Tu-Fr 14:00-19:00; Sa 10:00-17:00")
    assert arlac.hours == 27
    assert arlac.evening and arlac.evening_days == (TU, WE, TH, FR)
    assert arlac.saturday and arlac.day_hours(SA) == 7
    # Closing at 18:00 sharp is not "open in the evening".
    assert not weekly_opening("Mo-Sa 10:00-18:00").evening
    assert weekly_opening("24/7").hours == 168
    assert not weekly_opening("not hours").known
    assert not weekly_opening(None).known and weekly_opening(None).hours == 0


def test_matrix_areas_are_communes_then_their_quartiers(matrix) -> None:  # type: ignore[no-untyped-def]
    assert [a.label for a in matrix.areas] == [
        "Bordeaux",
        "Bastide (Bordeaux)",
        "Mérignac",
        "Arlac (Mérignac)",
        "Beutre (Mérignac)",
        "Capeyron (Mérignac)",
        "Centre (Mérignac)",
        "Pessac",
    ]
    # The place that receives no public is left out, but counted as such.
    assert matrix.places == 7 and matrix.no_public == 1


def test_matrix_cells_match_the_hand_computed_figures(matrix) -> None:  # type: ignore[no-untyped-def]
    merignac_adm = matrix.cell(("merignac", ""), ADM)
    assert merignac_adm.places == 3  # CCAS, MDH Beutre, Clic Beutre (not the Siège)
    assert merignac_adm.hours == 34.5
    assert merignac_adm.days == (MO, TU, WE, TH, FR)
    assert merignac_adm.evening and not merignac_adm.saturday
    assert merignac_adm.walk_in == 1 and merignac_adm.free == 2

    merignac_out = matrix.cell(("merignac", ""), OUT)
    assert merignac_out.places == 3
    assert merignac_out.hours == 54  # Mo 9-18, Tu 10-19, We 9-19, Th 10-19, Fr 10-19, Sa 10-18
    assert merignac_out.opening.day_hours(WE) == 10
    assert merignac_out.saturday and merignac_out.evening

    merignac_acc = matrix.cell(("merignac", ""), ACC)
    assert (merignac_acc.places, merignac_acc.hours) == (2, 52)

    beutre_adm = matrix.cell(("merignac", "beutre"), ADM)
    assert beutre_adm.places == 2 and beutre_adm.hours == 8
    assert beutre_adm.appointment_only and not beutre_adm.paying_only
    assert beutre_adm.evening and not beutre_adm.saturday

    bastide = matrix.cell(("bordeaux", "bastide"), ADM)
    assert (bastide.places, bastide.hours, bastide.saturday) == (1, 48, True)
    assert matrix.cell(("bordeaux", ""), EMP).places == 1

    pessac = matrix.cell(("pessac", ""), OUT)
    assert pessac.places == 1 and pessac.hours is None and pessac.hours_unknown == 1

    assert matrix.cell(("merignac", "arlac"), ADM).places == 0
    assert matrix.totals[SERVICES.index(ADM)].places == 4
    assert matrix.totals[SERVICES.index(OUT)].places == 4


def test_heat_map_data_is_the_places_grid(matrix) -> None:  # type: ignore[no-untyped-def]
    grid = matrix.places_grid()
    assert len(grid) == len(matrix.areas) and all(len(row) == len(SERVICES) for row in grid)
    merignac = [a.label for a in matrix.areas].index("Mérignac")
    assert grid[merignac][SERVICES.index(ADM)] == 3
    assert grid[merignac][SERVICES.index(OUT)] == 3
    assert sum(map(sum, grid)) == sum(c.places for c in matrix.cells.values())


def test_main_gaps_per_service_are_the_hand_labelled_ones(matrix) -> None:  # type: ignore[no-untyped-def]
    def gaps(service: str) -> set[tuple[str, str]]:
        return {
            (g.area.label, g.kind)
            for g in find_gaps(matrix, services=[SERVICES.index(service)], kinds=GapKind.MAIN)
        }

    assert gaps(ADM) == {
        ("Arlac (Mérignac)", GapKind.NONE),
        ("Beutre (Mérignac)", GapKind.APPOINTMENT_ONLY),
        ("Capeyron (Mérignac)", GapKind.NONE),
        ("Pessac", GapKind.NONE),
    }
    # Bastide is not listed: Bordeaux as a whole has none (said once, at the commune).
    assert gaps(OUT) == {
        ("Bordeaux", GapKind.NONE),
        ("Beutre (Mérignac)", GapKind.APPOINTMENT_ONLY),
        ("Capeyron (Mérignac)", GapKind.PAYING_ONLY),
        ("Centre (Mérignac)", GapKind.NONE),
    }


def test_a_quartier_gap_says_what_the_commune_has(matrix) -> None:  # type: ignore[no-untyped-def]
    arlac = next(
        g
        for g in find_gaps(matrix, services=[0], kinds=[GapKind.NONE])
        if g.area.label.startswith("Arlac")
    )
    assert arlac.places == 0 and arlac.commune_places == 3


def test_gaps_asked_for_and_unanswered_come_first(matrix) -> None:  # type: ignore[no-untyped-def]
    demand = {(("pessac", ""), 0): (5, 5), (("merignac", "capeyron"), 0): (9, 2)}
    ordered = find_gaps(matrix, services=[0], kinds=GapKind.MAIN, demand=demand)
    assert [g.area.label for g in ordered[:2]] == ["Pessac", "Capeyron (Mérignac)"]
    assert (ordered[0].demand, ordered[0].unanswered) == (5, 5)


def test_which_quartiers_have_no_procedures_help_on_saturday(matrix) -> None:  # type: ignore[no-untyped-def]
    labels = [a.label for a in areas_lacking(matrix, ADM, "saturday")]
    assert labels == [
        "Arlac (Mérignac)",
        "Beutre (Mérignac)",
        "Capeyron (Mérignac)",
        "Centre (Mérignac)",
    ]
    assert [a.label for a in areas_lacking(matrix, ADM, "evening")] == [
        "Bastide (Bordeaux)",
        "Arlac (Mérignac)",
        "Capeyron (Mérignac)",
        "Centre (Mérignac)",
    ]


def test_hour_gaps_only_where_hours_are_known(matrix) -> None:  # type: ignore[no-untyped-def]
    kinds = {
        (g.area.label, g.service, g.kind)
        for g in find_gaps(matrix, kinds=[GapKind.NO_SATURDAY, GapKind.NO_EVENING])
    }
    assert ("Centre (Mérignac)", ADM, GapKind.NO_SATURDAY) in kinds
    assert ("Mérignac", ADM, GapKind.NO_SATURDAY) in kinds
    assert not any(label == "Pessac" for label, _s, _k in kinds)  # hours not given


def test_weekly_hours_per_service_unions_the_whole_network(matrix) -> None:  # type: ignore[no-untyped-def]
    per_service = dict(weekly_hours_per_service(matrix))
    # ADM: CCAS Mo-Fr 9-12,13:30-17 ∪ Bastide Mo-Fr 8:30-17:30, Sa 9-12 ∪ MDH ∪ Clic Th 18-20.
    assert per_service[ADM] == [9.0, 9.0, 9.0, 11.0, 9.0, 3.0, 0.0]
    assert sum(per_service[EMP]) == 48


def test_extra_areas_from_demand_get_empty_rows() -> None:
    matrix = coverage_matrix(labelled_places(), [("talence", "thouars", "Talence", "Thouars")])
    assert matrix.area("talence", "thouars") is not None
    assert matrix.area("talence", "") is not None
    assert matrix.cell(("talence", "thouars"), 0).places == 0
    labels = {g.area.label for g in find_gaps(matrix, services=[0], kinds=[GapKind.NONE])}
    assert "Talence" in labels and "Thouars (Talence)" not in labels
    # Asked for in the quartier: then the quartier is listed too.
    asked = find_gaps(
        matrix, services=[0], kinds=[GapKind.NONE], demand={(("talence", "thouars"), 0): (2, 2)}
    )
    assert asked[0].area.label == "Thouars (Talence)" and asked[0].unanswered == 2


def test_a_service_offered_nowhere_is_one_network_gap() -> None:
    matrix = coverage_matrix(labelled_places())
    security = SERVICES.index("Utilisation sécurisée du numérique")
    gaps = find_gaps(matrix, services=[security])
    assert [(g.area.is_network, g.kind) for g in gaps] == [(True, GapKind.NONE)]
    asked = find_gaps(matrix, services=[security], demand={(("pessac", ""), security): (3, 3)})
    assert {(g.area.label, g.demand) for g in asked} == {("", 3), ("Pessac", 3)}


def test_unknown_access_or_fees_are_not_gaps() -> None:
    place = Place(1, "X", "Eysines", "", "eysines", "", services_mask=1)
    matrix = coverage_matrix([place])
    assert find_gaps(matrix, services=[0], kinds=GapKind.MAIN) == []
