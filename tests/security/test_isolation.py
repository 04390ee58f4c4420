"""Two networks on one bot and one database never see each other's data.

Guild A's rows are marked with ALPHA-SECRET (a structure, event titles, newsletter items,
announcements, audit entries). From guild B (its coordinator and a plain member):

* every command that needs no option, every autocomplete of every option (typing nothing
  and typing "ALPHA") shows nothing of A;
* every command given A's ids (events, deliveries, announcements, structures, items) or
  A's structure name is refused or finds nothing, and A's rows stay exactly as they were.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.security.fuzz import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    USER,
    leaves,
)
from tests.security.world import TwoNetworks, changed_tables, fingerprint, settle

MARKER = "ALPHA-SECRET"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[TwoNetworks]:
    async with TwoNetworks(tmp_path / "data") as harness:
        await mark_guild_a(harness)
        yield harness


async def mark_guild_a(h: TwoNetworks) -> None:
    """Put the marker in every text of guild A that a leak would show."""
    from db.models import AuditEntry, Structure
    from db.models.announcements import Announcement
    from db.models.events import NetworkEvent
    from db.models.newsletter import NewsletterItem

    assert h.bot is not None
    async with h.bot.db.transaction() as session:
        for model, column in (
            (NetworkEvent, NetworkEvent.title),
            (NewsletterItem, NewsletterItem.title),
            (Announcement, Announcement.title),
            (AuditEntry, AuditEntry.target),
        ):
            await session.execute(
                update(model)
                .where(model.guild_id == h.guild_id)
                .values({column.key: MARKER + " " + column})
                .execution_options(synchronize_session=False)
            )
        structure = await session.scalar(
            select(Structure).where(
                Structure.guild_id == h.guild_id, Structure.external_id == "merignac-ccas"
            )
        )
        assert structure is not None
        structure.nom = f"Espace {MARKER}"
        structure.short_name = f"Espace {MARKER}"
    await h.bot.guild_config.set(h.guild_id, "events.reminder_offsets", "J-3")


def _minimal(h: TwoNetworks, option: dict[str, Any]) -> Any:
    """A plain valid value, to fill the other required options of an autocomplete."""
    guild = h.emu.guild(h.guild_b)
    if option.get("choices"):
        return option["choices"][0]["value"]
    kind = option["type"]
    if kind == STRING:
        return "x"
    if kind in (INTEGER, NUMBER):
        return max(int(option.get("min_value") or 1), 1)
    if kind == BOOLEAN:
        return False
    if kind in (USER, MENTIONABLE):
        return h.network_b.people["membre"]
    if kind == ROLE:
        return h.network_b.roles["member"]
    if kind == CHANNEL:
        wanted = option.get("channel_types")
        return next(c.id for c in guild.channels.values() if not wanted or c.type in wanted)
    if kind == ATTACHMENT:
        return ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    raise AssertionError(kind)


async def _ids_of_a(h: TwoNetworks) -> dict[str, list[int]]:
    from db.models import ScheduledDelivery, Structure
    from db.models.announcements import Announcement
    from db.models.events import NetworkEvent
    from db.models.newsletter import NewsletterItem

    assert h.bot is not None
    found: dict[str, list[int]] = {}
    async with h.bot.db.session() as session:
        for name, column, guild_column in (
            ("event", NetworkEvent.id, NetworkEvent.guild_id),
            ("delivery", ScheduledDelivery.id, ScheduledDelivery.guild_id),
            ("announcement", Announcement.id, Announcement.guild_id),
            ("structure", Structure.id, Structure.guild_id),
            ("item", NewsletterItem.id, NewsletterItem.guild_id),
        ):
            found[name] = list(
                await session.scalars(select(column).where(guild_column == h.guild_id).limit(3))
            )
    return found


async def test_guild_b_sees_nothing_of_guild_a(world: TwoNetworks) -> None:
    h = world
    seen: list[str] = []
    all_leaves = leaves(h)
    for leaf in all_leaves:
        required = [o for o in leaf.options if o.get("required")]
        if not required:
            for person in ("coordinateur", "membre"):
                result = await h.slash_b(person, leaf.path)
                seen.append(f"/{leaf.path} as {person}: {result.text}")
                seen += [
                    f"/{leaf.path} message: {m.get('content')}" for m in result.channel_messages
                ]
        for option in leaf.options:
            if not option.get("autocomplete"):
                continue
            others = {o["name"]: _minimal(h, o) for o in required if o["name"] != option["name"]}
            attachments = {k: v for k, v in others.items() if isinstance(v, tuple)}
            others = {k: v for k, v in others.items() if k not in attachments}
            for typed in ("", "ALPHA", "Espace"):
                choices = await h.emu.autocomplete(
                    h.guild_b,
                    h.network_b.people["coordinateur"],
                    leaf.path,
                    focused=option["name"],
                    value=typed,
                    options={**others, **attachments},
                )
                seen += [f"/{leaf.path} {option['name']}={typed!r} → {c}" for c in choices]
    await settle(h)
    # Positive controls: the same look-ups in guild A do show the marker.
    own = await h.slash("membre", "evenement liste")
    assert MARKER in own.text, own.text[:300]
    own_choices = await h.emu.autocomplete(
        h.guild_id, h.person("membre"), "structure fiche", focused="nom", value="Espace"
    )
    assert any(MARKER in str(c) for c in own_choices), own_choices
    leaks = [line[:300] for line in seen if MARKER in line]
    assert not leaks, "\n".join(leaks)
    assert len(seen) > 60, "too little was looked at to prove anything"


async def test_guild_a_ids_used_from_guild_b_change_nothing_in_a(world: TwoNetworks) -> None:
    h = world
    assert h.bot is not None
    ids = await _ids_of_a(h)
    assert all(ids.values()), ids
    by_option = {
        "evenement": ids["event"],
        "numero": ids["delivery"] + ids["announcement"],
        "structure": ids["structure"],
        "article": [str(i) for i in ids["item"]],
        "nom": [f"Espace {MARKER}"],
    }
    problems: list[str] = []
    attempts = 0
    for leaf in leaves(h):
        names = {o["name"] for o in leaf.options}
        targets = [name for name in by_option if name in names]
        if not targets:
            continue
        required = [o for o in leaf.options if o.get("required")]
        for target in targets:
            for value in by_option[target]:
                options = {o["name"]: _minimal(h, o) for o in required}
                option = next(o for o in leaf.options if o["name"] == target)
                options[target] = value if option["type"] != STRING else str(value)
                attachments = {k: v for k, v in options.items() if isinstance(v, tuple)}
                options = {k: v for k, v in options.items() if k not in attachments}
                await settle(h)
                before = await fingerprint(h.bot.db, h.guild_id)
                errors = h.bot.errors_seen
                result = await h.slash_b(
                    "coordinateur", leaf.path, options=options, attachments=attachments or None
                )
                label = f"/{leaf.path} {target}={value!r} from guild B"
                if result.modal is not None and MARKER in str(result.modal):
                    problems.append(f"{label}: a form prefilled with guild A's data")
                await settle(h)
                attempts += 1
                if h.bot.errors_seen != errors or "erreur inattendue" in (result.text or ""):
                    problems.append(f"{label}: unexpected error {result.text[:200]}")
                # The name typed is quoted back ("no structure matches « … »"): not a leak.
                if MARKER in (result.text or "").replace(str(value), ""):
                    problems.append(f"{label}: showed guild A's data: {result.text[:200]}")
                changed = changed_tables(before, await fingerprint(h.bot.db, h.guild_id))
                if changed:
                    problems.append(f"{label}: changed guild A's {changed}")
    assert not problems, "\n".join(problems)
    assert attempts >= 20, attempts


async def test_web_pages_of_guild_b_show_nothing_of_guild_a(world: TwoNetworks) -> None:
    """Every public route, asked with guild B's id (and guessed numbers), serves none of A."""
    import aiohttp

    h = world
    assert h.bot is not None
    routes = [
        route.resource.canonical
        for route in h.bot.web.app.router.routes()
        if route.method == "GET" and route.resource is not None
    ]
    port = h.bot.web.bound_port
    bodies: list[str] = []
    async with aiohttp.ClientSession() as http:
        for template in routes:
            for number in ("1", "2", "3"):
                path = (
                    template.replace("{guild_id}", str(h.guild_b))
                    .replace("{guild}", str(h.guild_b))
                    .replace("{slug}", "pessac")
                )
                for key in (
                    "{number}",
                    "{issue}",
                    "{item}",
                    "{index}",
                    "{event_id}",
                    "{token}",
                    "{id}",
                ):
                    path = path.replace(key, number)
                if "{" in path:
                    continue
                async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                    body = await response.text(errors="replace")
                    bodies.append(f"{path} {response.status}: {body}")
    leaks = [b[:200] for b in bodies if MARKER in b]
    assert not leaks, leaks
    assert len(bodies) >= 3, routes


