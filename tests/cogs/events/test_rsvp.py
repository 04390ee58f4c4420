import pytest

from cogs.events.rsvp import (
    Answer,
    RsvpError,
    StructureRef,
    referents_to_remind,
    structures_of,
    summarize,
    validate_answer,
)
from db.models.events import RsvpResponse

YES, NO, REP = RsvpResponse.YES, RsvpResponse.NO, RsvpResponse.REPRESENTED
CCAS = StructureRef(1, "CCAS de Mérignac")
MEDIA = StructureRef(2, "Médiathèque Michel-Serres")
MDH = StructureRef(3, "Maison des Habitants Beutre")
ASSO = StructureRef(4, "Association Arc-en-ciel")
ALL = [CCAS, MEDIA, MDH, ASSO]


def test_summary_represented_declined_unanswered() -> None:
    summary = summarize(
        ALL,
        [
            Answer(10, YES, structure_ids=(1,)),
            Answer(20, NO, structure_ids=(2,)),
            Answer(30, REP, delegate_id=31, structure_ids=(3,)),
        ],
    )
    assert [a.structure for a in summary.represented] == [CCAS, MDH]
    assert summary.represented[1].attendees == [(31, 30)]  # delegate 31 for 30
    assert summary.declined == [MEDIA]
    assert summary.unanswered == [ASSO]
    assert summary.attendees == [10, 31]
    assert summary.declined_user_ids == [20]
    assert (summary.total, summary.represented_count, summary.quorum_needed) == (4, 2, 2)
    assert summary.quorum_reached


def test_quorum_not_reached_and_rounding_up() -> None:
    summary = summarize(ALL[:3], [Answer(10, YES, structure_ids=(1,))], quorum_percent=50)
    assert summary.quorum_needed == 2 and not summary.quorum_reached
    assert not summarize([], []).quorum_reached


def test_one_yes_beats_a_colleague_s_no_for_the_same_structure() -> None:
    summary = summarize(
        ALL, [Answer(20, NO, structure_ids=(2,)), Answer(21, YES, structure_ids=(2,))]
    )
    assert [a.structure for a in summary.represented] == [MEDIA]
    assert summary.declined == []


def test_delegate_who_declines_does_not_represent() -> None:
    summary = summarize(
        ALL,
        [Answer(30, REP, delegate_id=31, structure_ids=(3,)), Answer(31, NO, structure_ids=())],
    )
    assert summary.represented == [] and summary.declined == [MDH]
    assert summary.attendees == []


def test_delegate_who_also_comes_for_their_own_structure_is_counted_once() -> None:
    summary = summarize(
        ALL,
        [Answer(30, REP, delegate_id=10, structure_ids=(3,)), Answer(10, YES, structure_ids=(1,))],
    )
    assert summary.attendees == [10]
    assert {a.structure.id for a in summary.represented} == {1, 3}


def test_member_of_two_structures_represents_both() -> None:
    summary = summarize(ALL, [Answer(10, YES, structure_ids=(1, 4))])
    assert [a.structure for a in summary.represented] == [ASSO, CCAS]


def test_answers_from_people_without_structure_count_as_attendees_only() -> None:
    summary = summarize(ALL, [Answer(99, YES)])
    assert summary.attendees == [99] and summary.represented == []
    assert len(summary.unanswered) == 4


def test_referents_to_remind_skips_answered_structures_and_opt_outs() -> None:
    summary = summarize(ALL, [Answer(10, NO, structure_ids=(1,))])
    referents = [(10, 1), (11, 1), (20, 2), (21, 2), (30, 3), (40, 4), (20, 4)]
    assert referents_to_remind(referents, summary, opted_out=[21]) == [20, 30, 40]


def test_validate_answer() -> None:
    validate_answer(1, YES, None)
    validate_answer(1, REP, 2)
    for response, delegate, key in [
        ("maybe", None, "events.error_response"),
        (REP, None, "events.error_delegate_missing"),
        (REP, 1, "events.error_delegate_self"),
        (YES, 2, "events.error_response"),
    ]:
        with pytest.raises(RsvpError) as caught:
            validate_answer(1, response, delegate)
        assert caught.value.key == key


def test_structures_of_uses_referents_and_structure_roles() -> None:
    links = [(10, 1), (10, 4), (20, 2)]
    assert structures_of(10, links) == (1, 4)
    assert structures_of(30, links, {3: [30, 31], 2: [20]}) == (3,)
    assert structures_of(99, links) == ()
