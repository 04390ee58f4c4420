"""The national standard for places of digital mediation (v1.0.2): validation, import, export.

Everything here is driven by the standard's own Table Schema (``data/`` holds a copy):
required fields, types, patterns of the closed vocabularies, maximum lengths. Real files
are messy, so reading is lenient where the meaning is certain (older field names and
separators, BOM, Latin-1, French phone numbers, case and accents of vocabulary values)
and strict everywhere else: one bad row and nothing is imported, with every error given
by line and field.

No Discord here: the cog, the CLI and the demo call these functions.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import opening_hours
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.structures import Structure, fold

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_PATH = DATA_DIR / "schema-lieux-mediation-numerique.schema.json"

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS_SHOWN = 50


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def schema_fields() -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema()["fields"]}


def field_names() -> list[str]:
    """The 32 columns, in the standard's order."""
    return [f["name"] for f in schema()["fields"]]


@cache
def typologie_codes() -> dict[str, str]:
    with (DATA_DIR / "typologies.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["libelle"] for row in csv.DictReader(handle)}


# Fields kept as lists in the model and written with `|`.
MULTI_VALUED = frozenset(
    {
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
)
# Multi-valued fields whose values never contain a comma: an old file's `,` separates them.
COMMA_SEPARATED_OK = MULTI_VALUED - {"autres_formations_labels"}

# Older names still found in real files (national map exports of 2022-2023).
LEGACY_FIELD_NAMES = {
    "accessibilite": "fiche_acces_libre",
    "labels_nationaux": "dispositif_programmes_nationaux",
    "labels_autres": "autres_formations_labels",
    "courriel": "courriels",
    "publics_accueillis": "publics_specifiquement_adresses",
    "conditions_acces": "frais_a_charge",
}
# Fields that are ours, accepted as extra columns (never required, never exported to the
# standard's files).
EXTENSION_FIELDS = ("quartier",)

# Older or informal spellings of closed-vocabulary values, by folded form. "" drops it
# (e.g. "Adultes": the standard says a place is for everyone unless a public is given).
LEGACY_VALUES: dict[str, dict[str, str]] = {
    "dispositif_programmes_nationaux": {
        "cnfs": "Conseillers numériques",
        "conseiller numerique": "Conseillers numériques",
        "conseillers numeriques france services": "Conseillers numériques",
        "france service": "France Services",
        "maison france services": "France Services",
        "pan caf": "Point d'accès numérique CAF",
        "aidant connect": "Aidants Connect",
    },
    "publics_specifiquement_adresses": {
        "jeunes 16 26 ans": "Jeunes",
        "seniors 65 ans": "Seniors",
        "familles enfants": "Familles et/ou enfants",
        "familles": "Familles et/ou enfants",
        "adultes": "",
        "tout public": "",
        "tous publics": "",
    },
    "frais_a_charge": {"gratuit sous conditions": "Gratuit sous condition"},
    "modalites_accompagnement": {
        "dans un atelier collectif j apprends collectivement a utiliser le numerique": (
            "Dans un atelier collectif"
        ),
        "a distance par telephone ou en visioconference": "À distance",
    },
}

PIVOT_UNKNOWN = "00000000000000"
_EMAIL = re.compile(r"^[^@\s|]+@[^@\s|]+\.[^@\s|]+$")
_URL = re.compile(r"^https?://[^\s|]+$", re.IGNORECASE)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ImportIssue:
    """One problem in an input file; ``line`` is the line of the file (header = 1) or the
    1-based record number of a JSON array."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}" if self.line else "fichier"
        if self.field:
            where += f", champ « {self.field} »"
        return f"{where} : {self.message}"


class StandardFileError(Exception):
    """The file was refused: nothing was changed. ``issues`` says where and why."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues[:5]))

    def summary(self, limit: int = MAX_ERRORS_SHOWN) -> str:
        lines = [str(issue) for issue in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"… et {len(self.issues) - limit} autre(s) erreur(s).")
        return "\n".join(lines)


@dataclass
class ParsedFile:
    rows: list[dict[str, Any]]  # model-ready values, keyed by standard name (+ extensions)
    line_numbers: list[int]
    encoding: str
    columns: list[str]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (with or without BOM), else Windows-1252/Latin-1,
    the usual encodings of spreadsheets exported on French Windows machines."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "latin-1"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep])


def read_records(data: bytes, filename: str = "") -> tuple[list[dict[str, Any]], list[int], str]:
    """Raw records (field -> value) of a CSV or JSON file with their line numbers."""
    if len(data) > MAX_FILE_BYTES:
        raise StandardFileError(
            [
                ImportIssue(
                    0,
                    "",
                    f"fichier trop volumineux ({len(data) // (1024 * 1024)} Mo ; "
                    f"maximum {MAX_FILE_BYTES // (1024 * 1024)} Mo).",
                )
            ]
        )
    text, encoding = decode(data)
    stripped = text.lstrip()
    if not stripped:
        raise StandardFileError([ImportIssue(0, "", "le fichier est vide.")])
    is_json = filename.lower().endswith(".json") or stripped[0] in "[{"
    if is_json:
        records, lines = _read_json(stripped)
    else:
        records, lines = _read_csv(text)
    if len(records) > MAX_ROWS:
        raise StandardFileError(
            [ImportIssue(0, "", f"trop de lignes ({len(records)} ; maximum {MAX_ROWS}).")]
        )
    return records, lines, encoding


def _read_json(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StandardFileError(
            [ImportIssue(exc.lineno, "", f"JSON illisible ({exc.msg}, colonne {exc.colno}).")]
        ) from exc
    if isinstance(document, dict):
        # Accept {"data": [...]}, {"lieux": [...]} or any single list of records.
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise StandardFileError(
                [ImportIssue(0, "", "JSON attendu : une liste de lieux (tableau d'objets).")]
            )
        document = lists[0]
    if not isinstance(document, list):
        raise StandardFileError(
            [ImportIssue(0, "", "JSON attendu : une liste de lieux (tableau d'objets).")]
        )
    issues = [
        ImportIssue(index, "", "chaque lieu doit être un objet JSON.")
        for index, record in enumerate(document, start=1)
        if not isinstance(record, dict)
    ]
    if issues:
        raise StandardFileError(issues)
    return document, list(range(1, len(document) + 1))


def _read_csv(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    header_line = text.splitlines()[0] if text else ""
    delimiter = _sniff_delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        header = next(reader)
        header = [name.strip().strip("\ufeff") for name in header]
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise StandardFileError(
                    [
                        ImportIssue(
                            line,
                            "",
                            f"{len(row)} valeurs pour {len(header)} colonnes "
                            f"(séparateur « {delimiter} » ; guillemets manquants ?).",
                        )
                    ]
                )
            records.append(dict(zip(header, (restore_formula(c) for c in row), strict=False)))
            lines.append(line)
            if len(records) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise StandardFileError(
            [ImportIssue(reader.line_num, "", f"CSV illisible ({exc}).")]
        ) from exc
    return records, lines


# --------------------------------------------------------------------------- validation


def _split(name: str, raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, list):
        values = [str(v) for v in raw]
    else:
        text = str(raw)
        if "|" in text:
            values = text.split("|")
        elif ";" in text:
            values = text.split(";")
        elif "," in text and name in COMMA_SEPARATED_OK:
            values = text.split(",")
        else:
            values = [text]
    return [v.strip() for v in values if v.strip()]


@cache
def _vocabulary(name: str) -> dict[str, str] | None:
    """Folded form -> canonical value, for fields whose pattern is a closed list."""
    pattern = schema_fields()[name].get("constraints", {}).get("pattern", "")
    match = re.search(r"\(\?:\(\?:\^\|\\\|\)\((.*)\)\)\+\$$", pattern)
    if not match:
        return None
    values = [re.sub(r"\\(.)", r"\1", v) for v in match.group(1).split("|")]
    return {fold(v): v for v in values}


def _canonical_values(name: str, values: list[str]) -> tuple[list[str], list[str]]:
    """Values mapped to the standard's spelling, and those that are not in the vocabulary."""
    vocabulary = _vocabulary(name)
    if name == "typologie":
        codes = {fold(code): code for code in typologie_codes()}
        vocabulary = codes
    if vocabulary is None:
        return values, []
    legacy = LEGACY_VALUES.get(name, {})
    canonical: list[str] = []
    unknown: list[str] = []
    for value in values:
        key = fold(value)
        if key in vocabulary:
            mapped = vocabulary[key]
        elif key in legacy:
            mapped = legacy[key]
            if not mapped:
                continue
        else:
            unknown.append(value)
            continue
        if mapped not in canonical:
            canonical.append(mapped)
    return canonical, unknown


def _normalize_phone(raw: str) -> str:
    digits = re.sub(r"[\s.\-/()]", "", raw)
    if re.fullmatch(r"0\d{9}", digits):
        return "+33" + digits[1:]
    if digits.startswith("0033"):
        return "+" + digits[2:]
    return digits


def _parse_date(raw: str) -> date | None:
    text = raw.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


def _parse_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(str(raw).strip().replace(",", "."))
    except ValueError:
        return None


def validate_record(
    record: dict[str, Any], line: int, *, today: date | None = None
) -> tuple[dict[str, Any], list[ImportIssue]]:
    """One raw record -> model-ready values (keys: standard names + extensions) and issues."""
    issues: list[ImportIssue] = []
    values: dict[str, Any] = {}
    renamed: dict[str, Any] = {}
    for key, raw in record.items():
        if key is None:
            continue
        name = LEGACY_FIELD_NAMES.get(key.strip(), key.strip())
        if name in renamed and renamed[name] not in (None, ""):
            continue  # the v1.0.2 column wins over its older name
        renamed[name] = raw
    fields = schema_fields()
    for name, spec in fields.items():
        raw = renamed.get(name)
        if isinstance(raw, str):
            raw = raw.strip()
        constraints = spec.get("constraints", {})
        empty = raw is None or raw == "" or raw == []
        if empty:
            if constraints.get("required"):
                issues.append(ImportIssue(line, name, "champ obligatoire vide."))
            values[name] = [] if name in MULTI_VALUED else None
            continue
        if name in MULTI_VALUED:
            parts = _split(name, raw)
            parts, unknown = _canonical_values(name, parts)
            for value in unknown:
                allowed = (
                    "codes de typologies.csv (CCAS, BIB, ASSO…)"
                    if name == "typologie"
                    else "valeurs du standard"
                )
                issues.append(
                    ImportIssue(line, name, f"valeur inconnue « {value} » (attendu : {allowed}).")
                )
            if name == "courriels":
                for value in parts:
                    if not _EMAIL.match(value):
                        issues.append(ImportIssue(line, name, f"courriel invalide « {value} »."))
            if name == "site_web":
                for value in parts:
                    if not _URL.match(value):
                        issues.append(
                            ImportIssue(
                                line, name, f"adresse web invalide « {value} » (http(s)://…)."
                            )
                        )
            pattern = constraints.get("pattern")
            if parts and pattern and not unknown and not re.fullmatch(pattern, "|".join(parts)):
                issues.append(ImportIssue(line, name, "valeur hors du vocabulaire du standard."))
            values[name] = parts
            continue
        if spec["type"] == "number":
            number = _parse_number(raw)
            limit = 90 if name == "latitude" else 180
            if number is None or number != number:
                issues.append(ImportIssue(line, name, f"nombre attendu, pas « {raw} »."))
            elif not -limit <= number <= limit:
                issues.append(
                    ImportIssue(line, name, f"coordonnée hors limites ({number} ; ±{limit}).")
                )
            values[name] = number
            continue
        if spec["type"] == "date":
            parsed = _parse_date(str(raw))
            if parsed is None:
                issues.append(
                    ImportIssue(line, name, f"date attendue au format AAAA-MM-JJ, pas « {raw} ».")
                )
            elif today and parsed > today:
                issues.append(ImportIssue(line, name, f"date dans le futur ({parsed})."))
            values[name] = parsed
            continue
        text = str(raw)
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if name == "telephone":
            text = _normalize_phone(text)
        if name in ("code_postal", "code_insee") and text.isdigit() and len(text) == 4:
            text = "0" + text  # spreadsheets drop the leading zero of Ain, Aisne…
        if name == "pivot" and text in ("0", ""):
            text = PIVOT_UNKNOWN
        pattern = constraints.get("pattern")
        if pattern and not re.fullmatch(pattern, text):
            issues.append(ImportIssue(line, name, f"format invalide « {text} »."))
        max_length = constraints.get("maxLength")
        if max_length and len(text) > max_length:
            issues.append(
                ImportIssue(
                    line, name, f"texte trop long ({len(text)} caractères ; maximum {max_length})."
                )
            )
        if name == "horaires" and not opening_hours.validate(text):
            issues.append(
                ImportIssue(
                    line,
                    name,
                    f"horaires illisibles « {text} » (format OpenStreetMap attendu, "
                    "ex. « Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00 »).",
                )
            )
        values[name] = text
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None):
        issues.append(ImportIssue(line, "latitude", "latitude et longitude vont ensemble."))
    for extension in EXTENSION_FIELDS:
        if extension in renamed:
            raw = renamed[extension]
            values[extension] = str(raw).strip() if raw not in (None, "") else None
    return values, issues


def parse_standard_file(
    data: bytes, filename: str = "", *, today: date | None = None
) -> ParsedFile:
    """Read and validate a whole file; raises ``StandardFileError`` with every issue."""
    records, lines, encoding = read_records(data, filename)
    columns = list(records[0].keys()) if records else []
    known = set(field_names()) | set(LEGACY_FIELD_NAMES) | set(EXTENSION_FIELDS)
    warnings = []
    if encoding != "utf-8":
        warnings.append("Fichier lu en Latin-1 (Windows) : pensez à l'enregistrer en UTF-8.")
    extra = sorted({str(k) for r in records for k in r if k is not None and k not in known})
    if extra:
        warnings.append("Colonnes ignorées : " + ", ".join(extra))
    legacy = sorted({k for r in records for k in r if k in LEGACY_FIELD_NAMES})
    if legacy:
        warnings.append(
            "Anciens noms de champs acceptés : "
            + ", ".join(f"{k} → {LEGACY_FIELD_NAMES[k]}" for k in legacy)
        )
    if not records:
        raise StandardFileError([ImportIssue(0, "", "aucun lieu dans le fichier.")])
    rows: list[dict[str, Any]] = []
    issues: list[ImportIssue] = []
    seen: dict[str, int] = {}
    for record, line in zip(records, lines, strict=True):
        values, row_issues = validate_record(record, line, today=today)
        issues.extend(row_issues)
        identifier = values.get("id")
        if identifier:
            if identifier in seen:
                issues.append(
                    ImportIssue(
                        line,
                        "id",
                        f"identifiant « {identifier} » déjà utilisé ligne {seen[identifier]}.",
                    )
                )
            seen.setdefault(identifier, line)
        rows.append(values)
    if issues:
        raise StandardFileError(issues)
    return ParsedFile(rows, lines, encoding, columns, warnings)


# --------------------------------------------------------------------------- applying

# Attributes of the model written from a row (`id` is the model's `external_id`).
_MODEL_FIELDS = [name for name in field_names() if name != "id"]


def row_to_attributes(row: dict[str, Any]) -> dict[str, Any]:
    attributes = {name: row.get(name) for name in _MODEL_FIELDS}
    for name in MULTI_VALUED:
        attributes[name] = list(row.get(name) or [])
    if not attributes.get("pivot"):
        attributes["pivot"] = PIVOT_UNKNOWN
    attributes["external_id"] = row["id"]
    for extension in EXTENSION_FIELDS:
        if extension in row:
            attributes[extension] = row[extension]
    return attributes


def structure_to_row(structure: Structure) -> dict[str, Any]:
    """Standard field name -> value (lists for multi-valued fields)."""
    row: dict[str, Any] = {"id": structure.external_id}
    for name in _MODEL_FIELDS:
        value = getattr(structure, name)
        row[name] = list(value or []) if name in MULTI_VALUED else value
    return row


def _differs(structure: Structure, attributes: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in attributes.items():
        current = getattr(structure, name)
        if name in MULTI_VALUED:
            current = list(current or [])
        if isinstance(value, float) and isinstance(current, float) and abs(value - current) < 1e-9:
            continue
        if current != value:
            changed.append(name)
    return changed


@dataclass
class ImportPlan:
    created: list[str] = field(default_factory=list)  # external ids
    updated: dict[str, list[str]] = field(default_factory=dict)  # external id -> fields
    restored: list[str] = field(default_factory=list)  # archived, back in the file
    archived: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    applied: bool = False

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + self.unchanged

    def summary_fr(self) -> str:
        verb = "Importé" if self.applied else "Simulation (rien n'est modifié)"
        parts = [
            f"{verb} : {len(self.created)} créé(s), {len(self.updated)} mis à jour, "
            f"{len(self.archived)} archivé(s), {self.unchanged} inchangé(s)"
            + (f", {len(self.restored)} réactivé(s)" if self.restored else "")
            + "."
        ]
        parts.extend(self.warnings)
        return "\n".join(parts)


async def plan_and_apply(
    session: AsyncSession,
    guild_id: int,
    parsed: ParsedFile,
    *,
    dry_run: bool = False,
    archive_missing: bool = True,
    now: datetime | None = None,
    progress: Any = None,
) -> ImportPlan:
    """Upsert by stable id (the standard's `id`); optionally archive the entries the file no
    longer has. Runs in the caller's transaction: an exception leaves nothing changed."""
    now = now or datetime.now(UTC)
    plan = ImportPlan(warnings=list(parsed.warnings), encoding=parsed.encoding)
    existing = {
        s.external_id: s
        for s in (
            await session.scalars(select(Structure).where(Structure.guild_id == guild_id))
        ).all()
    }
    in_file: set[str] = set()
    total = len(parsed.rows)
    for index, row in enumerate(parsed.rows, start=1):
        attributes = row_to_attributes(row)
        external_id = attributes["external_id"]
        in_file.add(external_id)
        structure = existing.get(external_id)
        if structure is None:
            plan.created.append(external_id)
            if not dry_run:
                structure = Structure(guild_id=guild_id, **attributes)
                structure.refresh_derived()
                session.add(structure)
                existing[external_id] = structure
        else:
            changed = _differs(structure, attributes)
            was_archived = structure.archived_at is not None
            if was_archived:
                plan.restored.append(external_id)
            if changed:
                plan.updated[external_id] = changed
            elif not was_archived:
                plan.unchanged += 1
            if not dry_run and (changed or was_archived):
                for name in changed:
                    setattr(structure, name, attributes[name])
                structure.archived_at = None
        if progress and (index % 1000 == 0 or index == total):
            progress(index, total)
    if archive_missing:
        for external_id, structure in existing.items():
            if external_id not in in_file and structure.archived_at is None:
                plan.archived.append(external_id)
                if not dry_run:
                    structure.archived_at = now
    if not dry_run:
        await session.flush()
        plan.applied = True
    return plan


async def import_bytes(
    session: AsyncSession,
    guild_id: int,
    data: bytes,
    filename: str = "",
    *,
    dry_run: bool = False,
    archive_missing: bool = True,
    now: datetime | None = None,
    progress: Any = None,
) -> ImportPlan:
    today = (now or datetime.now(UTC)).date()
    parsed = parse_standard_file(data, filename, today=today)
    return await plan_and_apply(
        session,
        guild_id,
        parsed,
        dry_run=dry_run,
        archive_missing=archive_missing,
        now=now,
        progress=progress,
    )


async def import_file(
    session: AsyncSession,
    guild_id: int,
    path: str | Path,
    *,
    dry_run: bool = False,
    archive_missing: bool = True,
    now: datetime | None = None,
    progress: Any = None,
) -> ImportPlan:
    """Import a CSV or JSON file in the standard (the demo's ``--directory FILE`` uses this)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise StandardFileError(
            [
                ImportIssue(
                    0,
                    "",
                    f"fichier trop volumineux ({size // (1024 * 1024)} Mo ; "
                    f"maximum {MAX_FILE_BYTES // (1024 * 1024)} Mo).",
                )
            ]
        )
    return await import_bytes(
        session,
        guild_id,
        path.read_bytes(),
        path.name,
        dry_run=dry_run,
        archive_missing=archive_missing,
        now=now,
        progress=progress,
    )


def new_external_id() -> str:
    """Stable id for an entry created in Discord (kept across exports and re-imports)."""
    return f"aiguillage-{uuid.uuid4()}"


# --------------------------------------------------------------------------- export


def _format_number(value: float | None) -> str:
    if value is None:
        return ""
    return repr(float(value))


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in MULTI_VALUED:
        return "|".join(value)
    if isinstance(value, float):
        return _format_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def neutralize_formula(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV
    injection advice); `import` removes it again, so the round trip is exact."""
    if text.startswith(_FORMULA_PREFIXES) and not _is_plain_number(text):
        return "'" + text
    return text


def _is_plain_number(text: str) -> bool:
    # "+33556…" (telephone) and "-0.57" (longitude) are data, not formulas.
    return bool(re.fullmatch(r"[+-]?\d+(\.\d+)?(e[+-]?\d+)?", text))


def restore_formula(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(_FORMULA_PREFIXES):
        return text[1:]
    return text


def export_rows(structures: Iterable[Structure]) -> list[dict[str, Any]]:
    active = [s for s in structures if s.archived_at is None]
    return [structure_to_row(s) for s in sorted(active, key=lambda s: s.external_id)]


def export_csv(structures: Iterable[Structure]) -> bytes:
    """UTF-8, comma-separated, every field quoted, `|` between values, CRLF line ends (as
    the standard's own example); formula-like cells neutralized."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    names = field_names()
    writer.writerow(names)
    for row in export_rows(structures):
        writer.writerow([neutralize_formula(_cell(name, row.get(name))) for name in names])
    return buffer.getvalue().encode("utf-8")


def export_json(structures: Iterable[Structure]) -> bytes:
    records = []
    for row in export_rows(structures):
        record: dict[str, Any] = {}
        for name in field_names():
            value = row.get(name)
            if value in (None, "", []):
                continue
            if name in ("latitude", "longitude"):
                record[name] = float(value)
            else:
                record[name] = _cell(name, value)
        records.append(record)
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
