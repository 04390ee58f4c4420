"""REST API v10 routes of the emulated Discord.

Handlers return ``(status, json_body)`` (``None`` body = 204) or raise :class:`ApiError`.
Response bodies follow the shapes Discord documents for each route.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from bot.emulator import state as st
from bot.emulator.faults import Call, UploadedFile
from bot.emulator.gateway import GUILD_MEMBERS
from bot.emulator.interactions import (
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE_WITH_SOURCE,
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PONG,
    UPDATE_MESSAGE,
    InteractionRecord,
)

if TYPE_CHECKING:
    from bot.emulator.server import EmulatedDiscord

_log = logging.getLogger(__name__)

SUPPRESS_EMBEDS = 1 << 2
CROSSPOSTED = 1 << 0
HAS_THREAD = 1 << 5
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
NONCE_WINDOW = dt.timedelta(minutes=5)
TOKEN_LIFETIME = dt.timedelta(minutes=15)


class ApiError(Exception):
    """A Discord JSON error response."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def form_error(path: str, code: str, message: str) -> ApiError:
    """400 Invalid Form Body with Discord's nested ``errors`` object (path like 'embeds.0.title')."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        errors = {part: errors}
    return ApiError(400, 50035, "Invalid Form Body", errors)


@dataclass
class RestRequest:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile] = field(default_factory=list)
    reason: str | None = None

    def id(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError(404, 0, "404: Not Found") from None

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}


Handler = Callable[[Any, RestRequest], Awaitable[tuple[int, Any]]]
ROUTES: list[tuple[str, str, re.Pattern[str], str]] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    pattern = re.compile(
        "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
    )

    def deco(fn: Handler) -> Handler:
        ROUTES.append((method, template, pattern, fn.__name__))
        return fn

    return deco


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    all_headers = {"Content-Type": "application/json"}
    if headers:
        all_headers.update(headers)
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers=all_headers,
    )


# Limits Discord enforces on message bodies.
EMBED_LIMITS = {"title": 256, "description": 4096}


class RestMixin:
    """Route dispatch, recording, fault injection and the route handlers."""

    # ------------------------------------------------------------------ entry point

    async def _rest_entry(self: EmulatedDiscord, request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        self._in_flight += 1
        self._last_request_at = loop.time()
        try:
            return await self._rest_handle(request)
        finally:
            self._in_flight -= 1
            self._last_request_at = loop.time()

    async def _rest_handle(self: EmulatedDiscord, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method.upper()
        body: Any = None
        files: list[UploadedFile] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    body = json.loads(data.decode())
                elif part.filename is not None:  # type: ignore[union-attr]
                    files.append(
                        UploadedFile(
                            name,
                            part.filename,  # type: ignore[union-attr]
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw.decode())
                except ValueError:
                    return _json_response(400, {"message": "400: Bad Request", "code": 0})

        template = None
        handler_name = None
        params: dict[str, str] = {}
        for r_method, r_template, pattern, name in ROUTES:
            m = pattern.match(path)
            if m and r_method == method:
                template, handler_name, params = r_template, name, m.groupdict()
                break
        reason = request.headers.get("X-Audit-Log-Reason")
        call = Call(
            method=method,
            path=path,
            route=template,
            json=body,
            files=files,
            query=dict(request.query),
            timestamp=asyncio.get_running_loop().time(),
            reason=reason,
        )
        self.calls.append(call)

        needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
        auth = request.headers.get("Authorization", "")
        if needs_auth and not auth.startswith("Bot "):
            call.status = 401
            call.response = {"message": "401: Unauthorized", "code": 0}
            return _json_response(401, call.response)
        if auth:
            self.tokens_seen.add(auth[4:])

        for fault in self.faults:
            if fault.matches(method, path):
                fault.hits += 1
                status, headers, fbody = fault.build()
                call.status, call.response, call.injected = status, fbody, True
                return _json_response(status, fbody, headers)

        if handler_name is None:
            _log.warning("emulated Discord: no route for %s %s", method, path)
            call.status = 404
            call.response = {"message": "404: Not Found", "code": 0}
            return _json_response(404, call.response)

        req = RestRequest(method, path, params, dict(request.query), body, files, reason)
        try:
            status, out = await getattr(self, handler_name)(req)
        except ApiError as exc:
            call.status, call.response = exc.status, exc.body()
            return _json_response(exc.status, exc.body())
        except Exception:
            _log.exception("emulated Discord: handler %s crashed", handler_name)
            call.status = 500
            call.response = {"message": "500: Internal Server Error", "code": 0}
            raise
        call.status, call.response = status, out
        if out is None:
            return web.Response(status=204)
        return _json_response(status, out)

    # ------------------------------------------------------------------ lookups

    def _guild(self: EmulatedDiscord, guild_id: int) -> st.GuildState:
        guild = self.guilds.get(guild_id)
        if guild is None or self.bot_user.id not in guild.members:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _chan(self: EmulatedDiscord, channel_id: int) -> st.ChannelState:
        ch = self._channels.get(channel_id)
        if ch is None or ch.deleted:
            raise ApiError(404, 10003, "Unknown Channel")
        if ch.guild is not None and self.bot_user.id not in ch.guild.members:
            raise missing_access()
        return ch

    def _member(self: EmulatedDiscord, guild: st.GuildState, user_id: int) -> st.MemberState:
        m = guild.members.get(user_id)
        if m is None:
            raise ApiError(404, 10007, "Unknown Member")
        return m

    def _role(self: EmulatedDiscord, guild: st.GuildState, role_id: int) -> st.RoleState:
        r = guild.roles.get(role_id)
        if r is None:
            raise ApiError(404, 10011, "Unknown Role")
        return r

    def _require(
        self: EmulatedDiscord,
        guild: st.GuildState,
        perm: int,
        channel: st.ChannelState | None = None,
    ) -> None:
        uid = self.bot_user.id
        perms = (
            guild.channel_permissions(uid, channel)
            if channel is not None
            else guild.base_permissions(uid)
        )
        if channel is not None and not perms & st.VIEW_CHANNEL:
            raise missing_access()
        if perms & st.ADMINISTRATOR or perms & perm == perm:
            return
        raise missing_permissions()

    def _require_above(self: EmulatedDiscord, guild: st.GuildState, position: int) -> None:
        if guild.base_permissions(self.bot_user.id) == st.ALL_PERMISSIONS and (
            self.bot_user.id == guild.owner_id
        ):
            return
        if guild.top_role_position(self.bot_user.id) <= position:
            raise missing_permissions()

    def _check_role_assignable(
        self: EmulatedDiscord, guild: st.GuildState, role: st.RoleState
    ) -> None:
        self._require(guild, st.MANAGE_ROLES)
        if role.managed or role.id == guild.id:
            raise missing_permissions()
        self._require_above(guild, role.position)

    # ------------------------------------------------------------------ gateway / users / app

    @route("GET", "/gateway")
    async def r_gateway(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    @route("GET", "/gateway/bot")
    async def r_gateway_bot(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14400000,
                "max_concurrency": 1,
            },
        }

    @route("GET", "/users/@me")
    async def r_me(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, self.bot_user_payload()

    @route("PATCH", "/users/@me")
    async def r_edit_me(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        if "username" in req.body:
            self.bot_name = req.body["username"]
            self.bot_user.username = self.bot_name
        return 200, self.bot_user_payload()

    @route("GET", "/users/@me/guilds")
    async def r_my_guilds(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        out = []
        for g in self.guilds.values():
            if self.bot_user.id in g.members:
                out.append(
                    {
                        "id": str(g.id),
                        "name": g.name,
                        "icon": None,
                        "banner": None,
                        "owner": False,
                        "permissions": str(g.base_permissions(self.bot_user.id)),
                        "features": [],
                    }
                )
        return 200, out

    @route("GET", "/users/{user_id}")
    async def r_user(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        user = self._users.get(req.id("user_id"))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, user.to_payload()

    @route("POST", "/users/@me/channels")
    async def r_create_dm(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        try:
            uid = int(req.body["recipient_id"])
        except (KeyError, ValueError):
            raise form_error(
                "recipient_id", "BASE_TYPE_REQUIRED", "This field is required"
            ) from None
        if uid not in self._users:
            raise ApiError(400, 50035, "Invalid Recipient(s)")
        ch = self.dm_channel(uid)
        assert ch is not None
        return 200, ch.to_payload()

    @route("GET", "/oauth2/applications/@me")
    async def r_oauth_app(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, self.application_payload()

    @route("GET", "/applications/@me")
    async def r_app(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, self.application_payload()

    # ------------------------------------------------------------------ application commands

    def _check_app(self: EmulatedDiscord, req: RestRequest) -> None:
        if req.id("application_id") != self.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _scope(self: EmulatedDiscord, req: RestRequest) -> int | None:
        self._check_app(req)
        if "guild_id" in req.params:
            gid = req.id("guild_id")
            self._guild(gid)
            return gid
        return None

    def _normalize_command(
        self: EmulatedDiscord, data: dict[str, Any], scope: int | None, index: int
    ) -> dict[str, Any]:
        prefix = f"{index}." if index >= 0 else ""
        name = data.get("name")
        ctype = int(data.get("type", 1))
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            raise form_error(
                prefix + "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
            )
        if ctype == 1 and (name != name.lower() or not re.fullmatch(r"[-_\w]{1,32}", name)):
            raise form_error(
                prefix + "name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        desc = data.get("description", "")
        if ctype == 1 and not 1 <= len(desc or "") <= 100:
            raise form_error(
                prefix + "description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        self._validate_options(data.get("options") or [], prefix + "options")
        existing = next(
            (
                c
                for c in self.commands.get(scope, [])
                if c["name"] == name and c.get("type", 1) == ctype
            ),
            None,
        )
        cmd: dict[str, Any] = {
            "id": existing["id"] if existing else str(self.next_id()),
            "application_id": str(self.application_id),
            "version": str(self.next_id()),
            # Discord answers with a string bitfield whatever the client sent.
            "default_member_permissions": (
                None
                if data.get("default_member_permissions") is None
                else str(int(data["default_member_permissions"]))
            ),
            "type": ctype,
            "name": name,
            "name_localizations": data.get("name_localizations"),
            "description": desc,
            "description_localizations": data.get("description_localizations"),
            "dm_permission": data.get("dm_permission", True),
            "contexts": data.get("contexts"),
            "integration_types": data.get("integration_types") or [0],
            "nsfw": bool(data.get("nsfw", False)),
        }
        if data.get("options"):
            cmd["options"] = copy.deepcopy(data["options"])
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    def _validate_options(self, options: list[dict[str, Any]], path: str) -> None:
        if len(options) > 25:
            raise form_error(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        seen: set[str] = set()
        optional_seen = False
        for i, opt in enumerate(options):
            p = f"{path}.{i}"
            name = opt.get("name", "")
            if name != name.lower() or not re.fullmatch(r"[-_\w]{1,32}", name):
                raise form_error(
                    p + ".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
                )
            if name in seen:
                raise form_error(
                    p + ".name",
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option names must be unique",
                )
            seen.add(name)
            if not 1 <= len(opt.get("description") or "") <= 100:
                raise form_error(
                    p + ".description",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            if opt.get("type") in (1, 2):
                self._validate_options(opt.get("options") or [], p + ".options")
                continue
            if opt.get("required"):
                if optional_seen:
                    raise form_error(
                        p + ".required",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                optional_seen = True
            choices = opt.get("choices") or []
            if len(choices) > 25:
                raise form_error(
                    p + ".choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            if choices and opt.get("autocomplete"):
                raise form_error(
                    p + ".autocomplete",
                    "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES",
                    "Autocomplete cannot be set with choices",
                )
            for j, ch in enumerate(choices):
                if not 1 <= len(ch.get("name", "")) <= 100:
                    raise form_error(
                        f"{p}.choices.{j}.name",
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    )

    @route("GET", "/applications/{application_id}/commands")
    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def r_list_commands(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, copy.deepcopy(self.commands.get(self._scope(req), []))

    @route("PUT", "/applications/{application_id}/commands")
    @route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def r_bulk_commands(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        scope = self._scope(req)
        if not isinstance(req.json, list):
            raise form_error("_", "BASE_TYPE_ARRAY", "Must be an array.")
        names: set[tuple[str, int]] = set()
        out = []
        for i, data in enumerate(req.json):
            cmd = self._normalize_command(data, scope, i)
            key = (cmd["name"], cmd["type"])
            if key in names:
                raise form_error(
                    f"{i}.name",
                    "APPLICATION_COMMAND_ALREADY_EXISTS",
                    "Application command names must be unique",
                )
            names.add(key)
            out.append(cmd)
        self.commands[scope] = out
        self.sync_count += 1
        return 200, copy.deepcopy(out)

    @route("POST", "/applications/{application_id}/commands")
    @route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def r_upsert_command(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        scope = self._scope(req)
        cmd = self._normalize_command(req.body, scope, -1)
        cmds = self.commands.setdefault(scope, [])
        for i, c in enumerate(cmds):
            if c["id"] == cmd["id"]:
                cmds[i] = cmd
                return 200, copy.deepcopy(cmd)
        cmds.append(cmd)
        return 201, copy.deepcopy(cmd)

    def _find_command(self: EmulatedDiscord, req: RestRequest) -> tuple[list, int]:
        scope = self._scope(req)
        cmds = self.commands.get(scope, [])
        for i, c in enumerate(cmds):
            if c["id"] == req.params["command_id"]:
                return cmds, i
        raise ApiError(404, 10063, "Unknown application command")

    @route("GET", "/applications/{application_id}/commands/{command_id}")
    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def r_get_command(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        cmds, i = self._find_command(req)
        return 200, copy.deepcopy(cmds[i])

    @route("PATCH", "/applications/{application_id}/commands/{command_id}")
    @route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def r_edit_command(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        cmds, i = self._find_command(req)
        merged = {**cmds[i], **req.body}
        cmd = self._normalize_command(merged, self._scope(req), -1)
        cmd["id"] = cmds[i]["id"]
        cmds[i] = cmd
        return 200, copy.deepcopy(cmd)

    @route("DELETE", "/applications/{application_id}/commands/{command_id}")
    @route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def r_delete_command(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        cmds, i = self._find_command(req)
        del cmds[i]
        return 204, None

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
    async def r_command_permissions(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        self._scope(req)
        return 200, []

    # ------------------------------------------------------------------ message building

    def _normalize_components(self, components: list[dict[str, Any]], path: str) -> list[dict]:
        out = copy.deepcopy(components or [])
        custom_ids: set[str] = set()
        for counter, c in enumerate(_walk(out), start=1):
            c.setdefault("id", counter)
            ctype = c.get("type")
            cid = c.get("custom_id")
            if cid is not None:
                if len(cid) > 100:
                    raise form_error(
                        path, "BASE_TYPE_MAX_LENGTH", "custom_id must be 100 or fewer in length."
                    )
                if cid in custom_ids:
                    raise form_error(
                        path,
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                custom_ids.add(cid)
            if ctype == 2:
                if len(c.get("label") or "") > 80:
                    raise form_error(
                        path, "BASE_TYPE_MAX_LENGTH", "Button label must be 80 or fewer in length."
                    )
                if c.get("style") != 5 and c.get("style") != 6 and not cid:
                    raise form_error(
                        path, "BASE_TYPE_REQUIRED", "custom_id is required for this button"
                    )
            if ctype == 3 and len(c.get("options") or []) > 25:
                raise form_error(
                    path, "BASE_TYPE_MAX_LENGTH", "Select options must be 25 or fewer."
                )
        if len([c for c in out if c.get("type") == 1]) > 5:
            raise form_error(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        return out

    def _normalize_embeds(self, embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(embeds) > 10:
            raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        out = []
        total = 0
        for i, e in enumerate(embeds):
            e = copy.deepcopy(e)
            e.setdefault("type", "rich")
            for key, limit in EMBED_LIMITS.items():
                if len(e.get(key) or "") > limit:
                    raise form_error(
                        f"embeds.{i}.{key}",
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {limit} or fewer in length.",
                    )
            fields = e.get("fields") or []
            if len(fields) > 25:
                raise form_error(
                    f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            for j, f in enumerate(fields):
                if not f.get("name") or len(f["name"]) > 256:
                    raise form_error(
                        f"embeds.{i}.fields.{j}.name",
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 256 in length.",
                    )
                if not f.get("value") or len(f["value"]) > 1024:
                    raise form_error(
                        f"embeds.{i}.fields.{j}.value",
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 1024 in length.",
                    )
                f.setdefault("inline", False)
            footer = (e.get("footer") or {}).get("text") or ""
            if len(footer) > 2048:
                raise form_error(
                    f"embeds.{i}.footer.text",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 2048 or fewer in length.",
                )
            total += len(e.get("title") or "") + len(e.get("description") or "") + len(footer)
            total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
            total += len((e.get("author") or {}).get("name") or "")
            for media in ("image", "thumbnail"):
                if e.get(media, {}).get("url"):
                    e[media].setdefault("proxy_url", e[media]["url"])
                    e[media].setdefault("width", 0)
                    e[media].setdefault("height", 0)
                    e[media].setdefault("flags", 0)
            if "color" in e and e["color"] is None:
                del e["color"]
            e.setdefault("content_scan_version", 0)
            out.append(e)
        if total > 6000:
            raise form_error(
                "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
            )
        return out

    def _new_attachments(
        self: EmulatedDiscord, body: dict[str, Any], files: list[UploadedFile], *, ephemeral: bool
    ) -> list[dict[str, Any]]:
        """Attachments for newly uploaded files (``files[n]`` parts), with their metadata."""
        meta: dict[int, dict[str, Any]] = {}
        for a in body.get("attachments") or []:
            try:
                meta[int(a["id"])] = a
            except (KeyError, ValueError, TypeError):
                continue
        out = []
        for position, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field) or re.fullmatch(r"file(\d*)", f.field)
            index = int(m.group(1)) if m and m.group(1) else position
            info = meta.get(index, {})
            att = self.store_blob(info.get("filename") or f.filename, f.data, None)
            if info.get("description"):
                att["description"] = info["description"]
            if ephemeral:
                att["ephemeral"] = True
            out.append(att)
        return out

    def _parse_mentions(
        self: EmulatedDiscord,
        content: str,
        channel: st.ChannelState,
        allowed: dict[str, Any] | None = None,
        author_id: int | None = None,
        *,
        webhook: bool = False,
    ) -> tuple:
        """Who the message really pings, as Discord decides it.

        Without ``allowed_mentions`` every mention in the content pings; with it, only the
        types in ``parse`` and the ids listed (an empty object pings nobody). @everyone,
        @here and non-mentionable roles also need Mention Everyone, except for webhook
        messages (interaction responses), which are not checked against permissions.
        """
        if allowed is None:
            parse = {"users", "roles", "everyone"}
            listed_users: set[int] = set()
            listed_roles: set[int] = set()
        else:
            parse = set(allowed.get("parse") or [])
            listed_users = {int(u) for u in allowed.get("users") or []}
            listed_roles = {int(r) for r in allowed.get("roles") or []}
            for kind, listed in (("users", listed_users), ("roles", listed_roles)):
                if kind in parse and listed:
                    raise form_error(
                        f"allowed_mentions.{kind}",
                        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                        f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                    )
        guild = channel.guild
        may_mention_all = webhook or (
            guild is not None
            and author_id is not None
            and author_id in guild.members
            and bool(guild.channel_permissions(author_id, channel) & st.MENTION_EVERYONE)
        )
        users = []
        for uid in dict.fromkeys(int(x) for x in re.findall(r"<@!?(\d+)>", content)):
            user = self._users.get(uid)
            if user is not None and ("users" in parse or uid in listed_users):
                users.append(user.to_payload())
        roles = []
        for rid in dict.fromkeys(int(x) for x in re.findall(r"<@&(\d+)>", content)):
            role = guild.roles.get(rid) if guild is not None else None
            if role is None or not ("roles" in parse or rid in listed_roles):
                continue
            if role.mentionable or may_mention_all:
                roles.append(str(rid))
        everyone = (
            ("@everyone" in content or "@here" in content)
            and "everyone" in parse
            and guild is not None  # nobody to ping in a DM
            and may_mention_all
        )
        return users, roles, everyone

    def build_message(
        self: EmulatedDiscord,
        channel: st.ChannelState,
        author: st.UserState,
        body: dict[str, Any],
        files: list[UploadedFile] = (),  # type: ignore[assignment]
        *,
        type: int = 0,
        record: InteractionRecord | None = None,
        flags: int | None = None,
    ) -> dict[str, Any]:
        """A message payload as Discord returns it (validated like Discord does)."""
        content = body.get("content") or ""
        if not isinstance(content, str):
            content = str(content)
        if len(content) > 2000:
            raise form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
        in_flags = int(body.get("flags") or 0) if flags is None else flags
        msg_flags = in_flags & (
            SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2 | EPHEMERAL | LOADING
        )
        embeds = self._normalize_embeds(body.get("embeds") or [])
        components = self._normalize_components(body.get("components") or [], "components")
        attachments = self._new_attachments(
            body, list(files), ephemeral=bool(msg_flags & EPHEMERAL)
        )
        has_v2 = bool(msg_flags & IS_COMPONENTS_V2)
        if has_v2 and (content or embeds):
            raise form_error(
                "content",
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
        has_body = bool(
            content
            or embeds
            or components
            or attachments
            or body.get("sticker_ids")
            or body.get("poll")
        )
        if not has_body and not msg_flags & LOADING:
            raise ApiError(400, 50006, "Cannot send an empty message")
        mentions, mention_roles, everyone = self._parse_mentions(
            content,
            channel,
            body.get("allowed_mentions"),
            author.id,
            webhook=record is not None,
        )
        mid = self.next_id()
        msg: dict[str, Any] = {
            "type": type,
            "content": content,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments,
            "embeds": embeds,
            "timestamp": st.iso(self.now()),
            "edited_timestamp": None,
            "flags": msg_flags,
            "components": components,
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": author.to_payload(),
            "pinned": False,
            "mention_everyone": everyone,
            "tts": bool(body.get("tts", False)),
        }
        if author.id == self.bot_user.id:
            msg["author"] = self.bot_user_payload()
            for k in ("verified", "mfa_enabled", "email", "locale"):
                msg["author"].pop(k, None)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("message_reference"):
            ref = body["message_reference"]
            ref_id = int(ref["message_id"])
            ref_channel = int(ref.get("channel_id") or channel.id)
            referenced = self.get_message(ref_id)
            if referenced is None and ref.get("fail_if_not_exists", True):
                raise form_error(
                    "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
            msg["type"] = 19 if type == 0 else type
            msg["message_reference"] = {
                "type": 0,
                "channel_id": str(ref_channel),
                "message_id": str(ref_id),
            }
            if channel.guild is not None:
                msg["message_reference"]["guild_id"] = str(channel.guild.id)
            msg["referenced_message"] = copy.deepcopy(referenced)
        if record is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            user = self._users[record.user_id].to_payload()
            meta: dict[str, Any] = {
                "id": str(record.id),
                "type": record.type,
                "user": user,
                "authorizing_integration_owners": (
                    {"0": str(record.guild_id)} if record.guild_id else {"1": str(record.user_id)}
                ),
            }
            if record.type == APPLICATION_COMMAND:
                data = record.payload["data"]
                meta["name"] = data["name"]
                meta["command_type"] = data.get("type", 1)
                msg["interaction"] = {
                    "id": str(record.id),
                    "type": record.type,
                    "name": data["name"],
                    "user": user,
                }
            elif record.source_message_id is not None:
                meta["interacted_message_id"] = str(record.source_message_id)
            msg["interaction_metadata"] = meta
        return msg

    def _apply_edit(
        self: EmulatedDiscord,
        msg: dict[str, Any],
        body: dict[str, Any],
        files: list[UploadedFile],
        channel: st.ChannelState,
    ) -> None:
        was_loading = bool(msg["flags"] & LOADING)
        if "content" in body:
            content = body["content"] or ""
            if len(content) > 2000:
                raise form_error(
                    "content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."
                )
            msg["content"] = content
            users, roles, everyone = self._parse_mentions(
                content,
                channel,
                body.get("allowed_mentions"),
                int(msg["author"]["id"]),
                webhook="webhook_id" in msg,
            )
            msg.update(mentions=users, mention_roles=roles, mention_everyone=everyone)
        if "embeds" in body:
            msg["embeds"] = self._normalize_embeds(body["embeds"] or [])
        if "components" in body:
            msg["components"] = self._normalize_components(body["components"] or [], "components")
        ephemeral = bool(msg["flags"] & EPHEMERAL)
        new = self._new_attachments(body, files, ephemeral=ephemeral)
        if "attachments" in body and body["attachments"] is not None:
            keep = set()
            for a in body["attachments"]:
                try:
                    keep.add(str(int(a["id"])))
                except (KeyError, ValueError, TypeError):
                    continue
            msg["attachments"] = [a for a in msg["attachments"] if a["id"] in keep] + new
        else:
            msg["attachments"] = msg["attachments"] + new
        if body.get("flags") is not None:
            f = int(body["flags"])
            msg["flags"] = (msg["flags"] & ~(SUPPRESS_EMBEDS | IS_COMPONENTS_V2)) | (
                f & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2)
            )
        msg["flags"] &= ~LOADING
        if not (msg["content"] or msg["embeds"] or msg["components"] or msg["attachments"]):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if not was_loading:
            msg["edited_timestamp"] = st.iso(self.now())

    def _gateway_message(self: EmulatedDiscord, msg: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(msg)
        ch = self._channels.get(int(msg["channel_id"]))
        if ch is not None and ch.guild is not None:
            data["guild_id"] = str(ch.guild.id)
            member = ch.guild.members.get(int(msg["author"]["id"]))
            if member is not None and "webhook_id" not in msg:
                data["member"] = member.to_payload(with_user=False)
        return data

    async def _announce_create(self: EmulatedDiscord, msg: dict[str, Any]) -> None:
        if msg["flags"] & EPHEMERAL:
            return
        await self.dispatch("MESSAGE_CREATE", self._gateway_message(msg))

    async def _announce_update(self: EmulatedDiscord, msg: dict[str, Any]) -> None:
        if msg["flags"] & EPHEMERAL:
            return
        await self.dispatch("MESSAGE_UPDATE", self._gateway_message(msg))

    async def _announce_delete(self: EmulatedDiscord, msg: dict[str, Any]) -> None:
        if msg["flags"] & EPHEMERAL:
            return
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        ch = self._channels.get(int(msg["channel_id"]))
        if ch is not None and ch.guild is not None:
            data["guild_id"] = str(ch.guild.id)
        await self.dispatch("MESSAGE_DELETE", data)

    def _remove_message(self: EmulatedDiscord, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        ref = self._message_index.pop(mid, None)
        if ref is None:
            return
        cid, record = ref
        if record is not None:
            record.messages.pop(mid, None)
        else:
            self._channels[cid].messages.pop(mid, None)
        self._log_message("delete", msg, record=record)

    # ------------------------------------------------------------------ channel messages

    def _check_can_send(self: EmulatedDiscord, ch: st.ChannelState, files: list) -> None:
        if ch.type == st.DM:
            assert ch.recipient is not None
            if ch.recipient.bot or not ch.recipient.dms_open:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        if ch.type == st.GUILD_CATEGORY:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if ch.type == st.GUILD_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        assert ch.guild is not None
        send = st.SEND_MESSAGES_IN_THREADS if ch.is_thread else st.SEND_MESSAGES
        self._require(ch.guild, send | (st.ATTACH_FILES if files else 0), ch)
        if ch.is_thread and ch.archived and ch.locked:
            raise ApiError(400, 50083, "Thread is archived")

    @route("POST", "/channels/{channel_id}/messages")
    async def r_send_message(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        self._check_can_send(ch, req.files)
        if ch.is_thread and ch.archived:
            # Posting in an archived (unlocked) thread unarchives it.
            ch.archived = False
            ch.archive_timestamp = st.iso(self.now())
            await self.dispatch("THREAD_UPDATE", ch.to_payload())
        body = req.body
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (ch.id, str(nonce))
            seen = self._nonces.get(key)
            if seen is not None and self.now() - seen[1] < NONCE_WINDOW:
                existing = self.get_message(seen[0])
                if existing is not None:
                    return 200, copy.deepcopy(existing)
        msg = self.build_message(
            ch, self.bot_user, body, req.files, flags=int(body.get("flags") or 0) & ~EPHEMERAL
        )
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(ch.id, str(nonce))] = (int(msg["id"]), self.now())
        self.store_message(msg)
        await self._announce_create(msg)
        return 200, copy.deepcopy(msg)

    @route("GET", "/channels/{channel_id}/messages")
    async def r_history(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        if ch.guild is not None:
            self._require(ch.guild, st.READ_MESSAGE_HISTORY, ch)
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        msgs = sorted(ch.messages.values(), key=lambda m: int(m["id"]), reverse=True)
        if "before" in req.query:
            msgs = [m for m in msgs if int(m["id"]) < int(req.query["before"])]
        if "after" in req.query:
            after = int(req.query["after"])
            msgs = sorted((m for m in msgs if int(m["id"]) > after), key=lambda m: int(m["id"]))
            msgs = list(reversed(msgs[:limit]))
        if "around" in req.query:
            around = int(req.query["around"])
            older = [m for m in msgs if int(m["id"]) <= around][: limit // 2 + 1]
            newer = [m for m in msgs if int(m["id"]) > around][-(limit // 2) :] if limit > 1 else []
            msgs = newer + older
        return 200, copy.deepcopy(msgs[:limit])

    def _channel_message(self: EmulatedDiscord, req: RestRequest) -> tuple[st.ChannelState, dict]:
        ch = self._chan(req.id("channel_id"))
        msg = ch.messages.get(req.id("message_id"))
        if msg is None:
            raise ApiError(404, 10008, "Unknown Message")
        return ch, msg

    @route("GET", "/channels/{channel_id}/messages/pins")
    async def r_pins(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        items = [
            {"pinned_at": m["timestamp"], "message": copy.deepcopy(m)}
            for m in ch.messages.values()
            if m.get("pinned")
        ]
        return 200, {"items": items, "has_more": False}

    @route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
    @route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
    async def r_pin(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch, msg = self._channel_message(req)
        if ch.guild is not None:
            self._require(ch.guild, st.MANAGE_MESSAGES, ch)
        msg["pinned"] = req.method == "PUT"
        return 204, None

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def r_get_message(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        _, msg = self._channel_message(req)
        return 200, copy.deepcopy(msg)

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def r_edit_message(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch, msg = self._channel_message(req)
        if int(msg["author"]["id"]) != self.bot_user.id and set(req.body) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, req.body, req.files, ch)
        self._log_message("update", msg)
        await self._announce_update(msg)
        return 200, copy.deepcopy(msg)

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def r_delete_message(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch, msg = self._channel_message(req)
        if int(msg["author"]["id"]) != self.bot_user.id and ch.guild is not None:
            self._require(ch.guild, st.MANAGE_MESSAGES, ch)
        self._remove_message(msg)
        await self._announce_delete(msg)
        return 204, None

    @route("POST", "/channels/{channel_id}/messages/bulk-delete")
    async def r_bulk_delete(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        assert ch.guild is not None
        self._require(ch.guild, st.MANAGE_MESSAGES, ch)
        for mid in req.body.get("messages", []):
            msg = ch.messages.get(int(mid))
            if msg is not None:
                self._remove_message(msg)
                await self._announce_delete(msg)
        return 204, None

    @route("POST", "/channels/{channel_id}/messages/{message_id}/crosspost")
    async def r_crosspost(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch, msg = self._channel_message(req)
        if ch.type != st.GUILD_ANNOUNCEMENT:
            raise ApiError(403, 50068, "Invalid message type for operation")
        if msg["flags"] & CROSSPOSTED:
            raise ApiError(400, 40033, "This message has already been crossposted.")
        if int(msg["author"]["id"]) != self.bot_user.id:
            assert ch.guild is not None
            self._require(ch.guild, st.MANAGE_MESSAGES, ch)
        msg["flags"] |= CROSSPOSTED
        self._log_message("update", msg)
        await self._announce_update(msg)
        return 200, copy.deepcopy(msg)

    @route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    async def r_react(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        _, msg = self._channel_message(req)
        emoji = unquote(req.params["emoji"])
        reactions = msg.setdefault("reactions", [])
        for r in reactions:
            if r["emoji"]["name"] == emoji:
                if not r["me"]:
                    r["count"] += 1
                    r["me"] = True
                break
        else:
            reactions.append(
                {
                    "count": 1,
                    "count_details": {"burst": 0, "normal": 1},
                    "me": True,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": {"id": None, "name": emoji},
                }
            )
        return 204, None

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    async def r_unreact(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        _, msg = self._channel_message(req)
        emoji = unquote(req.params["emoji"])
        for r in list(msg.get("reactions", [])):
            if r["emoji"]["name"] == emoji and r["me"]:
                r["me"] = False
                r["count"] -= 1
                if r["count"] <= 0:
                    msg["reactions"].remove(r)
        return 204, None

    @route("POST", "/channels/{channel_id}/typing")
    async def r_typing(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        self._chan(req.id("channel_id"))
        return 204, None

    # ------------------------------------------------------------------ channels

    @route("GET", "/channels/{channel_id}")
    async def r_get_channel(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        return 200, self._chan(req.id("channel_id")).to_payload()

    @route("PATCH", "/channels/{channel_id}")
    async def r_edit_channel(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        if ch.guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        if ch.is_thread:
            return await self._edit_thread(ch, req.body)
        self._require(ch.guild, st.MANAGE_CHANNELS, ch)
        body = req.body
        if "name" in body:
            ch.name = _channel_name(body["name"], ch.type)
        if "topic" in body:
            ch.topic = body["topic"]
        if "parent_id" in body:
            ch.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        if "position" in body and body["position"] is not None:
            ch.position = int(body["position"])
        if "nsfw" in body:
            ch.nsfw = bool(body["nsfw"])
        if "permission_overwrites" in body:
            ch.permission_overwrites = [
                st.normalize_overwrite(o) for o in body["permission_overwrites"]
            ]
        payload = ch.to_payload()
        await self.dispatch("CHANNEL_UPDATE", payload)
        return 200, payload

    @route("DELETE", "/channels/{channel_id}")
    async def r_delete_channel(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        if ch.guild is None:
            return 200, ch.to_payload()
        self._require(ch.guild, st.MANAGE_CHANNELS, ch)
        payload = await self._drop_channel(ch)
        return 200, payload

    async def _drop_channel(self: EmulatedDiscord, ch: st.ChannelState) -> dict[str, Any]:
        payload = ch.to_payload()
        ch.deleted = True
        assert ch.guild is not None
        if ch.is_thread:
            ch.guild.threads.pop(ch.id, None)
            await self.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(ch.id),
                    "guild_id": str(ch.guild.id),
                    "parent_id": str(ch.parent_id),
                    "type": ch.type,
                },
            )
            return payload
        for thread in [t for t in ch.guild.threads.values() if t.parent_id == ch.id]:
            thread.deleted = True
            ch.guild.threads.pop(thread.id, None)
        ch.guild.channels.pop(ch.id, None)
        for other in ch.guild.channels.values():
            if other.parent_id == ch.id:
                other.parent_id = None
        await self.dispatch("CHANNEL_DELETE", payload)
        return payload

    @route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def r_edit_overwrite(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        assert ch.guild is not None
        self._require(ch.guild, st.MANAGE_ROLES, ch)
        ow = st.normalize_overwrite({**req.body, "id": req.params["overwrite_id"]})
        ch.permission_overwrites = [o for o in ch.permission_overwrites if o["id"] != ow["id"]]
        ch.permission_overwrites.append(ow)
        await self.dispatch("CHANNEL_UPDATE", ch.to_payload())
        return 204, None

    @route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def r_delete_overwrite(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        ch = self._chan(req.id("channel_id"))
        assert ch.guild is not None
        self._require(ch.guild, st.MANAGE_ROLES, ch)
        ch.permission_overwrites = [
            o for o in ch.permission_overwrites if o["id"] != req.params["overwrite_id"]
        ]
        await self.dispatch("CHANNEL_UPDATE", ch.to_payload())
        return 204, None

    # ------------------------------------------------------------------ threads

    async def _edit_thread(
        self: EmulatedDiscord, th: st.ChannelState, body: dict[str, Any]
    ) -> tuple[int, Any]:
        assert th.guild is not None
        if th.owner_id != self.bot_user.id or {"locked", "applied_tags"} & set(body):
            self._require(th.guild, st.MANAGE_THREADS, th)
        if th.archived and th.locked and body.get("archived") is not False:
            raise ApiError(400, 50083, "Thread is archived")
        if body.get("name") is not None:
            th.name = body["name"]
        for key in ("archived", "locked", "invitable"):
            if body.get(key) is not None:
                setattr(th, key, bool(body[key]))
        if body.get("archived") is not None:
            th.archive_timestamp = st.iso(self.now())
        if body.get("auto_archive_duration") is not None:
            th.auto_archive_duration = int(body["auto_archive_duration"])
        if body.get("applied_tags") is not None:
            th.applied_tags = [int(t) for t in body["applied_tags"]]
        payload = th.to_payload()
        await self.dispatch("THREAD_UPDATE", payload)
        return 200, payload

    def _new_thread(
        self: EmulatedDiscord,
        parent: st.ChannelState,
        body: dict[str, Any],
        ttype: int,
        *,
        id: int | None = None,
    ) -> st.ChannelState:
        name = body.get("name")
        if not name or len(name) > 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        assert parent.guild is not None
        thread = parent.guild.add_thread(
            parent,
            name,
            ttype,
            owner=self.bot_user.id,
            id=id,
            applied_tags=[int(t) for t in body.get("applied_tags") or []],
        )
        if body.get("auto_archive_duration"):
            thread.auto_archive_duration = int(body["auto_archive_duration"])
        if ttype == st.PRIVATE_THREAD and body.get("invitable") is not None:
            thread.invitable = bool(body["invitable"])
        return thread

    async def _announce_thread(self: EmulatedDiscord, thread: st.ChannelState) -> dict[str, Any]:
        payload = thread.to_payload()
        event = {
            **payload,
            "newly_created": True,
            "member": {
                "id": str(thread.id),
                "user_id": str(self.bot_user.id),
                "join_timestamp": thread.create_timestamp,
                "flags": 0,
            },
        }
        await self.dispatch("THREAD_CREATE", event)
        return payload

    @route("POST", "/channels/{channel_id}/threads")
    async def r_start_thread(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        parent = self._chan(req.id("channel_id"))
        if parent.guild is None or parent.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        body = req.body
        if parent.type == st.GUILD_FORUM:
            self._require(parent.guild, st.SEND_MESSAGES, parent)
            message_body = body.get("message") or {}
            known = {int(t["id"]) for t in parent.available_tags}
            if any(int(t) not in known for t in body.get("applied_tags") or []):
                raise form_error("applied_tags", "BASE_TYPE_CHOICES", "Unknown tag")
            thread = self._new_thread(parent, body, st.PUBLIC_THREAD)
            # A forum post's starter message has the thread's id.
            msg = self.build_message(thread, self.bot_user, message_body, req.files)
            msg["id"] = str(thread.id)
            msg["position"] = 0
            self.store_message(msg)
            payload = await self._announce_thread(thread)
            await self._announce_create(msg)
            return 201, {**payload, "message": copy.deepcopy(msg)}
        ttype = int(body.get("type") or st.PRIVATE_THREAD)
        if ttype not in (st.PUBLIC_THREAD, st.PRIVATE_THREAD):
            raise form_error("type", "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
        needed = (
            st.CREATE_PUBLIC_THREADS if ttype == st.PUBLIC_THREAD else st.CREATE_PRIVATE_THREADS
        )
        self._require(parent.guild, needed, parent)
        thread = self._new_thread(parent, body, ttype)
        return 201, await self._announce_thread(thread)

    @route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
    async def r_thread_from_message(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        parent, msg = self._channel_message(req)
        if parent.guild is None or parent.type not in (st.GUILD_TEXT, st.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self._require(parent.guild, st.CREATE_PUBLIC_THREADS, parent)
        if msg.get("thread"):
            raise ApiError(400, 160004, "A thread has already been created for this message")
        ttype = st.ANNOUNCEMENT_THREAD if parent.type == st.GUILD_ANNOUNCEMENT else st.PUBLIC_THREAD
        thread = self._new_thread(parent, req.body, ttype, id=int(msg["id"]))
        payload = await self._announce_thread(thread)
        msg["thread"] = payload
        msg["flags"] |= HAS_THREAD
        self._log_message("update", msg)
        await self._announce_update(msg)
        return 201, payload

    def _thread(self: EmulatedDiscord, req: RestRequest) -> st.ChannelState:
        th = self._chan(req.id("channel_id"))
        if not th.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return th

    @route("GET", "/channels/{channel_id}/thread-members")
    async def r_thread_members(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        th = self._thread(req)
        return 200, [
            {
                "id": str(th.id),
                "user_id": str(uid),
                "join_timestamp": th.create_timestamp,
                "flags": 0,
            }
            for uid in sorted(th.member_ids)
        ]

    @route("PUT", "/channels/{channel_id}/thread-members/@me")
    @route("DELETE", "/channels/{channel_id}/thread-members/@me")
    @route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
    @route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
    async def r_thread_member(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        th = self._thread(req)
        assert th.guild is not None
        uid = req.id("user_id") if "user_id" in req.params else self.bot_user.id
        if uid not in th.guild.members:
            raise ApiError(404, 10007, "Unknown Member")
        if th.archived:
            raise ApiError(400, 50083, "Thread is archived")
        if req.method == "PUT":
            if uid != self.bot_user.id:
                self._require(th.guild, st.SEND_MESSAGES_IN_THREADS, th)
            th.member_ids.add(uid)
        else:
            if uid != self.bot_user.id:
                self._require(th.guild, st.MANAGE_THREADS, th)
            th.member_ids.discard(uid)
        return 204, None

    @route("GET", "/guilds/{guild_id}/threads/active")
    async def r_active_threads(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        threads = [t.to_payload() for t in guild.threads.values() if not t.archived]
        return 200, {"threads": threads, "members": []}

    @route("GET", "/channels/{channel_id}/threads/archived/public")
    async def r_archived_threads(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        parent = self._chan(req.id("channel_id"))
        assert parent.guild is not None
        threads = [
            t.to_payload()
            for t in parent.guild.threads.values()
            if t.parent_id == parent.id and t.archived and t.type != st.PRIVATE_THREAD
        ]
        return 200, {"threads": threads, "members": [], "has_more": False}

    # ------------------------------------------------------------------ guilds

    @route("GET", "/guilds/{guild_id}")
    async def r_get_guild(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        with_counts = req.query.get("with_counts", "").lower() in ("true", "1")
        return 200, guild.to_payload(with_counts=with_counts)

    @route("PATCH", "/guilds/{guild_id}")
    async def r_edit_guild(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        self._require(guild, st.MANAGE_GUILD)
        body = req.body
        if body.get("name"):
            guild.name = body["name"]
        if "system_channel_id" in body:
            sid = body["system_channel_id"]
            if sid is not None and int(sid) not in guild.channels:
                raise form_error("system_channel_id", "BASE_TYPE_CHOICES", "Unknown channel")
            guild.system_channel_id = int(sid) if sid is not None else None
        if body.get("preferred_locale"):
            guild.locale = body["preferred_locale"]
        payload = guild.to_payload()
        await self.dispatch("GUILD_UPDATE", payload)
        return 200, payload

    @route("GET", "/guilds/{guild_id}/channels")
    async def r_guild_channels(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        return 200, [c.to_payload() for c in guild.channels.values()]

    @route("POST", "/guilds/{guild_id}/channels")
    async def r_create_channel(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        self._require(guild, st.MANAGE_CHANNELS)
        body = req.body
        name = body.get("name")
        if not name or len(name) > 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        ctype = int(body.get("type") or 0)
        parent = body.get("parent_id")
        if parent is not None:
            parent_ch = guild.channels.get(int(parent))
            if parent_ch is None or parent_ch.type != st.GUILD_CATEGORY:
                raise form_error("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
        ch = guild.add_channel(
            _channel_name(name, ctype),
            type=ctype,
            parent=int(parent) if parent else None,
            topic=body.get("topic"),
            position=body.get("position"),
            overwrites=body.get("permission_overwrites") or [],
        )
        payload = ch.to_payload()
        await self.dispatch("CHANNEL_CREATE", payload)
        return 201, payload

    @route("PATCH", "/guilds/{guild_id}/channels")
    async def r_channel_positions(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        self._require(guild, st.MANAGE_CHANNELS)
        for item in req.json or []:
            ch = guild.channels.get(int(item["id"]))
            if ch is None:
                raise ApiError(404, 10003, "Unknown Channel")
            if item.get("position") is not None:
                ch.position = int(item["position"])
            if "parent_id" in item:
                ch.parent_id = int(item["parent_id"]) if item["parent_id"] else None
            await self.dispatch("CHANNEL_UPDATE", ch.to_payload())
        return 204, None

    # members

    @route("GET", "/guilds/{guild_id}/members/search")
    async def r_search_members(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        query = (req.query.get("query") or "").lower()
        limit = max(1, min(1000, int(req.query.get("limit", 1))))
        found = [
            m.to_payload()
            for m in guild.members.values()
            if m.user.username.lower().startswith(query)
            or (m.nick or "").lower().startswith(query)
            or (m.user.global_name or "").lower().startswith(query)
        ]
        return 200, found[:limit]

    @route("GET", "/guilds/{guild_id}/members")
    async def r_list_members(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        if self._session is not None and not self._session.has_intent(GUILD_MEMBERS):
            raise missing_access()
        limit = max(1, min(1000, int(req.query.get("limit", 1))))
        after = int(req.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return 200, [m.to_payload() for m in members[:limit]]

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def r_get_member(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        return 200, self._member(guild, req.id("user_id")).to_payload()

    async def _member_updated(
        self: EmulatedDiscord, guild: st.GuildState, m: st.MemberState
    ) -> None:
        payload = m.to_payload()
        payload["guild_id"] = str(guild.id)
        await self.dispatch("GUILD_MEMBER_UPDATE", payload)

    @route("PATCH", "/guilds/{guild_id}/members/@me")
    async def r_edit_me_member(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        m = self._member(guild, self.bot_user.id)
        if "nick" in req.body:
            m.nick = req.body["nick"] or None
        await self._member_updated(guild, m)
        return 200, m.to_payload()

    @route("PATCH", "/guilds/{guild_id}/members/{user_id}")
    async def r_edit_member(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        m = self._member(guild, req.id("user_id"))
        body = req.body
        if "roles" in body and body["roles"] is not None:
            new_roles = []
            for rid in body["roles"]:
                role = self._role(guild, int(rid))
                new_roles.append(role.id)
            for rid in set(new_roles) ^ set(m.roles):
                self._check_role_assignable(guild, guild.roles[rid])
            m.roles = list(dict.fromkeys(new_roles))
        if "nick" in body:
            if m.id != self.bot_user.id:
                self._require(guild, st.MANAGE_NICKNAMES)
                if m.id == guild.owner_id:
                    raise missing_permissions()
                self._require_above(guild, guild.top_role_position(m.id))
            m.nick = body["nick"] or None
        if "communication_disabled_until" in body:
            self._require(guild, st.MODERATE_MEMBERS)
            if m.id == guild.owner_id or guild.base_permissions(m.id) & st.ADMINISTRATOR:
                raise missing_permissions()
            self._require_above(guild, guild.top_role_position(m.id))
            until = body["communication_disabled_until"]
            if until is not None:
                _parse_time(until, "communication_disabled_until")
            m.communication_disabled_until = until
        await self._member_updated(guild, m)
        return 200, m.to_payload()

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}")
    async def r_kick(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        m = self._member(guild, req.id("user_id"))
        self._require(guild, st.KICK_MEMBERS)
        if m.id == guild.owner_id:
            raise missing_permissions()
        self._require_above(guild, guild.top_role_position(m.id))
        del guild.members[m.id]
        await self.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": m.user.to_payload()}
        )
        return 204, None

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def r_add_role(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        m = self._member(guild, req.id("user_id"))
        role = self._role(guild, req.id("role_id"))
        self._check_role_assignable(guild, role)
        if role.id not in m.roles:
            m.roles.append(role.id)
            await self._member_updated(guild, m)
        return 204, None

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def r_remove_role(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        m = self._member(guild, req.id("user_id"))
        role = self._role(guild, req.id("role_id"))
        self._check_role_assignable(guild, role)
        if role.id in m.roles:
            m.roles.remove(role.id)
            await self._member_updated(guild, m)
        return 204, None

    # roles

    @route("GET", "/guilds/{guild_id}/roles")
    async def r_roles(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        return 200, [r.to_payload() for r in guild.roles.values()]

    @route("GET", "/guilds/{guild_id}/roles/{role_id}")
    async def r_get_role(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        return 200, self._role(guild, req.id("role_id")).to_payload()

    def _check_grantable(self: EmulatedDiscord, guild: st.GuildState, perms: int) -> None:
        mine = guild.base_permissions(self.bot_user.id)
        if perms & ~mine:
            raise missing_permissions()

    @route("POST", "/guilds/{guild_id}/roles")
    async def r_create_role(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        self._require(guild, st.MANAGE_ROLES)
        body = req.body
        perms = (
            int(body["permissions"])
            if body.get("permissions") is not None
            else (guild.everyone_role.permissions)
        )
        self._check_grantable(guild, perms)
        if len(guild.roles) >= 250:
            raise ApiError(400, 30005, "Maximum number of guild roles reached (250)")
        role = guild.add_role(
            body.get("name") or "new role",
            permissions=perms,
            color=int(body.get("color") or (body.get("colors") or {}).get("primary_color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
        )
        await self.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_payload()}
        )
        return 200, role.to_payload()

    @route("PATCH", "/guilds/{guild_id}/roles")
    async def r_role_positions(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        self._require(guild, st.MANAGE_ROLES)
        top = guild.top_role_position(self.bot_user.id)
        for item in req.json or []:
            role = self._role(guild, int(item["id"]))
            if role.id == guild.id:
                continue
            if role.position >= top or int(item.get("position") or 0) >= top:
                raise missing_permissions()
        for item in req.json or []:
            role = guild.roles[int(item["id"])]
            if role.id != guild.id and item.get("position") is not None:
                del guild.roles[role.id]
                guild._insert_role(role, int(item["position"]))
        for role in guild.roles.values():
            await self.dispatch(
                "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_payload()}
            )
        return 200, [r.to_payload() for r in guild.roles.values()]

    @route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
    async def r_edit_role(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        role = self._role(guild, req.id("role_id"))
        self._require(guild, st.MANAGE_ROLES)
        if role.id != guild.id:
            self._require_above(guild, role.position)
        body = req.body
        if body.get("name") is not None:
            role.name = body["name"]
        if body.get("permissions") is not None:
            perms = int(body["permissions"])
            self._check_grantable(guild, perms & ~role.permissions)
            role.permissions = perms
        if body.get("color") is not None:
            role.color = int(body["color"])
        if body.get("hoist") is not None:
            role.hoist = bool(body["hoist"])
        if body.get("mentionable") is not None:
            role.mentionable = bool(body["mentionable"])
        await self.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_payload()}
        )
        return 200, role.to_payload()

    @route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
    async def r_delete_role(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        role = self._role(guild, req.id("role_id"))
        self._require(guild, st.MANAGE_ROLES)
        if role.id == guild.id or role.managed:
            raise ApiError(400, 50028, "Invalid role")
        self._require_above(guild, role.position)
        await self._drop_role(guild, role)
        return 204, None

    async def _drop_role(self: EmulatedDiscord, guild: st.GuildState, role: st.RoleState) -> None:
        del guild.roles[role.id]
        for m in guild.members.values():
            if role.id in m.roles:
                m.roles.remove(role.id)
        guild._compact_positions()
        await self.dispatch(
            "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}
        )

    # scheduled events

    def _event_payload(self: EmulatedDiscord, ev: dict[str, Any], with_count: bool) -> dict:
        out = copy.deepcopy(ev)
        if with_count:
            out["user_count"] = 0
        return out

    def _validate_event(self: EmulatedDiscord, guild: st.GuildState, ev: dict[str, Any]) -> None:
        if not 1 <= len(ev.get("name") or "") <= 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if len(ev.get("description") or "") > 1000:
            raise form_error(
                "description", "BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length."
            )
        if ev.get("privacy_level") != 2:
            raise form_error("privacy_level", "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        etype = ev.get("entity_type")
        start = _parse_time(ev.get("scheduled_start_time"), "scheduled_start_time")
        end = ev.get("scheduled_end_time")
        if etype == 3:
            if not (ev.get("entity_metadata") or {}).get("location"):
                raise form_error(
                    "entity_metadata.location", "BASE_TYPE_REQUIRED", "This field is required"
                )
            if not end:
                raise form_error(
                    "scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required"
                )
            if ev.get("channel_id"):
                raise form_error("channel_id", "BASE_TYPE_NONE", "Must be null for external events")
        elif etype in (1, 2):
            ch = guild.channels.get(int(ev.get("channel_id") or 0))
            if ch is None or ch.type not in (2, 13):
                raise form_error(
                    "channel_id", "BASE_TYPE_REQUIRED", "A voice or stage channel is required"
                )
        else:
            raise form_error("entity_type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if end and _parse_time(end, "scheduled_end_time") <= start:
            raise form_error(
                "scheduled_end_time",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "End time must be after start time",
            )

    @route("GET", "/guilds/{guild_id}/scheduled-events")
    async def r_list_events(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        with_count = req.query.get("with_user_count", "").lower() in ("true", "1")
        return 200, [self._event_payload(e, with_count) for e in guild.scheduled_events.values()]

    @route("POST", "/guilds/{guild_id}/scheduled-events")
    async def r_create_event(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        mine = guild.base_permissions(self.bot_user.id)
        if not mine & (st.MANAGE_EVENTS | st.CREATE_EVENTS):
            raise missing_permissions()
        body = req.body
        ev = {
            "id": str(self.next_id()),
            "guild_id": str(guild.id),
            "channel_id": str(body["channel_id"]) if body.get("channel_id") else None,
            "creator_id": str(self.bot_user.id),
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level"),
            "status": 1,
            "entity_type": body.get("entity_type"),
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "sku_ids": [],
            "creator": self.bot_user.to_payload(),
            "image": None,
            "auto_start": False,
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self._validate_event(guild, ev)
        start = _parse_time(ev["scheduled_start_time"], "scheduled_start_time")
        if start < self.now():
            raise form_error(
                "scheduled_start_time",
                "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                "Cannot schedule event in the past.",
            )
        guild.scheduled_events[int(ev["id"])] = ev
        await self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", copy.deepcopy(ev))
        return 200, copy.deepcopy(ev)

    def _event(self: EmulatedDiscord, req: RestRequest) -> tuple[st.GuildState, dict]:
        guild = self._guild(req.id("guild_id"))
        ev = guild.scheduled_events.get(req.id("guild_scheduled_event_id"))
        if ev is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        return guild, ev

    @route("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    async def r_get_event(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        _, ev = self._event(req)
        with_count = req.query.get("with_user_count", "").lower() in ("true", "1")
        return 200, self._event_payload(ev, with_count)

    @route("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    async def r_edit_event(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild, ev = self._event(req)
        if not guild.base_permissions(self.bot_user.id) & st.MANAGE_EVENTS and (
            ev["creator_id"] != str(self.bot_user.id)
        ):
            raise missing_permissions()
        body = req.body
        if "status" in body:
            new, old = int(body["status"]), ev["status"]
            allowed = {1: {2, 4}, 2: {3}}
            if new != old and new not in allowed.get(old, set()):
                raise form_error(
                    "status", "GUILD_SCHEDULED_EVENT_INVALID_STATUS", "Invalid status transition"
                )
        updated = {**ev}
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "privacy_level",
            "entity_type",
            "entity_metadata",
            "status",
            "channel_id",
            "recurrence_rule",
        ):
            if key in body:
                updated[key] = body[key]
        if updated.get("channel_id") is not None:
            updated["channel_id"] = str(updated["channel_id"])
        self._validate_event(guild, updated)
        ev.clear()
        ev.update(updated)
        await self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", copy.deepcopy(ev))
        return 200, copy.deepcopy(ev)

    @route("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    async def r_delete_event(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        guild, ev = self._event(req)
        self._require(guild, st.MANAGE_EVENTS)
        del guild.scheduled_events[int(ev["id"])]
        await self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", copy.deepcopy(ev))
        return 204, None

    @route("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users")
    async def r_event_users(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        self._event(req)
        return 200, []

    # ------------------------------------------------------------------ interactions

    @route("POST", "/interactions/{interaction_id}/{token}/callback")
    async def r_callback(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        record = self._records_by_token.get(req.params["token"])
        loop = asyncio.get_running_loop()
        if record is None or str(record.id) != req.params["interaction_id"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if record.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if loop.time() - record.dispatched_at > self.interaction_deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        body = req.body
        ctype = body.get("type")
        data = body.get("data") or {}
        allowed = {
            APPLICATION_COMMAND: {4, 5, 9},
            MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            APPLICATION_COMMAND_AUTOCOMPLETE: {8},
            MODAL_SUBMIT: {4, 5, 6, 7} if record.source_message_id else {4, 5},
            1: {PONG},
        }[record.type]
        if ctype not in allowed:
            raise form_error(
                "type", "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
            )
        result: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "response_message_loading": False,
                "response_message_ephemeral": False,
            }
        }
        channel = self._channels[record.channel_id]
        if ctype in (CHANNEL_MESSAGE_WITH_SOURCE, DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE):
            flags = int(data.get("flags") or 0)
            if ctype == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
                flags = (flags & EPHEMERAL) | LOADING
            mtype = 20 if record.type == APPLICATION_COMMAND else 19
            msg = self.build_message(
                channel, self.bot_user, data, req.files, type=mtype, record=record, flags=flags
            )
            record.original_message_id = int(msg["id"])
            record.ephemeral = bool(flags & EPHEMERAL)
            self._ack(record, ctype, data)
            self.store_message(msg, record=record)
            if ctype == CHANNEL_MESSAGE_WITH_SOURCE:
                record.resolved = True
            await self._announce_create(msg)
            result["interaction"].update(
                response_message_id=msg["id"],
                response_message_loading=bool(flags & LOADING),
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            result["resource"] = {"type": ctype, "message": copy.deepcopy(msg)}
        elif ctype == DEFERRED_UPDATE_MESSAGE:
            record.original_message_id = record.source_message_id
            self._ack(record, ctype, data)
        elif ctype == UPDATE_MESSAGE:
            msg = self.get_message(record.source_message_id or 0)
            if msg is None:
                raise ApiError(404, 10008, "Unknown Message")
            self._apply_edit(msg, data, req.files, channel)
            record.original_message_id = int(msg["id"])
            record.resolved = True
            self._ack(record, ctype, data)
            src = self._message_index.get(int(msg["id"]))
            self._log_message("update", msg, record=src[1] if src else None)
            await self._announce_update(msg)
            result["interaction"]["response_message_id"] = msg["id"]
            result["interaction"]["response_message_ephemeral"] = bool(msg["flags"] & EPHEMERAL)
            result["resource"] = {"type": ctype, "message": copy.deepcopy(msg)}
        elif ctype == APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise form_error(
                    "data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            record.choices = copy.deepcopy(choices)
            record.resolved = True
            self._ack(record, ctype, data)
        elif ctype == MODAL:
            if not data.get("custom_id") or not data.get("title") or not data.get("components"):
                raise form_error(
                    "data", "BASE_TYPE_REQUIRED", "custom_id, title and components are required"
                )
            if len(data["title"]) > 45:
                raise form_error(
                    "data.title", "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length."
                )
            record.modal = copy.deepcopy(data)
            record.resolved = True
            self._open_modals[record.user_id] = (record, record.modal)
            self._ack(record, ctype, data)
            result["resource"] = {"type": ctype}
        elif ctype == PONG:
            self._ack(record, ctype, data)
        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return 204, None
        return 200, result

    def _ack(self: EmulatedDiscord, record: InteractionRecord, ctype: int, data: dict) -> None:
        record.callback_type = ctype
        record.callback_data = copy.deepcopy(data)
        record.callback_at = asyncio.get_running_loop().time()
        record.acked.set()
        record.touch()

    def _webhook_record(self: EmulatedDiscord, req: RestRequest) -> InteractionRecord:
        record = self._records_by_token.get(req.params["token"])
        if record is None or req.params["webhook_id"] != str(self.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")
        if record.callback_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if record.created_at is not None and self.now() - record.created_at > TOKEN_LIFETIME:
            # Interaction tokens stay valid for 15 minutes.
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return record

    def _webhook_message(
        self: EmulatedDiscord, record: InteractionRecord, message_id: str
    ) -> dict[str, Any]:
        if message_id == "@original":
            mid = record.original_message_id
        else:
            mid = int(message_id) if message_id.isdigit() else None
            if mid not in record.followup_ids and mid != record.original_message_id:
                mid = None
        msg = self.get_message(mid) if mid is not None else None
        if msg is None:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    @route("POST", "/webhooks/{webhook_id}/{token}")
    async def r_followup(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        record = self._webhook_record(req)
        body = req.body
        channel = self._channels[record.channel_id]
        if (
            record.callback_type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
            and not record.resolved
            and record.original_message_id is not None
        ):
            # The first followup after a deferred response replaces the loading message.
            msg = self.get_message(record.original_message_id)
            assert msg is not None
            self._apply_edit(
                msg, {k: v for k, v in body.items() if k != "flags"}, req.files, channel
            )
            record.resolved = True
            record.followup_ids.append(int(msg["id"]))
            self._log_message("update", msg, record=record)
            await self._announce_update(msg)
        else:
            flags = int(body.get("flags") or 0)
            mtype = 20 if record.type == APPLICATION_COMMAND else 19
            msg = self.build_message(
                channel, self.bot_user, body, req.files, type=mtype, record=record, flags=flags
            )
            record.followup_ids.append(int(msg["id"]))
            self.store_message(msg, record=record)
            record.resolved = True
            await self._announce_create(msg)
        record.touch()
        if req.query.get("wait", "").lower() in ("true", "1"):
            return 200, copy.deepcopy(msg)
        return 204, None

    @route("GET", "/webhooks/{webhook_id}/{token}/messages/{message_id}")
    async def r_webhook_get(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        record = self._webhook_record(req)
        return 200, copy.deepcopy(self._webhook_message(record, req.params["message_id"]))

    @route("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}")
    async def r_webhook_edit(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        record = self._webhook_record(req)
        msg = self._webhook_message(record, req.params["message_id"])
        channel = self._channels[int(msg["channel_id"])]
        self._apply_edit(msg, req.body, req.files, channel)
        if int(msg["id"]) == record.original_message_id:
            record.resolved = True
        src = self._message_index.get(int(msg["id"]))
        self._log_message("update", msg, record=src[1] if src else None)
        await self._announce_update(msg)
        record.touch()
        return 200, copy.deepcopy(msg)

    @route("DELETE", "/webhooks/{webhook_id}/{token}/messages/{message_id}")
    async def r_webhook_delete(self: EmulatedDiscord, req: RestRequest) -> tuple[int, Any]:
        record = self._webhook_record(req)
        msg = self._webhook_message(record, req.params["message_id"])
        self._remove_message(msg)
        await self._announce_delete(msg)
        record.resolved = True
        record.touch()
        return 204, None


def _walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in components:
        out.append(c)
        out.extend(_walk(c.get("components") or []))
        if c.get("component"):
            out.extend(_walk([c["component"]]))
        if c.get("accessory"):
            out.extend(_walk([c["accessory"]]))
    return out


def _channel_name(name: str, ctype: int) -> str:
    if ctype in (st.GUILD_TEXT, st.GUILD_ANNOUNCEMENT, st.GUILD_FORUM):
        return re.sub(r"\s+", "-", name.strip().lower())
    return name


def _parse_time(value: Any, path: str) -> dt.datetime:
    if not isinstance(value, str):
        raise form_error(path, "BASE_TYPE_REQUIRED", "This field is required")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise form_error(path, "DATE_TIME_TYPE_PARSE", "Could not parse date/time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
