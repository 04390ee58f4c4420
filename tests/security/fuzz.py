"""Hostile inputs for every slash command, built from the schema the bot synced.

The options a person can send are what Discord's client lets through for the synced schema:
choices from the list, strings within ``min_length``/``max_length`` (6000 at most),
integers within ``min_value``/``max_value`` (else ±2^53), members, roles and channels of the
server, any file. Inside those bounds, everything hostile: unicode, control characters,
markdown, mentions, formula and path tricks, huge lengths, extreme numbers, lying files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
from hypothesis import strategies as st

from bot.errors import PermissionRefused, UserError
from bot.harness import BotHarness
from tests.security.world import changed_tables, fingerprint, settle

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
DISCORD_MAX_STRING = 6000
DISCORD_MAX_INT = 2**53

NASTY_STRINGS = [
    "@everyone",
    "@here viens voir",
    "**gras** __souligné__ ~~barré~~ ||spoiler|| `code` ```py\nprint(1)\n```",
    "> citation\n# Titre\n- liste\n[lien](https://exemple.invalid)",
    '=HYPERLINK("http://x.invalid","clic")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "../../../../etc/passwd",
    "..\\..\\windows\\system32",
    "'; DROP TABLE structures; --",
    "%s %d %(x)s {0} {name} {{}} }",
    "\u202eevil\u202c \u200b\u200d\ufeff",
    "👩‍👩‍👧‍👦🇫🇷 é è à ç œ Ω 漢字 العربية",
    "\r\n\t\x07\x08\x0b\x0c\x1b[31mrouge\x1b[0m\x7f",
    "   ",
    "\n" * 40,
    "0",
    "-1",
    "99999999999999999999999",
    "31/02/2027",
    "25h99",
    "J-9999, H-99999",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "https://" + "a" * 300 + ".invalid",
]

BASE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
)


def mention_strings(h: BotHarness) -> list[str]:
    assert h.network is not None
    roles = list(h.network.roles.values())
    people = list(h.network.people.values())
    return [f"<@&{roles[0]}>", f"<@{people[0]}>", f"<@!{people[1]}>", f"<@&{h.guild_id}>"]


def nasty_text(h: BotHarness) -> st.SearchStrategy[str]:
    piece = st.one_of(BASE_TEXT, st.sampled_from(NASTY_STRINGS + mention_strings(h)))
    return st.one_of(
        piece,
        st.lists(piece, min_size=2, max_size=5).map(" ".join),
        st.tuples(piece, st.integers(10, DISCORD_MAX_STRING)).map(
            lambda pair: (pair[0] or "x") * (pair[1] // max(len(pair[0]), 1) + 1)
        ),
    )


def fit_string(text: str, option: dict[str, Any]) -> str:
    low = int(option.get("min_length") or (1 if option.get("required") else 0))
    high = min(int(option.get("max_length") or DISCORD_MAX_STRING), DISCORD_MAX_STRING)
    text = text[:high]
    if len(text.strip()) < max(low, 1):
        text = (text + "x" * max(low, 1))[: max(high, 1)]
    return text


def integer_strategy(option: dict[str, Any]) -> st.SearchStrategy[int]:
    low = option.get("min_value")
    high = option.get("max_value")
    low = int(low) if low is not None else -DISCORD_MAX_INT
    high = int(high) if high is not None else DISCORD_MAX_INT
    edges = sorted(
        {
            low,
            high,
            max(low, min(high, 0)),
            max(low, min(high, -1)),
            max(low, min(high, 1)),
            max(low, min(high, 2**31)),
            max(low, min(high, 2**63 - 1)),
        }
    )
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


def number_strategy(option: dict[str, Any]) -> st.SearchStrategy[float]:
    low = option.get("min_value")
    high = option.get("max_value")
    return st.floats(
        min_value=float(low) if low is not None else -1e15,
        max_value=float(high) if high is not None else 1e15,
        allow_nan=False,
        allow_infinity=False,
    )


FILE_NAMES = [
    "../../../etc/passwd",
    "..\\..\\boot.ini",
    "/etc/shadow",
    "a" * 240 + ".pdf",
    "compte rendu (final) v2 — été.pdf",
    "annuaire.csv",
    "annuaire.json",
    "charte.docx",
    "charte.odt",
    "image.png",
    "programme.exe",
    ".htaccess",
    "nul\u202egpj.exe",
    "sans_extension",
]
FILE_BODIES = [
    b"",
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    b"PK\x03\x04" + b"\x00" * 26,  # a zip that is not one
    b"MZ\x90\x00" + b"\x00" * 60,  # an executable
    "nom;commune\n=cmd|' /C calc'!A0;Mérignac\n".encode(),
    b"\xff\xfe\x00\x00garbage\x00\x00",
    b'{"not": "a list"}',
    b"[{}]",
]


def attachment_strategy() -> st.SearchStrategy[tuple[str, bytes, str]]:
    return st.tuples(
        st.sampled_from(FILE_NAMES),
        st.one_of(st.sampled_from(FILE_BODIES), st.binary(max_size=300)),
        st.sampled_from(["application/pdf", "text/csv", "image/png", "application/octet-stream"]),
    )


def _guild_choices(h: BotHarness) -> tuple[list[int], list[int], dict[int, int]]:
    guild = h.emu.guild(h.guild_id)
    members = [m for m in guild.members]
    roles = [r for r in guild.roles]
    channels = {c.id: c.type for c in guild.channels.values() if not c.deleted}
    return members, roles, channels


def option_strategy(h: BotHarness, option: dict[str, Any]) -> st.SearchStrategy[Any]:
    otype = option["type"]
    if option.get("choices"):
        return st.sampled_from([c["value"] for c in option["choices"]])
    if otype == STRING:
        return nasty_text(h).map(lambda text: fit_string(text, option))
    if otype == INTEGER:
        return integer_strategy(option)
    if otype == NUMBER:
        return number_strategy(option)
    if otype == BOOLEAN:
        return st.booleans()
    members, roles, channels = _guild_choices(h)
    if otype == USER:
        return st.sampled_from(members)
    if otype == ROLE:
        return st.sampled_from(roles)
    if otype == MENTIONABLE:
        return st.sampled_from(members + roles)
    if otype == CHANNEL:
        wanted = option.get("channel_types")
        ids = [cid for cid, ctype in channels.items() if not wanted or ctype in wanted]
        return st.sampled_from(ids)
    if otype == ATTACHMENT:
        return attachment_strategy()
    raise AssertionError(f"option type {otype} not covered by the fuzzer")


@dataclass
class Leaf:
    path: str
    options: list[dict[str, Any]]


def leaves(h: BotHarness) -> list[Leaf]:
    """Every leaf command of the synced schema, with its options."""
    found: list[Leaf] = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            found.append(Leaf(prefix, options))
            return
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for command in h.emu.commands.get(None, []) + h.emu.commands.get(h.guild_id, []):
        if command.get("type", 1) == 1:
            walk(command["name"], command.get("options") or [])
    return sorted(found, key=lambda leaf: leaf.path)


def call_strategy(h: BotHarness, leaf: Leaf) -> st.SearchStrategy[dict[str, Any]]:
    """Required options always, optional ones sometimes."""
    required = {o["name"]: option_strategy(h, o) for o in leaf.options if o.get("required")}
    optional = {o["name"]: option_strategy(h, o) for o in leaf.options if not o.get("required")}
    return st.fixed_dictionaries(required, optional=optional)


# ---- running one call and checking it ---------------------------------------------------
class _MissingKeys(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "missing message key" in record.getMessage():
            self.seen.append(record.getMessage())


@dataclass
class Referee:
    """Watches the bot while hostile calls run, and says what went wrong."""

    h: BotHarness
    errors: dict[int, BaseException] = field(default_factory=dict)
    calls: int = 0
    refusals: int = 0
    _keys: _MissingKeys = field(default_factory=_MissingKeys)

    def __post_init__(self) -> None:
        bot = self.h.bot
        assert bot is not None
        tree = bot.tree
        original = tree.on_error

        async def recording(interaction: discord.Interaction, error: Any) -> None:
            self.errors[interaction.id] = error
            await original(interaction, error)

        tree.on_error = recording  # type: ignore[method-assign]
        logging.getLogger().addHandler(self._keys)

    def close(self) -> None:
        logging.getLogger().removeHandler(self._keys)

    async def run(self, person: str, leaf: Leaf, options: dict[str, Any]) -> list[str]:
        bot = self.h.bot
        assert bot is not None
        attachments = {k: v for k, v in options.items() if isinstance(v, tuple)}
        values = {k: v for k, v in options.items() if k not in attachments}
        await settle(self.h)
        before = await fingerprint(bot.db)
        errors_before = bot.errors_seen
        missing_before = len(self._keys.seen)
        result = await self.h.slash(
            person, leaf.path, options=values, attachments=attachments or None, locale="fr"
        )
        await self.h.emu.wait_idle()
        self.calls += 1
        label = f"/{leaf.path} {_short(options)}"
        text = result.text or ""
        problems = []
        if result.error:
            problems.append(f"{label}: {result.error}")
        if bot.errors_seen != errors_before or "erreur inattendue" in text:
            problems.append(f"{label}: unexpected error: {text[:300]}")
        if len(self._keys.seen) != missing_before:
            problems.append(f"{label}: {self._keys.seen[-1]}")
        error = self.errors.pop(result.interaction_id, None)
        if error is not None and _is_refusal(error):
            self.refusals += 1
            changed = changed_tables(before, await fingerprint(bot.db))
            if changed:
                problems.append(f"{label}: refused ({_key(error)}) but changed {changed}")
            if not result.ephemeral:
                problems.append(f"{label}: refusal not ephemeral")
            inputs = [v for v in options.values() if isinstance(v, str)]
            problems += [f"{label}: {p}" for p in french_problems(text, inputs)]
        return problems


def _is_refusal(error: BaseException) -> bool:
    from discord import app_commands

    from bot.errors import _unwrap

    inner = _unwrap(error)
    return isinstance(
        inner,
        UserError | PermissionRefused | app_commands.CheckFailure | app_commands.TransformerError,
    )


def _key(error: BaseException) -> str:
    from bot.errors import _unwrap

    inner = _unwrap(error)
    return getattr(inner, "key", type(inner).__name__)


ENGLISH_MARKERS = (" the ", " is not ", " must be ", "Error", "Exception", "Traceback", "None")


def french_problems(text: str, inputs: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """A refusal must read as a French sentence, not a key, a template or a traceback.
    What it quotes of the user's own input is left out of the judgement."""
    problems = []
    stripped = text.strip()
    own = stripped
    for value in sorted(inputs, key=len, reverse=True):
        for piece in (value, value[:200], value.strip()):
            if len(piece) >= 3:
                own = own.replace(piece, " ")
    if len(stripped) < 15:
        problems.append(f"refusal too short to explain anything: {stripped!r}")
    import re

    if re.search(r"\{[a-z_]+\}", own):
        problems.append(f"unformatted placeholder in {stripped[:200]!r}")
    if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", stripped):
        problems.append(f"a bare message key: {stripped!r}")
    head = own.split("«")[0]  # quoted input may be in any language
    for marker in ENGLISH_MARKERS:
        if marker in head:
            problems.append(f"not French ({marker.strip()!r}): {stripped[:200]!r}")
    return problems


