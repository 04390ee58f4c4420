import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

from cogs.onboarding import requests
from cogs.onboarding.errors import OnboardingError
from db.engine import Database
from db.models.onboarding import OnboardingRequest, OnboardingStatus
from db.network import member_structure_id, member_structures
from tests.network_factories import GUILD, NOW, OTHER_GUILD, add_referent, add_structures

NEWCOMER = 50
REFERENT = 11
OTHER_REFERENT = 12
COORDINATOR = 1


async def _submit(
    database: Database, structure_id: int, user_id: int = NEWCOMER
) -> requests.Submission:
    async with database.transaction() as session:
        return await requests.submit(
            session,
            guild_id=GUILD,
            user_id=user_id,
            structure_id=structure_id,
            charter_version_id=None,
            already_member=False,
            now=NOW,
        )


async def _decide(
    database: Database,
    request_id: int,
    actor: int,
    *,
    coordinator: bool = False,
    approve: bool = True,
    reason: str = "",
) -> OnboardingRequest:
    async with database.transaction() as session:
        return await requests.decide(
            session,
            guild_id=GUILD,
            request_id=request_id,
            actor_id=actor,
            actor_is_coordinator=coordinator,
            approve=approve,
            reason=reason,
            now=NOW,
        )


@pytest.fixture
async def network(database: Database) -> tuple[Database, int, int]:
    ccas, bib = await add_structures(database, "CCAS de Mérignac", "Médiathèque")
    await add_referent(database, ccas, REFERENT)
    await add_referent(database, bib, OTHER_REFERENT)
    return database, ccas, bib


async def test_submit_then_referent_approves(network) -> None:
    database, ccas, _bib = network
    submission = await _submit(database, ccas)
    assert submission.structure_name == "CCAS de Mérignac" and submission.replaced is None
    decided = await _decide(database, submission.request.id, REFERENT)
    assert decided.status == OnboardingStatus.APPROVED and decided.decided_by == REFERENT
    async with database.session() as session:
        assert await member_structure_id(session, GUILD, NEWCOMER) == ccas
        assert (await member_structures(session, GUILD))[NEWCOMER] == ccas


@pytest.mark.parametrize(
    ("actor", "coordinator", "allowed"),
    [
        (99, False, False),  # plain member
        (OTHER_REFERENT, False, False),  # referent of another structure
        (REFERENT, False, True),  # referent of the requested structure
        (COORDINATOR, True, True),
    ],
)
async def test_permission_matrix(network, actor: int, coordinator: bool, allowed: bool) -> None:
    database, ccas, _bib = network
    submission = await _submit(database, ccas)
    if allowed:
        assert (
            await _decide(database, submission.request.id, actor, coordinator=coordinator)
        ).status == "approved"
        return
    with pytest.raises(OnboardingError) as refused:
        await _decide(database, submission.request.id, actor, coordinator=coordinator)
    assert refused.value.key == "onboarding.not_allowed"
    async with database.session() as session:
        assert (
            await requests.get_request(session, GUILD, submission.request.id)
        ).status == "pending"


async def test_refusal_needs_reason_and_is_kept(network) -> None:
    database, ccas, _ = network
    submission = await _submit(database, ccas)
    with pytest.raises(OnboardingError) as refused:
        await _decide(
            database,
            submission.request.id,
            COORDINATOR,
            coordinator=True,
            approve=False,
            reason="  ",
        )
    assert refused.value.key == "onboarding.reason_required"
    decided = await _decide(
        database,
        submission.request.id,
        COORDINATOR,
        coordinator=True,
        approve=False,
        reason="Structure hors territoire",
    )
    assert (decided.status, decided.reason) == ("refused", "Structure hors territoire")
    with pytest.raises(OnboardingError) as again:
        await _decide(database, submission.request.id, REFERENT)
    assert again.value.key == "onboarding.already_decided"
    assert again.value.kwargs["status"] == "refused"


async def test_concurrent_clicks_decide_once(network) -> None:
    database, ccas, _ = network
    submission = await _submit(database, ccas)
    results = await asyncio.gather(
        _decide(database, submission.request.id, REFERENT),
        _decide(database, submission.request.id, COORDINATOR, coordinator=True),
        return_exceptions=True,
    )
    successes = [r for r in results if isinstance(r, OnboardingRequest)]
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(successes) == 1
    assert all(isinstance(f, OnboardingError) for f in failures)


async def test_asking_again_replaces_pending(network) -> None:
    database, ccas, bib = network
    first = await _submit(database, ccas)
    second = await _submit(database, bib)
    assert second.replaced is not None and second.replaced.id == first.request.id
    async with database.session() as session:
        pending = await requests.list_pending(session, GUILD)
    assert [p.structure_id for p in pending] == [bib]


async def test_one_pending_per_member_enforced_by_database(network) -> None:
    database, ccas, _ = network
    await _submit(database, ccas)
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(
                OnboardingRequest(
                    guild_id=GUILD,
                    user_id=NEWCOMER,
                    structure_id=ccas,
                    status="pending",
                    requested_at=NOW,
                    reason="",
                )
            )


async def test_refused_inputs(network) -> None:
    database, _ccas, _ = network
    (foreign,) = await add_structures(database, "Ailleurs", guild_id=OTHER_GUILD)
    with pytest.raises(OnboardingError) as unknown:
        await _submit(database, foreign)
    assert unknown.value.key == "onboarding.unknown_structure"
    with pytest.raises(OnboardingError) as member:
        async with database.transaction() as session:
            await requests.submit(
                session,
                guild_id=GUILD,
                user_id=NEWCOMER,
                structure_id=_ccas,
                charter_version_id=None,
                already_member=True,
                now=NOW,
            )
    assert member.value.key == "onboarding.already_member"
    with pytest.raises(OnboardingError) as missing:
        await _decide(database, 12345, COORDINATOR, coordinator=True)
    assert missing.value.key == "onboarding.unknown_request"


async def test_departed_member_request_cancelled(network) -> None:
    database, ccas, _ = network
    await _submit(database, ccas)
    async with database.transaction() as session:
        cancelled = await requests.cancel_for_departed(
            session, guild_id=GUILD, user_id=NEWCOMER, now=NOW
        )
    assert cancelled is not None and cancelled.status == "cancelled"
    async with database.session() as session:
        assert await requests.list_pending(session, GUILD) == []
