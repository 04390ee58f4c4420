"""Network-sized data written straight into the database (memory and startup benches).

20,000 structures (the directory at the scale of a large department's national-standard
export) and 50,000 library documents with their extracted text, for the demo guild.
Bulk inserts, no per-row ORM work: generating is not what is measured.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from bench.orienter import generate as generate_structures  # noqa: E402
from bot.documents import DocumentService  # noqa: E402
from bot.library.search_index import IndexedFields  # noqa: E402
from db.engine import Database  # noqa: E402
from db.models import Document, DocumentVersion, Structure  # noqa: E402
from db.models.library import DocumentTag  # noqa: E402

STRUCTURES = 20_000
DOCUMENTS = 50_000
WORDS = [
    "accès",
    "droits",
    "caf",
    "impôts",
    "déclaration",
    "dossier",
    "numérique",
    "médiation",
    "atelier",
    "aidant",
    "ordinateur",
    "smartphone",
    "tablette",
    "courriel",
    "identité",
    "ameli",
    "retraite",
    "emploi",
    "france",
    "travail",
    "cv",
    "logement",
    "apl",
    "prime",
    "activité",
    "rsa",
    "permanence",
    "accueil",
    "rendez-vous",
    "quartier",
    "bibliothèque",
    "ccas",
    "association",
    "maison",
    "habitants",
    "formation",
    "sensibilisation",
    "arnaque",
    "sécurité",
    "mot",
    "passe",
    "compte",
    "espace",
    "personnel",
    "justificatif",
    "scanner",
    "imprimer",
]


async def add_structures(db: Database, guild_id: int, count: int = STRUCTURES) -> float:
    started = time.perf_counter()
    rows = generate_structures(count)
    today = datetime.now(UTC).date()
    for row in rows:
        row["guild_id"] = guild_id
        row["external_id"] = "volume-" + row["external_id"]
        # Up to date: stale entries start the freshness reminders, a storm of their own
        # (see tests/faults/test_scale.py), which is not what these benches measure.
        row["date_maj"] = today
    async with db.transaction() as session:
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Structure), rows[start : start + 2000])
    return time.perf_counter() - started


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."


async def add_documents(
    service: DocumentService, guild_id: int, count: int = DOCUMENTS, seed: int = 11
) -> float:
    """Documents with one version each, their tags and their search-index entries (through
    the library's own index, as an import would); bodies of about 150 words (notices,
    minutes, procedures), a few long ones."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    batch = 1000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        documents = [
            {
                "guild_id": guild_id,
                "title": _text(rng, rng.randint(3, 8))[:300],
                "description": _text(rng, 12),
                "category": rng.choice(["procedure", "formation", "compte-rendu", "rapport"]),
                "tags": rng.sample(["caf", "impots", "cv", "atelier", "copil", "charte"], 2),
                "origin": "upload",
                "owner_id": 1,
                "created_at": now,
                "updated_at": now,
            }
            for _ in range(size)
        ]
        bodies = [
            _text(rng, min(3000, max(30, int(rng.lognormvariate(4.8, 0.6))))) for _ in range(size)
        ]
        async with service.db.transaction() as session:
            ids = list(
                await session.scalars(
                    insert(Document).returning(Document.id, sort_by_parameter_order=True),
                    documents,
                )
            )
            await session.execute(
                insert(DocumentVersion),
                [
                    {
                        "guild_id": guild_id,
                        "document_id": doc_id,
                        "number": 1,
                        "filename": f"document-{doc_id}.pdf",
                        "mime_type": "application/pdf",
                        "size": 40_000,
                        "text": body,
                        "note": "",
                        "added_by": 1,
                        "added_at": now,
                    }
                    for doc_id, body in zip(ids, bodies, strict=True)
                ],
            )
            await session.execute(
                insert(DocumentTag),
                [
                    {"guild_id": guild_id, "document_id": doc_id, "tag": tag, "tag_key": tag}
                    for doc_id, row in zip(ids, documents, strict=True)
                    for tag in row["tags"]
                ],
            )
            for doc_id, row, body in zip(ids, documents, bodies, strict=True):
                await service.index.upsert(
                    session,
                    guild_id,
                    doc_id,
                    IndexedFields(
                        title=row["title"],
                        tags=row["tags"],
                        description=row["description"],
                        body=body,
                    ),
                )
    await service.index.optimize(service.db)
    return time.perf_counter() - started
