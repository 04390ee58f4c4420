from datetime import UTC, datetime, timedelta

import pytest

from cogs.events import service
from cogs.events.service import EventDraft, EventError
from cogs.events.timing import SendDecision, paris_to_utc
from db.engine import Database
from db.models.core import DeliveryStatus
from db.models.events import EventKind, RsvpResponse
from tests.cogs.events.helpers import GUILD, add_structure, delivery_rows, real_scheduler

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
START = paris_to_utc(datetime(2027, 4, 1, 14, 0))


def draft(**overrides: object) -> EventDraft:
    values: dict[str, object] = {
        "kind": EventKind.COPIL,
        "title": "COPIL du printemps",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "agenda": "1. Bilan\n2. Charte",
        "location": "Mairie de Mérignac",
    }
    values.update(overrides)
    return EventDraft(**values)  # type: ignore[arg-type]


async def test_create_event_schedules_default_reminders(database: Database) -> None:
    scheduler = real_scheduler(database, NOW)
    async with database.transaction() as session:
        event = await service.create_event(
            session, scheduler, guild_id=GUILD, draft=draft(), created_by=1, channel_id=5, now=NOW
        )
    assert event.reminder_offsets == ["J-14", "J-7", "J-1", "H-2"]
    assert event.uid.endswith("@aiguillage")
    rows = await delivery_rows(database, service.REMINDER_KIND)
    dues = [(r.due_at, r.payload["label"]) for r in rows]
    assert dues[1] == (datetime(2027, 3, 25, 13, 0, tzinfo=UTC), "J-7")  # 14:00 CET
    assert dues[2] == (datetime(2027, 3, 31, 12, 0, tzinfo=UTC), "J-1")  # 14:00 CEST
    assert all(r.kind == service.REMINDER_KIND for r in rows)
    assert all(r.status == DeliveryStatus.PENDING for r in rows)
    assert rows[1].grace_seconds == (dues[2][0] - dues[1][0]).total_seconds()
    (close,) = await delivery_rows(database, service.CLOSE_KIND)
    assert close.due_at == START and close.dedupe_key.startswith(service.reminder_prefix(event.id))
    # Planning again (a planner re-running) reuses the same rows.
    async with database.transaction() as session:
        again = await service.get_event(session, GUILD, event.id)
        await service.schedule_reminders(session, scheduler, again, NOW)
    assert [r.id for r in await delivery_rows(database, service.REMINDER_KIND)] == [
        r.id for r in rows
    ]
    assert len(await delivery_rows(database)) == 5
    async with database.session() as session:
        stored = await service.get_event(session, GUILD, event.id)
        assert stored.starts_at == START and stored.location == "Mairie de Mérignac"
        with pytest.raises(EventError):
            await service.get_event(session, GUILD + 1, event.id)  # another guild's event


BAD_DRAFTS = [
    ({"title": "  "}, "events.error_title"),
    ({"title": "x" * 101}, "events.error_title"),
    ({"starts_at": NOW - timedelta(hours=1)}, "events.error_in_past"),
    ({"ends_at": START}, "events.error_duration_order"),
    ({"location": None}, "events.error_where"),
    ({"location": "x" * 101}, "events.error_location_long"),
    ({"agenda": "x" * 1001}, "events.error_agenda_long"),
    ({"offsets": ["J-7", "bientôt"]}, "events.error_offset_syntax"),
    ({"kind": "fete"}, "events.error_kind"),
]


async def test_bad_drafts_change_nothing(database: Database) -> None:
    scheduler = real_scheduler(database, NOW)
    for overrides, key in BAD_DRAFTS:
        with pytest.raises(EventError) as caught:
            async with database.transaction() as session:
                await service.create_event(
                    session,
                    scheduler,
                    guild_id=GUILD,
                    draft=draft(**overrides),
                    created_by=1,
                    channel_id=None,
                    now=NOW,
                )
        assert caught.value.key == key, overrides
    assert await delivery_rows(database) == []
    async with database.session() as session:
        assert await service.list_events(session, GUILD, now=NOW, upcoming=True) == []


