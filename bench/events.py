"""Events at network scale: answers, reminder fan-out and the calendar feed.

The real bot against the emulated Discord on a network of 40 structures, one referent
each (members of the server):

* **RSVP**: each referent clicks "Je viens" on the announcement; time until the
  ephemeral confirmation (what the member waits for) and until the announcement shows the
  new answer (the refresh that follows);
* **reminder fan-out**: a reminder falls due while 20 structures have not answered; time
  from the due instant until the channel post and every DM to silent referents are out;
* **feed**: the guild's iCalendar feed over HTTP with 200 events, and building 1,000
  VEVENTs in memory.

Prints readable figures, then one JSON line.

    ./dev bench events [--structures 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import Clock  # noqa: E402
from bot.harness import BotHarness  # noqa: E402
from cogs.events import service  # noqa: E402
from cogs.events.ical import CalendarEntry, build_calendar  # noqa: E402
from cogs.events.service import EventDraft  # noqa: E402
from db.models import Referent, Structure  # noqa: E402
from db.models.events import EventKind  # noqa: E402

START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def add_referents(h: BotHarness, count: int) -> list[int]:
    assert h.bot is not None
    users = []
    for n in range(count):
        member = await h.emu.member_join(
            h.guild_id, f"referent-bench-{n}", roles=[h.network.roles["member"]]
        )  # type: ignore[union-attr]
        users.append(member.id)
    async with h.bot.db.transaction() as session:
        for n, user_id in enumerate(users):
            structure = Structure(
                guild_id=h.guild_id,
                external_id=f"bench-{n}",
                nom=f"Structure de test {n:02d}",
                commune="Mérignac",
                code_postal="33700",
                adresse=f"{n} avenue de la République",
                date_maj=date(2027, 1, 1),
            )
            session.add(structure)
            await session.flush()
            session.add(Referent(guild_id=h.guild_id, structure_id=structure.id, user_id=user_id))
    await h.emu.wait_idle()
    return users


async def bench_rsvp_and_reminders(structures: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with BotHarness(
            Path(tmp) / "data",
            clock=Clock(START),
            extensions=["cogs.core", "cogs.events"],
            seed_capabilities=False,
        ) as h:
            assert h.bot is not None
            users = await add_referents(h, structures)
            started = time.perf_counter()
            await h.slash(
                "coordinateur",
                "copil",
                subcommand="planifier",
                options={"date": "15/03/2027", "heure": "14h", "lieu": "Hôtel de ville"},
            )
            plan_latency = time.perf_counter() - started
            await h.emu.wait_idle()
            event_message = next(
                m for m in h.emu.messages(h.channel("agenda-copil")) if m.get("embeds")
            )
            message_id = int(event_message["id"])
            confirm, refreshed = [], []
            answering = users[: structures // 2]
            for n, user_id in enumerate(answering, start=1):
                started = time.perf_counter()
                answer = await h.emu.click(
                    h.guild_id, user_id, message=message_id, label="Je viens"
                )
                confirm.append(answer.latency or (time.perf_counter() - started))
                wanted = f"Structures représentées ({n + 0})"
                while True:
                    shown = h.emu.get_message(message_id)
                    names = [f["name"] for f in shown["embeds"][0]["fields"]]
                    if any(wanted in name for name in names):
                        break
                    await asyncio.sleep(0.002)
                refreshed.append(time.perf_counter() - started)
            # J-7 of 15 March 14:00 is 8 March 13:00 UTC; half the structures are silent.
            due = datetime(2027, 3, 8, 13, 0, tzinfo=UTC)
            h.clock.advance(due - h.clock.now())
            silent = users[structures // 2 :]
            started = time.perf_counter()
            await h.bot.scheduler.run_due()
            while not all(h.emu.dm_messages(u) for u in silent):
                await h.bot.scheduler.run_due()
                await asyncio.sleep(0.005)
            fan_out = time.perf_counter() - started
            return {
                "plan_latency_s": round(plan_latency, 3),
                "rsvp_confirm_p50_ms": round(statistics.median(confirm) * 1000, 1),
                "rsvp_confirm_p95_ms": round(percentile(confirm, 0.95) * 1000, 1),
                "rsvp_refreshed_p95_ms": round(percentile(refreshed, 0.95) * 1000, 1),
                "reminder_fanout_s": round(fan_out, 3),
                "reminder_dms": len(silent),
            }


async def bench_feed(events: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with BotHarness(
            Path(tmp) / "data",
            clock=Clock(START),
            extensions=["cogs.core", "cogs.events"],
            seed_capabilities=False,
        ) as h:
            assert h.bot is not None
            now = h.clock.now()
            async with h.bot.db.transaction() as session:
                for n in range(events):
                    starts = now + timedelta(days=n % 300 + 1, hours=n % 5)
                    await service.create_event(
                        session,
                        None,
                        guild_id=h.guild_id,
                        draft=EventDraft(
                            kind=EventKind.ATELIER,
                            title=f"Atelier numérique n°{n}",
                            starts_at=starts,
                            ends_at=starts + timedelta(hours=2),
                            agenda="Découverte des démarches en ligne\nFranceConnect",
                            location="Médiathèque",
                        ),
                        created_by=None,
                        channel_id=None,
                        now=now,
                    )
                token = await service.feed_token(session, h.guild_id, create=True)
            url = h.bot.web.url(f"/g/{h.guild_id}/events.ics?token={token}")
            timings = []
            async with aiohttp.ClientSession() as http:
                for _ in range(10):
                    started = time.perf_counter()
                    async with http.get(url) as response:
                        body = await response.read()
                        assert response.status == 200
                    timings.append(time.perf_counter() - started)
    entries = [
        CalendarEntry(
            uid=f"{n}@bench",
            title=f"Atelier {n}",
            starts_at=START + timedelta(days=n),
            ends_at=START + timedelta(days=n, hours=2),
            description="Programme",
            location="Médiathèque",
        )
        for n in range(1000)
    ]
    started = time.perf_counter()
    build_calendar(entries, name="bench", now=START)
    build_1000 = time.perf_counter() - started
    return {
        "feed_events": events,
        "feed_http_first_ms": round(timings[0] * 1000, 1),
        "feed_http_p50_ms": round(statistics.median(timings[1:]) * 1000, 1),
        "feed_bytes": len(body),
        "ical_build_1000_ms": round(build_1000 * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--structures", type=int, default=40)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    figures = asyncio.run(bench_rsvp_and_reminders(args.structures))
    figures.update(asyncio.run(bench_feed(args.events)))
    figures["structures"] = args.structures
    print(f"Réseau de {args.structures} structures (+ celles du réseau de démo)")
    print(
        f"  /copil planifier (jusqu'à la réponse finale, événement Discord et annonce compris) : "
        f"{figures['plan_latency_s']} s"
    )
    print(
        f"  « Je viens » → confirmation : médiane {figures['rsvp_confirm_p50_ms']} ms, "
        f"p95 {figures['rsvp_confirm_p95_ms']} ms"
    )
    print(f"  « Je viens » → annonce à jour : p95 {figures['rsvp_refreshed_p95_ms']} ms")
    print(
        f"  rappel J-7 : publication + {figures['reminder_dms']} MP en "
        f"{figures['reminder_fanout_s']} s"
    )
    print(
        f"  flux iCalendar ({figures['feed_events']} événements, {figures['feed_bytes']} octets) : "
        f"1re requête {figures['feed_http_first_ms']} ms, suivantes (inchangé) "
        f"médiane {figures['feed_http_p50_ms']} ms"
    )
    print(f"  1 000 VEVENT en mémoire : {figures['ical_build_1000_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
