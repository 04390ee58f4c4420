"""A pytest plugin: after every test, no message the bot sent could ping anyone it chose not to.

Loaded for the whole suite from ``tests/conftest.py``. Every emulated Discord that served
the Aiguillage bot is tracked (emulator tests driving a bare discord.py client are not the
bot); when a test ends, every message-bearing request the bot made (channel
messages, edits, forum posts, interaction responses, followups and their edits) is checked:

* ``@everyone`` / ``@here`` never ping along with other text (no ``allowed_mentions``, or
  ``"everyone"`` in its ``parse``, would let them); a coordinator's deliberate broadcast is
  a content made of nothing but the chosen mentions, the text being in an embed;
* ``<@&role>`` and ``<@user>`` ping only when their id is listed explicitly in
  ``allowed_mentions.roles`` / ``.users`` (a decision of the code: the newsletter's opt-in
  role), never through ``parse`` (which would let any user-provided text ping);
* a reply never pings its author unless ``replied_user`` is set on purpose.

A request without ``allowed_mentions`` is judged as Discord judges it: everything in the text
pings.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(everyone|here)")
# A content made only of mentions was built by the code (e.g. a coordinator's /annonce
# diffusion:@everyone puts the text in an embed): no typed text can ride along.
ONLY_MENTIONS = re.compile(r"^(\s|@everyone|@here|<@&\d+>)*$")

# (method, route template) -> where the message body is in the request.
MESSAGE_ROUTES = {
    ("POST", "/channels/{channel_id}/messages"): "body",
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): "body",
    ("POST", "/channels/{channel_id}/threads"): "message",
    ("POST", "/interactions/{interaction_id}/{token}/callback"): "callback",
    ("POST", "/webhooks/{webhook_id}/{token}"): "body",
    ("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}"): "body",
}
CALLBACKS_WITH_MESSAGE = {4, 7}  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
TEXT_DISPLAY = 10  # components v2 text display: its content pings like message content


def _texts(body: dict[str, Any]) -> Iterator[str]:
    if isinstance(body.get("content"), str):
        yield body["content"]
    stack = list(body.get("components") or [])
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        if component.get("type") == TEXT_DISPLAY and isinstance(component.get("content"), str):
            yield component["content"]
        stack.extend(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            stack.append(component["accessory"])


def message_body(method: str, route: str | None, json: Any) -> dict[str, Any] | None:
    """The message a request creates or edits, or None for other requests."""
    where = MESSAGE_ROUTES.get((method, route or ""))
    if where is None or not isinstance(json, dict):
        return None
    if where == "message":
        message = json.get("message")
        return message if isinstance(message, dict) else None
    if where == "callback":
        if json.get("type") not in CALLBACKS_WITH_MESSAGE:
            return None
        data = json.get("data")
        return data if isinstance(data, dict) else None
    return json


def unwanted_pings(body: dict[str, Any]) -> list[str]:
    """What this message body would ping that the code did not name explicitly."""
    text = "\n".join(_texts(body))
    allowed = body.get("allowed_mentions")
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
    problems = []
    if "everyone" in parse and EVERYONE.search(text) and not ONLY_MENTIONS.match(text):
        problems.append(f"@{EVERYONE.search(text).group(1)} would ping")  # type: ignore[union-attr]
    if "roles" in parse:
        problems += [f"role <@&{rid}> pinged through parse" for rid in ROLE_MENTION.findall(text)]
    if "users" in parse:
        problems += [f"user <@{uid}> pinged through parse" for uid in USER_MENTION.findall(text)]
    if body.get("message_reference") and allowed is None:
        problems.append("reply pings its author (no allowed_mentions)")
    return problems


def check_calls(calls: Iterable[Any]) -> list[str]:
    """Every problem in a list of recorded REST calls (``bot.emulator.Call``)."""
    found = []
    for call in calls:
        body = message_body(call.method, call.route, call.json)
        if body is None:
            continue
        for problem in unwanted_pings(body):
            snippet = (body.get("content") or "")[:120]
            found.append(f"{call.method} {call.path}: {problem} in {snippet!r}")
    return found


# ---- pytest plugin --------------------------------------------------------------------
_emulators: weakref.WeakSet[Any] = weakref.WeakSet()
_checked: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_bot_api_bases: set[str] = set()  # REST bases an AiguillageBot was pointed at


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_pings: the test sends pinging messages on purpose (mentions guard off)"
    )
    from bot.emulator import EmulatedDiscord

    if getattr(EmulatedDiscord, "_mentions_guard", False):
        return
    original = EmulatedDiscord.__init__

    def tracking_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _emulators.add(self)

    EmulatedDiscord.__init__ = tracking_init  # type: ignore[method-assign]
    EmulatedDiscord._mentions_guard = True  # type: ignore[attr-defined]

    import discord.http

    from bot.client import AiguillageBot

    original_setup = AiguillageBot.setup_hook

    async def tracking_setup(self: Any) -> None:
        _bot_api_bases.add(discord.http.Route.BASE)  # the emulator this bot talks to
        await original_setup(self)

    AiguillageBot.setup_hook = tracking_setup  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def no_unwanted_pings(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if request.node.get_closest_marker("allow_pings"):
        return
    problems = []
    for emu in list(_emulators):
        if emu.api_base not in _bot_api_bases:
            continue
        start = _checked.get(emu, 0)
        problems += check_calls(emu.calls[start:])
        _checked[emu] = len(emu.calls)
    assert not problems, "the bot could ping people it did not choose:\n" + "\n".join(problems)
