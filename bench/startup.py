"""Time to ready and resident memory of the bot on the demo network.

Starts the real bot against the emulated Discord (fresh SQLite database: migrations,
seeding, cogs, command sync, gateway READY), then restarts it on the same database (the
usual case: nothing to migrate or sync). Prints readable figures, then one JSON line.

    ./dev bench startup [--runs 3]
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="number of measured runs (best is kept)"
    )
    args = parser.parse_args()
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
