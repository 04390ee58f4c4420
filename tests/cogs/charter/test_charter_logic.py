import csv
import io
from datetime import timedelta

import docx
import pytest
from fpdf import FPDF

from cogs.charter import tracking, versions
from cogs.charter.errors import CharterError
from cogs.charter.extract import excerpt_pages, extract_text
from db.engine import Database
from tests.network_factories import GUILD, NOW, OTHER_GUILD


async def _publish(database: Database, label: str, guild_id: int = GUILD, now=NOW):
    async with database.transaction() as session:
        return await versions.publish(
            session,
            guild_id=guild_id,
            label=label,
            summary="Ajout de l'article sur le mandat",
            text=f"Charte {label}",
            document_id=None,
            sha256=None,
            filename="charte.md",
            actor_id=1,
            now=now,
        )


async def _accept(database: Database, version_id: int, user_id: int, guild_id: int = GUILD):
    async with database.transaction() as session:
        return await versions.accept(
            session,
            guild_id=guild_id,
            version_id=version_id,
            user_id=user_id,
            structure_id=None,
            interaction_id=777,
            now=NOW,
        )


async def test_new_version_requires_acceptance_again(database: Database) -> None:
    v1 = await _publish(database, "v1")
    first = await _accept(database, v1.id, 20)
    assert first.created
    assert not (await _accept(database, v1.id, 20)).created  # a second click changes nothing
    # Same instant on the clock: v2 must still become the current version.
    v2 = await _publish(database, "v2")
    async with database.session() as session:
        assert (await versions.current_version(session, GUILD)).id == v2.id
        assert not await versions.has_accepted_current(session, GUILD, 20)
    with pytest.raises(CharterError) as outdated:
        await _accept(database, v1.id, 21)  # the button of v1's old message
    assert outdated.value.key == "charter.outdated_version"
    assert outdated.value.kwargs == {"label": "v1", "current": "v2"}
    await _accept(database, v2.id, 20)
    async with database.session() as session:
        assert await versions.has_accepted_current(session, GUILD, 20)
        assert await versions.accepted_user_ids(session, GUILD, v2.id) == {20}


async def test_acceptance_is_recorded_for_the_clicker_only(database: Database) -> None:
    v1 = await _publish(database, "v1")
    await _accept(database, v1.id, 20)
    async with database.session() as session:
        rows = await versions.acceptances(session, GUILD, v1.id)
    assert set(rows) == {20} and rows[20].interaction_id == 777


async def test_publish_refusals(database: Database) -> None:
    await _publish(database, "v1")
    for label, key in (
        ("V1", "charter.duplicate_label"),
        ("  ", "charter.bad_label"),
        ("x" * 51, "charter.bad_label"),
    ):
        with pytest.raises(CharterError) as refused:
            await _publish(database, label)
        assert refused.value.key == key
    # Labels are per guild.
    await _publish(database, "v1", guild_id=OTHER_GUILD)
    with pytest.raises(CharterError) as foreign:
        async with database.session() as session:
            other = await versions.current_version(session, OTHER_GUILD)
        await _accept(database, other.id, 20, guild_id=GUILD)
    assert foreign.value.key == "charter.unknown_version"


async def test_no_charter_yet(database: Database) -> None:
    async with database.session() as session:
        assert await versions.current_version(session, GUILD) is None
        assert not await versions.has_accepted_current(session, GUILD, 20)


def test_gate_role_plan() -> None:
    grant, revoke = versions.plan_gate_role(
        holders={1, 2, 9}, accepted={2, 3, 4}, present={1, 2, 3}
    )
    assert grant == [3]  # 4 accepted but left the server
    assert revoke == [1, 9]


def test_reminder_days() -> None:
    assert versions.parse_reminder_days("7, 3,x,3,400") == [3, 7]
    assert versions.parse_reminder_days([14]) == [14]
    assert versions.reminder_due_dates(NOW, [3]) == [(3, NOW + timedelta(days=3))]


def test_extract_markdown_docx_pdf() -> None:
    assert extract_text("charte.md", b"# Charte\n\n\n\nArticle 1") == "# Charte\n\nArticle 1"
    document = docx.Document()
    document.add_paragraph("Article 1 : le mandat Aidants Connect")
    buffer = io.BytesIO()
    document.save(buffer)
    assert "mandat Aidants Connect" in extract_text("charte.docx", buffer.getvalue())
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Article 2 : confidentialite des donnees")
    assert "confidentialite" in extract_text("Charte.PDF", bytes(pdf.output()))


@pytest.mark.parametrize(
    ("filename", "data", "key"),
    [
        ("charte.exe", b"MZ", "charter.bad_format"),
        ("charte.pdf", b"not a pdf", "charter.unreadable"),
        ("charte.md", b"  \n ", "charter.empty_text"),
    ],
)
def test_extract_refusals(filename: str, data: bytes, key: str) -> None:
    with pytest.raises(CharterError) as refused:
        extract_text(filename, data)
    assert refused.value.key == key


def test_pages_split_on_paragraphs() -> None:
    text = "\n\n".join(["a" * 1000] * 5 + ["b" * 9000])
    pages = excerpt_pages(text, page_size=3800)
    assert all(len(p) <= 3800 for p in pages)
    assert "".join(p.replace("\n", "") for p in pages) == text.replace("\n", "")


def test_tracking_and_csv() -> None:
    result = tracking.build_tracking(
        version_label="v2",
        members={20: "Alice", 21: "Bruno", 22: "Chloé"},
        member_structure={20: 1, 21: 1},
        structure_names={1: "CCAS de Mérignac"},
        accepted_at={20: NOW},
    )
    assert result.accepted == 1
    assert [m.display_name for m in result.pending] == ["Bruno", "Chloé"]
    ccas = next(s for s in result.structures if s.structure_name == "CCAS de Mérignac")
    assert (ccas.accepted, ccas.pending, ccas.total) == (1, 1, 2)
    rows = list(csv.reader(io.StringIO(tracking.tracking_csv(result))))
    assert rows[0] == list(tracking.CSV_HEADER)
    alice = next(r for r in rows if r[0] == "Alice")
    assert alice[4] == "acceptée" and alice[5].startswith("2026-03-02")


async def test_double_click_race_records_one_acceptance(database: Database) -> None:
    import asyncio

    v1 = await _publish(database, "v1")
    results = await asyncio.gather(
        *(_accept(database, v1.id, 20) for _ in range(3)), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 1
