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
# Permission refusals (not bad input): the runtime's, and the capabilities' own checks on
# who may act on a given structure, announcement, registration or mention.
REFUSAL_KEY = re.compile(
    r"(^core\.refused\.|[._]not_yours$|\.not_author$|\.not_owner$|\.not_allowed$"
    r"|_coordinators_only$|\.mention_not_allowed$)"
)


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
    """One way to call a command, and who may (the specification, not read from the code)."""

    command: str
    access: str  # "guest", "member", "referent" or "coordinator"
    options: OptionsFactory = field(default_factory=lambda: static({}))
    # The command acts on the CCAS or on something its referent owns (an announcement):
    # only "referent" and coordinators may, not "referente-beutre" (another structure).
    structure_scoped: bool = False
    # Set when the access depends on the options (the tree's tag is for the plain call).
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


def _roles(h: BotHarness) -> dict[str, int]:
    assert h.network is not None
    return h.network.roles


def _sid(h: BotHarness, name: str) -> int:
    assert h.network is not None
    return h.network.structures[name]


async def _referent_document(h: BotHarness) -> int:
    """A library document of guild A filed by the CCAS referent for the CCAS."""
    from db.models import Document

    assert h.bot is not None
    async with h.bot.db.session() as session:
        found = await session.scalar(
            select(Document.id)
            .where(Document.guild_id == h.guild_id, Document.owner_id == h.person("referent"))
            .order_by(Document.id)
        )
    assert found is not None, "the demo library has no document by the CCAS referent"
    return int(found)


async def _announcement_id(h: BotHarness) -> int:
    from db.models.announcements import Announcement

    assert h.bot is not None
    async with h.bot.db.session() as session:
        found = await session.scalar(
            select(Announcement.id)
            .where(
                Announcement.guild_id == h.guild_id,
                Announcement.author_id == h.person("referent"),
            )
            .order_by(Announcement.id)
        )
    assert found is not None, "the demo has no announcement by the CCAS referent"
    return int(found)


G, M, R, C = "guest", "member", "referent", "coordinator"
CHARTER = ("charte.md", b"# Charte du reseau\n\nNous orientons.\n", "text/markdown")

