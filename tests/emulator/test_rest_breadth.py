"""REST coverage beyond the interaction round trip: the calls a management bot makes."""

from __future__ import annotations

import datetime as dt

import discord
import pytest

from bot.emulator import EmulatedDiscord, EmulatorUsageError
from bot.emulator.state import GUILD_VOICE, MANAGE_ROLES
from tests.emulator.conftest import EmuTestBot, World


async def test_roles_channels_members(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    guild = bot.get_guild(world.guild.id)
    role = await guild.create_role(name="Médiateur", mentionable=True, reason="annuaire")
    assert emu.calls.last("POST", "/guilds/{guild_id}/roles").reason == "annuaire"
    assert world.guild.role("Médiateur").mentionable
    # Created at the bottom: below the bot's role, so the bot may hand it out.
    assert role.position == 1 and guild.me.top_role > role
    await role.edit(name="Médiateur·rice")
    assert world.guild.roles[role.id].name == "Médiateur·rice"
    with pytest.raises(discord.Forbidden):
        await guild.create_role(name="Admin", permissions=discord.Permissions.all())

    bob = guild.get_member(world.bob.id)
    await bob.edit(nick="Bobby", roles=[role])
    assert world.guild.members[bob.id].nick == "Bobby"
    assert world.guild.members[bob.id].roles == [role.id]
    with pytest.raises(discord.Forbidden):
        await guild.get_member(emu.owner.id).edit(nick="x")

    cat = await guild.create_category("Territoires")
    text = await guild.create_text_channel("Lyon Métropole", category=cat, topic="Rhône")
    assert text.name == "lyon-métropole" and text.category_id == cat.id
    voice = await guild.create_voice_channel("Permanence")
    assert world.guild.channels[voice.id].type == GUILD_VOICE
    await text.delete()
    assert text.id not in world.guild.channels
    with pytest.raises(discord.NotFound):
        await bot.fetch_channel(text.id)

    await role.delete()
    assert role.id not in world.guild.roles
    assert world.guild.members[bob.id].roles == []

    members = [m async for m in guild.fetch_members(limit=None)]
    assert {m.id for m in members} == set(world.guild.members)
    found = await guild.query_members("ali")
    assert [m.id for m in found] == [world.alice.id]


async def test_missing_manage_roles(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    assert world.guild.bot_role is not None
    world.guild.bot_role.permissions &= ~MANAGE_ROLES
    guild = bot.get_guild(world.guild.id)
    with pytest.raises(discord.Forbidden) as exc:
        await guild.get_member(world.bob.id).add_roles(guild.get_role(world.referent.id))
    assert exc.value.code == 50013


async def test_messages_history_edit_delete_react(emu: EmulatedDiscord, world: World, bot):
    channel = bot.get_channel(world.general.id)
    sent = [await channel.send(f"m{i}") for i in range(5)]
    history = [m.content async for m in channel.history(limit=3)]
    assert history == ["m4", "m3", "m2"]
    older = [m.content async for m in channel.history(limit=10, before=sent[2])]
    assert older == ["m1", "m0"]
    one = await channel.fetch_message(sent[0].id)
    assert one.content == "m0" and one.author.id == emu.bot_user.id
    edited = await sent[1].edit(content="m1 modifié", embed=discord.Embed(title="T"))
    assert edited.edited_at is not None and edited.embeds[0].title == "T"
    await sent[2].add_reaction("✅")
    assert emu.get_message(sent[2].id)["reactions"][0]["emoji"]["name"] == "✅"
    await sent[3].delete()
    with pytest.raises(discord.NotFound) as exc:
        await channel.fetch_message(sent[3].id)
    assert exc.value.code == 10008
    reply = await sent[4].reply("réponse", file=discord.File(__file__, filename="test.py"))
    stored = emu.get_message(reply.id)
    assert stored["type"] == 19 and stored["message_reference"]["message_id"] == str(sent[4].id)
    assert stored["attachments"][0]["filename"] == "test.py"
    assert (await reply.attachments[0].read()).startswith(b'"""REST coverage')
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send("x" * 2001)
    assert exc.value.code == 50035
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send(embed=discord.Embed(title="x" * 257))
    assert exc.value.code == 50035


async def test_user_messages_reach_the_bot(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    msg = await emu.user_message(
        world.general.id, world.alice.id, "Bonjour", attachments=[("cv.pdf", b"%PDF")]
    )
    assert await bot.wait_seen("message") == int(msg["id"])
    cached = bot.get_channel(world.general.id).last_message_id
    assert cached == int(msg["id"])


async def test_guild_commands_and_dm_slash(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    target = discord.Object(id=world.guild.id)
    bot.tree.copy_global_to(guild=target)
    synced = await bot.tree.sync(guild=target)
    assert {c.guild_id for c in synced} == {world.guild.id}
    res = await emu.slash(world.guild.id, world.alice.id, "ping")
    assert res.content == "pong"
    assert emu.records()[-1].payload["data"]["guild_id"] == str(world.guild.id)
    dm = await emu.slash(None, world.alice.id, "ping")
    assert dm.content == "pong"
    assert emu.dm_messages(world.alice.id)[-1]["content"] == "pong"
    assert "user" in emu.records()[-1].payload and "member" not in emu.records()[-1].payload


async def test_double_ack_and_expired_token(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    res = await emu.slash(world.guild.id, world.alice.id, "ping")
    record = emu.records()[-1]
    async with bot.http._HTTPClient__session.post(  # type: ignore[attr-defined]
        f"{emu.api_base}/interactions/{record.id}/{record.token}/callback",
        json={"type": 4, "data": {"content": "encore"}},
    ) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 40060
    assert res.ok
    clock = emu.now() + dt.timedelta(minutes=16)
    emu.set_clock(lambda: clock)
    hook = discord.Webhook.partial(emu.application_id, record.token, client=bot)
    with pytest.raises(discord.HTTPException) as exc:
        await hook.send("trop tard")
    assert exc.value.code == 50027


async def test_guild_join_after_connect(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    other = emu.add_guild("Autre réseau")
    other.add_channel("accueil")
    await emu.guild_join(other)  # returns once the bot parsed GUILD_CREATE (emu.sync())
    assert bot.get_guild(other.id).name == "Autre réseau"


async def test_threads_and_forum_posts(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    guild = bot.get_guild(world.guild.id)
    general = guild.get_channel(world.general.id)
    starter = await general.send("Sujet du jour")
    thread = await starter.create_thread(name="Discussion")
    assert thread.id == starter.id and thread.parent_id == general.id
    assert emu.get_message(starter.id)["thread"]["id"] == str(thread.id)
    await thread.send("dans le fil")
    assert [m["content"] for m in emu.messages(thread.id)] == ["dans le fil"]
    res = await emu.slash(world.guild.id, world.alice.id, "ping", channel_id=thread.id)
    assert res.content == "pong" and emu.last_message(thread.id)["content"] == "pong"

    private = await general.create_thread(name="Suivi Bob", type=discord.ChannelType.private_thread)
    await private.add_user(guild.get_member(world.bob.id))
    assert world.guild.threads[private.id].member_ids == {emu.bot_user.id, world.bob.id}
    with pytest.raises(EmulatorUsageError, match="cannot see"):
        await emu.slash(world.guild.id, world.alice.id, "ping", channel_id=private.id)

    archived = await thread.edit(archived=True, locked=True)
    assert archived.archived and archived.locked
    with pytest.raises(discord.HTTPException) as exc:
        await thread.send("fermé")
    assert exc.value.code == 50083

    forum_state = await emu.create_channel(
        world.guild.id, "documents", type=15, available_tags=["Charte", "Compte rendu"]
    )
    forum = guild.get_channel(forum_state.id)
    assert isinstance(forum, discord.ForumChannel)
    tag = forum.get_tag(int(forum_state.available_tags[0]["id"]))
    post = await forum.create_thread(
        name="Charte 2025", content="Version validée", applied_tags=[tag]
    )
    assert post.thread.id == post.message.id
    assert world.guild.threads[post.thread.id].applied_tags == [tag.id]
    assert emu.messages(post.thread.id)[0]["content"] == "Version validée"

    question = await emu.create_thread(
        forum_state, "Question horaires", world.alice.id, content="Quels horaires ?"
    )
    assert guild.get_thread(question.id).owner_id == world.alice.id
    await guild.get_thread(question.id).send("Réponse du bot")
    assert [m["content"] for m in emu.messages(question.id)] == [
        "Quels horaires ?",
        "Réponse du bot",
    ]
    active = await guild.active_threads()
    assert {t.id for t in active} == {private.id, post.thread.id, question.id}


async def test_guild_edit_and_timeout(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    guild = bot.get_guild(world.guild.id)
    with pytest.raises(discord.Forbidden):
        await guild.edit(name="Renommé")  # the bot lacks MANAGE_GUILD by default
    world.guild.bot_role.permissions |= 1 << 5 | 1 << 40
    edited = await guild.edit(name="Renommé")
    assert edited.name == "Renommé" == world.guild.name
    bob = guild.get_member(world.bob.id)
    await bob.timeout(dt.timedelta(minutes=10))
    assert world.guild.members[bob.id].communication_disabled_until is not None
    await emu.sync()
    assert guild.get_member(bob.id).is_timed_out()
