"""The residents' guide at national scale: 20,000 places, HTML pages over real HTTP.

Generates a directory of 20,000 places in one guild (400 communes with quartiers,
services, fees, access, OSM opening hours), publishes its guide, serves it with aiohttp
on a local port exactly as the bot's web side does, and times complete HTTP requests
(client to last byte) for a realistic mix: the home page, browsing deep pages, searches
by need in plain French with and without a neighbourhood (asked before, as residents
ask the same needs, and asked for the first time: "need-first"), kinds of help, place
pages and name searches. Also times, once each, the cold builds the site caches: the open-data CSV
of all 20,000 places and the PDF of one commune. SQLite always; PostgreSQL too when one
answers at AIGUILLAGE_TEST_PG_URL. Readable figures first, then one JSON line.

    /work/venv/bin/python bench/guide.py [--places 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from sqlalchemy import insert

from cogs.guide.catalog import KINDS
from cogs.guide.publication import publish
from cogs.guide.site import GuideSite
from db.engine import Database
from db.migrate import upgrade
from db.models.structures import DISPOSITIFS, FRAIS, MODALITES_ACCES, PUBLICS, SERVICES, Structure

GUILD = 1
SLUG = "bench"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # a Tuesday morning in Paris
HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Mo-Fr 08:30-12:30,13:30-17:00; Sa 09:00-12:00",
    "Tu-Sa 10:00-18:00",
    "Mo,Th 14:00-17:00",
    "We 09:00-12:00",
    "Mo-Th 09:00-12:30,13:30-17:30; Fr 09:00-12:30",
    "Tu,Th,Fr 13:00-19:00; We,Sa 10:00-18:00",
    None,
]
NEEDS = [
    "dossier CAF",
    "pas d'ordinateur",
    "faire un CV",
    "declaraton d'impots",
    "pronote",
    "carte grisse",
    "apprendre a utiliser sa tablette",
    "imprimer un document",
]
KIND_KEYS = [kind.key for kind in KINDS]


def generate(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """Rows for a bulk insert, derived columns computed as the model does."""
    rng = random.Random(seed)
    communes = [
        (f"Commune {i:03d}", 44.0 + rng.random() * 4, -1.5 + rng.random() * 6) for i in range(400)
    ]
    rows = []
    for i in range(count):
        commune, lat0, lon0 = communes[i % len(communes)]
        structure = Structure(
            guild_id=GUILD,
            external_id=f"lieu-{i:05d}",
            pivot="00000000000000",
            nom=f"{rng.choice(['Espace', 'Maison', 'Médiathèque', 'Centre'])} numérique {i}",
            commune=commune,
            code_postal=f"{33000 + i % 900:05d}",
            adresse=f"{i % 90 + 1} rue de la République",
            latitude=lat0 + rng.uniform(-0.05, 0.05),
            longitude=lon0 + rng.uniform(-0.05, 0.05),
            typologie=[rng.choice(["ASSO", "CCAS", "BIB", "MQ", "RFS", "EPN"])],
            telephone=f"+3355600{i % 10000:04d}",
            courriels=[f"contact{i}@exemple.fr"],
            site_web=[],
            itinerance=[],
            horaires=rng.choice(HOURS),
            presentation_resume="Accompagnement aux démarches en ligne et ateliers numériques.",
            date_maj=date(2026, 10, 1),
            services=rng.sample(SERVICES, rng.choice([1, 2, 2, 3, 4])),
            publics_specifiquement_adresses=rng.sample(PUBLICS, 1) if rng.random() < 0.12 else [],
            prise_en_charge_specifique=[],
            frais_a_charge=[rng.choice(FRAIS[:2]) if rng.random() < 0.85 else "Payant"],
            dispositif_programmes_nationaux=rng.sample(DISPOSITIFS, rng.choice([0, 0, 1, 2])),
            formations_labels=[],
            autres_formations_labels=[],
            modalites_acces=rng.sample(MODALITES_ACCES[:4], rng.choice([1, 2])),
            modalites_accompagnement=["Accompagnement individuel"],
            quartier=f"Quartier {i % 7}" if rng.random() < 0.6 else None,
            internal_notes="note interne",
        )
        structure.refresh_derived()
        row = {
            column.key: getattr(structure, column.key)
            for column in Structure.__table__.columns
            if column.key not in ("id", "created_at", "updated_at")
        }
        row["created_at"] = row["updated_at"] = NOW
        rows.append(row)
    return rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def request_mix(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, path) of the timed requests."""
    base = f"/guide/{SLUG}/"
    pages = count // 20
    mix: list[tuple[str, str]] = [("home", base)]
    for _ in range(6):
        mix.append(("browse", base + "?" + urlencode({"page": rng.randint(2, pages)})))
    for need in NEEDS:
        mix.append(("need", base + "?" + urlencode({"besoin": need})))
        mix.append(("need", base + "?" + urlencode({"besoin": need, "page": rng.randint(2, 40)})))
        zone = f"c:commune {rng.randint(0, 399):03d}"
        mix.append(("need+zone", base + "?" + urlencode({"besoin": need, "zone": zone})))
    for kind in KIND_KEYS:
        mix.append(("kind", base + "?" + urlencode({"aide": kind, "page": rng.randint(1, 30)})))
    for _ in range(4):
        zone = f"q:quartier {rng.randint(0, 6)}|commune {rng.randint(0, 399):03d}"
        mix.append(("zone", base + "?" + urlencode({"zone": zone})))
    for _ in range(10):
        mix.append(("place", base + f"lieu/lieu-{rng.randrange(count):05d}"))
    for _ in range(3):
        mix.append(
            ("name", base + "?" + urlencode({"besoin": f"numerique {rng.randrange(count)}"}))
        )
    return mix


