"""Members' onboarding: a newcomer picks a structure and accepts the charter; a coordinator
or that structure's referent approves (persistent buttons) or refuses with a reason; only
then does the member get the "Membre du réseau" role."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.client import AiguillageBot
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import is_coordinator, open_to_all, referent_or_coordinator
from bot.roles import RoleChangeRefused, change_role, role_problem
from cogs.onboarding import requests
from cogs.onboarding.errors import OnboardingError
from cogs.onboarding.render import charter_embed, request_embed
from cogs.onboarding.views import (
    DYNAMIC_ITEMS,
    DecisionButton,
    RefusalModal,
    StructureSearchModal,
    decision_view,
    request_view,
    select_view,
    start_view,
)
from db.models.charter import CharterAcceptance, CharterVersion
from db.models.onboarding import OnboardingRequest, OnboardingStatus
from db.models.structures import Referent
from db.network import (
    active_structures,
    current_charter_version,
    get_structure,
    rank_structures,
    record_charter_acceptance,
    referent_structure_ids,
)

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()


def declare_settings(bot: AiguillageBot) -> None:
    bot.guild_config.declare(
        "onboarding.review_channel",
        "channel",
        "Salon où arrivent les demandes d'inscription (sinon : salon de la coordination)",
        label_en="Channel for membership requests (default: coordination channel)",
    )


class OnboardingCog(commands.Cog):
    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # ---- helpers ---------------------------------------------------------------------
    async def _config_role(self, guild: discord.Guild, key: str) -> discord.Role | None:
        role_id = await self.bot.guild_config.get(guild.id, key)
        return guild.get_role(int(role_id)) if role_id else None

    async def _review_channel(self, guild_id: int) -> discord.abc.Messageable | None:
        for key in ("onboarding.review_channel", "channel.coordination"):
            channel_id = await self.bot.guild_config.get(guild_id, key)
            if channel_id:
                channel = await self.bot.resolve_channel(int(channel_id))
                if channel is not None:
                    return channel  # type: ignore[no-any-return]
        return None

    def _guild(self, interaction: discord.Interaction) -> discord.Guild:
        if interaction.guild is None:
            raise UserError("core.refused.guild_only")
        return interaction.guild

    # ---- newcomer's path -------------------------------------------------------------
    @app_commands.command(
        name="inscription",
        description="Rejoindre le réseau : choisir sa structure et accepter la charte",
    )
    @app_commands.describe(structure="Votre structure (tapez son nom ou sa commune)")
    @app_commands.guild_only()
    @open_to_all()
    async def register(self, interaction: discord.Interaction, structure: int) -> None:
        await self.show_charter(interaction, structure, edit=False)

    @register.autocomplete("structure")
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

    async def open_search(self, interaction: discord.Interaction) -> None:
        locale = locale_of(interaction)
        await interaction.response.send_modal(
            StructureSearchModal(
                t("onboarding.search_title", locale),
                t("onboarding.search_label", locale),
                t("onboarding.search_placeholder", locale),
            )
        )

    async def show_matches(self, interaction: discord.Interaction, query: str) -> None:
        guild = self._guild(interaction)
        locale = locale_of(interaction)
        async with self.bot.db.session() as session:
            matches = rank_structures(await active_structures(session, guild.id), query)
        if not matches:
            raise UserError("onboarding.no_match", query=query[:80])
        options = [
            discord.SelectOption(
                label=s.display_name[:100], value=str(s.id), description=s.commune[:100]
            )
            for s in matches
        ]
        await interaction.response.send_message(
            t("onboarding.pick_structure", locale, count=len(matches)),
            view=select_view(options, t("onboarding.pick_placeholder", locale)),
            ephemeral=True,
            allowed_mentions=NONE,
        )

    async def show_charter(
        self, interaction: discord.Interaction, structure_id: int, *, edit: bool
    ) -> None:
        guild = self._guild(interaction)
        locale = locale_of(interaction)
        if await self._already_member(interaction.user):
            raise UserError("onboarding.already_member")
        async with self.bot.db.session() as session:
            structure = await get_structure(session, guild.id, structure_id)
            version = await current_charter_version(session, guild.id)
        if structure is None:
            raise UserError("onboarding.unknown_structure")
        label_key = "onboarding.accept_button" if version else "onboarding.request_button"
        kwargs = {
            "content": t("onboarding.read_then_accept", locale) if version else None,
            "embed": charter_embed(version, structure.display_name, locale),
            "view": request_view(
                structure.id, version.id if version else None, t(label_key, locale)[:80]
            ),
        }
        if edit:
            await interaction.response.edit_message(**kwargs, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(**kwargs, ephemeral=True, allowed_mentions=NONE)

    async def _already_member(self, user: discord.abc.User) -> bool:
        if not isinstance(user, discord.Member):
            return False
        role = await self._config_role(user.guild, "role.member")
        return role is not None and role in user.roles

    async def submit_request(
        self, interaction: discord.Interaction, structure_id: int, version_id: int | None
    ) -> None:
        guild = self._guild(interaction)
        locale = locale_of(interaction)
        user = interaction.user
        now = self.bot.clock.now()
        already_member = await self._already_member(user)
        async with self.bot.db.transaction() as session:
            current = await current_charter_version(session, guild.id)
            if (current.id if current else None) != version_id:
                # A new charter was published since the member read it: they must read it.
                raise UserError(
                    "onboarding.charter_changed", label=current.label if current else "-"
                )
            try:
                submission = await requests.submit(
                    session,
                    guild_id=guild.id,
                    user_id=user.id,
                    structure_id=structure_id,
                    charter_version_id=version_id,
                    already_member=already_member,
                    now=now,
                )
            except OnboardingError as exc:
                raise UserError(exc.key, **exc.kwargs) from exc
            if current is not None:
                _, created = await record_charter_acceptance(
                    session,
                    guild_id=guild.id,
                    version_id=current.id,
                    user_id=user.id,  # the clicker, never an id carried by the button
                    structure_id=structure_id,
                    interaction_id=interaction.id,
                    now=now,
                )
                if created:
                    await self.bot.audit(
                        guild.id,
                        actor_id=user.id,
                        action="charter.accept",
                        target=f"version:{current.label}",
                        structure_id=structure_id,
                        session=session,
                    )
            await self.bot.audit(
                guild.id,
                actor_id=user.id,
                action="onboarding.request",
                target=f"user:{user.id}",
                structure_id=structure_id,
                details={
                    "structure": submission.structure_name,
                    "charter": current.label if current else None,
                },
                session=session,
            )
            request = submission.request
            referent_ids = await self._structure_referents(session, guild.id, structure_id)
        await interaction.response.edit_message(
            content=t("onboarding.request_sent", locale, structure=submission.structure_name),
            embed=None,
            view=None,
            allowed_mentions=NONE,
        )
        if submission.replaced is not None:
            await self._refresh_review_message(submission.replaced, None)
        await self.post_for_review(guild, request, submission.structure_name, current, referent_ids)

    async def _structure_referents(
        self, session: AsyncSession, guild_id: int, structure_id: int
    ) -> list[int]:
        rows = await session.scalars(
            select(Referent.user_id).where(
                Referent.guild_id == guild_id,
                Referent.structure_id == structure_id,
                Referent.active.is_(True),
            )
        )
        return list(rows)

    async def post_for_review(
        self,
        guild: discord.Guild,
        request: OnboardingRequest,
        structure_name: str,
        version: CharterVersion | None,
        referent_ids: list[int],
    ) -> None:
        channel = await self._review_channel(guild.id)
        embed = request_embed(
            request, structure_name=structure_name, charter_label=version.label if version else None
        )
        if channel is None:
            await self.bot.notify_coordinators(
                guild.id,
                t("onboarding.no_review_channel", "fr", member=f"<@{request.user_id}>"),
                embed=embed,
            )
            return
        # Ping the structure's referents (they may decide), nobody else.
        mentions = " ".join(f"<@{uid}>" for uid in referent_ids)
        content = t("onboarding.review_ping", "fr", referents=mentions) if mentions else None
        try:
            message = await channel.send(
                content=content,
                embed=embed,
                view=decision_view(request.id),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(uid) for uid in referent_ids]
                ),
            )
        except discord.HTTPException as exc:
            log.warning("could not post onboarding request %s: %s", request.id, exc)
            await self.bot.notify_coordinators(
                guild.id,
                t("onboarding.no_review_channel", "fr", member=f"<@{request.user_id}>"),
                embed=embed,
            )
            return
        async with self.bot.db.transaction() as session:
            await requests.attach_message(
                session,
                guild_id=guild.id,
                request_id=request.id,
                channel_id=message.channel.id,
                message_id=message.id,
            )

    # ---- deciders --------------------------------------------------------------------
    async def _check_decider(
        self, interaction: discord.Interaction, request_id: int
    ) -> OnboardingRequest:
        guild = self._guild(interaction)
        coordinator = await is_coordinator(self.bot, interaction.user)
        async with self.bot.db.session() as session:
            try:
                request = await requests.get_request(session, guild.id, request_id)
                allowed = await requests.may_decide(
                    session, request, actor_id=interaction.user.id, actor_is_coordinator=coordinator
                )
            except OnboardingError as exc:
                raise UserError(exc.key, **exc.kwargs) from exc
        if not allowed:
            raise UserError("onboarding.not_allowed")
        return request

    async def approve(self, interaction: discord.Interaction, request_id: int) -> None:
        guild = self._guild(interaction)
        request = await self._check_decider(interaction, request_id)
        member = guild.get_member(request.user_id)
        if member is None and request.status == OnboardingStatus.PENDING:
            raise UserError("onboarding.member_gone")
        # Discord must accept the roles before anything is recorded.
        member_role = await self._config_role(guild, "role.member")
        charter_role = await self._config_role(guild, "role.charter")
        for role in (member_role, charter_role):
            if role is not None and (problem := role_problem(guild, role)) is not None:
                raise UserError(f"onboarding.role_{problem.problem}", **problem.message_kwargs())
        await interaction.response.defer(ephemeral=True, thinking=True)
        decided = await self._decide(interaction, request_id, approve=True, reason="")
        assert member is not None
        warning = ""
        try:
            if member_role is not None:
                await change_role(
                    member, member_role, add=True, reason="Aiguillage: inscription validée"
                )
            if charter_role is not None and await self._accepted_current(guild.id, member.id):
                await change_role(
                    member, charter_role, add=True, reason="Aiguillage: charte acceptée"
                )
        except RoleChangeRefused as exc:
            warning = "\n" + t(f"onboarding.role_{exc.problem}", "fr", **exc.message_kwargs())
        await self._refresh_review_message(decided, interaction)
        await self._dm(
            member,
            "onboarding.dm_approved",
            structure=await self._structure_name(guild.id, decided),
        )
        text = t("onboarding.approved", locale_of(interaction), member=member.mention)
        if member_role is None:
            text += "\n" + t("onboarding.member_role_missing", locale_of(interaction))
        await interaction.followup.send(text + warning, ephemeral=True, allowed_mentions=NONE)

    async def ask_refusal_reason(self, interaction: discord.Interaction, request_id: int) -> None:
        request = await self._check_decider(interaction, request_id)
        if request.status != OnboardingStatus.PENDING:
            raise UserError(
                "onboarding.already_decided", status=request.status, by=f"<@{request.decided_by}>"
            )
        locale = locale_of(interaction)
        await interaction.response.send_modal(
            RefusalModal(
                request_id,
                t("onboarding.refuse_title", locale),
                t("onboarding.refuse_label", locale),
            )
        )

    async def refuse(self, interaction: discord.Interaction, request_id: int, reason: str) -> None:
        guild = self._guild(interaction)
        await self._check_decider(interaction, request_id)
        decided = await self._decide(interaction, request_id, approve=False, reason=reason)
        await interaction.response.send_message(
            t("onboarding.refused", locale_of(interaction), member=f"<@{decided.user_id}>"),
            ephemeral=True,
            allowed_mentions=NONE,
        )
        await self._refresh_review_message(decided, None)
        member = guild.get_member(decided.user_id)
        if member is not None:
            await self._dm(member, "onboarding.dm_refused", reason=decided.reason)

    async def _decide(
        self, interaction: discord.Interaction, request_id: int, *, approve: bool, reason: str
    ) -> OnboardingRequest:
        guild = self._guild(interaction)
        coordinator = await is_coordinator(self.bot, interaction.user)
        try:
            async with self.bot.db.transaction() as session:
                decided = await requests.decide(
                    session,
                    guild_id=guild.id,
                    request_id=request_id,
                    actor_id=interaction.user.id,
                    actor_is_coordinator=coordinator,
                    approve=approve,
                    reason=reason,
                    now=self.bot.clock.now(),
                )
                await self.bot.audit(
                    guild.id,
                    actor_id=interaction.user.id,
                    action="onboarding.approve" if approve else "onboarding.refuse",
                    target=f"user:{decided.user_id}",
                    structure_id=decided.structure_id,
                    details={"request": decided.id, "reason": decided.reason},
                    session=session,
                )
        except OnboardingError as exc:
            raise UserError(exc.key, **exc.kwargs) from exc
        return decided

    async def _accepted_current(self, guild_id: int, user_id: int) -> bool:
        async with self.bot.db.session() as session:
            version = await current_charter_version(session, guild_id)
            if version is None:
                return False
            found = await session.scalar(
                select(CharterAcceptance.id).where(
                    CharterAcceptance.version_id == version.id, CharterAcceptance.user_id == user_id
                )
            )
        return found is not None

    async def _structure_name(self, guild_id: int, request: OnboardingRequest) -> str:
        if request.structure_id is None:
            return "-"
        async with self.bot.db.session() as session:
            structure = await get_structure(session, guild_id, request.structure_id)
        return structure.display_name if structure else "-"

    async def _refresh_review_message(
        self, request: OnboardingRequest, interaction: discord.Interaction | None
    ) -> None:
        """Show the decision on the deciders' message and disable its buttons."""
        if request.message_channel_id is None or request.message_id is None:
            return
        async with self.bot.db.session() as session:
            version = (
                await session.get(CharterVersion, request.charter_version_id)
                if request.charter_version_id
                else None
            )
        embed = request_embed(
            request,
            structure_name=await self._structure_name(request.guild_id, request),
            charter_label=version.label if version else None,
        )
        view = decision_view(request.id, disabled=request.status != OnboardingStatus.PENDING)
        try:
            channel = self.bot.get_partial_messageable(request.message_channel_id)
            await channel.get_partial_message(request.message_id).edit(embed=embed, view=view)
        except discord.HTTPException as exc:
            log.info("could not update onboarding message %s: %s", request.message_id, exc)

    async def _dm(self, member: discord.Member, key: str, **kwargs: str) -> None:
        try:
            await member.send(
                t(key, member.guild.preferred_locale, **kwargs), allowed_mentions=NONE
            )
        except discord.HTTPException:
            log.info("could not DM member %s", member.id)

    # ---- pending list ----------------------------------------------------------------
    @app_commands.command(
        name="inscriptions",
        description="Demandes d'inscription en attente (référents, coordinateurs)",
    )
    @app_commands.guild_only()
    @referent_or_coordinator()
    async def pending(self, interaction: discord.Interaction) -> None:
        guild = self._guild(interaction)
        locale = locale_of(interaction)
        coordinator = await is_coordinator(self.bot, interaction.user)
        async with self.bot.db.session() as session:
            rows = await requests.list_pending(session, guild.id)
            mine = await referent_structure_ids(session, guild.id, interaction.user.id)
            names = {s.id: s.display_name for s in await active_structures(session, guild.id)}
            labels = {
                v.id: v.label
                for v in await session.scalars(
                    select(CharterVersion).where(CharterVersion.guild_id == guild.id)
                )
            }
        visible = [r for r in rows if coordinator or r.structure_id in mine]
        if not visible:
            await interaction.response.send_message(
                t("onboarding.none_pending", locale), ephemeral=True, allowed_mentions=NONE
            )
            return
        embeds = [
            request_embed(
                r,
                structure_name=names.get(r.structure_id or 0, "-"),
                charter_label=labels.get(r.charter_version_id or 0),
            )
            for r in visible[:5]
        ]
        view = discord.ui.View(timeout=None)
        for row, request in enumerate(visible[:5]):
            for decision, word in (("approve", "Valider"), ("refuse", "Refuser")):
                button = DecisionButton(decision, request.id, label=f"{word} #{request.id}")
                button.item.row = row
                view.add_item(button)
        await interaction.response.send_message(
            t("onboarding.pending_title", locale, count=len(visible)),
            embeds=embeds,
            view=view,
            ephemeral=True,
            allowed_mentions=NONE,
        )

    # ---- gateway events --------------------------------------------------------------
    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        channel_id = await self.bot.guild_config.get(member.guild.id, "channel.onboarding")
        channel = await self.bot.resolve_channel(int(channel_id)) if channel_id else None
        if channel is None:
            return
        try:
            await channel.send(
                t("onboarding.welcome", "fr", member=member.mention),
                view=start_view(t("onboarding.start_button", "fr")),
                # Greet the newcomer by name; nobody else is pinged.
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[member]
                ),
            )
        except discord.HTTPException as exc:
            log.warning("could not welcome member %s: %s", member.id, exc)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        async with self.bot.db.transaction() as session:
            cancelled = await requests.cancel_for_departed(
                session,
                guild_id=payload.guild_id,
                user_id=payload.user.id,
                now=self.bot.clock.now(),
            )
            if cancelled is not None:
                await self.bot.audit(
                    payload.guild_id,
                    actor_id=None,
                    action="onboarding.cancel",
                    target=f"user:{payload.user.id}",
                    structure_id=cancelled.structure_id,
                    details={"reason": "left"},
                    session=session,
                )
        if cancelled is not None:
            await self._refresh_review_message(cancelled, None)
