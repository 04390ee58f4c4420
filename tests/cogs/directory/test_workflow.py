"""Handovers, reports, freshness and edits at the data layer (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cogs.directory import workflow
from db.directory.standard import StandardFileError
from db.engine import Database
from db.models.directory import Handover, HandoverStatus
from db.models.structures import SERVICES, Referent, Structure

from .conftest import GUILD, TUESDAY_10AM


async def _get(session, external_id: str) -> Structure:  # type: ignore[no-untyped-def]
    return await session.scalar(select(Structure).where(Structure.external_id == external_id))


async def test_handover_lifecycle_and_expiry(directory: Database) -> None:
    async with directory.transaction() as session:
        beutre = await _get(session, "mdh-beutre")
        with pytest.raises(workflow.PersonalDataRefused) as refused:
            await workflow.create_handover(
                session,
                guild_id=GUILD,
                structure=beutre,
                sender_id=1,
                sender_structure_id=None,
                need="CAF",
                expected_when="",
                case_ref="",
                note="née le 02/05/1961",
                now=TUESDAY_10AM,
            )
        assert refused.value.findings[0].kind == "birth_date"
        first = await workflow.create_handover(
            session,
            guild_id=GUILD,
            structure=beutre,
            sender_id=1,
            sender_structure_id=None,
            need="CAF",
            expected_when="jeudi",
            case_ref="D-12",
            note="",
            now=TUESDAY_10AM,
            expiry_days=3,
        )
        second = await workflow.create_handover(
            session,
            guild_id=GUILD,
            structure=beutre,
            sender_id=1,
            sender_structure_id=None,
            need="impôts",
            expected_when="",
            case_ref="",
            note="",
            now=TUESDAY_10AM,
        )
    async with directory.transaction() as session:
        with pytest.raises(workflow.WorkflowError, match="not_yours"):
            await workflow.answer_handover(
                session,
                guild_id=GUILD,
                handover_id=first.id,
                user_id=2,
                allowed_structure_ids={999},
                redirect=False,
                now=TUESDAY_10AM,
            )
        answered = await workflow.answer_handover(
            session,
            guild_id=GUILD,
            handover_id=first.id,
            user_id=2,
            allowed_structure_ids={first.structure_id},
            redirect=True,
            answer="Plutôt le CCAS, qui a un point CAF",
            now=TUESDAY_10AM,
        )
        assert answered.status == HandoverStatus.REDIRECTED
    async with directory.transaction() as session:
        assert await workflow.expire_handovers(session, TUESDAY_10AM + timedelta(days=6)) == []
        expired = await workflow.expire_handovers(session, TUESDAY_10AM + timedelta(days=8))
        assert [h.id for h in expired] == [second.id]
    async with directory.session() as session:
        counts = await workflow.handover_counts(session, GUILD)
        assert counts == {"redirected": 1, "expired": 1}
        assert (await session.get(Handover, second.id)).status == HandoverStatus.EXPIRED


async def test_freshness_reminders_once_a_month(directory: Database) -> None:
    later = TUESDAY_10AM + timedelta(days=200)
    async with directory.transaction() as session:
        fresh = await _get(session, "ccas-merignac")
        await workflow.mark_verified(fresh, 5, later - timedelta(days=10))
        stale = await workflow.stale_structures(session, GUILD, later, 182)
        assert len(stale) == 26 and fresh.id not in {f.structure_id for f in stale}
        due = await workflow.due_reminders(session, GUILD, later, 182)
        assert len(due) == 26
        for structure in due:
            structure.last_reminded_at = later
    async with directory.session() as session:
        assert await workflow.due_reminders(session, GUILD, later + timedelta(days=1)) == []
        assert len(await workflow.due_reminders(session, GUILD, later + timedelta(days=31))) == 26


async def test_edit_is_validated_whole_and_changes_nothing_when_refused(
    directory: Database,
) -> None:
    async with directory.transaction() as session:
        ccas = await _get(session, "ccas-merignac")
        with pytest.raises(StandardFileError, match="horaires"):
            workflow.apply_edit(ccas, {"horaires": "lundi 9h"}, now=TUESDAY_10AM)
        assert ccas.horaires == "Mo-Fr 08:30-12:30,13:30-17:00"
        changed = workflow.apply_edit(
            ccas,
            {"telephone": "05 56 11 22 33", "services": [SERVICES[0], SERVICES[7]]},
            now=TUESDAY_10AM,
        )
        assert set(changed) == {"telephone", "services"}
        assert ccas.telephone == "+33556112233"
        assert ccas.services_mask == 1 | 1 << 7


async def test_structure_lookup_and_referents(directory: Database) -> None:
    async with directory.transaction() as session:
        beutre = await _get(session, "mdh-beutre")
        session.add(Referent(guild_id=GUILD, structure_id=beutre.id, user_id=77))
    async with directory.session() as session:
        found = await workflow.search_structures(session, GUILD, "maison habitants beutre")
        assert found[0][0] == beutre.id
        typo = await workflow.find_structure(session, GUILD, "mediatheque michel sere")
        assert typo.external_id == "mediatheque-michel-serres"
        assert await workflow.referent_ids(session, beutre.id) == [77]
        assert [s.id for s in await workflow.structures_of(session, GUILD, 77)] == [beutre.id]
        with pytest.raises(workflow.WorkflowError):
            await workflow.find_structure(session, GUILD, "zzzzzzzz")
