"""Slash commands of the directory: /orienter, /structure …, /annuaire … (thin glue).

Parse, check permissions, call the logic modules (search, standard, workflow), render.
"""

from __future__ import annotations

import io
import logging
import secrets
import time
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from bot.client import AiguillageBot
from bot.clock import PARIS
from bot.errors import UserError
from bot.i18n import locale_of, t
from bot.permissions import (
    can_manage_structure,
    coordinator_only,
    is_coordinator,
    member_only,
    referent_structure_ids,
)
from db.demand import log_handover, log_orientation_request
from db.directory import datainclusion, standard
from db.directory.matching import SynonymTable
from db.directory.search import (
    PUBLIC_CHOICES,
    OrientationOutcome,
    OrientationQuery,
    PlaceIndex,
    build_place_index,
    orienter,
)
from db.models.structures import Structure

from . import workflow
from .privacy import refusal_reason_fr
from .render import PAGE_SIZE, card_embed, no_result_text, page_count, results_embed
from .views import (
    CHOICE_LABELS,
    AddModal,
    ChoiceSelect,
    EditModal,
    HandoverButton,
    HandoverModal,
    PageButton,
    RedirectModal,
    ReportCloseButton,
    ReportModal,
    ResultButton,
)

log = logging.getLogger("aiguillage.directory")

SETTING_FRESHNESS = "directory.freshness_days"
SETTING_HANDOVER_EXPIRY = "directory.handover_expiry_days"
SEARCH_TTL = 3600.0
MAX_SEARCHES = 500
PLACES_TTL = 60.0
MENTIONS = discord.AllowedMentions.none()


