"""The guide's web side over HTTP (aiohttp test client), on both engines: pages, 404s,
open data with licence and Last-Modified, the PDF, and no private field anywhere."""

from __future__ import annotations

import csv
import html as html_module
import io
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pypdf import PdfReader
from sqlalchemy import select

from cogs.guide.publication import withdraw
from cogs.guide.site import GuideSite, page_numbers
from db.directory.standard import field_names, parse_standard_file
from db.engine import Database
from db.models.structures import Structure

from .conftest import (
    GUILD_ID,
    NOW,
    REFERENT_USER_ID,
    SECRET_NOTE,
    SECRET_REFERENT_NAME,
    SLUG,
    publish_guide,
)

BASE = f"/guide/{SLUG}/"


def assert_no_private_data(text: str) -> None:
    assert SECRET_NOTE not in text
    assert SECRET_REFERENT_NAME not in text
    assert str(REFERENT_USER_ID) not in text
    assert str(GUILD_ID) not in text
    assert "Ancien Point Numérique Archivé" not in text


async def read(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text with HTML entities decoded (Jinja escapes apostrophes)."""
    return html_module.unescape(await response.text())


def make_site(db: Database, **kwargs) -> GuideSite:  # type: ignore[no-untyped-def]
    return GuideSite(
        db,
        now=lambda: NOW,
        url=lambda path: "https://guide.exemple.fr" + path,
        stats_ttl=0,
        publication_ttl=0,
        **kwargs,
    )


@asynccontextmanager
async def serve(db: Database, **kwargs) -> AsyncIterator[TestClient]:  # type: ignore[no-untyped-def]
    app = web.Application()
    make_site(db, **kwargs).register(app.router)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def client(published: Database) -> AsyncIterator[TestClient]:
    """The guide on the shared, read-only database."""
    async with serve(published) as test_client:
        yield test_client


@pytest.fixture
async def own_client(seeded: Database) -> AsyncIterator[TestClient]:
    """The guide on a database of its own, for tests that change data."""
    await publish_guide(seeded)
    async with serve(seeded) as test_client:
        yield test_client


def test_page_numbers() -> None:
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_numbers(20, 20) == [1, None, 18, 19, 20]


async def test_home_lists_places_with_accessible_structure(client: TestClient) -> None:
    response = await client.get(BASE)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Content-Language"] == "fr"
    html = await response.text()
    assert '<html lang="fr">' in html
    assert 'href="#contenu"' in html and '<main id="contenu"' in html
    assert "<header" in html and "<footer" in html and 'role="search"' in html
    assert '<label for="besoin">' in html and '<label for="zone">' in html
    assert "12 lieux" in html
    assert "Maison des Habitants de Beutre" in html
    assert "Ouvert maintenant" in html
    assert "données du 16 novembre 2026" in html
    assert_no_private_data(html)


async def test_search_by_need_and_zone(client: TestClient) -> None:
    response = await client.get(BASE, params={"besoin": "dossier caf", "zone": "c:merignac"})
    html = await response.text()
    assert "correspond à" in html
    assert "Aide aux démarches administratives" in html
    assert "Médiathèque Michel Serres" not in html, "the library does not declare that help"
    beutre = await (
        await client.get(BASE, params={"besoin": "caf", "zone": "q:beutre|merignac"})
    ).text()
    assert "1 lieu" in beutre and "Maison des Habitants de Beutre" in beutre
    nothing = await read(await client.get(BASE, params={"besoin": "zorglub"}))
    assert "Aucun lieu trouvé" in nothing and "Nous n'avons pas compris" in nothing


async def test_user_input_is_escaped(client: TestClient) -> None:
    response = await client.get(BASE, params={"besoin": '<script>alert("x")</script> caf'})
    html = await response.text()
    assert response.status == 200
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "script-src" not in response.headers["Content-Security-Policy"]


async def test_pagination_links(client: TestClient, published: Database) -> None:
    html = await (await client.get(BASE)).text()
    assert 'aria-label="Pages de résultats"' not in html, "12 places fit on one page of 20"
    async with serve(published, page_size=5) as small:
        first = await (await small.get(BASE, params={"zone": "c:merignac"})).text()
        assert 'aria-label="Pages de résultats"' in first
        assert "(de 1 à 5)" in first
        assert '<a href="/guide/merignac/?zone=c%3Amerignac&amp;page=2" rel="next">' in first
        assert 'aria-current="page" aria-label="Page 1, page actuelle"' in first
        last = await (await small.get(BASE, params={"zone": "c:merignac", "page": "3"})).text()
        assert "(de 11 à 12)" in last and 'rel="prev"' in last and 'rel="next">' not in last
        names = re.findall(r'<h3 id="lieu-\d+"><a href="[^"]+">([^<]+)</a>', first + last)
        assert len(names) == 7 and len(set(names)) == 7


async def test_place_page(client: TestClient) -> None:
    response = await client.get(BASE + "lieu/merignac-ccas")
    assert response.status == 200
    html = await response.text()
    assert "<h1" in html and "CCAS de Mérignac" in html
    assert "60 AVENUE DU MARECHAL DE LATTRE DE TASSIGNY" in html
    assert "Ouvert maintenant, jusqu&#39;à 12:30" in html
    assert '<th scope="row">Mardi <span class="today-tag">(aujourd\'hui)</span></th>' in html
    assert "Sur rendez-vous, en téléphonant" in html
    assert "https://www.openstreetmap.org/?mlat=44.841520&amp;mlon=-0.644780" in html
    assert 'href="tel:+33556000101"' in html and "05 56 00 01 01" in html
    assert "Handicaps moteurs" in html and "Gratuit" in html
    assert "Informations mises à jour le 14 octobre 2026" in html
    assert_no_private_data(html)


async def test_missing_archived_and_back_office_places_are_404(client: TestClient) -> None:
    for place in ("nexiste-pas", "ferme-archive", "back-office"):
        response = await client.get(BASE + "lieu/" + place)
        assert response.status == 404
        html = await response.text()
        assert "Lieu introuvable" in html and '<html lang="fr">' in html


async def test_unpublished_and_unknown_guides_are_french_404(
    own_client: TestClient, seeded: Database
) -> None:
    client = own_client
    unknown = await client.get("/guide/nulle-part/")
    assert unknown.status == 404 and "Ce guide n'est pas publié" in await read(unknown)
    other = await client.get("/guide/merignac/nimporte/quoi")
    assert other.status == 404 and "Page introuvable" in await other.text()
    redirect = await client.get("/guide/merignac", allow_redirects=False)
    assert redirect.status == 301 and redirect.headers["Location"] == BASE

    async with seeded.transaction() as session:
        await withdraw(session, GUILD_ID, by=1, now=NOW)
    for path in (
        "",
        "lieu/merignac-ccas",
        "guide.pdf",
        "donnees",
        "donnees/lieux-mediation-numerique.csv",
    ):
        response = await client.get(BASE + path)
        assert response.status == 404, path
        assert "Ce guide n'est pas publié" in await read(response)


async def test_open_data_csv_in_the_standard_with_licence(client: TestClient) -> None:
    response = await client.get(BASE + "donnees/lieux-mediation-numerique.csv")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "etalab-2.0" in response.headers["X-Licence"]
    assert 'rel="license"' in response.headers["Link"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Last-Modified"].endswith("GMT")
    body = await response.read()
    text = body.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0].keys()) == field_names()
    ids = {row["id"] for row in rows}
    assert "merignac-ccas" in ids and "ferme-archive" not in ids
    assert_no_private_data(text)
    assert "quartier" not in rows[0]
    # Re-importable as is: the directory's own validator accepts it.
    parsed = parse_standard_file(body, "lieux.csv")
    assert len(parsed.rows) == len(rows)

    etag = response.headers["ETag"]
    again = await client.get(
        BASE + "donnees/lieux-mediation-numerique.csv", headers={"If-None-Match": etag}
    )
    assert again.status == 304
    since = await client.get(
        BASE + "donnees/lieux-mediation-numerique.csv",
        headers={"If-Modified-Since": response.headers["Last-Modified"]},
    )
    assert since.status == 304


async def test_open_data_json_datapackage_and_data_inclusion(client: TestClient) -> None:
    records = await (await client.get(BASE + "donnees/lieux-mediation-numerique.json")).json()
    assert {r["id"] for r in records} >= {"merignac-ccas", "merignac-mdh-beutre"}
    assert_no_private_data(json.dumps(records, ensure_ascii=False))
    package = await (await client.get(BASE + "donnees/datapackage.json")).json()
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert package["count"] == 12 and package["dataDate"] == "2026-11-16"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", package["lastModified"])
    paths = {r["name"]: r["path"] for r in package["resources"]}
    assert paths["csv"] == f"https://guide.exemple.fr{BASE}donnees/lieux-mediation-numerique.csv"
    assert package["resources"][0]["schema"].endswith("schema.json")
    di = await (await client.get(BASE + "donnees/data-inclusion.json")).json()
    assert di["structures"] and di["services"]
    page = await (await client.get(BASE + "donnees")).text()
    assert "Licence Ouverte 2.0" in page and "lieux-mediation-numerique.csv" in page
    missing = await client.get(BASE + "donnees/secret.csv")
    assert missing.status == 404


async def test_open_data_follows_changes(own_client: TestClient, seeded: Database) -> None:
    client = own_client
    first = await client.get(BASE + "donnees/lieux-mediation-numerique.csv")
    etag = first.headers["ETag"]
    async with seeded.transaction() as session:
        structure = await session.scalar(
            select(Structure).where(Structure.external_id == "merignac-pimms")
        )
        structure.telephone = "+33556999999"
        structure.updated_at = NOW + timedelta(minutes=5)
    second = await client.get(BASE + "donnees/lieux-mediation-numerique.csv")
    assert second.headers["ETag"] != etag
    assert "+33556999999" in await second.text()
    later = format_datetime(NOW - timedelta(days=1), usegmt=True)
    stale = await client.get(
        BASE + "donnees/lieux-mediation-numerique.csv", headers={"If-Modified-Since": later}
    )
    assert stale.status == 200


async def test_pdf_of_the_whole_guide_and_of_one_neighbourhood(client: TestClient) -> None:
    response = await client.get(BASE + "guide.pdf")
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(await response.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Guide numérique" in text
    assert "Données à jour au 16 novembre 2026" in text
    assert "Faire ses démarches en ligne" in text and "Sommaire" in text
    assert "Maison des Habitants de Beutre" in text and "05 56 00 01 01" in text
    assert_no_private_data(text)
    assert reader.metadata.title.startswith("Guide numérique")

    beutre = await client.get(BASE + "guide.pdf", params={"zone": "q:beutre|merignac"})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await beutre.read())).pages)
    assert "Beutre (Mérignac)" in text and "1 lieu(x)" in text
    assert "Médiathèque Michel Serres" not in text
    bad = await client.get(BASE + "guide.pdf", params={"zone": "q:atlantide|x"})
    assert bad.status == 404 and "Quartier introuvable" in await bad.text()


async def test_pdf_refuses_too_many_places(published: Database) -> None:
    async with serve(published, max_pdf_places=5) as small:
        response = await small.get(BASE + "guide.pdf")
        assert response.status == 400
        assert "Trop de lieux pour un seul PDF" in await response.text()
        page = await (await small.get(BASE + "imprimer")).text()
        assert "trop pour un seul document" in page
        one = await small.get(BASE + "guide.pdf", params={"zone": "q:beutre|merignac"})
        assert one.status == 200


async def test_stylesheet_is_cached(client: TestClient) -> None:
    response = await client.get("/guide-static/guide.css")
    assert response.status == 200 and "focus-visible" in await response.text()
    again = await client.get(
        "/guide-static/guide.css", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status == 304


async def test_withdrawal_is_seen_within_the_remembered_delay(published: Database) -> None:
    """A page remembers which guide an address shows for a few seconds only."""
    site = GuideSite(published, now=lambda: NOW, url=lambda path: path, publication_ttl=60)
    app = web.Application()
    site.register(app.router)
    async with TestClient(TestServer(app)) as test_client:
        assert (await test_client.get(BASE)).status == 200
        site._publications[SLUG] = (0.0, None)  # as if remembered long ago, then withdrawn
        site.publication_ttl = 0.5
        assert (await test_client.get(BASE)).status == 200  # looked up again: published
        site._publications[SLUG] = (time.monotonic(), None)
        assert (await test_client.get(BASE)).status == 404  # remembered as unpublished
        site.forget()
        assert (await test_client.get(BASE)).status == 200
