"""Open data: the guide's places in the national standard (CSV, JSON) and in
data·inclusion, under the Licence Ouverte 2.0 (etalab-2.0), with a Frictionless data
package that says what, under which licence and as of when, so harvesters (the national
map of digital-inclusion places, data.gouv.fr) can take it.

The files themselves are the directory's own exporter's output: byte-for-byte what
`aiguillage directory export` writes, so they re-import without loss.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from db.directory.datainclusion import export_data_inclusion
from db.directory.standard import export_csv, export_json, schema
from db.models.structures import Structure

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
STANDARD_HOME = "https://github.com/LaMednum/standard-mediation-num"
DATA_INCLUSION_HOME = "https://github.com/gip-inclusion/data-inclusion-schema"


@dataclass(frozen=True)
class OpenDataFormat:
    key: str
    filename: str
    media_type: str
    title: str
    exporter: Callable[[list[Structure]], bytes]
    follows_standard: bool


FORMATS: dict[str, OpenDataFormat] = {
    f.key: f
    for f in (
        OpenDataFormat(
            "csv",
            "lieux-mediation-numerique.csv",
            "text/csv",
            "Lieux de médiation numérique (CSV, standard national v1.0.2)",
            export_csv,
            True,
        ),
        OpenDataFormat(
            "json",
            "lieux-mediation-numerique.json",
            "application/json",
            "Lieux de médiation numérique (JSON, standard national v1.0.2)",
            export_json,
            True,
        ),
        OpenDataFormat(
            "data-inclusion",
            "data-inclusion.json",
            "application/json",
            "Structures et services (JSON, schéma data·inclusion)",
            export_data_inclusion,
            False,
        ),
    )
}
FILENAMES = {f.filename: f for f in FORMATS.values()}


async def load_structures(session: AsyncSession, guild_id: int) -> list[Structure]:
    """Every active place of the guild (referents are not even loaded)."""
    rows = await session.scalars(
        select(Structure)
        .options(lazyload(Structure.referents))
        .where(Structure.guild_id == guild_id, Structure.archived_at.is_(None))
    )
    return list(rows)


def export(kind: str, structures: list[Structure]) -> bytes:
    return FORMATS[kind].exporter(structures)


def datapackage(
    *,
    title: str,
    slug: str,
    guide_url: str,
    file_url: Callable[[str], str],
    place_count: int,
    last_modified: datetime | None,
    data_date: date | None,
) -> dict[str, Any]:
    """A Frictionless Data Package descriptor (the format the standard itself is written
    in) with the licence and the last update, in French where it is free text."""
    standard = schema()
    modified = (last_modified or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    resources = []
    for fmt in FORMATS.values():
        resource: dict[str, Any] = {
            "name": fmt.key,
            "title": fmt.title,
            "path": file_url(fmt.filename),
            "format": fmt.filename.rsplit(".", 1)[1],
            "mediatype": fmt.media_type,
            "encoding": "utf-8",
            "licenses": [LICENCE],
        }
        if fmt.follows_standard:
            resource["schema"] = standard.get("uri")
        else:
            resource["homepage"] = DATA_INCLUSION_HOME
        resources.append(resource)
    return {
        "profile": "data-package",
        "name": f"lieux-mediation-numerique-{slug}",
        "title": f"Lieux de médiation numérique — {title}",
        "description": (
            "Lieux où se faire aider avec le numérique (démarches en ligne, accès à un "
            "ordinateur ou à internet, apprentissage), tenus à jour par les structures du "
            "réseau. Conforme au schéma national des lieux de médiation numérique "
            f"({standard.get('version', 'v1.0.2')})."
        ),
        "homepage": guide_url,
        "licenses": [LICENCE],
        "keywords": ["médiation numérique", "inclusion numérique", "lieux"],
        "countryCode": "FR",
        "lastModified": modified.isoformat().replace("+00:00", "Z"),
        "dataDate": data_date.isoformat() if data_date else None,
        "count": place_count,
        "schema": {
            "name": standard.get("name"),
            "version": standard.get("version"),
            "uri": standard.get("uri"),
            "homepage": STANDARD_HOME,
        },
        "resources": resources,
    }


def datapackage_bytes(descriptor: dict[str, Any]) -> bytes:
    cleaned = {k: v for k, v in descriptor.items() if v is not None}
    return (json.dumps(cleaned, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
