"""Gateway (websocket) side of the emulated Discord."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from bot.emulator.server import EmulatedDiscord

_log = logging.getLogger(__name__)

# Opcodes.
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Gateway intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MODERATION = 1 << 2
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16

EVENT_INTENTS: dict[str, int] = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "GUILD_SCHEDULED_EVENT_CREATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": GUILD_SCHEDULED_EVENTS,
}
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"}


class GatewayConnection:
    """One websocket connection, with the per-connection transport compression."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None, path: str) -> None:
        self.ws = ws
        self.compress = compress
        self.path = path
        self.session: GatewaySession | None = None
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            import zstandard  # optional: only when discord.py itself picked zstd

            self._zstd = zstandard.ZstdCompressor().compressobj()
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        # (sequence, future): resolved when a client heartbeat acknowledges that sequence.
        self.barriers: list[tuple[int, asyncio.Future[None]]] = []

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        async with self._lock:
            if self.ws.closed:
                raise ConnectionResetError("gateway connection closed")
            self.sent.append(payload)
            if self._zlib is not None:
                raw = self._zlib.compress(data.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(raw)
            elif self._zstd is not None:
                import zstandard

                raw = self._zstd.compress(data.encode()) + self._zstd.flush(
                    zstandard.COMPRESSOBJ_FLUSH_BLOCK
                )
                await self.ws.send_bytes(raw)
            else:
                await self.ws.send_str(data)

    async def close(self, code: int, message: bytes = b"") -> None:
        async with self._lock:
            if not self.ws.closed:
                await self.ws.close(code=code, message=message)


@dataclass
class GatewaySession:
    id: str
    intents: int
    seq: int = 0
    resumable: bool = True
    connection: GatewayConnection | None = None
    # (seq, payload) of every dispatch, for replay on RESUME.
    buffer: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    presence: dict[str, Any] | None = None

    def has_intent(self, bit: int) -> bool:
        return bool(self.intents & bit)


class GatewayMixin:
    """Websocket handler, session bookkeeping and event dispatch."""

    heartbeat_interval_ms: int
    privileged_intents: int
    _sessions: dict[str, GatewaySession]
    _session: GatewaySession | None
    _connections: set[GatewayConnection]
    _ready_event: asyncio.Event
    _resumed_event: asyncio.Event
    gateway_log: list[tuple[str, dict[str, Any]]]
    identify_count: int
    resume_count: int

    def _init_gateway(self) -> None:
        self._sessions = {}
        self._session = None
        self._connections = set()
        self._ready_event = asyncio.Event()
        self._resumed_event = asyncio.Event()
        self.gateway_log = []
        self.identify_count = 0
        self.resume_count = 0
        # Privileged intents switched on in the (emulated) developer portal.
        self.privileged_intents = PRIVILEGED_INTENTS

    # -- URLs ------------------------------------------------------------------------------

    @property
    def gateway_url(self: EmulatedDiscord) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self: EmulatedDiscord) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/resume"

    # -- websocket handler -----------------------------------------------------------------

    async def _gateway_handler(self: EmulatedDiscord, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress")
        conn = GatewayConnection(ws, compress, request.path)
        self._connections.add(conn)
        try:
            await conn.send(
                {
                    "op": HELLO,
                    "d": {
                        "heartbeat_interval": self.heartbeat_interval_ms,
                        "_trace": ['["emulated-gateway",{"micros":0}]'],
                    },
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    payload = json.loads(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    payload = json.loads(msg.data.decode())
                else:
                    break
                conn.received.append(payload)
                try:
                    await self._handle_op(conn, payload)
                except ConnectionResetError:
                    break
        finally:
            self._connections.discard(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
        return ws

    async def _handle_op(self: EmulatedDiscord, conn: GatewayConnection, payload: dict) -> None:
        op = payload.get("op")
        d = payload.get("d")
        if op == HEARTBEAT:
            acked = d if isinstance(d, int) else -1
            for target, fut in list(conn.barriers):
                if acked >= target and not fut.done():
                    fut.set_result(None)
            conn.barriers = [(t, f) for t, f in conn.barriers if not f.done()]
            await conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(conn, d or {})
        elif op == RESUME:
            await self._resume(conn, d or {})
        elif op == PRESENCE_UPDATE:
            if conn.session:
                conn.session.presence = d
        elif op == REQUEST_GUILD_MEMBERS:
            await self._request_members(conn, d or {})
        elif op == VOICE_STATE_UPDATE:
            pass
        else:
            await conn.close(4001, b"Unknown opcode.")

    async def _identify(self: EmulatedDiscord, conn: GatewayConnection, d: dict) -> None:
        if conn.session is not None:
            await conn.close(4005, b"Already authenticated.")
            return
        if not d.get("token"):
            await conn.close(4004, b"Authentication failed.")
            return
        if "intents" not in d:
            await conn.close(4013, b"Invalid intent(s).")
            return
        if int(d["intents"]) & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await conn.close(4014, b"Disallowed intent(s).")
            return
        self.identify_count += 1
        session = GatewaySession(id=uuid.uuid4().hex, intents=int(d["intents"]))
        session.connection = conn
        session.presence = d.get("presence")
        conn.session = session
        if self._session is not None:
            self._session.resumable = False
        self._sessions[session.id] = session
        self._session = session
        self._ready_event.clear()
        ready = {
            "v": 10,
            "user_settings": {},
            "user": self.bot_user_payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.guilds.values()],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam", "madrid"],
            "auth_session_id_hash": uuid.uuid4().hex,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "_trace": ['["emulated-gateway",{"micros":0}]'],
        }
        if d.get("shard") is not None:
            ready["shard"] = d["shard"]
        await self._dispatch_to(session, "READY", ready)
        for guild in list(self.guilds.values()):
            if self.bot_user.id not in guild.members:
                continue
            await self._dispatch_to(
                session,
                "GUILD_CREATE",
                guild.gateway_create_payload(with_members=session.has_intent(GUILD_MEMBERS)),
            )
        self._ready_event.set()

    async def _resume(self: EmulatedDiscord, conn: GatewayConnection, d: dict) -> None:
        session = self._sessions.get(str(d.get("session_id")))
        if session is None or not session.resumable or session is not self._session:
            await conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        if session.connection is not None and session.connection is not conn:
            await session.connection.close(4000)
        session.connection = conn
        conn.session = session
        seq = int(d.get("seq") or 0)
        for s, payload in session.buffer:
            if s > seq:
                await conn.send(payload)
        await self._dispatch_to(session, "RESUMED", {"_trace": ['["emulated-gateway"]']})
        self._resumed_event.set()

    async def _request_members(self: EmulatedDiscord, conn: GatewayConnection, d: dict) -> None:
        session = conn.session
        if session is None:
            await conn.close(4003, b"Not authenticated.")
            return
        guild = self.guilds.get(int(d["guild_id"]))
        if guild is None:
            return
        members = list(guild.members.values())
        if d.get("user_ids"):
            ids = d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]]
            wanted = {int(x) for x in ids}
            members = [m for m in members if m.id in wanted]
        else:
            if not session.has_intent(GUILD_MEMBERS) and not d.get("query"):
                await conn.close(4013, b"Disallowed intent(s).")
                return
            query = (d.get("query") or "").lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(d.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.to_payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        if d.get("presences"):
            chunk["presences"] = []
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- dispatch --------------------------------------------------------------------------

    async def _dispatch_to(
        self: EmulatedDiscord, session: GatewaySession, event: str, data: dict[str, Any]
    ) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append((session.seq, payload))
        if len(session.buffer) > 5000:
            del session.buffer[:1000]
        self.gateway_log.append((event, data))
        conn = session.connection
        if conn is not None:
            try:
                await conn.send(payload)
            except (ConnectionResetError, RuntimeError):
                _log.debug("event %s buffered: connection lost", event)

    async def dispatch(self: EmulatedDiscord, event: str, data: dict[str, Any]) -> bool:
        """Send a DISPATCH to the bot's session, honouring its intents.

        Returns False when the event was filtered out (missing intent) or no session exists.
        Events sent while the socket is down are buffered and replayed on RESUME.
        """
        session = self._session
        if session is None or (not session.resumable and session.connection is None):
            return False
        needed = EVENT_INTENTS.get(event)
        if event in MESSAGE_EVENTS:
            needed = GUILD_MESSAGES if data.get("guild_id") else DIRECT_MESSAGES
        if needed is not None and not session.has_intent(needed):
            return False
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.has_intent(
            MESSAGE_CONTENT
        ):
            data = self._strip_content(data)
        await self._dispatch_to(session, event, data)
        return True

    def _strip_content(self: EmulatedDiscord, data: dict[str, Any]) -> dict[str, Any]:
        author_id = int(data.get("author", {}).get("id", 0))
        mentioned = any(int(u["id"]) == self.bot_user.id for u in data.get("mentions", []))
        if author_id == self.bot_user.id or mentioned or not data.get("guild_id"):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    # -- fault helpers ---------------------------------------------------------------------

    async def disconnect(
        self: EmulatedDiscord, resume: bool = True, code: int | None = None
    ) -> None:
        """Drop the bot's gateway socket.

        ``resume=True`` closes with 4000 (discord.py reconnects to resume_gateway_url and
        RESUMEs; events dispatched meanwhile are replayed). ``resume=False`` also invalidates
        the session, so the RESUME attempt gets INVALID_SESSION and the bot re-IDENTIFYs.
        """
        session = self._session
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected to the emulated gateway")
        if not resume:
            session.resumable = False
        self._resumed_event.clear()
        if not resume:
            self._ready_event.clear()
        conn = session.connection
        session.connection = None
        await conn.close(code or (4000 if resume else 4009))

    async def invalid_session(self: EmulatedDiscord, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION on the live connection."""
        session = self._session
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected to the emulated gateway")
        if not resumable:
            session.resumable = False
            self._ready_event.clear()
        else:
            self._resumed_event.clear()
        await session.connection.send({"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    async def request_reconnect(self: EmulatedDiscord) -> None:
        """Send op 7 RECONNECT: the client closes and resumes."""
        session = self._session
        if session is None or session.connection is None:
            raise RuntimeError("the bot is not connected to the emulated gateway")
        self._resumed_event.clear()
        await session.connection.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def sync(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Barrier: return once the client has parsed every event dispatched so far.

        Sends op 1 HEARTBEAT (Discord may request one at any time); discord.py answers
        with a heartbeat carrying the last sequence it processed. Gateway events are parsed
        in order, so the bot's cache is up to date afterwards (its event handlers are
        scheduled tasks and may still be running). No-op while the bot is disconnected.
        """
        session = self._session
        if session is None or session.connection is None:
            return
        conn = session.connection
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        conn.barriers.append((session.seq, fut))
        try:
            await conn.send({"op": HEARTBEAT, "d": None, "s": None, "t": None})
            await asyncio.wait_for(fut, timeout)
        except ConnectionResetError:
            return
        await asyncio.sleep(0)

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until a session identified and got its GUILD_CREATEs."""
        await asyncio.wait_for(self._ready_event.wait(), timeout)

    async def wait_resumed(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await asyncio.wait_for(self._resumed_event.wait(), timeout)

    @property
    def connected(self) -> bool:
        return self._session is not None and self._session.connection is not None

    async def wait_connected(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not (self.connected and self._ready_event.is_set()):
            if loop.time() > end:
                raise TimeoutError("the bot did not (re)connect to the emulated gateway")
            await asyncio.sleep(0.01)
