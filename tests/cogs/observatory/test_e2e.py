"""The observatory through the real discord.py client and the emulated Discord: the demand
log fed by /orienter, /observatoire for coordinators only, the COPIL pack in the library,
the web page behind its token, buttons after a restart."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pypdf
import pytest
from sqlalchemy import func, select, text

from bot.clock import Clock
from bot.harness import BotHarness
from db.models import AuditEntry, Document
from db.models.observatory import DemandRecord, ObservatoryAccess, ObservatorySnapshot

# Tuesday 24 November 2026, 10:00 in Paris.
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
REFUSED = "réservée aux coordinateurs"


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.directory", "cogs.observatory"],
        clock=Clock(START),
        seed_capabilities=False,
    ) as harness:
        yield harness


async def demand_rows(h: BotHarness) -> list[DemandRecord]:
    assert h.bot is not None
    async with h.bot.db.session() as session:
        return list(
            await session.scalars(
                select(DemandRecord)
                .where(DemandRecord.guild_id == h.guild_id)
                .order_by(DemandRecord.id)
            )
        )


async def count(h: BotHarness, model: type, **where: object) -> int:
    assert h.bot is not None
    async with h.bot.db.session() as session:
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return int(await session.scalar(statement) or 0)


async def test_orienter_feeds_the_demand_log_anonymously(h: BotHarness) -> None:
    secret = "Mme Josiane Dupuis-Martin"
    found = await h.slash(
        "membre",
        "orienter",
        options={"besoin": f"{secret} dossier caf", "quartier": "Beutre", "sans_rdv": True},
    )
    assert "Orienter ici" in str(found.buttons())
    await h.slash("membre", "orienter", options={"besoin": "xqzw blorp"})
    # A handover follows the first search.
    await h.emu.click(h.guild_id, h.person("membre"), found, label="1 · Orienter ici")
    await h.emu.submit_modal(
        h.guild_id,
        h.person("membre"),
        fields={
            "Besoin (sans donnée personnelle)": "dossier CAF",
            "Quand la personne viendra-t-elle ?": "jeudi",
        },
    )
    rows = await demand_rows(h)
    assert len(rows) == 2
    caf, unknown = rows
    assert caf.needs == "|caf|" and caf.services_mask & 1
    assert (caf.commune_key, caf.quartier_key) == ("merignac", "beutre")
    assert caf.filters_mask == 2 and caf.result_count > 0 and caf.handover is True
    assert (unknown.services_mask, unknown.needs, unknown.result_count) == (0, "", 0)
    assert unknown.commune_key == "" and unknown.handover is False
    # Nothing personal anywhere in the table: not the asker, not the words typed.
    assert h.bot is not None
    async with h.bot.db.session() as session:
        stored = [
            str(value).lower()
            for row in (await session.execute(text("SELECT * FROM observatory_demand"))).all()
            for value in row
        ]
    for forbidden in (str(h.person("membre")), "josiane", "dupuis", "blorp", "dossier"):
        assert not any(forbidden in value for value in stored), forbidden


async def test_only_coordinators_see_the_observatory(h: BotHarness) -> None:
    for person in ("membre", "referent"):
        for subcommand in ("voir", "rapport", "lien"):
            result = await h.slash(person, "observatoire", subcommand=subcommand)
            assert REFUSED in result.text, (person, subcommand, result.text)
    assert await count(h, Document, guild_id=h.guild_id) == 0
    assert await count(h, ObservatoryAccess, guild_id=h.guild_id) == 0
    assert await count(h, AuditEntry, guild_id=h.guild_id) == 0


async def test_view_shows_figures_charts_and_section_buttons(h: BotHarness) -> None:
    await h.slash("membre", "orienter", options={"besoin": "impots", "quartier": "Arlac"})
    result = await h.slash("coordinateur", "observatoire", subcommand="voir", timeout=30)
    assert result.deferred and result.ephemeral
    assert "Observatoire du réseau — 2e semestre 2026" in result.text
    assert "**1** demandes /orienter" in result.text
    assert "Pas d'aide aux démarches le samedi" in result.text
    names = sorted(a["filename"] for a in result.messages[-1]["attachments"])
    assert names == ["couverture.png", "demande.png", "horaires.png", "tendance.png"]
    for attachment in result.messages[-1]["attachments"]:
        assert h.emu.blob(attachment).startswith(b"\x89PNG")
    labels = [b["label"] for b in result.buttons()]
    assert "Manques" in labels and "📄 Dossier COPIL (PDF + CSV)" in labels
    gaps = await h.emu.click(h.guild_id, h.person("coordinateur"), result, label="Manques")
    assert "Manques" in gaps.text and "aucun lieu" in gaps.text
    demand = await h.slash(
        "coordinateur", "observatoire", subcommand="voir", options={"section": "demande"}
    )
    assert "Impôts" in demand.text or "Toutes les demandes" in demand.text


async def test_bad_period_is_refused_in_french_and_changes_nothing(h: BotHarness) -> None:
    result = await h.slash(
        "coordinateur", "observatoire", subcommand="rapport", options={"periode": "l'an 3000"}
    )
    assert "Période « l'an 3000 » non reconnue" in result.text
    reversed_ = await h.slash(
        "coordinateur",
        "observatoire",
        subcommand="voir",
        options={"periode": "30/06/2026-01/01/2026"},
    )
    assert "avant son début" in reversed_.text
    assert await count(h, Document, guild_id=h.guild_id) == 0
    choices = await h.emu.autocomplete(
        h.guild_id, h.person("coordinateur"), "observatoire voir", focused="periode", value="sem"
    )
    assert [c["value"] for c in choices][:2] == ["2026-S2", "2026-S1"]


async def test_report_files_pdf_and_csv_in_the_library(h: BotHarness) -> None:
    await h.slash("membre", "orienter", options={"besoin": "caf", "quartier": "Beutre"})
    result = await h.slash(
        "coordinateur",
        "observatoire",
        subcommand="rapport",
        options={"periode": "S2 2026"},
        timeout=30,  # charts and PDF are drawn in a thread: slow on a loaded test machine
    )
    assert "classé dans la bibliothèque" in result.text
    files = {a["filename"]: a for a in result.messages[-1]["attachments"]}
    assert set(files) == {"observatoire-2026-S2.pdf", "observatoire-2026-S2.csv"}
    pdf = pypdf.PdfReader(io.BytesIO(h.emu.blob(files["observatoire-2026-S2.pdf"])))
    assert "Observatoire du réseau — 2e semestre 2026" in pdf.pages[0].extract_text()
    csv_text = h.emu.blob(files["observatoire-2026-S2.csv"]).decode("utf-8-sig")
    assert "synthese,requests,,,1,0" in csv_text
    assert h.bot is not None
    async with h.bot.db.session() as session:
        documents = list(
            await session.scalars(select(Document).where(Document.guild_id == h.guild_id))
        )
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "observatory.report")
        )
    assert {d.origin for d in documents} == {"report"} and len(documents) == 2
    assert all("observatoire" in d.tags for d in documents)
    assert audit is not None and audit.actor_id == h.person("coordinateur")
    assert await count(h, ObservatorySnapshot, guild_id=h.guild_id) == 1


async def test_published_buttons_check_the_clicker_and_survive_a_restart(h: BotHarness) -> None:
    result = await h.slash(
        "coordinateur", "observatoire", subcommand="voir", options={"publier": True}
    )
    assert "publié dans" in result.text.lower()
    posted = h.emu.messages(h.channel("coordination"))[-1]
    assert "Observatoire du réseau" in str(posted["embeds"])
    assert len(posted["attachments"]) == 4
    await h.restart()
    refused = await h.emu.click(h.guild_id, h.person("membre"), posted, label="Orientations")
    assert REFUSED in refused.text
    shown = await h.emu.click(h.guild_id, h.person("coordinateur"), posted, label="Orientations")
    assert "Orientations entre structures" in shown.text


async def test_a_refused_post_falls_back_to_the_coordinator(h: BotHarness) -> None:
    channel = h.channel("coordination")
    h.emu.inject("POST", rf"/channels/{channel}/messages$", status=403, code=50013, times=-1)
    result = await h.slash(
        "coordinateur", "observatoire", subcommand="voir", options={"publier": True}, timeout=30
    )
    h.emu.clear_faults()
    assert "n'a pas pu publier" in result.text
    assert "Observatoire du réseau — 2e semestre 2026" in result.text
    assert len(result.messages[-1]["attachments"]) == 4


async def test_web_page_behind_its_token(h: BotHarness) -> None:
    await h.slash("membre", "orienter", options={"besoin": "caf", "quartier": "Beutre"})
    link = await h.slash("coordinateur", "observatoire", subcommand="lien")
    url = next(word for word in link.text.split() if word.startswith("http"))
    assert "/observatoire?token=" in url
    async with aiohttp.ClientSession() as client:
        async with client.get(url) as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            html = await response.text()
        assert "Observatoire du réseau — 2e semestre 2026" in html
        assert html.count("data:image/png;base64,") == 4
        assert "Capeyron" in html or "aucun lieu" in html
        async with client.get(url.replace("observatoire?", "observatoire.csv?")) as response:
            assert response.status == 200
            assert "synthese,requests" in (await response.text())
        async with client.get(url + "&periode=n'importe quoi") as response:
            assert response.status == 400 and "non reconnue" in await response.text()
        async with client.get(url[:-3] + "abc") as response:
            assert response.status == 404
        other_guild = url.replace(f"/g/{h.guild_id}/", "/g/1/")
        async with client.get(other_guild) as response:
            assert response.status == 404
        rotated = await h.slash(
            "coordinateur", "observatoire", subcommand="lien", options={"renouveler": True}
        )
        new_url = next(word for word in rotated.text.split() if word.startswith("http"))
        async with client.get(url) as response:
            assert response.status == 404
        async with client.get(new_url.replace("observatoire?", "observatoire.csv?")) as response:
            assert response.status == 200
    assert await count(h, AuditEntry, action="observatory.link_rotated") == 1


async def test_english_and_monthly_snapshot(h: BotHarness) -> None:
    result = await h.slash(
        "coordinateur",
        "observatoire",
        subcommand="voir",
        options={"section": "fraicheur"},
        locale="en-US",
    )
    assert "Network observatory — Second half of 2026" in result.text
    assert h.bot is not None
    await h.bot.scheduler.run_planners()
    assert await count(h, ObservatorySnapshot, guild_id=h.guild_id) == 1
    await h.bot.scheduler.run_planners()  # the same day again: replaced, not duplicated
    assert await count(h, ObservatorySnapshot, guild_id=h.guild_id) == 1
