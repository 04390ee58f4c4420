"""`aiguillage library reindex`: rebuild the full-text index from the stored documents.

Useful after importing documents by hand or changing how text is stemmed. Exit code 0.
"""

from __future__ import annotations

import argparse
import time
from typing import Any


def register(subparsers: Any) -> None:
    library = subparsers.add_parser("library", help="bibliothèque : maintenance de l'index")
    actions = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    reindex = actions.add_parser("reindex", help="reconstruire l'index de recherche")
    reindex.add_argument("--guild", type=int, help="un seul serveur (défaut : tous)")
    reindex.set_defaults(handler=run_reindex)


async def run_reindex(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.documents import DocumentService
    from bot.storage import LocalBlobStore
    from db.engine import Database
    from db.migrate import upgrade

    settings = load_settings()
    db = Database(settings.effective_database_url)
    try:
        await upgrade(db.engine)
        service = DocumentService(db, LocalBlobStore(settings.blob_dir))
        started = time.perf_counter()
        count = await service.reindex_all(args.guild)
        elapsed = time.perf_counter() - started
    finally:
        await db.dispose()
    print(f"{count} document(s) réindexé(s) en {elapsed:.1f} s.")
    return 0
