import pytest

from cogs.announcements import store
from cogs.announcements.errors import AnnouncementError
from cogs.announcements.policy import MentionPlan
from db.engine import Database
from db.models.announcements import AnnouncementStatus
from tests.network_factories import GUILD, NOW

AUTHOR = 11
OTHER_REFERENT = 12
COORDINATOR = 1


async def _draft(database: Database) -> int:
    async with database.transaction() as session:
        draft = await store.create_draft(
            session,
            guild_id=GUILD,
            author_id=AUTHOR,
            structure_id=None,
            signature="CCAS de Mérignac",
            title="Atelier",
            body="Mardi 14h",
            link_url=None,
            channel_id=10,
            mentions=MentionPlan((5,)),
            publish_at=None,
            attachment_sha256=None,
            attachment_filename=None,
            now=NOW,
        )
        return draft.id


async def _confirm(database: Database, announcement_id: int, actor: int = AUTHOR) -> None:
    async with database.transaction() as session:
        await store.confirm(
            session,
            guild_id=GUILD,
            announcement_id=announcement_id,
            actor_id=actor,
            is_coordinator=False,
        )


async def test_draft_confirm_publish_edit_withdraw(database: Database) -> None:
    announcement_id = await _draft(database)
    with pytest.raises(AnnouncementError):
        await _confirm(database, announcement_id, OTHER_REFERENT)
    await _confirm(database, announcement_id)
    with pytest.raises(AnnouncementError) as twice:
        await _confirm(database, announcement_id)
    assert twice.value.key == "announcements.not_draft"
    async with database.transaction() as session:
        await store.mark_published(
            session, guild_id=GUILD, announcement_id=announcement_id, message_id=999, now=NOW
        )
    async with database.transaction() as session:
        edited = await store.edit(
            session,
            guild_id=GUILD,
            announcement_id=announcement_id,
            actor_id=AUTHOR,
            is_coordinator=False,
            title="Atelier (salle B)",
            body="Mardi 15h",
            link_url=None,
            now=NOW,
        )
        assert edited.edited_at == NOW
        assert store.mentions_of(edited) == MentionPlan((5,))
    async with database.transaction() as session:
        withdrawn, previous = await store.withdraw(
            session,
            guild_id=GUILD,
            announcement_id=announcement_id,
            actor_id=COORDINATOR,
            is_coordinator=True,
            now=NOW,
        )
    assert previous == AnnouncementStatus.PUBLISHED and withdrawn.withdrawn_by == COORDINATOR
    with pytest.raises(AnnouncementError) as again:
        async with database.transaction() as session:
            await store.withdraw(
                session,
                guild_id=GUILD,
                announcement_id=announcement_id,
                actor_id=AUTHOR,
                is_coordinator=False,
                now=NOW,
            )
    assert again.value.key == "announcements.not_withdrawable"


@pytest.mark.parametrize(
    ("actor", "coordinator", "allowed"),
    [
        (99, False, False),
        (OTHER_REFERENT, False, False),
        (AUTHOR, False, True),
        (COORDINATOR, True, True),
    ],
)
async def test_edit_withdraw_permission_matrix(
    database: Database, actor, coordinator, allowed
) -> None:
    announcement_id = await _draft(database)
    await _confirm(database, announcement_id)
    async with database.session() as session:
        listed = await store.manageable(
            session, guild_id=GUILD, actor_id=actor, is_coordinator=coordinator
        )
    assert (announcement_id in [a.id for a in listed]) == allowed
    if allowed:
        async with database.transaction() as session:
            await store.withdraw(
                session,
                guild_id=GUILD,
                announcement_id=announcement_id,
                actor_id=actor,
                is_coordinator=coordinator,
                now=NOW,
            )
        return
    with pytest.raises(AnnouncementError) as refused:
        async with database.transaction() as session:
            await store.edit(
                session,
                guild_id=GUILD,
                announcement_id=announcement_id,
                actor_id=actor,
                is_coordinator=coordinator,
                title="x",
                body="y",
                link_url=None,
                now=NOW,
            )
    assert refused.value.key == "announcements.not_author"
    async with database.session() as session:
        assert (await store.get(session, GUILD, announcement_id)).title == "Atelier"


async def test_discard_draft(database: Database) -> None:
    announcement_id = await _draft(database)
    async with database.transaction() as session:
        await store.discard_draft(
            session, guild_id=GUILD, announcement_id=announcement_id, actor_id=AUTHOR
        )
    with pytest.raises(AnnouncementError) as gone:
        async with database.session() as session:
            await store.get(session, GUILD, announcement_id)
    assert gone.value.key == "announcements.unknown"
