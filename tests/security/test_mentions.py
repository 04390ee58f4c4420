"""Mentions: no user-provided text makes the bot ping @everyone, @here, roles or users.

Three layers: the guard that checks every message of every test (``mentions_guard``) is
itself tested here so it can fail; the emulated Discord computes who a message pings as
Discord does (``allowed_mentions``, permissions, mentionable roles); and the real bot is fed
mention bombs through every free-text path that ends up in a channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import Clock
from bot.emulator import EmulatedDiscord
from bot.emulator.state import DEFAULT_BOT_PERMISSIONS, MENTION_EVERYONE
from bot.harness import BotHarness
from tests.security.mentions_guard import check_calls, message_body, unwanted_pings

# ---- the guard itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"content": "@everyone réunion"}, ["@everyone would ping"]),
        ({"content": "@here réunion", "allowed_mentions": {"parse": ["everyone"]}}, ["@here"]),
        ({"content": "@everyone réunion", "allowed_mentions": {"parse": []}}, []),
        ({"content": "<@&42> <@7>", "allowed_mentions": {"parse": ["roles"]}}, ["role <@&42>"]),
        ({"content": "<@&42> <@!7>", "allowed_mentions": {"parse": ["users"]}}, ["user <@7>"]),
        ({"content": "<@&42>", "allowed_mentions": {"parse": [], "roles": ["42"]}}, []),
        ({"content": "<@&42> <@7>"}, ["role <@&42>", "user <@7>"]),
        ({"embeds": [{"description": "@everyone <@&42>"}]}, []),  # embeds never ping
        (
            {"components": [{"type": 17, "components": [{"type": 10, "content": "@everyone !"}]}]},
            ["@everyone"],
        ),
        ({"content": "ok", "message_reference": {"message_id": "1"}}, ["reply pings"]),
        # A coordinator's broadcast: nothing but the chosen mentions, the text in an embed.
        (
            {
                "content": "@everyone <@&42>",
                "allowed_mentions": {"parse": ["everyone"], "roles": ["42"]},
                "embeds": [{"description": "texte saisi"}],
            },
            [],
        ),
    ],
)
def test_guard_flags_what_would_ping(body: dict[str, Any], expected: list[str]) -> None:
    problems = unwanted_pings(body)
    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


def test_guard_reads_every_message_bearing_route() -> None:
    bomb = {"content": "@everyone venez"}
    routes = [
        ("POST", "/channels/{channel_id}/messages", bomb),
        ("PATCH", "/channels/{channel_id}/messages/{message_id}", bomb),
        ("POST", "/channels/{channel_id}/threads", {"name": "x", "message": bomb}),
        ("POST", "/interactions/{interaction_id}/{token}/callback", {"type": 4, "data": bomb}),
        ("POST", "/interactions/{interaction_id}/{token}/callback", {"type": 7, "data": bomb}),
        ("POST", "/webhooks/{webhook_id}/{token}", bomb),
        ("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}", bomb),
    ]
    for method, route, json in routes:
        assert message_body(method, route, json) == bomb, route
    assert (
        message_body("POST", "/interactions/{interaction_id}/{token}/callback", {"type": 9}) is None
    )
    assert message_body("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", bomb) is None

    class FakeCall:
        method, route, path, json = "POST", "/webhooks/{webhook_id}/{token}", "/webhooks/1/t", bomb

    assert check_calls([FakeCall()]) and "@everyone" in check_calls([FakeCall()])[0]


# ---- the emulated Discord's mention parsing ----------------------------------------------


@pytest.fixture
async def raw_emu() -> AsyncIterator[tuple[EmulatedDiscord, Any, Any, Any]]:
    emu = EmulatedDiscord()
    await emu.start()
    guild = emu.add_guild("Réseau")
    channel = guild.add_channel("général")
    role = guild.add_role("Référent·e", mentionable=True)
    hidden = guild.add_role("Coordination")  # not mentionable
    member = guild.add_member("alice")
    try:
        yield emu, channel, (role, hidden), member
    finally:
        await emu.stop()


async def _post(emu: EmulatedDiscord, channel_id: int, body: dict[str, Any]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{emu.api_base}/channels/{channel_id}/messages",
            json=body,
            headers={"Authorization": "Bot test"},
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


@pytest.mark.allow_pings
async def test_emulator_pings_like_discord(raw_emu) -> None:  # type: ignore[no-untyped-def]
    emu, channel, (role, hidden), member = raw_emu
    text = f"@everyone <@&{role.id}> <@&{hidden.id}> <@{member.id}>"

    status, everything = await _post(emu, channel.id, {"content": text})
    assert status == 200
    assert everything["mention_everyone"] is True
    assert set(everything["mention_roles"]) == {str(role.id), str(hidden.id)}  # bot may
    assert [u["id"] for u in everything["mentions"]] == [str(member.id)]

    status, nothing = await _post(emu, channel.id, {"content": text, "allowed_mentions": {}})
    assert (nothing["mention_everyone"], nothing["mention_roles"], nothing["mentions"]) == (
        False,
        [],
        [],
    )

    status, listed = await _post(
        emu, channel.id, {"content": text, "allowed_mentions": {"parse": [], "roles": [role.id]}}
    )
    assert listed["mention_roles"] == [str(role.id)] and not listed["mention_everyone"]

    status, error = await _post(
        emu,
        channel.id,
        {"content": text, "allowed_mentions": {"parse": ["users"], "users": [member.id]}},
    )
    assert status == 400 and error["code"] == 50035


@pytest.mark.allow_pings
async def test_emulator_needs_mention_everyone_for_everyone_and_hidden_roles() -> None:
    emu = EmulatedDiscord()
    await emu.start()
    try:
        guild = emu.add_guild("Réseau", bot_permissions=DEFAULT_BOT_PERMISSIONS & ~MENTION_EVERYONE)
        guild.roles[guild.id].permissions &= ~MENTION_EVERYONE  # @everyone role
        channel = guild.add_channel("général")
        role = guild.add_role("Référent·e", mentionable=True)
        hidden = guild.add_role("Coordination")
        status, message = await _post(
            emu, channel.id, {"content": f"@everyone <@&{role.id}> <@&{hidden.id}>"}
        )
        assert status == 200
        assert message["mention_everyone"] is False
        assert message["mention_roles"] == [str(role.id)]
    finally:
        await emu.stop()


# ---- the real bot fed mention bombs ------------------------------------------------------

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(tmp_path / "data", clock=Clock(START)) as harness:
        yield harness


def _bomb(h: BotHarness) -> str:
    assert h.network is not None
    coordination = h.network.roles["coordination"]
    referent = h.network.roles["referent"]
    member = h.person("membre")
    return f"@everyone @here <@&{coordination}> <@&{referent}> <@{member}> <@!{member}> @​everyone"


def _bot_messages(h: BotHarness) -> list[dict[str, Any]]:
    bot_id = str(h.emu.bot_user.id)
    return [event.message for event in h.emu.message_log if event.message["author"]["id"] == bot_id]


async def test_mention_bombs_in_every_free_text_ping_nobody(h: BotHarness) -> None:
    bomb = _bomb(h)
    newsletter_role = await h.emu.create_role(h.guild_id, "Abonnés lettre")
    await h.bot.guild_config.set(h.guild_id, "role.newsletter", newsletter_role.id)
    start = len(h.emu.message_log)

    await h.slash("membre", "orienter", options={"besoin": bomb[:200]})
    await h.slash(
        "coordinateur",
        "evenement planifier",
        options={
            "type": "atelier",
            "titre": bomb[:90],
            "date": "15/03/2027",
            "heure": "14h",
            "lieu": bomb[:90],
            "description": bomb,
        },
    )
    await h.slash(
        "coordinateur",
        "copil planifier",
        options={
            "date": "18/03/2027",
            "heure": "10h",
            "ordre_du_jour": bomb,
            "lieu": bomb[:90],
        },
    )
    opened = await h.slash("membre", "newsletter proposer")
    assert opened.modal is not None
    await h.emu.submit_modal(
        h.guild_id,
        h.person("membre"),
        fields={"Titre": bomb[:90], "Texte": bomb, "Lien (facultatif)": ""},
    )
    card = h.emu.last_message(h.channel("coordination"))
    assert card is not None
    accepted = await h.emu.click(h.guild_id, h.person("coordinateur"), card, label="Accepter")
    assert "accept" in accepted.text, accepted.text
    await h.slash("coordinateur", "newsletter publier", options={"introduction": bomb})
    # The publication runs as a delivery in the background: wait for it (slow machines).
    for _ in range(200):
        await h.emu.wait_idle()
        if h.emu.messages(h.channel("lettre-info")):
            break
        await asyncio.sleep(0.05)

    messages = _bot_messages(h)
    letter = [m for m in messages if m["channel_id"] == str(h.channel("lettre-info"))]
    assert letter, "the letter was not published: the bomb did not reach a channel"
    assert len(h.emu.message_log) > start + 3, "the bombs produced almost no message"
    pinging = [
        (m["channel_id"], m["content"][:80])
        for m in messages
        if m["mention_everyone"]
        or m["mentions"]
        or set(m["mention_roles"]) - {str(newsletter_role.id)}
    ]
    assert not pinging, pinging
