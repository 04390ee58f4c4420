"""The bot: loads every capability in ``cogs/``, owns the database, clock, scheduler, web side."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from bot.clock import Clock
from bot.config import Settings
from bot.documents import DocumentService
from bot.errors import report_interaction_error
from bot.guild_config import GuildConfig, declare_core_settings
from bot.i18n import catalogues, t
from bot.i18n.translator import CatalogueTranslator
from bot.metrics import Metrics
from bot.overload import QueueAge
from bot.scheduler import DeliveryScheduler, deliver_message
from bot.storage import LocalBlobStore
from bot.web import WebServer
from db.engine import Database
from db.migrate import upgrade
from db.models import AuditEntry, CommandSyncState, Guild, ScheduledDelivery

log = logging.getLogger("aiguillage")

COGS_DIR = Path(__file__).resolve().parents[1] / "cogs"


def discover_extensions() -> list[str]:
    """Every package under cogs/ with a setup() is a capability (sorted, so order is stable)."""
    names = []
    for path in sorted(COGS_DIR.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists() and not path.name.startswith("_"):
            names.append(f"cogs.{path.name}")
    return names


def discover_modules(name: str) -> list[str]:
    """Optional per-capability modules (``demo``, ``cli``) that exist, as dotted names."""
    found = []
    for extension in discover_extensions():
        module = f"{extension}.{name}"
        if importlib.util.find_spec(module) is not None:
            found.append(module)
    return found


class InteractionExpired(app_commands.CheckFailure):
    """The interaction waited too long in the queue to be answered within Discord's 3 s."""


