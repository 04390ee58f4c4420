"""Command line: `aiguillage run | demo | db upgrade | db current | invite | <capability> ...`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
from collections.abc import Sequence

from bot import process_tuning
from bot.config import ConfigError, load_settings

log = logging.getLogger("aiguillage.cli")

# Permissions the bot needs (Discord bit values): view channels, send messages, embed
# links, attach files, read history, manage roles, manage events, create/edit scheduled
# events, send messages in threads, manage messages (crosspost/publish).
INVITE_PERMISSIONS = (
    (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 28)
    | (1 << 33)
    | (1 << 13)
    | (1 << 38)
    | (1 << 44)
)


def invite_url(application_id: int) -> str:
    return (
        "https://discord.com/oauth2/authorize"
        f"?client_id={application_id}&scope=bot%20applications.commands"
        f"&permissions={INVITE_PERMISSIONS}"
    )


async def _run_bot() -> int:
    from bot.client import AiguillageBot
    from bot.logging_setup import register_secret, setup_logging

    settings = load_settings()
    token = settings.require_token()
    register_secret(token)
    setup_logging(settings.log_level, settings.log_format)
    process_tuning.configure_for_service()
    bot = AiguillageBot(settings)

    async def freeze_when_ready() -> None:
        await bot.wait_until_ready()
        await asyncio.sleep(5)  # let startup work (reconciliation, first deliveries) finish
        frozen = process_tuning.freeze_startup_heap()
        log.info("startup heap frozen (%d objects out of the collector's sight)", frozen)

    freezer = asyncio.create_task(freeze_when_ready())
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def request_stop() -> None:
        log.info("stop requested (signal); closing cleanly")
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    runner = asyncio.create_task(bot.start(token))
    stopper = asyncio.create_task(stopping.wait())
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if not bot.is_closed():
        await bot.close()
    if runner in done and runner.exception() is not None:
        exc = runner.exception()
        import discord

        if isinstance(exc, discord.LoginFailure):
            print(
                "Connexion refusée par Discord : le jeton DISCORD_TOKEN est invalide. "
                "Régénérez-le dans le portail développeur (Bot → Reset Token).",
                file=sys.stderr,
            )
            return 2
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            print(
                "Discord refuse l'intention privilégiée « Server Members ». Activez-la dans le "
                "portail développeur (Bot → Privileged Gateway Intents → Server Members Intent).",
                file=sys.stderr,
            )
            return 2
        raise exc
    runner.cancel()
    freezer.cancel()
    return 0


async def _db_command(action: str) -> int:
    from db.engine import Database
    from db.migrate import current_revisions, head_revisions, upgrade

    settings = load_settings()
    db = Database(settings.effective_database_url)
    try:
        if action == "upgrade":
            await upgrade(db.engine)
            print(f"Base à jour ({', '.join(sorted(head_revisions()))}).")
        else:
            current = await current_revisions(db.engine)
            heads = head_revisions()
            print(f"Révisions appliquées : {', '.join(sorted(current)) or 'aucune'}")
            print(f"Dernières révisions : {', '.join(sorted(heads))}")
            return 0 if current == heads else 1
    finally:
        await db.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiguillage",
        description=(
            "Aiguillage — bot Discord du réseau des professionnels de la médiation numérique. "
            "Réglages par variables d'environnement AIGUILLAGE_* et DISCORD_TOKEN (voir "
            "config/aiguillage.env.example)."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE")
    sub.add_parser("run", help="lancer le bot sur Discord (nécessite DISCORD_TOKEN)")
    demo = sub.add_parser(
        "demo",
        help="essayer le bot sans jeton, contre un Discord émulé, dans une console",
        description=(
            "Démarre le vrai bot contre un Discord émulé avec un réseau de démonstration, puis "
            "ouvre une console où l'on tape des commandes comme un membre : "
            '@membre /orienter besoin:"CAF" — voir le README pour la syntaxe.'
        ),
    )
    demo.add_argument(
        "--script", metavar="FICHIER", help="exécuter un fichier de lignes puis quitter"
    )
    demo.add_argument(
        "--directory",
        metavar="FICHIER",
        help="annuaire au format du standard national (CSV ou JSON) à la place de l'exemple",
    )
    demo.add_argument(
        "--data-dir", metavar="DOSSIER", help="dossier de données (défaut : temporaire)"
    )
    db = sub.add_parser("db", help="base de données : migrations")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="appliquer les migrations")
    db_sub.add_parser("current", help="afficher la révision de la base (code 1 si en retard)")
    invite = sub.add_parser("invite", help="afficher l'URL d'invitation du bot")
    invite.add_argument("application_id", type=int, help="identifiant de l'application Discord")
    for module_name in _capability_cli_modules():
        module = importlib.import_module(module_name)
        module.register(sub)
    return parser


def _capability_cli_modules() -> list[str]:
    from bot.client import discover_modules

    return discover_modules("cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return process_tuning.run(_run_bot())
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(script=args.script, directory=args.directory, data_dir=args.data_dir)
        if args.command == "db":
            return asyncio.run(_db_command(args.db_command))
        if args.command == "invite":
            print(invite_url(args.application_id))
            return 0
        handler = getattr(args, "handler", None)
        if handler is not None:
            result = handler(args)
            if asyncio.iscoroutine(result):
                result = asyncio.run(result)
            return int(result or 0)
        parser.print_help()
        return 0
    except ConfigError as exc:
        print(f"aiguillage : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
