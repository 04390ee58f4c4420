"""What the guide lists and shows, on both engines: searches, filters, pagination, the
public fields of a place, and that private fields never come out."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from cogs.guide.catalog import (
    KINDS,
    KINDS_BY_KEY,
    PUBLIC_FIELDS,
    GuideQuery,
    all_places,
    build_stats,
    compact_week,
    count_places,
    find_place,
    guide_stats,
    listing,
    status_text,
    zone_conditions,
)
from db.directory.matching import default_table
from db.directory.search import OrientationQuery, candidate_query
from db.engine import Database
from db.models.structures import SERVICES, Structure

from .conftest import GUILD_ID, NOW, OTHER_GUILD_ID, SECRET_NOTE, SECRET_REFERENT_NAME

ADMIN = "Aide aux démarches administratives"
ACCESS = "Accès internet et matériel informatique"


async def _listing(db: Database, **kwargs) -> object:  # type: ignore[no-untyped-def]
    page_size = kwargs.pop("page_size", 20)
    async with db.session() as session:
        stats = await guide_stats(session, GUILD_ID)
        return await listing(
            session,
            GUILD_ID,
            GuideQuery(**kwargs),
            NOW,
            default_table(),
            stats,
            page_size=page_size,
        )


def test_every_service_of_the_standard_is_in_exactly_one_kind() -> None:
    for service in SERVICES:
        assert sum(service in kind.services for kind in KINDS) == 1, service


async def test_stats_count_only_public_places_and_list_zones(published: Database) -> None:
    async with published.session() as session:
        stats = await guide_stats(session, GUILD_ID)
        other = await guide_stats(session, OTHER_GUILD_ID)
    # 12 sample places; the archived one and the one without public reception are left out.
    assert stats.place_count == 12
    assert other.place_count == 0 and other.zones == []
    keys = {zone.key: zone for zone in stats.zones}
    assert keys["c:merignac"].count == 12 and keys["c:merignac"].is_commune
    assert keys["q:beutre|merignac"].label == "Beutre"
    assert keys["q:beutre|merignac"].count == 1
    assert str(stats.data_date) == "2026-11-16"  # newest date_maj of the sample
    assert stats.last_modified is not None and stats.last_modified.tzinfo is not None


async def test_browse_is_paginated_by_name(published: Database) -> None:
    first = await _listing(published, page_size=5)
    assert first.total == 12 and first.page_count == 3
    assert [i.name for i in first.items][:3] == [
        "CCAS de Mérignac – Espace France Services",
        "Centre social du Burck",
        "Connexions Solidaires Mérignac",
    ]
    assert (first.first_index, first.last_index) == (1, 5)
    third = await _listing(published, page=3, page_size=5)
    assert len(third.items) == 2 and (third.first_index, third.last_index) == (11, 12)
    beyond = await _listing(published, page=99, page_size=5)
    assert beyond.page == 3, "a page past the end shows the last page"
    names = [
        i.name
        for p in (first, await _listing(published, page=2, page_size=5), third)
        for i in p.items
    ]
    assert len(set(names)) == 12, "pages neither overlap nor skip"
    assert "Ancien Point Numérique Archivé" not in names
    assert "Plateforme Téléphonique Sans Accueil" not in names


async def test_need_in_plain_french_only_lists_places_declaring_the_service(
    published: Database,
) -> None:
    page = await _listing(published, text="dossier caf de ma mère")
    assert page.understood and page.total > 0
    assert any("démarches" in need.lower() or "caf" in need.lower() for need in page.needs)
    async with published.session() as session:
        declaring = {
            s.external_id
            for s in (await session.scalars(select(Structure))).all()
            if ADMIN in s.services and s.archived_at is None and s.external_id != "back-office"
        }
    listed = {item.external_id for item in page.items}
    assert listed <= declaring, "never a place that does not declare the service"
    assert ADMIN in page.items[0].matched_services


async def test_need_with_typos_and_slang(published: Database) -> None:
    page = await _listing(published, text="pas d'ordi a la maison")
    assert page.understood
    assert all(ACCESS in item.services or item.matched_services for item in page.items)
    assert any(i.external_id == "merignac-mediatheque-michel-serres" for i in page.items)
    job = await _listing(published, text="pole emploie CV")
    assert job.understood
    assert job.items[0].external_id in {"merignac-france-travail", "merignac-mission-locale"}


async def test_unknown_words_search_names_then_suggest(published: Database) -> None:
    by_name = await _listing(published, text="PIMMS")
    assert not by_name.understood
    assert [i.external_id for i in by_name.items] == ["merignac-pimms"]
    nothing = await _listing(published, text="zorglub")
    assert nothing.total == 0 and nothing.items == []


async def test_kind_and_zone_filters(published: Database) -> None:
    jobs = await _listing(published, kind="emploi")
    assert jobs.total == 2
    assert all(KINDS_BY_KEY["emploi"].services[0] in i.services for i in jobs.items)
    beutre = await _listing(published, zone="q:beutre|merignac")
    assert [i.external_id for i in beutre.items] == ["merignac-mdh-beutre"]
    both = await _listing(published, text="démarches", zone="q:arlac|merignac")
    assert both.total == 0, "Arlac's house does not declare administrative help"
    unknown = await _listing(published, zone="q:atlantide|nulle-part")
    assert unknown.unknown_zone and unknown.total == 12


async def test_listing_shows_hours_and_conditions(published: Database) -> None:
    page = await _listing(published, text="PIMMS")
    item = page.items[0]
    assert item.open_now and item.status.startswith("Ouvert maintenant")
    assert item.free and item.walk_in
    mds = (await _listing(published, text="Départementale")).items[0]
    assert mds.appointment and not mds.walk_in


async def test_place_has_public_fields_and_no_private_ones(published: Database) -> None:
    async with published.session() as session:
        place = await find_place(session, GUILD_ID, "merignac-ccas", NOW)
        archived = await find_place(session, GUILD_ID, "ferme-archive", NOW)
        back_office = await find_place(session, GUILD_ID, "back-office", NOW)
        elsewhere = await find_place(session, OTHER_GUILD_ID, "merignac-ccas", NOW)
    assert archived is None and back_office is None and elsewhere is None
    assert place is not None
    assert place.name.startswith("CCAS de Mérignac")
    assert place.quartier == "Centre" and place.code_postal == "33700"
    assert place.open_now and place.status == "Ouvert maintenant, jusqu'à 12:30"
    assert place.week[0] == ("lundi", "8:30–12:30, 13:30–17:00")
    assert place.week[6] == ("dimanche", "fermé")
    assert place.phone_display == "05 56 00 01 01"
    assert place.osm_url.startswith("https://www.openstreetmap.org/?mlat=44.841520&mlon=-0.644780")
    assert "Handicaps moteurs" in place.specific_support
    assert place.fees == ["Gratuit"] and place.appointment and not place.walk_in
    assert "Réseau France Services" in place.types
    assert str(place.updated_on) == "2026-10-14"
    dumped = repr(dataclasses.asdict(place))
    assert SECRET_NOTE not in dumped and SECRET_REFERENT_NAME not in dumped
    for private in ("internal_notes", "verified_by", "discord_role_id", "referents"):
        assert private not in PUBLIC_FIELDS


async def test_closed_place_says_when_it_opens(published: Database) -> None:
    sunday = NOW + timedelta(days=5)
    async with published.session() as session:
        place = await find_place(session, GUILD_ID, "merignac-ccas", sunday)
    assert not place.open_now and place.status == "Fermé, ouvre demain à 8:30"


def test_status_text_on_a_public_holiday_and_without_hours() -> None:
    armistice = NOW.replace(month=11, day=11)  # a Wednesday, public holiday
    known, open_now, text = status_text("Mo-Fr 09:00-17:00", armistice)
    assert known and not open_now and text.startswith("Fermé (Armistice")
    assert status_text(None, NOW) == (False, False, "Horaires non renseignés")


async def test_printable_selection_and_counts(published: Database) -> None:
    async with published.session() as session:
        everything = await all_places(session, GUILD_ID, NOW)
        beutre = await all_places(session, GUILD_ID, NOW, "q:beutre|merignac")
        assert await count_places(session, GUILD_ID) == 12
        assert await count_places(session, GUILD_ID, "q:beutre|merignac") == 1
    assert len(everything) == 12 and [p.external_id for p in beutre] == ["merignac-mdh-beutre"]


def test_compact_week_merges_equal_days() -> None:
    week = [
        ("lundi", "9:00–12:00"),
        ("mardi", "9:00–12:00"),
        ("mercredi", "fermé"),
        ("jeudi", "9:00–12:00"),
        ("vendredi", "9:00–12:00"),
        ("samedi", "fermé"),
        ("dimanche", "fermé"),
    ]
    assert compact_week(week) == [
        ("lundi – mardi", "9:00–12:00"),
        ("mercredi", "fermé"),
        ("jeudi – vendredi", "9:00–12:00"),
        ("samedi – dimanche", "fermé"),
    ]


def test_query_from_url_parameters_is_forgiving() -> None:
    query = GuideQuery.from_params(
        {"besoin": "  caf   beutre ", "aide": "n'importe", "page": "-3", "zone": "c:merignac"}
    )
    assert query == GuideQuery(text="caf beutre", kind="", zone="c:merignac", page=1)
    assert GuideQuery.from_params({"page": "abc"}).page == 1
    assert len(GuideQuery.from_params({"besoin": "x" * 5000}).text) == 200


@pytest.mark.parametrize(
    ("text", "kind", "zone"),
    [
        ("dossier caf", "", ""),
        ("pas d'ordinateur", "apprendre", ""),
        ("CV", "", "c:merignac"),
        ("pronote", "", "q:beutre|merignac"),
    ],
)
async def test_need_counts_agree_with_the_directory_query(
    published: Database, text: str, kind: str, zone: str
) -> None:
    """Need searches are counted from memory: the count must be the number of rows the
    directory's own candidate query returns, whatever it filters on."""
    table = default_table()
    match = table.match(text)
    async with published.session() as session:
        stats = await guide_stats(session, GUILD_ID)
        statement = candidate_query(GUILD_ID, match, OrientationQuery(text=text), None)
        statement = statement.where(*zone_conditions(zone))
        if kind:
            statement = statement.where(
                Structure.services_mask.op("&")(KINDS_BY_KEY[kind].mask) != 0
            )
        in_database = len((await session.scalars(statement)).all())
        page = await listing(
            session, GUILD_ID, GuideQuery(text=text, kind=kind, zone=zone), NOW, table, stats
        )
    assert page.understood and page.total == in_database
    assert {i.external_id for i in page.items} and len(page.items) == min(in_database, 20)


