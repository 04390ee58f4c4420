"""Sustained interactions per second, and latency from gateway event to callback.

The real bot behind the emulated Discord, on the demo network plus a crowd of members
(200 by default), receives a mixed open-loop stream of slash commands, autocompletes and
button clicks (rows of ``bench/loadgen.py``: /orienter, /structure fiche, COPIL answers,
/aide, /evenement liste, /doc chercher and /charte voir once those capabilities are
merged). By default the bot runs alone in a child process, as in production; the emulator
(and this load generator) run here. Latency is measured by the emulator: from the moment
it sends INTERACTION_CREATE on the gateway to the moment the bot's callback arrives.

    ./dev bench interactions [--rate 100] [--duration 30] [--members 200] [--find-max]
                             [--in-process] [--postgres]

"lost": never acknowledged, or a deferred answer never completed (15 s); "late": first
answer after Discord's 3-second deadline. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import LoadWorld, StreamResult, available_actions, run_stream  # noqa: E402

TARGET_RATE = 100.0
TARGET_P99_MS = 250.0


def describe(label: str, rate: float, result: StreamResult) -> None:
    print(
        f"{label}: offered {rate:.0f}/s for {result.offered / rate:.0f} s → "
        f"{result.throughput:.1f}/s completed, p50 {result.percentile_ms(50):.1f} ms, "
        f"p95 {result.percentile_ms(95):.1f} ms, p99 {result.percentile_ms(99):.1f} ms, "
        f"lost {result.lost}, late {result.late}"
    )


def sustained(result: StreamResult, rate: float) -> bool:
    return (
        result.lost == 0
        and result.late == 0
        and result.throughput >= 0.95 * rate
        and result.percentile_ms(99) < TARGET_P99_MS
    )


async def measure(args: argparse.Namespace) -> dict[str, object]:
    database_url = None
    dropper = None
    if args.postgres:
        from tests.conftest import create_pg_database, drop_pg_database

        database_url = await create_pg_database()
        dropper = drop_pg_database
    world = LoadWorld(
        members=args.members, bot_process=not args.in_process, database_url=database_url
    )

    async def fill(w: LoadWorld) -> None:
        from bench.volumes import add_documents, add_structures

        bot = w.harness.bot
        assert bot is not None
        await add_structures(bot.db, w.harness.guild_id, args.structures)
        await add_documents(bot.documents, w.harness.guild_id, args.documents)

    try:
        await world.start(before_bot=fill if args.structures or args.documents else None)
        actions, skipped = available_actions(world)
        if args.only:
            wanted = {name.strip() for name in args.only.split(",")}
            actions = [a for a in actions if a.name in wanted]
        print(
            f"Bot {'in a child process (pid ' + str(world.bot_pid) + ')' if world.bot_pid else 'in this process'}, "
            f"{'PostgreSQL' if args.postgres else 'SQLite'}, {len(world.crowd)} extra members, "
            f"{len(world.structure_ids)} structures",
            file=sys.stderr,
        )
        print("Mix: " + ", ".join(f"{a.name} ({a.weight:g})" for a in actions), file=sys.stderr)
        if skipped:
            print("Not in this build (skipped): " + ", ".join(skipped), file=sys.stderr)
        await run_stream(world, actions, rate=20, duration=3)  # warm caches and pools
        bot_proc = psutil.Process(world.bot_pid or os.getpid())
        bot_proc.cpu_percent()
        here = psutil.Process()
        here.cpu_percent()
        psutil.cpu_percent()
        cpu_before = sum(bot_proc.cpu_times()[:2])
        result = await run_stream(world, actions, rate=args.rate, duration=args.duration)
        bot_cpu = bot_proc.cpu_percent()
        emulator_cpu = here.cpu_percent() if world.bot_pid else 0.0
        machine_cpu = psutil.cpu_percent()
        cpu_ms = (sum(bot_proc.cpu_times()[:2]) - cpu_before) * 1000 / max(len(result.samples), 1)
        describe("Target run", args.rate, result)
        print("Per action (count, p50 ms, p99 ms):")
        for name, (count, p50, p99) in result.by_action().items():
            print(f"  {name:28s} {count:6d} {p50:8.1f} {p99:8.1f}")
        print(
            f"Bot process CPU during the run: {bot_cpu:.0f} % of one core, "
            f"{cpu_ms:.1f} ms of CPU per interaction"
        )
        if world.bot_pid:
            print(f"Emulator + load generator process: {emulator_cpu:.0f} % of one core")
        print(f"Whole machine busy: {machine_cpu:.0f} % of {os.cpu_count()} cores")
        best = None
        if args.find_max:
            rate = args.rate
            while rate <= args.max_rate:
                step = await run_stream(world, actions, rate=rate, duration=args.step_duration)
                describe("  step", rate, step)
                if not sustained(step, rate):
                    break
                best = rate
                rate += args.step
            print(
                f"Highest sustained rate (p99 < {TARGET_P99_MS:.0f} ms, none lost or late): {best}/s"
            )
        load1, _, _ = os.getloadavg()
        figures: dict[str, object] = {
            "interactions_per_s": round(result.throughput, 1),
            "offered_per_s": args.rate,
            "p50_ms": round(result.percentile_ms(50), 1),
            "p95_ms": round(result.percentile_ms(95), 1),
            "p99_ms": round(result.percentile_ms(99), 1),
            "lost": result.lost,
            "late": result.late,
            "interactions": len(result.samples),
            "bot_cpu_percent": round(bot_cpu),
            "bot_cpu_ms_per_interaction": round(cpu_ms, 2),
            "emulator_cpu_percent": round(emulator_cpu),
            "machine_cpu_percent": round(machine_cpu),
            "members": len(world.crowd),
            "extra_structures": args.structures,
            "extra_documents": args.documents,
            "bot_process": not args.in_process,
            "engine": "postgresql" if args.postgres else "sqlite",
            "skipped": skipped,
            "load_avg_1m": round(load1, 2),
            "cores": os.cpu_count(),
        }
        if args.find_max:
            figures["max_sustained_per_s"] = best
        return figures
    finally:
        await world.stop()
        if dropper is not None and database_url is not None:
            await dropper(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="interactions per second")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load")
    parser.add_argument("--members", type=int, default=200, help="extra members in the guild")
    parser.add_argument("--in-process", action="store_true", help="bot in this process")
    parser.add_argument("--postgres", action="store_true", help="throwaway PostgreSQL database")
    parser.add_argument("--structures", type=int, default=0, help="extra directory entries")
    parser.add_argument("--documents", type=int, default=0, help="extra library documents")
    parser.add_argument("--only", help="comma-separated action names (default: the whole mix)")
    parser.add_argument("--find-max", action="store_true", help="then step the rate up")
    parser.add_argument("--step", type=float, default=25)
    parser.add_argument("--step-duration", type=float, default=15)
    parser.add_argument("--max-rate", type=float, default=400)
    args = parser.parse_args()
    figures = asyncio.run(measure(args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
