"""Who comes, which structures are represented, who still has to answer. No Discord here.

A structure is represented when one of its people answers "Je viens", or answers
"Représenté·e par…" naming a colleague who has not declined. The delegate represents the
responder's structures; the delegate's own structures count through the delegate's own
answer. A structure has answered when anyone linked to it has answered anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from db.models.events import RsvpResponse

DEFAULT_QUORUM_PERCENT = 50


class RsvpError(ValueError):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Answer:
    user_id: int
    response: str
    delegate_id: int | None = None
    structure_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StructureRef:
    id: int
    name: str


@dataclass
class StructureAttendance:
    structure: StructureRef
    # (attendee, on behalf of): on behalf of is None when the member comes in person.
    attendees: list[tuple[int, int | None]] = field(default_factory=list)


@dataclass
class QuorumSummary:
    represented: list[StructureAttendance]
    declined: list[StructureRef]  # answered, nobody comes
    unanswered: list[StructureRef]
    attendees: list[int]  # everyone expected, delegates included, in answer order
    declined_user_ids: list[int]
    quorum_percent: int

    @property
    def total(self) -> int:
        return len(self.represented) + len(self.declined) + len(self.unanswered)

    @property
    def represented_count(self) -> int:
        return len(self.represented)

    @property
    def quorum_needed(self) -> int:
        """Structures needed for the quorum (rounded up)."""
        return -(-self.total * self.quorum_percent // 100)

    @property
    def quorum_reached(self) -> bool:
        return self.total > 0 and self.represented_count >= self.quorum_needed

    @property
    def answered_structure_ids(self) -> set[int]:
        return {a.structure.id for a in self.represented} | {s.id for s in self.declined}


def validate_answer(user_id: int, response: str, delegate_id: int | None) -> None:
    if response not in RsvpResponse.ALL:
        raise RsvpError("events.error_response")
    if response == RsvpResponse.REPRESENTED:
        if delegate_id is None:
            raise RsvpError("events.error_delegate_missing")
        if delegate_id == user_id:
            raise RsvpError("events.error_delegate_self")
    elif delegate_id is not None:
        raise RsvpError("events.error_response")


def summarize(
    structures: Iterable[StructureRef],
    answers: Iterable[Answer],
    quorum_percent: int = DEFAULT_QUORUM_PERCENT,
) -> QuorumSummary:
    """The RSVP picture of one event over the guild's (non-archived) structures."""
    ordered_structures = sorted(structures, key=lambda s: s.name.casefold())
    answer_list = list(answers)
    by_user = {a.user_id: a for a in answer_list}
    attendance: dict[int, list[tuple[int, int | None]]] = {}
    answered: set[int] = set()
    attendees: list[int] = []
    declined_users: list[int] = []

    def attend(user_id: int) -> None:
        if user_id not in attendees:
            attendees.append(user_id)

    for answer in answer_list:
        answered.update(answer.structure_ids)
        if answer.response == RsvpResponse.YES:
            attend(answer.user_id)
            for structure_id in answer.structure_ids:
                attendance.setdefault(structure_id, []).append((answer.user_id, None))
        elif answer.response == RsvpResponse.REPRESENTED and answer.delegate_id is not None:
            delegate_answer = by_user.get(answer.delegate_id)
            if delegate_answer is not None and delegate_answer.response != RsvpResponse.YES:
                # The delegate said they will not come (or delegated in turn): nobody comes.
                continue
            attend(answer.delegate_id)
            for structure_id in answer.structure_ids:
                attendance.setdefault(structure_id, []).append((answer.delegate_id, answer.user_id))
        else:
            declined_users.append(answer.user_id)

    represented, declined, unanswered = [], [], []
    for structure in ordered_structures:
        if attendance.get(structure.id):
            represented.append(StructureAttendance(structure, attendance[structure.id]))
        elif structure.id in answered:
            declined.append(structure)
        else:
            unanswered.append(structure)
    return QuorumSummary(
        represented=represented,
        declined=declined,
        unanswered=unanswered,
        attendees=attendees,
        declined_user_ids=declined_users,
        quorum_percent=quorum_percent,
    )


def referents_to_remind(
    referents: Iterable[tuple[int, int]],
    summary: QuorumSummary,
    opted_out: Iterable[int],
) -> list[int]:
    """Referents (user id, structure id) of structures that have not answered, minus those
    who opted out of reminder DMs; each person once, even if referent of two structures."""
    answered = summary.answered_structure_ids
    unanswered_ids = {s.id for s in summary.unanswered}
    muted = set(opted_out)
    users: list[int] = []
    for user_id, structure_id in referents:
        if structure_id in answered or structure_id not in unanswered_ids:
            continue
        if user_id in muted or user_id in users:
            continue
        users.append(user_id)
    return users


def structures_of(
    user_id: int,
    referent_links: Iterable[tuple[int, int]],
    role_members: Mapping[int, Iterable[int]] | None = None,
) -> tuple[int, ...]:
    """The structures a member belongs to: as referent (foundation table) or, when the
    structure has a Discord role, as a holder of that role."""
    found = {structure_id for uid, structure_id in referent_links if uid == user_id}
    for structure_id, members in (role_members or {}).items():
        if user_id in set(members):
            found.add(structure_id)
    return tuple(sorted(found))