async def test_moving_an_event_replans_reminders_and_bumps_sequence(database: Database) -> None:
    scheduler = real_scheduler(database, NOW)
    async with database.transaction() as session:
        event = await service.create_event(
            session, scheduler, guild_id=GUILD, draft=draft(), created_by=1, channel_id=5, now=NOW
        )
    old_keys = {r.dedupe_key for r in await delivery_rows(database)}
    async with database.transaction() as session:
        event = await service.get_event(session, GUILD, event.id)
        changes = await service.update_event(
            session, scheduler, event, now=NOW, starts_at=START + timedelta(days=7)
        )
    assert changes.moved and changes.fields == ["starts_at", "ends_at"]
    rows = await delivery_rows(database)
    assert {r.dedupe_key for r in rows if r.status == DeliveryStatus.CANCELLED} == old_keys
    pending = [r for r in rows if r.status == DeliveryStatus.PENDING]
    assert len(pending) == 5 and not ({r.dedupe_key for r in pending} & old_keys)
    async with database.transaction() as session:
        event = await service.get_event(session, GUILD, event.id)
        assert event.sequence == 1
        assert event.ends_at - event.starts_at == timedelta(hours=2)  # duration kept
        # Same values again: nothing changes, nothing is re-planned.
        unchanged = await service.update_event(
            session, scheduler, event, now=NOW, location="Mairie de Mérignac"
        )
        assert not unchanged and event.sequence == 1
        moved_place = await service.update_event(
            session, scheduler, event, now=NOW, location="CCAS"
        )
        assert moved_place.fields == ["location"] and not moved_place.moved
        assert event.sequence == 2
        # Moving back to the first date plans fresh reminders (the old rows stay cancelled).
        await service.update_event(session, scheduler, event, now=NOW, starts_at=START)
    rows = await delivery_rows(database, service.REMINDER_KIND)
    assert sum(r.status == DeliveryStatus.CANCELLED for r in rows) == 8
    pending = [r for r in rows if r.status == DeliveryStatus.PENDING]
    assert [r.payload["label"] for r in pending] == ["J-14", "J-7", "J-1", "H-2"]
    assert all(r.payload["planned_starts_at"] == START.isoformat() for r in pending)


async def test_cancel_cancels_reminders_and_refuses_answers(database: Database) -> None:
    scheduler = real_scheduler(database, NOW)
    async with database.transaction() as session:
        event = await service.create_event(
            session, scheduler, guild_id=GUILD, draft=draft(), created_by=1, channel_id=5, now=NOW
        )
        await service.cancel_event(
            session, scheduler, event, by=1, reason=" Salle indisponible ", now=NOW
        )
    assert {r.status for r in await delivery_rows(database)} == {DeliveryStatus.CANCELLED}
    async with database.transaction() as session:
        event = await service.get_event(session, GUILD, event.id)
        assert (
            event.cancelled and event.sequence == 1 and event.cancel_reason == "Salle indisponible"
        )
        for call in (
            service.cancel_event(session, scheduler, event, by=1, reason="", now=NOW),
            service.record_answer(
                session,
                event,
                user_id=2,
                response="yes",
                delegate_id=None,
                structure_ids=(),
                now=NOW,
            ),
            service.update_event(session, scheduler, event, now=NOW, title="Autre"),
        ):
            with pytest.raises(EventError) as caught:
                await call
            assert caught.value.key == "events.error_cancelled"


