"""The demo network: a Mérignac-like server with structures, people and channels.

Used by ``aiguillage demo`` and by the end-to-end tests, so both exercise the same world.
The people ``coordinateur``, ``referent``, ``membre`` and ``nouveau`` always exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import Referent, Structure
from db.models.structures import ReferentRank

if TYPE_CHECKING:
    from bot.client import AiguillageBot
    from bot.emulator import EmulatedDiscord

SAMPLE_DIRECTORY = Path(__file__).resolve().parents[1] / "config" / "demo" / "structures.json"

# Standard fields holding several values joined with "|".
MULTI_VALUED = {
    "typologie",
    "courriels",
    "site_web",
    "itinerance",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
}

CHANNELS = {
    "accueil": 0,
    "annonces": 5,  # an announcement channel: posts there are crossposted
    "coordination": 0,
    "journal-audit": 0,
    "documents": 0,
    "lettre-info": 5,
    "agenda-copil": 0,
    "entraide": 0,
}

SETTINGS = {
    "channel.onboarding": "accueil",
    "channel.coordination": "coordination",
    "channel.audit": "journal-audit",
    "channel.documents": "documents",
    "channel.newsletter": "lettre-info",
    "channel.events": "agenda-copil",
}


@dataclass
class DemoNetwork:
    guild_id: int
    people: dict[str, int]
    channels: dict[str, int]
    roles: dict[str, int]
    structures: dict[str, int] = field(default_factory=dict)  # short name -> structure id


def build_demo_guild(
    emu: EmulatedDiscord, name: str = "Réseau numérique inclusif — Mérignac"
) -> DemoNetwork:
    """Create the server on the emulated Discord (roles, channels, members)."""
    guild = emu.add_guild(name)
    coordination = guild.add_role("Coordination", permissions=0, hoist=True)
    member_role = guild.add_role("Membre du réseau")
    referent_role = guild.add_role("Référent·e", mentionable=True)
    charter_role = guild.add_role("Charte acceptée")
    channels = {
        channel_name: guild.add_channel(channel_name, type=kind).id
        for channel_name, kind in CHANNELS.items()
    }
    people = {
        "coordinateur": guild.add_member(
            "coordinateur",
            roles=[coordination, member_role, charter_role],
            global_name="Claire (coordination)",
        ).id,
        "referent": guild.add_member(
            "referent",
            roles=[member_role, referent_role, charter_role],
            global_name="Rachid (CCAS)",
        ).id,
        "membre": guild.add_member(
            "membre", roles=[member_role, charter_role], global_name="Maëlle (médiathèque)"
        ).id,
        "nouveau": guild.add_member("nouveau", roles=[], global_name="Noé (nouvel arrivant)").id,
        "referente-beutre": guild.add_member(
            "referente-beutre",
            roles=[member_role, referent_role, charter_role],
            global_name="Inès (MDH Beutre)",
        ).id,
        "conseiller": guild.add_member(
            "conseiller", roles=[member_role], global_name="Hugo (conseiller numérique)"
        ).id,
        "english": guild.add_member(
            "english",
            roles=[member_role, charter_role],
            locale="en-US",
            global_name="Sam (English UI)",
        ).id,
    }
    roles = {
        "coordination": coordination.id,
        "member": member_role.id,
        "referent": referent_role.id,
        "charter": charter_role.id,
    }
    return DemoNetwork(guild.id, people, channels, roles)


def structure_from_standard(row: dict[str, Any], guild_id: int) -> Structure:
    """A Structure from one record of the national standard (sample data is clean)."""
    values: dict[str, Any] = {}
    for key, value in row.items():
        if key == "id":
            values["external_id"] = str(value)
        elif key in MULTI_VALUED:
            values[key] = [v.strip() for v in str(value).split("|") if v.strip()]
        elif key == "date_maj":
            values[key] = date.fromisoformat(str(value))
        elif key in Structure.__table__.columns:
            values[key] = value
    return Structure(guild_id=guild_id, **values)


async def seed_demo_database(bot: AiguillageBot, network: DemoNetwork) -> None:
    """Settings, the directory sample and referents; then each capability's own demo data."""
    guild_id = network.guild_id
    for key, channel_name in SETTINGS.items():
        await bot.guild_config.set(guild_id, key, network.channels[channel_name])
    await bot.guild_config.set(guild_id, "channel.announcements", [network.channels["annonces"]])
    await bot.guild_config.set(guild_id, "role.coordinator", network.roles["coordination"])
    await bot.guild_config.set(guild_id, "role.member", network.roles["member"])
    await bot.guild_config.set(guild_id, "role.referent", network.roles["referent"])
    await bot.guild_config.set(guild_id, "role.charter", network.roles["charter"])

    if getattr(bot.settings, "demo_directory_file", None) is None:
        async with bot.db.transaction() as session:
            existing = await session.scalar(
                select(Structure.id).where(Structure.guild_id == guild_id).limit(1)
            )
            if existing is None:
                rows = json.loads(SAMPLE_DIRECTORY.read_text(encoding="utf-8"))
                for row in rows:
                    session.add(structure_from_standard(row, guild_id))
    # Otherwise the directory capability imports the operator's file (see cogs/directory/demo.py).
    await assign_demo_referents(bot, network)


async def assign_demo_referents(bot: AiguillageBot, network: DemoNetwork) -> None:
    """Make the demo's referents represent a structure: the sample's CCAS and MDH Beutre, or
    the first active structures of an imported directory."""
    guild_id = network.guild_id
    async with bot.db.transaction() as session:
        structures = list(
            await session.scalars(
                select(Structure)
                .where(Structure.guild_id == guild_id, Structure.archived_at.is_(None))
                .order_by(Structure.id)
            )
        )
        network.structures = {s.display_name: s.id for s in structures}
        if not structures:
            return
        by_external = {s.external_id: s for s in structures}
        wanted = [
            ("referent", by_external.get("merignac-ccas", structures[0])),
            ("referente-beutre", by_external.get("merignac-mdh-beutre", structures[-1])),
        ]
        for person, structure in wanted:
            user_id = network.people[person]
            current = await session.scalar(
                select(Referent.id)
                .join(Structure, Structure.id == Referent.structure_id)
                .where(
                    Referent.guild_id == guild_id,
                    Referent.user_id == user_id,
                    Referent.active.is_(True),
                    Structure.archived_at.is_(None),
                )
            )
            if current is None:
                session.add(
                    Referent(
                        guild_id=guild_id,
                        structure_id=structure.id,
                        user_id=user_id,
                        rank=ReferentRank.TITULAR,
                    )
                )
