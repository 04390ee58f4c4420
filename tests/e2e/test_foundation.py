"""The foundation through the real discord.py client and the emulated Discord."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import discord

from bot.harness import BotHarness
from db.models import AuditEntry, ScheduledDelivery
from db.models.core import DeliveryStatus


async def test_login_sync_and_no_second_sync_when_unchanged(core_harness: BotHarness) -> None:
    emu = core_harness.emu
    syncs = [c for c in emu.calls if c.method == "PUT" and "/commands" in c.path]
    assert len(syncs) == 1
    names = {cmd["name"] for cmd in syncs[0].json}
    assert {"aide", "config", "livraisons"} <= names
    aide = next(cmd for cmd in syncs[0].json if cmd["name"] == "aide")
    assert aide["name_localizations"].get("en-US") == "help"
    await core_harness.restart()
    syncs = [c for c in emu.calls if c.method == "PUT" and "/commands" in c.path]
    assert len(syncs) == 1, "restarting with an unchanged tree must not sync again"


async def test_help_depends_on_role(core_harness: BotHarness) -> None:
    member = await core_harness.slash("membre", "aide")
    assert member.ephemeral
    assert "/aide" in member.text
    assert "/config" not in member.text and "/livraisons" not in member.text
    assert "membre du réseau" in member.text

    coordinator = await core_harness.slash("coordinateur", "aide")
    assert "/config salon" in coordinator.text and "/livraisons relancer" in coordinator.text
    assert "coordination" in coordinator.text

    newcomer = await core_harness.slash("nouveau", "aide")
    assert "en attente de validation" in newcomer.text

    english = await core_harness.slash("english", "aide", locale="en-US")
    assert "What I can do for you" in english.text or "what I can do for you" in english.text
    assert "/help" in english.text


async def test_refused_before_anything_changes(core_harness: BotHarness) -> None:
    result = await core_harness.slash(
        "membre",
        "config",
        subcommand="salon",
        options={"reglage": "channel.audit", "salon": core_harness.channel("entraide")},
    )
    assert result.ephemeral
    assert "réservée aux coordinateurs" in result.text
    assert await core_harness.bot.guild_config.get(
        core_harness.guild_id, "channel.audit"
    ) == core_harness.channel("journal-audit")


async def test_coordinator_sets_a_channel_and_it_is_audited(core_harness: BotHarness) -> None:
    result = await core_harness.slash(
        "coordinateur",
        "config",
        subcommand="salon",
        options={"reglage": "channel.events", "salon": core_harness.channel("entraide")},
    )
    assert "enregistré" in result.text, result.text
    bot = core_harness.bot
    assert await bot.guild_config.get(
        core_harness.guild_id, "channel.events"
    ) == core_harness.channel("entraide")
    async with bot.db.session() as session:
        entry = (await session.execute(AuditEntry.__table__.select())).first()
    assert entry is not None and entry.action == "config.set"
    audit_posts = core_harness.emu.messages(core_harness.channel("journal-audit"))
    assert any("config.set" in (m.get("content") or "") for m in audit_posts)
    assert all(
        m.get("allowed_mentions", {}).get("parse", []) == []
        for m in audit_posts
        if "allowed_mentions" in m
    )


async def test_unexpected_error_gives_french_ephemeral_with_error_id(
    core_harness: BotHarness, caplog
) -> None:
    bot = core_harness.bot

    @discord.app_commands.command(name="panne", description="Commande qui échoue")
    async def broken(interaction: discord.Interaction) -> None:
        raise RuntimeError("boom")

    bot.tree.add_command(broken)
    await bot.sync_commands_if_changed()
    before = bot.errors_seen
    result = await core_harness.slash("membre", "panne")
    assert result.ephemeral
    assert "erreur inattendue" in result.text
    assert "Code d'erreur" in result.text
    error_id = result.text.split("`")[1]
    assert error_id in caplog.text and "boom" in caplog.text
    assert bot.errors_seen == before + 1


async def test_429_then_success(core_harness: BotHarness) -> None:
    emu = core_harness.emu
    emu.inject("POST", r"/interactions/\d+/[^/]+/callback", status=429, retry_after=0.3, times=1)
    result = await core_harness.slash("membre", "aide")
    assert result.ok and "/aide" in result.text
    statuses = [c.status for c in emu.calls if c.path.endswith("/callback")]
    assert 429 in statuses and statuses[-1] in (200, 204)


async def test_gateway_drop_and_resume(core_harness: BotHarness) -> None:
    emu = core_harness.emu
    await emu.disconnect(resume=True)
    for _ in range(100):
        await asyncio.sleep(0.05)
        if core_harness.bot.ws is not None and core_harness.bot.is_ready():
            break
    result = await core_harness.slash("membre", "aide")
    assert result.ok and "/aide" in result.text


async def test_scheduled_message_is_posted_once_with_nonce_and_no_mentions(
    core_harness: BotHarness,
) -> None:
    bot = core_harness.bot
    channel_id = core_harness.channel("annonces")
    async with bot.db.transaction() as session:
        row = await bot.scheduler.schedule(
            session,
            guild_id=core_harness.guild_id,
            kind="message",
            due_at=bot.clock.now() + timedelta(hours=1),
            payload={
                "channel_id": channel_id,
                "content": "Rappel @everyone : COPIL demain",
                "crosspost": True,
            },
        )
    await core_harness.advance(timedelta(minutes=30))
    assert not [
        m for m in core_harness.emu.messages(channel_id) if "COPIL" in (m.get("content") or "")
    ]
    await core_harness.advance(timedelta(minutes=31))
    posts = [
        m for m in core_harness.emu.messages(channel_id) if "COPIL" in (m.get("content") or "")
    ]
    assert len(posts) == 1
    post_calls = [
        c
        for c in core_harness.emu.calls
        if c.method == "POST" and c.path.endswith(f"/channels/{channel_id}/messages")
    ]
    body = post_calls[-1].json
    assert body["nonce"] == f"aig-d{row.id}" and body["enforce_nonce"] is True
    assert body["allowed_mentions"]["parse"] == []
    async with bot.db.session() as session:
        assert (await session.get(ScheduledDelivery, row.id)).status == DeliveryStatus.SENT


async def test_delivery_survives_restart_and_deleted_channel_is_reported(
    core_harness: BotHarness,
) -> None:
    bot = core_harness.bot
    guild_id = core_harness.guild_id
    channel_id = core_harness.channel("entraide")
    async with bot.db.transaction() as session:
        row = await bot.scheduler.schedule(
            session,
            guild_id=guild_id,
            kind="message",
            due_at=bot.clock.now() + timedelta(hours=2),
            payload={"channel_id": channel_id, "content": "Atelier CV jeudi"},
        )
    await core_harness.restart()
    await core_harness.emu.delete_channel(channel_id, guild_id=guild_id)
    await core_harness.advance(timedelta(hours=3))
    bot = core_harness.bot
    async with bot.db.session() as session:
        stored = await session.get(ScheduledDelivery, row.id)
    assert stored.status == DeliveryStatus.FAILED
    report = core_harness.emu.messages(core_harness.channel("coordination"))
    assert any(f"/livraisons relancer {row.id}" in (m.get("content") or "") for m in report)


async def test_healthz_and_metrics(core_harness: BotHarness) -> None:
    bot = core_harness.bot
    await core_harness.slash("membre", "aide")
    async with aiohttp.ClientSession() as http:
        async with http.get(bot.web.url("/healthz")) as response:
            assert response.status == 200
            body = await response.json()
            assert body["checks"] == {"gateway": True, "database": True, "scheduler": True}
        async with http.get(bot.web.url("/metrics")) as response:
            text = await response.text()
            assert 'aiguillage_commands_total{command="aide"}' in text
            assert (
                "aiguillage_deliveries_total" in text
                or "aiguillage_command_latency_seconds" in text
            )
        await bot.scheduler.stop()
        async with http.get(bot.web.url("/healthz")) as response:
            assert response.status == 503