async def test_document_search_of_guild_b_finds_nothing_of_guild_a(world: TwoNetworks) -> None:
    """The library's full-text index is shared by every network on the database: a word
    only guild A's document holds is found in A, never from B (search, autocomplete)."""
    h = world
    assert h.bot is not None
    word = "zorglubophone"
    await h.bot.documents.add(
        guild_id=h.guild_id,
        title=f"{MARKER} fiche interne",
        data=f"# Procédure interne\n\nLe {word} se configure ainsi.\n".encode(),
        filename="procedure.md",
        category="procedure",
        tags=["interne"],
        owner_id=h.person("coordinateur"),
    )
    own = await h.slash("membre", "doc chercher", options={"requete": word})
    assert MARKER in own.text, own.text[:300]  # positive control: A finds its document
    for person in ("coordinateur", "membre"):
        for query in (word, MARKER, "fiche interne", "procédure"):
            result = await h.slash_b(person, "doc chercher", options={"requete": query})
            shown = (result.text or "").replace(query, "")
            assert MARKER not in shown and word not in shown, (person, query, result.text[:300])
    for option in ("tag", "structure"):
        choices = await h.emu.autocomplete(
            h.guild_b,
            h.network_b.people["membre"],
            "doc chercher",
            focused=option,
            value="inter" if option == "tag" else "",
            options={"requete": "interne"},
        )
        assert not any(MARKER in str(c) or word in str(c) or "interne" in str(c) for c in choices)
