"""In-memory state of the emulated Discord: users, guilds, channels, roles, members.

Every ``to_payload`` method returns a dict shaped like the object Discord's API v10 sends
(same keys, snowflakes as strings, permissions as decimal strings, ISO 8601 timestamps).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator.server import EmulatedDiscord

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
MODERATE_MEMBERS = 1 << 40
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44
ALL_PERMISSIONS = (1 << 53) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = (
    DEFAULT_EVERYONE_PERMISSIONS
    | MANAGE_CHANNELS
    | MANAGE_ROLES
    | MANAGE_MESSAGES
    | MANAGE_NICKNAMES
    | MANAGE_EVENTS
    | MANAGE_THREADS
    | CREATE_PRIVATE_THREADS
    | KICK_MEMBERS
)

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)


def iso(ts: dt.datetime) -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and an explicit +00:00 offset."""
    return ts.astimezone(dt.UTC).isoformat(timespec="microseconds")


class SnowflakeFactory:
    """Monotonic snowflake generator whose timestamp part follows the emulator clock."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self._clock = clock
        self._last_ms = 0
        self._increment = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            ms = int(self._clock().timestamp() * 1000)
            if ms <= self._last_ms:
                self._increment += 1
                if self._increment >= 4096:
                    self._last_ms += 1
                    self._increment = 0
                ms = self._last_ms
            else:
                self._last_ms = ms
                self._increment = 0
            return ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | self._increment


@dataclass
class UserState:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    discriminator: str = "0"
    avatar: str | None = None
    locale: str = "fr"
    dms_open: bool = True

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": self.discriminator,
            "global_name": self.global_name,
            "avatar": self.avatar,
            "avatar_decoration_data": None,
            "collectibles": None,
            "display_name_styles": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "clan": None,
        }
        if self.bot:
            payload["bot"] = True
        return payload

    @property
    def display_name(self) -> str:
        return self.global_name or self.username


@dataclass
class RoleState:
    guild: GuildState
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            payload["tags"] = {"bot_id": str(self.bot_id)}
        return payload


@dataclass
class ChannelState:
    id: int
    type: int
    name: str | None
    guild: GuildState | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    permission_overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipient: UserState | None = None
    last_message_id: int | None = None
    deleted: bool = False
    # message id -> message payload (insertion order = creation order)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Forum channels: available tags ({"id", "name", "moderated", "emoji_id", "emoji_name"}).
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    # Threads only.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 4320
    archive_timestamp: str | None = None
    create_timestamp: str | None = None
    applied_tags: list[int] = field(default_factory=list)
    member_ids: set[int] = field(default_factory=set)
    total_message_sent: int = 0

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def guild_id(self) -> int | None:
        return self.guild.id if self.guild else None

    def to_payload(self) -> dict[str, Any]:
        if self.type == DM:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "flags": 0,
                "recipients": [self.recipient.to_payload()],
            }
        if self.is_thread:
            return self._thread_payload()
        payload: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [dict(o) for o in self.permission_overwrites],
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "flags": 0,
        }
        if self.type in (GUILD_TEXT, GUILD_ANNOUNCEMENT, GUILD_FORUM):
            payload.update(
                topic=self.topic,
                nsfw=self.nsfw,
                rate_limit_per_user=0,
                last_message_id=str(self.last_message_id) if self.last_message_id else None,
            )
        if self.type == GUILD_VOICE:
            payload.update(
                bitrate=64000,
                user_limit=0,
                rtc_region=None,
                nsfw=self.nsfw,
                rate_limit_per_user=0,
                last_message_id=None,
            )
        if self.type == GUILD_FORUM:
            payload.update(
                available_tags=[dict(t) for t in self.available_tags],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
            )
        return payload

    def _thread_payload(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "archived": self.archived,
            "auto_archive_duration": self.auto_archive_duration,
            "archive_timestamp": self.archive_timestamp or self.create_timestamp,
            "locked": self.locked,
            "create_timestamp": self.create_timestamp,
        }
        if self.type == PRIVATE_THREAD:
            metadata["invitable"] = self.invitable
        payload: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "parent_id": str(self.parent_id),
            "owner_id": str(self.owner_id),
            "name": self.name,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": len(self.messages),
            "member_count": min(len(self.member_ids), 50),
            "total_message_sent": self.total_message_sent,
            "thread_metadata": metadata,
        }
        parent = self.guild.channels.get(self.parent_id or 0) if self.guild else None
        if parent is not None and parent.type == GUILD_FORUM:
            payload["applied_tags"] = [str(t) for t in self.applied_tags]
        return payload


@dataclass
class MemberState:
    guild: GuildState
    user: UserState
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    communication_disabled_until: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def display_name(self) -> str:
        return self.nick or self.user.display_name

    def to_payload(self, *, with_user: bool = True, permissions: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "avatar": None,
            "banner": None,
            "communication_disabled_until": self.communication_disabled_until,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "joined_at": iso(self.joined_at),
            "nick": self.nick,
            "pending": False,
            "premium_since": None,
            "roles": [str(r) for r in self.roles],
        }
        if with_user:
            payload["user"] = self.user.to_payload()
        if permissions:
            payload["permissions"] = str(self.guild.base_permissions(self.id))
        return payload


class GuildState:
    """A guild and everything in it. Created by :meth:`EmulatedDiscord.add_guild`."""

    def __init__(
        self,
        emu: EmulatedDiscord,
        id: int,
        name: str,
        *,
        owner_id: int | None = None,
        locale: str = "fr",
    ) -> None:
        self.emu = emu
        self.id = id
        self.name = name
        self.locale = locale
        self.channels: dict[int, ChannelState] = {}
        self.threads: dict[int, ChannelState] = {}
        self.roles: dict[int, RoleState] = {}
        self.members: dict[int, MemberState] = {}
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.roles[id] = RoleState(
            self, id, "@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS, position=0
        )
        self.owner_id = owner_id or 0
        self.bot_role: RoleState | None = None
        self.system_channel_id: int | None = None

    # -- building -------------------------------------------------------------------------

    @property
    def everyone_role(self) -> RoleState:
        return self.roles[self.id]

    def add_role(
        self,
        name: str,
        permissions: int = 0,
        position: int | None = None,
        *,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        id: int | None = None,
    ) -> RoleState:
        """Add a role. Without ``position`` it goes just above @everyone (like Discord)."""
        role = RoleState(
            self,
            id or self.emu.next_id(),
            name,
            permissions=permissions,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        self._insert_role(role, 1 if position is None else position)
        return role

    def _insert_role(self, role: RoleState, position: int) -> None:
        position = max(1, position)
        for other in self.roles.values():
            if other.id != self.id and other.position >= position:
                other.position += 1
        role.position = position
        self.roles[role.id] = role
        self._compact_positions()

    def _compact_positions(self) -> None:
        ordered = sorted(
            (r for r in self.roles.values() if r.id != self.id), key=lambda r: (r.position, r.id)
        )
        for index, r in enumerate(ordered, start=1):
            r.position = index

    def add_channel(
        self,
        name: str,
        type: int = GUILD_TEXT,
        parent: ChannelState | int | str | None = None,
        *,
        topic: str | None = None,
        position: int | None = None,
        overwrites: Iterable[dict[str, Any]] = (),
        id: int | None = None,
        available_tags: Iterable[str | dict[str, Any]] = (),
    ) -> ChannelState:
        parent_id: int | None
        if isinstance(parent, ChannelState):
            parent_id = parent.id
        elif isinstance(parent, str):
            parent_id = self.channel(parent).id
        else:
            parent_id = parent
        if parent_id is not None and self.channels[parent_id].type != GUILD_CATEGORY:
            raise ValueError("parent must be a category channel (type 4)")
        channel = ChannelState(
            id=id or self.emu.next_id(),
            type=type,
            name=name,
            guild=self,
            position=len(self.channels) if position is None else position,
            parent_id=parent_id,
            topic=topic,
            permission_overwrites=[_normalize_overwrite(o) for o in overwrites],
            available_tags=[
                t
                if isinstance(t, dict)
                else {
                    "id": str(self.emu.next_id()),
                    "name": t,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for t in available_tags
            ],
        )
        self.channels[channel.id] = channel
        self.emu._channels[channel.id] = channel
        if self.system_channel_id is None and type == GUILD_TEXT:
            self.system_channel_id = channel.id
        return channel

    def add_thread(
        self,
        parent: ChannelState | int | str,
        name: str,
        type: int = PUBLIC_THREAD,
        *,
        owner: MemberState | int | None = None,
        id: int | None = None,
        applied_tags: Iterable[int] = (),
    ) -> ChannelState:
        """A thread (or forum post) under ``parent``; it starts with its owner as member."""
        parent_ch = self.channel(parent)
        if type not in THREAD_TYPES:
            raise ValueError("thread type must be 10, 11 or 12")
        if parent_ch.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT, GUILD_FORUM):
            raise ValueError("threads live in text, announcement or forum channels")
        owner_id = (owner.id if isinstance(owner, MemberState) else owner) or self.emu.bot_user.id
        now = iso(self.emu.now())
        thread = ChannelState(
            id=id or self.emu.next_id(),
            type=type,
            name=name,
            guild=self,
            parent_id=parent_ch.id,
            owner_id=owner_id,
            create_timestamp=now,
            archive_timestamp=now,
            applied_tags=list(applied_tags),
            member_ids={owner_id},
        )
        self.threads[thread.id] = thread
        self.emu._channels[thread.id] = thread
        return thread

    def add_member(
        self,
        name: str,
        roles: Iterable[RoleState | int | str] = (),
        bot: bool = False,
        locale: str = "fr",
        *,
        nick: str | None = None,
        id: int | None = None,
        global_name: str | None = None,
        joined_at: dt.datetime | None = None,
        dms_open: bool = True,
    ) -> MemberState:
        user = self.emu._users.get(id) if id is not None else None
        if user is None:
            user = UserState(
                id=id or self.emu.next_id(),
                username=name.lower().replace(" ", "_"),
                global_name=global_name or name,
                bot=bot,
                locale=locale,
                dms_open=dms_open,
            )
            self.emu._users[user.id] = user
        member = MemberState(
            self,
            user,
            roles=[self.role(r).id for r in roles],
            nick=nick,
            joined_at=joined_at or self.emu.now(),
        )
        self.members[user.id] = member
        return member

    # -- lookups --------------------------------------------------------------------------

    def channel(self, key: ChannelState | int | str) -> ChannelState:
        if isinstance(key, ChannelState):
            return key
        if isinstance(key, int):
            return self.channels.get(key) or self.threads[key]
        name = key.lstrip("#")
        for ch in [*self.channels.values(), *self.threads.values()]:
            if ch.name == name or (ch.name or "").lower() == name.lower():
                return ch
        raise KeyError(f"unknown channel {key!r}")

    def role(self, key: RoleState | int | str) -> RoleState:
        if isinstance(key, RoleState):
            return key
        if isinstance(key, int):
            return self.roles[key]
        name = key.lstrip("&")
        for r in self.roles.values():
            if r.name == name:
                return r
        for r in self.roles.values():
            if r.name.lower() == name.lower():
                return r
        raise KeyError(f"unknown role {key!r}")

    def member(self, key: MemberState | UserState | int | str) -> MemberState:
        if isinstance(key, MemberState):
            return key
        if isinstance(key, UserState):
            return self.members[key.id]
        if isinstance(key, int):
            return self.members[key]
        name = key.lstrip("@").lower()
        for m in self.members.values():
            if name in (m.user.username.lower(), m.display_name.lower(), (m.nick or "").lower()):
                return m
        raise KeyError(f"unknown member {key!r}")

    @property
    def bot_member(self) -> MemberState | None:
        return self.members.get(self.emu.bot_user.id)

    # -- permissions ----------------------------------------------------------------------

    def base_permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        perms = self.everyone_role.permissions
        if member is not None:
            for rid in member.roles:
                role = self.roles.get(rid)
                if role is not None:
                    perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def channel_permissions(self, user_id: int, channel: ChannelState) -> int:
        if channel.is_thread and channel.parent_id in self.channels:
            perms = self.channel_permissions(user_id, self.channels[channel.parent_id])
            hidden = channel.type == PRIVATE_THREAD and user_id not in channel.member_ids
            if hidden and not perms & MANAGE_THREADS:
                return 0
            return perms
        perms = self.base_permissions(user_id)
        if perms & ADMINISTRATOR or perms == ALL_PERMISSIONS:
            return perms
        member = self.members.get(user_id)
        overwrites = list(channel.permission_overwrites)
        if channel.parent_id and not overwrites and channel.parent_id in self.channels:
            overwrites = list(self.channels[channel.parent_id].permission_overwrites)
        by_id = {int(o["id"]): o for o in overwrites}
        everyone = by_id.get(self.id)
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in member.roles if member else []:
            ow = by_id.get(rid)
            if ow and ow["type"] == 0:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        ow = by_id.get(user_id)
        if ow and ow["type"] == 1:
            perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
        if not perms & VIEW_CHANNEL:
            return 0
        return perms

    def top_role_position(self, user_id: int) -> int:
        member = self.members.get(user_id)
        if member is None:
            return 0
        return max((self.roles[r].position for r in member.roles if r in self.roles), default=0)

    # -- payloads -------------------------------------------------------------------------

    def to_payload(self, *, with_counts: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [r.to_payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.system_channel_id) if self.system_channel_id else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 25000000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "nsfw": False,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "hub_type": None,
            "incidents_data": None,
            "latest_onboarding_question_id": None,
            "inventory_settings": None,
        }
        if with_counts:
            payload["approximate_member_count"] = len(self.members)
            payload["approximate_presence_count"] = 0
        return payload

    def gateway_create_payload(self, *, with_members: bool) -> dict[str, Any]:
        payload = self.to_payload()
        bot_id = self.emu.bot_user.id
        members = [m.to_payload() for m in self.members.values() if with_members or m.id == bot_id]
        bot_member = self.members.get(bot_id)
        payload.update(
            joined_at=iso(bot_member.joined_at if bot_member else self.emu.now()),
            large=len(self.members) > 250,
            unavailable=False,
            member_count=len(self.members),
            voice_states=[],
            members=members,
            channels=[c.to_payload() for c in self.channels.values()],
            threads=[t.to_payload() for t in self.threads.values() if not t.archived],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=list(self.scheduled_events.values()),
            soundboard_sounds=[],
            embedded_activities=[],
            application_command_counts={},
            lazy=True,
        )
        return payload


def _normalize_overwrite(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(o["id"]),
        "type": int(o.get("type", 0)),
        "allow": str(int(o.get("allow", 0))),
        "deny": str(int(o.get("deny", 0))),
    }


normalize_overwrite = _normalize_overwrite
