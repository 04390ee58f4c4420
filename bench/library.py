"""Library search at scale: 50,000 generated French documents on SQLite and PostgreSQL.

For each engine: builds a fresh migrated database, files a sample of documents through the
full service (file check, text extraction, blob store, index: ``service_add_docs_per_s``),
then bulk-indexes the rest in batches (``index_docs_per_s``), then runs realistic queries
through ``DocumentService.search`` (ranking, loading, snippets) and through the bare engine
query, and reports p50/p95 and their ratio. PostgreSQL is skipped when it does not answer.

    /work/venv/bin/python bench/library.py [--docs 50000] [--queries 300] [--engines sqlite,postgresql]

Last line: one JSON object (``search_p95_ms`` is the worst engine's p95 through the service).
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
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.documents import DocumentService, query_words
from bot.library.fields import tag_key
from bot.library.search_index import IndexedFields, SearchFilters
from bot.storage import LocalBlobStore
from db.engine import Database
from db.migrate import upgrade
from db.models import Document, DocumentVersion
from db.models.library import DocumentTag

GUILD = 42

# The network's vocabulary: frequent words first (Zipf-distributed draws).
_DOMAIN_TEXT = """
démarche accompagnement numérique usager rendez-vous dossier compte identifiant mot de passe
caf allocation logement aide droits accès procédure formulaire déclaration ressources
ameli santé carte vitale complémentaire mutuelle retraite pension carsat emploi inscription
france travail actualisation impôts revenus fiscal prélèvement source attestation justificatif
atelier formation initiation tablette ordinateur smartphone courriel messagerie pièce jointe
internet navigateur recherche sécurité hameçonnage arnaque données personnelles confidentialité
médiation médiateur aidant conseiller structure référent réseau partenaire orientation quartier
permanence accueil horaires mairie ccas médiathèque maison habitants association centre social
copil bilan semestre calendrier lettre information charte mandat aidants connect franceconnect
identité passeport titre séjour préfecture ants permis immatriculation énergie facture chèque
précarité illectronisme diagnostic compétences pix parcours débutant seniors jeunes parents
école scolarité pronote inscription cantine bourse étudiant logement social bailleur loyer
quittance simulation dossier numérisation scanner imprimante photocopie équipement wifi
connexion box forfait téléphone solidaire reconditionné don famille enfant handicap mdph
allophone traduction français langue écrivain public rapport activité observatoire statistiques
"""
DOMAIN = _DOMAIN_TEXT.split()
_SYLLABLES_TEXT = "ba be bi bo bu da de di do du la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu"
SYLLABLES = _SYLLABLES_TEXT.split()
TAGS = [
    "caf",
    "ameli",
    "retraite",
    "emploi",
    "impôts",
    "logement",
    "santé",
    "identité",
    "atelier",
    "débutant",
    "seniors",
    "copil",
    "charte",
    "diagnostic",
    "pix",
    "orientation",
    "sécurité",
    "équipement",
    "parentalité",
    "énergie",
]
CATEGORIES = ["procedure", "formation", "diagnostic", "partenaire", "compte-rendu", "rapport"]


def vocabulary(rng: random.Random, extra: int = 4000) -> list[str]:
    """Domain words, then a long tail of rarer made-up words (names, places, jargon)."""
    tail = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(extra)}
    return DOMAIN + sorted(tail)


def zipf_weights(n: int) -> list[float]:
    return [1.0 / (rank + 1) ** 1.05 for rank in range(n)]


class Generator:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = zipf_weights(len(self.words))
        self.cum = list(_accumulate(self.weights))

    def words_of(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=count)

    def sentence(self) -> str:
        words = self.words_of(self.rng.randint(6, 18))
        return " ".join(words).capitalize() + "."

    def document(self) -> tuple[str, list[str], str, str, str]:
        title = " ".join(self.words_of(self.rng.randint(3, 8))).capitalize()
        tags = self.rng.sample(TAGS, self.rng.randint(1, 3))
        # A page or two for most documents, a few long reports (lognormal word count).
        words = min(6000, max(40, int(self.rng.lognormvariate(5.6, 0.7))))
        sentences = []
        count = 0
        while count < words:
            sentence = self.sentence()
            sentences.append(sentence)
            count += sentence.count(" ") + 1
        body = " ".join(sentences)
        description = self.sentence()
        return title, tags, self.rng.choice(CATEGORIES), description, body

    def query(self) -> str:
        # One to three words, mostly from the frequent domain vocabulary.
        count = self.rng.choices([1, 2, 3], weights=[0.45, 0.4, 0.15])[0]
        picks = self.rng.choices(self.words[:400], weights=self.weights[:400], k=count) + (
            [self.rng.choice(self.words[400:])] if self.rng.random() < 0.15 else []
        )
        return " ".join(picks)

    def typo(self, word: str) -> str:
        if len(word) < 5:
            return word + word[-1]
        i = self.rng.randint(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _accumulate(values: list[float]):  # type: ignore[no-untyped-def]
    total = 0.0
    for value in values:
        total += value
        yield total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def bulk_index(service: DocumentService, docs: list[tuple], batch: int = 500) -> None:
    """Rows and index entries in batches, as a migration from another tool would."""
    now = datetime.now(UTC)
    for start in range(0, len(docs), batch):
        async with service.db.transaction() as session:
            rows = []
            for title, tags, category, description, body in docs[start : start + batch]:
                document = Document(
                    guild_id=GUILD,
                    title=title,
                    description=description,
                    category=category,
                    tags=tags,
                    origin="upload",
                    owner_id=1,
                    created_at=now,
                    updated_at=now,
                    versions=[],
                )
                document.versions.append(
                    DocumentVersion(
                        guild_id=GUILD,
                        number=1,
                        filename="doc.txt",
                        mime_type="text/plain",
                        size=len(body),
                        text=body,
                        added_at=now,
                    )
                )
                rows.append((document, tags, description, body))
                session.add(document)
            await session.flush()
            for document, tags, description, body in rows:
                for tag in tags:
                    # Folded like the service's tags ("impôts" -> "impots").
                    session.add(
                        DocumentTag(
                            guild_id=GUILD, document_id=document.id, tag=tag, tag_key=tag_key(tag)
                        )
                    )
                await service.index.upsert(
                    session,
                    GUILD,
                    document.id,
                    IndexedFields(
                        title=document.title, tags=tags, description=description, body=body
                    ),
                )


async def run_engine(
    name: str, url: str, args: argparse.Namespace, gen: Generator, tmp: Path
) -> dict[str, float]:
    db = Database(url)
    await upgrade(db.engine)
    service = DocumentService(db, LocalBlobStore(tmp / f"blobs-{name}"))
    docs = [gen.document() for _ in range(args.docs)]
    sample = docs[: args.service_docs]
    started = time.perf_counter()
    for title, tags, category, description, body in sample:
        await service.add(
            guild_id=GUILD,
            title=title,
            data=body.encode(),
            filename="fiche.txt",
            category=category,
            tags=tags,
            description=description,
        )
    service_rate = len(sample) / (time.perf_counter() - started)
    started = time.perf_counter()
    await bulk_index(service, docs[len(sample) :])
    # What `aiguillage library reindex` does after an import: merge the index segments
    # (SQLite) or refresh the statistics (PostgreSQL).
    await service.index.optimize(db)
    index_seconds = time.perf_counter() - started
    index_rate = (len(docs) - len(sample)) / index_seconds
    queries: list[str] = []
    while len(queries) < args.queries:
        query = gen.query()
        if query_words(query):  # "de la" alone is refused before any search
            queries.append(query)
    typo_queries = [
        gen.typo(gen.rng.choice([w for w in DOMAIN if len(w) >= 6]))
        for _ in range(max(10, args.queries // 10))
    ]
    # As /doc chercher passes it: the folded key of the tag typed.
    filtered = [(q, SearchFilters(tag_key=tag_key(gen.rng.choice(TAGS)))) for q in queries[:50]]
    # Warm up caches (vocabulary for typo correction, engine pages) as a running bot would.
    await service.search(GUILD, "caf")
    await service.search(GUILD, typo_queries[0])

    # The machine may be shared: the load average is part of every figure.
    load_before = os.getloadavg()[0]
    full, bare, typo, with_filter = [], [], [], []
    hits = 0
    for query in queries:
        started = time.perf_counter()
        page = await service.search(GUILD, query)
        full.append((time.perf_counter() - started) * 1000)
        hits += bool(page.hits)
        words = query_words(query)
        started = time.perf_counter()
        async with db.session() as session:
            await service.index.match(session, GUILD, words, "all", SearchFilters(), 6, 0)
        bare.append((time.perf_counter() - started) * 1000)
    for query in typo_queries:
        started = time.perf_counter()
        await service.search(GUILD, query)
        typo.append((time.perf_counter() - started) * 1000)
    for query, filters in filtered:
        started = time.perf_counter()
        await service.search(GUILD, query, filters)
        with_filter.append((time.perf_counter() - started) * 1000)
    load_after = os.getloadavg()[0]
    await db.dispose()
    result = {
        "service_add_docs_per_s": round(service_rate, 1),
        "index_docs_per_s": round(index_rate, 1),
        "search_p50_ms": round(pct(full, 0.5), 2),
        "search_p95_ms": round(pct(full, 0.95), 2),
        "bare_p50_ms": round(pct(bare, 0.5), 2),
        "bare_p95_ms": round(pct(bare, 0.95), 2),
        "ratio_p50": round(statistics.median(full) / max(statistics.median(bare), 1e-6), 2),
        "filtered_p95_ms": round(pct(with_filter, 0.95), 2),
        "typo_p50_ms": round(pct(typo, 0.5), 2),
        "typo_p95_ms": round(pct(typo, 0.95), 2),
        "queries_with_results": round(hits / len(queries), 3),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
    }
    print(f"\n== {name}: {args.docs} documents")
    print(
        f"  filing through the service : {result['service_add_docs_per_s']} docs/s ({len(sample)} docs)"
    )
    print(f"  bulk indexing              : {result['index_docs_per_s']} docs/s")
    print(
        f"  search (service)           : p50 {result['search_p50_ms']} ms, p95 {result['search_p95_ms']} ms"
    )
    print(
        f"  bare engine query          : p50 {result['bare_p50_ms']} ms, p95 {result['bare_p95_ms']} ms"
    )
    print(f"  service / bare (p50)       : x{result['ratio_p50']}")
    print(f"  with a tag filter          : p95 {result['filtered_p95_ms']} ms")
    print(
        f"  typo (fallbacks)           : p50 {result['typo_p50_ms']} ms, p95 {result['typo_p95_ms']} ms"
    )
    print(f"  queries with results       : {result['queries_with_results']:.0%}")
    print(
        f"  load average (1 min)       : {load_before:.2f} before, {load_after:.2f} after searches"
    )
    return result


async def postgres_url() -> str | None:
    """A fresh database on the test server (tests/conftest.py), or None if none answers."""
    try:
        from tests.conftest import _probe_postgres, create_pg_database
    except ImportError:
        return None
    # The probe runs its own event loop: keep it off this one.
    if await asyncio.to_thread(_probe_postgres):
        return None
    return await create_pg_database()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--service-docs", type=int, default=300)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    summary: dict[str, object] = {"documents": args.docs}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for engine in args.engines.split(","):
            gen = Generator()
            if engine == "sqlite":
                url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
            else:
                pg = await postgres_url()
                if pg is None:
                    print("\n== postgresql: not reachable, skipped")
                    continue
                url = pg
            try:
                summary[engine] = await run_engine(engine, url, args, gen, tmp)
            finally:
                if engine == "postgresql":
                    from tests.conftest import drop_pg_database

                    await drop_pg_database(url)
    p95s = [v["search_p95_ms"] for k, v in summary.items() if isinstance(v, dict)]
    summary["search_p95_ms"] = max(p95s) if p95s else None
    summary["target_p95_ms"] = 50
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
