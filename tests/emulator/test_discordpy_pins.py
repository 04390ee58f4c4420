"""Pin the discord.py internals the emulator relies on.

If one of these fails after a discord.py upgrade, re-verify (in discord/http.py, gateway.py,
state.py, client.py, utils.py, webhook/async_.py) the facts listed in FACTS below and adapt
bot/emulator before bumping the pin.
"""

from __future__ import annotations

import inspect

import aiohttp
import discord
import discord.gateway
import discord.http
import discord.state
import discord.utils
import discord.webhook.async_
import pytest
import yarl
from aiohttp import web

from bot.emulator import EmulatedDiscord
from tests.emulator.conftest import World

FACTS = """
1. discord.http.Route.BASE is a class attribute read by Route.__init__ to build the URL;
2. discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY (yarl.URL) is the gateway a plain Client
   connects to (no GET /gateway/bot), and READY's resume_gateway_url is used to RESUME;
3. json_or_text parses JSON only when Content-Type is exactly 'application/json';
4. a 429 is retried only with a 'Via' header and a JSON body carrying retry_after/global
   (HTTPClient.request and the webhook adapter); 500/502/504 are retried;
5. Client.login calls GET /users/@me (static_login) then GET /oauth2/applications/@me;
6. ConnectionState honours the guild_ready_timeout option in _delay_ready;
7. gateway transport compression is zlib-stream (Z_SYNC_FLUSH suffix) unless zstd is present;
8. Messageable.send always sends a nonce with enforce_nonce=True;
9. interaction callbacks are POSTed with ?with_response=1 and parse interaction/resource;
10. a server op 1 HEARTBEAT is answered at once with {"op": 1, "d": <last sequence>}
    (emu.sync() uses it as a barrier).
"""


def _src(obj: object) -> str:
    return inspect.getsource(obj)  # type: ignore[arg-type]


def test_discord_version_is_pinned():
    assert discord.__version__.startswith("2.7"), (
        f"discord.py {discord.__version__}: the emulator was verified against 2.7.x. "
        f"Re-verify these facts before changing the pin:{FACTS}"
    )


def test_route_base_is_used_for_urls():
    assert isinstance(discord.http.Route.BASE, str), FACTS
    saved = discord.http.Route.BASE
    try:
        discord.http.Route.BASE = "http://127.0.0.1:1/api/v10"
        route = discord.http.Route("GET", "/users/{user_id}", user_id=5)
        assert route.url == "http://127.0.0.1:1/api/v10/users/5", FACTS
        # Webhooks (interaction callbacks, followups) build their URLs through Route too.
        assert "Route(" in _src(
            discord.webhook.async_.AsyncWebhookAdapter.create_interaction_response
        )
    finally:
        discord.http.Route.BASE = saved


def test_default_gateway_and_resume_url():
    gw = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert isinstance(gw, yarl.URL), FACTS
    src = _src(discord.gateway.DiscordWebSocket.from_client)
    assert "gateway or cls.DEFAULT_GATEWAY" in src, FACTS
    received = _src(discord.gateway.DiscordWebSocket.received_message)
    assert "data['resume_gateway_url']" in received, FACTS
    assert "self.gateway = self.DEFAULT_GATEWAY" in received, FACTS
    connect = _src(discord.Client.connect)
    assert "get_bot_gateway" not in connect and "DiscordWebSocket.from_client" in connect, FACTS


async def test_json_or_text_requires_exact_content_type():
    async def exact(_: web.Request) -> web.Response:
        return web.Response(body=b'{"a": 1}', headers={"Content-Type": "application/json"})

    async def charset(_: web.Request) -> web.Response:
        return web.json_response({"a": 1})

    app = web.Application()
    app.router.add_get("/exact", exact)
    app.router.add_get("/charset", charset)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/exact") as resp:
                assert await discord.http.json_or_text(resp) == {"a": 1}, FACTS
            async with session.get(f"http://127.0.0.1:{port}/charset") as resp:
                assert isinstance(await discord.http.json_or_text(resp), str), FACTS
    finally:
        await runner.cleanup()


def test_429_via_logic_in_source():
    http_src = _src(discord.http.HTTPClient.request)
    assert "response.headers.get('Via')" in http_src, FACTS
    assert "data['retry_after']" in http_src and "data.get('global', False)" in http_src, FACTS
    assert "{500, 502, 504, 524}" in http_src, FACTS
    hook_src = _src(discord.webhook.async_.AsyncWebhookAdapter.request)
    assert "response.headers.get('Via')" in hook_src, FACTS


async def test_429_without_via_is_not_retried(emu: EmulatedDiscord, world: World, bot):
    """Behavioural side of fact 4, through the emulator."""
    emu.inject("GET", r"/guilds/\d+$", status=429, retry_after=0.05, via=False)
    with pytest.raises(discord.HTTPException) as exc:
        await bot.fetch_guild(world.guild.id)
    assert exc.value.status == 429
    assert len(emu.calls.filter("GET", "/guilds/{guild_id}")) == 1


def test_login_calls():
    login = _src(discord.Client.login)
    assert login.index("static_login") < login.index("application_info"), FACTS
    assert "Route('GET', '/users/@me')" in _src(discord.http.HTTPClient.static_login), FACTS
    assert "/oauth2/applications/@me" in _src(discord.http.HTTPClient.application_info), FACTS


def test_guild_ready_timeout_option():
    init = _src(discord.state.ConnectionState.__init__)
    assert "options.get('guild_ready_timeout', 2.0)" in init, FACTS
    assert "timeout=self.guild_ready_timeout" in _src(discord.state.ConnectionState._delay_ready)


def test_compression_and_nonce_and_callback_facts():
    ctx = discord.utils._ActiveDecompressionContext
    assert ctx.COMPRESSION_TYPE in ("zlib-stream", "zstd-stream"), FACTS
    if ctx.COMPRESSION_TYPE == "zlib-stream":
        assert "b'\\x00\\x00\\xff\\xff'" in _src(ctx.decompress), FACTS
    params = _src(discord.http.handle_message_parameters)
    assert "payload['enforce_nonce'] = True" in params, FACTS
    assert "secrets.randbits(64)" in _src(discord.abc.Messageable.send), FACTS
    cb = _src(discord.webhook.async_.AsyncWebhookAdapter.create_interaction_response)
    assert "'with_response': '1'" in cb, FACTS


def test_server_heartbeat_request_is_answered_with_sequence():
    received = _src(discord.gateway.DiscordWebSocket.received_message)
    assert "if op == self.HEARTBEAT:" in received and "self._keep_alive.beat()" in received, FACTS
    payload = _src(discord.gateway.KeepAliveHandler.get_payload)
    assert "'d': self.ws.sequence" in payload, FACTS
    assert received.index("self.sequence = seq") < received.index("if op == self.HEARTBEAT:"), FACTS
