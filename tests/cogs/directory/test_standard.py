"""Import/export in the national standard: validation, tolerance of real files, all or
nothing, dry run, idempotence, byte-for-byte round trip, formula injection, data·inclusion."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from db.directory import datainclusion, standard
from db.directory.standard import StandardFileError, import_bytes, import_file
from db.engine import Database
from db.models.structures import SERVICES, Structure

from .conftest import CHARENTE, FIXTURES, GUILD, MERIGNAC, TUESDAY_10AM

HEADER = ",".join(standard.field_names())


def _csv(*rows: dict[str, str], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    names = list(dict.fromkeys(name for row in rows for name in row))
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(n, "") for n in names])
    return buffer.getvalue().encode("utf-8")


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "id": "lieu-1",
        "pivot": "00000000000000",
        "nom": "Maison des Habitants",
        "commune": "Mérignac",
        "code_postal": "33700",
        "adresse": "1 rue de la Paix",
        "date_maj": "2026-01-15",
        "services": "Aide aux démarches administratives",
    }
    row.update(overrides)
    return row


async def _count(database: Database, guild_id: int = GUILD) -> int:
    async with database.session() as session:
        return await session.scalar(
            select(func.count()).select_from(Structure).where(Structure.guild_id == guild_id)
        )


def test_schema_copy_has_32_fields_7_required() -> None:
    fields = standard.schema()["fields"]
    assert len(fields) == 32
    assert sum(1 for f in fields if f.get("constraints", {}).get("required")) == 7
    assert set(standard.field_names()) - {"id"} <= set(Structure.__table__.columns.keys())


def test_standard_example_is_valid() -> None:
    parsed = standard.parse_standard_file(
        (FIXTURES / "exemple-valide-lieux-mediation-numerique.csv").read_bytes(), "ex.csv"
    )
    row = parsed.rows[0]
    assert row["typologie"] == ["TIERS_LIEUX", "ASSO"]
    assert row["dispositif_programmes_nationaux"] == [
        "Aidants Connect",
        "Conseillers numériques",
        "La Croix Rouge",
    ]
    assert row["latitude"] == pytest.approx(43.52609)
    assert row["date_maj"] == date(2024, 4, 2)


def test_legacy_names_separators_and_values_are_understood() -> None:
    data = json.dumps(
        [
            {
                "id": "x",
                "pivot": "00000000000000",
                "nom": "Mairie",
                "commune": "Cognac",
                "code_postal": "16100",
                "adresse": "1 rue",
                "date_maj": "2023-01-01",
                "services": "Maîtrise des outils numériques du quotidien;Comprehension du monde numerique",
                "labels_nationaux": "CNFS;France Services",
                "accessibilite": "https://acceslibre.beta.gouv.fr/x",
                "courriel": "mairie@cognac.fr",
                "publics_accueillis": "Adultes;Jeunes (16-26 ans);Seniors (+ 65 ans)",
                "telephone": "05 45 12 34 56",
            }
        ]
    ).encode()
    row = standard.parse_standard_file(data, "old.json").rows[0]
    assert row["services"] == [
        "Maîtrise des outils numériques du quotidien",
        "Compréhension du monde numérique",
    ]
    assert row["dispositif_programmes_nationaux"] == ["Conseillers numériques", "France Services"]
    assert row["fiche_acces_libre"] == "https://acceslibre.beta.gouv.fr/x"
    assert row["courriels"] == ["mairie@cognac.fr"]
    assert row["publics_specifiquement_adresses"] == ["Jeunes", "Seniors"]
    assert row["telephone"] == "+33545123456"


def test_semicolon_csv_with_bom_and_latin1() -> None:
    row = _row(nom="Médiathèque Éole", services="Aide aux démarches administratives")
    text = _csv(row, delimiter=";").decode()
    for data in ("\ufeff" + text).encode("utf-8"), text.encode("cp1252"):
        parsed = standard.parse_standard_file(data, "f.csv")
        assert parsed.rows[0]["nom"] == "Médiathèque Éole"
    assert "Latin-1" in " ".join(standard.parse_standard_file(text.encode("cp1252")).warnings)


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"services": "Aide aux devoirs"}, "services", "valeur inconnue"),
        ({"code_postal": "3370"}, "code_postal", None),  # leading zero restored, valid
        ({"code_postal": "ABCDE"}, "code_postal", "format invalide"),
        ({"horaires": "Lundi 9h-12h"}, "horaires", "horaires illisibles"),
        ({"latitude": "144.8", "longitude": "-0.6"}, "latitude", "hors limites"),
        ({"latitude": "abc", "longitude": "-0.6"}, "latitude", "nombre attendu"),
        ({"date_maj": "15/13/2026"}, "date_maj", "date attendue"),
        ({"nom": ""}, "nom", "obligatoire"),
        ({"typologie": "CCAS|MAIRIE"}, "typologie", "MAIRIE"),
        ({"courriels": "pas-un-mail"}, "courriels", "courriel invalide"),
        ({"presentation_resume": "x" * 300}, "presentation_resume", "trop long"),
        ({"telephone": "12345"}, "telephone", "format invalide"),
    ],
)
def test_each_bad_value_is_reported_with_line_and_field(
    overrides: dict[str, str], field: str, fragment: str | None
) -> None:
    data = _csv(_row(id="ok"), _row(id="bad", **overrides))
    if fragment is None:
        standard.parse_standard_file(data, "f.csv")
        return
    with pytest.raises(StandardFileError) as error:
        standard.parse_standard_file(data, "f.csv")
    issue = error.value.issues[0]
    assert (issue.line, issue.field) == (3, field)
    assert fragment in issue.message
    assert f"ligne 3, champ « {field} »" in error.value.summary()


def test_duplicate_ids_and_malformed_files_are_refused() -> None:
    with pytest.raises(StandardFileError, match="déjà utilisé ligne 2"):
        standard.parse_standard_file(_csv(_row(), _row()), "f.csv")
    with pytest.raises(StandardFileError, match="JSON illisible"):
        standard.parse_standard_file(b'[{"id": "x",', "f.json")
    with pytest.raises(StandardFileError, match="vide"):
        standard.parse_standard_file(b"   ", "f.csv")
    with pytest.raises(StandardFileError, match="valeurs pour"):
        standard.parse_standard_file(b"id,nom\r\na,b,c,d\r\n", "f.csv")
    with pytest.raises(StandardFileError, match="trop volumineux"):
        standard.parse_standard_file(b" " * (standard.MAX_FILE_BYTES + 1), "f.csv")


async def test_import_is_all_or_nothing(database: Database) -> None:
    data = _csv(_row(id="a"), _row(id="b"), _row(id="c", services="Cours de cuisine"))
    async with database.transaction() as session:
        with pytest.raises(StandardFileError) as error:
            await import_bytes(session, GUILD, data, "f.csv", now=TUESDAY_10AM)
    assert [i.line for i in error.value.issues] == [4]
    assert await _count(database) == 0


async def test_import_dry_run_then_reimport_is_idempotent(database: Database) -> None:
    async with database.transaction() as session:
        plan = await import_file(session, GUILD, MERIGNAC, dry_run=True, now=TUESDAY_10AM)
    assert len(plan.created) == 27 and not plan.applied
    assert await _count(database) == 0
    async with database.transaction() as session:
        plan = await import_file(session, GUILD, MERIGNAC, now=TUESDAY_10AM)
    assert len(plan.created) == 27 and plan.applied
    async with database.transaction() as session:
        plan = await import_file(session, GUILD, MERIGNAC, now=TUESDAY_10AM)
    assert (plan.created, plan.updated, plan.archived, plan.unchanged) == ([], {}, [], 27)
    assert await _count(database) == 27


async def test_reimport_plans_updates_and_archives(database: Database) -> None:
    rows = json.loads(MERIGNAC.read_text())
    async with database.transaction() as session:
        await import_file(session, GUILD, MERIGNAC, now=TUESDAY_10AM)
    rows[0]["horaires"] = "Mo-Fr 09:00-12:00"
    changed = json.dumps(rows[:-1]).encode()  # the last place left the file
    async with database.transaction() as session:
        plan = await import_bytes(session, GUILD, changed, "f.json", dry_run=True)
    assert plan.updated == {rows[0]["id"]: ["horaires"]}
    assert plan.archived == [rows[-1]["id"]]
    async with database.transaction() as session:
        await import_bytes(session, GUILD, changed, "f.json", now=TUESDAY_10AM)
    async with database.session() as session:
        archived = await session.scalar(
            select(Structure).where(Structure.external_id == rows[-1]["id"])
        )
        first = await session.scalar(
            select(Structure).where(Structure.external_id == rows[0]["id"])
        )
    assert archived.archived_at is not None
    assert first.horaires == "Mo-Fr 09:00-12:00"
    # Coming back in a later file restores it.
    async with database.transaction() as session:
        plan = await import_file(session, GUILD, MERIGNAC, now=TUESDAY_10AM)
    assert plan.restored == [rows[-1]["id"]]


async def test_charente_sample_imports(database: Database) -> None:
    async with database.transaction() as session:
        plan = await import_file(session, GUILD + 1, CHARENTE, now=TUESDAY_10AM)
    assert len(plan.created) == 188
    assert any("labels_nationaux" in w for w in plan.warnings)
    async with database.session() as session:
        masks = (
            await session.scalars(
                select(Structure.services_mask).where(Structure.guild_id == GUILD + 1)
            )
        ).all()
    assert all(masks)


async def test_export_is_byte_for_byte_reimportable(database: Database) -> None:
    async with database.transaction() as session:
        await import_file(session, GUILD, CHARENTE, now=TUESDAY_10AM)
    async with database.session() as session:
        structures = (
            await session.scalars(select(Structure).where(Structure.guild_id == GUILD))
        ).all()
    exported_csv = standard.export_csv(structures)
    exported_json = standard.export_json(structures)
    assert exported_csv.startswith(('"' + '","'.join(standard.field_names()) + '"\r\n').encode())
    # Into another guild, then exported again: identical bytes.
    for data, name, other in ((exported_csv, "x.csv", 11), (exported_json, "x.json", 12)):
        async with database.transaction() as session:
            await import_bytes(session, other, data, name, now=TUESDAY_10AM)
        async with database.session() as session:
            again = (
                await session.scalars(select(Structure).where(Structure.guild_id == other))
            ).all()
        assert (
            standard.export_csv(again) if name.endswith("csv") else standard.export_json(again)
        ) == data
        async with database.transaction() as session:
            plan = await import_bytes(session, GUILD, data, name, dry_run=True)
        assert (plan.created, plan.updated, plan.archived) == ([], {}, [])


async def test_exported_csv_neutralizes_formulas_and_round_trips(database: Database) -> None:
    evil = [
        _row(id="f1", nom='=HYPERLINK("http://x")'),
        _row(id="f2", nom="@SUM(A1)", adresse="+cmd|' /C calc'!A0"),
        _row(id="f3", nom="-2+3", telephone="+33556000000"),
    ]
    async with database.transaction() as session:
        await import_bytes(session, GUILD, _csv(*evil), "evil.csv", now=TUESDAY_10AM)
    async with database.session() as session:
        structures = (
            await session.scalars(select(Structure).where(Structure.guild_id == GUILD))
        ).all()
    exported = standard.export_csv(structures)
    cells = [c for row in csv.reader(io.StringIO(exported.decode())) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "@") or re.match(r"^[-+][^\d]", c)]
    assert '\'=HYPERLINK("http://x")' in cells and "+33556000000" in cells
    async with database.transaction() as session:
        plan = await import_bytes(session, GUILD, exported, "again.csv", dry_run=True)
    assert plan.unchanged == 3 and not plan.updated


async def test_data_inclusion_export_follows_its_vocabularies(directory: Database) -> None:
    async with directory.session() as session:
        structures = (
            await session.scalars(select(Structure).where(Structure.guild_id == GUILD))
        ).all()
    document = json.loads(datainclusion.export_data_inclusion(structures))
    di = json.loads((datainclusion.DI_DIR / "service.json").read_text())
    defs = di["$defs"]
    assert len(document["structures"]) == 27
    expected_services = sum(len(s.services) for s in structures)
    assert len(document["services"]) == expected_services
    for service in document["services"]:
        for required in di["required"]:
            assert service[required], required
        assert set(service["thematiques"]) <= set(defs["Thematique"]["enum"])
        assert set(service["publics"]) <= set(defs["Public"]["enum"])
        assert service["frais"] in (*defs["Frais"]["enum"], None)
        assert set(service["modes_mobilisation"] or []) <= set(defs["ModeMobilisation"]["enum"])
        assert service["structure_id"] in {s["id"] for s in document["structures"]}
    ds = json.loads((datainclusion.DI_DIR / "structure.json").read_text())
    for record in document["structures"]:
        assert set(record) <= set(ds["properties"])
        for required in ds["required"]:
            assert record[required]
        assert set(record["reseaux_porteurs"] or []) <= set(ds["$defs"]["ReseauPorteur"]["enum"])


def test_every_service_maps_to_data_inclusion() -> None:
    thematiques = datainclusion.vocabulary("thematiques")
    for service in SERVICES:
        assert datainclusion.SERVICE_THEMATIQUES[service]
        assert set(datainclusion.SERVICE_THEMATIQUES[service]) <= thematiques
