"""Who belongs to the network: structure look-up, referents of a member, a member's structure.

Shared by the referents, onboarding, charter and announcements capabilities (cogs never
import each other; they share through ``db/``). No Discord types here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from unidecode import unidecode

from db.models.charter import CharterAcceptance, CharterVersion
from db.models.onboarding import OnboardingRequest, OnboardingStatus
from db.models.structures import Referent, Structure


async def active_structures(session: AsyncSession, guild_id: int) -> list[Structure]:
    """Structures of the guild that are not archived, by display name."""
    rows = await session.scalars(
        select(Structure).where(Structure.guild_id == guild_id, Structure.archived_at.is_(None))
    )
    return sorted(rows, key=lambda s: _fold(s.display_name))


async def get_structure(
    session: AsyncSession, guild_id: int, structure_id: int
) -> Structure | None:
    structure = await session.get(Structure, structure_id)
    if structure is None or structure.guild_id != guild_id or structure.archived_at is not None:
        return None
    return structure


def _fold(text: str) -> str:
    return unidecode(text).lower().strip()


def _choice_text(structure: Structure) -> str:
    parts = [structure.nom, structure.short_name or "", structure.commune, structure.quartier or ""]
    return _fold(" ".join(p for p in parts if p))


def rank_structures(
    structures: Sequence[Structure], query: str, limit: int = 25
) -> list[Structure]:
    """Best matches for what a member typed (accents and case ignored, typos tolerated).

    An empty query gives the first ``limit`` structures in name order, which is what a
    select menu or an autocomplete list shows before anything is typed.
    """
    query = _fold(query)
    if not query:
        return list(structures[:limit])
    choices = {index: _choice_text(s) for index, s in enumerate(structures)}
    scored = process.extract(
        query,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=None,
        score_cutoff=50,
    )
    # Substring hits first (a member typing "ccas" wants every CCAS), then fuzzy score.
    scored.sort(key=lambda hit: (query not in hit[0], -hit[1], _fold(structures[hit[2]].nom)))
    return [structures[index] for _text, _score, index in scored[:limit]]


async def referent_structure_ids(session: AsyncSession, guild_id: int, user_id: int) -> set[int]:
    """Structures the member actively represents (titular or deputy)."""
    rows = await session.scalars(
        select(Referent.structure_id).where(
            Referent.guild_id == guild_id, Referent.user_id == user_id, Referent.active.is_(True)
        )
    )
    return set(rows)


async def member_structure_id(session: AsyncSession, guild_id: int, user_id: int) -> int | None:
    """The structure a member belongs to: the latest approved onboarding request, else the
    first structure they represent as referent, else None."""
    approved = await session.scalar(
        select(OnboardingRequest.structure_id)
        .where(
            OnboardingRequest.guild_id == guild_id,
            OnboardingRequest.user_id == user_id,
            OnboardingRequest.status == OnboardingStatus.APPROVED,
            OnboardingRequest.structure_id.is_not(None),
        )
        .order_by(OnboardingRequest.decided_at.desc(), OnboardingRequest.id.desc())
        .limit(1)
    )
    if approved is not None:
        return approved
    represented = sorted(await referent_structure_ids(session, guild_id, user_id))
    return represented[0] if represented else None


async def member_structures(session: AsyncSession, guild_id: int) -> dict[int, int]:
    """user_id → structure_id for every member with a known structure (bulk version of
    :func:`member_structure_id`, for tracking tables)."""
    result: dict[int, int] = {}
    referents = await session.execute(
        select(Referent.user_id, Referent.structure_id)
        .where(Referent.guild_id == guild_id, Referent.active.is_(True))
        .order_by(Referent.structure_id.desc())
    )
    for user_id, structure_id in referents:
        result[user_id] = structure_id  # lowest structure id wins, as in member_structure_id
    approved = await session.execute(
        select(OnboardingRequest.user_id, OnboardingRequest.structure_id)
        .where(
            OnboardingRequest.guild_id == guild_id,
            OnboardingRequest.status == OnboardingStatus.APPROVED,
            OnboardingRequest.structure_id.is_not(None),
        )
        .order_by(OnboardingRequest.decided_at, OnboardingRequest.id)
    )
    for user_id, structure_id in approved:
        result[user_id] = structure_id  # the latest approval wins
    return result


async def current_charter_version(session: AsyncSession, guild_id: int) -> CharterVersion | None:
    """The charter in force: the latest published version (None before the first)."""
    return await session.scalar(
        select(CharterVersion)
        .where(CharterVersion.guild_id == guild_id)
        .order_by(CharterVersion.published_at.desc(), CharterVersion.id.desc())
        .limit(1)
    )


async def record_charter_acceptance(
    session: AsyncSession,
    *,
    guild_id: int,
    version_id: int,
    user_id: int,
    structure_id: int | None,
    interaction_id: int | None,
    now: datetime,
) -> tuple[CharterAcceptance, bool]:
    """Record (once) that ``user_id`` accepted the version; (row, created). The caller
    must pass the id of the member who clicked, never one carried in a button."""

    async def existing() -> CharterAcceptance | None:
        return await session.scalar(
            select(CharterAcceptance).where(
                CharterAcceptance.version_id == version_id, CharterAcceptance.user_id == user_id
            )
        )

    found = await existing()
    if found is not None:
        return found, False
    acceptance = CharterAcceptance(
        guild_id=guild_id,
        version_id=version_id,
        user_id=user_id,
        structure_id=structure_id,
        accepted_at=now,
        interaction_id=interaction_id,
    )
    try:
        async with session.begin_nested():
            session.add(acceptance)
    except IntegrityError:
        # A double click raced us: the other transaction recorded the same acceptance.
        found = await existing()
        if found is None:
            raise
        return found, False
    return acceptance, True
