"""`aiguillage observatory report`: the COPIL pack on the command line (no Discord).

Writes the PDF and the CSV of a period into a folder, and with ``--file`` also files
them in the guild's library. Exit codes: 0 done, 2 bad arguments or settings.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def register(subparsers: Any) -> None:
    observatory = subparsers.add_parser(
        "observatory", help="observatoire : dossier COPIL (PDF et CSV des chiffres)"
    )
    actions = observatory.add_subparsers(
        dest="observatory_command", metavar="ACTION", required=True
    )
    report = actions.add_parser("report", help="produire le PDF et le CSV d'une période")
    report.add_argument("--guild", type=int, required=True, help="identifiant du serveur")
    report.add_argument(
        "--period",
        default="",
        metavar="PÉRIODE",
        help="« S1 2026 », « 2025 », « 12 mois »… (défaut : semestre en cours)",
    )
    report.add_argument(
        "--output", type=Path, default=Path("."), metavar="DOSSIER", help="dossier de sortie"
    )
    report.add_argument(
        "--file", action="store_true", help="classer aussi les deux fichiers dans la bibliothèque"
    )
    report.set_defaults(handler=run_report)


async def run_report(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.documents import DocumentService
    from bot.i18n import t
    from bot.storage import LocalBlobStore
    from db.engine import Database
    from db.migrate import upgrade
    from db.models import Guild
    from db.models.documents import DocumentOrigin

    from .charts import all_charts
    from .export import figure_rows, to_csv, to_pdf
    from .figures import compute_observatory
    from .needs import NeedCatalogue
    from .periods import PeriodError, parse_period

    now = datetime.now(UTC)
    try:
        period = parse_period(args.period, now.astimezone(ZoneInfo("Europe/Paris")).date())
    except PeriodError as error:
        print(t(error.key, "fr", **error.kwargs), file=sys.stderr)
        return 2
    if not args.output.is_dir():
        print(f"Dossier introuvable : {args.output}", file=sys.stderr)
        return 2
    settings = load_settings()
    db = Database(settings.effective_database_url)
    try:
        await upgrade(db.engine)
        obs = await compute_observatory(db, args.guild, period, now=now, needs=NeedCatalogue.load())
        async with db.session() as session:
            guild = await session.get(Guild, args.guild)
        name = guild.name if guild is not None and guild.name else str(args.guild)
        pdf = to_pdf(obs, all_charts(obs), guild_name=name)
        csv_bytes = to_csv(figure_rows(obs))
        stem = f"observatoire-{period.slug}"
        (args.output / f"{stem}.pdf").write_bytes(pdf)
        (args.output / f"{stem}.csv").write_bytes(csv_bytes)
        print(f"{args.output / stem}.pdf et .csv écrits ({period.label('fr')}).")
        if args.file:
            documents = DocumentService(db, LocalBlobStore(settings.blob_dir))
            for data, extension, mime in (
                (pdf, "pdf", "application/pdf"),
                (csv_bytes, "csv", "text/csv"),
            ):
                document = await documents.add(
                    guild_id=args.guild,
                    title=t("observatory.report.document_title", "fr", period=period.label("fr")),
                    data=data,
                    filename=f"{stem}.{extension}",
                    category="rapport",
                    tags=["observatoire", "copil", period.slug],
                    origin=DocumentOrigin.REPORT,
                    mime_type=mime,
                )
                print(f"Classé dans la bibliothèque : document n° {document.id}.")
    finally:
        await db.dispose()
    return 0
