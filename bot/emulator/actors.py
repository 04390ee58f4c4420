"""Test-driving helpers: what users do (slash commands, clicks, modals...) and what they see."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.emulator import state as st
from bot.emulator.gateway import GUILD_MEMBERS
from bot.emulator.interactions import (
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    EPHEMERAL,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    InteractionResult,
    iter_components,
)

if TYPE_CHECKING:
    from bot.emulator.server import EmulatedDiscord

# Application command option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

SELECT_TYPES = {3: "string", 5: "user", 6: "role", 7: "mentionable", 8: "channel"}
TRUE_WORDS = {"true", "1", "yes", "oui", "vrai", "on"}
FALSE_WORDS = {"false", "0", "no", "non", "faux", "off"}


class EmulatorUsageError(Exception):
    """The test (or demo script) asked for something a Discord user could not do."""


AttachmentSpec = tuple[str, bytes] | tuple[str, bytes, str] | dict[str, Any]


class ActorsMixin:
    """Builds real interaction payloads from the synced command schema and awaits answers."""

    def _init_actors(self) -> None:
        self._records: dict[int, InteractionRecord] = {}
        self._records_by_token: dict[str, InteractionRecord] = {}
        self._interaction_counter = itertools.count(1)
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.sync_count = 0
        self._open_modals: dict[int, tuple[InteractionRecord, dict[str, Any]]] = {}
        self._current_user_id = 0

    # ------------------------------------------------------------------ commands

    def find_command(self, name: str, guild_id: int | None = None, type: int = 1) -> dict[str, Any]:
        """The synced command definition (guild commands win over global ones)."""
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == type:
                    return cmd
        known = sorted({c["name"] for s in scopes for c in self.commands.get(s, [])})
        raise EmulatorUsageError(
            f"unknown command /{name} (synced: {', '.join('/' + k for k in known) or 'none'})"
        )

    def records(self) -> list[InteractionRecord]:
        return list(self._records.values())

    # ------------------------------------------------------------------ payload building

    def _user_and_guild(
        self: EmulatedDiscord, guild_id: int | None, user_id: int
    ) -> tuple[st.GuildState | None, st.MemberState | None, st.UserState]:
        user = self._users.get(int(user_id))
        if user is None:
            raise EmulatorUsageError(f"unknown user {user_id}")
        if guild_id is None:
            return None, None, user
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise EmulatorUsageError(f"unknown guild {guild_id}")
        member = guild.members.get(user.id)
        if member is None:
            raise EmulatorUsageError(f"{user.username} is not a member of {guild.name}")
        return guild, member, user

    def _default_channel(
        self: EmulatedDiscord, guild: st.GuildState | None, user_id: int
    ) -> st.ChannelState:
        if guild is None:
            ch = self.dm_channel(user_id)
            assert ch is not None
            return ch
        if guild.system_channel_id and guild.system_channel_id in guild.channels:
            return guild.channels[guild.system_channel_id]
        for ch in guild.channels.values():
            if ch.type == st.GUILD_TEXT:
                return ch
        raise EmulatorUsageError(f"guild {guild.name} has no text channel")

    def _channel_payload_for(
        self: EmulatedDiscord, ch: st.ChannelState, user_id: int
    ) -> dict[str, Any]:
        payload = ch.to_payload()
        if ch.guild is not None:
            payload["permissions"] = str(ch.guild.channel_permissions(user_id, ch))
        return payload

    def _new_interaction(
        self: EmulatedDiscord,
        itype: int,
        guild: st.GuildState | None,
        channel: st.ChannelState,
        user: st.UserState,
        data: dict[str, Any],
        locale: str | None,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        iid = self.next_id()
        n = next(self._interaction_counter)
        token = f"emulated-interaction-token-{n:06d}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale or user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel.id),
            "channel": self._channel_payload_for(channel, user.id),
        }
        if guild is not None:
            member = guild.members[user.id]
            mpayload = member.to_payload()
            mpayload["permissions"] = str(guild.channel_permissions(user.id, channel))
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=mpayload,
                app_permissions=str(guild.channel_permissions(self.bot_user.id, channel)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=user.to_payload(),
                app_permissions=str(st.ALL_PERMISSIONS & ~st.ADMINISTRATOR),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            user_id=user.id,
            payload=payload,
            source_message_id=int(message["id"]) if message else None,
            created_at=self.now(),
        )
        self._records[iid] = record
        self._records_by_token[token] = record
        return record

    def _resolve_user(
        self: EmulatedDiscord, guild: st.GuildState | None, value: Any
    ) -> st.UserState:
        if isinstance(value, st.MemberState):
            return value.user
        if isinstance(value, st.UserState):
            return value
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            user = self._users.get(int(value))
            if user is None:
                raise EmulatorUsageError(f"unknown user {value}")
            return user
        if isinstance(value, str) and guild is not None:
            try:
                return guild.member(value).user
            except KeyError:
                pass
        raise EmulatorUsageError(f"unknown member {value!r}")

    def _resolve_role(
        self: EmulatedDiscord, guild: st.GuildState | None, value: Any
    ) -> st.RoleState:
        if guild is None:
            raise EmulatorUsageError("role options need a guild")
        try:
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            return guild.role(value)
        except KeyError:
            raise EmulatorUsageError(f"unknown role {value!r}") from None

    def _resolve_channel(
        self: EmulatedDiscord, guild: st.GuildState | None, value: Any
    ) -> st.ChannelState:
        if isinstance(value, st.ChannelState):
            return value
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            ch = self._channels.get(int(value))
            if ch is None or ch.deleted:
                raise EmulatorUsageError(f"unknown channel {value}")
            return ch
        if guild is not None:
            try:
                return guild.channel(str(value))
            except KeyError:
                pass
        raise EmulatorUsageError(f"unknown channel {value!r}")

    def _attachment_payload(self: EmulatedDiscord, spec: Any) -> dict[str, Any]:
        if isinstance(spec, dict) and "url" in spec:
            return spec
        if isinstance(spec, tuple) and len(spec) in (2, 3):
            return self.upload_attachment(*spec)
        raise EmulatorUsageError(
            "attachment values are (filename, bytes[, content_type]) or upload_attachment() payloads"
        )

    def _convert_option(
        self: EmulatedDiscord,
        opt: dict[str, Any],
        value: Any,
        guild: st.GuildState | None,
        channel: st.ChannelState,
        resolved: dict[str, dict[str, Any]],
        focused: bool,
    ) -> Any:
        otype = opt["type"]
        name = opt["name"]
        if focused:
            return "" if value is None else str(value)
        if opt.get("choices"):
            for choice in opt["choices"]:
                if value == choice["value"] or str(value) == str(choice["value"]):
                    return choice["value"]
            for choice in opt["choices"]:
                if str(value).lower() == choice["name"].lower():
                    return choice["value"]
            names = ", ".join(repr(c["name"]) for c in opt["choices"])
            raise EmulatorUsageError(
                f"option {name}: {value!r} is not one of the choices ({names})"
            )
        if otype == STRING:
            text = str(value)
            if "min_length" in opt and len(text) < opt["min_length"]:
                raise EmulatorUsageError(f"option {name}: at least {opt['min_length']} characters")
            if "max_length" in opt and len(text) > opt["max_length"]:
                raise EmulatorUsageError(f"option {name}: at most {opt['max_length']} characters")
            return text
        if otype in (INTEGER, NUMBER):
            try:
                num: int | float = int(value) if otype == INTEGER else float(value)
            except (TypeError, ValueError):
                raise EmulatorUsageError(f"option {name}: {value!r} is not a number") from None
            if opt.get("min_value") is not None and num < opt["min_value"]:
                raise EmulatorUsageError(f"option {name}: must be >= {opt['min_value']}")
            if opt.get("max_value") is not None and num > opt["max_value"]:
                raise EmulatorUsageError(f"option {name}: must be <= {opt['max_value']}")
            if (
                otype == NUMBER
                and isinstance(num, float)
                and num.is_integer()
                and isinstance(value, int)
            ):
                return value
            return num
        if otype == BOOLEAN:
            if isinstance(value, bool):
                return value
            word = str(value).lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise EmulatorUsageError(f"option {name}: {value!r} is not a boolean")
        if otype == USER or (otype == MENTIONABLE and not _looks_like_role(value, guild)):
            user = self._resolve_user(guild, value)
            resolved.setdefault("users", {})[str(user.id)] = user.to_payload()
            if guild is not None and user.id in guild.members:
                m = guild.members[user.id].to_payload(with_user=False)
                m["permissions"] = str(guild.channel_permissions(user.id, channel))
                resolved.setdefault("members", {})[str(user.id)] = m
            return str(user.id)
        if otype in (ROLE, MENTIONABLE):
            role = self._resolve_role(guild, value)
            resolved.setdefault("roles", {})[str(role.id)] = role.to_payload()
            return str(role.id)
        if otype == CHANNEL:
            ch = self._resolve_channel(guild, value)
            if opt.get("channel_types") and ch.type not in opt["channel_types"]:
                raise EmulatorUsageError(f"option {name}: channel #{ch.name} has the wrong type")
            payload = {
                "id": str(ch.id),
                "name": ch.name,
                "type": ch.type,
                "permissions": str(
                    ch.guild.channel_permissions(self._current_user_id, ch) if ch.guild else 0
                ),
                "parent_id": str(ch.parent_id) if ch.parent_id else None,
                "flags": 0,
            }
            if ch.type in (st.GUILD_TEXT, st.GUILD_ANNOUNCEMENT):
                payload.update(
                    topic=ch.topic, nsfw=ch.nsfw, rate_limit_per_user=0, position=ch.position
                )
            resolved.setdefault("channels", {})[str(ch.id)] = payload
            return str(ch.id)
        if otype == ATTACHMENT:
            att = self._attachment_payload(value)
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        raise EmulatorUsageError(f"option {name}: unsupported option type {otype}")

    def _build_options(
        self: EmulatedDiscord,
        schema: list[dict[str, Any]],
        path: list[str],
        values: Mapping[str, Any],
        guild: st.GuildState | None,
        channel: st.ChannelState,
        resolved: dict[str, dict[str, Any]],
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        if path:
            head, rest = path[0], path[1:]
            for opt in schema:
                if opt["name"] == head and opt["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
                    inner = self._build_options(
                        opt.get("options") or [], rest, values, guild, channel, resolved, focused
                    )
                    return [{"type": opt["type"], "name": head, "options": inner}]
            subs = [o["name"] for o in schema if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            raise EmulatorUsageError(
                f"unknown subcommand {head!r} (known: {', '.join(subs) or 'none'})"
            )
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
            subs = [o["name"] for o in schema]
            raise EmulatorUsageError(f"a subcommand is required ({', '.join(subs)})")
        by_name = {o["name"]: o for o in schema}
        for key in values:
            if key not in by_name:
                raise EmulatorUsageError(
                    f"unknown option {key!r} (known: {', '.join(by_name) or 'none'})"
                )
        out = []
        for opt in schema:
            name = opt["name"]
            if name not in values:
                if opt.get("required") and name != focused:
                    raise EmulatorUsageError(f"missing required option {name!r}")
                continue
            is_focused = name == focused
            item: dict[str, Any] = {
                "type": opt["type"],
                "name": name,
                "value": self._convert_option(
                    opt, values[name], guild, channel, resolved, is_focused
                ),
            }
            if is_focused:
                item["focused"] = True
            out.append(item)
        return out

    def _check_command_available(
        self: EmulatedDiscord,
        cmd: dict[str, Any],
        guild: st.GuildState | None,
        channel: st.ChannelState,
    ) -> None:
        """Discord's client hides commands the user may not run; refuse them the same way."""
        uid = self._current_user_id
        contexts = cmd.get("contexts")
        if guild is None:
            if (
                cmd.get("guild_id")
                or cmd.get("dm_permission") is False
                or (contexts is not None and 1 not in contexts)
            ):
                raise EmulatorUsageError(f"command /{cmd['name']} is not available in DMs")
            return
        if contexts is not None and 0 not in contexts:
            raise EmulatorUsageError(f"command /{cmd['name']} is not available in guilds")
        perms = guild.channel_permissions(uid, channel)
        if not perms & st.VIEW_CHANNEL:
            raise EmulatorUsageError(f"the user cannot see #{channel.name}")
        if not perms & st.USE_APPLICATION_COMMANDS:
            raise EmulatorUsageError(f"the user may not use commands in #{channel.name}")
        required = cmd.get("default_member_permissions")
        if required is not None and perms != st.ALL_PERMISSIONS:
            needed = int(required)
            if needed == 0 or perms & needed != needed:
                raise EmulatorUsageError(
                    f"command /{cmd['name']} is reserved to members with permissions {needed}"
                )

    def _command_data(
        self: EmulatedDiscord,
        guild: st.GuildState | None,
        channel: st.ChannelState,
        command: str,
        options: Mapping[str, Any] | None,
        subcommand: str | Iterable[str] | None,
        attachments: Mapping[str, AttachmentSpec] | None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        words = command.lstrip("/").split()
        name, path = words[0], words[1:]
        if isinstance(subcommand, str):
            path += subcommand.split()
        elif subcommand is not None:
            path += list(subcommand)
        cmd = self.find_command(name, guild.id if guild else None)
        self._check_command_available(cmd, guild, channel)
        values = dict(options or {})
        values.update(attachments or {})
        resolved: dict[str, dict[str, Any]] = {}
        opts = self._build_options(
            cmd.get("options") or [], path, values, guild, channel, resolved, focused
        )
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return data

    # ------------------------------------------------------------------ waiting for answers

    async def _run_interaction(
        self: EmulatedDiscord,
        record: InteractionRecord,
        *,
        timeout: float,  # noqa: ASYNC109
        settle: float,
        expect_followups: int,
    ) -> InteractionResult:
        loop = asyncio.get_running_loop()
        log_start = len(self.message_log)
        record.dispatched_at = loop.time()
        delivered = await self.dispatch("INTERACTION_CREATE", record.payload)
        result = InteractionResult(
            interaction_id=record.id,
            token=record.token,
            interaction_type=record.type,
            callback_type=None,
        )
        if not delivered:
            result.error = "the bot has no gateway session: interaction not delivered"
            return result
        try:
            await asyncio.wait_for(record.acked.wait(), self.interaction_deadline + 0.25)
        except TimeoutError:
            result.error = (
                f"the application did not respond within {self.interaction_deadline:g} s "
                "(the user sees « L'application ne répond plus »)"
            )
            return self._fill_result(result, record, log_start)
        end = loop.time() + timeout
        while loop.time() < end:
            pending_defer = (
                record.callback_type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE and not record.resolved
            )
            if not pending_defer and len(record.followup_ids) >= expect_followups:
                break
            record.activity.clear()
            try:
                await asyncio.wait_for(record.activity.wait(), max(0.0, end - loop.time()))
            except TimeoutError:
                break
        if record.callback_type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE and not record.resolved:
            result.error = f"deferred response never completed within {timeout:g} s"
        elif len(record.followup_ids) < expect_followups:
            result.error = (
                f"expected {expect_followups} followup(s), got {len(record.followup_ids)}"
            )
        await self.wait_idle(quiet=settle, timeout=max(settle * 4, 2.0))
        return self._fill_result(result, record, log_start)

    def _fill_result(
        self: EmulatedDiscord, result: InteractionResult, record: InteractionRecord, log_start: int
    ) -> InteractionResult:
        result.callback_type = record.callback_type
        if record.callback_at is not None:
            result.latency = record.callback_at - record.dispatched_at
        if record.original_message_id is not None:
            msg = self.get_message(record.original_message_id)
            result.message = copy.deepcopy(msg) if msg else None
        result.followups = [
            copy.deepcopy(m)
            for m in (self.get_message(i) for i in record.followup_ids)
            if m is not None and int(m["id"]) != record.original_message_id
        ]
        result.modal = copy.deepcopy(record.modal)
        result.choices = copy.deepcopy(record.choices)
        own = {record.original_message_id, *record.followup_ids}
        seen: set[str] = set()
        for ev in self.message_log[log_start:]:
            if ev.kind != "create" or ev.ephemeral_user_id is not None:
                continue
            if int(ev.message["id"]) in own or ev.message["id"] in seen:
                continue
            current = self.get_message(int(ev.message["id"]))
            if current is not None:
                seen.add(ev.message["id"])
                result.channel_messages.append(copy.deepcopy(current))
        return result

    # ------------------------------------------------------------------ user actions

    async def slash(
        self: EmulatedDiscord,
        guild_id: int | None,
        user_id: int,
        command: str,
        options: Mapping[str, Any] | None = None,
        subcommand: str | Iterable[str] | None = None,
        attachments: Mapping[str, AttachmentSpec] | None = None,
        locale: str | None = "fr",
        *,
        channel_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
        settle: float = 0.05,
        expect_followups: int = 0,
    ) -> InteractionResult:
        """Run a chat-input command as ``user_id`` and return the bot's answer.

        ``command`` may contain the subcommand path ("annuaire chercher"); ``options`` maps
        option names to values (members/roles/channels as state objects, ids or names,
        attachments as ``(filename, bytes[, content_type])``).
        """
        guild, _member, user = self._user_and_guild(guild_id, user_id)
        channel = (
            self._resolve_channel(guild, channel_id)
            if channel_id is not None
            else self._default_channel(guild, user.id)
        )
        self._current_user_id = user.id
        data = self._command_data(guild, channel, command, options, subcommand, attachments)
        record = self._new_interaction(APPLICATION_COMMAND, guild, channel, user, data, locale)
        return await self._run_interaction(
            record, timeout=timeout, settle=settle, expect_followups=expect_followups
        )

    async def autocomplete(
        self: EmulatedDiscord,
        guild_id: int | None,
        user_id: int,
        command: str,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        subcommand: str | Iterable[str] | None = None,
        locale: str | None = "fr",
        *,
        channel_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Type ``value`` in option ``focused`` and return the choices the bot suggests."""
        guild, _member, user = self._user_and_guild(guild_id, user_id)
        channel = (
            self._resolve_channel(guild, channel_id)
            if channel_id is not None
            else self._default_channel(guild, user.id)
        )
        self._current_user_id = user.id
        values = dict(options or {})
        values[focused] = value
        data = self._command_data(guild, channel, command, values, subcommand, None, focused)
        record = self._new_interaction(
            APPLICATION_COMMAND_AUTOCOMPLETE, guild, channel, user, data, locale
        )
        result = await self._run_interaction(
            record, timeout=timeout, settle=0.0, expect_followups=0
        )
        if result.error:
            raise TimeoutError(result.error)
        return result.choices or []

    def _find_source_message(
        self: EmulatedDiscord,
        user_id: int,
        guild_id: int | None,
        message: Any,
        predicate: Any,
        what: str,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        candidates: list[dict[str, Any]]
        if isinstance(message, InteractionResult):
            candidates = [self.get_message(int(m["id"])) or m for m in message.messages]
            candidates.reverse()
        elif isinstance(message, dict):
            candidates = [self.get_message(int(message["id"])) or message]
        elif isinstance(message, int):
            found = self.get_message(message)
            if found is None:
                raise EmulatorUsageError(f"unknown message {message}")
            candidates = [found]
        else:
            candidates = self.visible_messages(user_id, guild_id)
        for msg in candidates:
            for comp in iter_components(msg.get("components", [])):
                if predicate(comp):
                    return msg, comp
        raise EmulatorUsageError(f"no {what} in the messages this user can see")

    def _component_context(
        self: EmulatedDiscord, guild_id: int | None, user_id: int, msg: dict[str, Any]
    ) -> tuple[st.GuildState | None, st.ChannelState, st.UserState]:
        channel = self._channels[int(msg["channel_id"])]
        gid = channel.guild.id if channel.guild else None
        if guild_id is not None and gid is not None and gid != guild_id:
            raise EmulatorUsageError("that message is in another guild")
        guild, _member, user = self._user_and_guild(gid, user_id)
        ref = self._message_index.get(int(msg["id"]))
        if ref is not None and ref[1] is not None and ref[1].user_id != user.id:
            raise EmulatorUsageError("that ephemeral message belongs to another user")
        return guild, channel, user

    async def click(
        self: EmulatedDiscord,
        guild_id: int | None,
        user_id: int,
        message: Any = None,
        label: str | None = None,
        custom_id: str | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
        settle: float = 0.05,
        expect_followups: int = 0,
    ) -> InteractionResult:
        """Click a button (by label or custom_id) on ``message`` or on the newest message the
        user can see that has it."""
        if label is None and custom_id is None:
            raise EmulatorUsageError("click needs a label or a custom_id")

        def is_button(c: dict[str, Any]) -> bool:
            return c.get("type") == 2 and (
                (label is not None and c.get("label") == label)
                or (custom_id is not None and c.get("custom_id") == custom_id)
            )

        msg, comp = self._find_source_message(
            user_id, guild_id, message, is_button, f"button {label or custom_id!r}"
        )
        if comp.get("disabled"):
            raise EmulatorUsageError(f"button {label or custom_id!r} is disabled")
        if comp.get("style") == 5 or "custom_id" not in comp:
            raise EmulatorUsageError(f"button {label or custom_id!r} is a link/premium button")
        guild, channel, user = self._component_context(guild_id, user_id, msg)
        data = {"custom_id": comp["custom_id"], "component_type": 2, "id": comp.get("id")}
        record = self._new_interaction(
            MESSAGE_COMPONENT, guild, channel, user, data, user.locale, message=msg
        )
        return await self._run_interaction(
            record, timeout=timeout, settle=settle, expect_followups=expect_followups
        )

    async def select(
        self: EmulatedDiscord,
        guild_id: int | None,
        user_id: int,
        message: Any = None,
        values: Iterable[Any] = (),
        custom_id: str | None = None,
        *,
        placeholder: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
        settle: float = 0.05,
        expect_followups: int = 0,
    ) -> InteractionResult:
        """Pick ``values`` in a select menu. For string selects values may be option labels
        or values; for user/role/channel selects, state objects, ids or names."""
        wanted = list(values)

        def is_select(c: dict[str, Any]) -> bool:
            if c.get("type") not in SELECT_TYPES:
                return False
            if custom_id is not None:
                return c.get("custom_id") == custom_id
            if placeholder is not None:
                return c.get("placeholder") == placeholder
            if c["type"] == 3 and wanted:
                labels = {o["label"] for o in c.get("options", [])} | {
                    o["value"] for o in c.get("options", [])
                }
                return all(str(v) in labels for v in wanted)
            return True

        msg, comp = self._find_source_message(
            user_id, guild_id, message, is_select, f"select menu for {wanted!r}"
        )
        if comp.get("disabled"):
            raise EmulatorUsageError("that select menu is disabled")
        guild, channel, user = self._component_context(guild_id, user_id, msg)
        ctype = comp["type"]
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(wanted) <= hi:
            raise EmulatorUsageError(f"this menu takes between {lo} and {hi} value(s)")
        data: dict[str, Any] = {
            "custom_id": comp["custom_id"],
            "component_type": ctype,
            "id": comp.get("id"),
        }
        if ctype == 3:
            out = []
            for v in wanted:
                opt = next(
                    (o for o in comp.get("options", []) if str(v) in (o["label"], o["value"])), None
                )
                if opt is None:
                    raise EmulatorUsageError(f"no option {v!r} in that menu")
                out.append(opt["value"])
            data["values"] = out
        else:
            resolved: dict[str, dict[str, Any]] = {}
            self._current_user_id = user.id
            otype = {5: USER, 6: ROLE, 7: MENTIONABLE, 8: CHANNEL}[ctype]
            fake_opt = {"type": otype, "name": comp["custom_id"]}
            data["values"] = [
                self._convert_option(fake_opt, v, guild, channel, resolved, False) for v in wanted
            ]
            data["resolved"] = resolved
        record = self._new_interaction(
            MESSAGE_COMPONENT, guild, channel, user, data, user.locale, message=msg
        )
        return await self._run_interaction(
            record, timeout=timeout, settle=settle, expect_followups=expect_followups
        )

    def open_modal(self: EmulatedDiscord, user_id: int) -> dict[str, Any] | None:
        """The modal the bot most recently opened for this user (not yet submitted)."""
        entry = self._open_modals.get(user_id)
        return copy.deepcopy(entry[1]) if entry else None

    async def submit_modal(
        self: EmulatedDiscord,
        guild_id: int | None,
        user_id: int,
        custom_id: str | None = None,
        fields: Mapping[str, Any] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
        settle: float = 0.05,
        expect_followups: int = 0,
    ) -> InteractionResult:
        """Fill and submit the modal the bot opened for this user. ``fields`` keys are the
        inputs' custom_id or label; values are strings (lists for selects in labels)."""
        entry = self._open_modals.get(user_id)
        if entry is None:
            raise EmulatorUsageError("no modal is open for this user")
        origin, modal = entry
        if custom_id is not None and modal["custom_id"] != custom_id:
            raise EmulatorUsageError(f"the open modal is {modal['custom_id']!r}, not {custom_id!r}")
        given = dict(fields or {})
        used: set[str] = set()

        def value_for(comp: dict[str, Any], label: str | None) -> Any:
            for key in (comp.get("custom_id"), label, comp.get("label")):
                if key is not None and key in given:
                    used.add(key)
                    return given[key]
            return None

        def answer(comp: dict[str, Any], label: str | None) -> dict[str, Any] | None:
            ctype = comp.get("type")
            if ctype == 4:
                value = value_for(comp, label)
                text = "" if value is None else str(value)
                name = label or comp.get("label") or comp["custom_id"]
                if comp.get("required", True) and not text:
                    raise EmulatorUsageError(f"field {name!r} is required")
                if text and len(text) < comp.get("min_length", 0):
                    raise EmulatorUsageError(
                        f"field {name!r}: at least {comp['min_length']} characters"
                    )
                if len(text) > comp.get("max_length", 4000):
                    raise EmulatorUsageError(
                        f"field {name!r}: at most {comp['max_length']} characters"
                    )
                return {
                    "type": 4,
                    "id": comp.get("id"),
                    "custom_id": comp["custom_id"],
                    "value": text,
                }
            if ctype in SELECT_TYPES:
                value = value_for(comp, label)
                vals = [] if value is None else value if isinstance(value, list) else [value]
                if ctype == 3:
                    mapped = []
                    for v in vals:
                        opt = next(
                            (
                                o
                                for o in comp.get("options", [])
                                if str(v) in (o["label"], o["value"])
                            ),
                            None,
                        )
                        if opt is None:
                            raise EmulatorUsageError(
                                f"no option {v!r} in {label or comp['custom_id']!r}"
                            )
                        mapped.append(opt["value"])
                    vals = mapped
                return {
                    "type": ctype,
                    "id": comp.get("id"),
                    "custom_id": comp["custom_id"],
                    "values": vals,
                }
            return None

        components: list[dict[str, Any]] = []
        for top in modal.get("components", []):
            if top.get("type") == 1:
                inner = [a for a in (answer(c, None) for c in top.get("components", [])) if a]
                components.append({"type": 1, "id": top.get("id"), "components": inner})
            elif top.get("type") == 18:
                inner_answer = answer(top["component"], top.get("label"))
                if inner_answer:
                    components.append({"type": 18, "id": top.get("id"), "component": inner_answer})
            elif top.get("type") == 10:
                components.append({"type": 10, "id": top.get("id")})
        unknown = set(given) - used
        if unknown:
            raise EmulatorUsageError(f"the modal has no field {sorted(unknown)!r}")
        source = self.get_message(origin.source_message_id) if origin.source_message_id else None
        guild, _member, user = self._user_and_guild(origin.guild_id, user_id)
        channel = self._channels[origin.channel_id]
        data = {"custom_id": modal["custom_id"], "components": components}
        record = self._new_interaction(
            MODAL_SUBMIT, guild, channel, user, data, user.locale, message=source
        )
        del self._open_modals[user_id]
        return await self._run_interaction(
            record, timeout=timeout, settle=settle, expect_followups=expect_followups
        )

    # ------------------------------------------------------------------ world events

    async def member_join(
        self: EmulatedDiscord,
        guild_id: int,
        name: str,
        roles: Iterable[Any] = (),
        **kwargs: Any,
    ) -> st.MemberState:
        """A user joins: state + GUILD_MEMBER_ADD."""
        guild = self.guilds[guild_id]
        member = guild.add_member(name, roles=roles, **kwargs)
        payload = member.to_payload()
        payload["guild_id"] = str(guild.id)
        await self.dispatch("GUILD_MEMBER_ADD", payload)
        await self.sync()
        return member

    async def member_leave(self: EmulatedDiscord, guild_id: int, user_id: int) -> None:
        """A member leaves: state + GUILD_MEMBER_REMOVE."""
        guild = self.guilds[guild_id]
        member = guild.members.pop(int(user_id))
        await self.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.to_payload()}
        )
        await self.sync()

    async def update_member(
        self: EmulatedDiscord,
        guild_id: int,
        user_id: int,
        *,
        roles: Iterable[Any] | None = None,
        nick: str | type[Ellipsis] | None = ...,  # type: ignore[valid-type]
    ) -> st.MemberState:
        """An admin edits a member (roles/nick): state + GUILD_MEMBER_UPDATE."""
        guild = self.guilds[guild_id]
        member = guild.members[int(user_id)]
        if roles is not None:
            member.roles = [guild.role(r).id for r in roles]
        if nick is not ...:
            member.nick = nick  # type: ignore[assignment]
        await self._member_updated(guild, member)
        await self.sync()
        return member

    async def create_role(
        self: EmulatedDiscord, guild_id: int, name: str, permissions: int = 0, **kwargs: Any
    ) -> st.RoleState:
        """An admin creates a role: state + GUILD_ROLE_CREATE."""
        guild = self.guilds[guild_id]
        role = guild.add_role(name, permissions, **kwargs)
        await self.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_payload()}
        )
        await self.sync()
        return role

    async def delete_role(self: EmulatedDiscord, guild_id: int, role: Any) -> None:
        """An admin deletes a role: removed from members + GUILD_ROLE_DELETE."""
        guild = self.guilds[guild_id]
        await self._drop_role(guild, guild.role(role))
        await self.sync()

    async def create_channel(
        self: EmulatedDiscord, guild_id: int, name: str, type: int = st.GUILD_TEXT, **kwargs: Any
    ) -> st.ChannelState:
        """An admin creates a channel: state + CHANNEL_CREATE."""
        guild = self.guilds[guild_id]
        ch = guild.add_channel(name, type, **kwargs)
        await self.dispatch("CHANNEL_CREATE", ch.to_payload())
        await self.sync()
        return ch

    async def guild_join(self: EmulatedDiscord, guild: st.GuildState) -> None:
        """Send GUILD_CREATE for a guild built after the bot connected (bot added to it)."""
        if self.bot_user.id not in guild.members:
            raise EmulatorUsageError("add_guild(..., bot_in_guild=True) first")
        session = self._session
        with_members = session is not None and session.has_intent(GUILD_MEMBERS)
        await self.dispatch("GUILD_CREATE", guild.gateway_create_payload(with_members=with_members))
        await self.sync()

    async def create_thread(
        self: EmulatedDiscord,
        parent: Any,
        name: str,
        owner_id: int,
        *,
        guild_id: int | None = None,
        type: int = st.PUBLIC_THREAD,
        content: str | None = None,
        applied_tags: Iterable[int] = (),
    ) -> st.ChannelState:
        """A member opens a thread (or a forum post with ``content``): THREAD_CREATE, then the
        starter message (same id as the thread for forum posts) as MESSAGE_CREATE."""
        if isinstance(parent, st.ChannelState):
            parent_ch = parent
        elif guild_id is not None:
            parent_ch = self.guilds[guild_id].channel(parent)
        else:
            parent_ch = self._channels[int(parent)]
        guild = parent_ch.guild
        assert guild is not None
        thread = guild.add_thread(parent_ch, name, type, owner=owner_id, applied_tags=applied_tags)
        await self.dispatch("THREAD_CREATE", {**thread.to_payload(), "newly_created": True})
        if content is not None:
            msg = self.build_message(thread, self._users[owner_id], {"content": content})
            if parent_ch.type == st.GUILD_FORUM:
                msg["id"] = str(thread.id)
                msg["position"] = 0
            self.store_message(msg)
            await self.dispatch("MESSAGE_CREATE", self._gateway_message(msg))
        await self.sync()
        return thread

    async def delete_channel(
        self: EmulatedDiscord, channel: Any, guild_id: int | None = None
    ) -> None:
        """An admin deletes a channel: state + CHANNEL_DELETE (later posts get 10003)."""
        if isinstance(channel, st.ChannelState):
            ch = channel
        elif guild_id is not None:
            ch = self.guilds[guild_id].channel(channel)
        else:
            ch = self._channels[int(channel)]
        await self._drop_channel(ch)
        await self.sync()

    async def user_message(
        self: EmulatedDiscord,
        channel_id: int,
        user_id: int,
        content: str,
        attachments: Iterable[AttachmentSpec] = (),
    ) -> dict[str, Any]:
        """A user posts in a channel (or DM channel): state + MESSAGE_CREATE."""
        ch = self._channels[int(channel_id)]
        user = self._users[int(user_id)]
        msg = self.build_message(ch, user, {"content": content})
        msg["attachments"] = [self._attachment_payload(a) for a in attachments]
        for a in msg["attachments"]:
            a.pop("ephemeral", None)
        self.store_message(msg)
        await self.dispatch("MESSAGE_CREATE", self._gateway_message(msg))
        await self.sync()
        return msg

    async def user_dm(self: EmulatedDiscord, user_id: int, content: str) -> dict[str, Any]:
        """A user writes to the bot in DM."""
        ch = self.dm_channel(int(user_id))
        assert ch is not None
        return await self.user_message(ch.id, user_id, content)


def _looks_like_role(value: Any, guild: st.GuildState | None) -> bool:
    if isinstance(value, st.RoleState):
        return True
    if isinstance(value, str) and value.startswith("&"):
        return True
    if guild is not None and isinstance(value, int | str) and str(value).isdigit():
        return int(value) in guild.roles
    return False


__all__ = ["EPHEMERAL", "ActorsMixin", "EmulatorUsageError"]
