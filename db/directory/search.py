"""`/orienter` without Discord: understand the need, fetch the places that declare a
matching service, rank them (service fit, then proximity, then open soon) and explain why.

The database does the heavy filtering with integer masks (see ``Structure.*_mask``) and
orders by fit and distance; Python evaluates opening hours on the few hundred best
candidates only. That keeps a request under a few milliseconds at 20,000 places.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.structures import (
    DISPOSITIFS,
    FRAIS,
    MODALITES_ACCES,
    PRISE_EN_CHARGE,
    PUBLICS,
    SERVICES,
    Structure,
    fold,
)

from .hours import OpeningStatus, opening_status
from .matching import SECONDARY_WEIGHT, MatchResult, Need, SynonymTable, _step

CANDIDATE_BATCH = 80
MAX_RESULTS = 30
FAR_AWAY = 1e9

BIT_WALK_IN = 1 << MODALITES_ACCES.index("Se présenter")
BIT_NO_PUBLIC = 1 << MODALITES_ACCES.index("Ce lieu n'accueille pas de public")
BITS_FREE = (1 << FRAIS.index("Gratuit")) | (1 << FRAIS.index("Gratuit sous condition"))
BITS_APPOINTMENT = (1 << MODALITES_ACCES.index("Téléphoner")) | (
    1 << MODALITES_ACCES.index("Prendre un RDV en ligne")
)

# The `public` option: a public of the standard (places with no specific public welcome
# everyone) or a specific support the place must declare.
PUBLIC_CHOICES: tuple[str, ...] = PUBLICS + PRISE_EN_CHARGE

_COLUMNS = (
    Structure.id,
    Structure.external_id,
    Structure.nom,
    Structure.short_name,
    Structure.commune,
    Structure.quartier,
    Structure.commune_key,
    Structure.quartier_key,
    Structure.adresse,
    Structure.complement_adresse,
    Structure.code_postal,
    Structure.latitude,
    Structure.longitude,
    Structure.telephone,
    Structure.courriels,
    Structure.site_web,
    Structure.horaires,
    Structure.prise_rdv,
    Structure.services_mask,
    Structure.publics_mask,
    Structure.prise_en_charge_mask,
    Structure.frais_mask,
    Structure.acces_mask,
    Structure.dispositifs_mask,
    Structure.typologie,
)


@dataclass(frozen=True)
class OrientationQuery:
    text: str
    place: str | None = None  # a quartier or a commune, as typed
    public: str | None = None  # one of PUBLIC_CHOICES
    open_now: bool = False
    walk_in: bool = False  # sans rendez-vous
    free: bool = False


@dataclass(frozen=True)
class Origin:
    """Where the person is: a quartier and/or a commune, and a point to measure from."""

    label: str
    quartier_key: str = ""
    commune_key: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Candidate:
    id: int
    external_id: str
    nom: str
    short_name: str | None
    commune: str
    quartier: str | None
    commune_key: str
    quartier_key: str
    adresse: str
    complement_adresse: str | None
    code_postal: str
    latitude: float | None
    longitude: float | None
    telephone: str | None
    courriels: list[str]
    site_web: list[str]
    horaires: str | None
    prise_rdv: str | None
    services_mask: int
    publics_mask: int
    prise_en_charge_mask: int
    frais_mask: int
    acces_mask: int
    dispositifs_mask: int
    typologie: list[str]

    @property
    def display_name(self) -> str:
        return self.short_name or self.nom

    @property
    def services(self) -> list[str]:
        return [s for i, s in enumerate(SERVICES) if self.services_mask >> i & 1]


@dataclass
class RankedResult:
    candidate: Candidate
    coverage: float  # service fit (see MatchResult.coverage)
    bonus: float  # label or structure type typical of the need
    public_rank: int  # 0 addresses the public specifically, 1 everyone, 2 someone else
    proximity_tier: int  # 0 same quartier, 1 same commune, 2 elsewhere / unknown
    distance_km: float | None
    status: OpeningStatus
    reasons: list[str] = field(default_factory=list)  # French, "why it matched"
    matched_services: list[str] = field(default_factory=list)
    walk_in: bool = False
    appointment: bool = False
    frais: list[str] = field(default_factory=list)
    reserved_for: list[str] = field(default_factory=list)

    @property
    def fit(self) -> float:
        return round(self.coverage + self.bonus, 4)


@dataclass
class OrientationOutcome:
    query: OrientationQuery
    match: MatchResult
    origin: Origin | None
    results: list[RankedResult]
    suggestions: list[str] = field(default_factory=list)  # needs to try when not understood
    broader: OrientationQuery | None = None  # nearest broader search that finds something
    broader_count: int = 0
    broader_dropped: str = ""  # which criterion was dropped (French)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Observatory (issue 11): this request's row in the anonymous demand log (db/demand.py).
    demand_id: int | None = None

    @property
    def found(self) -> bool:
        return bool(self.results)


def distance_km(
    lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None
) -> float | None:
    if None in (lat1, lon1, lat2, lon2):
        return None
    # Equirectangular approximation: exact enough within a metropolitan area.
    k = math.cos(math.radians((lat1 + lat2) / 2))  # type: ignore[operator]
    dx = (lon2 - lon1) * k  # type: ignore[operator]
    dy = lat2 - lat1  # type: ignore[operator]
    return 111.195 * math.hypot(dx, dy)


# --------------------------------------------------------------------------- places


@dataclass
class PlaceIndex:
    """Quartiers and communes of a guild's directory with their centroids, for the
    `quartier|commune` option (autocomplete and proximity)."""

    quartiers: dict[str, Origin] = field(default_factory=dict)  # by folded name
    communes: dict[str, Origin] = field(default_factory=dict)
    built_at: float = 0.0

    def resolve(self, text: str | None) -> Origin | None:
        key = fold(text)
        if not key:
            return None
        if key in self.quartiers:
            return self.quartiers[key]
        if key in self.communes:
            return self.communes[key]
        # "merignac centre", "Arlac (Mérignac)": try each part, then a fuzzy match.
        from rapidfuzz import fuzz, process

        names = {**{k: k for k in self.communes}, **{k: k for k in self.quartiers}}
        hit = process.extractOne(key, names, scorer=fuzz.WRatio, score_cutoff=85)
        if hit:
            found = hit[2]
            return self.quartiers.get(found) or self.communes.get(found)
        return None

    def find_in_text(self, text: str) -> Origin | None:
        """A quartier or commune named inside the need ("une dame d'Arlac…")."""
        padded = f" {fold(text)} "
        for key, origin in sorted(self.quartiers.items(), key=lambda kv: -len(kv[0])):
            if key and f" {key} " in padded:
                return origin
        for key, origin in sorted(self.communes.items(), key=lambda kv: -len(kv[0])):
            if key and f" {key} " in padded:
                return origin
        return None

    def labels(self) -> list[str]:
        return sorted(
            {o.label for o in self.quartiers.values()} | {o.label for o in self.communes.values()}
        )


async def build_place_index(session: AsyncSession, guild_id: int) -> PlaceIndex:
    rows = (
        await session.execute(
            select(
                Structure.quartier,
                Structure.quartier_key,
                Structure.commune,
                Structure.commune_key,
                func.avg(Structure.latitude),
                func.avg(Structure.longitude),
            )
            .where(Structure.guild_id == guild_id, Structure.archived_at.is_(None))
            .group_by(
                Structure.quartier, Structure.quartier_key, Structure.commune, Structure.commune_key
            )
        )
    ).all()
    index = PlaceIndex(built_at=time.monotonic())
    commune_points: dict[str, list[tuple[str, float | None, float | None]]] = {}
    for quartier, quartier_key, commune, commune_key, lat, lon in rows:
        commune_points.setdefault(commune_key, []).append((commune, lat, lon))
        if quartier_key:
            index.quartiers[quartier_key] = Origin(
                label=f"{quartier} ({commune})",
                quartier_key=quartier_key,
                commune_key=commune_key,
                latitude=lat,
                longitude=lon,
            )
    for commune_key, points in commune_points.items():
        located = [(lat, lon) for _n, lat, lon in points if lat is not None]
        lat = sum(p[0] for p in located) / len(located) if located else None
        lon = sum(p[1] for p in located) / len(located) if located else None
        index.communes[commune_key] = Origin(
            label=points[0][0], commune_key=commune_key, latitude=lat, longitude=lon
        )
    # A quartier's label needs no commune when the name is unique.
    return index


# --------------------------------------------------------------------------- query


def _bit(vocabulary: Sequence[str], value: str) -> int:
    return 1 << vocabulary.index(value)


def candidate_query(
    guild_id: int, match: MatchResult, query: OrientationQuery, origin: Origin | None
) -> Select[Any]:
    """The SQL underneath `/orienter`: places declaring a wanted service, filtered, ordered
    by service fit then proximity. Portable (SQLite, PostgreSQL): integer bit masks and
    arithmetic only. A plain statement callers may narrow further (the public guide adds
    its own conditions)."""
    shape = _candidate_shape(match, query, origin)
    return _candidate_statement(shape).params(**_candidate_params(guild_id, match, origin))


# Building this statement (a CASE per need, proximity tiers…) costs SQLAlchemy about a
# millisecond, more than running it: `/orienter` reuses one statement per shape (the
# needs understood, the filters, the kind of origin) and binds the rest.
CandidateShape = tuple[tuple[Need, ...], tuple[str, int] | None, bool, bool, int, str | None]


def _candidate_shape(
    match: MatchResult, query: OrientationQuery, origin: Origin | None
) -> CandidateShape:
    public: tuple[str, int] | None = None
    if query.public in PUBLICS:
        public = ("publics", _bit(PUBLICS, query.public))
    elif query.public in PRISE_EN_CHARGE:
        public = ("prise_en_charge", _bit(PRISE_EN_CHARGE, query.public))
    where = None
    if origin is not None:
        located = origin.latitude is not None and origin.longitude is not None
        where = "point" if located else "area"
    return (
        tuple(m.need for m in match.matches),
        public,
        bool(query.walk_in),
        bool(query.free),
        _target_publics(match, query),
        where,
    )


def _candidate_params(guild_id: int, match: MatchResult, origin: Origin | None) -> dict[str, Any]:
    params: dict[str, Any] = {"guild_id": guild_id}
    for i, m in enumerate(match.matches):
        params[f"score_{i}"] = float(m.score)
        params[f"secondary_score_{i}"] = float(SECONDARY_WEIGHT * m.score)
    if origin is not None:
        params["has_quartier"] = bool(origin.quartier_key)
        params["quartier_key"] = origin.quartier_key
        params["commune_key"] = origin.commune_key
        if origin.latitude is not None and origin.longitude is not None:
            params["latitude"] = origin.latitude
            params["longitude"] = origin.longitude
            params["lon_scale"] = math.cos(math.radians(origin.latitude))
    return params


@lru_cache(maxsize=1024)
def _candidate_statement(shape: CandidateShape) -> Select[Any]:
    needs, public, walk_in, free, target, where = shape
    services = Structure.services_mask
    wanted = 0
    for need in needs:
        wanted |= need.services_mask | need.secondary_mask
    conditions = [
        Structure.guild_id == bindparam("guild_id"),
        Structure.archived_at.is_(None),
        services.op("&")(wanted) != 0,
        Structure.acces_mask.op("&")(BIT_NO_PUBLIC) == 0,
    ]
    if public is not None:
        kind, bit = public
        if kind == "publics":
            conditions.append(
                or_(Structure.publics_mask == 0, Structure.publics_mask.op("&")(bit) != 0)
            )
        else:
            conditions.append(Structure.prise_en_charge_mask.op("&")(bit) != 0)
    if walk_in:
        conditions.append(Structure.acces_mask.op("&")(BIT_WALK_IN) != 0)
    if free:
        conditions.append(Structure.frais_mask.op("&")(BITS_FREE) != 0)

    coverage_terms = [
        case(
            (services.op("&")(need.services_mask) != 0, bindparam(f"score_{i}", type_=Float)),
            (
                services.op("&")(need.secondary_mask) != 0,
                bindparam(f"secondary_score_{i}", type_=Float),
            ),
            else_=literal(0.0),
        )
        for i, need in enumerate(needs)
    ]
    coverage = cast(sum(coverage_terms[1:], coverage_terms[0]), Float)
    order: list[Any] = [coverage.desc(), _public_rank_sql(target)]
    if where is not None:
        tier = case(
            (
                and_(
                    bindparam("has_quartier", type_=Boolean),
                    Structure.quartier_key == bindparam("quartier_key", type_=String),
                ),
                0,
            ),
            (Structure.commune_key == bindparam("commune_key", type_=String), 1),
            else_=2,
        )
        order.append(tier)
        if where == "point":
            dlat = Structure.latitude - bindparam("latitude", type_=Float)
            dlon = (Structure.longitude - bindparam("longitude", type_=Float)) * bindparam(
                "lon_scale", type_=Float
            )
            order.append(func.coalesce(dlat * dlat + dlon * dlon, FAR_AWAY))
    else:
        order.append(_bonus_sql(needs).desc())
    order.append(Structure.id)
    # Ids only: answered from the covering index `ix_structures_orienter`; the wide rows
    # are read for the winners only (see ``fetch_candidates``).
    return select(Structure.id).where(*conditions).order_by(*order)


@lru_cache(maxsize=1024)
def _paged_candidate_statement(shape: CandidateShape) -> Select[Any]:
    return (
        _candidate_statement(shape)
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
    )


_WINNERS = select(*_COLUMNS).where(Structure.id.in_(bindparam("ids", expanding=True)))


def _target_publics(match: MatchResult, query: OrientationQuery) -> int:
    if query.public in PUBLICS:
        return _bit(PUBLICS, query.public)
    return match.publics_mask


def _public_rank_sql(target: int) -> Any:
    if target:
        return case(
            (Structure.publics_mask.op("&")(target) != 0, 0),
            (Structure.publics_mask == 0, 1),
            else_=2,
        )
    return case((Structure.publics_mask == 0, 0), else_=1)


def public_rank(publics_mask: int, target: int) -> int:
    if target:
        if publics_mask & target:
            return 0
        return 1 if publics_mask == 0 else 2
    return 0 if publics_mask == 0 else 1


def _bonus_sql(needs: Sequence[Need]) -> Any:
    """The same bonus as ``MatchResult.bonus``, for ordering in the database."""
    services = Structure.services_mask
    terms = []
    for need in needs:
        steps = [
            (Structure.dispositifs_mask.op("&")(1 << DISPOSITIFS.index(d)) != 0, _step(i))
            for i, d in enumerate(need.dispositifs)
        ] + [
            (Structure.typologie_key.like(f"%|{t}|%"), _step(i))
            for i, t in enumerate(need.typologies)
        ]
        if not steps:
            continue
        best = case(*sorted(steps, key=lambda step: -step[1]), else_=literal(0.0))
        terms.append(
            case((services.op("&")(need.any_services_mask) != 0, best), else_=literal(0.0))
        )
    if not terms:
        return literal(0.0)
    return cast(sum(terms[1:], terms[0]), Float)


def _candidate(row: Any) -> Candidate:
    return Candidate(**{column.key: row[i] for i, column in enumerate(_COLUMNS)})


# --------------------------------------------------------------------------- ranking


def rank_candidates(
    candidates: Sequence[Candidate],
    match: MatchResult,
    query: OrientationQuery,
    origin: Origin | None,
    now: datetime,
) -> list[RankedResult]:
    """Pure ranking: service fit first (then places addressing the person's public before
    those for everyone, before those reserved to others), then proximity (quartier,
    commune, distance in 2 km bands), then a label typical of the need, then the sooner
    open, then exact distance. Drops any place that does not
    declare a wanted service, whatever the caller passed."""
    ranked: list[RankedResult] = []
    wanted = match.wanted_mask
    target = _target_publics(match, query)
    for candidate in candidates:
        if not candidate.services_mask & wanted:
            continue
        if candidate.acces_mask & BIT_NO_PUBLIC:
            continue
        status = opening_status(candidate.horaires, now)
        if query.open_now and not status.open_now:
            continue
        tier = 2
        distance = None
        if origin is not None:
            if origin.quartier_key and candidate.quartier_key == origin.quartier_key:
                tier = 0
            elif candidate.commune_key == origin.commune_key:
                tier = 1
            distance = distance_km(
                origin.latitude, origin.longitude, candidate.latitude, candidate.longitude
            )
        result = RankedResult(
            candidate=candidate,
            coverage=match.coverage(candidate.services_mask),
            bonus=match.bonus(
                candidate.services_mask, candidate.dispositifs_mask, candidate.typologie or []
            ),
            public_rank=public_rank(candidate.publics_mask, target),
            proximity_tier=tier,
            distance_km=distance,
            status=status,
            matched_services=[
                s for i, s in enumerate(SERVICES) if (candidate.services_mask & wanted) >> i & 1
            ],
            walk_in=bool(candidate.acces_mask & BIT_WALK_IN),
            appointment=bool(candidate.acces_mask & BITS_APPOINTMENT) or bool(candidate.prise_rdv),
            frais=[f for i, f in enumerate(FRAIS) if candidate.frais_mask >> i & 1],
            reserved_for=[p for i, p in enumerate(PUBLICS) if candidate.publics_mask >> i & 1],
        )
        result.reasons = explain(result, match, origin, now)
        ranked.append(result)

    def key(r: RankedResult) -> tuple[Any, ...]:
        band = int(r.distance_km // 2) if r.distance_km is not None else 99
        soon = r.status.minutes_until_open(now)
        soon_hours = min(int(soon // 60), 10_000) if soon != float("inf") else 10_001
        return (
            -round(r.coverage, 3),
            r.public_rank,
            r.proximity_tier,
            band,
            -r.bonus,
            soon_hours,
            r.distance_km if r.distance_km is not None else FAR_AWAY,
            r.candidate.id,
        )

    ranked.sort(key=key)
    return ranked


def explain(
    result: RankedResult, match: MatchResult, origin: Origin | None, now: datetime
) -> list[str]:
    """Why this place is proposed, in words a professional checks at a glance."""
    reasons = []
    candidate = result.candidate
    for need_match in match.matches:
        need = need_match.need
        declared = [
            s
            for i, s in enumerate(SERVICES)
            if (candidate.services_mask & (need.services_mask | need.secondary_mask)) >> i & 1
        ]
        if not declared:
            continue
        how = (
            f"« {need_match.matched} »"
            if need_match.exact
            else f"« {need_match.matched} » (compris « {need_match.term} »)"
        )
        partial = "" if candidate.services_mask & need.services_mask else " (en partie)"
        reasons.append(f"{how} → propose « {declared[0]} »{partial}")
        labels = [
            d for d in need.dispositifs if candidate.dispositifs_mask >> DISPOSITIFS.index(d) & 1
        ]
        labels += [code for code in need.typologies if code in (candidate.typologie or [])]
        if labels:
            reasons.append("repère : " + ", ".join(labels))
    if result.public_rank == 0 and result.reserved_for:
        reasons.append("s'adresse aux publics : " + ", ".join(result.reserved_for))
    if origin is not None:
        if result.proximity_tier == 0:
            reasons.append(f"dans le quartier ({candidate.quartier})")
        elif result.proximity_tier == 1:
            reasons.append(f"même commune ({candidate.commune})")
        if result.distance_km is not None:
            reasons.append(f"à {result.distance_km:.1f} km".replace(".", ","))
    if result.status.open_now:
        reasons.append("ouvert maintenant")
    elif result.status.opens_at is not None and result.status.minutes_until_open(now) <= 24 * 60:
        reasons.append("ouvre dans les 24 h")
    return reasons


# --------------------------------------------------------------------------- service


async def fetch_candidates(
    session: AsyncSession,
    guild_id: int,
    match: MatchResult,
    query: OrientationQuery,
    origin: Origin | None,
    *,
    offset: int = 0,
    limit: int = CANDIDATE_BATCH,
) -> list[Candidate]:
    shape = _candidate_shape(match, query, origin)
    params = _candidate_params(guild_id, match, origin)
    params.update(page_limit=limit, page_offset=offset)
    ids = list((await session.scalars(_paged_candidate_statement(shape), params)).all())
    if not ids:
        return []
    rows = (await session.execute(_WINNERS, {"ids": ids})).all()
    by_id = {row[0]: _candidate(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def _search(
    session: AsyncSession,
    guild_id: int,
    match: MatchResult,
    query: OrientationQuery,
    origin: Origin | None,
    now: datetime,
    max_results: int,
) -> list[RankedResult]:
    results: list[RankedResult] = []
    offset = 0
    # With "open now", most of a batch may be closed: read further batches until enough.
    while True:
        batch = await fetch_candidates(session, guild_id, match, query, origin, offset=offset)
        results.extend(rank_candidates(batch, match, query, origin, now))
        offset += len(batch)
        if len(batch) < CANDIDATE_BATCH or len(results) >= max_results or offset >= 5_000:
            break
    if offset > CANDIDATE_BATCH:
        results = rank_candidates([r.candidate for r in results], match, query, origin, now)
    return results[:max_results]


_RELAXATIONS = (
    ("open_now", "ouvert maintenant"),
    ("walk_in", "sans rendez-vous"),
    ("free", "gratuit"),
    ("public", "public"),
)


async def orienter(
    session: AsyncSession,
    guild_id: int,
    query: OrientationQuery,
    now: datetime,
    table: SynonymTable,
    *,
    places: PlaceIndex | None = None,
    default_origin: Origin | None = None,
    max_results: int = MAX_RESULTS,
) -> OrientationOutcome:
    """Everything `/orienter` computes, ready to render."""
    started = time.perf_counter()
    match = table.match(query.text)
    timings = {"match_ms": (time.perf_counter() - started) * 1000}
    if places is None and (query.place or match.understood):
        places = await build_place_index(session, guild_id)
    origin = None
    if query.place and places is not None:
        origin = places.resolve(query.place)
    if origin is None and places is not None:
        origin = places.find_in_text(query.text)
    if origin is None:
        origin = default_origin
    outcome = OrientationOutcome(query=query, match=match, origin=origin, results=[])
    if not match.understood:
        outcome.suggestions = [n.label for n in table.closest_needs(query.text)]
        outcome.timings_ms = timings
        return outcome
    queried = time.perf_counter()
    outcome.results = await _search(session, guild_id, match, query, origin, now, max_results)
    timings["search_ms"] = (time.perf_counter() - queried) * 1000
    if not outcome.results:
        # Nearest broader search: drop one criterion at a time, the least essential first.
        current = query
        for attribute, label in _RELAXATIONS:
            value = getattr(current, attribute)
            if not value:
                continue
            current = replace(
                current, **{attribute: None if attribute in ("public", "place") else False}
            )
            broader_origin = origin if attribute != "place" else None
            found = await _search(
                session, guild_id, match, current, broader_origin, now, max_results
            )
            if found:
                outcome.broader = current
                outcome.broader_count = len(found)
                outcome.broader_dropped = label
                break
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    outcome.timings_ms = timings
    return outcome
