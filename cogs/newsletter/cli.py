"""`aiguillage newsletter liste | export`: published issues from the command line, e.g. to
hand the Markdown or HTML of a letter to the city's web team without the web side."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

from cogs.newsletter import service
from cogs.newsletter.compose import IssueContent
from cogs.newsletter.export import issue_html, issue_markdown, published_label
from db.models.newsletter import IssueMode


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("newsletter", help="lettre d'information : lettres publiées")
    sub = parser.add_subparsers(dest="newsletter_command", metavar="ACTION", required=True)
    listing = sub.add_parser("liste", help="lister les lettres publiées d'un serveur")
    listing.add_argument("guild_id", type=int, help="identifiant du serveur Discord")
    listing.set_defaults(handler=list_issues)
    export = sub.add_parser("export", help="exporter une lettre publiée (Markdown ou HTML)")
    export.add_argument("guild_id", type=int, help="identifiant du serveur Discord")
    export.add_argument("numero", type=int, help="numéro de la lettre")
    export.add_argument(
        "--format",
        choices=["md", "html", "page"],
        default="md",
        help="md (Markdown), html (fragment à coller), page (page HTML complète)",
    )
    export.add_argument("--sortie", metavar="FICHIER", help="écrire dans ce fichier")
    export.set_defaults(handler=export_issue)


def _database():  # type: ignore[no-untyped-def]
    from bot.config import load_settings
    from db.engine import Database

    settings = load_settings()
    return settings, Database(settings.effective_database_url)


async def list_issues(args: argparse.Namespace) -> int:
    _, db = _database()
    try:
        async with db.session() as session:
            issues = await service.published_issues(session, args.guild_id)
    finally:
        await db.dispose()
    if not issues:
        print("Aucune lettre publiée pour ce serveur.")
        return 0
    for issue in issues:
        heading = (issue.snapshot or {}).get("heading", f"Lettre n° {issue.number}")
        print(f"{issue.number:>4}  {heading}  (publiée le {published_label(issue.published_at)})")
    return 0


async def _published_issue(guild_id: int, number: int):  # type: ignore[no-untyped-def]
    settings, db = _database()
    try:
        async with db.session() as session:
            return settings, await service.get_published_issue(session, guild_id, number)
    finally:
        await db.dispose()


def export_issue(args: argparse.Namespace) -> int:
    settings, issue = asyncio.run(_published_issue(args.guild_id, args.numero))
    if issue is None or not issue.snapshot:
        print(
            f"aiguillage : pas de lettre n° {args.numero} publiée sur ce serveur.", file=sys.stderr
        )
        return 1
    urls = service.UrlBuilder(settings.public_url, args.guild_id)
    content = dataclasses.replace(
        IssueContent.from_dict(issue.snapshot),
        url=urls.issue(issue.number),
        file_url=urls.file(issue.number) if issue.mode == IssueMode.FILE else None,
    )
    # Images are only reachable through the web side's public address.
    image_url = (lambda item: urls.image(issue.number, item.item_id) or "") if urls.base else None
    if args.format == "md":
        text = issue_markdown(content, image_url=image_url)
    else:
        text = issue_html(content, standalone=args.format == "page", image_url=image_url)
    if args.sortie:
        Path(args.sortie).write_text(text, encoding="utf-8")
        print(f"Lettre n° {issue.number} écrite dans {args.sortie}.")
    else:
        sys.stdout.write(text)
    return 0
