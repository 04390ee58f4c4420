from __future__ import annotations

from datetime import UTC, date, datetime

from db.engine import Database
from db.models.structures import Structure

GUILD = 1001
OTHER_GUILD = 2002
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def add_structure(db: Database, guild_id: int = GUILD, nom: str = "CCAS de Mérignac") -> int:
    async with db.transaction() as session:
        structure = Structure(
            guild_id=guild_id,
            external_id=f"ext-{nom}",
            nom=nom,
            short_name="CCAS" if nom.startswith("CCAS") else None,
            commune="Mérignac",
            code_postal="33700",
            adresse="1 place de l'Hôtel de Ville",
            date_maj=date(2026, 11, 1),
        )
        session.add(structure)
        await session.flush()
        return structure.id
