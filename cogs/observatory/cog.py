"""/observatoire for coordinators, its buttons, its web page, and the monthly snapshot.

Thin glue: parse and check here; figures in ``figures`` (database) and the pure modules;
words in ``texts``/``render``; charts and the PDF drawn in worker threads (CPU-bound).
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date
from zoneinfo import ZoneInfo

import discord
from aiohttp import web
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from bot.client import AiguillageBot
from bot.errors import PermissionRefused, UserError
from bot.i18n import locale_of, normalize_locale, t
from bot.permissions import coordinator_only, is_coordinator
from db.models import Guild
from db.models.documents import DocumentOrigin
from db.models.structures import Structure

from . import charts as chart_module
from . import data, export, page
from .figures import Observatory, compute_observatory, offer_snapshot, snapshot_figures
from .health import DEFAULT_FRESHNESS_DAYS
from .needs import NeedCatalogue
from .periods import Period, PeriodError, parse_period, suggestions
from .render import SECTION_CHARTS, SECTIONS, section_message
from .views import sections_view

log = logging.getLogger("aiguillage.observatory")

PARIS = ZoneInfo("Europe/Paris")
MENTIONS = discord.AllowedMentions.none()
SETTING_FRESHNESS = "directory.freshness_days"  # the directory's own threshold
SECTION_CHOICES = [
    app_commands.Choice(name="Synthèse et graphiques", value="synthese"),
    app_commands.Choice(name="Couverture", value="couverture"),
    app_commands.Choice(name="Manques", value="manques"),
    app_commands.Choice(name="Demande", value="demande"),
    app_commands.Choice(name="Fraîcheur et charte", value="fraicheur"),
    app_commands.Choice(name="Orientations", value="orientations"),
]
CHART_BUILDERS = {
    "couverture": lambda obs, locale: chart_module.coverage_heatmap(obs.matrix, locale),
    "horaires": lambda obs, locale: chart_module.weekly_hours_chart(obs.matrix, locale),
    "demande": chart_module.demand_offer_chart,
    "tendance": chart_module.trend_chart,
}


def draw_charts(obs: Observatory, names: tuple[str, ...], locale: str) -> list[chart_module.Chart]:
    return [CHART_BUILDERS[name](obs, locale) for name in names]


class ObservatoryCog(commands.Cog):
    observatoire = app_commands.Group(
        name="observatoire",
        description="Observatoire du réseau pour le COPIL (coordinateurs)",
        guild_only=True,
    )

    def __init__(self, bot: AiguillageBot, needs: NeedCatalogue | None = None) -> None:
        self.bot = bot
        self.needs = needs or NeedCatalogue.load()
        self.observatoire.extras["access"] = "coordinator"

    # ------------------------------------------------------------------ helpers
    def today(self) -> date:
        return self.bot.clock.now().astimezone(PARIS).date()

    def period(self, text: str | None) -> Period:
        try:
            return parse_period(text, self.today())
        except PeriodError as error:
            raise UserError(error.key, **error.kwargs) from error

    async def freshness_days(self, guild_id: int) -> int:
        value = await self.bot.guild_config.get(guild_id, SETTING_FRESHNESS, DEFAULT_FRESHNESS_DAYS)
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return DEFAULT_FRESHNESS_DAYS

    async def compute(self, guild_id: int, period: Period) -> Observatory:
        days = await self.freshness_days(guild_id)
        return await compute_observatory(
            self.bot.db,
            guild_id,
            period,
            now=self.bot.clock.now(),
            needs=self.needs,
            freshness_days=days,
        )

    async def has_anything(self, guild_id: int) -> bool:
        async with self.bot.db.session() as session:
            found = await session.scalar(
                select(Structure.id).where(Structure.guild_id == guild_id).limit(1)
            )
        return found is not None

    async def require_coordinator(self, interaction: discord.Interaction) -> None:
        """Buttons have no command check: the clicker's rights are checked here."""
        if interaction.guild is None or not await is_coordinator(self.bot, interaction.user):
            raise PermissionRefused("core.refused.coordinator")

    async def period_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        locale = locale_of(interaction)
        typed = current.strip().lower()
        choices = [
            app_commands.Choice(name=label, value=value)
            for label, value in suggestions(self.today(), locale)
            if not typed or typed in label.lower() or typed in value.lower()
        ]
        if typed and not choices:
            choices.append(app_commands.Choice(name=current[:100], value=current[:100]))
        return choices[:25]

    # ------------------------------------------------------------------ /observatoire voir
    @observatoire.command(name="voir", description="Chiffres et graphiques de l'observatoire")
    @app_commands.describe(
        periode="Semestre en cours par défaut ; ex. « S1 2026 », « 2025 », « 12 mois »",
        section="Partie à afficher (synthèse et graphiques par défaut)",
        publier="Publier dans le salon de coordination au lieu de l'afficher pour vous seul·e",
    )
    @app_commands.choices(section=SECTION_CHOICES)
    @app_commands.autocomplete(periode=period_autocomplete)
    @coordinator_only()
    async def show_command(
        self,
        interaction: discord.Interaction,
        periode: str | None = None,
        section: app_commands.Choice[str] | None = None,
        publier: bool = False,
    ) -> None:
        await self.send_section(
            interaction, periode, section.value if section else "synthese", publish=publier
        )

    async def send_section(
        self,
        interaction: discord.Interaction,
        period_text: str | None,
        section: str,
        *,
        publish: bool,
    ) -> None:
        await self.require_coordinator(interaction)
        assert interaction.guild_id is not None
        if section not in SECTIONS:
            raise UserError("core.error.bad_option", value=section[:50])
        period = self.period(period_text)
        if not await self.has_anything(interaction.guild_id):
            raise UserError("observatory.empty_directory")
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        obs = await self.compute(interaction.guild_id, period)
        days = await self.freshness_days(interaction.guild_id)
        channel = None
        if publish:
            channel_id = await self.bot.guild_config.get(
                interaction.guild_id, "channel.coordination"
            )
            channel = await self.bot.resolve_channel(int(channel_id)) if channel_id else None
            # A published message is read by every coordinator: in the network's language.
            locale = "fr" if channel is not None else locale
        drawn = await asyncio.to_thread(draw_charts, obs, SECTION_CHARTS[section], locale)
        message = section_message(obs, section, drawn, locale, freshness_days=days)
        view = sections_view(period.slug, section, locale)
        notice = "observatory.post.no_channel" if publish else None
        if channel is not None:
            try:
                await channel.send(
                    embeds=message.embeds,
                    files=message.files,
                    view=view,
                    allowed_mentions=MENTIONS,
                )
            except discord.HTTPException as error:
                log.warning("coordination channel %s refused the observatory: %s", channel, error)
                notice = "observatory.post.failed"
                message = section_message(obs, section, drawn, locale, freshness_days=days)
            else:
                await interaction.followup.send(
                    t("observatory.post.posted", locale_of(interaction), channel=channel.mention),
                    ephemeral=True,
                    allowed_mentions=MENTIONS,
                )
                return
        if notice:
            await interaction.followup.send(
                t(notice, locale_of(interaction)), ephemeral=True, allowed_mentions=MENTIONS
            )
        await interaction.followup.send(
            embeds=message.embeds,
            files=message.files,
            view=view,
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    # ------------------------------------------------------------------ /observatoire rapport
    @observatoire.command(
        name="rapport",
        description="Dossier COPIL : PDF et CSV des chiffres, classés dans la bibliothèque",
    )
    @app_commands.describe(periode="Semestre en cours par défaut ; ex. « S1 2026 », « 2025 »")
    @app_commands.autocomplete(periode=period_autocomplete)
    @coordinator_only()
    async def report_command(
        self, interaction: discord.Interaction, periode: str | None = None
    ) -> None:
        await self.send_report(interaction, periode)

    async def send_report(self, interaction: discord.Interaction, period_text: str | None) -> None:
        await self.require_coordinator(interaction)
        guild = interaction.guild
        assert guild is not None
        period = self.period(period_text)
        if not await self.has_anything(guild.id):
            raise UserError("observatory.empty_directory")
        locale = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        obs = await self.compute(guild.id, period)
        # The COPIL pack is French: it goes on the agenda of a French meeting.
        pdf, csv_bytes = await asyncio.to_thread(self.build_pack, obs, guild.name)
        label = period.label("fr")
        tags = ["observatoire", "copil", period.slug]
        async with self.bot.db.transaction() as session:
            pdf_document = await self.bot.documents.add(
                guild_id=guild.id,
                title=t("observatory.report.document_title", "fr", period=label)[:300],
                data=pdf,
                filename=f"observatoire-{period.slug}.pdf",
                category="rapport",
                tags=tags,
                origin=DocumentOrigin.REPORT,
                owner_id=interaction.user.id,
                description=t(
                    "observatory.report.description",
                    "fr",
                    previous=obs.previous_period.label("fr"),
                ),
                mime_type="application/pdf",
                session=session,
            )
            csv_document = await self.bot.documents.add(
                guild_id=guild.id,
                title=t("observatory.report.csv_title", "fr", period=label)[:300],
                data=csv_bytes,
                filename=f"observatoire-{period.slug}.csv",
                category="rapport",
                tags=tags,
                origin=DocumentOrigin.REPORT,
                owner_id=interaction.user.id,
                mime_type="text/csv",
                session=session,
            )
            # The report day's offer is kept, so later periods can compare with it.
            await data.save_snapshot(
                session,
                guild.id,
                self.today(),
                snapshot_figures(obs.matrix, obs.freshness),
                self.bot.clock.now(),
            )
            pdf_id, csv_id = pdf_document.id, csv_document.id
            await self.bot.audit(
                guild.id,
                actor_id=interaction.user.id,
                action="observatory.report",
                target=label,
                details={"pdf_document_id": pdf_id, "csv_document_id": csv_id},
                session=session,
            )
        await interaction.followup.send(
            t(
                "observatory.report.done",
                locale,
                period=period.label(locale),
                pdf_id=pdf_id,
                csv_id=csv_id,
            ),
            files=[
                discord.File(io.BytesIO(pdf), filename=f"observatoire-{period.slug}.pdf"),
                discord.File(io.BytesIO(csv_bytes), filename=f"observatoire-{period.slug}.csv"),
            ],
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    def build_pack(self, obs: Observatory, guild_name: str) -> tuple[bytes, bytes]:
        drawn = chart_module.all_charts(obs, "fr")
        pdf = export.to_pdf(obs, drawn, guild_name=guild_name, locale="fr")
        return pdf, export.to_csv(export.figure_rows(obs))

    # ------------------------------------------------------------------ /observatoire lien
    @observatoire.command(
        name="lien", description="Lien de la page web de l'observatoire (lecture seule)"
    )
    @app_commands.describe(renouveler="Créer un nouveau lien : l'ancien cesse de fonctionner")
    @coordinator_only()
    async def link_command(
        self, interaction: discord.Interaction, renouveler: bool = False
    ) -> None:
        assert interaction.guild_id is not None
        locale = locale_of(interaction)
        if not self.bot.web_enabled:
            raise UserError("observatory.link.no_web")
        # The audit line may be posted in the audit channel first: answer within Discord's
        # three seconds whatever that takes.
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.transaction() as session:
            if renouveler:
                token = await data.rotate_page_token(
                    session, interaction.guild_id, interaction.user.id
                )
            else:
                token = await data.page_token(
                    session, interaction.guild_id, create=True, by=interaction.user.id
                )
            assert token is not None
            await self.bot.audit(
                interaction.guild_id,
                actor_id=interaction.user.id,
                action="observatory.link_rotated" if renouveler else "observatory.link",
                session=session,
            )
        url = self.bot.web.url(f"/g/{interaction.guild_id}/observatoire?token={token}")
        key = "observatory.link.rotated" if renouveler else "observatory.link.text"
        await interaction.followup.send(
            t(key, locale, url=url), ephemeral=True, allowed_mentions=MENTIONS
        )

    # ------------------------------------------------------------------ web page
    async def _web_access(self, request: web.Request) -> tuple[int, str]:
        try:
            guild_id = int(request.match_info["guild_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        token = request.query.get("token", "")
        async with self.bot.db.session() as session:
            if not token or not await data.check_page_token(session, guild_id, token):
                raise web.HTTPNotFound()
        return guild_id, token

    async def web_page(self, request: web.Request) -> web.Response:
        guild_id, token = await self._web_access(request)
        locale = normalize_locale(request.query.get("lang", "fr"))
        try:
            period = parse_period(request.query.get("periode"), self.today())
        except PeriodError as exc:
            return web.Response(
                text=page.error_page(t(exc.key, locale, **exc.kwargs), locale),
                content_type="text/html",
                charset="utf-8",
                headers=page.HEADERS,
                status=400,
            )
        obs = await self.compute(guild_id, period)
        days = await self.freshness_days(guild_id)
        drawn = await asyncio.to_thread(draw_charts, obs, tuple(CHART_BUILDERS), locale)
        html = page.render_page(obs, drawn, token=token, locale=locale, freshness_days=days)
        return web.Response(
            text=html, content_type="text/html", charset="utf-8", headers=page.HEADERS
        )

    async def web_csv(self, request: web.Request) -> web.Response:
        guild_id, _token = await self._web_access(request)
        try:
            period = parse_period(request.query.get("periode"), self.today())
        except PeriodError as exc:
            return web.Response(text=t(exc.key, "fr", **exc.kwargs), status=400)
        obs = await self.compute(guild_id, period)
        return web.Response(
            body=export.to_csv(export.figure_rows(obs)),
            content_type="text/csv",
            charset="utf-8",
            headers={
                **page.HEADERS,
                "Content-Disposition": f'attachment; filename="observatoire-{period.slug}.csv"',
            },
        )

    # ------------------------------------------------------------------ monthly snapshot
    async def take_snapshots(self) -> None:
        """Keep the offer of today for every guild with a directory (idempotent: the same
        day is replaced), so that future periods can be compared with this one."""
        async with self.bot.db.session() as session:
            guild_ids = list(
                await session.scalars(
                    select(Structure.guild_id).where(Structure.archived_at.is_(None)).distinct()
                )
            )
            known = set(await session.scalars(select(Guild.id).where(Guild.left_at.is_(None))))
        for guild_id in guild_ids:
            if known and guild_id not in known:
                continue
            try:
                figures = await offer_snapshot(
                    self.bot.db,
                    guild_id,
                    now=self.bot.clock.now(),
                    freshness_days=await self.freshness_days(guild_id),
                )
                async with self.bot.db.transaction() as session:
                    await data.save_snapshot(
                        session, guild_id, self.today(), figures, self.bot.clock.now()
                    )
            except Exception:
                log.exception("observatory snapshot failed for guild %s", guild_id)