async def test_answers_quorum_and_reminder_targets(database: Database) -> None:
    async with database.transaction() as session:
        ccas = await add_structure(session, "CCAS", referents=(10, 11))
        media = await add_structure(session, "Médiathèque", referents=(20,), role_id=777)
        mdh = await add_structure(session, "Maison des Habitants", referents=(30,))
        await add_structure(session, "Ancienne structure", referents=(40,), archived_at=NOW)
        # A place of the directory nobody on the server represents: not in the quorum.
        await add_structure(session, "Lieu importé sans référent")
        event = await service.create_event(
            session, None, guild_id=GUILD, draft=draft(), created_by=1, channel_id=5, now=NOW
        )
        # A member with the structure's role (not a referent) answers for it.
        member_structures = await service.member_structures(session, GUILD, 21, role_ids=[777, 1])
        assert member_structures == (media.id,)
        await service.record_answer(
            session,
            event,
            user_id=21,
            response=RsvpResponse.YES,
            delegate_id=None,
            structure_ids=member_structures,
            now=NOW,
        )
        await service.record_answer(
            session,
            event,
            user_id=10,
            response=RsvpResponse.YES,
            delegate_id=None,
            structure_ids=(ccas.id,),
            now=NOW,
        )
        # Changing one's mind replaces the answer.
        await service.record_answer(
            session,
            event,
            user_id=10,
            response=RsvpResponse.REPRESENTED,
            delegate_id=12,
            structure_ids=(ccas.id,),
            now=NOW + timedelta(minutes=1),
        )
        with pytest.raises(EventError) as caught:
            await service.record_answer(
                session,
                event,
                user_id=30,
                response=RsvpResponse.REPRESENTED,
                delegate_id=30,
                structure_ids=(mdh.id,),
                now=NOW,
            )
        assert caught.value.key == "events.error_delegate_self"
    async with database.session() as session:
        event = await service.get_event(session, GUILD, event.id)
        summary = await service.summary_of(session, event, quorum_percent=50)
        assert [a.structure.name for a in summary.represented] == ["CCAS", "Médiathèque"]
        assert summary.represented[0].attendees == [(12, 10)]
        assert [s.name for s in summary.unanswered] == ["Maison des Habitants"]
        assert summary.total == 3 and summary.quorum_reached  # archived one is not counted
        await service.set_dm_opt_out(session, GUILD, 11, True, NOW)
        due = datetime(2027, 3, 25, 13, 0, tzinfo=UTC)
        payload = {
            "event_id": event.id,
            "label": "J-7",
            "planned_starts_at": START.isoformat(),
            "grace_seconds": 6 * 86400,
        }
        work = await service.prepare_reminder(
            session, GUILD, payload, now=due, due_at=due, quorum_percent=50
        )
        assert work.decision is SendDecision.SEND
        assert work.dm_targets == [(30, ["Maison des Habitants"])]  # others answered
        late = await service.prepare_reminder(
            session,
            GUILD,
            payload,
            now=due + timedelta(days=6, hours=1),
            due_at=due,
            quorum_percent=50,
        )
        assert late.decision is SendDecision.SKIP_STALE and late.dm_targets == []


async def test_dm_opt_out_toggles(database: Database) -> None:
    async with database.transaction() as session:
        assert await service.set_dm_opt_out(session, GUILD, 5, True, NOW)
        assert not await service.set_dm_opt_out(session, GUILD, 5, True, NOW)
        assert await service.opted_out_users(session, GUILD) == {5}
        assert await service.opted_out_users(session, GUILD + 1) == set()
        assert await service.set_dm_opt_out(session, GUILD, 5, False, NOW)
        assert await service.opted_out_users(session, GUILD) == set()


async def test_listing_history_and_cadence_inputs(database: Database) -> None:
    async with database.transaction() as session:
        for months_ago in (7, 1):
            await service.create_event(
                session,
                None,
                guild_id=GUILD,
                draft=draft(
                    starts_at=NOW - timedelta(days=30 * months_ago),
                    ends_at=NOW - timedelta(days=30 * months_ago) + timedelta(hours=2),
                ),
                created_by=1,
                channel_id=None,
                now=NOW - timedelta(days=400),
            )
        await service.create_event(
            session,
            None,
            guild_id=GUILD,
            draft=draft(kind=EventKind.ATELIER, title="Atelier France Connect"),
            created_by=1,
            channel_id=None,
            now=NOW,
        )
        cancelled = await service.create_event(
            session,
            None,
            guild_id=GUILD,
            draft=draft(title="COPIL annulé"),
            created_by=1,
            channel_id=None,
            now=NOW,
        )
        await service.cancel_event(session, None, cancelled, by=1, reason="", now=NOW)
    async with database.session() as session:
        past = await service.list_events(
            session, GUILD, now=NOW, upcoming=False, kind=EventKind.COPIL
        )
        assert [e.starts_at for e in past] == sorted((e.starts_at for e in past), reverse=True)
        assert len(past) == 2
        upcoming = await service.list_events(session, GUILD, now=NOW, upcoming=True)
        assert [e.title for e in upcoming] == ["Atelier France Connect", "COPIL annulé"]
        active = await service.list_events(
            session, GUILD, now=NOW, upcoming=True, include_cancelled=False
        )
        assert [e.title for e in active] == ["Atelier France Connect"]
        assert len(await service.copil_starts(session, GUILD)) == 2
        assert await service.guilds_with_events(session) == [GUILD]


