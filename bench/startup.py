"""Time to ready and resident memory of the bot on the demo network.

Starts the real bot against the emulated Discord (fresh SQLite database: migrations,
seeding, cogs, command sync, gateway READY), then restarts it on the same database (the
usual case: nothing to migrate or sync). Prints readable figures, then one JSON line.

    ./dev bench startup [--runs 3]
    ./dev bench startup --volumes [--structures 20000 --documents 50000] [--postgres]

With ``--volumes``, the bot runs alone in a child process (as in production) on a database
holding 20,000 structures and 50,000 library documents: time from process start to ready
(gateway READY, capabilities loaded, scheduler running), first start then a restart, and
the resident memory of that process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.harness import BotHarness  # noqa: E402


async def measure(runs: int) -> dict[str, float]:
    cold, warm = [], []
    process = psutil.Process()
    rss_ready = 0.0
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            harness = BotHarness(Path(tmp) / "data")
            await harness.start()
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            await harness.restart()
            warm.append(time.perf_counter() - started)
            rss_ready = max(rss_ready, process.memory_info().rss / 2**20)
            await harness.stop()
        print(
            f"  run {run + 1}/{runs}: cold {cold[-1]:.2f} s, restart {warm[-1]:.2f} s",
            file=sys.stderr,
        )
    return {
        "startup_cold_s": round(min(cold), 3),
        "startup_restart_s": round(min(warm), 3),
        "rss_mb": round(rss_ready, 1),
        "runs": runs,
    }


async def measure_volumes(args: argparse.Namespace) -> dict[str, float]:
    from bench.loadgen import LoadWorld
    from bench.volumes import add_documents, add_structures

    database_url = None
    if args.postgres:
        from tests.conftest import create_pg_database

        database_url = await create_pg_database()

    async def fill(world: LoadWorld) -> None:
        bot = world.harness.bot
        assert bot is not None
        await add_structures(bot.db, world.harness.guild_id, args.structures)
        await add_documents(bot.documents, world.harness.guild_id, args.documents)

    world = LoadWorld(members=0, database_url=database_url)
    try:
        await world.start(before_bot=fill)
        assert world.bot_pid is not None
        first = world.bot_ready_s or 0.0
        rss = psutil.Process(world.bot_pid).memory_info().rss / 2**20
        restarts = [await world.restart_bot_process() for _ in range(args.runs)]
        rss = max(rss, psutil.Process(world.bot_pid).memory_info().rss / 2**20)
    finally:
        await world.stop()
        if database_url is not None:
            from tests.conftest import drop_pg_database

            await drop_pg_database(database_url)
    return {
        "startup_volumes_first_s": round(first, 3),
        "startup_volumes_restart_s": round(min(restarts), 3),
        "bot_rss_mb": round(rss, 1),
        "structures": args.structures,
        "documents": args.documents,
        "engine": "postgresql" if args.postgres else "sqlite",
        "runs": args.runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="number of measured runs (best is kept)"
    )
    parser.add_argument(
        "--volumes", action="store_true", help="20,000 structures and 50,000 documents"
    )
    parser.add_argument("--structures", type=int, default=20_000)
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--postgres", action="store_true", help="with --volumes")
    args = parser.parse_args()
    if args.volumes:
        volumes = asyncio.run(measure_volumes(args))
        print(
            f"Time to ready, bot process, {volumes['structures']} structures and "
            f"{volumes['documents']} documents ({volumes['engine']}): "
            f"{volumes['startup_volumes_first_s']:.2f} s first start, "
            f"{volumes['startup_volumes_restart_s']:.2f} s restart"
        )
        print(f"Resident memory of the bot process at ready: {volumes['bot_rss_mb']:.0f} MiB")
        print(json.dumps(volumes))
        return
    figures = asyncio.run(measure(args.runs))
    print(
        f"Time to ready, fresh database (migrate + seed + sync): {figures['startup_cold_s']:.2f} s"
    )
    print(
        f"Time to ready, restart on the same database:          {figures['startup_restart_s']:.2f} s"
    )
    print(f"Resident memory of the process (bot + emulator):        {figures['rss_mb']:.0f} MiB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
