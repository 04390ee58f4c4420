"""Observatory aggregation at national scale: 20,000 structures, 1,000,000 logged requests.

Generates one guild with 20,000 places (400 communes, most with quartiers; services,
access, fees and OSM opening hours in realistic proportions, a few thousand distinct
hour expressions) and 1,000,000 anonymous `/orienter` requests spread over 24 months
(needs from the synonym table, areas of the directory or none, filters, result counts,
handovers). Then times ``compute_observatory`` — every figure of /observatoire: coverage
matrix and gaps, demand of the period and of the previous one, unmet needs, 12-month
trend, filters, freshness, charter, referrals, comparisons — for the current semester and
for a period covering the whole log (the worst case: all 1,000,000 rows aggregated
twice, for the period and the one before). Charts and the PDF are timed separately (they
are drawn in a worker thread, after the aggregation). SQLite always; PostgreSQL too when
one answers at AIGUILLAGE_TEST_PG_URL. Readable figures first, then one JSON line.

    /work/venv/bin/python bench/observatory.py [--structures 20000] [--requests 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from cogs.observatory import data
from cogs.observatory.charts import all_charts
from cogs.observatory.export import figure_rows, to_csv, to_pdf
from cogs.observatory.figures import compute_observatory
from cogs.observatory.needs import NeedCatalogue
from cogs.observatory.periods import Period, semester_of
from cogs.observatory.weekly import weekly_opening
from db.demand import FILTERS, PUBLIC_VALUES, month_of
from db.engine import Database
from db.migrate import upgrade
from db.models.observatory import DemandRecord
from db.models.structures import FRAIS, MODALITES_ACCES, SERVICES, Structure

GUILD = 1
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TARGET_S = 2.0
BASE_HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Mo-Fr 08:30-12:30,13:30-17:00; Sa 09:00-12:00",
    "Tu-Sa 10:00-18:00",
    "Mo,Th 14:00-17:00",
    "We 09:00-12:00",
    "Mo-Th 09:00-12:30,13:30-17:30; Fr 09:00-12:30",
    "Tu,Th,Fr 13:00-19:00; We,Sa 10:00-18:00",
    "Mo-Fr 17:30-20:00",
    None,
]


def hours_expression(rng: random.Random) -> str | None:
    """A common pattern most of the time; otherwise one with its own times, as real
    directories have (a few thousand distinct expressions in all)."""
    if rng.random() < 0.7:
        return rng.choice(BASE_HOURS)
    start = rng.choice(range(7 * 60 + 30, 10 * 60 + 1, 15))
    end = start + rng.choice(range(120, 480, 15))
    days = rng.choice(["Mo-Fr", "Tu-Sa", "Mo,We,Fr", "Mo-Th", "Tu,Th"])
    extra = "; Sa 09:00-12:00" if rng.random() < 0.3 else ""
    return f"{days} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}{extra}"


def structures(count: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        commune = f"Commune {i % 400:03d}"
        quartier = f"Quartier {i % 9}" if rng.random() < 0.7 else None
        structure = Structure(
            guild_id=GUILD,
            external_id=f"lieu-{i:05d}",
            pivot="00000000000000",
            nom=f"Lieu de médiation {i}",
            commune=commune,
            code_postal=f"{33000 + i % 900:05d}",
            adresse=f"{i % 90 + 1} rue de la République",
            typologie=[],
            courriels=[],
            site_web=[],
            itinerance=[],
            horaires=hours_expression(rng),
            date_maj=date(2026, 1, 1) - timedelta(days=rng.randrange(0, 500)),
            services=rng.sample(SERVICES, rng.choice([1, 2, 2, 3, 4])),
            publics_specifiquement_adresses=[],
            prise_en_charge_specifique=[],
            frais_a_charge=[rng.choice(FRAIS[:2]) if rng.random() < 0.85 else "Payant"],
            dispositif_programmes_nationaux=[],
            formations_labels=[],
            autres_formations_labels=[],
            modalites_acces=rng.sample(MODALITES_ACCES[:5], rng.choice([1, 2])),
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


def demand_chunks(
    count: int, areas: list[tuple[str, str]], needs: NeedCatalogue, chunk: int, seed: int = 5
):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    keys = sorted(needs.needs)
    weights = [1.0 / (rank + 1) for rank in range(len(keys))]  # a few needs dominate
    masks = {key: needs.services_mask(key) for key in keys}
    first_day = (NOW - timedelta(days=730)).date()
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        key = rng.choices(keys, weights)[0]
        day = first_day + timedelta(days=rng.randrange(0, 731))
        roll = rng.random()
        results = 0 if roll < 0.12 else (rng.randint(1, 2) if roll < 0.2 else rng.randint(3, 30))
        commune, quartier = rng.choice(areas) if rng.random() < 0.7 else ("", "")
        filters = 0
        for bit in range(len(FILTERS)):
            if rng.random() < 0.15:
                filters |= 1 << bit
        rows.append(
            {
                "guild_id": GUILD,
                "day": day,
                "month": month_of(day),
                "services_mask": masks[key] if rng.random() > 0.03 else 0,
                "needs": f"|{key}|",
                "commune_key": commune,
                "quartier_key": quartier,
                "filters_mask": filters,
                "public": rng.choice(PUBLIC_VALUES) if filters & 8 else "",
                "result_count": results,
                "handover": results > 0 and rng.random() < 0.15,
            }
        )
        if len(rows) == chunk:
            yield rows
            rows = []
    if rows:
        yield rows


async def timed(coroutine: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await coroutine
    return result, time.perf_counter() - started


async def run_engine(url: str, count: int, requests: int, rounds: int) -> dict[str, Any]:
    db = Database(url)
    needs = NeedCatalogue.load()
    try:
        await upgrade(db.engine)
        started = time.perf_counter()
        rows = structures(count)
        async with db.transaction() as session:
            for chunk in range(0, len(rows), 2000):
                await session.execute(insert(Structure), rows[chunk : chunk + 2000])
        areas = sorted({(r["commune_key"], r["quartier_key"]) for r in rows})
        for chunk in demand_chunks(requests, areas, needs, 50_000):
            async with db.transaction() as session:
                await session.execute(insert(DemandRecord), chunk)
        # Fresh statistics, as a running database has after autovacuum.
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
            await autocommit.exec_driver_sql(vacuum)
        load_s = time.perf_counter() - started
        distinct_hours = len({r["horaires"] for r in rows})

        semester = semester_of(NOW.date())
        everything = Period(
            "range", (NOW - timedelta(days=731)).date(), NOW.date() + timedelta(days=1)
        )
        results: dict[str, list[float]] = {"semester": [], "all": []}
        first_s = None
        obs = None
        for round_ in range(rounds):
            for name, period in (("semester", semester), ("all", everything)):
                obs, seconds = await timed(
                    compute_observatory(db, GUILD, period, now=NOW, needs=needs)
                )
                if first_s is None:
                    first_s = seconds  # cold: opening hours parsed for the first time
                elif round_ or name == "all":
                    results[name].append(seconds)
        assert obs is not None
        # The parts of the worst case, warm.
        async with db.session() as session:
            _places, places_s = await timed(data.load_places(session, GUILD))
            _needs, need_s = await timed(data.load_need_groups(session, GUILD, everything))
            _areas, area_s = await timed(data.load_area_groups(session, GUILD, everything))
            _trend, trend_s = await timed(data.load_trend(session, GUILD, everything))
        charts, charts_s = await timed(asyncio.to_thread(all_charts, obs))
        pdf_started = time.perf_counter()
        pdf = to_pdf(obs, charts, guild_name="Bench")
        csv_bytes = to_csv(figure_rows(obs))
        pack_s = time.perf_counter() - pdf_started
        return {
            "load_s": round(load_s, 1),
            "distinct_hours": distinct_hours,
            "cold_s": round(first_s or 0.0, 3),
            "semester_s": round(statistics.median(results["semester"]), 3),
            "all_requests_s": round(statistics.median(results["all"]), 3),
            "all_requests_max_s": round(max(results["all"]), 3),
            "places_load_s": round(places_s, 3),
            "need_group_by_s": round(need_s, 3),
            "area_group_by_s": round(area_s, 3),
            "trend_group_by_s": round(trend_s, 3),
            "requests_counted": obs.demand.total.requests,
            "areas": len(obs.matrix.areas),
            "gaps": len(obs.gaps),
            "charts_s": round(charts_s, 2),
            "pdf_csv_s": round(pack_s, 2),
            "pdf_kb": len(pdf) // 1024,
            "csv_kb": len(csv_bytes) // 1024,
        }
    finally:
        await db.dispose()
        weekly_opening.cache_clear()


async def postgres_url() -> tuple[str | None, str]:
    try:
        from tests.conftest import _probe_postgres, create_pg_database

        reason = await asyncio.to_thread(_probe_postgres)
        if reason:
            return None, reason
        return await create_pg_database(), ""
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def describe(engine: str, f: dict[str, Any], count: int) -> str:
    return (
        f"{engine}, {count} structures, {f['requests_counted']:,} requests in the widest period: "
        f"all figures {f['all_requests_s']} s (max {f['all_requests_max_s']} s), current "
        f"semester {f['semester_s']} s, first run (cold hours cache) {f['cold_s']} s; parts: "
        f"places {f['places_load_s']} s, GROUP BY need {f['need_group_by_s']} s, by area "
        f"{f['area_group_by_s']} s, trend "
        f"{f['trend_group_by_s']} s; {f['areas']} areas, {f['gaps']} gaps, "
        f"{f['distinct_hours']} distinct opening hours; charts {f['charts_s']} s, PDF+CSV "
        f"{f['pdf_csv_s']} s ({f['pdf_kb']} KB + {f['csv_kb']} KB); data loaded in {f['load_s']} s"
    )


async def main_async(count: int, requests: int, rounds: int) -> dict[str, Any]:
    load = os.getloadavg()[0]
    figures: dict[str, Any] = {
        "structures": count,
        "requests": requests,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load, 2),
    }
    print(
        f"Machine: {os.cpu_count()} CPU(s), load average {load:.1f} when the bench started "
        "(timings grow with it: other processes share the CPUs).",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await run_engine(f"sqlite+aiosqlite:///{tmp}/bench.db", count, requests, rounds)
    figures.update({f"sqlite_{k}": v for k, v in sqlite.items()})
    print(describe("SQLite", sqlite, count), file=sys.stderr)
    worst = sqlite["all_requests_s"]
    url, reason = await postgres_url()
    if url is None:
        print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
        figures["postgresql"] = "skipped"
    else:
        from tests.conftest import drop_pg_database

        try:
            pg = await run_engine(url, count, requests, rounds)
        finally:
            await drop_pg_database(url)
        figures.update({f"postgresql_{k}": v for k, v in pg.items()})
        print(describe("PostgreSQL", pg, count), file=sys.stderr)
        worst = max(worst, pg["all_requests_s"])
    figures["aggregation_s"] = worst
    figures["target_s"] = TARGET_S
    figures["target_met"] = worst < TARGET_S
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--structures", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = asyncio.run(main_async(args.structures, args.requests, args.rounds))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
