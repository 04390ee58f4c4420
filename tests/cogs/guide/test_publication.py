"""Publication state per guild: addresses, refusals, withdrawal and re-publication."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cogs.guide.publication import (
    PublicationError,
    check_slug,
    get_publication,
    publish,
    published_by_slug,
    slug_from_name,
    withdraw,
)
from db.engine import Database

from .conftest import GUILD_ID, NOW, OTHER_GUILD_ID

NAME = "Réseau numérique inclusif — Mérignac"


def test_slug_from_the_network_name() -> None:
    assert slug_from_name(NAME) == "reseau-numerique-inclusif-merignac"
    assert slug_from_name("É") == "e-guide"
    assert len(slug_from_name("x" * 300)) == 60


@pytest.mark.parametrize(
    "slug",
    ["ab", "-merignac", "merignac-", "mérignac", "a--b", "guide static", "x" * 61, "static"],
)
def test_bad_addresses_are_refused(slug: str) -> None:
    with pytest.raises(PublicationError) as refused:
        check_slug(slug)
    assert refused.value.key in ("guide.slug_invalid", "guide.slug_reserved")


async def test_publish_withdraw_and_republish_keep_the_address(database: Database) -> None:
    async with database.transaction() as session:
        change = await publish(
            session, GUILD_ID, default_name=NAME, slug=None, title=None, by=1, now=NOW
        )
    assert not change.was_published and change.old_slug is None
    assert change.publication.slug == "reseau-numerique-inclusif-merignac"
    assert change.publication.title == NAME
    async with database.session() as session:
        found = await published_by_slug(session, "reseau-numerique-inclusif-merignac")
    assert found is not None and found.guild_id == GUILD_ID

    async with database.transaction() as session:
        withdrawn = await withdraw(session, GUILD_ID, by=2, now=NOW + timedelta(days=1))
    assert withdrawn.withdrawn_by == 2 and not withdrawn.published
    async with database.session() as session:
        assert await published_by_slug(session, "reseau-numerique-inclusif-merignac") is None
    async with database.transaction() as session:
        with pytest.raises(PublicationError) as twice:
            await withdraw(session, GUILD_ID, by=2, now=NOW)
    assert twice.value.key == "guide.not_published"

    async with database.transaction() as session:
        again = await publish(
            session,
            GUILD_ID,
            default_name="Another name",
            slug=None,
            title="Guide de Mérignac",
            by=3,
            now=NOW + timedelta(days=2),
        )
    assert again.publication.slug == "reseau-numerique-inclusif-merignac"
    assert again.publication.title == "Guide de Mérignac"
    assert again.publication.published_by == 3 and not again.was_published


async def test_moving_the_guide_and_addresses_of_other_networks(database: Database) -> None:
    async with database.transaction() as session:
        await publish(
            session, GUILD_ID, default_name=NAME, slug="merignac", title=None, by=1, now=NOW
        )
    async with database.transaction() as session:
        moved = await publish(
            session, GUILD_ID, default_name=NAME, slug="Mérignac Centre", title=None, by=1, now=NOW
        )
    assert moved.old_slug == "merignac" and moved.publication.slug == "merignac-centre"
    assert moved.was_published

    # Another network may not take this address…
    async with database.transaction() as session:
        with pytest.raises(PublicationError) as taken:
            await publish(
                session,
                OTHER_GUILD_ID,
                default_name="Autre",
                slug="merignac-centre",
                title=None,
                by=9,
                now=NOW,
            )
    assert taken.value.key == "guide.slug_taken"
    async with database.session() as session:
        assert await get_publication(session, OTHER_GUILD_ID) is None
    # …and a derived address that collides gets a number.
    async with database.transaction() as session:
        other = await publish(
            session,
            OTHER_GUILD_ID,
            default_name="Mérignac centre",
            slug=None,
            title=None,
            by=9,
            now=NOW,
        )
    assert other.publication.slug == "merignac-centre-2"


async def test_title_is_checked(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(PublicationError) as empty:
            await publish(
                session, GUILD_ID, default_name=NAME, slug=None, title="   ", by=1, now=NOW
            )
        with pytest.raises(PublicationError) as long:
            await publish(
                session, GUILD_ID, default_name=NAME, slug=None, title="x" * 121, by=1, now=NOW
            )
    assert (empty.value.key, long.value.key) == ("guide.title_empty", "guide.title_too_long")
    async with database.session() as session:
        assert await get_publication(session, GUILD_ID) is None
