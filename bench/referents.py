"""Issue 5 at a territory's scale: role reconciliation, onboarding approval, charter
follow-up and audit search.

1. ``plan_reconciliation`` for a large network (default 300 structures, 3 000 members).
2. ``/referent synchroniser`` and an onboarding approval click, end to end (real bot,
   emulated Discord, demo network; median of N).
3. ``/charte suivi`` data (tracking + CSV) for 3 000 members.
4. ``/audit`` search with filters on a SQLite log of 50 000 entries.

Prints readable figures, then one JSON line.

    python bench/referents.py [--structures 300] [--members 3000] [--audit 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.harness import BotHarness  # noqa: E402
from cogs.audit.queries import AuditFilter, search  # noqa: E402
from cogs.charter.tracking import build_tracking, tracking_csv  # noqa: E402
from cogs.onboarding import requests as onboarding_requests  # noqa: E402
from cogs.referents.reconcile import StructureRoleState, plan_reconciliation  # noqa: E402
from db.engine import Database  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models.core import AuditEntry  # noqa: E402
from db.network import current_charter_version  # noqa: E402

EXTENSIONS = [
    "cogs.core",
    "cogs.referents",
    "cogs.onboarding",
    "cogs.charter",
    "cogs.announcements",
    "cogs.audit",
]


def bench_plan(structures: int, members: int) -> float:
    rng = random.Random(5)
    states = []
    member_roles: dict[int, set[int]] = {uid: set() for uid in range(1, members + 1)}
    for sid in range(1, structures + 1):
        referents = frozenset(rng.sample(range(1, members + 1), 2))
        role_id = 10_000 + sid
        states.append(StructureRoleState(sid, f"S{sid}", role_id, referents))
        for uid in referents:
            if rng.random() < 0.9:  # 10 % drift to repair
                member_roles[uid].add(role_id)
    roles = {10_000 + sid for sid in range(1, structures + 1)} | {99}
    started = time.perf_counter()
    plan = plan_reconciliation(
        structures=states, global_role_id=99, guild_role_ids=roles, member_roles=member_roles
    )
    elapsed = time.perf_counter() - started
    assert plan.grants, "the synthetic drift must need repairs"
    return elapsed


def bench_tracking(members: int) -> float:
    now = datetime.now(UTC)
    started = time.perf_counter()
    tracking = build_tracking(
        version_label="v2",
        members={uid: f"Membre {uid}" for uid in range(members)},
        member_structure={uid: uid % 300 for uid in range(members)},
        structure_names={sid: f"Structure {sid}" for sid in range(300)},
        accepted_at={uid: now for uid in range(0, members, 3)},
    )
    tracking_csv(tracking)
    return time.perf_counter() - started


async def bench_audit(entries: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/audit.db")
        await upgrade(db.engine)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        actions = [
            "referent.designate",
            "referent.remove",
            "onboarding.approve",
            "charter.accept",
            "announcement.publish",
        ]
        async with db.transaction() as session:
            session.add_all(
                AuditEntry(
                    guild_id=1,
                    at=start + timedelta(minutes=i),
                    actor_id=i % 200,
                    action=actions[i % len(actions)],
                    target=f"user:{i}",
                    structure_id=i % 300,
                    details={},
                )
                for i in range(entries)
            )
        timings_all, timings_filtered = [], []
        for _ in range(5):
            async with db.session() as session:
                started = time.perf_counter()
                await search(session, 1, AuditFilter(), page=3)
                timings_all.append(time.perf_counter() - started)
                started = time.perf_counter()
                await search(
                    session,
                    1,
                    AuditFilter(
                        action="referent.", structure_id=7, since=start + timedelta(days=10)
                    ),
                )
                timings_filtered.append(time.perf_counter() - started)
        await db.dispose()
        return statistics.median(timings_all), statistics.median(timings_filtered)


async def bench_e2e(runs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        harness = BotHarness(Path(tmp) / "data", extensions=EXTENSIONS, web=False)
        await harness.start()
        try:
            sync_times, approve_times = [], []
            for run in range(runs):
                started = time.perf_counter()
                result = await harness.slash("coordinateur", "referent synchroniser")
                sync_times.append(time.perf_counter() - started)
                assert result.ok, result
                newcomer = await harness.emu.member_join(harness.guild_id, f"bench{run}")
                await harness.emu.wait_idle()
                cog = harness.bot.get_cog("OnboardingCog")  # type: ignore[union-attr]

                async with harness.bot.db.transaction() as session:  # type: ignore[union-attr]
                    charter = await current_charter_version(session, harness.guild_id)
                    submission = await onboarding_requests.submit(
                        session,
                        guild_id=harness.guild_id,
                        user_id=newcomer.id,
                        structure_id=next(iter(harness.network.structures.values())),  # type: ignore[union-attr]
                        charter_version_id=charter.id if charter else None,
                        already_member=False,
                        now=harness.bot.clock.now(),  # type: ignore[union-attr]
                    )
                guild = harness.bot.get_guild(harness.guild_id)  # type: ignore[union-attr]
                await cog.post_for_review(
                    guild, submission.request, submission.structure_name, charter, []
                )  # type: ignore[union-attr]
                await harness.emu.wait_idle()
                started = time.perf_counter()
                result = await harness.emu.click(
                    harness.guild_id,
                    harness.person("coordinateur"),
                    custom_id=f"onboarding:approve:{submission.request.id}",
                )
                approve_times.append(time.perf_counter() - started)
                assert "validée" in result.text, result.text
        finally:
            await harness.stop()
        return statistics.median(sync_times), statistics.median(approve_times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", type=int, default=300)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--audit", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    plan_s = bench_plan(args.structures, args.members)
    print(
        f"Plan de réconciliation ({args.structures} structures, {args.members} membres) : {plan_s * 1000:.1f} ms"
    )
    tracking_s = bench_tracking(args.members)
    print(f"Suivi de la charte + CSV ({args.members} membres) : {tracking_s * 1000:.1f} ms")
    audit_all, audit_filtered = await bench_audit(args.audit)
    print(
        f"/audit sur {args.audit} entrées (SQLite) : page 4 sans filtre {audit_all * 1000:.1f} ms, "
        f"filtré {audit_filtered * 1000:.1f} ms"
    )
    sync_s, approve_s = await bench_e2e(args.runs)
    print(
        f"/referent synchroniser (démo, bout en bout) : {sync_s * 1000:.0f} ms (médiane de {args.runs})"
    )
    print(
        f"Clic « Valider » d'une inscription (bout en bout) : {approve_s * 1000:.0f} ms (médiane de {args.runs})"
    )
    print(
        json.dumps(
            {
                "bench": "referents",
                "reconcile_plan_ms": round(plan_s * 1000, 2),
                "charter_tracking_csv_ms": round(tracking_s * 1000, 2),
                "audit_page_ms": round(audit_all * 1000, 2),
                "audit_filtered_ms": round(audit_filtered * 1000, 2),
                "referent_sync_e2e_ms": round(sync_s * 1000, 1),
                "onboarding_approve_e2e_ms": round(approve_s * 1000, 1),
                "structures": args.structures,
                "members": args.members,
                "audit_entries": args.audit,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
