"""What happens around the directory, without Discord: warm handovers, error reports,
freshness of entries, edits of an entry (validated against the standard), lookups.

Every function works in the caller's session/transaction and takes ``now`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.directory.search import Origin
from db.directory.standard import (
    ImportIssue,
    StandardFileError,
    new_external_id,
    row_to_attributes,
    structure_to_row,
    validate_record,
)
from db.models.directory import ErrorReport, Handover, HandoverStatus, ReportStatus
from db.models.structures import Referent, Structure, fold

from .privacy import PersonalDataFinding, find_personal_data

DEFAULT_FRESHNESS_DAYS = 182
DEFAULT_HANDOVER_EXPIRY_DAYS = 7
# A referent reminded about a stale entry is not reminded again before this.
REMINDER_INTERVAL = timedelta(days=30)


class PersonalDataRefused(Exception):
    """Free text holds personal data: nothing was stored."""

    def __init__(self, findings: list[PersonalDataFinding]) -> None:
        super().__init__(", ".join(f.kind for f in findings))
        self.findings = findings


class WorkflowError(Exception):
    """A refusal with a catalogue key (``directory.*``) and its placeholders."""

    def __init__(self, key: str, /, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


def check_free_text(*texts: str, now: datetime) -> None:
    findings: dict[str, PersonalDataFinding] = {}
    for text in texts:
        for finding in find_personal_data(text or "", today=now.date()):
            findings.setdefault(finding.kind, finding)
    if findings:
        raise PersonalDataRefused(list(findings.values()))


# --------------------------------------------------------------------------- lookups


async def get_structure(session: AsyncSession, guild_id: int, structure_id: int) -> Structure:
    structure = await session.get(Structure, structure_id)
    if structure is None or structure.guild_id != guild_id:
        raise WorkflowError("directory.structure.not_found")
    return structure


async def find_structure(
    session: AsyncSession, guild_id: int, text: str, *, include_archived: bool = False
) -> Structure:
    """The structure named by ``text``: an id given by autocomplete, or the best name match."""
    text = (text or "").strip()
    if text.isdigit():
        structure = await session.get(Structure, int(text))
        if (
            structure is not None
            and structure.guild_id == guild_id
            and (structure.archived_at is None or include_archived)
        ):
            return structure
    matches = await search_structures(session, guild_id, text, limit=1)
    if not matches:
        raise WorkflowError("directory.structure.not_found_named", name=text[:100])
    return await get_structure(session, guild_id, matches[0][0])


async def search_structures(
    session: AsyncSession, guild_id: int, text: str, *, limit: int = 25
) -> list[tuple[int, str]]:
    """(id, "Name — Commune (quartier)") for autocomplete: every folded word contained, then
    fuzzy on names for typos."""
    rows = (
        await session.execute(
            select(
                Structure.id,
                Structure.nom,
                Structure.short_name,
                Structure.commune,
                Structure.quartier,
                Structure.search_key,
            ).where(Structure.guild_id == guild_id, Structure.archived_at.is_(None))
        )
    ).all()

    def label(row: Any) -> str:
        place = row.commune + (f" ({row.quartier})" if row.quartier else "")
        return f"{row.short_name or row.nom} — {place}"[:100]

    words = fold(text).split()
    if not words:
        return [(row.id, label(row)) for row in sorted(rows, key=lambda r: r.nom)[:limit]]
    exact = [row for row in rows if all(w in row.search_key for w in words)]
    exact.sort(key=lambda r: (not r.search_key.startswith(words[0]), len(r.nom)))
    found = [(row.id, label(row)) for row in exact[:limit]]
    if len(found) < limit:
        seen = {i for i, _ in found}
        scored = process.extract(
            " ".join(words),
            {row.id: row.search_key for row in rows if row.id not in seen},
            scorer=fuzz.partial_ratio,
            limit=limit - len(found),
            score_cutoff=75,
        )
        by_id = {row.id: row for row in rows}
        found += [(key, label(by_id[key])) for _c, _s, key in scored]
    return found


async def referent_ids(session: AsyncSession, structure_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(Referent.user_id).where(
                Referent.structure_id == structure_id, Referent.active.is_(True)
            )
        )
    )


async def structures_of(session: AsyncSession, guild_id: int, user_id: int) -> list[Structure]:
    return list(
        await session.scalars(
            select(Structure)
            .join(Referent, Referent.structure_id == Structure.id)
            .where(
                Referent.guild_id == guild_id,
                Referent.user_id == user_id,
                Referent.active.is_(True),
                Structure.archived_at.is_(None),
            )
        )
    )


async def origin_of(session: AsyncSession, guild_id: int, user_id: int) -> Origin | None:
    """Where the asker works (their first structure), to rank by distance from it when no
    quartier is given. Five columns, not the whole entity: `/orienter` runs this each time."""
    row = (
        await session.execute(
            select(
                Structure.nom,
                Structure.short_name,
                Structure.quartier_key,
                Structure.commune_key,
                Structure.latitude,
                Structure.longitude,
            )
            .join(Referent, Referent.structure_id == Structure.id)
            .where(
                Referent.guild_id == guild_id,
                Referent.user_id == user_id,
                Referent.active.is_(True),
                Structure.archived_at.is_(None),
            )
            .order_by(Structure.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Origin(
        label=row.short_name or row.nom,
        quartier_key=row.quartier_key,
        commune_key=row.commune_key,
        latitude=row.latitude,
        longitude=row.longitude,
    )


# --------------------------------------------------------------------------- edits

EDITABLE_TEXT_FIELDS = (
    "horaires",
    "telephone",
    "courriels",
    "site_web",
    "prise_rdv",
    "presentation_resume",
    "adresse",
    "complement_adresse",
    "quartier",
)
EDITABLE_CHOICE_FIELDS = (
    "services",
    "modalites_acces",
    "frais_a_charge",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "modalites_accompagnement",
)


def apply_edit(structure: Structure, changes: dict[str, Any], *, now: datetime) -> list[str]:
    """Validate ``changes`` against the standard (the whole entry, as an import would) and
    apply them; returns the fields that changed. Raises ``StandardFileError`` and changes
    nothing when a value is not valid."""
    row = structure_to_row(structure)
    record: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, list):
            record[name] = "|".join(value)
        elif value is None:
            record[name] = ""
        elif hasattr(value, "isoformat"):
            record[name] = value.isoformat()
        else:
            record[name] = value
    quartier = changes.get("quartier", structure.quartier)
    for name, value in changes.items():
        if name == "quartier":
            continue
        record[name] = "|".join(value) if isinstance(value, list) else (value or "")
    record["date_maj"] = now.date().isoformat()
    values, issues = validate_record(record, 0, today=now.date())
    if issues:
        raise StandardFileError(issues)
    attributes = row_to_attributes(values)
    attributes["quartier"] = (quartier or "").strip() or None
    changed = []
    for name, value in attributes.items():
        if name in ("external_id", "date_maj"):
            continue
        if getattr(structure, name) != value:
            setattr(structure, name, value)
            changed.append(name)
    if changed:
        structure.date_maj = now.date()
        structure.refresh_derived()
    return changed


def new_structure(
    guild_id: int,
    *,
    nom: str,
    adresse: str,
    code_postal: str,
    commune: str,
    quartier: str | None,
    services: list[str],
    now: datetime,
) -> Structure:
    record = {
        "id": new_external_id(),
        "pivot": "00000000000000",
        "nom": nom,
        "adresse": adresse,
        "code_postal": code_postal,
        "commune": commune,
        "date_maj": now.date().isoformat(),
        "services": "|".join(services),
    }
    values, issues = validate_record(record, 0, today=now.date())
    if not nom.strip():
        issues.append(ImportIssue(0, "nom", "champ obligatoire vide."))
    if issues:
        raise StandardFileError(issues)
    structure = Structure(guild_id=guild_id, **row_to_attributes(values))
    structure.quartier = (quartier or "").strip() or None
    structure.refresh_derived()
    return structure


# --------------------------------------------------------------------------- handovers


async def create_handover(
    session: AsyncSession,
    *,
    guild_id: int,
    structure: Structure,
    sender_id: int,
    sender_structure_id: int | None,
    need: str,
    expected_when: str,
    case_ref: str,
    note: str,
    now: datetime,
    expiry_days: int = DEFAULT_HANDOVER_EXPIRY_DAYS,
) -> Handover:
    if structure.archived_at is not None:
        raise WorkflowError("directory.structure.archived", name=structure.display_name)
    need = need.strip()
    if not need:
        raise WorkflowError("directory.handover.need_required")
    check_free_text(need, expected_when, case_ref, note, now=now)
    handover = Handover(
        guild_id=guild_id,
        structure_id=structure.id,
        sender_id=sender_id,
        sender_structure_id=sender_structure_id,
        need=need[:200],
        expected_when=expected_when.strip()[:100],
        case_ref=case_ref.strip()[:50],
        note=note.strip()[:1000],
        status=HandoverStatus.OPEN,
        created_at=now,
        expires_at=now + timedelta(days=max(1, expiry_days)),
    )
    session.add(handover)
    await session.flush()
    return handover


async def answer_handover(
    session: AsyncSession,
    *,
    guild_id: int,
    handover_id: int,
    user_id: int,
    allowed_structure_ids: set[int] | None,
    redirect: bool,
    answer: str = "",
    now: datetime,
) -> Handover:
    """Acknowledge, or answer "not for us, try…". ``allowed_structure_ids`` None means a
    coordinator (may answer for any structure)."""
    handover = await session.get(Handover, handover_id)
    if handover is None or handover.guild_id != guild_id:
        raise WorkflowError("directory.handover.not_found")
    if allowed_structure_ids is not None and handover.structure_id not in allowed_structure_ids:
        raise WorkflowError("directory.handover.not_yours")
    if handover.status != HandoverStatus.OPEN:
        raise WorkflowError(
            "directory.handover.already", status=handover.status, handover_id=handover.id
        )
    if redirect:
        check_free_text(answer, now=now)
    handover.status = HandoverStatus.REDIRECTED if redirect else HandoverStatus.ACKNOWLEDGED
    handover.answered_at = now
    handover.answered_by = user_id
    handover.answer = answer.strip()[:1000]
    return handover


async def expire_handovers(session: AsyncSession, now: datetime) -> list[Handover]:
    expired = list(
        await session.scalars(
            select(Handover).where(
                Handover.status == HandoverStatus.OPEN, Handover.expires_at <= now
            )
        )
    )
    for handover in expired:
        handover.status = HandoverStatus.EXPIRED
    return expired


async def handover_counts(session: AsyncSession, guild_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Handover.status, func.count())
        .where(Handover.guild_id == guild_id)
        .group_by(Handover.status)
    )
    return {status: count for status, count in rows.all()}


# --------------------------------------------------------------------------- reports


async def create_report(
    session: AsyncSession,
    *,
    guild_id: int,
    structure: Structure,
    reporter_id: int,
    field: str,
    text: str,
    now: datetime,
) -> ErrorReport:
    text = text.strip()
    if not text:
        raise WorkflowError("directory.report.text_required")
    check_free_text(text, now=now)
    report = ErrorReport(
        guild_id=guild_id,
        structure_id=structure.id,
        reporter_id=reporter_id,
        field=field.strip()[:60],
        text=text[:1500],
        status=ReportStatus.OPEN,
        created_at=now,
    )
    session.add(report)
    await session.flush()
    return report


async def close_report(
    session: AsyncSession,
    *,
    guild_id: int,
    report_id: int,
    user_id: int,
    allowed_structure_ids: set[int] | None,
    resolution: str,
    now: datetime,
) -> ErrorReport:
    report = await session.get(ErrorReport, report_id)
    if report is None or report.guild_id != guild_id:
        raise WorkflowError("directory.report.not_found")
    if allowed_structure_ids is not None and report.structure_id not in allowed_structure_ids:
        raise WorkflowError("directory.report.not_yours")
    if report.status != ReportStatus.OPEN:
        raise WorkflowError("directory.report.already_closed", report_id=report.id)
    report.status = ReportStatus.CLOSED
    report.closed_at = now
    report.closed_by = user_id
    report.resolution = resolution.strip()[:500]
    return report


async def open_reports(session: AsyncSession, guild_id: int) -> list[ErrorReport]:
    return list(
        await session.scalars(
            select(ErrorReport)
            .where(ErrorReport.guild_id == guild_id, ErrorReport.status == ReportStatus.OPEN)
            .order_by(ErrorReport.created_at)
        )
    )


# --------------------------------------------------------------------------- freshness


@dataclass(frozen=True)
class Freshness:
    structure_id: int
    name: str
    last_verified: datetime | None  # verified_at, else the standard's date_maj
    days: int | None


def last_known_true(structure: Structure) -> datetime | None:
    dates = [structure.verified_at]
    if structure.date_maj is not None:
        from datetime import UTC, time

        dates.append(datetime.combine(structure.date_maj, time(12), tzinfo=UTC))
    known = [d for d in dates if d is not None]
    return max(known) if known else None


async def stale_structures(
    session: AsyncSession, guild_id: int, now: datetime, days: int = DEFAULT_FRESHNESS_DAYS
) -> list[Freshness]:
    """Entries neither verified nor updated for ``days`` days, the oldest first."""
    cutoff = now - timedelta(days=days)
    candidates = await session.scalars(
        select(Structure).where(
            Structure.guild_id == guild_id,
            Structure.archived_at.is_(None),
            or_(Structure.verified_at.is_(None), Structure.verified_at < cutoff),
            Structure.date_maj < cutoff.date(),
        )
    )
    stale = []
    for structure in candidates:
        last = last_known_true(structure)
        if last is None or last < cutoff:
            stale.append(
                Freshness(
                    structure.id,
                    structure.display_name,
                    last,
                    (now - last).days if last else None,
                )
            )
    stale.sort(key=lambda f: (f.last_verified is not None, f.last_verified or now))
    return stale


async def due_reminders(
    session: AsyncSession, guild_id: int, now: datetime, days: int = DEFAULT_FRESHNESS_DAYS
) -> list[Structure]:
    """Stale entries whose referents were not reminded in the last 30 days."""
    stale = {f.structure_id for f in await stale_structures(session, guild_id, now, days)}
    if not stale:
        return []
    return list(
        await session.scalars(
            select(Structure).where(
                Structure.id.in_(stale),
                or_(
                    Structure.last_reminded_at.is_(None),
                    Structure.last_reminded_at < now - REMINDER_INTERVAL,
                ),
            )
        )
    )


async def mark_verified(structure: Structure, user_id: int, now: datetime) -> None:
    structure.verified_at = now
    structure.verified_by = user_id


async def guilds_with_structures(session: AsyncSession) -> list[int]:
    return list(
        await session.scalars(
            select(Structure.guild_id)
            .where(and_(Structure.archived_at.is_(None)))
            .group_by(Structure.guild_id)
        )
    )