def _short(options: dict[str, Any]) -> str:
    shown = {}
    for key, value in options.items():
        if isinstance(value, tuple):
            value = (value[0][:40], len(value[1]))
        elif isinstance(value, str) and len(value) > 40:
            value = value[:40] + f"…({len(value)})"
        shown[key] = value
    return repr(shown)


def edge_calls(h: BotHarness, leaf: Leaf) -> Iterator[dict[str, Any]]:
    """Deterministic worst cases for one command: each string option at its maximum length
    of mixed hostile text, integers at their extremes, every required option present."""
    members, roles, channels = _guild_choices(h)
    for variant in range(3):
        values: dict[str, Any] = {}
        for option in leaf.options:
            otype = option["type"]
            if not option.get("required") and variant == 0:
                continue
            if option.get("choices"):
                values[option["name"]] = option["choices"][variant % len(option["choices"])][
                    "value"
                ]
            elif otype == STRING:
                hostile = " ".join(NASTY_STRINGS[variant::3] + mention_strings(h))
                values[option["name"]] = fit_string(hostile * 40, option)
            elif otype == INTEGER:
                low = option.get("min_value", -DISCORD_MAX_INT)
                high = option.get("max_value", DISCORD_MAX_INT)
                values[option["name"]] = [high, low, max(low, min(high, 2**31))][variant]
            elif otype == NUMBER:
                values[option["name"]] = option.get("max_value", 1e15)
            elif otype == BOOLEAN:
                values[option["name"]] = bool(variant % 2)
            elif otype == USER:
                values[option["name"]] = members[variant % len(members)]
            elif otype in (ROLE, MENTIONABLE):
                values[option["name"]] = roles[variant % len(roles)]
            elif otype == CHANNEL:
                wanted = option.get("channel_types")
                ids = [cid for cid, ctype in channels.items() if not wanted or ctype in wanted]
                if ids:
                    values[option["name"]] = ids[variant % len(ids)]
            elif otype == ATTACHMENT:
                values[option["name"]] = (
                    FILE_NAMES[variant],
                    FILE_BODIES[(variant * 4 + 1) % len(FILE_BODIES)],
                    "application/octet-stream",
                )
        yield values
