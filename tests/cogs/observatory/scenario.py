"""A labelled network with a demand log, handovers, referents and a charter, whose figures
were counted by hand (see test_figures.py). "Now" is Monday 23 November 2026: the current
semester is S2 2026, the previous one S1 2026."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from db.demand import mark_handover, record_orientation_request
from db.models.charter import CharterAcceptance, CharterVersion
from db.models.directory import Handover
from db.models.structures import Referent

from .labelled import ADM, NOW, OUT, seed_labelled

CCAS_REFERENT, ARLAC_REFERENT, BASTIDE_HELPER = 11, 12, 13


async def log_requests(
    db: Any,
    guild: int,
    count: int,
    *,
    at: datetime,
    services: list[str],
    needs: list[str],
    area: tuple[str, str] | None,
    results: int,
    handovers: int = 0,
    filters: tuple[str, ...] = (),
) -> None:
    async with db.transaction() as session:
        for n in range(count):
            request_id = await record_orientation_request(
                session,
                guild,
                services=services,
                needs=needs,
                area=area,
                filters=filters,
                result_count=results,
                at=at,
            )
            if n < handovers:
                await mark_handover(session, guild, request_id)


async def seed_scenario(db: Any, guild: int) -> dict[str, int]:
    ids = await seed_labelled(db, guild)
    november = datetime(2026, 11, 10, 9, tzinfo=UTC)
    # Current semester (S2 2026): 12 requests.
    await log_requests(
        db, guild, 4, at=november, services=[ADM], needs=["caf"],
        area=("Mérignac", "Capeyron"), results=0, filters=("gratuit",),
    )  # fmt: skip
    await log_requests(
        db, guild, 2, at=november, services=[ADM], needs=["caf"],
        area=("Mérignac", "Beutre"), results=2, handovers=1,
    )  # fmt: skip
    await log_requests(
        db, guild, 3, at=datetime(2026, 9, 2, tzinfo=UTC), services=[OUT], needs=["mail"],
        area=None, results=5,
    )  # fmt: skip
    await log_requests(
        db, guild, 1, at=november, services=[], needs=[], area=None, results=0,
    )  # fmt: skip
    await log_requests(
        db, guild, 2, at=november, services=[ADM], needs=["impots"],
        area=("Bordeaux", "Bastide"), results=4, handovers=2, filters=("sans_rdv",),
    )  # fmt: skip
    # Previous semester (S1 2026): 4 requests.
    await log_requests(
        db, guild, 3, at=datetime(2026, 3, 5, tzinfo=UTC), services=[ADM], needs=["caf"],
        area=("Mérignac", "Capeyron"), results=0,
    )  # fmt: skip
    await log_requests(
        db, guild, 1, at=datetime(2026, 2, 5, tzinfo=UTC), services=[OUT], needs=["mail"],
        area=None, results=3,
    )  # fmt: skip
    # Another network's requests never count here.
    await log_requests(
        db, guild + 500_000, 5, at=november, services=[ADM], needs=["caf"], area=None, results=0
    )

    ccas = ids["CCAS de Mérignac"]
    arlac = ids["Médiathèque d'Arlac"]
    bastide = ids["France Services Bastide"]
    mdh = ids["Maison des Habitants de Beutre"]
    async with db.transaction() as session:
        # Referents: CCAS and Arlac have one; every other live structure has none.
        session.add_all(
            [
                Referent(guild_id=guild, structure_id=ccas, user_id=CCAS_REFERENT),
                Referent(guild_id=guild, structure_id=arlac, user_id=ARLAC_REFERENT),
            ]
        )
        # Handovers in S2: two to the CCAS (acknowledged after 2 h, redirected after 6 h),
        # one still open at Bastide, one expired at the MDH; one in S1.
        sent = datetime(2026, 10, 1, 8, tzinfo=UTC)

        def handover(
            structure: int, status: str, answered_after: float | None, **kw: Any
        ) -> Handover:
            created = kw.pop("created", sent)
            return Handover(
                guild_id=guild,
                structure_id=structure,
                sender_id=99,
                sender_structure_id=kw.pop("sender", arlac),
                need="CAF",
                status=status,
                created_at=created,
                expires_at=created + timedelta(days=7),
                answered_at=created + timedelta(hours=answered_after)
                if answered_after is not None
                else None,
            )

        session.add_all(
            [
                handover(ccas, "acknowledged", 2),
                handover(ccas, "redirected", 6),
                handover(bastide, "open", None, sender=None),
                handover(mdh, "expired", None),
                handover(ccas, "acknowledged", 1, created=datetime(2026, 4, 1, tzinfo=UTC)),
            ]
        )
        # The CCAS entry was last confirmed long ago: stale.
        from db.models.structures import Structure

        ccas_row = await session.get(Structure, ccas)
        assert ccas_row is not None
        ccas_row.date_maj = date(2025, 1, 10)
        # Charter v1: the CCAS referent accepted, the Arlac one did not; a helper of
        # Bastide (not a referent) accepted, recorded with their structure.
        version = CharterVersion(guild_id=guild, label="v1", published_at=NOW - timedelta(days=30))
        session.add(version)
        await session.flush()
        session.add_all(
            [
                CharterAcceptance(
                    guild_id=guild, version_id=version.id, user_id=CCAS_REFERENT, structure_id=ccas
                ),
                CharterAcceptance(
                    guild_id=guild,
                    version_id=version.id,
                    user_id=BASTIDE_HELPER,
                    structure_id=bastide,
                ),
            ]
        )
    return ids
