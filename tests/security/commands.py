"""Every slash command of the bot, and a valid way to call each one.

``CASES`` holds one row per command (or per privileged variant of a command): the options a
person allowed to run it would give. The permission matrix runs each row as every persona;
``test_every_command_has_a_case`` fails when a capability adds a command without a row here,
so covering a new capability is adding rows, not rewriting tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from discord import app_commands
from sqlalchemy import select

from bot.clock import PARIS
from bot.harness import BotHarness
from bot.i18n import catalogues
from bot.permissions import required_access

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

Options = dict[str, Any]
OptionsFactory = Callable[[BotHarness], Awaitable[Options]]


def leaf_commands(tree: app_commands.CommandTree) -> list[tuple[str, app_commands.Command]]:
    """(qualified name, command) for every chat-input command and subcommand."""
    found: list[tuple[str, app_commands.Command]] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, app_commands.Group):
                walk(item.commands)
            elif isinstance(item, app_commands.Command):
                found.append((item.qualified_name, item))

    walk(list(tree.get_commands()))
    return sorted(found, key=lambda pair: pair[0])


def access_of(command: app_commands.Command) -> str:
    """The strictest access tag on the command or its parent groups."""
    from bot.permissions import ACCESS_RANK

    levels = [required_access(command)]
    parent = command.parent
    while parent is not None:
        extras = getattr(parent, "extras", None) or {}
        if "access" in extras:
            levels.append(str(extras["access"]))
        parent = parent.parent
    return max(levels, key=lambda level: ACCESS_RANK.get(level, 1))


# ---- refusals ---------------------------------------------------------------------------
REFUSAL_KEY = re.compile(r"(^core\.refused\.|\.not_yours$|\.refused_\w+$|\.reserved_\w+$)")


def refusal_prefixes(locale: str = "fr") -> list[str]:
    """The fixed start of every permission-refusal message of the catalogues."""
    messages = catalogues().messages[locale]
    prefixes = []
    for key, text in messages.items():
        if REFUSAL_KEY.search(key):
            prefix = text.split("{", 1)[0].strip()
            if len(prefix) >= 12:
                prefixes.append(prefix)
    return prefixes


def is_refusal(text: str) -> bool:
    return any(text.startswith(prefix) or prefix in text for prefix in refusal_prefixes())


# ---- helpers to find ids in the demo data -----------------------------------------------
def _day(h: BotHarness, days: int) -> str:
    return (h.clock.now().astimezone(PARIS) + timedelta(days=days)).strftime("%d/%m/%Y")


async def _event_id(h: BotHarness, *, upcoming: bool, kind: str | None = None) -> int:
    from db.models.events import NetworkEvent

    assert h.bot is not None
    now = h.clock.now()
    async with h.bot.db.session() as session:
        query = select(NetworkEvent.id).where(NetworkEvent.guild_id == h.guild_id)
        query = query.where(
            NetworkEvent.starts_at > now if upcoming else NetworkEvent.starts_at < now
        )
        if kind:
            query = query.where(NetworkEvent.kind == kind)
        found = await session.scalar(query.order_by(NetworkEvent.starts_at))
    assert found is not None, f"no {'upcoming' if upcoming else 'past'} {kind or 'event'}"
    return int(found)


async def _delivery_id(h: BotHarness, status: str) -> int:
    """A delivery of guild A in that status (a failed one is created if needed)."""
    from db.models import ScheduledDelivery

    assert h.bot is not None
    async with h.bot.db.transaction() as session:
        found = await session.scalar(
            select(ScheduledDelivery.id)
            .where(ScheduledDelivery.guild_id == h.guild_id, ScheduledDelivery.status == status)
            .order_by(ScheduledDelivery.id.desc())
        )
        if found is None:
            row = ScheduledDelivery(
                guild_id=h.guild_id,
                kind="message",
                due_at=h.clock.now() + timedelta(days=1),
                payload={"channel_id": h.channel("entraide"), "content": "Rappel"},
                status=status,
                attempts=0,
                last_error="channel missing" if status == "failed" else None,
            )
            session.add(row)
            await session.flush()
            found = row.id
    return int(found)


def static(options: Options) -> OptionsFactory:
    async def factory(h: BotHarness) -> Options:
        return dict(options)

    return factory


def dynamic(build: Callable[[BotHarness], Awaitable[Options]]) -> OptionsFactory:
    return build


@dataclass
class Case:
    command: str
    options: OptionsFactory = field(default_factory=lambda: static({}))
    # Access when it depends on the options (e.g. /newsletter cadence with a new rhythm).
    access: str | None = None
    # The command acts on the CCAS (represented by "referent", not by "referente-beutre").
    structure_scoped: bool = False
    note: str = ""

    @property
    def id(self) -> str:
        return self.command + (f" [{self.note}]" if self.note else "")


def _directory_file() -> tuple[str, bytes, str]:
    data = (ROOT / "tests/cogs/directory/fixtures/merignac.json").read_bytes()
    json.loads(data)  # a valid file, so only permissions decide
    return ("annuaire.json", data, "application/json")


async def _copil_minutes(h: BotHarness) -> Options:
    return {
        "evenement": await _event_id(h, upcoming=False, kind="copil"),
        "fichier": ("compte-rendu.pdf", PDF, "application/pdf"),
        "resume": "Bilan du semestre",
    }


CASES: list[Case] = [
    # core
    Case("aide"),
    Case("config voir"),
    Case(
        "config salon",
        dynamic(
            lambda h: _value({"reglage": "channel.events", "salon": h.channel("agenda-copil")})
        ),
    ),
    Case(
        "config role",
        dynamic(
            lambda h: _value({"reglage": "role.newsletter", "role": h.network.roles["charter"]})
        ),
    ),  # type: ignore[union-attr]
    Case("config valeur", static({"reglage": "events.quorum_percent", "valeur": "40"})),
    Case("config effacer", static({"reglage": "events.cadence_lead_days"})),
    Case("livraisons liste"),
    Case("livraisons relancer", dynamic(lambda h: _wrap("numero", _delivery_id(h, "failed")))),
    Case("livraisons annuler", dynamic(lambda h: _wrap("numero", _delivery_id(h, "pending")))),
    # directory
    Case("orienter", static({"besoin": "CAF"})),
    Case("structure fiche", static({"nom": "CCAS"})),
    Case("structure modifier", static({"nom": "CCAS"}), structure_scoped=True),
    Case("structure verifier", static({"nom": "CCAS"}), structure_scoped=True),
    Case("structure ajouter"),
    Case("structure archiver", static({"nom": "Mission locale"})),
    Case(
        "annuaire importer",
        dynamic(lambda h: _value({"fichier": _directory_file(), "simulation": True})),
    ),
    Case("annuaire exporter", static({"format": "csv"})),
    Case("annuaire a_verifier"),
    # events
    Case("copil historique"),
    Case("copil planifier", dynamic(lambda h: _value({"date": _day(h, 40), "heure": "14h"}))),
    Case(
        "copil modifier",
        dynamic(
            lambda h: _wrap("evenement", _event_id(h, upcoming=True, kind="copil"), lieu="Salle B")
        ),
    ),
    Case("copil compte-rendu", dynamic(_copil_minutes)),
    Case(
        "copil annuler",
        dynamic(
            lambda h: _wrap("evenement", _event_id(h, upcoming=True, kind="copil"), motif="Report")
        ),
    ),
    Case("evenement liste"),
    Case("evenement ics", dynamic(lambda h: _wrap("evenement", _event_id(h, upcoming=True)))),
    Case("evenement agenda"),
    Case("evenement rappels", static({"recevoir": False})),
    Case(
        "evenement planifier",
        dynamic(
            lambda h: _value(
                {"type": "atelier", "titre": "Atelier CV", "date": _day(h, 20), "heure": "10h"}
            )
        ),
    ),
    Case(
        "evenement modifier",
        dynamic(
            lambda h: _wrap(
                "evenement", _event_id(h, upcoming=True, kind="temps_fort"), lieu="Mairie"
            )
        ),
    ),
    Case(
        "evenement annuler",
        dynamic(lambda h: _wrap("evenement", _event_id(h, upcoming=True, kind="temps_fort"))),
    ),
    # newsletter
    Case("newsletter proposer"),
    Case("newsletter archives"),
    Case("newsletter abonnement"),
    Case("newsletter cadence"),
    Case(
        "newsletter cadence",
        static({"texte": "1er mardi des mois impairs à 09:00, clôture J-7"}),
        access="coordinator",
        note="changer le rythme",
    ),
    Case("newsletter file"),
    Case("newsletter ordre"),
    Case("newsletter apercu"),
    Case("newsletter planifier"),
    Case("newsletter annuler"),
    Case("newsletter publier", static({"introduction": "Bonjour à tout le réseau"})),
    Case("newsletter reessayer"),
]


async def _value(options: Options) -> Options:
    return options


async def _wrap(name: str, value: Awaitable[int], **extra: Any) -> Options:
    return {name: await value, **extra}
