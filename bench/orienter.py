"""`/orienter` at national scale: 20,000 structures, realistic requests.

Generates a directory of 20,000 places in one guild (services, publics, fees, access,
labels, OSM opening hours, communes and quartiers with coordinates, in the proportions of
the national map's data), then times the whole `/orienter` processing without Discord
(need matching, the SQL query, opening hours, ranking, explanations) and, separately,
the bare database queries underneath (the first batch of candidates: ids from the
covering index, then their rows). SQLite always; PostgreSQL too when one answers at
AIGUILLAGE_TEST_PG_URL (default postgres@127.0.0.1:5432). Readable figures first, then
one JSON line.

    /work/venv/bin/python bench/orienter.py [--structures 20000] [--rounds 5]
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from db.directory.matching import default_table
from db.directory.search import (
    PUBLIC_CHOICES,
    OrientationQuery,
    build_place_index,
    fetch_candidates,
    orienter,
)
from db.engine import Database
from db.migrate import upgrade
from db.models.structures import (
    DISPOSITIFS,
    FRAIS,
    MODALITES_ACCES,
    PUBLICS,
    SERVICES,
    Structure,
)

GUILD = 1
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
REQUESTS = [
    ("dossier CAF pas d'ordinateur", "quartier"),
    ("pole emploie actualisation", None),
    ("faire un CV", "commune"),
    ("declaraton d'impots", "commune"),
    ("carte grisse", None),
    ("apprendre a utiliser sa tablette", "quartier"),
    ("imprimer un document", "quartier"),
    ("parcoursup", None),
    ("arnaque par sms", "commune"),
    ("acheter un ordi pas cher", None),
    ("amelie carte vitale", "commune"),
    ("pronote", "quartier"),
    ("mail", None),
    ("titre de séjour", "commune"),
    ("impression 3d", None),
]


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Plain rows for a bulk insert, derived columns computed as the model does."""
    rng = random.Random(seed)
    communes = [
        (f"Commune {i:03d}", 44.0 + rng.random() * 4, -1.5 + rng.random() * 6) for i in range(400)
    ]
    rows = []
    for i in range(count):
        commune, lat0, lon0 = communes[i % len(communes)]
        quartier = f"Quartier {i % 7}" if rng.random() < 0.6 else None
        services = rng.sample(SERVICES, rng.choice([1, 2, 2, 3, 4]))
        structure = Structure(
            guild_id=GUILD,
            external_id=f"lieu-{i:05d}",
            pivot="00000000000000",
            nom=f"Lieu de médiation {i}",
            commune=commune,
            code_postal=f"{33000 + i % 900:05d}",
            adresse=f"{i % 90 + 1} rue de la République",
            latitude=lat0 + rng.uniform(-0.05, 0.05) if rng.random() < 0.95 else None,
            longitude=lon0 + rng.uniform(-0.05, 0.05),
            typologie=[rng.choice(["ASSO", "CCAS", "BIB", "MQ", "RFS", "EPN", "MUNI", "FT"])],
            courriels=[],
            site_web=[],
            itinerance=[],
            horaires=rng.choice(HOURS),
            date_maj=date(2026, 1, 1),
            services=services,
            publics_specifiquement_adresses=rng.sample(PUBLICS, 1) if rng.random() < 0.12 else [],
            prise_en_charge_specifique=[],
            frais_a_charge=[rng.choice(FRAIS[:2]) if rng.random() < 0.85 else "Payant"],
            dispositif_programmes_nationaux=rng.sample(DISPOSITIFS, rng.choice([0, 0, 1, 2])),
            formations_labels=[],
            autres_formations_labels=[],
            modalites_acces=rng.sample(MODALITES_ACCES[:4], rng.choice([1, 2])),
            modalites_accompagnement=["Accompagnement individuel"],
            quartier=quartier,
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


async def run_engine(url: str, rows: list[dict[str, Any]], rounds: int) -> dict[str, float]:
    db = Database(url)
    try:
        await upgrade(db.engine)
        started = time.perf_counter()
        async with db.transaction() as session:
            for chunk in range(0, len(rows), 2000):
                await session.execute(insert(Structure), rows[chunk : chunk + 2000])
        load_s = time.perf_counter() - started
        table = default_table()
        rng = random.Random(3)
        async with db.session() as session:
            places = await build_place_index(session, GUILD)
            quartiers = list(places.quartiers.values())
            communes = list(places.communes.values())
            queries = []
            for text, scope in REQUESTS:
                for _ in range(3):
                    place = None
                    if scope == "quartier":
                        place = rng.choice(quartiers).label
                    elif scope == "commune":
                        place = rng.choice(communes).label
                    queries.append(
                        OrientationQuery(
                            text,
                            place=place,
                            public=rng.choice([None, None, None, *PUBLIC_CHOICES[:5]]),
                            open_now=rng.random() < 0.25,
                            walk_in=rng.random() < 0.25,
                            free=rng.random() < 0.3,
                        )
                    )
            # Warm-up: caches of parsed opening hours, statement compilation.
            for query in queries:
                await orienter(session, GUILD, query, NOW, table, places=places)
            full: list[float] = []
            bare: list[float] = []
            results = 0
            for _ in range(rounds):
                for query in queries:
                    t0 = time.perf_counter()
                    outcome = await orienter(session, GUILD, query, NOW, table, places=places)
                    full.append((time.perf_counter() - t0) * 1000)
                    results += len(outcome.results)
                    match = table.match(query.text)
                    origin = places.resolve(query.place) if query.place else None
                    t0 = time.perf_counter()
                    await fetch_candidates(session, GUILD, match, query, origin)
                    bare.append((time.perf_counter() - t0) * 1000)
        return {
            "load_s": round(load_s, 2),
            "orienter_p50_ms": round(percentile(full, 0.5), 2),
            "orienter_p95_ms": round(percentile(full, 0.95), 2),
            "orienter_max_ms": round(max(full), 2),
            "query_p50_ms": round(percentile(bare, 0.5), 2),
            "query_p95_ms": round(percentile(bare, 0.95), 2),
            "ratio_p50": round(statistics.median(full) / statistics.median(bare), 2),
            "requests": len(full),
            "mean_results": round(results / len(full), 1),
        }
    finally:
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


async def main_async(count: int, rounds: int) -> dict[str, Any]:
    rows = generate(count)
    figures: dict[str, Any] = {"structures": count}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await run_engine(f"sqlite+aiosqlite:///{tmp}/bench.db", rows, rounds)
    figures.update({f"sqlite_{k}": v for k, v in sqlite.items()})
    figures["orienter_p50_ms"] = sqlite["orienter_p50_ms"]
    figures["orienter_p95_ms"] = sqlite["orienter_p95_ms"]
    print(
        f"SQLite, {count} structures: /orienter p50 {sqlite['orienter_p50_ms']} ms, "
        f"p95 {sqlite['orienter_p95_ms']} ms (max {sqlite['orienter_max_ms']} ms); bare query "
        f"p50 {sqlite['query_p50_ms']} ms, p95 {sqlite['query_p95_ms']} ms; ratio "
        f"{sqlite['ratio_p50']}x; {sqlite['mean_results']} results on average; "
        f"load {sqlite['load_s']} s",
        file=sys.stderr,
    )
    url, reason = await postgres_url()
    if url is None:
        print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
        figures["postgresql"] = "skipped"
    else:
        from tests.conftest import drop_pg_database

        try:
            pg = await run_engine(url, rows, rounds)
        finally:
            await drop_pg_database(url)
        figures.update({f"postgresql_{k}": v for k, v in pg.items()})
        print(
            f"PostgreSQL, {count} structures: /orienter p50 {pg['orienter_p50_ms']} ms, "
            f"p95 {pg['orienter_p95_ms']} ms; bare query p50 {pg['query_p50_ms']} ms; "
            f"ratio {pg['ratio_p50']}x",
            file=sys.stderr,
        )
    figures["target_p95_ms"] = 50
    figures["target_met"] = figures["orienter_p95_ms"] < 50
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--structures", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = asyncio.run(main_async(args.structures, args.rounds))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
