"""The real discord.py client against the emulated Discord."""

from __future__ import annotations

import asyncio
import hashlib

import aiohttp
import discord
import pytest

from bot.emulator import EmulatedDiscord, EmulatorUsageError
from bot.emulator.gateway import HEARTBEAT_ACK, HELLO
from tests.emulator.conftest import EmuTestBot, World


async def test_login_ready_and_guild_create(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    routes = emu.calls.routes()
    assert routes[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
    assert bot.user is not None and bot.user.id == emu.bot_user.id
    assert bot.application_id == emu.application_id
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Réseau médiation"
    assert {c.name for c in guild.channels} == {"Accueil", "général", "annonces"}
    assert guild.get_channel(world.annonces.id).is_news()
    assert guild.get_member(world.alice.id).roles[-1].name == "Référent"
    assert guild.me.top_role.name == emu.bot_name and guild.me.top_role.managed
    assert bot.ready_count == 1
    # The gateway spoke zlib-stream, HELLO first, and acknowledged heartbeats.
    conn = emu._session.connection
    assert conn.compress == "zlib-stream"
    assert conn.sent[0]["op"] == HELLO
    assert any(p["op"] == HEARTBEAT_ACK for p in conn.sent)
    assert emu.tokens_seen == {"emulated-token"}


async def test_command_sync_recorded(emu: EmulatedDiscord, bot: EmuTestBot):
    put = emu.calls.last("PUT", "/applications/{application_id}/commands")
    names = {c["name"] for c in put.json}
    assert {"ping", "echo", "secret", "lent", "panneau", "fichier", "ville", "admin"} <= names
    echo = emu.find_command("echo")
    assert [o["name"] for o in echo["options"]][:2] == ["texte", "nombre"]
    assert echo["options"][1]["max_value"] == 5
    fetched = await bot.tree.fetch_commands()
    assert {c.name for c in fetched} == names
    assert all(c.id == int(emu.find_command(c.name)["id"]) for c in fetched)


async def test_slash_round_trip_with_typed_options(emu: EmulatedDiscord, world: World, bot):
    res = await emu.slash(
        world.guild.id,
        world.alice.id,
        "echo",
        {
            "texte": "ab",
            "nombre": 2,
            "membre": "@Bob",
            "role": world.referent,
            "salon": "#annonces",
            "urgent": "oui",
        },
    )
    assert res.ok, res.error
    assert res.callback_type == 4
    assert res.content == "abab membre=Bob role=Référent salon=annonces URGENT"
    assert not res.ephemeral
    assert res.latency is not None and res.latency < 1
    # Non-ephemeral interaction responses land in the channel, typed as command replies.
    last = emu.last_message(world.general.id)
    assert last["id"] == res.message["id"]
    assert last["type"] == 20 and last["interaction_metadata"]["name"] == "echo"
    payload = emu.records()[-1].payload
    assert payload["data"]["resolved"]["members"][str(world.bob.id)]["roles"] == []
    assert payload["data"]["options"][1] == {"type": 4, "name": "nombre", "value": 2}


async def test_slash_validation_like_discord_client(emu: EmulatedDiscord, world: World, bot):
    with pytest.raises(EmulatorUsageError, match="missing required option"):
        await emu.slash(world.guild.id, world.alice.id, "echo", {})
    with pytest.raises(EmulatorUsageError, match="must be <= 5"):
        await emu.slash(world.guild.id, world.alice.id, "echo", {"texte": "x", "nombre": 9})
    with pytest.raises(EmulatorUsageError, match="unknown command"):
        await emu.slash(world.guild.id, world.alice.id, "nope")
    res = await emu.slash(world.guild.id, world.alice.id, "atelier", {"genre": "Permanence"})
    assert res.content == "genre=permanence"


async def test_default_member_permissions_hide_commands(emu: EmulatedDiscord, world: World, bot):
    assert emu.find_command("reglages")["default_member_permissions"] == str(1 << 5)
    with pytest.raises(EmulatorUsageError, match="reserved"):
        await emu.slash(world.guild.id, world.alice.id, "reglages")
    res = await emu.slash(world.guild.id, emu.owner.id, "reglages")
    assert res.content == "Réglages"
    hidden = world.guild.add_channel(
        "bureau", overwrites=[{"id": world.guild.id, "type": 0, "deny": 1 << 10}]
    )
    with pytest.raises(EmulatorUsageError, match="cannot see"):
        await emu.slash(world.guild.id, world.alice.id, "ping", channel_id=hidden.id)


async def test_ephemeral_is_not_in_channel(emu: EmulatedDiscord, world: World, bot):
    before = len(emu.messages(world.general.id))
    res = await emu.slash(world.guild.id, world.alice.id, "secret")
    assert res.ephemeral and res.content == "chut"
    assert len(emu.messages(world.general.id)) == before
    assert emu.records()[-1].messages  # stored with the interaction


async def test_defer_then_followups(emu: EmulatedDiscord, world: World, bot):
    res = await emu.slash(world.guild.id, world.alice.id, "lent", expect_followups=2)
    assert res.ok, res.error
    assert res.callback_type == 5
    # The first followup replaced the "thinking" message, the second is a new message.
    assert res.content == "fini"
    assert res.embeds[0]["title"] == "Résultat"
    assert res.embeds[0]["fields"][0] == {"name": "Total", "value": "42", "inline": True}
    assert [m["content"] for m in res.followups] == ["et encore une chose"]
    assert "Calcul terminé" in res.text
    eph = await emu.slash(world.guild.id, world.alice.id, "lent", {"ephemere": True})
    assert eph.ephemeral


async def test_button_click_updates_message(emu: EmulatedDiscord, world: World, bot):
    panel = await emu.slash(world.guild.id, world.alice.id, "panneau")
    assert [b["label"] for b in panel.buttons()] == ["Valider", "Donner un avis", "Plus tard"]
    res = await emu.click(world.guild.id, world.bob.id, label="Valider")
    assert res.callback_type == 7
    assert res.content == "Validé par Bob"
    assert res.message["id"] == panel.message["id"]
    assert res.button("Valider")["disabled"] is True
    with pytest.raises(EmulatorUsageError, match="disabled"):
        await emu.click(world.guild.id, world.bob.id, panel, label="Valider")


async def test_deferred_update_with_ephemeral_followup(emu: EmulatedDiscord, world: World, bot):
    panel = await emu.slash(world.guild.id, world.alice.id, "panneau")
    res = await emu.click(
        world.guild.id, world.alice.id, panel, label="Plus tard", expect_followups=1
    )
    assert res.callback_type == 6
    assert res.followups[0]["content"] == "Rappel noté"
    assert res.followups[0]["flags"] & 64


async def test_select_menu(emu: EmulatedDiscord, world: World, bot):
    await emu.slash(world.guild.id, world.alice.id, "panneau")
    res = await emu.select(world.guild.id, world.alice.id, values=["Paris"])
    assert res.content == "Ville choisie : paris"
    with pytest.raises(EmulatorUsageError):
        await emu.select(
            world.guild.id, world.alice.id, values=["Marseille"], custom_id="panel:ville"
        )


async def test_user_and_role_selects(emu: EmulatedDiscord, world: World, bot):
    panel = await emu.slash(world.guild.id, world.alice.id, "assigner")
    assert panel.ephemeral
    res = await emu.select(
        world.guild.id, world.alice.id, values=[world.bob, "@Alice"], custom_id="assign:users"
    )
    assert res.content == "Membres : Alice, Bob"
    resolved = emu.records()[-1].payload["data"]["resolved"]
    assert set(resolved["members"]) == {str(world.alice.id), str(world.bob.id)}
    res = await emu.select(
        world.guild.id, world.alice.id, panel, values=["&Référent"], custom_id="assign:role"
    )
    assert res.content == "Rôle : Référent"
    # Someone else cannot use Alice's ephemeral message.
    with pytest.raises(EmulatorUsageError):
        await emu.select(
            world.guild.id, world.bob.id, panel, values=[world.bob], custom_id="assign:users"
        )


async def test_modal_submit(emu: EmulatedDiscord, world: World, bot):
    await emu.slash(world.guild.id, world.alice.id, "panneau")
    opened = await emu.click(world.guild.id, world.alice.id, label="Donner un avis")
    assert opened.callback_type == 9
    assert opened.modal["title"] == "Votre avis"
    with pytest.raises(EmulatorUsageError, match="required"):
        await emu.submit_modal(world.guild.id, world.alice.id, fields={"Détail": "x"})
    res = await emu.submit_modal(
        world.guild.id, world.alice.id, fields={"sujet": "Horaires", "Détail": "à revoir"}
    )
    assert res.ephemeral
    assert res.content == "Merci Alice : Horaires / à revoir"
    assert emu.open_modal(world.alice.id) is None


async def test_autocomplete(emu: EmulatedDiscord, world: World, bot):
    choices = await emu.autocomplete(world.guild.id, world.alice.id, "ville", "nom", "li")
    assert choices == [
        {"name": "Lille", "value": "lille"},
        {"name": "Limoges", "value": "limoges"},
    ]


async def test_attachment_upload_read_back(emu: EmulatedDiscord, world: World, bot):
    data = b"%PDF-1.4 fake pdf " * 50
    res = await emu.slash(
        world.guild.id,
        world.alice.id,
        "fichier",
        attachments={"document": ("charte.pdf", data, "application/pdf")},
    )
    assert res.ok, res.error
    assert res.content == f"charte.pdf {len(data)} octets {hashlib.sha256(data).hexdigest()[:12]}"
    (att,) = res.attachments
    assert att["filename"] == "inverse.bin"
    assert emu.blob(att) == data[::-1]
    call = emu.calls.last("POST", "/interactions/{interaction_id}/{token}/callback")
    assert call.file_names == ["inverse.bin"]


async def test_429_is_retried(emu: EmulatedDiscord, world: World, bot):
    fault = emu.inject("POST", r"/channels/\d+/messages$", status=429, retry_after=0.1)
    channel = bot.get_channel(world.general.id)
    msg = await channel.send("après limite")
    assert fault.hits == 1
    statuses = [c.status for c in emu.calls.filter("POST", "/channels/{channel_id}/messages")]
    assert statuses == [429, 200]
    assert emu.last_message(world.general.id)["id"] == str(msg.id)


async def test_429_without_via_would_be_cloudflare(emu: EmulatedDiscord, world: World, bot):
    """Guard the header our 429s carry: without Via discord.py would not retry."""
    fault = emu.inject("GET", r"/guilds/\d+$", status=429, retry_after=0.05)
    _status, headers, body = fault.build()
    assert headers["Via"] and body["retry_after"] == 0.05 and body["global"] is False
    await bot.fetch_guild(world.guild.id)
    assert fault.hits == 1


async def test_5xx_is_retried(emu: EmulatedDiscord, world: World, bot):
    emu.inject("GET", r"/guilds/\d+/members/\d+$", status=502)
    member = await bot.get_guild(world.guild.id).fetch_member(world.bob.id)
    assert member.id == world.bob.id
    statuses = [c.status for c in emu.calls.filter("GET", "/guilds/{guild_id}/members/{user_id}")]
    assert statuses == [502, 200]


async def test_403_and_404_surface_as_exceptions(emu: EmulatedDiscord, world: World, bot):
    guild = bot.get_guild(world.guild.id)
    bob = guild.get_member(world.bob.id)
    with pytest.raises(discord.Forbidden) as exc:
        await bob.add_roles(guild.get_role(world.super_role.id))
    assert exc.value.code == 50013 and exc.value.status == 403
    await bob.add_roles(guild.get_role(world.referent.id))
    assert world.referent.id in world.guild.members[world.bob.id].roles
    emu.inject("POST", r"/channels/\d+/messages$", status=403, code=50013)
    with pytest.raises(discord.Forbidden):
        await guild.get_channel(world.general.id).send("x")
    emu.inject("POST", r"/channels/\d+/messages$", status=404, code=10003)
    with pytest.raises(discord.NotFound) as nf:
        await guild.get_channel(world.general.id).send("x")
    assert nf.value.code == 10003


async def test_role_hierarchy_through_a_command(emu: EmulatedDiscord, world: World, bot):
    res = await emu.slash(
        world.guild.id,
        world.alice.id,
        "admin role donner",
        {"membre": world.bob, "role": "&Super admin"},
    )
    assert res.content == "refusé 50013" and res.ephemeral
    res = await emu.slash(
        world.guild.id,
        world.alice.id,
        "admin",
        {"membre": world.bob, "role": world.referent},
        subcommand=["role", "donner"],
    )
    assert res.content == "Référent donné à Bob"


async def test_deleted_channel_is_unknown(emu: EmulatedDiscord, world: World, bot):
    channel = bot.get_channel(world.general.id)
    await emu.delete_channel(world.general)
    assert await bot.wait_seen("channel_delete") == world.general.id
    with pytest.raises(discord.NotFound) as exc:
        await channel.send("perdu")
    assert exc.value.code == 10003


async def test_member_and_role_events(emu: EmulatedDiscord, world: World, bot):
    carol = await emu.member_join(world.guild.id, "Carol")
    assert await bot.wait_seen("member_join") == carol.id
    assert bot.get_guild(world.guild.id).get_member(carol.id).display_name == "Carol"
    await emu.member_leave(world.guild.id, carol.id)
    assert await bot.wait_seen("member_remove") == carol.id
    await emu.delete_role(world.guild.id, "Référent")
    assert await bot.wait_seen("role_delete") == world.referent.id
    assert bot.get_guild(world.guild.id).get_role(world.referent.id) is None


async def test_gateway_drop_and_resume(emu: EmulatedDiscord, world: World, bot):
    await emu.disconnect(resume=True)
    # Dispatched while the socket is down: must be replayed after RESUME.
    carol = await emu.member_join(world.guild.id, "Carol")
    await asyncio.wait_for(bot.resumed.wait(), 10)
    assert emu.resume_count == 1 and emu.identify_count == 1
    assert await bot.wait_seen("member_join") == carol.id
    # The client used READY's resume_gateway_url.
    assert emu._session.connection.path == "/gateway/resume"
    res = await emu.slash(world.guild.id, world.alice.id, "ping")
    assert res.content == "pong"


async def test_reconnect_opcode_resumes(emu: EmulatedDiscord, world: World, bot):
    await emu.request_reconnect()
    await asyncio.wait_for(bot.resumed.wait(), 10)
    assert emu.resume_count == 1
    assert (await emu.slash(world.guild.id, world.alice.id, "ping")).content == "pong"


async def test_privileged_intents_refused(emu: EmulatedDiscord, world: World):
    emu.privileged_intents = 0
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with emu.run_bot(EmuTestBot()):
            pass


async def test_invalid_session_reidentifies(emu: EmulatedDiscord, world: World, bot):
    await emu.invalid_session(resumable=False)
    await emu.wait_connected(10)
    assert emu.identify_count == 2
    for _ in range(100):
        if bot.ready_count == 2:
            break
        await asyncio.sleep(0.02)
    assert bot.ready_count == 2
    res = await emu.slash(world.guild.id, world.alice.id, "ping")
    assert res.content == "pong"


async def test_nonce_dedupe(emu: EmulatedDiscord, world: World, bot):
    channel = bot.get_channel(world.general.id)
    first = await channel.send("une seule fois", nonce="delivery-42")
    second = await channel.send("une seule fois", nonce="delivery-42")
    assert first.id == second.id
    assert [m["content"] for m in emu.messages(world.general.id)] == ["une seule fois"]
    body = emu.calls.last("POST", "/channels/{channel_id}/messages").json
    assert body["nonce"] == "delivery-42" and body["enforce_nonce"] is True
    third = await channel.send("une seule fois", nonce="delivery-43")
    assert third.id != first.id


async def test_bot_messages_crosspost_and_gateway_echo(emu: EmulatedDiscord, world: World, bot):
    res = await emu.slash(
        world.guild.id,
        world.alice.id,
        "admin annonce",
        {"salon": world.general, "texte": "Bonjour"},
    )
    assert res.ephemeral and res.content.startswith("publié ")
    mid = int(res.content.split()[1])
    assert [m["content"] for m in res.channel_messages] == ["Bonjour"]
    # Discord echoes the bot's own posts as MESSAGE_CREATE.
    await bot.wait_seen("message")
    assert any(n == "message" and obj == mid for n, obj in bot.seen)
    news = bot.get_channel(world.annonces.id)
    msg = await news.send("Lettre d'information")
    await msg.publish()
    assert emu.get_message(msg.id)["flags"] & 1
    with pytest.raises(discord.HTTPException):
        await (await bot.get_channel(world.general.id).send("x")).publish()


async def test_unknown_routes_are_recorded(emu: EmulatedDiscord, world: World, bot):
    with pytest.raises(discord.NotFound):
        await bot.http.request(
            discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=world.guild.id)
        )
    assert [c.path for c in emu.calls.unknown] == [f"/guilds/{world.guild.id}/bans"]


async def test_scheduled_events(emu: EmulatedDiscord, world: World, bot):
    import datetime as dt

    guild = bot.get_guild(world.guild.id)
    start = discord.utils.utcnow() + dt.timedelta(days=2)
    event = await guild.create_scheduled_event(
        name="Atelier",
        start_time=start,
        end_time=start + dt.timedelta(hours=2),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Médiathèque",
    )
    assert world.guild.scheduled_events[event.id]["entity_metadata"]["location"] == "Médiathèque"
    edited = await event.edit(name="Atelier CV")
    assert edited.name == "Atelier CV"
    with pytest.raises(discord.HTTPException) as exc:
        await guild.create_scheduled_event(
            name="Passé",
            start_time=discord.utils.utcnow() - dt.timedelta(days=1),
            end_time=discord.utils.utcnow(),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="x",
        )
    assert exc.value.code == 50035
    await event.delete()
    assert world.guild.scheduled_events == {}
    assert [e for e, _ in emu.gateway_log if e.startswith("GUILD_SCHEDULED_EVENT")] == [
        "GUILD_SCHEDULED_EVENT_CREATE",
        "GUILD_SCHEDULED_EVENT_UPDATE",
        "GUILD_SCHEDULED_EVENT_DELETE",
    ]


async def test_dm_and_closed_dms(emu: EmulatedDiscord, world: World, bot):
    user = await bot.fetch_user(world.alice.id)
    await user.send("Bonjour Alice")
    assert [m["content"] for m in emu.dm_messages(world.alice.id)] == ["Bonjour Alice"]
    closed = world.guild.add_member("Dora", dms_open=False)
    dora = await bot.fetch_user(closed.id)
    with pytest.raises(discord.Forbidden) as exc:
        await dora.send("x")
    assert exc.value.code == 50007


async def test_interaction_not_answered(emu: EmulatedDiscord, world: World):
    """A bot that never answers: the result says so, like Discord's client would."""
    emu.interaction_deadline = 0.2
    silent = EmuTestBot()
    silent.answer_errors = False

    async def swallow(interaction: discord.Interaction) -> None:
        return None

    silent.tree.interaction_check = swallow  # type: ignore[method-assign]
    async with emu.run_bot(silent):
        res = await emu.slash(world.guild.id, world.alice.id, "ping")
    assert not res.ok and res.callback_type is None
    assert "did not respond" in res.error
    # Answering after the deadline is refused like Discord does (10062 Unknown interaction).
    record = emu.records()[-1]
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emu.api_base}/interactions/{record.id}/{record.token}/callback",
            json={"type": 4, "data": {"content": "trop tard"}},
        ) as resp,
    ):
        assert resp.status == 404
        assert (await resp.json())["code"] == 10062


async def test_patch_restores_discord_defaults(emu: EmulatedDiscord):
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    with emu.patch_discord():
        assert emu.api_base == discord.http.Route.BASE
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == emu.gateway_url
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