async def test_zones_typed_by_residents(published: Database) -> None:
    async with published.session() as session:
        stats = await guide_stats(session, GUILD_ID)
    assert stats.zones_fit_in_a_list
    assert stats.resolve_zone("q:beutre|merignac").label == "Beutre"
    assert stats.resolve_zone("  BEUTRE ").key == "q:beutre|merignac"
    assert stats.resolve_zone("Mérignac").key == "c:merignac"
    assert stats.resolve_zone("Beautre").key == "q:beutre|merignac"  # a typo
    assert stats.resolve_zone("Atlantide") is None and stats.resolve_zone("") is None
    page = await _listing(published, zone="arlac")
    assert [i.external_id for i in page.items] == ["merignac-mdh-arlac"]
    assert page.zone.full_label == "Arlac (Mérignac)" and not page.unknown_zone


def test_many_zones_and_a_quartier_name_shared_by_communes() -> None:
    rows = [
        (i, f"lieu {i}", "Centre", "centre", f"Commune {i}", f"commune {i}", 1) for i in range(100)
    ]
    stats = build_stats(rows, None, None)
    assert len(stats.zones) == 200 and not stats.zones_fit_in_a_list
    centre = stats.resolve_zone("centre")
    assert centre.key == "q:centre|" and centre.count == 100
    assert len(stats.select(centre.key, 0, ())) == 100
    assert list(stats.select("c:commune 7", 0, ())) == [7]
    assert list(stats.select("", 0, ("lieu", "42"))) == [42]


async def test_need_pages_follow_the_directory_ranking(
    published: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of a need search, read from a remembered head of the ranking that grows as
    residents page further, are the directory's own order, without gap or repeat."""
    import cogs.guide.catalog as catalog

    monkeypatch.setattr(catalog, "RANKING_HEAD", 2)
    table = default_table()
    text = "apprendre l'informatique"
    async with published.session() as session:
        stats = await guide_stats(session, GUILD_ID)
        expected = list(
            (
                await session.scalars(
                    candidate_query(GUILD_ID, table.match(text), OrientationQuery(text=text), None)
                )
            ).all()
        )
        seen: list[str] = []
        first = await listing(
            session, GUILD_ID, GuideQuery(text=text), NOW, table, stats, page_size=3
        )
        for number in range(1, first.page_count + 1):
            page = await listing(
                session, GUILD_ID, GuideQuery(text=text, page=number), NOW, table, stats, 3
            )
            seen += [item.external_id for item in page.items]
        ids = dict((await session.execute(select(Structure.external_id, Structure.id))).all())
    assert len(expected) >= 6 and first.total == len(expected)
    assert [ids[external_id] for external_id in seen] == expected