class AiguillageTree(app_commands.CommandTree["AiguillageBot"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        started = interaction.extras["started"] = time.perf_counter()
        age = (self.client.clock.now() - interaction.created_at).total_seconds()
        if self.client.queue_age.is_stale(age, started):
            # Too late for Discord's 3 s (see bot/overload.py): drop it, serve the next.
            raise InteractionExpired(f"interaction {interaction.id} waited {age:.1f} s")
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, InteractionExpired):
            # Nothing to answer (Discord already told the member the bot did not respond).
            self.client.metrics.command_errors.labels(kind="expired").inc()
            log.warning("dropped: %s (the bot is behind)", error)
            return
        await report_interaction_error(interaction, error)


# The bot never joins voice: no need for PyNaCl, nor for the warning about it.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class AiguillageBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        extensions: Iterable[str] | None = None,
        guild_ready_timeout: float = 2.0,
        web_enabled: bool = True,
        instance_id: str | None = None,
    ) -> None:
        # Only what the bot uses: guilds (channels, roles), members (role reconciliation,
        # onboarding; privileged: enable it in the portal) and scheduled events. Everything
        # else starts from an interaction or the scheduler: the bot never reads messages,
        # reactions or typing, and without those intents Discord stops sending every
        # message posted or edited on the server (the bot's own announcement edits
        # included), which it would otherwise parse and cache for nothing.
        intents = discord.Intents(guilds=True, members=True, guild_scheduled_events=True)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=AiguillageTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            max_messages=None,
        )
        self.settings = settings
        self.clock = clock or Clock()
        self.db = Database(settings.effective_database_url)
        self.metrics = Metrics()
        self.queue_age = QueueAge()
        self.guild_config = GuildConfig(self.db)
        declare_core_settings(self.guild_config)
        self.storage = LocalBlobStore(settings.blob_dir)
        self.documents = DocumentService(self.db, self.storage)
        self.i18n = catalogues()
        self.scheduler = DeliveryScheduler(
            self.db,
            self.clock,
            context=self,
            grace=timedelta(minutes=settings.delivery_grace_minutes),
            max_attempts=settings.delivery_max_attempts,
            instance_id=instance_id,
            on_failure=self._report_delivery_failure,
            metrics=self.metrics,
        )
        self.scheduler.register_handler("message", deliver_message)
        self.web = WebServer(self, settings.web_host, settings.web_port, settings.public_url)
        self.web_enabled = web_enabled
        self.extension_names = list(extensions) if extensions is not None else discover_extensions()
        self.errors_seen = 0  # unexpected errors (the demo's --script exits non-zero on any)
        self.synced_scopes: list[str] = []
        self._started_scheduler = False

    # ---- startup ---------------------------------------------------------------------
    async def setup_hook(self) -> None:
        await upgrade(self.db.engine)
        await self.tree.set_translator(CatalogueTranslator())
        for name in self.extension_names:
            try:
                await self.load_extension(name)
            except Exception:
                self.errors_seen += 1
                log.exception("could not load capability %s", name)
        if self.web_enabled:
            await self.web.start()
        await self.sync_commands_if_changed()

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))
        for guild in self.guilds:
            await self._remember_guild(guild)
        if not self._started_scheduler:
            self._started_scheduler = True
            await self.scheduler.start()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._remember_guild(guild)

    async def _remember_guild(self, guild: discord.Guild) -> None:
        async with self.db.transaction() as session:
            row = await session.get(Guild, guild.id)
            if row is None:
                session.add(Guild(id=guild.id, name=guild.name))
            else:
                row.name = guild.name
                row.left_at = None

    async def close(self) -> None:
        try:
            await self.scheduler.stop()
            if self.web_enabled:
                await self.web.stop()
        finally:
            await super().close()
            await self.db.dispose()

    # ---- command sync only when the tree changed -------------------------------------
    async def _tree_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        translator = self.tree.translator
        commands_ = self.tree.get_commands(guild=guild)
        if translator is not None:
            return [await c.get_translated_payload(self.tree, translator) for c in commands_]
        return [c.to_dict(self.tree) for c in commands_]

    async def sync_commands_if_changed(self, force: bool = False) -> bool:
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        scope = f"guild:{guild.id}" if guild else "global"
        payload = await self._tree_payload(guild)
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        key = f"{self.application_id or 0}:{scope}"[:40]
        async with self.db.session() as session:
            state = await session.get(CommandSyncState, key)
        if state is not None and state.tree_hash == digest and not force:
            log.info("command tree unchanged (%s), not syncing", digest[:12])
            return False
        await self.tree.sync(guild=guild)
        async with self.db.transaction() as session:
            state = await session.get(CommandSyncState, key)
            if state is None:
                session.add(CommandSyncState(scope=key, tree_hash=digest))
            else:
                state.tree_hash = digest
                state.synced_at = self.clock.now()
        self.synced_scopes.append(scope)
        log.info("command tree synced (%s, %d commands)", scope, len(payload))
        return True

    # ---- shared services for capabilities --------------------------------------------
    async def resolve_channel(self, channel_id: int) -> Any:
        """A channel from cache or API; None if it no longer exists."""
        channel = self.get_channel(channel_id)
        if channel is not None:
            return channel
        try:
            return await self.fetch_channel(channel_id)
        except discord.NotFound:
            return None

    async def audit(
        self,
        guild_id: int,
        *,
        actor_id: int | None,
        action: str,
        target: str = "",
        structure_id: int | None = None,
        details: dict[str, Any] | None = None,
        session: Any = None,
    ) -> None:
        """Record a privileged action; mirrored in the audit channel when one is configured."""
        entry = AuditEntry(
            guild_id=guild_id,
            actor_id=actor_id,
            action=action,
            target=target[:200],
            structure_id=structure_id,
            details=details or {},
            at=self.clock.now(),
        )
        if session is not None:
            session.add(entry)
        else:
            async with self.db.transaction() as own:
                own.add(entry)
        channel_id = await self.guild_config.get(guild_id, "channel.audit", session=session)
        if not channel_id:
            return
        channel = await self.resolve_channel(int(channel_id))
        if channel is None:
            return
        actor = f"<@{actor_id}>" if actor_id else t("core.audit.system", "fr")
        line = t("core.audit.line", "fr", actor=actor, action=action, target=target or "—")
        try:
            await channel.send(line, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.warning("audit channel %s unavailable: %s", channel_id, exc)

    async def coordinator_members(self, guild: discord.Guild) -> list[discord.Member]:
        from bot.permissions import is_coordinator

        found = []
        for member in guild.members:
            if not member.bot and await is_coordinator(self, member):
                found.append(member)
        return found

    async def notify_coordinators(
        self, guild_id: int, text: str, embed: discord.Embed | None = None
    ) -> bool:
        """Tell the coordinators: their channel if configured, else a DM to each (max 10).
        Returns whether at least one message went out."""
        mentions = discord.AllowedMentions.none()
        channel_id = await self.guild_config.get(guild_id, "channel.coordination")
        if channel_id:
            channel = await self.resolve_channel(int(channel_id))
            if channel is not None:
                try:
                    await channel.send(text, embed=embed, allowed_mentions=mentions)
                    return True
                except discord.HTTPException as exc:
                    log.warning("coordination channel unavailable: %s", exc)
        guild = self.get_guild(guild_id)
        if guild is None:
            return False
        sent = False
        for member in (await self.coordinator_members(guild))[:10]:
            try:
                await member.send(text, embed=embed, allowed_mentions=mentions)
                sent = True
            except discord.HTTPException:
                log.info("could not DM coordinator %s", member.id)
        return sent

    async def _report_delivery_failure(self, delivery: ScheduledDelivery, reason: str) -> None:
        text = t(
            "core.delivery.failed_report",
            "fr",
            delivery_id=delivery.id,
            kind=delivery.kind,
            reason=reason,
        )
        await self.notify_coordinators(delivery.guild_id, text)

    async def advance_clock(self, delta: timedelta) -> None:
        """Move the clock (tests, demo) and run what became due: planners then deliveries."""
        self.clock.advance(delta)
        await self.scheduler.run_planners()
        await self.scheduler.run_due()

    async def pending_deliveries(self, guild_id: int) -> list[ScheduledDelivery]:
        async with self.db.session() as session:
            return list(
                await session.scalars(
                    select(ScheduledDelivery)
                    .where(ScheduledDelivery.guild_id == guild_id)
                    .order_by(ScheduledDelivery.due_at)
                )
            )

    # ---- observability ---------------------------------------------------------------
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        self.metrics.commands.labels(command=command.qualified_name).inc()
        started = interaction.extras.get("started")
        if started is not None:
            self.metrics.command_latency.labels(command=command.qualified_name).observe(
                time.perf_counter() - started
            )

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        self.errors_seen += 1
        log.exception("unhandled error in %s", event_method)
