"""Factories for the network's rows (structures, referents), shared by issue 5's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from db.engine import Database
from db.models.structures import Referent, ReferentRank, Structure

GUILD = 1000
OTHER_GUILD = 2000
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_structure(guild_id: int = GUILD, **fields: object) -> Structure:
    nom = str(fields.pop("nom", "CCAS de Mérignac"))
    values: dict[str, object] = {
        "guild_id": guild_id,
        "external_id": fields.pop("external_id", f"ext-{nom}"),
        "nom": nom,
        "commune": "Mérignac",
        "code_postal": "33700",
        "adresse": "1 place de la République",
        "date_maj": date(2026, 1, 1),
    }
    values.update(fields)
    return Structure(**values)


async def add_structures(database: Database, *names: str, guild_id: int = GUILD) -> list[int]:
    async with database.transaction() as session:
        rows = [make_structure(guild_id, nom=name) for name in names]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def add_referent(
    database: Database,
    structure_id: int,
    user_id: int,
    rank: str = ReferentRank.TITULAR,
    guild_id: int = GUILD,
) -> None:
    async with database.transaction() as session:
        session.add(
            Referent(
                guild_id=guild_id,
                structure_id=structure_id,
                user_id=user_id,
                rank=rank,
                assigned_at=NOW,
            )
        )
