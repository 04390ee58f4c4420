"""Property-based tests over every import format: the directory's CSV and JSON (national
standard), the charter's documents (PDF, DOCX, Markdown, text), the newsletter's PDF and
images. Whatever the bytes: a result or a refusal in French listing what is wrong, never
an unexpected exception; a refused import leaves the database exactly as it was, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.demo_network import SAMPLE_DIRECTORY
from db.engine import Database
from tests.security.fuzz import NASTY_STRINGS
from tests.security.hostile_files import docx
from tests.security.world import changed_tables, fingerprint

TODAY = date(2027, 3, 1)
SAMPLE = json.loads(SAMPLE_DIRECTORY.read_text(encoding="utf-8"))
FIELDS = sorted({key for row in SAMPLE for key in row})

cell_text = st.one_of(
    st.sampled_from([*NASTY_STRINGS, "", "\x00", "a\x00b", "1e999", "NaN", "-0", "|||", ";;", '"']),
    st.text(max_size=40),
)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), cell_text),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Real records from the sample with some fields replaced by hostile values."""
    rows = [dict(row) for row in draw(st.lists(st.sampled_from(SAMPLE), min_size=1, max_size=4))]
    for index, row in enumerate(rows):
        row["id"] = f"{row['id']}-{index}"
        for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
            row[field] = draw(st.one_of(cell_text, json_value))
    return rows


def as_csv(rows: list[dict[str, Any]], delimiter: str) -> str:
    buffer = io.StringIO(newline="")
    columns = sorted({key for row in rows for key in row})
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_flat(row.get(column)) for column in columns])
    return buffer.getvalue()


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(_flat(v) for v in value)
    return "" if value is None else str(value)


@st.composite
def directory_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["csv", "json", "json-shape", "bytes", "truncated"]))
    if kind == "bytes":
        return draw(st.sampled_from(["annuaire.csv", "annuaire.json", "x"])), draw(
            st.binary(max_size=400)
        )
    if kind == "json-shape":
        return "annuaire.json", json.dumps(draw(json_value)).encode()
    rows = draw(mutated_records())
    if kind == "json":
        data = json.dumps(rows, ensure_ascii=False).encode()
        return "annuaire.json", data
    text = as_csv(rows, draw(st.sampled_from([",", ";", "\t"])))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if kind == "truncated":
        data = data[: draw(st.integers(0, len(data)))]
    return "annuaire.csv", data


def _french_issues(error: Any) -> None:
    assert error.issues, "a refusal must say what is wrong"
    for issue in error.issues:
        text = str(issue)
        assert text.strip() and "Traceback" not in text and "Error" not in text, text
    assert error.summary().strip()


@settings(max_examples=250, deadline=None)
@given(directory_files())
def test_directory_files_parse_or_are_refused_in_french(file: tuple[str, bytes]) -> None:
    from db.directory.standard import ParsedFile, StandardFileError, parse_standard_file

    filename, data = file
    try:
        parsed = parse_standard_file(data, filename, today=TODAY)
    except StandardFileError as error:
        _french_issues(error)
    else:
        assert isinstance(parsed, ParsedFile) and parsed.rows


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=directory_files())
async def test_directory_import_on_both_engines(
    database: Database, file: tuple[str, bytes]
) -> None:
    """Applied, or refused with nothing changed — on SQLite and PostgreSQL (a NUL character
    or a 6000-character cell must not reach the database as an unexpected error)."""
    from db.directory.standard import StandardFileError, import_bytes

    filename, data = file
    before = await fingerprint(database)
    try:
        async with database.transaction() as session:
            plan = await import_bytes(
                session, 4242, data, filename, now=datetime(2027, 3, 1, 9, tzinfo=UTC)
            )
    except StandardFileError as error:
        _french_issues(error)
        assert not changed_tables(before, await fingerprint(database))
    else:
        assert plan.applied


DOCUMENT_SUFFIXES = [".pdf", ".docx", ".md", ".txt", ".odt", ".exe", ""]


