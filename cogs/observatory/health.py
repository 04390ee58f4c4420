"""The network's health: entries kept true, structures represented, charter accepted,
and how orientations between structures are answered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

DEFAULT_FRESHNESS_DAYS = 182  # six months, as the directory's reminders
NOON = time(12)


@dataclass(slots=True)
class StructureState:
    id: int
    name: str
    verified_at: datetime | None
    date_maj: date | None
    referents: int  # active referents (titular or deputy)
    members: int  # members known to belong to it (onboarding, referents)
    charter_accepted: int  # of those, who accepted the charter in force

    def last_known_true(self) -> datetime | None:
        """The later of the referent's "still correct" and the standard's date_maj (the
        directory's own rule)."""
        verified = self.verified_at
        if self.date_maj is None:
            return verified
        dated = datetime.combine(self.date_maj, NOON, tzinfo=UTC)
        return dated if verified is None or dated > verified else verified


@dataclass(frozen=True)
class StaleEntry:
    id: int
    name: str
    last_known_true: datetime | None
    days: int | None  # None: never verified nor dated


@dataclass(frozen=True)
class CharterRow:
    id: int
    name: str
    members: int
    accepted: int

    @property
    def rate(self) -> float | None:
        return self.accepted / self.members if self.members else None


@dataclass
class Freshness:
    structures: int = 0
    stale: list[StaleEntry] = field(default_factory=list)
    without_referent: list[tuple[int, str]] = field(default_factory=list)
    charter_version: str | None = None  # label of the charter in force (None: none yet)
    charter: list[CharterRow] = field(default_factory=list)  # worst rate first
    members: int = 0
    members_accepted: int = 0

    @property
    def charter_rate(self) -> float | None:
        return self.members_accepted / self.members if self.members else None

    @property
    def fresh(self) -> int:
        return self.structures - len(self.stale)


def freshness(
    states: Iterable[StructureState],
    now: datetime,
    *,
    days: int = DEFAULT_FRESHNESS_DAYS,
    charter_version: str | None = None,
) -> Freshness:
    cutoff = now - timedelta(days=days)
    report = Freshness(charter_version=charter_version)
    for state in states:
        report.structures += 1
        last = state.last_known_true()
        if last is None or last < cutoff:
            report.stale.append(
                StaleEntry(state.id, state.name, last, (now - last).days if last else None)
            )
        if state.referents == 0:
            report.without_referent.append((state.id, state.name))
        if charter_version is not None:
            report.charter.append(
                CharterRow(state.id, state.name, state.members, state.charter_accepted)
            )
            report.members += state.members
            report.members_accepted += state.charter_accepted
    # Never verified first, then the oldest.
    report.stale.sort(key=lambda e: (e.days is not None, -(e.days or 0), e.name))
    report.without_referent.sort(key=lambda item: item[1].lower())
    report.charter.sort(
        key=lambda r: (r.rate is None, r.rate if r.rate is not None else 0.0, r.name.lower())
    )
    return report


@dataclass(frozen=True)
class HandoverFact:
    structure_id: int  # the structure it was sent to
    sender_structure_id: int | None
    status: str  # open, acknowledged, redirected, expired
    created_at: datetime
    answered_at: datetime | None


@dataclass
class FlowRow:
    structure_id: int
    name: str
    received: int = 0
    acknowledged: int = 0
    redirected: int = 0
    expired: int = 0
    open: int = 0
    sent: int = 0
    answer_hours: list[float] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.acknowledged + self.redirected

    @property
    def answer_rate(self) -> float | None:
        closed = self.received - self.open
        return self.answered / closed if closed > 0 else None

    @property
    def median_answer_hours(self) -> float | None:
        return round(median(self.answer_hours), 1) if self.answer_hours else None


@dataclass
class Flow:
    rows: list[FlowRow] = field(default_factory=list)  # most received first
    total: FlowRow = field(default_factory=lambda: FlowRow(0, "total"))


def orientation_flow(facts: Iterable[HandoverFact], names: dict[int, str]) -> Flow:
    """Handovers sent, acknowledged, redirected, expired per receiving structure, and how
    many each structure sent (when the sender represents one)."""
    rows: dict[int, FlowRow] = {}
    total = FlowRow(0, "total")

    def row(structure_id: int) -> FlowRow:
        if structure_id not in rows:
            rows[structure_id] = FlowRow(structure_id, names.get(structure_id, f"#{structure_id}"))
        return rows[structure_id]

    for fact in facts:
        for target in (row(fact.structure_id), total):
            target.received += 1
            if fact.status == "acknowledged":
                target.acknowledged += 1
            elif fact.status == "redirected":
                target.redirected += 1
            elif fact.status == "expired":
                target.expired += 1
            else:
                target.open += 1
            if fact.answered_at is not None and fact.status in ("acknowledged", "redirected"):
                target.answer_hours.append(
                    (fact.answered_at - fact.created_at).total_seconds() / 3600
                )
        if fact.sender_structure_id is not None:
            row(fact.sender_structure_id).sent += 1
            total.sent += 1
    ordered = sorted(rows.values(), key=lambda r: (-r.received, -r.sent, r.name.lower()))
    return Flow(rows=ordered, total=total)