class DirectoryCog(commands.Cog):
    structure = app_commands.Group(
        name="structure", description="Fiches des structures du réseau", guild_only=True
    )
    annuaire = app_commands.Group(
        name="annuaire",
        description="Import, export et suivi de l'annuaire (coordinateurs)",
        guild_only=True,
    )

    def __init__(self, bot: AiguillageBot, table: SynonymTable) -> None:
        self.bot = bot
        self.table = table
        self.annuaire.extras["access"] = "coordinator"
        # Ephemeral result pages: token -> (outcome, created, user id). Lost on restart, by
        # design: the buttons then say to search again.
        self.searches: OrderedDict[str, tuple[OrientationOutcome, float, int]] = OrderedDict()
        self.places: dict[int, PlaceIndex] = {}

    # ------------------------------------------------------------------ helpers
    async def _settings(self, guild_id: int) -> tuple[int, int]:
        freshness = await self.bot.guild_config.get(guild_id, SETTING_FRESHNESS)
        expiry = await self.bot.guild_config.get(guild_id, SETTING_HANDOVER_EXPIRY)
        return (
            int(freshness or workflow.DEFAULT_FRESHNESS_DAYS),
            int(expiry or workflow.DEFAULT_HANDOVER_EXPIRY_DAYS),
        )

    async def _places(self, guild_id: int) -> PlaceIndex:
        index = self.places.get(guild_id)
        if index is None or time.monotonic() - index.built_at > PLACES_TTL:
            async with self.bot.db.session() as session:
                index = await build_place_index(session, guild_id)
            self.places[guild_id] = index
        return index

    def _forget_places(self, guild_id: int) -> None:
        self.places.pop(guild_id, None)

    async def _require_manager(
        self, interaction: discord.Interaction, structure: Structure
    ) -> None:
        if not await can_manage_structure(self.bot, interaction.user, structure.id):
            raise UserError("directory.structure.not_yours", name=structure.display_name)

    async def _scope(self, interaction: discord.Interaction) -> set[int] | None:
        """None for a coordinator (every structure), else the structures they represent."""
        if await is_coordinator(self.bot, interaction.user):
            return None
        assert interaction.guild_id is not None
        return await referent_structure_ids(self.bot, interaction.guild_id, interaction.user.id)

    @staticmethod
    def _raise(error: Exception) -> None:
        if isinstance(error, workflow.WorkflowError):
            raise UserError(error.key, **error.kwargs) from error
        if isinstance(error, standard.StandardFileError):
            raise UserError("directory.structure.invalid", errors=error.summary(10)) from error
        raise error

    async def _dm(self, user_id: int, **kwargs: Any) -> bool:
        user = self.bot.get_user(user_id)
        try:
            if user is None:
                user = await self.bot.fetch_user(user_id)
            await user.send(allowed_mentions=MENTIONS, **kwargs)
            return True
        except discord.HTTPException:
            log.info("could not DM user %s", user_id)
            return False

    # ------------------------------------------------------------------ autocomplete
    async def need_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label[:100], value=label[:100])
            for label in self.table.suggest(current, limit=25)
        ]

    async def place_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        labels = (await self._places(interaction.guild_id)).labels()
        folded = workflow.fold(current)
        chosen = [label for label in labels if folded in workflow.fold(label)] if folded else labels
        return [app_commands.Choice(name=label[:100], value=label[:100]) for label in chosen[:25]]

    async def public_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        folded = workflow.fold(current)
        return [
            app_commands.Choice(name=p, value=p)
            for p in PUBLIC_CHOICES
            if not folded or folded in workflow.fold(p)
        ][:25]

    async def structure_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.session() as session:
            found = await workflow.search_structures(session, interaction.guild_id, current)
        return [app_commands.Choice(name=label, value=str(sid)) for sid, label in found]

    # ------------------------------------------------------------------ /orienter
    @app_commands.command(
        name="orienter", description="Trouver où orienter une personne selon son besoin"
    )
    @app_commands.guild_only()
    @app_commands.describe(
        besoin="Le besoin, en mots simples (CAF, impôts, CV, pas d'ordinateur…)",
        quartier="Quartier ou commune de la personne",
        public="Public ou accompagnement spécifique",
        ouvert_maintenant="Seulement les lieux ouverts maintenant",
        sans_rdv="Seulement les lieux sans rendez-vous",
        gratuit="Seulement les lieux gratuits",
    )
    @app_commands.autocomplete(
        besoin=need_autocomplete, quartier=place_autocomplete, public=public_autocomplete
    )
    @member_only()
    async def orienter_command(
        self,
        interaction: discord.Interaction,
        besoin: app_commands.Range[str, 1, 200],
        quartier: str | None = None,
        public: str | None = None,
        ouvert_maintenant: bool = False,
        sans_rdv: bool = False,
        gratuit: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        if public and public not in PUBLIC_CHOICES:
            raise UserError("core.error.bad_option", value=public[:100])
        places = await self._places(interaction.guild_id)
        if quartier and places.resolve(quartier) is None:
            raise UserError("directory.unknown_place", place=quartier[:100])
        await interaction.response.defer(ephemeral=True, thinking=True)
        query = OrientationQuery(
            text=besoin,
            place=quartier,
            public=public,
            open_now=ouvert_maintenant,
            walk_in=sans_rdv,
            free=gratuit,
        )
        async with self.bot.db.session() as session:
            default_origin = await workflow.origin_of(
                session, interaction.guild_id, interaction.user.id
            )
            outcome = await orienter(
                session,
                interaction.guild_id,
                query,
                self.bot.clock.now(),
                self.table,
                places=places,
                default_origin=default_origin,
            )
        # Observatory (issue 11): count the request anonymously: needs, the person's area
        # (only when given or named, never the asker's own), filters, result count. Never
        # who asked, for whom, nor the words typed; db/demand.py accepts nothing else.
        outcome.demand_id = await log_orientation_request(
            self.bot.db,
            interaction.guild_id,
            services=[s for m in outcome.match.matches for s in m.need.services],
            needs=[m.need.key for m in outcome.match.matches],
            area=None
            if outcome.origin is None or outcome.origin is default_origin
            else (outcome.origin.commune_key, outcome.origin.quartier_key),
            filters=[
                name
                for name, used in (
                    ("ouvert_maintenant", ouvert_maintenant),
                    ("sans_rdv", sans_rdv),
                    ("gratuit", gratuit),
                    ("public", bool(public)),
                )
                if used
            ],
            public=public,
            result_count=len(outcome.results),
            at=self.bot.clock.now(),
        )
        if not outcome.found:
            await interaction.followup.send(
                no_result_text(outcome, locale), ephemeral=True, allowed_mentions=MENTIONS
            )
            return
        token = self._remember(outcome, interaction.user.id)
        await interaction.followup.send(
            embed=results_embed(outcome, 0, self.bot.clock.now(), locale),
            view=self._results_view(outcome, token, 0, locale),
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    def _remember(self, outcome: OrientationOutcome, user_id: int) -> str:
        token = secrets.token_hex(6)
        self.searches[token] = (outcome, time.monotonic(), user_id)
        while len(self.searches) > MAX_SEARCHES:
            self.searches.popitem(last=False)
        return token

    def _results_view(
        self, outcome: OrientationOutcome, token: str, page: int, locale: str
    ) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        start = page * PAGE_SIZE
        for row, result in enumerate(outcome.results[start : start + PAGE_SIZE]):
            n = start + row + 1
            sid = result.candidate.id
            for action, key, style in (
                ("card", "directory.button_card", discord.ButtonStyle.secondary),
                ("send", "directory.button_send", discord.ButtonStyle.success),
                ("report", "directory.button_report", discord.ButtonStyle.secondary),
            ):
                item = ResultButton(action, sid, t(key, locale, n=n), style)
                item.item.row = row
                view.add_item(item)
        pages = page_count(outcome)
        if pages > 1:
            previous = PageButton(
                token, max(page - 1, 0), t("directory.button_previous", locale), page == 0
            )
            following = PageButton(
                token,
                min(page + 1, pages - 1),
                t("directory.button_next", locale),
                page >= pages - 1,
            )
            previous.item.row = following.item.row = 4
            view.add_item(previous)
            view.add_item(following)
        return view

    async def show_page(self, interaction: discord.Interaction, token: str, page: int) -> None:
        locale = locale_of(interaction)
        entry = self.searches.get(token)
        if entry is None or time.monotonic() - entry[1] > SEARCH_TTL:
            raise UserError("directory.page_expired")
        outcome = entry[0]
        await interaction.response.edit_message(
            embed=results_embed(outcome, page, self.bot.clock.now(), locale),
            view=self._results_view(outcome, token, page, locale),
        )

    # ------------------------------------------------------------------ card, report
    async def show_card(self, interaction: discord.Interaction, structure_id: int) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            try:
                structure = await workflow.get_structure(
                    session, interaction.guild_id, structure_id
                )
            except workflow.WorkflowError as error:
                self._raise(error)
            referents = await workflow.referent_ids(session, structure.id)
        await self._send_card(interaction, structure, referents)

    async def _send_card(
        self, interaction: discord.Interaction, structure: Structure, referents: Any
    ) -> None:
        view = discord.ui.View(timeout=None)
        if structure.archived_at is None:
            view.add_item(
                ResultButton(
                    "send",
                    structure.id,
                    t("directory.button_send", locale_of(interaction), n="→"),
                    discord.ButtonStyle.success,
                )
            )
            view.add_item(
                ResultButton(
                    "report",
                    structure.id,
                    t("directory.button_report", locale_of(interaction), n="!"),
                )
            )
        await interaction.response.send_message(
            embed=card_embed(structure, referents, self.bot.clock.now(), locale_of(interaction)),
            view=view,
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    async def open_report_modal(self, interaction: discord.Interaction, structure_id: int) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            try:
                await workflow.get_structure(session, interaction.guild_id, structure_id)
            except workflow.WorkflowError as error:
                self._raise(error)
        await interaction.response.send_modal(
            ReportModal(self, structure_id, locale_of(interaction))
        )

    async def send_report(
        self, interaction: discord.Interaction, structure_id: int, *, field: str, text: str
    ) -> None:
        assert interaction.guild_id is not None
        now = self.bot.clock.now()
        try:
            async with self.bot.db.transaction() as session:
                structure = await workflow.get_structure(
                    session, interaction.guild_id, structure_id
                )
                report = await workflow.create_report(
                    session,
                    guild_id=interaction.guild_id,
                    structure=structure,
                    reporter_id=interaction.user.id,
                    field=field,
                    text=text,
                    now=now,
                )
                referents = await workflow.referent_ids(session, structure.id)
        except workflow.PersonalDataRefused as error:
            raise UserError(
                "directory.report.personal_data", reason=refusal_reason_fr(error.findings)
            ) from error
        except workflow.WorkflowError as error:
            self._raise(error)
        message = t(
            "directory.report.incoming",
            "fr",
            report_id=report.id,
            name=structure.display_name,
            field=report.field or "—",
            text=report.text,
        )
        view = discord.ui.View(timeout=None)
        view.add_item(ReportCloseButton(report.id, t("directory.report.close", "fr")))
        for user_id in referents:
            await self._dm(user_id, content=message, view=view)
        await self.bot.notify_coordinators(interaction.guild_id, message)
        await interaction.response.send_message(
            t(
                "directory.report.sent",
                locale_of(interaction),
                report_id=report.id,
                name=structure.display_name,
            ),
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    async def close_report(self, interaction: discord.Interaction, report_id: int) -> None:
        guild_id = interaction.guild_id or await self._guild_of_report(report_id)
        scope = await self._scope_for(interaction, guild_id)
        async with self.bot.db.transaction() as session:
            try:
                report = await workflow.close_report(
                    session,
                    guild_id=guild_id,
                    report_id=report_id,
                    user_id=interaction.user.id,
                    allowed_structure_ids=scope,
                    resolution="",
                    now=self.bot.clock.now(),
                )
                structure = await workflow.get_structure(session, guild_id, report.structure_id)
            except workflow.WorkflowError as error:
                self._raise(error)
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="directory.report.closed",
            target=structure.display_name,
            structure_id=structure.id,
            details={"report_id": report.id},
        )
        await interaction.response.send_message(
            t("directory.report.closed", locale_of(interaction), report_id=report.id),
            ephemeral=interaction.guild_id is not None,
            allowed_mentions=MENTIONS,
        )
        if report.reporter_id != interaction.user.id:
            await self._dm(
                report.reporter_id,
                content=t(
                    "directory.report.notify_closed",
                    "fr",
                    report_id=report.id,
                    name=structure.display_name,
                ),
            )

    async def _guild_of_report(self, report_id: int) -> int:
        from db.models.directory import ErrorReport

        async with self.bot.db.session() as session:
            report = await session.get(ErrorReport, report_id)
        if report is None:
            raise UserError("directory.report.not_found")
        return report.guild_id

    async def _scope_for(self, interaction: discord.Interaction, guild_id: int) -> set[int] | None:
        """Buttons in DMs have no guild member: check rights on the guild the row names."""
        guild = self.bot.get_guild(guild_id)
        member = guild.get_member(interaction.user.id) if guild else None
        if member is not None and await is_coordinator(self.bot, member):
            return None
        return await referent_structure_ids(self.bot, guild_id, interaction.user.id)

    # ------------------------------------------------------------------ handovers
    async def open_handover_modal(
        self, interaction: discord.Interaction, structure_id: int
    ) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            try:
                structure = await workflow.get_structure(
                    session, interaction.guild_id, structure_id
                )
            except workflow.WorkflowError as error:
                self._raise(error)
        if structure.archived_at is not None:
            raise UserError("directory.structure.archived", name=structure.display_name)
        need = ""
        for outcome, _created, user_id in reversed(self.searches.values()):
            if user_id == interaction.user.id:
                need = outcome.query.text
                break
        await interaction.response.send_modal(
            HandoverModal(self, structure.id, structure.display_name, need)
        )

    async def send_handover(
        self,
        interaction: discord.Interaction,
        structure_id: int,
        *,
        need: str,
        when: str,
        case_ref: str,
        note: str,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        now = self.bot.clock.now()
        _freshness, expiry = await self._settings(guild_id)
        try:
            async with self.bot.db.transaction() as session:
                structure = await workflow.get_structure(session, guild_id, structure_id)
                mine = await workflow.structures_of(session, guild_id, interaction.user.id)
                handover = await workflow.create_handover(
                    session,
                    guild_id=guild_id,
                    structure=structure,
                    sender_id=interaction.user.id,
                    sender_structure_id=mine[0].id if mine else None,
                    need=need,
                    expected_when=when,
                    case_ref=case_ref,
                    note=note,
                    now=now,
                    expiry_days=expiry,
                )
                referents = await workflow.referent_ids(session, structure.id)
                sender_structure = mine[0].display_name if mine else ""
        except workflow.PersonalDataRefused as error:
            raise UserError(
                "directory.handover.personal_data", reason=refusal_reason_fr(error.findings)
            ) from error
        except workflow.WorkflowError as error:
            self._raise(error)
        # Observatory (issue 11): the asker's latest search that proposed this structure
        # was followed by a handover (a yes/no on its anonymous demand-log row).
        await log_handover(
            self.bot.db,
            guild_id,
            next(
                (
                    outcome.demand_id
                    for outcome, _created, user_id in reversed(self.searches.values())
                    if user_id == interaction.user.id
                    and any(r.candidate.id == structure_id for r in outcome.results)
                ),
                None,
            ),
        )
        unspecified = t("directory.handover.unspecified", "fr")
        embed = discord.Embed(
            title=t(
                "directory.handover.incoming_title",
                "fr",
                handover_id=handover.id,
                name=structure.display_name,
            ),
            description=t(
                "directory.handover.incoming_body",
                "fr",
                need=handover.need,
                when=handover.expected_when or unspecified,
                case_ref=handover.case_ref or unspecified,
                note=handover.note or "—",
                sender=f"<@{interaction.user.id}>",
                sender_structure=f" ({sender_structure})" if sender_structure else "",
            ),
            colour=discord.Colour.green(),
        )
        view = discord.ui.View(timeout=None)
        view.add_item(HandoverButton("ack", handover.id, t("directory.handover.ack", "fr")))
        view.add_item(HandoverButton("redir", handover.id, t("directory.handover.redirect", "fr")))
        delivered = 0
        for user_id in referents:
            delivered += await self._dm(user_id, embed=embed, view=view)
        locale = locale_of(interaction)
        if delivered:
            text = t(
                "directory.handover.sent",
                locale,
                name=structure.display_name,
                recipients=t("directory.handover.recipients", "fr", count=delivered),
                handover_id=handover.id,
            )
        else:
            await self.bot.notify_coordinators(guild_id, embed.title or "", embed=embed)
            text = t(
                "directory.handover.sent_no_referent",
                locale,
                name=structure.display_name,
                handover_id=handover.id,
            )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=MENTIONS)

    async def open_redirect_modal(self, interaction: discord.Interaction, handover_id: int) -> None:
        await interaction.response.send_modal(
            RedirectModal(self, handover_id, locale_of(interaction))
        )

    async def answer_handover(
        self,
        interaction: discord.Interaction,
        handover_id: int,
        *,
        redirect: bool = False,
        answer: str = "",
    ) -> None:
        from db.models.directory import Handover

        async with self.bot.db.session() as session:
            found = await session.get(Handover, handover_id)
        if found is None:
            raise UserError("directory.handover.not_found")
        guild_id = found.guild_id
        scope = await self._scope_for(interaction, guild_id)
        try:
            async with self.bot.db.transaction() as session:
                handover = await workflow.answer_handover(
                    session,
                    guild_id=guild_id,
                    handover_id=handover_id,
                    user_id=interaction.user.id,
                    allowed_structure_ids=scope,
                    redirect=redirect,
                    answer=answer,
                    now=self.bot.clock.now(),
                )
                structure = await workflow.get_structure(session, guild_id, handover.structure_id)
        except workflow.PersonalDataRefused as error:
            raise UserError(
                "directory.handover.personal_data", reason=refusal_reason_fr(error.findings)
            ) from error
        except workflow.WorkflowError as error:
            if error.key == "directory.handover.already":
                error.kwargs["status"] = t(
                    f"directory.handover.status_{error.kwargs['status']}", locale_of(interaction)
                )
            self._raise(error)
        key = "directory.handover.redirected" if redirect else "directory.handover.acknowledged"
        await interaction.response.send_message(
            t(key, locale_of(interaction), handover_id=handover.id),
            ephemeral=interaction.guild_id is not None,
            allowed_mentions=MENTIONS,
        )
        notify = (
            "directory.handover.notify_redirect" if redirect else "directory.handover.notify_ack"
        )
        await self._dm(
            handover.sender_id,
            content=t(
                notify,
                "fr",
                name=structure.display_name,
                handover_id=handover.id,
                need=handover.need,
                answer=handover.answer,
            ),
        )

    # ------------------------------------------------------------------ /structure
    @structure.command(name="fiche", description="Voir la fiche d'une structure")
    @app_commands.describe(nom="Nom de la structure")
    @app_commands.autocomplete(nom=structure_autocomplete)
    @member_only()
    async def structure_card(self, interaction: discord.Interaction, nom: str) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            try:
                structure = await workflow.find_structure(session, interaction.guild_id, nom)
            except workflow.WorkflowError as error:
                self._raise(error)
            referents = await workflow.referent_ids(session, structure.id)
        await self._send_card(interaction, structure, referents)

    @structure.command(
        name="modifier",
        description="Modifier la fiche (référent·es de la structure, coordinateurs)",
    )
    @app_commands.describe(nom="Nom de la structure")
    @app_commands.autocomplete(nom=structure_autocomplete)
    @member_only()
    async def structure_edit(
        self, interaction: discord.Interaction, nom: str | None = None
    ) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            try:
                if nom:
                    structure = await workflow.find_structure(session, interaction.guild_id, nom)
                else:
                    mine = await workflow.structures_of(
                        session, interaction.guild_id, interaction.user.id
                    )
                    if not mine:
                        raise workflow.WorkflowError("directory.structure.not_found")
                    structure = mine[0]
            except workflow.WorkflowError as error:
                self._raise(error)
        await self._require_manager(interaction, structure)
        current = {
            "horaires": structure.horaires or "",
            "telephone": structure.telephone or "",
            "courriels": "|".join(structure.courriels or []),
            "prise_rdv": structure.prise_rdv or "",
            "presentation_resume": structure.presentation_resume or "",
        }
        await interaction.response.send_modal(EditModal(self, structure.id, current))

    async def save_edit(
        self, interaction: discord.Interaction, structure_id: int, changes: dict[str, Any]
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        now = self.bot.clock.now()
        # Checked again on submit: rights may have changed while the modal was open. The
        # scope is read before the transaction: a second session inside it could wait
        # forever for a pooled connection under load.
        scope = await self._scope(interaction)
        async with self.bot.db.transaction() as session:
            try:
                structure = await workflow.get_structure(
                    session, interaction.guild_id, structure_id
                )
            except workflow.WorkflowError as error:
                self._raise(error)
            if scope is not None and structure.id not in scope:
                raise UserError("directory.structure.not_yours", name=structure.display_name)
            try:
                changed = workflow.apply_edit(structure, changes, now=now)
            except standard.StandardFileError as error:
                self._raise(error)
            if changed:
                await workflow.mark_verified(structure, interaction.user.id, now)
            name = structure.display_name
        if changed:
            await self.bot.audit(
                interaction.guild_id,
                actor_id=interaction.user.id,
                action="directory.structure.edit",
                target=name,
                structure_id=structure_id,
                details={"fields": changed},
            )
            self._forget_places(interaction.guild_id)
        view = discord.ui.View(timeout=None)
        for field in (
            "services",
            "modalites_acces",
            "frais_a_charge",
            "publics_specifiquement_adresses",
        ):
            view.add_item(ChoiceSelect(field, structure_id, list(getattr(structure, field) or [])))
        text = (
            t("directory.structure.updated", locale, name=name, fields=", ".join(changed))
            if changed
            else t("directory.structure.unchanged", locale, name=name)
        )
        await interaction.response.send_message(
            text + "\n" + t("directory.structure.choose_fields", locale, name=name),
            view=view,
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    async def save_choices(
        self, interaction: discord.Interaction, structure_id: int, field: str, values: list[str]
    ) -> None:
        assert interaction.guild_id is not None
        now = self.bot.clock.now()
        scope = await self._scope(interaction)  # before the transaction (see save_edit)
        async with self.bot.db.transaction() as session:
            try:
                structure = await workflow.get_structure(
                    session, interaction.guild_id, structure_id
                )
            except workflow.WorkflowError as error:
                self._raise(error)
            if scope is not None and structure.id not in scope:
                raise UserError("directory.structure.not_yours", name=structure.display_name)
            try:
                changed = workflow.apply_edit(structure, {field: values}, now=now)
            except standard.StandardFileError as error:
                self._raise(error)
            if changed:
                await workflow.mark_verified(structure, interaction.user.id, now)
            name = structure.display_name
        if changed:
            await self.bot.audit(
                interaction.guild_id,
                actor_id=interaction.user.id,
                action="directory.structure.edit",
                target=name,
                structure_id=structure_id,
                details={"fields": changed, field: values},
            )
        await interaction.response.send_message(
            t(
                "directory.structure.field_saved",
                locale_of(interaction),
                field=CHOICE_LABELS[field],
                name=name,
            ),
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    @structure.command(
        name="ajouter", description="Ajouter une structure à l'annuaire (coordinateurs)"
    )
    @coordinator_only()
    async def structure_add(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(AddModal(self))

    async def save_new_structure(
        self,
        interaction: discord.Interaction,
        *,
        nom: str,
        adresse: str,
        code_postal: str,
        commune: str,
        quartier: str,
    ) -> None:
        assert interaction.guild_id is not None
        if not await is_coordinator(self.bot, interaction.user):
            raise UserError("core.refused.coordinator")
        now = self.bot.clock.now()
        try:
            structure = workflow.new_structure(
                interaction.guild_id,
                nom=nom.strip(),
                adresse=adresse.strip(),
                code_postal=code_postal.strip(),
                commune=commune.strip(),
                quartier=quartier,
                services=[],
                now=now,
            )
        except standard.StandardFileError as error:
            self._raise(error)
        structure.verified_at = now
        structure.verified_by = interaction.user.id
        async with self.bot.db.transaction() as session:
            session.add(structure)
            await session.flush()
            structure_id = structure.id
        await self.bot.audit(
            interaction.guild_id,
            actor_id=interaction.user.id,
            action="directory.structure.add",
            target=structure.display_name,
            structure_id=structure_id,
        )
        self._forget_places(interaction.guild_id)
        view = discord.ui.View(timeout=None)
        for field in ("services", "modalites_acces", "frais_a_charge"):
            view.add_item(ChoiceSelect(field, structure_id, []))
        await interaction.response.send_message(
            t(
                "directory.structure.created",
                locale_of(interaction),
                name=structure.display_name,
                external_id=structure.external_id,
            ),
            view=view,
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    @structure.command(name="archiver", description="Archiver une structure (coordinateurs)")
    @app_commands.describe(nom="Nom de la structure")
    @app_commands.autocomplete(nom=structure_autocomplete)
    @coordinator_only()
    async def structure_archive(self, interaction: discord.Interaction, nom: str) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        async with self.bot.db.transaction() as session:
            try:
                structure = await workflow.find_structure(session, interaction.guild_id, nom)
            except workflow.WorkflowError as error:
                self._raise(error)
            if structure.archived_at is not None:
                raise UserError("directory.structure.already_archived", name=structure.display_name)
            structure.archived_at = self.bot.clock.now()
            name, structure_id = structure.display_name, structure.id
        await self.bot.audit(
            interaction.guild_id,
            actor_id=interaction.user.id,
            action="directory.structure.archive",
            target=name,
            structure_id=structure_id,
        )
        self._forget_places(interaction.guild_id)
        await interaction.response.send_message(
            t("directory.structure.archived_done", locale, name=name),
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    @structure.command(name="verifier", description="Confirmer que la fiche est toujours exacte")
    @app_commands.describe(nom="Nom de la structure")
    @app_commands.autocomplete(nom=structure_autocomplete)
    @member_only()
    async def structure_verify(self, interaction: discord.Interaction, nom: str) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.session() as session:
            try:
                structure = await workflow.find_structure(session, interaction.guild_id, nom)
            except workflow.WorkflowError as error:
                self._raise(error)
        await self.verify_from_button(interaction, structure.id, guild_id=interaction.guild_id)

    async def verify_from_button(
        self, interaction: discord.Interaction, structure_id: int, guild_id: int | None = None
    ) -> None:
        if guild_id is None:
            async with self.bot.db.session() as session:
                found = await session.get(Structure, structure_id)
            if found is None:
                raise UserError("directory.structure.not_found")
            guild_id = found.guild_id
        scope = await self._scope_for(interaction, guild_id)
        now = self.bot.clock.now()
        async with self.bot.db.transaction() as session:
            try:
                structure = await workflow.get_structure(session, guild_id, structure_id)
            except workflow.WorkflowError as error:
                self._raise(error)
            if scope is not None and structure.id not in scope:
                raise UserError("directory.structure.not_yours", name=structure.display_name)
            await workflow.mark_verified(structure, interaction.user.id, now)
            name = structure.display_name
        await self.bot.audit(
            guild_id,
            actor_id=interaction.user.id,
            action="directory.structure.verify",
            target=name,
            structure_id=structure_id,
        )
        await interaction.response.send_message(
            t(
                "directory.structure.verified",
                locale_of(interaction),
                name=name,
                date=now.astimezone(PARIS).strftime("%d/%m/%Y"),
            ),
            ephemeral=interaction.guild_id is not None,
            allowed_mentions=MENTIONS,
        )

    # ------------------------------------------------------------------ /annuaire
    @annuaire.command(
        name="importer", description="Importer un fichier au standard national (CSV ou JSON)"
    )
    @app_commands.describe(
        fichier="Fichier CSV ou JSON au standard des lieux de médiation numérique",
        simulation="Montrer ce qui changerait sans rien modifier",
    )
    @coordinator_only()
    async def import_command(
        self,
        interaction: discord.Interaction,
        fichier: discord.Attachment,
        simulation: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        if fichier.size > standard.MAX_FILE_BYTES:
            raise UserError(
                "directory.io.too_big",
                size=fichier.size // (1024 * 1024),
                max=standard.MAX_FILE_BYTES // (1024 * 1024),
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await fichier.read()
        try:
            async with self.bot.db.transaction() as session:
                plan = await standard.import_bytes(
                    session,
                    interaction.guild_id,
                    data,
                    fichier.filename,
                    dry_run=simulation,
                    now=self.bot.clock.now(),
                )
        except standard.StandardFileError as error:
            summary = error.summary(15)
            if len(summary) < 1800:
                await interaction.followup.send(
                    t("directory.io.refused", locale, count=len(error.issues), errors=summary),
                    ephemeral=True,
                    allowed_mentions=MENTIONS,
                )
            else:
                report = discord.File(
                    io.BytesIO(error.summary(10_000).encode("utf-8")), "erreurs-import.txt"
                )
                await interaction.followup.send(
                    t("directory.io.refused_file", locale, count=len(error.issues)),
                    file=report,
                    ephemeral=True,
                    allowed_mentions=MENTIONS,
                )
            return
        if plan.applied:
            self._forget_places(interaction.guild_id)
            await self.bot.audit(
                interaction.guild_id,
                actor_id=interaction.user.id,
                action="directory.import",
                target=fichier.filename[:200],
                details={
                    "created": len(plan.created),
                    "updated": len(plan.updated),
                    "archived": len(plan.archived),
                },
            )
        await interaction.followup.send(
            plan.summary_fr()[:1900], ephemeral=True, allowed_mentions=MENTIONS
        )

    @annuaire.command(name="exporter", description="Exporter l'annuaire")
    @app_commands.describe(format="Format du fichier")
    @app_commands.choices(
        format=[
            app_commands.Choice(name="CSV (standard national)", value="csv"),
            app_commands.Choice(name="JSON (standard national)", value="json"),
            app_commands.Choice(
                name="data·inclusion (structures + services)", value="data-inclusion"
            ),
        ]
    )
    @coordinator_only()
    async def export_command(self, interaction: discord.Interaction, format: str = "csv") -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        data, filename, count = await export_directory(self.bot.db, interaction.guild_id, format)
        await interaction.followup.send(
            t("directory.io.export_done", locale_of(interaction), format=format, count=count),
            file=discord.File(io.BytesIO(data), filename),
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    @annuaire.command(
        name="a_verifier",
        description="Fiches non vérifiées depuis longtemps et signalements ouverts",
    )
    @coordinator_only()
    async def stale_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        days, _expiry = await self._settings(interaction.guild_id)
        async with self.bot.db.session() as session:
            stale = await workflow.stale_structures(
                session, interaction.guild_id, self.bot.clock.now(), days
            )
            reports = await workflow.open_reports(session, interaction.guild_id)
        lines = [
            t(
                "directory.freshness.stale_line",
                locale,
                name=f.name,
                age=t("directory.freshness.stale_age", locale, days=f.days)
                if f.days is not None
                else t("directory.freshness.stale_never", locale),
            )
            for f in stale
        ]
        body = "\n".join(lines) or t("directory.freshness.stale_none", locale, days=days)
        body += "\n\n" + t("directory.freshness.reports_open", locale, count=len(reports))
        embed = discord.Embed(
            title=t("directory.freshness.stale_title", locale, days=days),
            description=body[:4000],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=MENTIONS
        )

    # ------------------------------------------------------------------ scheduled work
    async def plan_freshness(self) -> None:
        """Daily: remind referents of stale entries (once per 30 days), expire handovers."""
        now = self.bot.clock.now()
        async with self.bot.db.transaction() as session:
            expired = await workflow.expire_handovers(session, now)
            guild_ids = await workflow.guilds_with_structures(session)
        for handover in expired:
            async with self.bot.db.session() as session:
                structure = await session.get(Structure, handover.structure_id)
            await self._dm(
                handover.sender_id,
                content=t(
                    "directory.handover.notify_expired",
                    "fr",
                    handover_id=handover.id,
                    name=structure.display_name if structure else "?",
                    need=handover.need,
                ),
            )
        for guild_id in guild_ids:
            days, _expiry = await self._settings(guild_id)
            async with self.bot.db.transaction() as session:
                due = await workflow.due_reminders(session, guild_id, now, days)
                for structure in due:
                    referents = await workflow.referent_ids(session, structure.id)
                    last = workflow.last_known_true(structure)
                    await self.bot.scheduler.schedule(
                        session,
                        guild_id=guild_id,
                        kind="directory.freshness",
                        due_at=now,
                        payload={
                            "structure_id": structure.id,
                            "referents": referents,
                            "days": (now - last).days if last else days,
                        },
                        dedupe_key=f"directory:fresh:{structure.id}:{now:%Y-%m-%d}",
                    )
                    structure.last_reminded_at = now


async def export_directory(db: Any, guild_id: int, format: str) -> tuple[bytes, str, int]:
    async with db.session() as session:
        structures = list(
            await session.scalars(
                select(Structure).where(
                    Structure.guild_id == guild_id, Structure.archived_at.is_(None)
                )
            )
        )
    if format == "csv":
        return standard.export_csv(structures), "lieux-mediation-numerique.csv", len(structures)
    if format == "json":
        return standard.export_json(structures), "lieux-mediation-numerique.json", len(structures)
    if format == "data-inclusion":
        return (
            datainclusion.export_data_inclusion(structures),
            "data-inclusion.json",
            len(structures),
        )
    raise UserError("directory.io.bad_format", format=format)


async def deliver_freshness_reminder(bot: Any, delivery: Any) -> dict[str, Any]:
    """Scheduler handler: DM each referent of a stale entry with a "still correct" button."""
    payload = delivery.payload
    async with bot.db.session() as session:
        structure = await session.get(Structure, payload["structure_id"])
    if structure is None or structure.archived_at is not None:
        return {"skipped": "archived"}
    view = discord.ui.View(timeout=None)
    view.add_item(
        ResultButton(
            "verify",
            structure.id,
            t("directory.freshness.still_correct", "fr"),
            discord.ButtonStyle.success,
        )
    )
    text = t(
        "directory.freshness.reminder", "fr", name=structure.display_name, days=payload["days"]
    )
    sent = []
    for user_id in payload.get("referents", []):
        user = bot.get_user(user_id)
        try:
            if user is None:
                user = await bot.fetch_user(user_id)
            await user.send(text, view=view, allowed_mentions=MENTIONS)
            sent.append(user_id)
        except discord.HTTPException:
            log.info("freshness reminder not delivered to %s", user_id)
    if not payload.get("referents"):
        await bot.notify_coordinators(delivery.guild_id, text)
    return {"sent_to": sent}


def reminder_interval() -> timedelta:
    return workflow.REMINDER_INTERVAL
