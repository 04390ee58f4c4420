"""The demo network seeded by issue 5's capabilities, as `aiguillage demo` shows it."""

from datetime import timedelta

from sqlalchemy import select

from bot.harness import BotHarness
from db.models.announcements import Announcement
from db.models.onboarding import OnboardingRequest
from tests.issue5_harness import ISSUE5_EXTENSIONS, role_names, settle, startup_done


async def test_demo_seeds_are_plausible_and_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with BotHarness(tmp_path, extensions=ISSUE5_EXTENSIONS, web=False) as harness:
        await startup_done(harness)
        follow_up = await harness.slash("coordinateur", "charte suivi")
        assert "**5** membre(s) sur **6**" in follow_up.text  # "membre" has not accepted v1
        assert "Charte acceptée" not in role_names(harness, "membre")
        assert "Charte acceptée" in role_names(harness, "conseiller")
        pending = await harness.slash("coordinateur", "inscriptions")
        assert "1 demande(s)" in pending.text and "Médiathèque" in pending.text
        listing = await harness.slash("membre", "referent liste")
        assert "(suppléance : <@" in listing.text
        assert "Réf. CCAS" in role_names(harness, "conseiller")
        # Seeding again (the demo restarting on the same database) adds nothing.
        await harness.seed_capability_demos()
        await settle(harness)
        assert harness.bot is not None
        async with harness.bot.db.session() as session:
            assert len(list(await session.scalars(select(OnboardingRequest)))) == 1
            assert len(list(await session.scalars(select(Announcement)))) == 1
        # The scheduled announcement goes out at its time, two days later.
        (delivery,) = await harness.bot.pending_deliveries(harness.guild_id)
        await harness.advance(delivery.due_at - harness.bot.clock.now() + timedelta(minutes=1))
        await settle(harness)
        posted = harness.emu.messages(harness.channel("annonces"))
        assert any("Permanence" in (m["embeds"][0]["title"] if m["embeds"] else "") for m in posted)
        assert harness.bot.errors_seen == 0