REAL_DOCX = docx(2000)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(DOCUMENT_SUFFIXES))
    base = draw(
        st.sampled_from(
            [b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", REAL_DOCX, b"# Charte\n", b""]
        )
    )
    # Cut, flip or append to a real file: what a broken upload looks like.
    cut = draw(st.integers(0, len(base)))
    noise = draw(st.binary(max_size=200))
    data = draw(st.sampled_from([base[:cut] + noise, noise + base, base, noise]))
    return "charte" + suffix, data


@settings(max_examples=150, deadline=None)
@given(documents())
def test_charter_documents_read_or_are_refused(document: tuple[str, bytes]) -> None:
    from cogs.charter.errors import CharterError
    from cogs.charter.extract import extract_text

    filename, data = document
    try:
        text = extract_text(filename, data)
    except CharterError as error:
        assert error.key.startswith("charter.")
    else:
        assert isinstance(text, str) and text.strip()


@settings(max_examples=150, deadline=None)
@given(documents(), st.sampled_from(["photo.png", "photo.jpg", "lettre.pdf", "x"]))
def test_newsletter_files_are_checked_by_content(document: tuple[str, bytes], name: str) -> None:
    from cogs.newsletter.errors import NewsletterError
    from cogs.newsletter.service import check_image, check_pdf

    _, data = document
    for check in (check_image, check_pdf):
        try:
            check(data, name)
        except NewsletterError as error:
            assert error.key.startswith("newsletter.")


@pytest.mark.parametrize("filename", ["annuaire.csv", "annuaire.json"])
async def test_a_nul_character_is_refused_or_stored(database: Database, filename: str) -> None:
    """Deterministic companion of the property: NUL inside a name (PostgreSQL text cannot
    hold it) is either refused in French or stored without it, never a database error."""
    from db.directory.standard import StandardFileError, import_bytes

    row = dict(SAMPLE[0], nom="Médiathèque\x00 du centre")
    data = json.dumps([row]).encode() if filename.endswith(".json") else as_csv([row], ",").encode()
    try:
        async with database.transaction() as session:
            await import_bytes(session, 4242, data, filename, now=datetime(2027, 3, 1, tzinfo=UTC))
    except StandardFileError as error:
        _french_issues(error)


def _library_samples() -> list[tuple[str, bytes]]:
    from bot.library import generate

    return [
        ("fiche.pdf", generate.make_pdf("Fiche", ["Texte de la fiche."])),
        ("fiche.docx", generate.make_docx("Fiche", ["Texte."], table=[["a", "b"]])),
        ("fiche.odt", generate.make_odt("Fiche", ["Texte."])),
        ("tableau.ods", generate.make_ods([["a", "b"], ["1", "2"]])),
        ("tableau.xlsx", generate.make_xlsx([["a", "b"], ["1", "2"]])),
        ("diapo.pptx", generate.make_pptx([("Titre", "Texte")])),
        ("notes.md", generate.make_markdown("Notes", ["Texte."])),
    ]


LIBRARY_SAMPLES = _library_samples()


@st.composite
def library_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real document of every kind the library takes, cut, padded or renamed."""
    name, base = draw(st.sampled_from(LIBRARY_SAMPLES))
    other, _ = draw(st.sampled_from(LIBRARY_SAMPLES))
    cut = draw(st.integers(0, len(base)))
    noise = draw(st.binary(max_size=200))
    data = draw(st.sampled_from([base, base[:cut], base[:cut] + noise, noise + base, noise]))
    return draw(st.sampled_from([name, other, "../" + name, name + ".exe"])), data


@settings(max_examples=200, deadline=None)
@given(library_files())
def test_library_files_are_filed_or_refused_in_french(file: tuple[str, bytes]) -> None:
    from bot.i18n import t
    from bot.library.errors import LibraryError
    from bot.library.extraction import check_and_extract

    filename, data = file
    try:
        extracted = check_and_extract(data, filename)
    except LibraryError as error:
        message = t(error.key, "fr", **error.kwargs)
        assert message != error.key and "{" not in message, message
    else:
        assert "/" not in extracted.filename and "\\" not in extracted.filename
        assert not extracted.filename.startswith(".")
        assert isinstance(extracted.text, str)
