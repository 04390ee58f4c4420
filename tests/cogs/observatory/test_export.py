"""The COPIL pack: the CSV holds the figures (read back), the PDF is a real PDF with the
charts and the French text, and nothing in either runs as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from datetime import date

import pypdf
import pytest

from cogs.observatory.charts import all_charts
from cogs.observatory.export import figure_rows, safe_cell, to_csv, to_pdf
from cogs.observatory.figures import compute_observatory
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import semester_of
from db.models.structures import Structure

from .labelled import ADM, NOW
from .scenario import seed_scenario

GUILD = 78


@pytest.fixture
async def observatory(sqlite_database):  # type: ignore[no-untyped-def]
    ids = await seed_scenario(sqlite_database, GUILD)
    async with sqlite_database.transaction() as session:
        # A referent typed a formula as their structure's short name.
        row = await session.get(Structure, ids["Cyber Capeyron"])
        assert row is not None
        row.short_name = '=HYPERLINK("http://evil.example","clic")'
    return await compute_observatory(
        sqlite_database, GUILD, semester_of(date(2026, 11, 23)), now=NOW, needs=NeedCatalogue.load()
    )


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_csv_holds_the_figures(observatory) -> None:  # type: ignore[no-untyped-def]
    rows = read_csv(to_csv(figure_rows(observatory)))

    def value(section: str, indicator: str, zone: str = "", subject: str = "") -> str:
        found = [
            r
            for r in rows
            if (r["section"], r["indicateur"], r["zone"], r["objet"])
            == (section, indicator, zone, subject)
        ]
        assert len(found) == 1, (section, indicator, zone, subject, found)
        return found[0]["valeur"]

    assert value("synthese", "requests") == "12"
    assert value("couverture", "lieux", "Mérignac", ADM) == "3"
    assert value("couverture", "heures_semaine", "Mérignac", ADM) == "34.5"
    assert value("couverture", "samedi", "Mérignac", ADM) == "0"
    assert value("manques", "none", "Capeyron (Mérignac)", ADM) == "4"
    caf = observatory.needs.label("caf")
    assert value("demande", "sans_resultat", "", caf) == "4"
    assert value("tendance", "demandes", "", "2026-11") == "9"
    assert (
        value("fraicheur", "fiche_non_verifiee_jours", "", "CCAS de Mérignac") == "681"
    )  # 10 Jan 2025 noon to 23 Nov 2026 11:00
    assert value("orientations", "recues", "", "total") == "4"
    assert value("charte", "ont_accepte", "", "Médiathèque d'Arlac") == "0"
    previous = next(r for r in rows if r["indicateur"] == "requests")["periode_precedente"]
    assert previous == "4"


async def test_csv_neutralises_formulas(observatory) -> None:  # type: ignore[no-untyped-def]
    data = to_csv(figure_rows(observatory)).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(data)) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","clic")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert safe_cell(-3) == "-3" and safe_cell("-3.5") == "-3.5"
    assert safe_cell("-cmd") == "'-cmd" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell(None) == "" and safe_cell(True) == "1" and safe_cell(0.66666) == "0.6667"


async def test_pdf_is_readable_and_carries_text_and_charts(observatory) -> None:  # type: ignore[no-untyped-def]
    pdf = to_pdf(observatory, all_charts(observatory), guild_name="Réseau de Mérignac")
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 5
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Observatoire du réseau — 2e semestre 2026",
        "Réseau de Mérignac",
        "12 demandes /orienter",
        "Capeyron (Mérignac)",
        "Pas d'aide aux démarches le samedi",
        "CCAS de Mérignac",
        "Méthode et confidentialité",
    ):
        assert expected in text, expected
    images = sum(len(page.images) for page in reader.pages)
    assert images == 4
    fonts = {
        str(font.get("/BaseFont"))
        for page in reader.pages
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values()
        for font in [font.get_object()]
    }
    assert any("DejaVu" in name for name in fonts), fonts
