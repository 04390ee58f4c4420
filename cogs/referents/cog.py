"""/referent designer|suppleant|retirer|liste|synchroniser, and the reconciliation of
Discord roles with the database (startup, member join/leave, role deletion)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AiguillageBot
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import coordinator_only, member_only
from bot.roles import RoleChangeRefused, change_role, create_role, role_problem
from cogs.referents import assignments
from cogs.referents.errors import ReferentError
from cogs.referents.reconcile import (
    DEFAULT_ROLE_PATTERN,
    StructureRoleState,
    plan_reconciliation,
    structure_role_name,
)
from cogs.referents.render import overview_embeds, reconcile_report
from db.models.structures import ReferentRank
from db.network import active_structures, rank_structures

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()


def declare_settings(bot: AiguillageBot) -> None:
    config = bot.guild_config
    config.declare(
        "referents.max_titulars",
        "int",
        "Nombre maximum de référents titulaires par structure",
        default=1,
        label_en="Maximum titular referents per structure",
    )
    config.declare(
        "referents.max_deputies",
        "int",
        "Nombre maximum de suppléants par structure",
        default=1,
        label_en="Maximum deputies per structure",
    )
    config.declare(
        "referents.role_pattern",
        "text",
        "Nom des rôles de structure ({structure} = nom de la structure)",
        default=DEFAULT_ROLE_PATTERN,
        label_en="Structure role name pattern ({structure} = structure name)",
    )


def role_refusal(exc: RoleChangeRefused) -> UserError:
    return UserError(f"referents.role_{exc.problem}", **exc.message_kwargs())


class ReferentsCog(commands.Cog):
    referent = app_commands.Group(
        name="referent", description="Référents des structures du réseau", guild_only=True
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Set once the startup reconciliation is over (tests and the demo wait on it).
        self.startup_done = asyncio.Event()

    # ---- autocomplete ----------------------------------------------------------------
    async def structure_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.session() as session:
            structures = await active_structures(session, interaction.guild_id)
        return [
            app_commands.Choice(name=f"{s.display_name} ({s.commune})"[:100], value=s.id)
            for s in rank_structures(structures, current)
        ]

    # ---- commands --------------------------------------------------------------------
    @referent.command(
        name="designer", description="Désigner le ou la référent·e titulaire d'une structure"
    )
    @app_commands.describe(
        membre="Le membre à désigner", structure="La structure qu'il ou elle représente"
    )
    @app_commands.autocomplete(structure=structure_autocomplete)
    @coordinator_only()
    async def designate(
        self, interaction: discord.Interaction, membre: discord.Member, structure: int
    ) -> None:
        await self._assign(interaction, membre, structure, ReferentRank.TITULAR)

    @referent.command(name="suppleant", description="Désigner un·e suppléant·e pour une structure")
    @app_commands.describe(
        membre="Le membre à désigner", structure="La structure qu'il ou elle représente"
    )
    @app_commands.autocomplete(structure=structure_autocomplete)
    @coordinator_only()
    async def deputy(
        self, interaction: discord.Interaction, membre: discord.Member, structure: int
    ) -> None:
        await self._assign(interaction, membre, structure, ReferentRank.DEPUTY)

    @referent.command(name="retirer", description="Retirer un·e référent·e d'une structure")
    @app_commands.describe(membre="Le membre à retirer", structure="La structure concernée")
    @app_commands.autocomplete(structure=structure_autocomplete)
    @coordinator_only()
    async def remove(
        self, interaction: discord.Interaction, membre: discord.Member, structure: int
    ) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = interaction.guild
        async with self._locks[guild.id]:
            try:
                async with self.bot.db.transaction() as session:
                    removed = await assignments.remove(
                        session, guild_id=guild.id, structure_id=structure, user_id=membre.id
                    )
                    await self.bot.audit(
                        guild.id,
                        actor_id=interaction.user.id,
                        action="referent.remove",
                        target=f"user:{membre.id}",
                        structure_id=structure,
                        details={"rank": removed.rank, "structure": removed.structure_name},
                        session=session,
                    )
                    rows = await assignments.overview(session, guild.id)
            except ReferentError as exc:
                raise UserError(exc.key, **exc.kwargs) from exc
            warning = await self._apply_member_roles(guild, membre, rows)
        entry = next((r for r in rows if r.structure_id == structure), None)
        text = t(
            "referents.removed", locale, member=membre.mention, structure=removed.structure_name
        )
        if entry is not None and entry.uncovered:
            text += "\n" + t("referents.now_uncovered", locale, structure=removed.structure_name)
        if warning:
            text += "\n" + warning
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    @referent.command(
        name="liste", description="Qui représente quelle structure, et les structures sans référent"
    )
    @member_only()
    async def list_referents(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        async with self.bot.db.session() as session:
            rows = await assignments.overview(session, interaction.guild.id)
        await interaction.response.send_message(
            embeds=overview_embeds(rows, locale_of(interaction)),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @referent.command(
        name="synchroniser", description="Remettre les rôles Discord en accord avec la base"
    )
    @coordinator_only()
    async def synchronise(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.reconcile_guild(interaction.guild, notify=False)
        await interaction.followup.send(
            report or t("referents.in_sync", locale_of(interaction)),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    # ---- designation -----------------------------------------------------------------
    async def _assign(
        self, interaction: discord.Interaction, member: discord.Member, structure_id: int, rank: str
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        locale = locale_of(interaction)
        if member.bot:
            raise UserError("referents.bot_member")
        # Refuse before changing anything when Discord would refuse the roles anyway.
        await self._precheck_roles(guild, structure_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._locks[guild.id]:
            try:
                async with self.bot.db.transaction() as session:
                    designation = await assignments.designate(
                        session,
                        guild_id=guild.id,
                        structure_id=structure_id,
                        user_id=member.id,
                        rank=rank,
                        actor_id=interaction.user.id,
                        now=self.bot.clock.now(),
                        max_titulars=int(
                            await self.bot.guild_config.get(guild.id, "referents.max_titulars") or 1
                        ),
                        max_deputies=int(
                            await self.bot.guild_config.get(guild.id, "referents.max_deputies") or 1
                        ),
                    )
                    await self.bot.audit(
                        guild.id,
                        actor_id=interaction.user.id,
                        action="referent.designate"
                        if rank == ReferentRank.TITULAR
                        else "referent.deputy",
                        target=f"user:{member.id}",
                        structure_id=structure_id,
                        details={
                            "rank": rank,
                            "previous_rank": designation.previous_rank,
                            "structure": designation.structure_name,
                        },
                        session=session,
                    )
                    rows = await assignments.overview(session, guild.id)
            except ReferentError as exc:
                raise UserError(exc.key, **exc.kwargs) from exc
            warning = await self._apply_member_roles(guild, member, rows)
        key = (
            "referents.designated"
            if rank == ReferentRank.TITULAR
            else "referents.deputy_designated"
        )
        text = t(key, locale, member=member.mention, structure=designation.structure_name)
        if warning:
            text += "\n" + warning
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)

    async def _precheck_roles(self, guild: discord.Guild, structure_id: int) -> None:
        roles: list[discord.Role] = []
        global_role_id = await self.bot.guild_config.get(guild.id, "role.referent")
        if global_role_id and (role := guild.get_role(int(global_role_id))) is not None:
            roles.append(role)
        async with self.bot.db.session() as session:
            structures = {s.id: s for s in await active_structures(session, guild.id)}
        structure = structures.get(structure_id)
        if structure is None:
            raise UserError("referents.unknown_structure")
        if structure.discord_role_id and (role := guild.get_role(structure.discord_role_id)):
            roles.append(role)
        elif guild.me is not None and not guild.me.guild_permissions.manage_roles:
            raise UserError(
                "referents.role_manage_roles",
                role=structure_role_name(await self._pattern(guild.id), structure.display_name),
                bot_role=guild.me.top_role.name,
            )
        for role in roles:
            problem = role_problem(guild, role)
            if problem is not None:
                raise role_refusal(problem)

    async def _pattern(self, guild_id: int) -> str:
        return str(
            await self.bot.guild_config.get(guild_id, "referents.role_pattern")
            or DEFAULT_ROLE_PATTERN
        )

    async def _apply_member_roles(
        self,
        guild: discord.Guild,
        member: discord.Member,
        rows: list[assignments.StructureReferents],
    ) -> str | None:
        """Give/take this member's managed roles to match the database; a warning (the
        database stays the truth, reconciliation retries) when Discord refuses."""
        try:
            await self._ensure_structure_roles(guild, rows)
            wanted: set[int] = set()
            managed: set[int] = set()
            for row in rows:
                if row.role_id:
                    managed.add(row.role_id)
                    if member.id in row.titulars or member.id in row.deputies:
                        wanted.add(row.role_id)
            global_role_id = await self.bot.guild_config.get(guild.id, "role.referent")
            if global_role_id:
                managed.add(int(global_role_id))
                if any(member.id in r.titulars or member.id in r.deputies for r in rows):
                    wanted.add(int(global_role_id))
            for role_id in sorted(managed):
                role = guild.get_role(role_id)
                if role is not None:
                    await change_role(
                        member, role, add=role_id in wanted, reason="Aiguillage: référents"
                    )
        except RoleChangeRefused as exc:
            return (
                t(f"referents.role_{exc.problem}", "fr", **exc.message_kwargs())
                + " "
                + t("referents.saved_anyway", "fr")
            )
        return None

    async def _ensure_structure_roles(
        self, guild: discord.Guild, rows: list[assignments.StructureReferents]
    ) -> list[str]:
        """Create the missing role of each structure that has referents; names created."""
        created: list[str] = []
        pattern = await self._pattern(guild.id)
        for row in rows:
            if row.uncovered or (row.role_id and guild.get_role(row.role_id) is not None):
                continue
            role = await create_role(
                guild,
                structure_role_name(pattern, row.name),
                reason="Aiguillage: rôle de structure",
            )
            async with self.bot.db.transaction() as session:
                await assignments.set_structure_role(
                    session, guild_id=guild.id, structure_id=row.structure_id, role_id=role.id
                )
            row.role_id = role.id
            created.append(role.name)
        return created

    # ---- reconciliation --------------------------------------------------------------
    async def reconcile_guild(self, guild: discord.Guild, *, notify: bool = True) -> str | None:
        """Make Discord roles match the database; returns (and sends to coordinators when
        ``notify``) a report of what was repaired or could not be."""
        async with self._locks[guild.id]:
            return await self._reconcile(guild, notify)

    async def _reconcile(self, guild: discord.Guild, notify: bool) -> str | None:
        members = {m.id: m for m in guild.members if not m.bot}
        global_role_id = await self.bot.guild_config.get(guild.id, "role.referent")
        global_role_id = int(global_role_id) if global_role_id else None
        async with self.bot.db.session() as session:
            rows = await assignments.overview(session, guild.id)

        def plan():  # type: ignore[no-untyped-def]
            return plan_reconciliation(
                structures=[
                    StructureRoleState(
                        r.structure_id, r.name, r.role_id, frozenset(r.titulars + r.deputies)
                    )
                    for r in rows
                ],
                global_role_id=global_role_id,
                guild_role_ids={role.id for role in guild.roles},
                member_roles={uid: {role.id for role in m.roles} for uid, m in members.items()},
            )

        first = plan()
        departed_lines: list[str] = []
        for user_id in first.departed:
            departed_lines.extend(await self._unassign(guild.id, user_id, actor_id=None))
        if first.departed:
            async with self.bot.db.session() as session:
                rows = await assignments.overview(session, guild.id)
        failures: list[str] = []
        created: list[str] = []
        try:
            created = await self._ensure_structure_roles(guild, rows)
        except RoleChangeRefused as exc:
            failures.append(t(f"referents.role_{exc.problem}", "fr", **exc.message_kwargs()))
        repaired = plan()
        done_grants, done_revokes = [], []
        for user_id, role_id in repaired.grants + repaired.revokes:
            add = (user_id, role_id) in repaired.grants
            role, member = guild.get_role(role_id), members.get(user_id)
            if role is None or member is None:
                continue
            try:
                await change_role(
                    member, role, add=add, reason="Aiguillage: réconciliation des référents"
                )
                (done_grants if add else done_revokes).append((user_id, role_id))
            except RoleChangeRefused as exc:
                message = t(f"referents.role_{exc.problem}", "fr", **exc.message_kwargs())
                if message not in failures:
                    failures.append(message)
        repaired.grants, repaired.revokes = done_grants, done_revokes
        if done_revokes:
            await self.bot.audit(
                guild.id,
                actor_id=None,
                action="referent.role_drift",
                target=f"{len(done_revokes)} rôle(s) retiré(s)",
                details={"revoked": [[u, r] for u, r in done_revokes]},
            )
        report = reconcile_report(
            repaired,
            created=created,
            departed_lines=departed_lines,
            failures=failures,
            global_role_missing=repaired.global_role_missing,
        )
        if report and notify:
            await self.bot.notify_coordinators(guild.id, report)
        return report

    async def _unassign(self, guild_id: int, user_id: int, actor_id: int | None) -> list[str]:
        async with self.bot.db.transaction() as session:
            departures = await assignments.unassign_departed(
                session, guild_id=guild_id, user_id=user_id
            )
            for departure in departures:
                await self.bot.audit(
                    guild_id,
                    actor_id=actor_id,
                    action="referent.departed",
                    target=f"user:{user_id}",
                    structure_id=departure.structure_id,
                    details={"rank": departure.rank, "structure": departure.structure_name},
                    session=session,
                )
        lines = []
        for departure in departures:
            key = "referents.departed_uncovered" if departure.uncovered else "referents.departed"
            lines.append(t(key, "fr", member=f"<@{user_id}>", structure=departure.structure_name))
        return lines

    # ---- listeners -------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in self.bot.guilds:
            try:
                await self.reconcile_guild(guild)
            except Exception:
                log.exception("referent reconciliation failed for guild %s", guild.id)
        self.startup_done.set()

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if not member.bot:
            await self.reconcile_guild(member.guild)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        async with self._locks[payload.guild_id]:
            lines = await self._unassign(payload.guild_id, payload.user.id, actor_id=None)
        if lines:
            await self.bot.notify_coordinators(
                payload.guild_id,
                t("referents.report_title", "fr") + "\n" + "\n".join(f"• {x}" for x in lines),
            )

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        guild = role.guild
        async with self.bot.db.transaction() as session:
            structure_ids = await assignments.forget_role(
                session, guild_id=guild.id, role_id=role.id
            )
        global_role_id = await self.bot.guild_config.get(guild.id, "role.referent")
        if structure_ids:
            await self.bot.audit(
                guild.id,
                actor_id=None,
                action="referent.role_deleted",
                target=f"role:{role.name}",
                structure_id=structure_ids[0],
                details={"role_id": role.id},
            )
            await self.reconcile_guild(guild)
        elif global_role_id and int(global_role_id) == role.id:
            await self.bot.notify_coordinators(
                guild.id, t("referents.global_role_deleted", "fr", role=role.name)
            )
