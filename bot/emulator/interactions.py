"""Interaction bookkeeping (one record per dispatched interaction) and the result object."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Interaction types.
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
APPLICATION_COMMAND_AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback types.
PONG = 1
CHANNEL_MESSAGE_WITH_SOURCE = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
MODAL = 9

CALLBACK_NAMES = {
    PONG: "pong",
    CHANNEL_MESSAGE_WITH_SOURCE: "message",
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "deferred",
    DEFERRED_UPDATE_MESSAGE: "deferred_update",
    UPDATE_MESSAGE: "update",
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: "autocomplete",
    MODAL: "modal",
}


@dataclass
class InteractionRecord:
    """Server-side state of one interaction (its token is the webhook token)."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: dict[str, Any]
    source_message_id: int | None = None
    created_at: dt.datetime | None = None  # emulator clock, for the 15 min token lifetime
    dispatched_at: float = 0.0
    callback_type: int | None = None
    callback_data: dict[str, Any] | None = None
    callback_at: float | None = None
    original_message_id: int | None = None
    ephemeral: bool = False
    followup_ids: list[int] = field(default_factory=list)
    # Ephemeral messages live here (never in a channel): id -> payload.
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    resolved: bool = False  # a deferred response got its content
    last_activity: float = 0.0
    activity: asyncio.Event = field(default_factory=asyncio.Event)
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    channel_message_ids: list[int] = field(default_factory=list)

    def touch(self) -> None:
        self.last_activity = asyncio.get_running_loop().time()
        self.activity.set()


def _embed_lines(embed: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if embed.get("author", {}).get("name"):
        lines.append(embed["author"]["name"])
    if embed.get("title"):
        lines.append(embed["title"])
    if embed.get("description"):
        lines.append(embed["description"])
    for f in embed.get("fields", []):
        lines.append(f"{f.get('name', '')}: {f.get('value', '')}")
    if embed.get("footer", {}).get("text"):
        lines.append(embed["footer"]["text"])
    return lines


def iter_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten a component tree (action rows, containers, sections, labels) depth-first."""
    out: list[dict[str, Any]] = []
    for c in components or []:
        out.append(c)
        if c.get("components"):
            out.extend(iter_components(c["components"]))
        if c.get("component"):
            out.extend(iter_components([c["component"]]))
        if c.get("accessory"):
            out.extend(iter_components([c["accessory"]]))
    return out


def message_text(message: dict[str, Any]) -> str:
    """Content plus embed text (and text display components) of a message payload."""
    parts = [message.get("content") or ""]
    for e in message.get("embeds", []):
        parts.extend(_embed_lines(e))
    for c in iter_components(message.get("components", [])):
        if c.get("type") == 10 and c.get("content"):
            parts.append(c["content"])
    return "\n".join(p for p in parts if p)


@dataclass
class InteractionResult:
    """What the user sees after an interaction: the bot's answer."""

    interaction_id: int
    token: str
    interaction_type: int
    callback_type: int | None
    message: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    latency: float | None = None
    error: str | None = None
    channel_messages: list[dict[str, Any]] = field(default_factory=list)

    # -- convenience views on the answer ---------------------------------------------------

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def callback_name(self) -> str | None:
        return CALLBACK_NAMES.get(self.callback_type) if self.callback_type else None

    @property
    def content(self) -> str | None:
        return self.message.get("content") if self.message else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.message.get("embeds", [])) if self.message else []

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.message.get("components", [])) if self.message else []

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.message.get("attachments", [])) if self.message else []

    @property
    def flags(self) -> int:
        return int(self.message.get("flags", 0)) if self.message else 0

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.callback_type in (
            DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            DEFERRED_UPDATE_MESSAGE,
        )

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The response message (if any) then every followup."""
        out = [self.message] if self.message else []
        out.extend(m for m in self.followups if not self.message or m["id"] != self.message["id"])
        return out

    @property
    def text(self) -> str:
        """Readable text of all answer messages (content + embeds), newline separated."""
        return "\n".join(message_text(m) for m in self.messages)

    def buttons(self) -> list[dict[str, Any]]:
        return [
            c
            for m in self.messages
            for c in iter_components(m.get("components", []))
            if c.get("type") == 2
        ]

    def button(self, label: str) -> dict[str, Any]:
        for b in self.buttons():
            if b.get("label") == label:
                return b
        raise LookupError(f"no button labelled {label!r} in the answer")

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self.callback_name} ephemeral={self.ephemeral} "
            f"content={self.content!r} embeds={len(self.embeds)} followups={len(self.followups)}"
            f"{' error=' + repr(self.error) if self.error else ''}>"
        )
