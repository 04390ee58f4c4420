"""The directory through the real discord.py client and the emulated Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.harness import BotHarness
from db.models import AuditEntry, Structure
from db.models.directory import ErrorReport, Handover, HandoverStatus

# Tuesday 24 November 2026, 10:00 in Paris.
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.directory"],
        clock=Clock(START),
        web=False,
    ) as harness:
        yield harness


async def _structure(h: BotHarness, external_id: str) -> Structure:
    async with h.bot.db.session() as session:
        return await session.scalar(
            select(Structure).where(
                Structure.guild_id == h.guild_id, Structure.external_id == external_id
            )
        )


async def test_orienter_ranks_explains_and_paginates(h: BotHarness) -> None:
    result = await h.slash(
        "membre",
        "orienter",
        options={"besoin": "dossier caf", "quartier": "Beutre", "public": "Familles et/ou enfants"},
    )
    assert result.ephemeral and result.deferred
    text = result.text
    assert "1. MDH Beutre" in text.split("\n2.")[0], text
    assert "Pourquoi" in text and "dans le quartier (Beutre)" in text
    assert "Ouvert" in text or "Fermé" in text
    assert result.button("1 · Orienter ici")
    labels = [b["label"] for b in result.buttons()]
    if "Suivants ▶" in labels:
        page2 = await h.emu.click(h.guild_id, h.person("membre"), result, label="Suivants ▶")
        assert "page 2/" in page2.text
    # Every result declares a matching service.
    assert "Mission Locale" not in text.split("page")[0]


async def test_orienter_typos_no_result_and_refusal(h: BotHarness) -> None:
    typo = await h.slash("membre", "orienter", options={"besoin": "pole emploie"})
    assert "France Travail" in typo.text
    nothing = await h.slash("membre", "orienter", options={"besoin": "xqzw blorp"})
    assert "pas reconnu" in nothing.text
    wrong_place = await h.slash(
        "membre", "orienter", options={"besoin": "CAF", "quartier": "Atlantide"}
    )
    assert "inconnu" in wrong_place.text
    newcomer = await h.slash("nouveau", "orienter", options={"besoin": "CAF"})
    assert "réservée aux membres" in newcomer.text
    choices = await h.emu.autocomplete(
        h.guild_id, h.person("membre"), "orienter", focused="besoin", value="imp"
    )
    assert any("Impôts" in c["name"] for c in choices)


async def test_card_handover_refusal_then_ack(h: BotHarness) -> None:
    result = await h.slash(
        "membre",
        "orienter",
        options={
            "besoin": "déclaration d'impôts",
            "quartier": "Beutre",
            "public": "Familles et/ou enfants",
        },
    )
    card = await h.emu.click(h.guild_id, h.person("membre"), result, label="1 · Fiche")
    assert "Horaires" in card.text and "Adresse" in card.text
    opened = await h.emu.click(h.guild_id, h.person("membre"), result, label="1 · Orienter ici")
    assert opened.modal is not None
    refused = await h.emu.submit_modal(
        h.guild_id,
        h.person("membre"),
        fields={
            "Besoin (sans donnée personnelle)": "impôts",
            "Quelques mots pour la structure": "Mme Martin, 06 12 34 56 78",
        },
    )
    assert "numéro de téléphone" in refused.text and "rien n'a été envoyé" in refused.text
    async with h.bot.db.session() as session:
        assert not (
            await session.scalars(select(Handover).where(Handover.sender_id == h.person("membre")))
        ).all()
    await h.emu.click(h.guild_id, h.person("membre"), result, label="1 · Orienter ici")
    sent = await h.emu.submit_modal(
        h.guild_id,
        h.person("membre"),
        fields={
            "Besoin (sans donnée personnelle)": "déclaration d'impôts en ligne",
            "Quand la personne viendra-t-elle ?": "jeudi matin",
            "Quelques mots pour la structure": "Personne à l'aise à l'oral, pas d'ordinateur.",
        },
    )
    assert "transmis" in sent.text or "coordinateurs sont prévenus" in sent.text
    async with h.bot.db.session() as session:
        handover = (
            await session.scalars(select(Handover).where(Handover.sender_id == h.person("membre")))
        ).one()
        receiver = await session.get(Structure, handover.structure_id)
    assert receiver.external_id == "merignac-mdh-beutre"
    await h.emu.wait_idle()
    dms = h.emu.dm_messages(h.person("referente-beutre"))
    assert any("Orientation n°" in str(m.get("embeds")) for m in dms)
    incoming = next(m for m in reversed(dms) if m.get("components"))
    outsider = await h.emu.click(None, h.person("membre"), incoming, label="✅ Bien noté")
    assert "Seuls les référent·es" in outsider.text
    ack = await h.emu.click(None, h.person("referente-beutre"), incoming, label="✅ Bien noté")
    assert "bien noté" in ack.text
    async with h.bot.db.session() as session:
        assert (await session.get(Handover, handover.id)).status == HandoverStatus.ACKNOWLEDGED
    await h.emu.wait_idle()
    assert any(
        "a bien noté" in (m.get("content") or "") for m in h.emu.dm_messages(h.person("membre"))
    )


async def test_referent_edits_own_card_only_and_it_is_audited(h: BotHarness) -> None:
    ccas = await _structure(h, "merignac-ccas")
    refused = await h.slash(
        "membre", "structure", subcommand="modifier", options={"nom": str(ccas.id)}
    )
    assert "Seuls les référent·es" in refused.text
    opened = await h.slash(
        "referent", "structure", subcommand="modifier", options={"nom": str(ccas.id)}
    )
    assert opened.modal is not None
    bad = await h.emu.submit_modal(
        h.guild_id, h.person("referent"), fields={"Horaires (format OpenStreetMap)": "lundi 9h-12h"}
    )
    assert "refusée" in bad.text and "horaires illisibles" in bad.text
    assert (await _structure(h, "merignac-ccas")).horaires == ccas.horaires
    await h.slash("referent", "structure", subcommand="modifier", options={"nom": str(ccas.id)})
    good = await h.emu.submit_modal(
        h.guild_id,
        h.person("referent"),
        fields={"Horaires (format OpenStreetMap)": "Mo-Fr 09:00-12:00; We 14:00-17:00"},
    )
    assert "mise à jour" in good.text, good.text
    updated = await _structure(h, "merignac-ccas")
    assert updated.horaires == "Mo-Fr 09:00-12:00; We 14:00-17:00"
    assert updated.verified_by == h.person("referent")
    async with h.bot.db.session() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "directory.structure.edit" in actions
    # The services select saves at once.
    saved = await h.emu.select(
        h.guild_id,
        h.person("referent"),
        good,
        values=["Aide aux démarches administratives"],
        placeholder="Services",
    )
    assert "enregistré" in saved.text
    assert (await _structure(h, "merignac-ccas")).services == ["Aide aux démarches administratives"]


async def test_report_reaches_referent_and_coordinators(h: BotHarness) -> None:
    ccas = await _structure(h, "merignac-ccas")
    card = await h.slash(
        "membre", "structure", subcommand="fiche", options={"nom": "ccas merignac"}
    )
    assert ccas.nom in card.text
    await h.emu.click(h.guild_id, h.person("membre"), card, label="! · Signaler")
    done = await h.emu.submit_modal(
        h.guild_id,
        h.person("membre"),
        fields={
            "Quelle information ? (horaires, téléphone…)": "horaires",
            "Qu'est-ce qui est faux, que faut-il mettre ?": "Fermé le mercredi depuis septembre",
        },
    )
    assert "Signalement n°" in done.text
    await h.emu.wait_idle()
    assert any(
        "Signalement n°" in (m.get("content") or "")
        for m in h.emu.dm_messages(h.person("referent"))
    )
    assert any(
        "Signalement n°" in (m.get("content") or "")
        for m in h.emu.messages(h.channel("coordination"))
    )
    incoming = next(
        m
        for m in reversed(h.emu.dm_messages(h.person("referent")))
        if m.get("components") and "mercredi" in (m.get("content") or "")
    )
    closed = await h.emu.click(None, h.person("referent"), incoming, label="Corrigé")
    assert "clos" in closed.text
    async with h.bot.db.session() as session:
        reports = (
            await session.scalars(
                select(ErrorReport).where(ErrorReport.reporter_id == h.person("membre"))
            )
        ).all()
        assert [r.status for r in reports if "mercredi" in r.text] == ["closed"]


async def test_import_export_for_coordinators(h: BotHarness) -> None:
    refused = await h.slash("membre", "annuaire", subcommand="exporter", options={"format": "csv"})
    assert "réservée aux coordinateurs" in refused.text
    export = await h.slash(
        "coordinateur", "annuaire", subcommand="exporter", options={"format": "csv"}
    )
    assert export.attachments
    data = h.emu.blob(export.attachments[0])
    assert data.startswith(b'"id","pivot","nom"')
    bad = data.replace(b"Aide aux d\xc3\xa9marches administratives", b"Aide aux devoirs", 1)
    rejected = await h.slash(
        "coordinateur",
        "annuaire",
        subcommand="importer",
        options={"fichier": ("annuaire.csv", bad), "simulation": False},
    )
    assert "Import refusé, rien n'a été modifié" in rejected.text and "ligne" in rejected.text
    plan = await h.slash(
        "coordinateur",
        "annuaire",
        subcommand="importer",
        options={"fichier": ("annuaire.csv", data), "simulation": True},
    )
    assert "Simulation" in plan.text and "0 créé(s)" in plan.text


async def test_freshness_reminder_and_still_correct(h: BotHarness) -> None:
    stale = await h.slash("coordinateur", "annuaire", subcommand="a_verifier")
    assert "Fiches à vérifier" in stale.text
    await h.advance(timedelta(days=400))
    dms = h.emu.dm_messages(h.person("referent"))
    reminder = next(m for m in dms if "n'a pas été vérifiée" in (m.get("content") or ""))
    confirmed = await h.emu.click(None, h.person("referent"), reminder, label="Toujours exacte")
    assert "confirmée" in confirmed.text
    ccas = await _structure(h, "merignac-ccas")
    assert ccas.verified_by == h.person("referent")


async def test_demo_with_a_directory_file_and_its_extras(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .conftest import MERIGNAC

    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.directory"],
        clock=Clock(START),
        web=False,
        directory_file=MERIGNAC,
    ) as harness:
        result = await harness.slash("membre", "orienter", options={"besoin": "impression 3d"})
        assert "Le Labo - fablab de Mérignac" in result.text
        async with harness.bot.db.session() as session:
            assert [h.status for h in (await session.scalars(select(Handover))).all()] == [
                HandoverStatus.OPEN
            ]
            assert [r.status for r in (await session.scalars(select(ErrorReport))).all()] == [
                "open"
            ]
