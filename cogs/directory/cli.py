"""`aiguillage directory import|export`: the directory on the command line (no Discord).

Exit codes: 0 done, 1 file refused (nothing changed), 2 bad arguments or settings.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMATS = ("csv", "json", "data-inclusion")


def register(subparsers: Any) -> None:
    directory = subparsers.add_parser(
        "directory",
        help="annuaire : import et export au standard national des lieux de médiation numérique",
    )
    actions = directory.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    importer = actions.add_parser(
        "import",
        help="importer un fichier CSV ou JSON (tout ou rien ; --dry-run pour simuler)",
    )
    importer.add_argument("file", type=Path, metavar="FICHIER")
    importer.add_argument("--guild", type=int, required=True, help="identifiant du serveur")
    importer.add_argument(
        "--dry-run", action="store_true", help="montrer ce qui changerait, sans rien modifier"
    )
    importer.add_argument(
        "--keep-missing",
        action="store_true",
        help="ne pas archiver les structures absentes du fichier",
    )
    importer.set_defaults(handler=run_import)
    exporter = actions.add_parser("export", help="exporter l'annuaire d'un serveur")
    exporter.add_argument("--guild", type=int, required=True, help="identifiant du serveur")
    exporter.add_argument("--format", choices=FORMATS, default="csv")
    exporter.add_argument(
        "--output",
        type=Path,
        metavar="FICHIER",
        help="fichier de sortie (défaut : sortie standard)",
    )
    exporter.set_defaults(handler=run_export)


def _database() -> Any:
    from bot.config import load_settings
    from db.engine import Database

    return Database(load_settings().effective_database_url)


def _progress(done: int, total: int) -> None:
    print(f"  … {done}/{total} lignes", file=sys.stderr)


async def run_import(args: argparse.Namespace) -> int:
    from db.directory.standard import StandardFileError, import_file
    from db.migrate import upgrade

    if not args.file.is_file():
        print(f"Fichier introuvable : {args.file}", file=sys.stderr)
        return 2
    db = _database()
    try:
        await upgrade(db.engine)
        try:
            async with db.transaction() as session:
                plan = await import_file(
                    session,
                    args.guild,
                    args.file,
                    dry_run=args.dry_run,
                    archive_missing=not args.keep_missing,
                    now=datetime.now(UTC),
                    progress=_progress,
                )
        except StandardFileError as error:
            print(
                f"Import refusé, rien n'a été modifié ({len(error.issues)} erreur(s)) :",
                file=sys.stderr,
            )
            print(error.summary(200), file=sys.stderr)
            return 1
        print(plan.summary_fr())
        for label, ids in (("créés", plan.created), ("archivés", plan.archived)):
            if ids and args.dry_run:
                print(f"{label} : " + ", ".join(ids[:50]) + (" …" if len(ids) > 50 else ""))
        if plan.updated and args.dry_run:
            for external_id, fields in list(plan.updated.items())[:50]:
                print(f"mis à jour : {external_id} ({', '.join(fields)})")
        return 0
    finally:
        await db.dispose()


async def run_export(args: argparse.Namespace) -> int:
    from db.migrate import upgrade

    from .cog import export_directory

    db = _database()
    try:
        await upgrade(db.engine)
        data, _filename, count = await export_directory(db, args.guild, args.format)
    finally:
        await db.dispose()
    if args.output:
        args.output.write_bytes(data)
        print(f"{count} structure(s) exportée(s) dans {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0