async def test_feed_token_lifecycle(database: Database) -> None:
    async with database.transaction() as session:
        assert await service.feed_token(session, GUILD, create=False) is None
        token = await service.feed_token(session, GUILD, create=True, by=1)
        assert token and len(token) >= 32
        assert await service.feed_token(session, GUILD, create=True) == token
        assert await service.check_feed_token(session, GUILD, token)
        assert not await service.check_feed_token(session, GUILD + 1, token)
        tampered = token[:-1] + ("y" if token.endswith("x") else "x")
        assert not await service.check_feed_token(session, GUILD, tampered)
        rotated = await service.rotate_feed_token(session, GUILD, by=1)
        assert rotated != token
        assert not await service.check_feed_token(session, GUILD, token)
        assert await service.check_feed_token(session, GUILD, rotated)


async def test_minutes_rules(database: Database) -> None:
    async with database.transaction() as session:
        event = await service.create_event(
            session, None, guild_id=GUILD, draft=draft(), created_by=1, channel_id=None, now=NOW
        )
        with pytest.raises(EventError) as caught:
            service.check_minutes_allowed(event, NOW)
        assert caught.value.key == "events.error_minutes_before"
        service.check_minutes_allowed(event, START + timedelta(hours=3))


async def test_dms_are_one_delivery_per_person_and_stop_when_the_event_is_cancelled(
    database: Database,
) -> None:
    scheduler = real_scheduler(database, NOW)
    async with database.transaction() as session:
        event = await service.create_event(
            session, None, guild_id=GUILD, draft=draft(), created_by=1, channel_id=5, now=NOW
        )
        key = f"event:{event.id}:reminder:s0:J-7"
        targets = [(7, {"structures": ["CCAS"]}), (8, {"structures": []})]
        for _ in range(2):  # a retried handler schedules the same DMs again
            await service.schedule_dms(
                session, scheduler, event, targets=targets, template="reminder", key=key, now=NOW
            )
    rows = await delivery_rows(database, service.DM_KIND)
    assert [(r.payload["user_id"], r.dedupe_key) for r in rows] == [
        (7, f"{key}:dm:7"),
        (8, f"{key}:dm:8"),
    ]
    async with database.transaction() as session:
        event = await service.get_event(session, GUILD, event.id)
        await service.cancel_event(session, scheduler, event, by=1, reason="", now=NOW)
    assert {r.status for r in await delivery_rows(database, service.DM_KIND)} == {
        DeliveryStatus.CANCELLED
    }


async def test_member_structures_reads_referent_links_and_roles_of_this_member_only(
    database: Database,
) -> None:
    async with database.transaction() as session:
        ccas = await add_structure(session, "CCAS", referents=(10,))
        media = await add_structure(session, "Médiathèque", referents=(20,), role_id=777)
        await add_structure(session, "Ancienne", referents=(10,), role_id=888, archived_at=NOW)
        await add_structure(session, "Ailleurs", guild_id=GUILD + 1, referents=(10,), role_id=777)
        assert await service.member_structures(session, GUILD, 10) == (ccas.id,)
        assert await service.member_structures(session, GUILD, 10, role_ids=[777, 888]) == (
            ccas.id,
            media.id,
        )
        assert await service.member_structures(session, GUILD, 99, role_ids=[1]) == ()
        assert await service.member_structures(session, GUILD, 20, role_ids=[777]) == (media.id,)
