"""`aiguillage demo`: the real bot against the emulated Discord, with a console.

Nothing here is used by `aiguillage run`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bot.harness import BotHarness
from bot.logging_setup import setup_logging

log = logging.getLogger("aiguillage.demo")


def run_demo(
    script: str | None = None,
    directory: str | None = None,
    data_dir: str | None = None,
) -> int:
    """Check the paths, then run the demo; returns the process exit code."""
    directory_file = Path(directory).resolve() if directory else None
    if directory_file is not None and not directory_file.exists():
        print(
            f"aiguillage demo : fichier d'annuaire introuvable : {directory_file}", file=sys.stderr
        )
        return 2
    script_path = Path(script).resolve() if script else None
    if script_path is not None and not script_path.exists():
        print(f"aiguillage demo : script introuvable : {script}", file=sys.stderr)
        return 2
    base_dir = script_path.parent if script_path else Path.cwd()
    return asyncio.run(_run_demo(script_path, directory_file, data_dir, base_dir))


async def _run_demo(
    script: Path | None, directory_file: Path | None, data_dir: str | None, base_dir: Path
) -> int:
    from bot.emulator.console import DemoConsole

    # The transcript is the demo's output; keep the bot's log for warnings and errors.
    setup_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="aiguillage-demo-") as tmp:
        root = Path(data_dir) if data_dir else Path(tmp)
        harness = BotHarness(root / "data", directory_file=directory_file)
        print("Démarrage du bot contre le Discord émulé…", file=sys.stderr)
        await harness.start()
        bot = harness.bot
        assert bot is not None and harness.network is not None
        errors_at_start = bot.errors_seen

        async def advance(delta: timedelta) -> None:
            await harness.advance(delta)

        def errors_seen() -> int:
            current = harness.bot
            return (current.errors_seen if current else 0) - errors_at_start

        console = DemoConsole(
            harness.emu,
            harness.guild_id,
            harness.network.people,
            advance,
            errors_seen=errors_seen,
            base_dir=base_dir,
        )
        people = ", ".join(f"@{name}" for name in harness.network.people)
        print(
            f"Réseau de démonstration prêt : {len(harness.network.structures)} structures, "
            f"membres {people}. Web : {bot.web.url('/healthz')}",
            file=sys.stderr,
        )
        try:
            if script is not None:
                code = await console.run_script(script)
            else:
                code = await console.interactive()
        finally:
            await harness.stop()
        if errors_seen() > 0 and code == 0:
            code = 1
        return code
