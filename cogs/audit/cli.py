"""`aiguillage audit export`: the audit log as CSV on the command line (no Discord).

Exit codes: 0 done, 2 bad arguments or settings.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="journal d'audit : export CSV filtré")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    exporter = actions.add_parser("export", help="exporter le journal d'un serveur en CSV")
    exporter.add_argument("--guild", type=int, required=True, help="identifiant du serveur")
    exporter.add_argument(
        "--action", help="action exacte, ou préfixe terminé par « . » (ex. referent.)"
    )
    exporter.add_argument("--actor", type=int, help="identifiant Discord de l'auteur des actions")
    exporter.add_argument("--structure", type=int, help="identifiant de la structure")
    exporter.add_argument("--since", help="depuis : 7j, 24h, 2sem ou JJ/MM/AAAA")
    exporter.add_argument("--output", type=Path, metavar="FICHIER", help="défaut : sortie standard")
    exporter.set_defaults(handler=run_export)


async def run_export(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from cogs.audit.errors import AuditError
    from cogs.audit.queries import AuditFilter, export_csv, parse_since
    from db.engine import Database
    from db.migrate import upgrade

    try:
        since = parse_since(args.since, datetime.now(UTC))
    except AuditError:
        print("Période non comprise (exemples : 7j, 24h, 2sem, 01/09/2026).", file=sys.stderr)
        return 2
    db = Database(load_settings().effective_database_url)
    try:
        await upgrade(db.engine)
        async with db.session() as session:
            text, count = await export_csv(
                session,
                args.guild,
                AuditFilter(
                    action=args.action,
                    actor_id=args.actor,
                    structure_id=args.structure,
                    since=since,
                ),
            )
    finally:
        await db.dispose()
    data = ("\ufeff" + text).encode()
    if args.output:
        args.output.write_bytes(data)
        print(f"{count} action(s) exportée(s) dans {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0
