"""Newsletter figures: composing a large issue within Discord's limits, building the Atom
feed of ten years of issues, and publishing a large issue end to end (real bot, emulated
Discord: command → scheduled delivery → every message posted → archived in the library).

Prints readable figures, then one JSON line.

    ./dev bench newsletter [--items 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bot.clock import Clock
from bot.harness import BotHarness
from cogs.newsletter import service
from cogs.newsletter.compose import (
    Attachment,
    IssueContent,
    ItemContent,
    compose_issue,
    limit_violations,
)
from cogs.newsletter.export import atom_feed, markdown_to_html
from db.models.newsletter import IssueStatus, NewsletterIssue

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50_000
PARAGRAPH = "Les ateliers numériques reprennent avec de nouvelles dates et de nouveaux lieux. " * 12


def big_issue(items: int) -> IssueContent:
    body = "\n\n".join([PARAGRAPH] * 5)[:4000]
    return IssueContent(
        number=7,
        heading="Lettre n° 7 — janvier 2027",
        intro="Introduction. " * 300,
        items=tuple(
            ItemContent(
                item_id=n,
                title=f"Article {n} — " + "titre long " * 20,
                body=body,
                link_url="https://www.merignac.example/actualites",
                structure="CCAS de Mérignac",
                image=Attachment(f"image{n}.png", f"{n:064x}", 2_000_000) if n % 2 else None,
            )
            for n in range(items)
        ),
        url="https://aiguillage.example/newsletter/1/7",
    )


def bench_compose(items: int, runs: int) -> dict[str, float]:
    content = big_issue(items)
    timings = []
    for _ in range(max(runs, 1) * 5):
        started = time.perf_counter()
        plans = compose_issue(content, mention="<@&1>")
        timings.append(time.perf_counter() - started)
    assert all(not limit_violations(p) for p in plans)
    chars = len(content.intro) + sum(len(i.body) + len(i.title) for i in content.items)
    return {
        "compose_ms": round(statistics.median(timings) * 1000, 2),
        "compose_messages": len(plans),
        "compose_chars": chars,
    }


def bench_feed(issues: int) -> dict[str, float]:
    start = datetime(2017, 1, 3, 8, tzinfo=UTC)
    contents = [
        IssueContent(
            number=n,
            heading=f"Lettre n° {n}",
            intro="Bonjour.",
            items=tuple(
                ItemContent(title=f"A{k}", body=f"{PARAGRAPH} ({n}.{k})", item_id=k)
                for k in range(8)
            ),
            url=f"https://aiguillage.example/newsletter/1/{n}",
            published_at=start + timedelta(days=61 * n),
        )
        for n in range(1, issues + 1)
    ]

    def build() -> bytes:
        return atom_feed(
            feed_id="https://aiguillage.example/newsletter/1/feed.atom",
            title="Lettre d'information",
            feed_url="https://aiguillage.example/newsletter/1/feed.atom",
            site_url="https://aiguillage.example/newsletter/1/",
            issues=contents,
            updated=datetime.now(UTC),
        )

    markdown_to_html.cache_clear()
    started = time.perf_counter()
    xml = build()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    build()
    warm = time.perf_counter() - started
    return {
        "feed_cold_ms": round(cold * 1000, 1),
        "feed_warm_ms": round(warm * 1000, 1),
        "feed_issues": issues,
        "feed_kib": round(len(xml) / 1024, 1),
    }


async def bench_publication(items: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        harness = BotHarness(
            Path(tmp) / "data",
            extensions=["cogs.core", "cogs.newsletter"],
            seed_capabilities=False,
            clock=Clock(datetime(2026, 12, 1, 9, tzinfo=UTC)),
        )
        await harness.start()
        try:
            bot = harness.bot
            assert bot is not None
            guild_id = harness.guild_id
            sha = await bot.storage.put(PNG)
            body = "\n\n".join([PARAGRAPH] * 5)[:4000]
            now = bot.clock.now()
            async with bot.db.transaction() as session:
                for n in range(items):
                    item = await service.submit_item(
                        session,
                        guild_id=guild_id,
                        submitter_id=harness.person("membre"),
                        title=f"Article {n}",
                        body=body,
                        image=Attachment(f"image{n}.png", sha, len(PNG), "image/png")
                        if n % 3 == 0
                        else None,
                        now=now,
                    )
                    await service.accept_item(session, guild_id, item.id, reviewer_id=1, now=now)
            started = time.perf_counter()
            preview = await harness.slash("coordinateur", "newsletter apercu", timeout=60)
            preview_s = time.perf_counter() - started
            assert preview.ok
            started = time.perf_counter()
            answer = await harness.slash("coordinateur", "newsletter publier", timeout=60)
            answer_s = time.perf_counter() - started
            assert "part maintenant" in answer.text, answer.text
            while True:
                async with bot.db.session() as session:
                    issue = await session.scalar(select(NewsletterIssue))
                if issue is not None and issue.status == IssueStatus.PUBLISHED:
                    break
                if time.perf_counter() - started > 120:
                    raise TimeoutError("publication did not finish")
                await asyncio.sleep(0.02)
            total_s = time.perf_counter() - started
            messages = len(harness.emu.messages(harness.channel("lettre-info")))
        finally:
            await harness.stop()
    return {
        "publish_items": items,
        "publish_messages": messages,
        "publish_answer_s": round(answer_s, 3),
        "publish_total_s": round(total_s, 3),
        "preview_s": round(preview_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=30, help="items in the large issue")
    parser.add_argument("--runs", type=int, default=3, help="compose runs (×5, median kept)")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    figures.update(bench_compose(args.items, args.runs))
    figures.update(bench_feed(60))
    figures.update(asyncio.run(bench_publication(args.items)))
    print(
        f"Composing an issue of {args.items} items ({figures['compose_chars']:.0f} characters): "
        f"{figures['compose_ms']:.1f} ms → {figures['compose_messages']:.0f} messages within limits"
    )
    print(
        f"Atom feed of {figures['feed_issues']:.0f} issues (ten years, {figures['feed_kib']:.0f} KiB): "
        f"{figures['feed_cold_ms']:.0f} ms after a restart, {figures['feed_warm_ms']:.0f} ms then"
    )
    print(
        f"/newsletter apercu of that issue (ephemeral, every message): {figures['preview_s']:.2f} s"
    )
    print(
        f"/newsletter publier: answer in {figures['publish_answer_s']:.2f} s; all "
        f"{figures['publish_messages']:.0f} messages posted and archived in "
        f"{figures['publish_total_s']:.2f} s"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
