"""/charte suivi: who accepted the current version, per member and per structure."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

UNKNOWN_STRUCTURE = "—"


@dataclass(frozen=True)
class MemberStatus:
    user_id: int
    display_name: str
    structure_name: str
    accepted_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None


@dataclass
class StructureStatus:
    structure_name: str
    accepted: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.pending


@dataclass
class Tracking:
    version_label: str
    members: list[MemberStatus] = field(default_factory=list)
    structures: list[StructureStatus] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for m in self.members if m.accepted)

    @property
    def pending(self) -> list[MemberStatus]:
        return [m for m in self.members if not m.accepted]


def build_tracking(
    *,
    version_label: str,
    members: Mapping[int, str],
    member_structure: Mapping[int, int],
    structure_names: Mapping[int, str],
    accepted_at: Mapping[int, datetime],
) -> Tracking:
    """``members``: user id → display name of every member concerned (the network's
    members present on the server)."""
    tracking = Tracking(version_label)
    per_structure: dict[str, StructureStatus] = {}
    for user_id, name in members.items():
        structure_id = member_structure.get(user_id)
        structure_name = (
            structure_names.get(structure_id, UNKNOWN_STRUCTURE)
            if structure_id
            else UNKNOWN_STRUCTURE
        )
        status = MemberStatus(user_id, name, structure_name, accepted_at.get(user_id))
        tracking.members.append(status)
        bucket = per_structure.setdefault(structure_name, StructureStatus(structure_name))
        if status.accepted:
            bucket.accepted += 1
        else:
            bucket.pending += 1
    # Pending first, so the list shows who to chase.
    tracking.members.sort(
        key=lambda m: (m.accepted, m.structure_name.lower(), m.display_name.lower())
    )
    tracking.structures = sorted(
        per_structure.values(), key=lambda s: (-s.pending, s.structure_name.lower())
    )
    return tracking


CSV_HEADER = ("membre", "identifiant_discord", "structure", "version", "statut", "accepte_le")


def tracking_csv(tracking: Tracking) -> str:
    """CSV (UTF-8 with BOM added by the caller if needed for spreadsheets), one row per member."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for member in tracking.members:
        writer.writerow(
            (
                member.display_name,
                str(member.user_id),
                member.structure_name,
                tracking.version_label,
                "acceptée" if member.accepted else "en attente",
                member.accepted_at.isoformat() if member.accepted_at else "",
            )
        )
    return buffer.getvalue()
