import pytest

from cogs.referents import assignments
from cogs.referents.errors import ReferentError
from db.engine import Database
from db.models.structures import ReferentRank
from db.network import member_structure_id, referent_structure_ids
from tests.network_factories import GUILD, NOW, OTHER_GUILD, add_referent, add_structures

TITULAR = ReferentRank.TITULAR
DEPUTY = ReferentRank.DEPUTY


async def _designate(
    database: Database,
    structure_id: int,
    user_id: int,
    rank: str = TITULAR,
    max_titulars: int = 1,
    max_deputies: int = 1,
) -> assignments.Designation:
    async with database.transaction() as session:
        return await assignments.designate(
            session,
            guild_id=GUILD,
            structure_id=structure_id,
            user_id=user_id,
            rank=rank,
            actor_id=1,
            now=NOW,
            max_titulars=max_titulars,
            max_deputies=max_deputies,
        )


async def test_designate_then_list(database: Database) -> None:
    ccas, bib = await add_structures(
        database, "CCAS de Mérignac", "Médiathèque Michel Sainte-Marie"
    )
    result = await _designate(database, ccas, 11)
    assert (result.structure_name, result.rank, result.previous_rank) == (
        "CCAS de Mérignac",
        TITULAR,
        None,
    )
    await _designate(database, ccas, 12, DEPUTY)
    async with database.session() as session:
        rows = {r.structure_id: r for r in await assignments.overview(session, GUILD)}
        assert await referent_structure_ids(session, GUILD, 11) == {ccas}
        assert await member_structure_id(session, GUILD, 12) == ccas
    assert rows[ccas].titulars == [11] and rows[ccas].deputies == [12]
    assert rows[bib].uncovered and not rows[ccas].uncovered


async def test_full_structure_refused_and_unchanged(database: Database) -> None:
    (ccas,) = await add_structures(database, "CCAS de Mérignac")
    await _designate(database, ccas, 11)
    with pytest.raises(ReferentError) as refused:
        await _designate(database, ccas, 12)
    assert refused.value.key == "referents.full_titular"
    assert refused.value.kwargs["holders"] == "<@11>"
    async with database.session() as session:
        assert await referent_structure_ids(session, GUILD, 12) == set()
    # A configured limit of two lets a second titular in.
    await _designate(database, ccas, 12, max_titulars=2)


async def test_same_designation_twice_is_refused(database: Database) -> None:
    (ccas,) = await add_structures(database, "CCAS de Mérignac")
    await _designate(database, ccas, 11)
    with pytest.raises(ReferentError) as refused:
        await _designate(database, ccas, 11)
    assert refused.value.key == "referents.already_titular"


async def test_deputy_promoted_to_titular_keeps_one_row(database: Database) -> None:
    (ccas,) = await add_structures(database, "CCAS de Mérignac")
    await _designate(database, ccas, 12, DEPUTY)
    promoted = await _designate(database, ccas, 12, TITULAR)
    assert promoted.previous_rank == DEPUTY
    async with database.session() as session:
        (row,) = [r for r in await assignments.overview(session, GUILD) if r.structure_id == ccas]
    assert row.titulars == [12] and row.deputies == []


async def test_remove_then_redesignate(database: Database) -> None:
    (ccas,) = await add_structures(database, "CCAS de Mérignac")
    await _designate(database, ccas, 11)
    async with database.transaction() as session:
        removed = await assignments.remove(session, guild_id=GUILD, structure_id=ccas, user_id=11)
    assert removed.rank == TITULAR
    with pytest.raises(ReferentError) as refused:
        async with database.transaction() as session:
            await assignments.remove(session, guild_id=GUILD, structure_id=ccas, user_id=11)
    assert refused.value.key == "referents.not_referent"
    await _designate(database, ccas, 13)
    await _designate(database, ccas, 11, DEPUTY)


async def test_structure_of_another_guild_or_archived_is_unknown(database: Database) -> None:
    (foreign,) = await add_structures(database, "CCAS de Pessac", guild_id=OTHER_GUILD)
    with pytest.raises(ReferentError) as refused:
        await _designate(database, foreign, 11)
    assert refused.value.key == "referents.unknown_structure"


async def test_departed_member_unassigned_and_uncovered_structures_reported(
    database: Database,
) -> None:
    ccas, bib = await add_structures(database, "CCAS de Mérignac", "Médiathèque")
    await add_referent(database, ccas, 11)
    await add_referent(database, bib, 11)
    await add_referent(database, bib, 12, DEPUTY)
    async with database.transaction() as session:
        departures = await assignments.unassign_departed(session, guild_id=GUILD, user_id=11)
    by_structure = {d.structure_id: d for d in departures}
    assert by_structure[ccas].uncovered is True
    assert by_structure[bib].uncovered is False
    async with database.session() as session:
        assert await referent_structure_ids(session, GUILD, 11) == set()


async def test_forget_deleted_role(database: Database) -> None:
    (ccas,) = await add_structures(database, "CCAS de Mérignac")
    async with database.transaction() as session:
        await assignments.set_structure_role(session, guild_id=GUILD, structure_id=ccas, role_id=77)
    async with database.transaction() as session:
        assert await assignments.forget_role(session, guild_id=GUILD, role_id=77) == [ccas]
    async with database.session() as session:
        (row,) = await assignments.overview(session, GUILD)
    assert row.role_id is None
