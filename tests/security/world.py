"""Two networks on one bot and one database, and a fingerprint of everything stored.

``TwoNetworks`` is the demo network (guild A, with every capability's demo data) plus a
second network (guild B, Pessac) seeded the same way, whose coordinator is also a plain
approved member of guild A (``visiteur``): the "member of another guild" of the permission
matrix and of the isolation tests.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any

from sqlalchemy import select

from bot.client import discover_modules
from bot.demo_network import (
    DemoNetwork,
    assign_demo_referents,
    build_demo_guild,
    seed_demo_database,
)
from bot.harness import BotHarness
from db.engine import Database
from db.models import Base


class TwoNetworks(BotHarness):
    network_b: DemoNetwork

    async def start(self) -> TwoNetworks:
        self.emu.set_clock(self.clock.now)
        await self.emu.start()
        self.emu.install()
        self.network = build_demo_guild(self.emu)
        self.network_b = build_demo_guild(self.emu, name="Réseau numérique — Pessac")
        visitor = self.network_b.people["coordinateur"]
        guild_a = self.emu.guild(self.network.guild_id)
        guild_a.add_member("visiteur", roles=[self.network.roles["member"]], id=visitor)
        self.network.people["visiteur"] = visitor
        await self.start_bot(first=True)
        await self.seed_second_network()
        return self

    async def seed_second_network(self) -> None:
        assert self.bot is not None
        network = self.network_b
        await seed_demo_database(self.bot, network)
        if self.seed_capabilities:
            loaded = set(self.bot.extensions)
            for module_name in discover_modules("demo"):
                if module_name.rsplit(".", 1)[0] not in loaded:
                    continue
                module = importlib.import_module(module_name)
                seed = getattr(module, "seed_demo", None)
                if seed is None:
                    continue
                # A public address is unique across networks: the second one gets its own.
                slug = getattr(module, "DEMO_SLUG", None)
                if slug is not None:
                    module.DEMO_SLUG = "pessac"
                try:
                    await seed(self.bot, network.guild_id, dict(network.people))
                finally:
                    if slug is not None:
                        module.DEMO_SLUG = slug
            await assign_demo_referents(self.bot, network)
        await self.emu.wait_idle()

    @property
    def guild_b(self) -> int:
        return self.network_b.guild_id

    async def slash_b(self, person: str, command: str, **kwargs: Any) -> Any:
        kwargs.setdefault("locale", None)
        return await self.emu.slash(self.guild_b, self.network_b.people[person], command, **kwargs)


async def settle(h: BotHarness) -> None:
    """Let background work finish (deliveries woken by a commit, their Discord calls), so a
    fingerprint taken now is not changed later by an earlier, allowed action."""
    assert h.bot is not None
    for _ in range(2):
        await h.emu.wait_idle()
        await h.bot.scheduler.run_due()  # waits for an in-flight dispatch pass (its lock)
    await h.emu.wait_idle()


async def fingerprint(db: Database, guild_id: int | None = None) -> dict[str, str]:
    """table -> "rows:sha256" of every row (of one guild, or all), ordered by primary key."""
    out: dict[str, str] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            query = select(table)
            if guild_id is not None and "guild_id" in table.c:
                query = query.where(table.c.guild_id == guild_id)
            elif guild_id is not None and table.name == "guilds":
                query = query.where(table.c.id == guild_id)
            query = query.order_by(*table.primary_key.columns)
            rows = (await session.execute(query)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
            out[table.name] = f"{len(rows)}:{digest}"
    return out


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])
