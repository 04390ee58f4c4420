"""Events (COPIL, temps forts) through the real client and the emulated Discord.

The clock starts on 20 March 2027, eight days before the change to summer time
(Sunday 28 March); the COPIL is on Thursday 1 April 2027 at 14:00 in Paris (12:00 UTC).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.clock import Clock
from bot.harness import BotHarness
from bot.library.generate import make_pdf
from db.models import AuditEntry, Document, ScheduledDelivery
from db.models.core import DeliveryStatus
from db.models.events import NetworkEvent

START = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
COPIL_AT = datetime(2027, 4, 1, 12, 0, tzinfo=UTC)  # 14:00 CEST
J7 = datetime(2027, 3, 25, 13, 0, tzinfo=UTC)  # 14:00 CET, before the change
J1 = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)  # 14:00 CEST, after the change
H2 = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data",
        clock=Clock(START),
        extensions=["cogs.core", "cogs.events"],
        seed_capabilities=False,
    ) as harness:
        yield harness


async def settle(h: BotHarness) -> None:
    """Run what became due (DMs scheduled by a handler) and wait for Discord to go quiet."""
    assert h.bot is not None
    for _ in range(3):
        await h.bot.scheduler.run_due()
        await h.emu.wait_idle()


async def advance_to(h: BotHarness, instant: datetime) -> None:
    assert h.bot is not None
    await h.advance(instant - h.clock.now())
    await settle(h)


async def plan_copil(h: BotHarness, **options: Any) -> Any:
    values = {
        "date": "01/04/2027",
        "heure": "14h",
        "lieu": "Mairie de Mérignac, salle du conseil",
        "ordre_du_jour": "1. Bilan du semestre\\n2. Charte",
    }
    values.update(options)
    result = await h.slash("coordinateur", "copil", subcommand="planifier", options=values)
    await settle(h)
    return result


def channel_posts(h: BotHarness) -> list[dict[str, Any]]:
    return h.emu.messages(h.channel("agenda-copil"))


def announcement(h: BotHarness) -> dict[str, Any]:
    event = single_event_message(h)
    assert event is not None
    return event


def single_event_message(h: BotHarness) -> dict[str, Any] | None:
    for message in channel_posts(h):
        if message.get("embeds") and not message.get("content"):
            return h.emu.get_message(int(message["id"]))
    return None


def fields(message: dict[str, Any]) -> dict[str, str]:
    embed = message["embeds"][0]
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def reminders_posted(h: BotHarness) -> list[dict[str, Any]]:
    return [m for m in channel_posts(h) if (m.get("content") or "").startswith("⏰")]


async def stored_event(h: BotHarness) -> NetworkEvent:
    assert h.bot is not None
    async with h.bot.db.session() as session:
        return (await session.execute(select(NetworkEvent))).scalar_one()


async def deliveries(h: BotHarness, kind: str) -> list[ScheduledDelivery]:
    assert h.bot is not None
    async with h.bot.db.session() as session:
        rows = await session.execute(
            select(ScheduledDelivery)
            .where(ScheduledDelivery.kind == kind)
            .order_by(ScheduledDelivery.due_at)
        )
        return list(rows.scalars())


async def test_planning_creates_the_discord_event_announcement_and_reminders(
    h: BotHarness,
) -> None:
    result = await plan_copil(h)
    assert result.ephemeral and "planifié le jeudi 1 avril 2027 à 14:00" in result.text
    assert "J-7 (jeudi 25 mars 2027 à 14:00)" in result.text
    assert "J-1 (mercredi 31 mars 2027 à 14:00)" in result.text

    (create,) = h.emu.calls.filter(method="POST", path=r"/scheduled-events$")
    assert create.status == 200
    body = create.json
    assert body["name"] == "COPIL du 1 avril 2027"
    assert body["privacy_level"] == 2  # guild only
    assert body["entity_type"] == 3  # external
    assert body["entity_metadata"] == {"location": "Mairie de Mérignac, salle du conseil"}
    assert datetime.fromisoformat(body["scheduled_start_time"]) == COPIL_AT
    assert datetime.fromisoformat(body["scheduled_end_time"]) == COPIL_AT + timedelta(hours=2)
    assert body["description"] == "1. Bilan du semestre\n2. Charte"
    assert "channel_id" not in body or body["channel_id"] is None
    (discord_event,) = h.emu.guilds[h.guild_id].scheduled_events.values()

    message = announcement(h)
    labels = [c["label"] for row in message["components"] for c in row["components"]]
    assert labels == ["Je viens", "Je ne viens pas", "Représenté·e par…", "Ajouter à mon agenda"]
    assert "jeudi 1 avril 2027 à 14:00" in message["embeds"][0]["description"]
    posts = h.emu.calls.filter(
        method="POST", path=rf"/channels/{h.channel('agenda-copil')}/messages"
    )
    assert all(c.json["allowed_mentions"]["parse"] == [] for c in posts)

    event = await stored_event(h)
    assert event.discord_event_id == int(discord_event["id"])
    assert event.message_id == int(message["id"])
    reminders = await deliveries(h, "events.reminder")
    assert [(r.payload["label"], r.due_at) for r in reminders] == [
        ("J-7", J7),
        ("J-1", J1),
        ("H-2", H2),
    ]  # J-14 (18 March) was already past when planning on 20 March
    assert reminders[0].grace_seconds == int((J1 - J7).total_seconds())
    async with h.bot.db.session() as session:
        audit = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "events.plan" in audit


async def test_refusals_and_bad_input_change_nothing(h: BotHarness) -> None:
    refused = await h.slash(
        "membre",
        "copil",
        subcommand="planifier",
        options={"date": "01/04/2027", "heure": "14h", "lieu": "Mairie"},
    )
    assert refused.ephemeral and "réservée aux coordinateurs" in refused.text
    for options, expected in [
        (
            {"date": "31/02/2027", "heure": "14h", "lieu": "Mairie"},
            "Date « 31/02/2027 » incomprise",
        ),
        ({"date": "01/04/2027", "heure": "25h", "lieu": "Mairie"}, "Heure « 25h » incomprise"),
        ({"date": "01/03/2027", "heure": "14h", "lieu": "Mairie"}, "déjà passée"),
        ({"date": "01/04/2027", "heure": "14h"}, "Indiquez où a lieu"),
        (
            {"date": "01/04/2027", "heure": "14h", "lien_visio": "visio.example.org"},
            "n'est pas une adresse web valable",
        ),
        (
            {"date": "01/04/2027", "heure": "14h", "lieu": "Mairie", "rappels": "J-7, la veille"},
            "Rappel « la » incompris",
        ),
    ]:
        result = await h.slash("coordinateur", "copil", subcommand="planifier", options=options)
        assert result.ephemeral and expected in result.text, result.text
    assert not h.emu.calls.filter(method="POST", path=r"/scheduled-events$")
    assert not channel_posts(h)
    async with h.bot.db.session() as session:
        assert (await session.execute(select(NetworkEvent))).first() is None
    assert await deliveries(h, "events.reminder") == []


async def test_rsvps_from_several_members_show_the_quorum(h: BotHarness) -> None:
    await plan_copil(h)
    message_id = int(announcement(h)["id"])
    ccas = await h.emu.click(h.guild_id, h.person("referent"), message=message_id, label="Je viens")
    assert ccas.ephemeral and "vous venez" in ccas.text
    beutre = await h.emu.click(
        h.guild_id, h.person("referente-beutre"), message=message_id, label="Je ne viens pas"
    )
    assert "vous ne venez pas" in beutre.text
    prompt = await h.emu.click(
        h.guild_id, h.person("membre"), message=message_id, label="Représenté·e par…"
    )
    assert prompt.ephemeral and "Qui vous représentera" in prompt.text
    chosen = await h.emu.select(
        h.guild_id, h.person("membre"), message=prompt, values=[h.person("conseiller")]
    )
    assert f"<@{h.person('conseiller')}> vous représentera" in chosen.text
    guest = await h.emu.click(h.guild_id, h.person("nouveau"), message=message_id, label="Je viens")
    assert guest.ephemeral and "réservée aux membres validés" in guest.text
    await settle(h)

    shown = fields(h.emu.get_message(message_id))
    represented = next(
        v for k, v in shown.items() if k.startswith("✅ Structures représentées (1)")
    )
    assert f"CCAS — <@{h.person('referent')}>" in represented
    assert "MDH Beutre" in shown["❌ Excusées (1)"]
    # The quorum counts the structures someone on the server answers for (the demo's two
    # with a referent), not the places of the directory nobody represents.
    assert "⏳ Sans réponse (0)" in shown
    footer = h.emu.get_message(message_id)["embeds"][0]["footer"]["text"]
    assert "Quorum atteint : 1/2" in footer and "2 participant·e·s" in footer
    # The delegate is told by DM.
    (dm,) = h.emu.dm_messages(h.person("conseiller"))
    assert f"<@{h.person('membre')}> vous a désigné·e" in dm["content"]

    # Changing one's mind replaces the answer; the Beutre referent now comes.
    await h.emu.click(
        h.guild_id, h.person("referente-beutre"), message=message_id, label="Je viens"
    )
    await settle(h)
    shown = fields(h.emu.get_message(message_id))
    assert "✅ Structures représentées (2)" in shown and "❌ Excusées (0)" in shown


async def test_reminders_fire_at_paris_time_across_the_dst_change_and_dm_silent_referents(
    h: BotHarness,
) -> None:
    await plan_copil(h)
    await h.emu.click(h.guild_id, h.person("referent"), label="Je viens")  # CCAS answered
    await advance_to(h, J7 - timedelta(minutes=1))
    assert reminders_posted(h) == []
    await advance_to(h, J7 + timedelta(seconds=1))
    (j7,) = reminders_posted(h)
    assert "jeudi 1 avril 2027 à 14:00" in j7["content"]
    assert "envoyé en retard" not in j7["content"]
    # Only the referent of a structure that has not answered gets a DM.
    assert h.emu.dm_messages(h.person("referent")) == []
    (dm,) = h.emu.dm_messages(h.person("referente-beutre"))
    assert "MDH Beutre" in dm["content"] and "n'a pas encore répondu" in dm["content"]
    assert dm["nonce"].startswith("aig-d")

    # She opts out from the DM; the J-1 channel reminder still comes, at 14:00 CEST.
    optout = await h.emu.click(
        None,
        h.person("referente-beutre"),
        message=dm,
        label="Ne plus recevoir ces rappels en privé",
    )
    assert "ne recevrez plus" in optout.text
    await advance_to(h, J1 - timedelta(minutes=1))
    assert len(reminders_posted(h)) == 1
    await advance_to(h, J1 + timedelta(seconds=1))
    assert len(reminders_posted(h)) == 2
    assert len(h.emu.dm_messages(h.person("referente-beutre"))) == 2  # her DM + opt-out answer
    sent = await deliveries(h, "events.reminder")
    assert [d.status for d in sent] == [
        DeliveryStatus.SENT,
        DeliveryStatus.SENT,
        DeliveryStatus.PENDING,
    ]
    assert sent[0].sent_at is not None and sent[0].sent_at - J7 < timedelta(minutes=1)
    assert sent[1].sent_at is not None and sent[1].sent_at - J1 < timedelta(minutes=1)


async def test_restart_between_two_reminders_sends_each_exactly_once(h: BotHarness) -> None:
    await plan_copil(h)
    await advance_to(h, J7 + timedelta(seconds=1))
    assert len(reminders_posted(h)) == 1
    dms_before = len(h.emu.dm_messages(h.person("referent")))
    await h.restart()
    await settle(h)
    assert len(reminders_posted(h)) == 1, "nothing is re-sent on restart"
    # The announcement's buttons still work after the restart (persistent custom ids).
    answer = await h.emu.click(
        h.guild_id, h.person("referent"), message=int(announcement(h)["id"]), label="Je viens"
    )
    assert "vous venez" in answer.text
    await advance_to(h, J1 + timedelta(seconds=1))
    assert len(reminders_posted(h)) == 2
    # The CCAS answered in between: its referent is not reminded again.
    assert len(h.emu.dm_messages(h.person("referent"))) == dms_before
    statuses = [d.status for d in await deliveries(h, "events.reminder")]
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.PENDING]


async def test_bot_down_across_reminders_sends_useful_late_and_skips_stale(h: BotHarness) -> None:
    await plan_copil(h)
    await h.stop_bot()
    # Down from before J-7 until three hours after J-1: J-7 is superseded by J-1 (stale),
    # J-1 still helps (the COPIL is tomorrow... well, in 21 hours) and goes out late.
    h.clock.advance(J1 + timedelta(hours=3) - h.clock.now())
    await h.start_bot()
    await settle(h)
    posts = reminders_posted(h)
    assert len(posts) == 1
    assert "Rappel prévu le mercredi 31 mars 2027 à 14:00, envoyé en retard" in posts[0]["content"]
    rows = {d.payload["label"]: d for d in await deliveries(h, "events.reminder")}
    assert rows["J-7"].status == DeliveryStatus.SKIPPED
    assert "overdue" in (rows["J-7"].last_error or "")
    assert rows["J-1"].status == DeliveryStatus.SENT
    assert rows["H-2"].status == DeliveryStatus.PENDING
    # Down again across H-2 until after the start: nothing is sent for a meeting under way.
    await h.stop_bot()
    h.clock.advance(COPIL_AT + timedelta(minutes=30) - h.clock.now())
    await h.start_bot()
    await settle(h)
    assert len(reminders_posted(h)) == 1
    rows = {d.payload["label"]: d for d in await deliveries(h, "events.reminder")}
    assert rows["H-2"].status == DeliveryStatus.SKIPPED


async def test_editing_moves_the_discord_event_replans_and_notifies(h: BotHarness) -> None:
    await plan_copil(h)
    await h.emu.click(h.guild_id, h.person("referent"), label="Je viens")
    choices = await h.emu.autocomplete(
        h.guild_id, h.person("coordinateur"), "copil", "evenement", "1 avr", subcommand="modifier"
    )
    assert len(choices) == 1 and "COPIL du 1 avril 2027" in choices[0]["name"]
    result = await h.slash(
        "coordinateur",
        "copil",
        subcommand="modifier",
        options={
            "evenement": choices[0]["value"],
            "date": "08/04/2027",
            "lieu": "Médiathèque Michel-Serres",
        },
    )
    await settle(h)
    assert "modifié" in result.text, result.text
    (patch,) = h.emu.calls.filter(method="PATCH", path=r"/scheduled-events/\d+$")
    assert datetime.fromisoformat(patch.json["scheduled_start_time"]) == COPIL_AT + timedelta(
        days=7
    )
    assert patch.json["entity_metadata"] == {"location": "Médiathèque Michel-Serres"}
    assert "jeudi 8 avril 2027 à 14:00" in announcement(h)["embeds"][0]["description"]
    event = await stored_event(h)
    assert event.sequence == 1
    # Old reminders cancelled, new ones planned for the new date.
    rows = await deliveries(h, "events.reminder")
    assert {d.status for d in rows if d.payload["planned_starts_at"].startswith("2027-04-01")} == {
        DeliveryStatus.CANCELLED
    }
    new = [d for d in rows if d.status == DeliveryStatus.PENDING]
    assert [d.payload["label"] for d in new] == ["J-14", "J-7", "J-1", "H-2"]
    # The member who had answered gets a DM with the updated .ics (same UID, SEQUENCE 1).
    (notice,) = h.emu.dm_messages(h.person("referent"))
    assert "Changement" in notice["content"] and "jeudi 8 avril 2027" in notice["content"]
    (attachment,) = notice["attachments"]
    (vevent,) = Calendar.from_ical(h.emu.blob(attachment)).walk("VEVENT")
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) == 1
    assert vevent.decoded("DTSTART") == COPIL_AT + timedelta(days=7)


async def test_cancelling_cancels_everywhere(h: BotHarness) -> None:
    await plan_copil(h)
    await h.emu.click(h.guild_id, h.person("referent"), label="Je viens")
    event = await stored_event(h)
    member_try = await h.slash(
        "membre", "copil", subcommand="annuler", options={"evenement": event.id}
    )
    assert "réservée aux coordinateurs" in member_try.text
    result = await h.slash(
        "coordinateur",
        "copil",
        subcommand="annuler",
        options={"evenement": event.id, "motif": "Salle indisponible"},
    )
    await settle(h)
    assert "est annulé" in result.text
    (patch,) = h.emu.calls.filter(method="PATCH", path=r"/scheduled-events/\d+$")
    assert patch.json["status"] == 4  # canceled
    message = announcement(h)
    assert message["embeds"][0]["title"].startswith("[ANNULÉ]")
    labels = [c["label"] for row in message["components"] for c in row["components"]]
    assert labels == ["Ajouter à mon agenda"]
    assert {d.status for d in await deliveries(h, "events.reminder")} == {DeliveryStatus.CANCELLED}
    (notice,) = h.emu.dm_messages(h.person("referent"))
    assert "annulé" in notice["content"] and "Salle indisponible" in notice["content"]
    (vevent,) = Calendar.from_ical(h.emu.blob(notice["attachments"][0])).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    again = await h.slash(
        "coordinateur", "copil", subcommand="annuler", options={"evenement": event.id}
    )
    assert "est annulé : il ne peut plus" in again.text


async def test_minutes_are_filed_posted_and_notified_then_history(h: BotHarness) -> None:
    await plan_copil(h)
    await h.emu.click(h.guild_id, h.person("referent"), label="Je viens")
    await h.emu.click(h.guild_id, h.person("referente-beutre"), label="Je ne viens pas")
    event = await stored_event(h)
    early = await h.slash(
        "coordinateur",
        "copil",
        subcommand="compte-rendu",
        options={"evenement": event.id, "fichier": ("cr.pdf", b"%PDF-1.4 early")},
    )
    assert "après le début" in early.text
    await advance_to(h, COPIL_AT + timedelta(minutes=1))
    # The meeting has begun: answers are closed on the announcement, the .ics stays.
    labels = [c["label"] for row in announcement(h)["components"] for c in row["components"]]
    assert labels == ["Ajouter à mon agenda"]
    await advance_to(h, COPIL_AT + timedelta(hours=3))
    # A real PDF: the library refuses damaged files (bot.documents checks every file).
    pdf = make_pdf("Compte rendu du COPIL", ["Décisions du COPIL."])
    result = await h.slash(
        "coordinateur",
        "copil",
        subcommand="compte-rendu",
        options={
            "evenement": event.id,
            "fichier": ("compte-rendu-copil.pdf", pdf, "application/pdf"),
            "resume": "Charte adoptée ; prochain COPIL en octobre.",
        },
    )
    await settle(h)
    assert "classé dans la bibliothèque" in result.text, result.text
    async with h.bot.db.session() as session:
        document = (await session.execute(select(Document))).scalar_one()
        assert document.origin == "minutes" and "compte-rendu" in document.tags
        assert await h.bot.documents.get_bytes(document.current) == pdf
    post = channel_posts(h)[-1]
    assert post["content"].startswith("📝 Compte rendu") and "Charte adoptée" in post["content"]
    assert h.emu.blob(post["attachments"][0]) == pdf
    attendee_dm = h.emu.dm_messages(h.person("referent"))[-1]
    assert "compte rendu" in attendee_dm["content"] and post["id"] in attendee_dm["content"]
    absent_dm = h.emu.dm_messages(h.person("referente-beutre"))[-1]
    assert "n'était pas représentée" in absent_dm["content"]

    history = await h.slash("membre", "copil", subcommand="historique")
    assert history.ephemeral
    assert "COPIL du 1 avril 2027 — 1/2 structures représentées, 1 participant·e·s" in history.text
    assert "compte rendu : ✅" in history.text


async def test_ics_button_and_subscribed_feed(h: BotHarness) -> None:
    await plan_copil(h)
    await plan_copil(h, date="15/06/2027", titre="Forum de l'emploi numérique")
    clicked = await h.emu.click(
        h.guild_id,
        h.person("membre"),
        message=int(announcement(h)["id"]),
        label="Ajouter à mon agenda",
    )
    assert clicked.ephemeral
    (attachment,) = clicked.attachments
    assert attachment["filename"].endswith(".ics")
    calendar = Calendar.from_ical(h.emu.blob(attachment))
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent.decoded("DTSTART") == COPIL_AT
    assert calendar.walk("VTIMEZONE")

    feed = await h.slash("membre", "evenement", subcommand="agenda")
    assert feed.ephemeral and "Outlook" in feed.text
    url = next(word for word in feed.text.split() if word.startswith("http"))
    renew_refused = await h.slash(
        "membre", "evenement", subcommand="agenda", options={"renouveler": True}
    )
    assert "réservée aux coordinateurs" in renew_refused.text
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            body = await response.read()
        wrong = url.rsplit("=", 1)[0] + "=wrong"
        async with http.get(wrong) as response:
            assert response.status == 404
        event = await stored_event_by_title(h, "Forum de l'emploi numérique")
        single = url.replace("/events.ics", f"/events/{event.id}.ics")
        async with http.get(single) as response:
            assert response.status == 200
            (one,) = Calendar.from_ical(await response.read()).walk("VEVENT")
            assert str(one["UID"]) == event.uid
    titles = sorted(str(v["SUMMARY"]) for v in Calendar.from_ical(body).walk("VEVENT"))
    assert titles == ["COPIL du 1 avril 2027", "Forum de l'emploi numérique"]
    # Unchanged events give the same feed; an edit shows up at the next poll.
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert await response.read() == body
    await h.slash(
        "coordinateur",
        "evenement",
        subcommand="modifier",
        options={"evenement": event.id, "titre": "Forum de l'emploi et du numérique"},
    )
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        changed = Calendar.from_ical(await response.read())
    edited = next(v for v in changed.walk("VEVENT") if str(v["UID"]) == event.uid)
    assert str(edited["SUMMARY"]) == "Forum de l'emploi et du numérique"
    assert int(edited["SEQUENCE"]) == 1
    renewed = await h.slash(
        "coordinateur", "evenement", subcommand="agenda", options={"renouveler": True}
    )
    assert "Nouvelle adresse" in renewed.text
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 404, "the old address stops working"


async def stored_event_by_title(h: BotHarness, title: str) -> NetworkEvent:
    async with h.bot.db.session() as session:
        return (
            await session.execute(select(NetworkEvent).where(NetworkEvent.title == title))
        ).scalar_one()


async def test_semester_cadence_reminds_coordinators_once_per_period(h: BotHarness) -> None:
    await plan_copil(h)
    coordination = h.channel("coordination")
    await advance_to(h, COPIL_AT + timedelta(days=30))
    assert not [m for m in h.emu.messages(coordination) if "COPIL" in (m.get("content") or "")]
    # Four and a half months after the last COPIL, nothing planned: within the lead window.
    await advance_to(h, COPIL_AT + timedelta(days=137))
    notes = [m for m in h.emu.messages(coordination) if "COPIL" in (m.get("content") or "")]
    assert len(notes) == 1 and "le prochain est attendu avant le 1 oct. 2027" in notes[0]["content"]
    await advance_to(h, COPIL_AT + timedelta(days=140))
    notes = [m for m in h.emu.messages(coordination) if "COPIL" in (m.get("content") or "")]
    assert len(notes) == 1, "once per period, not every day"
    # Planning the next COPIL within the horizon stops the reminders.
    result = await plan_copil(h, date="20/09/2027")
    assert "planifié" in result.text
    await advance_to(h, COPIL_AT + timedelta(days=175))
    notes = [m for m in h.emu.messages(coordination) if "COPIL" in (m.get("content") or "")]
    assert len(notes) == 1


async def test_english_member_gets_english_answers(h: BotHarness) -> None:
    await plan_copil(h)
    answer = await h.emu.click(h.guild_id, h.person("english"), label="Je viens")
    assert "Noted: you are coming" in answer.text
    listing = await h.slash("english", "evenement", subcommand="liste", locale="en-US")
    assert (
        "Upcoming network events" in listing.text
        and "Thursday 1 April 2027 at 14:00" in listing.text
    )


async def test_demo_network_has_an_upcoming_copil_with_answers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "demo", clock=Clock(START), extensions=["cogs.core", "cogs.events"]
    ) as demo:
        await settle(demo)
        listing = await demo.slash("membre", "evenement", subcommand="liste")
        assert "COPIL « COPIL du semestre »" in listing.text
        assert "Forum du numérique pour tous" in listing.text
        assert len(demo.emu.guilds[demo.guild_id].scheduled_events) == 2
        copil = next(
            m
            for m in demo.emu.messages(demo.channel("agenda-copil"))
            if "COPIL du semestre" in m["embeds"][0]["title"]
        )
        shown = fields(copil)
        assert "✅ Structures représentées (2)" in shown  # CCAS in person, MDH Beutre by delegate
        history = await demo.slash("membre", "copil", subcommand="historique")
        assert "COPIL du plan pour un numérique inclusif" in history.text
        # Seeding twice (a second demo start) adds nothing.
        await demo.seed_capability_demos()
        async with demo.bot.db.session() as session:
            assert len((await session.execute(select(NetworkEvent))).scalars().all()) == 3


async def test_workshop_in_a_voice_channel_is_a_voice_discord_event(h: BotHarness) -> None:
    voice = await h.emu.create_channel(h.guild_id, "Réunions en vocal", type=2)
    await h.emu.wait_idle()
    result = await h.slash(
        "coordinateur",
        "evenement",
        subcommand="planifier",
        options={
            "type": "atelier",
            "titre": "Atelier FranceConnect",
            "date": "2027-04-06",
            "heure": "9h30",
            "duree": "1h30",
            "salon_vocal": voice.id,
        },
    )
    await settle(h)
    assert "Atelier « Atelier FranceConnect » planifié le mardi 6 avril 2027 à 09:30" in result.text
    (create,) = h.emu.calls.filter(method="POST", path=r"/scheduled-events$")
    assert create.json["entity_type"] == 2 and int(create.json["channel_id"]) == voice.id
    assert not create.json.get("entity_metadata")
    assert datetime.fromisoformat(create.json["scheduled_end_time"]) - datetime.fromisoformat(
        create.json["scheduled_start_time"]
    ) == timedelta(minutes=90)
    assert f"<#{voice.id}>" in announcement(h)["embeds"][0]["description"]


async def test_discord_refusing_the_scheduled_event_keeps_the_event_and_repairs_later(
    h: BotHarness,
) -> None:
    h.emu.inject("POST", r"/guilds/\d+/scheduled-events$", status=403, code=50013, times=1)
    result = await plan_copil(h)
    assert "planifié" in result.text and "Gérer les événements" in result.text
    event = await stored_event(h)
    assert event.discord_event_id is None and event.message_id is not None
    assert not h.emu.guilds[h.guild_id].scheduled_events
    # Any later edit re-syncs: the Discord event now gets created.
    edited = await h.slash(
        "coordinateur",
        "copil",
        subcommand="modifier",
        options={"evenement": event.id, "heure": "14h30"},
    )
    await settle(h)
    assert "modifié" in edited.text and "Gérer les événements" not in edited.text
    (discord_event,) = h.emu.guilds[h.guild_id].scheduled_events.values()
    assert datetime.fromisoformat(discord_event["scheduled_start_time"]) == COPIL_AT + timedelta(
        minutes=30
    )
    assert (await stored_event(h)).discord_event_id == int(discord_event["id"])


async def test_corrected_minutes_become_a_new_version(h: BotHarness) -> None:
    await plan_copil(h)
    event = await stored_event(h)
    await advance_to(h, COPIL_AT + timedelta(days=1))
    versions = (make_pdf("Compte rendu", ["v1"]), make_pdf("Compte rendu", ["v2 corrigée"]))
    for content in versions:
        result = await h.slash(
            "coordinateur",
            "copil",
            subcommand="compte-rendu",
            options={"evenement": event.id, "fichier": ("cr.pdf", content, "application/pdf")},
        )
        assert "classé" in result.text, result.text
    async with h.bot.db.session() as session:
        (document,) = (await session.execute(select(Document))).scalars().all()
        assert [v.number for v in document.versions] == [1, 2]
        assert await h.bot.documents.get_bytes(document.current) == versions[1]


async def test_discord_event_deleted_by_hand_then_cancel_is_quiet(h: BotHarness) -> None:
    await plan_copil(h)
    h.emu.guilds[h.guild_id].scheduled_events.clear()  # an admin deleted it in Discord
    event = await stored_event(h)
    result = await h.slash(
        "coordinateur", "copil", subcommand="annuler", options={"evenement": event.id}
    )
    await settle(h)
    assert "est annulé" in result.text and "⚠️" not in result.text
    assert (await stored_event(h)).discord_event_id is None
    assert announcement(h)["embeds"][0]["title"].startswith("[ANNULÉ]")
