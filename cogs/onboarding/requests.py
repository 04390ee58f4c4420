"""Onboarding requests: a new member picks a structure and accepts the charter, then a
coordinator or that structure's referent approves or refuses (with a reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.onboarding.errors import OnboardingError
from db.models.onboarding import OnboardingRequest, OnboardingStatus
from db.network import get_structure, referent_structure_ids

REASON_MAX = 500


@dataclass(frozen=True)
class Submission:
    request: OnboardingRequest
    structure_name: str
    # A previous pending request replaced by this one (its approval message is now stale).
    replaced: OnboardingRequest | None


async def pending_request(
    session: AsyncSession, guild_id: int, user_id: int
) -> OnboardingRequest | None:
    return await session.scalar(
        select(OnboardingRequest).where(
            OnboardingRequest.guild_id == guild_id,
            OnboardingRequest.user_id == user_id,
            OnboardingRequest.status == OnboardingStatus.PENDING,
        )
    )


async def submit(
    session: AsyncSession,
    *,
    guild_id: int,
    user_id: int,
    structure_id: int,
    charter_version_id: int | None,
    already_member: bool,
    now: datetime,
) -> Submission:
    """Record a request. A member who asks again (another structure) replaces their
    pending request rather than piling up requests for coordinators."""
    if already_member:
        raise OnboardingError("onboarding.already_member")
    structure = await get_structure(session, guild_id, structure_id)
    if structure is None:
        raise OnboardingError("onboarding.unknown_structure")
    replaced = await pending_request(session, guild_id, user_id)
    if replaced is not None:
        replaced.status = OnboardingStatus.CANCELLED
        replaced.decided_at = now
        replaced.decided_by = user_id
        replaced.reason = "replaced"
        # The partial unique index allows one pending row: the cancel must reach it first.
        await session.flush()
    request = OnboardingRequest(
        guild_id=guild_id,
        user_id=user_id,
        structure_id=structure.id,
        charter_version_id=charter_version_id,
        requested_at=now,
        status=OnboardingStatus.PENDING,
        reason="",
    )
    session.add(request)
    await session.flush()
    return Submission(request, structure.display_name, replaced)


async def get_request(session: AsyncSession, guild_id: int, request_id: int) -> OnboardingRequest:
    request = await session.get(OnboardingRequest, request_id)
    if request is None or request.guild_id != guild_id:
        raise OnboardingError("onboarding.unknown_request")
    return request


async def may_decide(
    session: AsyncSession, request: OnboardingRequest, *, actor_id: int, actor_is_coordinator: bool
) -> bool:
    """Coordinators decide for every structure; a referent only for their own."""
    if actor_is_coordinator:
        return True
    if request.structure_id is None:
        return False
    return request.structure_id in await referent_structure_ids(session, request.guild_id, actor_id)


async def decide(
    session: AsyncSession,
    *,
    guild_id: int,
    request_id: int,
    actor_id: int,
    actor_is_coordinator: bool,
    approve: bool,
    reason: str = "",
    now: datetime,
) -> OnboardingRequest:
    """Approve or refuse a pending request, exactly once even if two people click together."""
    request = await get_request(session, guild_id, request_id)
    if not await may_decide(
        session, request, actor_id=actor_id, actor_is_coordinator=actor_is_coordinator
    ):
        raise OnboardingError("onboarding.not_allowed")
    reason = reason.strip()
    if not approve and not reason:
        raise OnboardingError("onboarding.reason_required")
    if len(reason) > REASON_MAX:
        raise OnboardingError("onboarding.reason_too_long", max=REASON_MAX)
    if request.status != OnboardingStatus.PENDING:
        raise _already_decided(request)
    status = OnboardingStatus.APPROVED if approve else OnboardingStatus.REFUSED
    # Conditional update: the second of two concurrent clicks changes no row.
    result = await session.execute(
        update(OnboardingRequest)
        .where(
            OnboardingRequest.id == request.id,
            OnboardingRequest.status == OnboardingStatus.PENDING,
        )
        .values(status=status, decided_by=actor_id, decided_at=now, reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(request)
        raise _already_decided(request)
    await session.refresh(request)
    return request


def _already_decided(request: OnboardingRequest) -> OnboardingError:
    return OnboardingError(
        "onboarding.already_decided",
        status=request.status,
        by=f"<@{request.decided_by}>" if request.decided_by else "-",
    )


async def attach_message(
    session: AsyncSession, *, guild_id: int, request_id: int, channel_id: int, message_id: int
) -> None:
    request = await get_request(session, guild_id, request_id)
    request.message_channel_id = channel_id
    request.message_id = message_id


async def cancel_for_departed(
    session: AsyncSession, *, guild_id: int, user_id: int, now: datetime
) -> OnboardingRequest | None:
    """The member left before a decision: the request is closed, not left dangling."""
    request = await pending_request(session, guild_id, user_id)
    if request is not None:
        request.status = OnboardingStatus.CANCELLED
        request.decided_at = now
        request.reason = "left"
    return request


async def list_pending(session: AsyncSession, guild_id: int) -> list[OnboardingRequest]:
    rows = await session.scalars(
        select(OnboardingRequest)
        .where(
            OnboardingRequest.guild_id == guild_id,
            OnboardingRequest.status == OnboardingStatus.PENDING,
        )
        .order_by(OnboardingRequest.requested_at, OnboardingRequest.id)
    )
    return list(rows)