CASES: list[Case] = [
    # core
    Case("aide", G),
    Case("config voir", C),
    Case(
        "config salon",
        C,
        dynamic(
            lambda h: _value({"reglage": "channel.events", "salon": h.channel("agenda-copil")})
        ),
    ),
    Case(
        "config role",
        C,
        dynamic(lambda h: _value({"reglage": "role.newsletter", "role": _roles(h)["charter"]})),
    ),
    Case("config valeur", C, static({"reglage": "events.quorum_percent", "valeur": "40"})),
    Case("config effacer", C, static({"reglage": "events.cadence_lead_days"})),
    Case("livraisons liste", C),
    Case("livraisons relancer", C, dynamic(lambda h: _wrap("numero", _delivery_id(h, "failed")))),
    Case("livraisons annuler", C, dynamic(lambda h: _wrap("numero", _delivery_id(h, "pending")))),
    # directory
    Case("orienter", M, static({"besoin": "CAF"})),
    Case("structure fiche", M, static({"nom": "CCAS"})),
    Case("structure modifier", M, static({"nom": "CCAS"}), structure_scoped=True),
    Case("structure verifier", M, static({"nom": "CCAS"}), structure_scoped=True),
    Case("structure ajouter", C),
    Case("structure archiver", C, static({"nom": "Mission locale"})),
    Case(
        "annuaire importer",
        C,
        dynamic(lambda h: _value({"fichier": _directory_file(), "simulation": True})),
    ),
    Case("annuaire exporter", C, static({"format": "csv"})),
    Case("annuaire a_verifier", C),
    # events
    Case("copil historique", M),
    Case("copil planifier", C, dynamic(lambda h: _value({"date": _day(h, 40), "heure": "14h"}))),
    Case(
        "copil modifier",
        C,
        dynamic(
            lambda h: _wrap("evenement", _event_id(h, upcoming=True, kind="copil"), lieu="Salle B")
        ),
    ),
    Case("copil compte-rendu", C, dynamic(_copil_minutes)),
    Case(
        "copil annuler",
        C,
        dynamic(
            lambda h: _wrap("evenement", _event_id(h, upcoming=True, kind="copil"), motif="Report")
        ),
    ),
    Case("evenement liste", M),
    Case("evenement ics", M, dynamic(lambda h: _wrap("evenement", _event_id(h, upcoming=True)))),
    Case("evenement agenda", M),
    Case("evenement rappels", M, static({"recevoir": False})),
    Case(
        "evenement planifier",
        C,
        dynamic(
            lambda h: _value(
                {"type": "atelier", "titre": "Atelier CV", "date": _day(h, 20), "heure": "10h"}
            )
        ),
    ),
    Case(
        "evenement modifier",
        C,
        dynamic(
            lambda h: _wrap(
                "evenement", _event_id(h, upcoming=True, kind="temps_fort"), lieu="Mairie"
            )
        ),
    ),
    Case(
        "evenement annuler",
        C,
        dynamic(lambda h: _wrap("evenement", _event_id(h, upcoming=True, kind="temps_fort"))),
    ),
    # newsletter
    Case("newsletter proposer", M),
    Case("newsletter archives", M),
    Case("newsletter abonnement", M),
    Case("newsletter cadence", M),
    Case(
        "newsletter cadence",
        C,
        static({"texte": "1er mardi des mois impairs à 09:00, clôture J-7"}),
        note="changer le rythme",
    ),
    Case("newsletter file", C),
    Case("newsletter ordre", C),
    Case("newsletter apercu", C),
    Case("newsletter planifier", C),
    Case("newsletter annuler", C),
    Case("newsletter publier", C, static({"introduction": "Bonjour à tout le réseau"})),
    Case("newsletter reessayer", C),
    # referents, onboarding, announcements, charter, audit
    Case("referent liste", M),
    Case(
        "referent designer",
        C,
        dynamic(
            lambda h: _value({"membre": h.person("conseiller"), "structure": _sid(h, "MDH Arlac")})
        ),
    ),
    Case(
        "referent suppleant",
        C,
        dynamic(
            lambda h: _value(
                {"membre": h.person("conseiller"), "structure": _sid(h, "MDH Capeyron")}
            )
        ),
    ),
    Case(
        "referent retirer",
        C,
        dynamic(
            lambda h: _value({"membre": h.person("conseiller"), "structure": _sid(h, "MDH Arlac")})
        ),
    ),
    Case("referent synchroniser", C),
    Case("inscription", G, dynamic(lambda h: _value({"structure": _sid(h, "Médiathèque")}))),
    Case("inscriptions", R),
    Case("annonce", R, dynamic(lambda h: _value({"salon": h.channel("annonces")}))),
    Case(
        "annonce",
        C,
        dynamic(lambda h: _value({"salon": h.channel("annonces"), "diffusion": "everyone"})),
        note="@everyone",
    ),
    Case(
        "annonce",
        C,
        dynamic(
            lambda h: _value({"salon": h.channel("annonces"), "mention": _roles(h)["coordination"]})
        ),
        note="rôle non autorisé aux référents",
    ),
    Case(
        "annonces modifier",
        R,
        dynamic(lambda h: _wrap("numero", _announcement_id(h))),
        structure_scoped=True,
    ),
    Case(
        "annonces retirer",
        R,
        dynamic(lambda h: _wrap("numero", _announcement_id(h))),
        structure_scoped=True,
    ),
    Case("charte voir", G),
    Case("charte publier", C, static({"fichier": CHARTER, "version": "v9"})),
    Case("charte suivi", C),
    Case("audit", C),
    # library
    Case("doc chercher", M, static({"requete": "CAF"})),
    Case("doc recents", M),
    Case("doc tags", M),
    Case(
        "doc ajouter", M, static({"titre": "Fiche pratique", "lien": "https://exemple.org/fiche"})
    ),
    Case(
        "doc remplacer",
        M,
        dynamic(
            lambda h: _wrap(
                "document", _referent_document(h), lien="https://exemple.org/v2", note="maj"
            )
        ),
        structure_scoped=True,
    ),
    Case(
        "doc supprimer",
        M,
        dynamic(lambda h: _wrap("document", _referent_document(h))),
        structure_scoped=True,
    ),
    Case("doc restaurer", C, dynamic(lambda h: _wrap("document", _referent_document(h)))),
    # observatory
    Case("observatoire voir", C),
    Case("observatoire rapport", C),
    Case("observatoire lien", C),
    # public guide
    Case("guide lien", M),
    Case("guide publier", C, static({"titre": "Guide numérique de Mérignac"})),
    Case("guide retirer", C),
    # observatory (coordinators only: it shows the whole network's figures)
    Case("observatoire voir", C),
    Case("observatoire rapport", C),
    Case("observatoire lien", C),
]


async def _value(options: Options) -> Options:
    return options


async def _wrap(name: str, value: Awaitable[int], **extra: Any) -> Options:
    return {name: await value, **extra}
