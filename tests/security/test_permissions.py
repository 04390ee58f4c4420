"""Permission matrix: every command, tried by every kind of person.

Personas (guild A is the demo network, guild B a second network on the same bot):

* ``nouveau`` — joined, not yet approved (guest);
* ``membre`` — approved member;
* ``referente-beutre`` — referent of ANOTHER structure (MDH Beutre);
* ``referent`` — referent of the CCAS;
* ``coordinateur`` — coordinator;
* ``visiteur`` — the coordinator of guild B, an approved member of guild A.

Only the allowed succeed; a refused person gets a French refusal, ephemeral, and nothing
changes: the database fingerprint is the same and the bot made no request to Discord other
than answering the interaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.permissions import ACCESS_RANK
from tests.security.commands import CASES, Case, access_of, is_refusal, leaf_commands
from tests.security.world import TwoNetworks, changed_tables, fingerprint, settle

PERSONAS = {
    "nouveau": "guest",
    "membre": "member",
    "visiteur": "member",
    "referente-beutre": "referent",
    "referent": "referent",
    "coordinateur": "coordinator",
}
ANSWER_PATHS = ("/interactions/", "/webhooks/")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[TwoNetworks]:
    async with TwoNetworks(tmp_path / "data") as harness:
        yield harness


def allowed(case: Case, access: str, persona: str) -> bool:
    level = PERSONAS[persona]
    if ACCESS_RANK[level] < ACCESS_RANK[access]:
        return False
    return not (case.structure_scoped and persona not in ("referent", "coordinateur"))


async def test_every_command_has_a_case_and_its_tag_matches(world: TwoNetworks) -> None:
    """The table is the specification: a new command needs a row, and a command whose
    access tag (what /aide shows, what the check enforces) drifts from it is reported."""
    assert world.bot is not None
    commands = dict(leaf_commands(world.bot.tree))
    covered = {case.command for case in CASES}
    missing = sorted(set(commands) - covered)
    assert not missing, f"add a row to tests/security/commands.py CASES for: {missing}"
    stale = sorted(covered - set(commands))
    assert not stale, f"rows for commands that no longer exist: {stale}"
    drift = [
        f"/{case.command}: table says {case.access}, the command is tagged {access_of(commands[case.command])}"
        for case in CASES
        if not case.note and case.access != access_of(commands[case.command])
    ]
    assert not drift, "\n".join(drift)


async def test_permission_matrix(world: TwoNetworks) -> None:
    bot = world.bot
    assert bot is not None
    commands = dict(leaf_commands(bot.tree))
    failures: list[str] = []
    successes = refusals = 0
    for case in CASES:
        if case.command not in commands:
            continue  # reported by test_every_command_has_a_case
        access = case.access
        # Refused people first: they must leave the world exactly as they found it. Of the
        # allowed, the least privileged and the coordinator are enough to show it works.
        refused = [p for p in PERSONAS if not allowed(case, access, p)]
        allowed_ones = [p for p in PERSONAS if allowed(case, access, p)]
        order = refused + list(dict.fromkeys([allowed_ones[0], allowed_ones[-1]]))
        for persona in order:
            expected_ok = allowed(case, access, persona)
            options = await case.options(world)
            attachments = {k: v for k, v in options.items() if isinstance(v, tuple)}
            options = {k: v for k, v in options.items() if k not in attachments}
            await settle(world)
            before = await fingerprint(bot.db)
            calls_before = len(world.emu.calls)
            errors_before = bot.errors_seen
            result = await world.slash(
                persona,
                case.command,
                options=options,
                attachments=attachments or None,
            )
            await world.emu.wait_idle()
            label = f"/{case.id} as {persona}"
            text = result.text or (result.modal or {}).get("title", "")
            if bot.errors_seen != errors_before or "erreur inattendue" in text:
                failures.append(f"{label}: unexpected error: {text[:200]}")
                continue
            if result.error:
                failures.append(f"{label}: {result.error}")
                continue
            if expected_ok:
                if is_refusal(text):
                    failures.append(f"{label}: refused but should be allowed: {text[:200]}")
                successes += 1
                continue
            refusals += 1
            if not is_refusal(text):
                failures.append(f"{label}: should be refused, got: {text[:200]}")
            if not result.ephemeral:
                failures.append(f"{label}: refusal is not ephemeral")
            changed = changed_tables(before, await fingerprint(bot.db))
            if changed:
                failures.append(f"{label}: refused but changed {changed}")
            side_effects = [
                f"{c.method} {c.path}"
                for c in world.emu.calls[calls_before:]
                if c.method != "GET" and not c.path.startswith(ANSWER_PATHS)
            ]
            if side_effects:
                failures.append(f"{label}: refused but Discord saw {side_effects}")
    assert not failures, "\n".join(failures)
    assert successes >= len(CASES) and refusals >= len(CASES), (successes, refusals)
