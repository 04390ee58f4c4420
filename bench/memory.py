"""Resident memory of the bot with a network-sized database, and its trend under traffic.

The demo network plus 20,000 structures and 50,000 library documents (written straight
into the database), the bot alone in a child process behind the emulated Discord. RSS of
that process at ready, then every 1,000 interactions of the mixed stream of
``bench/interactions.py`` (10,000 by default); the trend is the least-squares slope after
the first 2,000 (caches warm up first), in MiB per 1,000 interactions.

    ./dev bench memory [--interactions 10000] [--rate 60] [--postgres]

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import LoadWorld, available_actions, run_stream  # noqa: E402
from bench.volumes import DOCUMENTS, STRUCTURES, add_documents, add_structures  # noqa: E402

MIB = 2**20


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


async def fill(world: LoadWorld, structures: int, documents: int) -> None:
    bot = world.harness.bot
    assert bot is not None
    guild_id = world.harness.guild_id
    took = await add_structures(bot.db, guild_id, structures)
    print(f"  {structures} structures written in {took:.1f} s", file=sys.stderr)
    took = await add_documents(bot.documents, guild_id, documents)
    print(f"  {documents} documents written in {took:.1f} s", file=sys.stderr)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    database_url = None
    if args.postgres:
        from tests.conftest import create_pg_database

        database_url = await create_pg_database()
    world = LoadWorld(members=args.members, database_url=database_url)
    try:
        await world.start(before_bot=lambda w: fill(w, args.structures, args.documents))
        assert world.bot_pid is not None
        bot = psutil.Process(world.bot_pid)
        ready_mib = bot.memory_info().rss / MIB
        print(f"Bot ready in {world.bot_ready_s:.1f} s, RSS {ready_mib:.0f} MiB", file=sys.stderr)
        actions, skipped = available_actions(world)
        samples: list[tuple[int, float]] = [(0, ready_mib)]

        async def sample(done: int) -> None:
            rss = bot.memory_info().rss / MIB
            samples.append((done, rss))
            print(f"  after {done:6d} interactions: RSS {rss:6.1f} MiB", file=sys.stderr)

        result = await run_stream(
            world,
            actions,
            rate=args.rate,
            duration=args.interactions / args.rate,
            on_progress=sample,
        )
        await world.emu.wait_idle(quiet=0.5, timeout=30)
        final_mib = bot.memory_info().rss / MIB
        steady = [(n / 1000, rss) for n, rss in samples if n >= 2000]
        trend = slope(steady)
        print("Per action (answered, p50 ms, p99 ms):")
        for name, (count, p50, p99) in result.by_action().items():
            print(f"  {name:28s} {count:6d} {p50:8.1f} {p99:8.1f}")
        print(
            f"RSS at ready ({args.structures} structures, {args.documents} documents): "
            f"{ready_mib:.0f} MiB"
        )
        print(f"RSS after {len(result.samples)} interactions: {final_mib:.0f} MiB")
        print(
            f"Trend after warm-up: {trend:+.2f} MiB per 1,000 interactions "
            f"(lost {result.lost}, late {result.late}, p99 {result.percentile_ms(99):.0f} ms)"
        )
        if result.lost:
            print(f"Lost by action: {result.lost_by_action()}")
        if skipped:
            print("Not in this build (skipped): " + ", ".join(skipped))
        return {
            "rss_ready_mb": round(ready_mib, 1),
            "rss_final_mb": round(final_mib, 1),
            "slope_mb_per_1000": round(trend, 3),
            "samples": [[n, round(r, 1)] for n, r in samples],
            "interactions": len(result.samples),
            "lost": result.lost,
            "late": result.late,
            "structures": args.structures,
            "documents": args.documents,
            "startup_s": round(world.bot_ready_s or 0, 2),
            "engine": "postgresql" if args.postgres else "sqlite",
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }
    finally:
        await world.stop()
        if database_url is not None:
            from tests.conftest import drop_pg_database

            await drop_pg_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=60, help="interactions per second")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--structures", type=int, default=STRUCTURES)
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(measure(args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
