"""The emulated Discord: an aiohttp server on 127.0.0.1 for the real discord.py client.

Usage::

    emu = EmulatedDiscord()
    await emu.start()
    guild = emu.add_guild(name="Réseau")
    general = guild.add_channel("général")
    alice = guild.add_member("Alice")
    with emu.patch_discord():
        bot = MyBot(..., guild_ready_timeout=0.1)
        task = asyncio.create_task(bot.start("any-token"))
        await emu.wait_ready()
        result = await emu.slash(guild.id, alice.id, "ping")
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import mimetypes
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import discord
import yarl
from aiohttp import web

from bot.emulator.actors import ActorsMixin
from bot.emulator.faults import CallLog, Fault
from bot.emulator.gateway import GatewayMixin
from bot.emulator.interactions import EPHEMERAL, InteractionRecord
from bot.emulator.rest import ApiError, RestMixin
from bot.emulator.state import (
    DEFAULT_BOT_PERMISSIONS,
    DM,
    VIEW_CHANNEL,
    ChannelState,
    GuildState,
    MemberState,
    RoleState,
    SnowflakeFactory,
    UserState,
    iso,
)

_log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"


@dataclass
class Blob:
    data: bytes
    filename: str
    content_type: str


@dataclass
class MessageEvent:
    """One change to a message the emulator stored (for transcripts)."""

    seq: int
    kind: str  # "create" | "update" | "delete"
    message: dict[str, Any]
    channel_id: int
    ephemeral_user_id: int | None = None
    interaction_id: int | None = None


class EmulatedDiscord(RestMixin, GatewayMixin, ActorsMixin):
    """REST API v10 + gateway emulation, with test-driving helpers."""

    def __init__(
        self,
        *,
        bot_id: int | None = None,
        bot_name: str = "Aiguillage",
        application_id: int | None = None,
        heartbeat_interval: float = 41.25,
        interaction_deadline: float = 3.0,
        clock: Callable[[], dt.datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.next_id = SnowflakeFactory(self.now)
        self.host = host
        self.port = port
        self.heartbeat_interval_ms = int(heartbeat_interval * 1000)
        self.interaction_deadline = interaction_deadline
        self.guilds: dict[int, GuildState] = {}
        self._users: dict[int, UserState] = {}
        self._channels: dict[int, ChannelState] = {}
        self._dm_by_user: dict[int, ChannelState] = {}
        self._blobs: dict[int, Blob] = {}
        # message id -> (channel id, interaction record if ephemeral)
        self._message_index: dict[int, tuple[int, InteractionRecord | None]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, dt.datetime]] = {}
        self.message_log: list[MessageEvent] = []
        self._touch_counter = itertools.count(1)
        self._touched: dict[int, int] = {}
        self.bot_user = UserState(
            id=bot_id or self.next_id(),
            username=bot_name,
            global_name=None,
            bot=True,
            discriminator="4242",
        )
        self.bot_name = bot_name
        self.application_id = application_id or self.bot_user.id
        self.application_flags = 1 << 23  # GATEWAY_MESSAGE_CONTENT_LIMITED
        self._users[self.bot_user.id] = self.bot_user
        self.owner = UserState(id=self.next_id(), username="owner", global_name="Owner")
        self._users[self.owner.id] = self.owner
        self.calls = CallLog()
        self.faults: list[Fault] = []
        self.tokens_seen: set[str] = set()
        self._in_flight = 0
        self._last_request_at = 0.0
        self._runner: web.AppRunner | None = None
        self._saved_patch: tuple[str, yarl.URL] | None = None
        self._init_gateway()
        self._init_actors()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> EmulatedDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/gateway/resume", self._gateway_handler)
        app.router.add_get("/attachments/{att_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest_entry)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self.uninstall()
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatedDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    # -- pointing discord.py at the emulator -----------------------------------------------

    def install(self) -> None:
        """Point discord.py's REST base and default gateway at this emulator."""
        import discord.gateway
        import discord.http

        if self._saved_patch is None:
            self._saved_patch = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def uninstall(self) -> None:
        """Restore what :meth:`install` replaced."""
        import discord.gateway
        import discord.http

        if self._saved_patch is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
                self._saved_patch
            )
            self._saved_patch = None

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[EmulatedDiscord]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    @contextlib.asynccontextmanager
    async def run_bot(
        self,
        client: discord.Client,
        token: str = "emulated-token",
        *,
        ready_timeout: float = 10.0,
    ) -> AsyncIterator[discord.Client]:
        """Start ``client`` against this emulator (patched), wait for on_ready, close on exit.

        A failure while starting (bad intents, crash in setup_hook...) is raised here
        instead of hanging until the timeout.
        """
        with self.patch_discord():
            task = asyncio.create_task(client.start(token), name="emulated-bot")
            ready = asyncio.create_task(client.wait_until_ready())
            try:
                done, _ = await asyncio.wait(
                    {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if task in done:
                    task.result()  # raises the start-up error
                    raise RuntimeError("the bot stopped before it was ready")
                if ready not in done:
                    raise TimeoutError(f"the bot was not ready after {ready_timeout:g} s")
                yield client
            finally:
                ready.cancel()
                await client.close()
                try:
                    await asyncio.wait_for(task, 5)
                except (asyncio.CancelledError, TimeoutError):
                    task.cancel()
                except Exception:  # already raised by the start-up path above
                    pass

    # -- clock & ids -----------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self._clock()

    def set_clock(self, clock: Callable[[], dt.datetime]) -> None:
        self._clock = clock

    # -- world building --------------------------------------------------------------------

    def add_guild(
        self,
        name: str,
        id: int | None = None,
        *,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        bot_in_guild: bool = True,
        locale: str = "fr",
    ) -> GuildState:
        """Create a guild with @everyone, the bot's managed role (top) and the bot member."""
        guild = GuildState(self, id or self.next_id(), name, owner_id=self.owner.id, locale=locale)
        self.guilds[guild.id] = guild
        guild.add_member("Owner", id=self.owner.id)
        if bot_in_guild:
            role = RoleState(
                guild,
                self.next_id(),
                self.bot_name,
                permissions=bot_permissions,
                managed=True,
                bot_id=self.bot_user.id,
            )
            guild._insert_role(role, 1)
            guild.bot_role = role
            guild.members[self.bot_user.id] = MemberState(
                guild, self.bot_user, roles=[role.id], joined_at=self.now()
            )
        return guild

    def guild(self, key: int | str) -> GuildState:
        if isinstance(key, int):
            return self.guilds[key]
        for g in self.guilds.values():
            if g.name == key:
                return g
        raise KeyError(key)

    def user(self, user_id: int) -> UserState:
        return self._users[user_id]

    def channel(self, channel_id: int) -> ChannelState:
        return self._channels[channel_id]

    def bot_user_payload(self) -> dict[str, Any]:
        payload = self.bot_user.to_payload()
        payload.update(verified=True, mfa_enabled=False, email=None, bot=True, locale="fr")
        return payload

    def application_payload(self) -> dict[str, Any]:
        owner = self.owner.to_payload()
        bot = self.bot_user_payload()
        return {
            "id": str(self.application_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "owner": owner,
            "team": None,
            "bot": bot,
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "is_monetized": False,
            "storefront_available": False,
            "explicit_content_filter": 0,
            "custom_install_url": None,
        }

    # -- DM channels -----------------------------------------------------------------------

    def dm_channel(self, user_id: int, *, create: bool = True) -> ChannelState | None:
        ch = self._dm_by_user.get(user_id)
        if ch is None and create:
            ch = ChannelState(id=self.next_id(), type=DM, name=None, recipient=self._users[user_id])
            self._dm_by_user[user_id] = ch
            self._channels[ch.id] = ch
        return ch

    # -- messages --------------------------------------------------------------------------

    def messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages of a channel (oldest first). Ephemeral messages are never here."""
        return list(self._channels[channel_id].messages.values())

    def last_message(self, channel_id: int) -> dict[str, Any] | None:
        msgs = self._channels[channel_id].messages
        return next(reversed(msgs.values())) if msgs else None

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        ch = self._dm_by_user.get(user_id)
        return list(ch.messages.values()) if ch else []

    def get_message(self, message_id: int) -> dict[str, Any] | None:
        ref = self._message_index.get(message_id)
        if ref is None:
            return None
        channel_id, record = ref
        if record is not None:
            return record.messages.get(message_id)
        ch = self._channels.get(channel_id)
        return ch.messages.get(message_id) if ch else None

    def _log_message(
        self,
        kind: str,
        message: dict[str, Any],
        *,
        record: InteractionRecord | None = None,
    ) -> None:
        mid = int(message["id"])
        seq = next(self._touch_counter)
        self._touched[mid] = seq
        ephemeral_user = (
            record.user_id if record is not None and message["flags"] & EPHEMERAL else None
        )
        self.message_log.append(
            MessageEvent(
                seq=seq,
                kind=kind,
                message=message,
                channel_id=int(message["channel_id"]),
                ephemeral_user_id=ephemeral_user,
                interaction_id=record.id if record else None,
            )
        )

    def store_message(
        self, message: dict[str, Any], *, record: InteractionRecord | None = None
    ) -> None:
        """Store a new message: in its interaction when ephemeral, else in its channel."""
        mid = int(message["id"])
        cid = int(message["channel_id"])
        if record is not None and message["flags"] & EPHEMERAL:
            record.messages[mid] = message
            self._message_index[mid] = (cid, record)
        else:
            ch = self._channels[cid]
            ch.messages[mid] = message
            ch.last_message_id = mid
            if ch.is_thread:
                ch.total_message_sent += 1
            self._message_index[mid] = (cid, None)
            if record is not None:
                record.channel_message_ids.append(mid)
        self._log_message("create", message, record=record)

    def visible_messages(self, user_id: int, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Messages a user can see, most recently created/updated first.

        Channel messages of the guild(s) they are in, their DMs with the bot, and the
        ephemeral answers to their own interactions.
        """
        found: list[dict[str, Any]] = []
        for guild in self.guilds.values():
            if guild_id is not None and guild.id != guild_id:
                continue
            if user_id not in guild.members:
                continue
            for ch in [*guild.channels.values(), *guild.threads.values()]:
                if ch.deleted or not guild.channel_permissions(user_id, ch) & VIEW_CHANNEL:
                    continue
                found.extend(ch.messages.values())
        dm = self._dm_by_user.get(user_id)
        if dm is not None:
            found.extend(dm.messages.values())
        for record in self._records.values():
            if record.user_id == user_id:
                found.extend(record.messages.values())
        found.sort(key=lambda m: self._touched.get(int(m["id"]), 0), reverse=True)
        return found

    # -- attachments -----------------------------------------------------------------------

    def store_blob(self, filename: str, data: bytes, content_type: str | None = None) -> dict:
        """Keep bytes on the emulator and return a Discord attachment payload pointing at them."""
        att_id = self.next_id()
        ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "file"
        self._blobs[att_id] = Blob(data, filename, ctype)
        url = f"{self.base_url}/attachments/{att_id}/{safe_name}"
        payload: dict[str, Any] = {
            "id": str(att_id),
            "filename": safe_name,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
            "content_scan_version": 0,
        }
        if ctype.startswith("image/"):
            size = _image_size(data)
            if size:
                payload["width"], payload["height"] = size
        return payload

    def upload_attachment(
        self, filename: str, data: bytes, content_type: str | None = None
    ) -> dict[str, Any]:
        """What a user's client does before sending an attachment option: upload, get a payload."""
        payload = self.store_blob(filename, data, content_type)
        payload["ephemeral"] = True
        return payload

    def blob(self, attachment: dict[str, Any] | int) -> bytes:
        att_id = int(attachment["id"]) if isinstance(attachment, dict) else attachment
        return self._blobs[att_id].data

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        try:
            blob = self._blobs[int(request.match_info["att_id"])]
        except (KeyError, ValueError):
            return web.Response(status=404, text="Not Found")
        return web.Response(body=blob.data, headers={"Content-Type": blob.content_type})

    # -- synchronisation -------------------------------------------------------------------

    async def wait_idle(self, quiet: float = 0.05, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until no REST request is in flight and none arrived for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        await asyncio.sleep(0)
        while loop.time() < end:
            idle_for = loop.time() - self._last_request_at
            if self._in_flight == 0 and idle_for >= quiet:
                return
            await asyncio.sleep(min(quiet, 0.02))

    # -- fault injection -------------------------------------------------------------------

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int = 429,
        retry_after: float = 0.2,
        times: int = 1,
        code: int | None = None,
        global_: bool = False,
        message: str | None = None,
        via: bool = True,
    ) -> Fault:
        """Make the next ``times`` matching REST calls fail (``times=-1``: forever).

        A 429 carries ``Via`` (Discord's edge adds it; ``via=False`` mimics a Cloudflare ban,
        which discord.py does not retry), ``retry_after``/``global`` and X-RateLimit-* headers.
        """
        fault = Fault(
            method.upper(),
            path_regex,
            status=status,
            retry_after=retry_after,
            times=times,
            code=code,
            global_=global_,
            message=message,
            via=via,
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None


__all__ = ["API_PREFIX", "ApiError", "EmulatedDiscord", "MessageEvent", "iso"]
