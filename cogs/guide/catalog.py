"""What the public guide shows, read from the directory: only public fields, never a
referent, an internal note or a Discord id.

Everything here is plain data (dataclasses) built from explicit column lists, so a
template can never reach a field that was not chosen for publication. Need matching and
opening hours come from the directory's logic modules.
"""

from __future__ import annotations

import asyncio
import math
from array import array
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.directory.hours import PARIS, describe_status, opening_status, weekly_table
from db.directory.matching import SynonymTable
from db.directory.search import (
    BIT_NO_PUBLIC,
    BIT_WALK_IN,
    BITS_APPOINTMENT,
    BITS_FREE,
    OrientationQuery,
    candidate_query,
)
from db.directory.standard import typologie_codes
from db.models.structures import FRAIS, SERVICES, Structure, fold, vocabulary_mask

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class KindOfHelp:
    """A kind of help in residents' words, covering one or more services of the standard."""

    key: str
    label: str
    hint: str
    services: tuple[str, ...]

    @property
    def mask(self) -> int:
        return vocabulary_mask(list(self.services), SERVICES)


# The city's guide sorts places by what a resident comes for (its plan names wifi points,
# self-service equipment and places with mediators); every service of the standard is in
# exactly one kind.
KINDS: tuple[KindOfHelp, ...] = (
    KindOfHelp(
        "demarches",
        "Faire ses démarches en ligne",
        "CAF, impôts, santé, papiers d'identité, retraite…",
        ("Aide aux démarches administratives",),
    ),
    KindOfHelp(
        "acces",
        "Accéder à un ordinateur ou à internet",
        "postes en libre-service, wifi, impression, scanner…",
        ("Accès internet et matériel informatique",),
    ),
    KindOfHelp(
        "apprendre",
        "Apprendre à utiliser le numérique",
        "ordinateur, smartphone, internet, courriels, sécurité…",
        (
            "Maîtrise des outils numériques du quotidien",
            "Utilisation sécurisée du numérique",
            "Compréhension du monde numérique",
        ),
    ),
    KindOfHelp(
        "emploi",
        "Chercher un emploi avec le numérique",
        "CV, candidatures, France Travail…",
        ("Insertion professionnelle via le numérique",),
    ),
    KindOfHelp(
        "parents",
        "Parents et enfants",
        "ENT, Pronote, Parcoursup, usages en famille…",
        ("Parentalité et éducation avec le numérique",),
    ),
    KindOfHelp(
        "equipement",
        "S'équiper à petit prix",
        "ordinateur ou téléphone à prix solidaire…",
        ("Acquisition de matériel informatique à prix solidaire",),
    ),
    KindOfHelp(
        "loisirs",
        "Loisirs et créations numériques",
        "ateliers, jeux, photo, vidéo…",
        ("Loisirs et créations numériques",),
    ),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


def kinds_of(services_mask: int) -> list[KindOfHelp]:
    return [kind for kind in KINDS if services_mask & kind.mask]


# --------------------------------------------------------------------------- zones


@dataclass(frozen=True)
class Zone:
    """A neighbourhood (quartier) or a commune. ``key`` is what URLs carry:
    ``c:<folded commune>``, ``q:<folded quartier>|<folded commune>``, or
    ``q:<folded quartier>|`` for a quartier name found in several communes."""

    key: str
    label: str
    commune: str
    count: int
    is_commune: bool

    @property
    def full_label(self) -> str:
        if self.is_commune or not self.commune:
            return self.label
        return f"{self.label} ({self.commune})"


class IndexedPlace(NamedTuple):
    """What browsing, filtering and name search need, kept in memory per guild."""

    id: int
    search_key: str
    quartier_key: str
    commune_key: str
    services_mask: int


# Beyond this many zones a drop-down list is unusable (and heavy): the page offers a text
# field resolved by ``GuideStats.resolve_zone`` instead.
MAX_ZONES_IN_LIST = 80
MAX_REMEMBERED_SELECTIONS = 128
RANKING_HEAD = 100  # ids of a need's ranking read at once: its first five pages


@dataclass
class GuideStats:
    """A guild's published directory in brief: figures, zones and the places in name
    order. Built in one read and cached briefly by the web side, so browsing 20,000 places
    costs a slice of a list, not a sort in the database."""

    place_count: int
    data_date: date | None  # newest `date_maj` or verification: "données du …"
    last_modified: datetime | None  # newest change of any row (HTTP Last-Modified)
    zones: list[Zone] = field(default_factory=list)
    places: list[IndexedPlace] = field(default_factory=list)  # by folded name

    def __post_init__(self) -> None:
        self._by_key = {zone.key: zone for zone in self.zones}
        by_label: dict[str, list[Zone]] = {}
        for zone in self.zones:
            by_label.setdefault(fold(zone.label), []).append(zone)
        self._by_label = by_label
        self._selections: dict[Hashable, array[int]] = {}
        self._histograms: dict[str, Counter[int]] = {}

    def select(
        self, zone_key: str, kind_mask: int, words: tuple[str, ...], need_mask: int = 0
    ) -> Sequence[int]:
        """Ids of the places in a zone, of a kind (declaring one of ``need_mask``'s
        services), whose name has all the words, in name order; remembered, since residents
        page through the same selections."""
        key = (zone_key, kind_mask, words, need_mask)
        found = self.remembered(key)
        if found is None:
            if not (zone_key or kind_mask or words or need_mask):
                found = [place.id for place in self.places]
            else:
                in_zone = zone_predicate(zone_key)
                found = [
                    place.id
                    for place in self.places
                    if in_zone(place)
                    and (not kind_mask or place.services_mask & kind_mask)
                    and (not need_mask or place.services_mask & need_mask)
                    and all(word in place.search_key for word in words)
                ]
            found = self.remember(key, found)
        return found

    def count(self, zone_key: str, kind_mask: int, need_mask: int) -> int:
        """How many places of a zone declare a service of ``kind_mask`` and one of
        ``need_mask``: summed over the few hundred distinct service combinations, not
        over the places."""
        histogram = self._histograms.get(zone_key)
        if histogram is None:
            in_zone = zone_predicate(zone_key)
            histogram = Counter(place.services_mask for place in self.places if in_zone(place))
            if len(self._histograms) >= MAX_REMEMBERED_SELECTIONS:
                self._histograms.pop(next(iter(self._histograms)))
            self._histograms[zone_key] = histogram
        return sum(
            number
            for mask, number in histogram.items()
            if (not kind_mask or mask & kind_mask) and (not need_mask or mask & need_mask)
        )

    def remembered(self, key: Hashable) -> Sequence[int] | None:
        """A selection or ranking computed earlier on these same figures (they are
        replaced, memory included, when the directory changes)."""
        return self._selections.get(key)

    def remember(self, key: Hashable, ids: Sequence[int]) -> Sequence[int]:
        if len(self._selections) >= MAX_REMEMBERED_SELECTIONS:
            self._selections.pop(next(iter(self._selections)))
        # 8 bytes an id: 128 rankings of 20,000 places stay under 21 MB.
        stored = array("q", ids)
        self._selections[key] = stored
        return stored

    @property
    def version(self) -> str:
        stamp = self.last_modified.isoformat() if self.last_modified else "-"
        return f"{self.place_count}:{stamp}"

    @property
    def zones_fit_in_a_list(self) -> bool:
        return len(self.zones) <= MAX_ZONES_IN_LIST

    def zone(self, key: str | None) -> Zone | None:
        return self._by_key.get(key) if key else None

    def resolve_zone(self, text: str | None) -> Zone | None:
        """A zone from a key, or from a name typed by a resident ("beutre", "Mérignac",
        "Merignac centre", with a typo): communes first, then quartiers."""
        if not text:
            return None
        if text in self._by_key:
            return self._by_key[text]
        folded = fold(text)
        if not folded:
            return None
        candidates = self._by_label.get(folded)
        if candidates is None:
            from rapidfuzz import fuzz, process

            hit = process.extractOne(
                folded, list(self._by_label), scorer=fuzz.ratio, score_cutoff=85
            )
            if hit is None:
                return None
            candidates = self._by_label[hit[0]]
        communes = [zone for zone in candidates if zone.is_commune]
        if communes:
            return communes[0]
        if len(candidates) == 1:
            return candidates[0]
        # The same quartier name in several communes ("Centre"): all of them.
        quartier_key = candidates[0].key[2:].split("|", 1)[0]
        return Zone(
            f"q:{quartier_key}|",
            candidates[0].label,
            "",
            sum(zone.count for zone in candidates),
            False,
        )


def _public_filter(guild_id: int) -> list[ColumnElement[bool]]:
    """Places a resident can go to: active, and not marked "does not receive the public"."""
    return [
        Structure.guild_id == guild_id,
        Structure.archived_at.is_(None),
        Structure.acces_mask.op("&")(BIT_NO_PUBLIC) == 0,
    ]


async def guide_stats(session: AsyncSession, guild_id: int) -> GuideStats:
    # Core statements on the connection: this reads every public row, and the ORM's
    # per-row bookkeeping would double the time at 20,000 places.
    connection = await session.connection()
    public = _public_filter(guild_id)
    rows = (
        await connection.execute(
            select(
                Structure.id,
                Structure.search_key,
                Structure.quartier,
                Structure.quartier_key,
                Structure.commune,
                Structure.commune_key,
                Structure.services_mask,
            ).where(*public)
        )
    ).all()
    newest_date, newest_check = (
        await connection.execute(
            select(func.max(Structure.date_maj), func.max(Structure.verified_at)).where(*public)
        )
    ).one()
    # Any change, archiving included, moves this: the version of the exports.
    last_modified = (
        await connection.execute(
            select(func.max(Structure.updated_at)).where(Structure.guild_id == guild_id)
        )
    ).scalar()
    if isinstance(last_modified, datetime) and last_modified.tzinfo is None:
        last_modified = last_modified.replace(tzinfo=UTC)
    newest = _as_date(newest_date) if newest_date is not None else None
    if newest_check is not None:
        checked = _as_date(newest_check)
        newest = max(newest, checked) if newest else checked
    # Tens of milliseconds of pure Python at 20,000 places: off the event loop.
    return await asyncio.to_thread(build_stats, rows, newest, last_modified)


def build_stats(
    rows: Sequence[Any], newest: date | None, last_modified: datetime | None
) -> GuideStats:
    communes: dict[str, list[Any]] = {}  # key -> [label, count, {quartier key: [label, n]}]
    places: list[IndexedPlace] = []
    for place_id, search_key, quartier, quartier_key, commune, commune_key, mask in rows:
        places.append(IndexedPlace(place_id, search_key, quartier_key, commune_key, mask))
        entry = communes.get(commune_key)
        if entry is None:
            entry = communes[commune_key] = [commune, 0, {}]
        entry[1] += 1
        if quartier_key:
            counted = entry[2].get(quartier_key)
            if counted is None:
                entry[2][quartier_key] = [quartier, 1]
            else:
                counted[1] += 1
    zones: list[Zone] = []
    for commune_key, (label, count, quartiers) in sorted(
        communes.items(), key=lambda kv: fold(kv[1][0])
    ):
        zones.append(Zone(f"c:{commune_key}", label, label, count, True))
        for quartier_key, (quartier, quartier_count) in sorted(
            quartiers.items(), key=lambda kv: fold(kv[1][0])
        ):
            zones.append(
                Zone(f"q:{quartier_key}|{commune_key}", quartier, label, quartier_count, False)
            )
    places.sort(key=lambda place: (place.search_key, place.id))
    return GuideStats(len(places), newest, last_modified, zones, places)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(PARIS).date()
    if isinstance(value, str):  # SQLite hands aggregates of dates back as text
        return date.fromisoformat(value[:10])
    return value


def zone_conditions(zone_key: str | None) -> list[ColumnElement[bool]]:
    if not zone_key:
        return []
    if zone_key.startswith("c:"):
        return [Structure.commune_key == zone_key[2:]]
    if zone_key.startswith("q:") and "|" in zone_key:
        quartier_key, commune_key = zone_key[2:].split("|", 1)
        conditions = [Structure.quartier_key == quartier_key]
        if commune_key:
            conditions.append(Structure.commune_key == commune_key)
        return conditions
    return []


def zone_predicate(zone_key: str | None) -> Any:
    """The same test as ``zone_conditions``, on an IndexedPlace."""
    if not zone_key:
        return lambda place: True
    if zone_key.startswith("c:"):
        commune = zone_key[2:]
        return lambda place: place.commune_key == commune
    quartier, _, commune = zone_key[2:].partition("|")
    if commune:
        return lambda place: place.quartier_key == quartier and place.commune_key == commune
    return lambda place: place.quartier_key == quartier


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class GuideQuery:
    text: str = ""  # a need in plain French, or part of a place's name
    kind: str = ""  # a KindOfHelp key
    zone: str = ""  # a Zone key
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> GuideQuery:
        """From URL parameters, forgiving: unknown values are dropped, numbers clamped."""
        text = " ".join(str(params.get("besoin", "")).split())[:MAX_QUERY_LENGTH]
        kind = str(params.get("aide", ""))
        if kind not in KINDS_BY_KEY:
            kind = ""
        zone = " ".join(str(params.get("zone", "")).split())[:450]
        try:
            page = int(str(params.get("page", "1")))
        except ValueError:
            page = 1
        return cls(text=text, kind=kind, zone=zone, page=max(1, min(page, 100_000)))


@dataclass
class ListingItem:
    external_id: str
    name: str
    address: str
    commune: str
    quartier: str | None
    summary: str
    kinds: list[str]
    services: list[str]
    matched_services: list[str]
    open_now: bool
    hours_known: bool
    status: str
    free: bool
    paid: bool
    walk_in: bool
    appointment: bool
    telephone: str | None


@dataclass
class ListingPage:
    query: GuideQuery
    items: list[ListingItem]
    total: int
    page: int
    page_count: int
    understood: bool  # the text was understood as a need (else: searched in names)
    needs: list[str] = field(default_factory=list)  # what was understood, for the heading
    suggestions: list[str] = field(default_factory=list)  # needs to try when nothing matched
    zone: Zone | None = None
    unknown_zone: bool = False
    page_size: int = PAGE_SIZE

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


_LISTING_COLUMNS = (
    Structure.external_id,
    Structure.nom,
    Structure.adresse,
    Structure.complement_adresse,
    Structure.code_postal,
    Structure.commune,
    Structure.quartier,
    Structure.presentation_resume,
    Structure.horaires,
    Structure.telephone,
    Structure.prise_rdv,
    Structure.services_mask,
    Structure.frais_mask,
    Structure.acces_mask,
)


def status_text(expression: str | None, now: datetime) -> tuple[bool, bool, str]:
    """(known, open now, French sentence without the coloured emoji: the page shows the
    state in words and with a badge, so screen readers do not read "green circle")."""
    status = opening_status(expression, now)
    text = describe_status(status, now, "fr")
    for prefix in ("🟢 ", "🔴 "):
        text = text.removeprefix(prefix)
    if status.open_now and text.startswith("Ouvert"):
        text = "Ouvert maintenant" + text[len("Ouvert") :]
    return status.known, status.open_now, text


def _item(row: Any, now: datetime, wanted_mask: int) -> ListingItem:
    known, open_now, text = status_text(row.horaires, now)
    services_mask = row.services_mask
    address = ", ".join(
        part for part in (row.adresse, row.complement_adresse) if part and part.strip()
    )
    summary = (row.presentation_resume or "").strip()
    if len(summary) > 220:
        summary = summary[:217].rsplit(" ", 1)[0] + "…"
    frais_mask = row.frais_mask
    return ListingItem(
        external_id=row.external_id,
        name=row.nom,
        address=address,
        commune=f"{row.code_postal} {row.commune}".strip(),
        quartier=row.quartier,
        summary=summary,
        kinds=[kind.label for kind in kinds_of(services_mask)],
        services=[s for i, s in enumerate(SERVICES) if services_mask >> i & 1],
        matched_services=[
            s for i, s in enumerate(SERVICES) if (services_mask & wanted_mask) >> i & 1
        ],
        open_now=open_now,
        hours_known=known,
        status=text,
        free=bool(frais_mask & BITS_FREE),
        paid=bool(frais_mask & (1 << FRAIS.index("Payant"))),
        walk_in=bool(row.acces_mask & BIT_WALK_IN),
        appointment=bool(row.acces_mask & BITS_APPOINTMENT) or bool(row.prise_rdv),
        telephone=row.telephone,
    )


async def listing(
    session: AsyncSession,
    guild_id: int,
    query: GuideQuery,
    now: datetime,
    table: SynonymTable,
    stats: GuideStats,
    page_size: int = PAGE_SIZE,
) -> ListingPage:
    """One page of places for a search. A need in plain French goes through the
    directory's matching and ranking, the very ones of `/orienter` ("dossier caf" finds
    places declaring administrative help, and never one that does not); other words search
    names; no words lists every place by name. Kind of help and zone narrow the list."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    zone = stats.resolve_zone(query.zone)
    kind_mask = KINDS_BY_KEY[query.kind].mask if query.kind else 0
    needs: list[str] = []
    suggestions: list[str] = []
    wanted_mask = kind_mask
    match = table.match(query.text) if query.text else None
    if match is not None and match.understood:
        wanted_mask |= match.wanted_mask
        needs = [m.need.label for m in match.matches]
        zone_key = zone.key if zone else ""
        memo_key = (
            "need",
            tuple((m.need.key, m.score) for m in match.matches),
            zone_key,
            kind_mask,
        )
        # The candidate query keeps the public places declaring a wanted service: counted
        # from memory (a test checks that it agrees with the database).
        total = stats.count(zone_key, kind_mask, match.wanted_mask)
        page_count = max(1, math.ceil(total / page_size))
        page = min(query.page, page_count)
        needed = min(total, page * page_size)
        ranked_ids = stats.remembered(memo_key)
        if ranked_ids is None or len(ranked_ids) < needed:
            ranked = candidate_query(guild_id, match, OrientationQuery(text=query.text), None)
            ranked = ranked.where(*zone_conditions(zone_key))
            if kind_mask:
                ranked = ranked.where(Structure.services_mask.op("&")(kind_mask) != 0)
            # The head of the ranking (ids only, from the directory's covering index): the
            # next pages, and the next residents asking the same, read it from memory.
            head = max(needed, RANKING_HEAD)
            ranked_ids = stats.remember(memo_key, (await session.scalars(ranked.limit(head))).all())
        ids = ranked_ids[(page - 1) * page_size : page * page_size]
    else:
        # Browsing, or words that are no need we know: perhaps a place's name
        # ("médiathèque", "PIMMS"). Filtered in memory, in name order.
        words = tuple(fold(query.text).split()) if match is not None else ()
        selected = stats.select(zone.key if zone else "", kind_mask, words)
        if words:
            suggestions = [need.label for need in table.closest_needs(query.text)]
        total = len(selected)
        page_count = max(1, math.ceil(total / page_size))
        page = min(query.page, page_count)
        ids = selected[(page - 1) * page_size : page * page_size]
    rows = {}
    if ids:  # the wide rows, for this page only
        result = await session.execute(
            select(Structure.id, *_LISTING_COLUMNS).where(Structure.id.in_(list(ids)))
        )
        rows = {row.id: row for row in result}
    return ListingPage(
        query=query,
        items=[_item(rows[i], now, wanted_mask) for i in ids if i in rows],
        total=total,
        page=page,
        page_count=page_count,
        understood=bool(match is not None and match.understood),
        needs=needs,
        suggestions=suggestions if not total else [],
        zone=zone,
        unknown_zone=bool(query.zone) and zone is None,
        page_size=page_size,
    )


# --------------------------------------------------------------------------- one place


@dataclass
class PublicPlace:
    """A place as published: the standard's public fields and our neighbourhood only."""

    external_id: str
    name: str
    types: list[str]
    summary: str
    detail: str
    address: str
    address_extra: str
    code_postal: str
    commune: str
    quartier: str | None
    latitude: float | None
    longitude: float | None
    telephone: str | None
    emails: list[str]
    websites: list[str]
    booking_url: str | None
    accessibility_url: str | None
    hours_expression: str | None
    week: list[tuple[str, str]]
    open_now: bool
    hours_known: bool
    status: str
    services: list[str]
    kinds: list[str]
    publics: list[str]
    specific_support: list[str]
    fees: list[str]
    access: list[str]
    support_modes: list[str]
    programmes: list[str]
    labels: list[str]
    mobility: list[str]
    updated_on: date | None
    free: bool
    walk_in: bool
    appointment: bool
    services_mask: int = 0

    @property
    def osm_url(self) -> str:
        from urllib.parse import quote

        if self.latitude is not None and self.longitude is not None:
            lat, lon = f"{self.latitude:.6f}", f"{self.longitude:.6f}"
            return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
        text = f"{self.address}, {self.code_postal} {self.commune}"
        return "https://www.openstreetmap.org/search?query=" + quote(text)

    @property
    def fees_text(self) -> str:
        return fees_text(self.fees)

    @property
    def phone_display(self) -> str | None:
        """+33556000101 → 05 56 00 01 01 (how residents read and dial it)."""
        if not self.telephone:
            return None
        digits = self.telephone
        if digits.startswith("+33") and len(digits) == 12 and digits[3:].isdigit():
            local = "0" + digits[3:]
            return " ".join(local[i : i + 2] for i in range(0, 10, 2))
        return digits


# The only attributes read from a Structure for publication. Referents, internal notes,
# Discord ids and verification authors are deliberately absent.
PUBLIC_FIELDS = (
    "external_id",
    "nom",
    "typologie",
    "presentation_resume",
    "presentation_detail",
    "adresse",
    "complement_adresse",
    "code_postal",
    "commune",
    "quartier",
    "latitude",
    "longitude",
    "telephone",
    "courriels",
    "site_web",
    "prise_rdv",
    "fiche_acces_libre",
    "horaires",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "modalites_acces",
    "modalites_accompagnement",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "itinerance",
    "date_maj",
    "verified_at",
    "services_mask",
    "acces_mask",
    "frais_mask",
)


# The standard's access and support values, in words a resident understands.
ACCESS_WORDING = {
    "Se présenter": "Sans rendez-vous : présentez-vous aux heures d'ouverture",
    "Téléphoner": "Sur rendez-vous, en téléphonant",
    "Contacter par mail": "Prise de contact par courriel",
    "Prendre un RDV en ligne": "Rendez-vous en ligne",
    "Envoyer un mail avec une fiche de prescription": (
        "Sur orientation d'un professionnel (fiche de prescription)"
    ),
}
SUPPORT_WORDING = {
    "En autonomie": "En autonomie, sur les postes en libre-service",
    "Accompagnement individuel": "Accompagnement individuel",
    "Dans un atelier collectif": "En atelier collectif",
    "À distance": "À distance (téléphone ou visio)",
}


def _type_labels(codes: Sequence[str]) -> list[str]:
    known = typologie_codes()
    return [known.get(code, code) for code in codes]


def public_place(values: dict[str, Any], now: datetime) -> PublicPlace:
    """``values``: PUBLIC_FIELDS -> value (a row of ``place_query``)."""
    known, open_now, text = status_text(values["horaires"], now)
    updated = values["date_maj"]
    if values["verified_at"] is not None:
        verified = _as_date(values["verified_at"])
        updated = max(updated, verified) if updated else verified
    services = list(values["services"] or [])
    services_mask = values["services_mask"]
    return PublicPlace(
        external_id=values["external_id"],
        name=values["nom"],
        types=_type_labels(values["typologie"] or []),
        summary=(values["presentation_resume"] or "").strip(),
        detail=(values["presentation_detail"] or "").strip(),
        address=values["adresse"],
        address_extra=(values["complement_adresse"] or "").strip(),
        code_postal=values["code_postal"],
        commune=values["commune"],
        quartier=values["quartier"],
        latitude=values["latitude"],
        longitude=values["longitude"],
        telephone=values["telephone"],
        emails=list(values["courriels"] or []),
        websites=list(values["site_web"] or []),
        booking_url=values["prise_rdv"],
        accessibility_url=values["fiche_acces_libre"],
        hours_expression=values["horaires"],
        week=weekly_table(values["horaires"], "fr"),
        open_now=open_now,
        hours_known=known,
        status=text,
        services=services,
        kinds=[kind.label for kind in kinds_of(services_mask)],
        publics=list(values["publics_specifiquement_adresses"] or []),
        specific_support=list(values["prise_en_charge_specifique"] or []),
        fees=list(values["frais_a_charge"] or []),
        access=[
            ACCESS_WORDING.get(mode, mode)
            for mode in values["modalites_acces"] or []
            if mode != "Ce lieu n'accueille pas de public"
        ],
        support_modes=[
            SUPPORT_WORDING.get(mode, mode) for mode in values["modalites_accompagnement"] or []
        ],
        programmes=list(values["dispositif_programmes_nationaux"] or []),
        labels=list(values["formations_labels"] or [])
        + list(values["autres_formations_labels"] or []),
        mobility=list(values["itinerance"] or []),
        updated_on=_as_date(updated) if updated else None,
        free=bool(values["frais_mask"] & BITS_FREE),
        walk_in=bool(values["acces_mask"] & BIT_WALK_IN),
        appointment=bool(values["acces_mask"] & BITS_APPOINTMENT) or bool(values["prise_rdv"]),
        services_mask=services_mask,
    )


def _public_columns() -> list[Any]:
    return [getattr(Structure, name) for name in PUBLIC_FIELDS]


async def find_place(
    session: AsyncSession, guild_id: int, external_id: str, now: datetime
) -> PublicPlace | None:
    row = (
        await session.execute(
            select(*_public_columns()).where(
                *_public_filter(guild_id), Structure.external_id == external_id
            )
        )
    ).first()
    if row is None:
        return None
    return public_place(dict(zip(PUBLIC_FIELDS, row, strict=True)), now)


async def all_places(
    session: AsyncSession,
    guild_id: int,
    now: datetime,
    zone_key: str | None = None,
    limit: int | None = None,
) -> list[PublicPlace]:
    """Every public place of the guide (or of one zone), by name: the printable edition."""
    statement = (
        select(*_public_columns())
        .where(*_public_filter(guild_id), *zone_conditions(zone_key))
        .order_by(Structure.search_key, Structure.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = (await session.execute(statement)).all()
    return [public_place(dict(zip(PUBLIC_FIELDS, row, strict=True)), now) for row in rows]


async def count_places(session: AsyncSession, guild_id: int, zone_key: str | None = None) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Structure)
        .where(*_public_filter(guild_id), *zone_conditions(zone_key))
    )
    return int(total or 0)


def fees_text(fees: Sequence[str]) -> str:
    """The standard's cost values as one phrase: "Gratuit ou payant selon le service"."""
    free = "Gratuit" in fees
    conditional = "Gratuit sous condition" in fees
    paid = "Payant" in fees
    if paid and (free or conditional):
        return "Gratuit ou payant selon le service"
    if free and conditional:
        return "Gratuit (sous condition pour certains services)"
    return ", ".join(fees)


def compact_week(week: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Consecutive days with the same hours merged: ("lundi – vendredi", "9:00–12:00")."""
    groups: list[tuple[str, str, str]] = []  # first day, last day, hours
    for day, hours in week:
        if groups and groups[-1][2] == hours:
            first, _last, same = groups[-1]
            groups[-1] = (first, day, same)
        else:
            groups.append((day, day, hours))
    return [
        (first if first == last else f"{first} – {last}", hours) for first, last, hours in groups
    ]