def first_time_needs(rounds: int, rng: random.Random) -> list[list[tuple[str, str]]]:
    """Per round, need searches never asked before (a new need and kind of help pair):
    the site has no remembered ranking for them, the database ranks every place."""
    base = f"/guide/{SLUG}/"
    pairs = [(need, kind) for need in NEEDS for kind in KIND_KEYS]
    rng.shuffle(pairs)
    per_round = len(NEEDS)
    return [
        [
            ("need-first", base + "?" + urlencode({"besoin": need, "aide": kind}))
            for need, kind in pairs[r * per_round : (r + 1) * per_round]
        ]
        for r in range(rounds)
    ]


async def run_engine(url: str, rows: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    db = Database(url)
    runner: web.AppRunner | None = None
    try:
        await upgrade(db.engine)
        started = time.perf_counter()
        async with db.transaction() as session:
            for chunk in range(0, len(rows), 2000):
                await session.execute(insert(Structure), rows[chunk : chunk + 2000])
            await publish(
                session, GUILD, default_name="Bench", slug=SLUG, title=None, by=None, now=NOW
            )
        load_s = time.perf_counter() - started

        port_holder: dict[str, int] = {}
        site = GuideSite(
            db, now=lambda: NOW, url=lambda path: f"http://127.0.0.1:{port_holder['port']}{path}"
        )
        app = web.Application()
        site.register(app.router)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        port_holder["port"] = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        root = f"http://127.0.0.1:{port_holder['port']}"

        mix = request_mix(len(rows), random.Random(5))
        timings: dict[str, list[float]] = {}
        sizes: list[int] = []
        async with aiohttp.ClientSession() as http:
            t0 = time.perf_counter()
            async with http.get(root + f"/guide/{SLUG}/") as response:
                assert response.status == 200, response.status
                await response.read()
            cold_ms = (time.perf_counter() - t0) * 1000  # figures of the directory computed
            for _ in range(2):  # warm-up: statement compilation, parsed hours
                for _kind, path in mix:
                    async with http.get(root + path) as response:
                        await response.read()
            fresh = first_time_needs(rounds, random.Random(9))
            for round_number in range(rounds):
                for kind, path in mix + fresh[round_number]:
                    t0 = time.perf_counter()
                    async with http.get(root + path) as response:
                        body = await response.read()
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert response.status == 200, (path, response.status)
                    assert b"note interne" not in body
                    timings.setdefault(kind, []).append(elapsed)
                    sizes.append(len(body))
            t0 = time.perf_counter()
            async with http.get(
                root + f"/guide/{SLUG}/donnees/lieux-mediation-numerique.csv"
            ) as response:
                csv_bytes = len(await response.read())
            csv_ms = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            async with http.get(
                root + f"/guide/{SLUG}/guide.pdf", params={"zone": "c:commune 007"}
            ) as response:
                pdf_bytes = len(await response.read())
                assert response.status == 200
            pdf_ms = (time.perf_counter() - t0) * 1000
        every = [value for values in timings.values() for value in values]
        return {
            "load_s": round(load_s, 2),
            "guide_p50_ms": round(percentile(every, 0.5), 2),
            "guide_p95_ms": round(percentile(every, 0.95), 2),
            "guide_max_ms": round(max(every), 2),
            "cold_page_ms": round(cold_ms, 1),
            "requests": len(every),
            "mean_page_kb": round(sum(sizes) / len(sizes) / 1024, 1),
            "by_kind_p95_ms": {k: round(percentile(v, 0.95), 2) for k, v in timings.items()},
            "csv_cold_ms": round(csv_ms, 1),
            "csv_kb": round(csv_bytes / 1024),
            "pdf_commune_cold_ms": round(pdf_ms, 1),
            "pdf_kb": round(pdf_bytes / 1024),
        }
    finally:
        if runner is not None:
            await runner.cleanup()
        await db.dispose()


async def postgres_url() -> tuple[str | None, str]:
    try:
        from tests.conftest import _probe_postgres, create_pg_database

        reason = await asyncio.to_thread(_probe_postgres)
        if reason:
            return None, reason
        return await create_pg_database(), ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def describe(engine: str, count: int, figures: dict[str, Any]) -> str:
    kinds = ", ".join(f"{k} {v} ms" for k, v in figures["by_kind_p95_ms"].items())
    return (
        f"{engine}, {count} places, {figures['requests']} HTTP requests: "
        f"p50 {figures['guide_p50_ms']} ms, p95 {figures['guide_p95_ms']} ms "
        f"(max {figures['guide_max_ms']} ms); p95 by kind: {kinds}; first page after start "
        f"{figures['cold_page_ms']} ms; pages {figures['mean_page_kb']} KiB on average; "
        f"open-data CSV ({figures['csv_kb']} KiB) built in {figures['csv_cold_ms']} ms; PDF of "
        f"one commune ({figures['pdf_kb']} KiB) in {figures['pdf_commune_cold_ms']} ms; "
        f"load {figures['load_s']} s"
    )


async def main_async(count: int, rounds: int) -> dict[str, Any]:
    rows = generate(count)
    result: dict[str, Any] = {"places": count}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await run_engine(f"sqlite+aiosqlite:///{tmp}/bench.db", rows, rounds)
    print(describe("SQLite", count, sqlite), file=sys.stderr)
    result.update({f"sqlite_{k}": v for k, v in sqlite.items() if k != "by_kind_p95_ms"})
    result["guide_p50_ms"] = sqlite["guide_p50_ms"]
    result["guide_p95_ms"] = sqlite["guide_p95_ms"]
    url, reason = await postgres_url()
    if url is None:
        print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
        result["postgresql"] = "skipped"
    else:
        from tests.conftest import drop_pg_database

        try:
            pg = await run_engine(url, rows, rounds)
        finally:
            await drop_pg_database(url)
        print(describe("PostgreSQL", count, pg), file=sys.stderr)
        result.update({f"postgresql_{k}": v for k, v in pg.items() if k != "by_kind_p95_ms"})
    result["target_p95_ms"] = 50
    result["target_met"] = (
        result["guide_p95_ms"] < 50 and result.get("postgresql_guide_p95_ms", 0) < 50
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args.places, args.rounds))))


if __name__ == "__main__":
    main()
