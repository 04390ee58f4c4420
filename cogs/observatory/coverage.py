"""Coverage of the territory: commune/quartier × service, and the gaps in it.

Plain functions over plain data (``Place``), so that a small labelled directory can be
checked by hand. An *area* is a commune (all its places) or one of its quartiers (the
places that name it); both levels are shown, the commune first, because a need missing
in a quartier reads differently when the commune has it two streets away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from db.models.structures import FRAIS, MODALITES_ACCES, SERVICES

from .weekly import DAY_MASKS, EVENING_MASK, SATURDAY, UNKNOWN, WeeklyOpening, weekly_opening

SATURDAY_MASK = DAY_MASKS[SATURDAY]

BIT_WALK_IN = 1 << MODALITES_ACCES.index("Se présenter")
BIT_NO_PUBLIC = 1 << MODALITES_ACCES.index("Ce lieu n'accueille pas de public")
BITS_APPOINTMENT = (
    (1 << MODALITES_ACCES.index("Téléphoner"))
    | (1 << MODALITES_ACCES.index("Contacter par mail"))
    | (1 << MODALITES_ACCES.index("Prendre un RDV en ligne"))
    | (1 << MODALITES_ACCES.index("Envoyer un mail avec une fiche de prescription"))
)
BITS_FREE = (1 << FRAIS.index("Gratuit")) | (1 << FRAIS.index("Gratuit sous condition"))
BIT_PAYING = 1 << FRAIS.index("Payant")


class GapKind:
    NONE = "none"  # no place offers the service in the area
    APPOINTMENT_ONLY = "appointment_only"  # every place is by appointment only
    PAYING_ONLY = "paying_only"  # every place charges
    NO_SATURDAY = "no_saturday"  # places exist, none opens on Saturday
    NO_EVENING = "no_evening"  # places exist, none opens after 18:00

    SEVERITY = {NONE: 3, APPOINTMENT_ONLY: 2, PAYING_ONLY: 2, NO_SATURDAY: 1, NO_EVENING: 1}
    # The three the COPIL asked about first; the hour-based ones are shown after them.
    MAIN = (NONE, APPOINTMENT_ONLY, PAYING_ONLY)
    ALL = (*MAIN, NO_SATURDAY, NO_EVENING)


@dataclass(slots=True)
class Place:
    """A structure as the observatory sees it (no contact, no person)."""

    id: int
    name: str
    commune: str
    quartier: str
    commune_key: str
    quartier_key: str
    services_mask: int
    acces_mask: int = 0
    frais_mask: int = 0
    horaires: str | None = None
    prise_rdv: bool = False

    @property
    def receives_public(self) -> bool:
        return not self.acces_mask & BIT_NO_PUBLIC

    @property
    def walk_in(self) -> bool:
        return bool(self.acces_mask & BIT_WALK_IN)

    @property
    def appointment_only(self) -> bool:
        """Says how to book (phone, e-mail, online) and not "just come": unknown access is
        not counted as appointment-only."""
        return not self.walk_in and (bool(self.acces_mask & BITS_APPOINTMENT) or self.prise_rdv)

    @property
    def paying_only(self) -> bool:
        return bool(self.frais_mask & BIT_PAYING) and not self.frais_mask & BITS_FREE

    @property
    def opening(self) -> WeeklyOpening:
        return weekly_opening(self.horaires)

    def offers(self, service_index: int) -> bool:
        return bool(self.services_mask >> service_index & 1)


@dataclass(frozen=True)
class Area:
    commune_key: str
    quartier_key: str  # "" for the whole commune
    label: str
    commune_label: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.commune_key, self.quartier_key)

    @property
    def is_commune(self) -> bool:
        return not self.quartier_key

    @property
    def is_network(self) -> bool:
        return not self.commune_key


@dataclass(slots=True)
class Cell:
    """One service in one area."""

    places: int = 0
    walk_in: int = 0
    free: int = 0
    appointment_only_places: int = 0
    paying_only_places: int = 0
    slots: int = 0  # union of the places' weekly hours (see weekly.py), known ones
    hours_known: bool = False
    hours_unknown: int = 0  # places without readable hours

    @property
    def opening(self) -> WeeklyOpening:
        return WeeklyOpening(self.slots, self.hours_known) if self.hours_known else UNKNOWN

    @property
    def hours(self) -> float | None:
        return self.opening.hours if self.hours_known else None

    @property
    def days(self) -> tuple[int, ...]:
        return self.opening.days

    @property
    def evening(self) -> bool:
        return bool(self.slots & EVENING_MASK)

    @property
    def saturday(self) -> bool:
        return bool(self.slots & DAY_MASKS[SATURDAY])

    @property
    def appointment_only(self) -> bool:
        return self.places > 0 and self.appointment_only_places == self.places

    @property
    def paying_only(self) -> bool:
        return self.places > 0 and self.paying_only_places == self.places

    def add(self, place: Place) -> None:
        self.places += 1
        self.walk_in += place.walk_in
        self.free += bool(place.frais_mask & BITS_FREE)
        self.appointment_only_places += place.appointment_only
        self.paying_only_places += place.paying_only
        opening = place.opening
        if opening.known:
            self.slots |= opening.slots
            self.hours_known = True
        else:
            self.hours_unknown += 1


@dataclass
class CoverageMatrix:
    areas: list[Area]
    cells: dict[tuple[tuple[str, str], int], Cell]  # (area key, service index) -> cell
    totals: dict[int, Cell]  # service index -> the whole guild
    places: int = 0  # places counted (receiving public)
    no_public: int = 0  # places that say they do not receive the public (left out)
    services: tuple[str, ...] = SERVICES

    def cell(self, area: Area | tuple[str, str], service: int | str) -> Cell:
        key = area.key if isinstance(area, Area) else area
        index = service if isinstance(service, int) else SERVICES.index(service)
        return self.cells.get((key, index)) or Cell()

    def area(self, commune_key: str, quartier_key: str = "") -> Area | None:
        for area in self.areas:
            if area.key == (commune_key, quartier_key):
                return area
        return None

    def places_grid(self) -> list[list[int]]:
        """Rows = areas, columns = services: number of places (the heat map's data)."""
        return [
            [self.cell(area, index).places for index in range(len(self.services))]
            for area in self.areas
        ]


def _area_sort_key(area: Area) -> tuple[str, int, str]:
    return (area.commune_key, 0 if area.is_commune else 1, area.quartier_key)


def coverage_matrix(
    places: Iterable[Place], extra_areas: Iterable[tuple[str, str, str, str]] = ()
) -> CoverageMatrix:
    """Count places, walk-in/free ones, and union their weekly hours per area × service.
    ``extra_areas`` (commune_key, quartier_key, commune label, quartier label) adds rows
    that have no place (e.g. asked for in the demand log) so their gaps show."""
    cells: dict[tuple[tuple[str, str], int], Cell] = {}
    totals: dict[int, Cell] = {index: Cell() for index in range(len(SERVICES))}
    areas: dict[tuple[str, str], Area] = {}
    counted = no_public = 0
    services_of: dict[int, tuple[int, ...]] = {}  # services mask -> service indexes

    for place in places:
        commune_key = (place.commune_key, "")
        if commune_key not in areas:
            areas[commune_key] = Area(place.commune_key, "", place.commune, place.commune)
        keys = [commune_key]
        if place.quartier_key:
            quartier_key = (place.commune_key, place.quartier_key)
            if quartier_key not in areas:
                areas[quartier_key] = Area(
                    place.commune_key,
                    place.quartier_key,
                    f"{place.quartier} ({place.commune})",
                    place.commune,
                )
            keys.append(quartier_key)
        if not place.receives_public:
            no_public += 1
            continue
        counted += 1
        opening = place.opening
        slots = opening.slots if opening.known else None
        walk_in = place.walk_in
        free = bool(place.frais_mask & BITS_FREE)
        appointment_only = place.appointment_only
        paying_only = place.paying_only
        mask = place.services_mask
        indexes = services_of.get(mask)
        if indexes is None:
            indexes = services_of[mask] = tuple(i for i in range(len(SERVICES)) if mask >> i & 1)
        # The hot loop of a national directory (20,000 places × services × 2 areas):
        # plain attribute updates rather than a method call per cell.
        for index in indexes:
            targets = [totals[index]]
            for key in keys:
                cell = cells.get((key, index))
                if cell is None:
                    cell = cells[(key, index)] = Cell()
                targets.append(cell)
            for target in targets:
                target.places += 1
                target.walk_in += walk_in
                target.free += free
                target.appointment_only_places += appointment_only
                target.paying_only_places += paying_only
                if slots is None:
                    target.hours_unknown += 1
                else:
                    target.slots |= slots
                    target.hours_known = True
    matrix = CoverageMatrix(
        areas=sorted(areas.values(), key=_area_sort_key),
        cells=cells,
        totals=totals,
        places=counted,
        no_public=no_public,
    )
    add_areas(matrix, extra_areas)
    return matrix


def add_areas(matrix: CoverageMatrix, extra_areas: Iterable[tuple[str, str, str, str]]) -> None:
    """Give ``matrix`` a row for each of ``extra_areas`` (commune_key, quartier_key,
    commune label, quartier label) it does not have yet (its commune too): areas with no
    place, e.g. asked for in the demand log, so that their gaps show. The matrix can so
    be counted from the places before the demand is known."""
    known = {area.key for area in matrix.areas}
    added = []
    for commune_key, quartier_key, commune, quartier in extra_areas:
        if not commune_key:
            continue
        if (commune_key, "") not in known:
            known.add((commune_key, ""))
            label = commune or commune_key
            added.append(Area(commune_key, "", label, label))
        if quartier_key and (commune_key, quartier_key) not in known:
            known.add((commune_key, quartier_key))
            added.append(
                Area(
                    commune_key,
                    quartier_key,
                    f"{quartier or quartier_key} ({commune or commune_key})",
                    commune or commune_key,
                )
            )
    if added:
        matrix.areas = sorted([*matrix.areas, *added], key=_area_sort_key)


class Gap(NamedTuple):
    """One gap (immutable; a named tuple: tens of thousands are made per computation at
    national scale, three times faster than a frozen dataclass)."""

    area: Area
    service: str
    kind: str
    places: int  # places of the service in the area (0 for NONE)
    commune_places: int  # in the whole commune (context for a quartier's gap)
    demand: int = 0  # requests for this service from this area in the period
    unanswered: int = 0  # of which found nothing

    @property
    def severity(self) -> int:
        return GapKind.SEVERITY[self.kind]


NETWORK = Area("", "", "", "")  # the whole guild, for a service no place offers at all


def find_gaps(
    matrix: CoverageMatrix,
    *,
    services: Sequence[int] | None = None,
    demand: dict[tuple[tuple[str, str], int], tuple[int, int]] | None = None,
    kinds: Sequence[str] = GapKind.ALL,
) -> list[Gap]:
    """Every gap, most pressing first: unanswered requests first, then severity, then
    requests; then the network before communes before quartiers, by key, by service.
    ``demand`` maps (area key, service index) to (requests, requests with no result).

    To keep the list readable, "no place" is said once where it is true at a wider
    level: a service no place offers is one gap for the whole network; a quartier is
    listed when its commune has the service elsewhere. Either is also listed wherever
    the service was asked for."""
    demand = demand or {}
    wanted = sorted(services) if services is not None else list(range(len(SERVICES)))
    wanted_kinds = set(kinds)
    severity = GapKind.SEVERITY
    cells = matrix.cells
    nothing = (0, 0)
    # Demand for a service over the whole network: the sum of its communes' demand.
    network: dict[int, tuple[int, int]] = {}
    for (key, index), (asked, unanswered) in demand.items():
        if not key[1]:
            before = network.get(index, nothing)
            network[index] = (before[0] + asked, before[1] + unanswered)
    # Tens of thousands of gaps at national scale. They are produced in the order that
    # breaks ties (network, communes, quartiers, each by key, then service), so that one
    # stable sort on (unanswered, severity, requests) finishes.
    gaps: list[Gap] = []
    weights: list[tuple[int, int, int]] = []

    def emit(
        area: Area, index: int, kind: str, places: int, commune: int, asked: tuple[int, int]
    ) -> None:
        if kind in wanted_kinds:
            gaps.append(Gap(area, SERVICES[index], kind, places, commune, asked[0], asked[1]))
            weights.append((asked[1], severity[kind], asked[0]))

    offered = {index: matrix.totals[index].places > 0 for index in wanted}
    for index in wanted:
        if not offered[index]:
            emit(NETWORK, index, GapKind.NONE, 0, 0, network.get(index, nothing))
    areas = sorted(
        matrix.areas, key=lambda a: (bool(a.quartier_key), a.commune_key, a.quartier_key)
    )
    for area in areas:
        key = area.key
        commune_key = (area.commune_key, "")
        is_quartier = bool(area.quartier_key)
        for index in wanted:
            cell = cells.get((key, index))
            asked = demand.get((key, index), nothing)
            if cell is None or cell.places == 0:
                commune = cells.get((commune_key, index))
                commune_places = commune.places if commune is not None else 0
                wider = not offered[index] or (is_quartier and not commune_places)
                if asked[0] or not wider:
                    emit(area, index, GapKind.NONE, 0, commune_places, asked)
                continue
            places = cell.places
            commune = cells.get((commune_key, index))
            commune_places = commune.places if commune is not None else 0
            if cell.appointment_only_places == places:
                emit(area, index, GapKind.APPOINTMENT_ONLY, places, commune_places, asked)
            if cell.paying_only_places == places:
                emit(area, index, GapKind.PAYING_ONLY, places, commune_places, asked)
            if cell.hours_known:
                if not cell.slots & SATURDAY_MASK:
                    emit(area, index, GapKind.NO_SATURDAY, places, commune_places, asked)
                if not cell.slots & EVENING_MASK:
                    emit(area, index, GapKind.NO_EVENING, places, commune_places, asked)
    order = sorted(range(len(gaps)), key=weights.__getitem__, reverse=True)
    return [gaps[i] for i in order]


def weekly_hours_per_service(matrix: CoverageMatrix) -> list[tuple[str, list[float]]]:
    """(service, hours per weekday Monday..Sunday) over the whole guild: the hours during
    which at least one place offering the service is open (the weekly chart's data)."""
    return [
        (service, [matrix.totals[index].opening.day_hours(day) for day in range(7)])
        for index, service in enumerate(SERVICES)
    ]


def areas_lacking(
    matrix: CoverageMatrix, service: int | str, when: str, *, quartiers_only: bool = True
) -> list[Area]:
    """Areas where nobody offers ``service`` at that time: "saturday", "evening", or
    "any" (no place at all). Answers "which quartiers have no help with online
    procedures on Saturdays?". Places without readable hours count as not open."""
    index = service if isinstance(service, int) else SERVICES.index(service)
    lacking = []
    for area in matrix.areas:
        if quartiers_only and area.is_commune:
            continue
        cell = matrix.cell(area, index)
        if when == "any":
            missing = cell.places == 0
        elif when == "saturday":
            missing = not cell.saturday
        elif when == "evening":
            missing = not cell.evening
        else:
            raise ValueError(when)
        if missing:
            lacking.append(area)
    return lacking
