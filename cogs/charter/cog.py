"""/charte voir|publier|suivi, the persistent acceptance button, the "Charte acceptée"
gate role and the reminders sent to members who have not accepted the current version."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AiguillageBot
from bot.clock import PARIS
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import coordinator_only, open_to_all
from bot.roles import RoleChangeRefused, change_role, role_problem
from cogs.charter import tracking, versions
from cogs.charter.errors import CharterError
from cogs.charter.extract import MAX_BYTES, extract_text
from cogs.charter.render import announcement_embed, charter_pages, tracking_embed
from cogs.charter.views import AcceptButton, CharterPages, accept_view
from db.models.charter import CharterVersion
from db.models.core import ScheduledDelivery
from db.models.documents import DocumentOrigin
from db.network import active_structures, member_structure_id, member_structures

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()
REMINDER_KIND = "charter.reminder"
DEFAULT_REMINDER_DAYS = "3,7,14"


def declare_settings(bot: AiguillageBot) -> None:
    bot.guild_config.declare(
        "charter.reminder_days",
        "text",
        "Relances de la charte : jours après publication (ex. 3,7,14)",
        default=DEFAULT_REMINDER_DAYS,
        label_en="Charter reminders: days after publication (e.g. 3,7,14)",
    )
    bot.guild_config.declare(
        "charter.channel",
        "channel",
        "Salon où annoncer une nouvelle version de la charte (sinon : premier salon d'annonces)",
        label_en="Channel announcing new charter versions (default: first announcement channel)",
    )


class CharterCog(commands.Cog):
    charte = app_commands.Group(name="charte", description="La charte du réseau", guild_only=True)

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        self.startup_done = asyncio.Event()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AcceptButton)
        self.bot.scheduler.register_handler(REMINDER_KIND, self.send_reminders)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AcceptButton)

    # ---- who is concerned -------------------------------------------------------------
    async def _role(self, guild: discord.Guild, key: str) -> discord.Role | None:
        role_id = await self.bot.guild_config.get(guild.id, key)
        return guild.get_role(int(role_id)) if role_id else None

    async def network_members(self, guild: discord.Guild) -> list[discord.Member]:
        """Members the charter concerns: approved members (the member role), or everybody
        when no member role is configured."""
        member_role = await self._role(guild, "role.member")
        members = [m for m in guild.members if not m.bot]
        if member_role is None:
            return members
        return [m for m in members if member_role in m.roles]

    # ---- /charte voir ------------------------------------------------------------------
    @charte.command(name="voir", description="Lire la charte en vigueur et l'accepter")
    @open_to_all()
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            version = await versions.current_version(session, interaction.guild.id)
            accepted = (
                await versions.acceptances(session, interaction.guild.id, version.id)
                if version
                else {}
            )
        if version is None:
            raise UserError("charter.none_yet")
        mine = accepted.get(interaction.user.id)
        when = mine.accepted_at.astimezone(PARIS).strftime("%d/%m/%Y") if mine else None
        embeds = charter_pages(version, locale, when)
        accept = (
            None
            if mine
            else AcceptButton(interaction.guild.id, version.id, t("charter.accept_button", locale))
        )
        files: list[discord.File] = []
        if version.sha256 and version.filename:
            # The bot's own copy, re-sent each time: no link that expires.
            data = await self.bot.storage.get(version.sha256)
            files.append(discord.File(io.BytesIO(data), filename=version.filename))
        await interaction.response.send_message(
            embed=embeds[0],
            files=files,
            view=CharterPages(embeds, accept, interaction.user.id),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    # ---- acceptance ------------------------------------------------------------------
    async def accept(
        self, interaction: discord.Interaction, guild_id: int, version_id: int
    ) -> None:
        locale = locale_of(interaction)
        guild = self.bot.get_guild(guild_id)
        if guild is None or (interaction.guild_id is not None and interaction.guild_id != guild_id):
            raise UserError("charter.unknown_version")
        user_id = interaction.user.id  # the clicker: an acceptance cannot be made for another
        async with self.bot.db.transaction() as session:
            structure_id = await member_structure_id(session, guild_id, user_id)
            try:
                result = await versions.accept(
                    session,
                    guild_id=guild_id,
                    version_id=version_id,
                    user_id=user_id,
                    structure_id=structure_id,
                    interaction_id=interaction.id,
                    now=self.bot.clock.now(),
                )
            except CharterError as exc:
                raise UserError(exc.key, **exc.kwargs) from exc
            if result.created:
                await self.bot.audit(
                    guild_id,
                    actor_id=user_id,
                    action="charter.accept",
                    target=f"version:{result.version.label}",
                    structure_id=structure_id,
                    details={"interaction": interaction.id},
                    session=session,
                )
        warning = ""
        member = guild.get_member(user_id)
        gate = await self._role(guild, "role.charter")
        if member is not None and gate is not None:
            try:
                await change_role(member, gate, add=True, reason="Aiguillage: charte acceptée")
            except RoleChangeRefused as exc:
                warning = "\n" + t(f"charter.role_{exc.problem}", locale, **exc.message_kwargs())
                await self.bot.notify_coordinators(
                    guild_id, t(f"charter.role_{exc.problem}", "fr", **exc.message_kwargs())
                )
        key = "charter.accepted" if result.created else "charter.already_accepted"
        await interaction.response.send_message(
            t(key, locale, label=result.version.label) + warning,
            ephemeral=True,
            allowed_mentions=NONE,
        )

    # ---- /charte publier ---------------------------------------------------------------
    @charte.command(
        name="publier", description="Publier une nouvelle version de la charte (coordinateurs)"
    )
    @app_commands.describe(
        fichier="Le texte de la charte : PDF, DOCX, Markdown ou texte",
        version="Nom de la version (ex. v2, 2026-09)",
        resume="Ce qui change par rapport à la version précédente",
    )
    @coordinator_only()
    async def publish(
        self,
        interaction: discord.Interaction,
        fichier: discord.Attachment,
        version: app_commands.Range[str, 1, 50],
        resume: app_commands.Range[str, 0, 1000] = "",
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        locale = locale_of(interaction)
        if fichier.size > MAX_BYTES:
            raise UserError("charter.too_big", max_mb=MAX_BYTES // (1024 * 1024))
        gate = await self._role(guild, "role.charter")
        if gate is not None and (problem := role_problem(guild, gate)) is not None:
            # The gate role must follow the new version: refuse before anything changes.
            raise UserError(f"charter.role_{problem.problem}", **problem.message_kwargs())
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await fichier.read()
        try:
            text = await asyncio.to_thread(extract_text, fichier.filename, data)
        except CharterError as exc:
            raise UserError(exc.key, **exc.kwargs) from exc
        now = self.bot.clock.now()
        days = versions.parse_reminder_days(
            await self.bot.guild_config.get(guild.id, "charter.reminder_days")
            or DEFAULT_REMINDER_DAYS
        )
        async with self.bot.db.transaction() as session:
            document = await self.bot.documents.add(
                guild_id=guild.id,
                title=f"Charte du réseau — {version}",
                data=data,
                filename=fichier.filename,
                category="Charte",
                tags=["charte"],
                origin=DocumentOrigin.CHARTER,
                owner_id=interaction.user.id,
                description=resume,
                text=text,
                session=session,
            )
            try:
                published = await versions.publish(
                    session,
                    guild_id=guild.id,
                    label=version,
                    summary=resume,
                    text=text,
                    document_id=document.id,
                    sha256=document.current.sha256 if document.current else None,
                    filename=fichier.filename,
                    actor_id=interaction.user.id,
                    now=now,
                )
            except CharterError as exc:
                raise UserError(exc.key, **exc.kwargs) from exc
            # Reminders of older versions are pointless now.
            await self.bot.scheduler.cancel(session, guild.id, dedupe_prefix="charter:")
            for day, due_at in versions.reminder_due_dates(published.published_at, days):
                await self.bot.scheduler.schedule(
                    session,
                    guild_id=guild.id,
                    kind=REMINDER_KIND,
                    due_at=due_at,
                    payload={"version_id": published.id, "day": day},
                    dedupe_key=f"charter:{published.id}:reminder:{day}",
                    created_by=interaction.user.id,
                )
            await self.bot.audit(
                guild.id,
                actor_id=interaction.user.id,
                action="charter.publish",
                target=f"version:{published.label}",
                details={
                    "document_id": document.id,
                    "filename": fichier.filename,
                    "reminders": days,
                },
                session=session,
            )
        withdrawn, failure = await self._withdraw_gate_role(guild, gate)
        announced = await self._announce(guild, published)
        text_reply = t(
            "charter.published",
            locale,
            label=published.label,
            withdrawn=withdrawn,
            reminders=", ".join(f"J+{d}" for d in days) or "-",
        )
        if not announced:
            text_reply += "\n" + t("charter.not_announced", locale)
        if failure:
            text_reply += "\n" + failure
        await interaction.followup.send(text_reply, ephemeral=True, allowed_mentions=NONE)

    async def _withdraw_gate_role(
        self, guild: discord.Guild, gate: discord.Role | None
    ) -> tuple[int, str]:
        """Everybody must accept the new version: the gate role goes until they do."""
        if gate is None:
            return 0, ""
        withdrawn = 0
        for member in list(gate.members):
            try:
                if await change_role(
                    member, gate, add=False, reason="Aiguillage: nouvelle version de la charte"
                ):
                    withdrawn += 1
            except RoleChangeRefused as exc:
                return withdrawn, t(f"charter.role_{exc.problem}", "fr", **exc.message_kwargs())
        return withdrawn, ""

    async def _announce(self, guild: discord.Guild, version: CharterVersion) -> bool:
        channel_id = await self.bot.guild_config.get(guild.id, "charter.channel")
        if not channel_id:
            channels = await self.bot.guild_config.get(guild.id, "channel.announcements") or []
            channel_id = (
                channels[0]
                if channels
                else await self.bot.guild_config.get(guild.id, "channel.coordination")
            )
        channel = await self.bot.resolve_channel(int(channel_id)) if channel_id else None
        if channel is None:
            return False
        try:
            await channel.send(
                embed=announcement_embed(version),
                view=accept_view(guild.id, version.id, t("charter.accept_button", "fr")),
                allowed_mentions=NONE,
            )
        except discord.HTTPException as exc:
            log.warning("could not announce charter version %s: %s", version.id, exc)
            return False
        return True

    # ---- /charte suivi -----------------------------------------------------------------
    @charte.command(
        name="suivi",
        description="Qui a accepté la charte en vigueur, par membre et par structure (CSV)",
    )
    @coordinator_only()
    async def follow_up(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.build_tracking(guild)
        if result is None:
            raise UserError("charter.none_yet")
        csv_text = tracking.tracking_csv(result)
        file = discord.File(
            io.BytesIO(("\ufeff" + csv_text).encode()),
            filename=f"charte-{result.version_label}-suivi.csv",
        )
        await interaction.followup.send(
            embed=tracking_embed(result, locale), file=file, ephemeral=True, allowed_mentions=NONE
        )

    async def build_tracking(self, guild: discord.Guild) -> tracking.Tracking | None:
        members = await self.network_members(guild)
        async with self.bot.db.session() as session:
            version = await versions.current_version(session, guild.id)
            if version is None:
                return None
            accepted = await versions.acceptances(session, guild.id, version.id)
            structures = await member_structures(session, guild.id)
            names = {s.id: s.display_name for s in await active_structures(session, guild.id)}
        return tracking.build_tracking(
            version_label=version.label,
            members={m.id: m.display_name for m in members},
            member_structure=structures,
            structure_names=names,
            accepted_at={uid: a.accepted_at for uid, a in accepted.items()},
        )

    # ---- reminders (scheduled delivery) ------------------------------------------------
    async def send_reminders(self, bot: Any, delivery: ScheduledDelivery) -> dict[str, Any]:
        guild = self.bot.get_guild(delivery.guild_id)
        if guild is None:
            return {"skipped": "guild unavailable"}
        version_id = int(delivery.payload["version_id"])
        async with self.bot.db.session() as session:
            current = await versions.current_version(session, guild.id)
            if current is None or current.id != version_id:
                return {"skipped": "outdated version"}
            accepted = await versions.accepted_user_ids(session, guild.id, current.id)
        reminded, unreachable = 0, []
        for member in await self.network_members(guild):
            if member.id in accepted:
                continue
            try:
                await member.send(
                    t("charter.reminder", "fr", label=current.label, server=guild.name),
                    embed=announcement_embed(current),
                    view=accept_view(guild.id, current.id, t("charter.accept_button", "fr")),
                    allowed_mentions=NONE,
                )
                reminded += 1
            except discord.HTTPException:
                unreachable.append(member.id)
        if unreachable:
            await self.bot.notify_coordinators(
                guild.id,
                t(
                    "charter.reminder_unreachable",
                    "fr",
                    label=current.label,
                    members=" ".join(f"<@{uid}>" for uid in unreachable[:40]),
                ),
            )
        return {
            "reminded": reminded,
            "unreachable": len(unreachable),
            "day": delivery.payload.get("day"),
        }

    # ---- the gate role follows the database ------------------------------------------------
    async def reconcile_gate(self, guild: discord.Guild) -> None:
        gate = await self._role(guild, "role.charter")
        if gate is None:
            return
        async with self.bot.db.session() as session:
            version = await versions.current_version(session, guild.id)
            accepted = (
                await versions.accepted_user_ids(session, guild.id, version.id)
                if version
                else set()
            )
        if version is None:
            return  # no charter yet: the role is managed by hand
        present = {m.id for m in guild.members if not m.bot}
        grant, revoke = versions.plan_gate_role(
            holders={m.id for m in gate.members}, accepted=accepted, present=present
        )
        try:
            for user_id, add in [(u, True) for u in grant] + [(u, False) for u in revoke]:
                member = guild.get_member(user_id)
                if member is not None:
                    await change_role(member, gate, add=add, reason="Aiguillage: charte")
        except RoleChangeRefused as exc:
            await self.bot.notify_coordinators(
                guild.id, t(f"charter.role_{exc.problem}", "fr", **exc.message_kwargs())
            )

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in self.bot.guilds:
            try:
                await self.reconcile_gate(guild)
            except Exception:
                log.exception("charter gate reconciliation failed for guild %s", guild.id)
        self.startup_done.set()

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        gate = await self._role(member.guild, "role.charter")
        if gate is None:
            return
        async with self.bot.db.session() as session:
            accepted = await versions.has_accepted_current(session, member.guild.id, member.id)
        if accepted:
            try:
                await change_role(member, gate, add=True, reason="Aiguillage: charte déjà acceptée")
            except RoleChangeRefused as exc:
                log.warning("charter gate role refused on join: %s", exc.problem)
