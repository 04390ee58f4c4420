"""What the periodic planner must have scheduled for a guild at a given instant: the members'
call for items and the coordinators' reminders of the next publications.

Each delivery's dedupe key names its kind and instant, so planning again is a no-op and a
changed cadence produces new keys (the planner then cancels the pending ones it no longer
wants).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cogs.newsletter.cadence import Cadence, Milestones

KIND_PUBLISH = "newsletter.publish"
KIND_CALL = "newsletter.call"
KIND_REMIND = "newsletter.remind"
KEY_PREFIX = "newsletter:"
PLANNED_KINDS = (KIND_CALL, KIND_REMIND)

# How far ahead the planner looks: two publications covers cadences whose call for items
# comes before the previous publication (monthly letters with long deadlines).
LOOKAHEAD_PUBLICATIONS = 2


@dataclass(frozen=True)
class PlannedDelivery:
    kind: str
    due_at: datetime
    dedupe_key: str
    payload: dict[str, Any]


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%MZ}"


def milestone_deliveries(milestones: Milestones) -> list[PlannedDelivery]:
    common = {
        "publication": milestones.publication.isoformat(),
        "deadline": milestones.deadline.isoformat(),
        "slot": milestones.slot,
    }
    wanted = (
        (KIND_CALL, "call", milestones.call_for_items),
        (KIND_REMIND, "deadline", milestones.deadline_reminder),
        (KIND_REMIND, "publication", milestones.publication_reminder),
    )
    return [
        PlannedDelivery(
            kind=kind,
            due_at=due,
            dedupe_key=f"{KEY_PREFIX}{name}:{_stamp(due)}",
            payload={**common, "reminder": name},
        )
        for kind, name, due in wanted
    ]


def planned_deliveries(cadence: Cadence, now: datetime) -> list[PlannedDelivery]:
    """The call and reminders of the next publications that are still in the future."""
    planned: list[PlannedDelivery] = []
    for publication in cadence.publications_after(now, LOOKAHEAD_PUBLICATIONS):
        planned.extend(
            d for d in milestone_deliveries(cadence.milestones(publication)) if d.due_at > now
        )
    return sorted(planned, key=lambda d: d.due_at)


def stale_keys(pending_keys: set[str], planned: list[PlannedDelivery]) -> set[str]:
    """Pending planner deliveries that the current cadence no longer wants."""
    wanted = {d.dedupe_key for d in planned}
    return {key for key in pending_keys if key not in wanted}
