"""/doc: add, search, replace, delete, restore, recent documents, tags; file downloads."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import discord
from aiohttp import web
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from bot.client import AiguillageBot
from bot.documents import SHARE_LINK_TTL, Actor, can_manage, query_words
from bot.errors import PermissionRefused, UserError
from bot.i18n import locale_of, t
from bot.library.errors import LibraryError
from bot.library.fields import CATEGORIES, clean_link, clean_title, parse_tags, tag_key
from bot.library.search_index import SearchFilters
from bot.permissions import (
    coordinator_only,
    is_coordinator,
    is_member,
    member_only,
    referent_structure_ids,
)
from cogs.library import render
from cogs.library.views import DYNAMIC_ITEMS, card_view, results_view
from db.models import Structure

log = logging.getLogger("aiguillage.library")

PER_PAGE = 5
RECENT_COUNT = 10
NO_MENTIONS = discord.AllowedMentions.none()
DOWNLOAD_ROUTE = "/bibliotheque/fichier/{token}"

CATEGORY_CHOICES = [app_commands.Choice(name=label, value=key) for key, label in CATEGORIES.items()]


@contextmanager
def user_errors() -> Iterator[None]:
    """The library engine's refusals become the runtime's user-facing errors."""
    try:
        yield
    except LibraryError as err:
        raise UserError(err.key, **err.params) from err


class LibraryCog(commands.Cog):
    doc = app_commands.Group(
        name="doc", description="Bibliothèque de documents du réseau", guild_only=True
    )

    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot
        self.documents = bot.documents

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # ---- helpers -----------------------------------------------------------------------
    async def _actor(self, interaction: discord.Interaction) -> Actor:
        assert interaction.guild is not None
        user = interaction.user
        return Actor(
            user_id=user.id,
            is_coordinator=await is_coordinator(self.bot, user),
            structure_ids=frozenset(
                await referent_structure_ids(self.bot, interaction.guild.id, user.id)
            ),
        )

    async def _require_member(self, interaction: discord.Interaction) -> None:
        """Buttons have no command checks: the same rule as the commands, applied by hand."""
        if interaction.guild is None:
            raise PermissionRefused("core.refused.guild_only")
        if not await is_member(self.bot, interaction.user):
            raise PermissionRefused("core.refused.member")

    async def _structure_name(self, guild_id: int, structure_id: int | None) -> str | None:
        if structure_id is None:
            return None
        async with self.bot.db.session() as session:
            structure = await session.get(Structure, structure_id)
        return structure.display_name if structure and structure.guild_id == guild_id else None

    async def _check_structure(self, interaction: discord.Interaction, structure_id: int) -> None:
        assert interaction.guild is not None
        if await self._structure_name(interaction.guild.id, structure_id) is None:
            raise UserError("library.error.structure_unknown")
        actor = await self._actor(interaction)
        if not actor.is_coordinator and structure_id not in actor.structure_ids:
            raise UserError("library.error.structure_not_yours")

    def _check_attachment_size(self, attachment: discord.Attachment) -> None:
        # Refuse before downloading anything.
        limit = self.documents.max_file_bytes
        if attachment.size > limit:
            raise UserError(
                "library.error.too_large",
                filename=attachment.filename,
                size_mb=f"{attachment.size / 1024 / 1024:.1f}",
                max_mb=f"{limit / 1024 / 1024:.0f}",
            )

    @staticmethod
    async def _read(attachment: discord.Attachment) -> bytes:
        try:
            return await attachment.read()
        except (discord.HTTPException, discord.NotFound) as exc:
            raise UserError(
                "library.error.attachment_unreadable", filename=attachment.filename
            ) from exc

    # ---- /doc ajouter ------------------------------------------------------------------
    @doc.command(
        name="ajouter", description="Ajouter un document (fichier ou lien) à la bibliothèque"
    )
    @app_commands.rename(
        title="titre",
        attachment="fichier",
        link="lien",
        category="categorie",
        structure_id="structure",
    )
    @app_commands.describe(
        title="Titre du document",
        attachment="Le fichier (PDF, DOCX, ODT, XLSX, PPTX, image, texte…)",
        link="Ou un lien vers le document (https://…)",
        tags="Étiquettes séparées par des virgules",
        category="Catégorie du document",
        structure_id="Structure propriétaire du document",
        description="Quelques mots sur le contenu",
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    @member_only()
    async def add(
        self,
        interaction: discord.Interaction,
        title: str,
        attachment: discord.Attachment | None = None,
        link: str | None = None,
        tags: str | None = None,
        category: app_commands.Choice[str] | None = None,
        structure_id: int | None = None,
        description: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        if (attachment is None) == (link is None):
            raise UserError("library.error.file_or_link")
        with user_errors():
            clean_title(title)
            parse_tags(tags)
            if link is not None:
                clean_link(link)
        if structure_id is not None:
            await self._check_structure(interaction, structure_id)
        if attachment is not None:
            self._check_attachment_size(attachment)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self._read(attachment) if attachment is not None else None
        with user_errors():
            document = await self.documents.add(
                guild_id=interaction.guild.id,
                title=title,
                data=data,
                filename=attachment.filename if attachment else None,
                link_url=link,
                category=category.value if category else "",
                tags=tags,
                origin="upload" if attachment else "link",
                owner_id=interaction.user.id,
                structure_id=structure_id,
                description=description or "",
            )
        await self.bot.audit(
            interaction.guild.id,
            actor_id=interaction.user.id,
            action="library.add",
            target=f"#{document.id} {document.title}",
            structure_id=structure_id,
        )
        text = t("library.added", locale, title=document.title, document_id=document.id)
        current = document.current
        if current is not None and current.sha256 and not current.text.strip():
            text += "\n" + t("library.added_no_text", locale)
        await self._send_card(interaction, document, locale, text)

    async def _send_card(
        self,
        interaction: discord.Interaction,
        document: Any,
        locale: str,
        text: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        structure = await self._structure_name(interaction.guild.id, document.structure_id)
        embed = render.card_embed(document, locale, structure)
        has_file = bool(document.current and document.current.sha256)
        view = card_view(document.id, has_file, locale)
        kwargs: dict[str, Any] = {"embed": embed, "allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = view
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(text, ephemeral=True, **kwargs)

    # ---- /doc chercher -----------------------------------------------------------------
    @doc.command(name="chercher", description="Chercher dans la bibliothèque")
    @app_commands.rename(query="requete", category="categorie", structure_id="structure")
    @app_commands.describe(
        query="Les mots à chercher",
        tag="Seulement les documents avec cette étiquette",
        category="Seulement cette catégorie",
        structure_id="Seulement les documents de cette structure",
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    @member_only()
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 200],
        tag: str | None = None,
        category: app_commands.Choice[str] | None = None,
        structure_id: int | None = None,
    ) -> None:
        assert interaction.guild is not None
        filters = SearchFilters(
            tag_key=tag_key(tag) or None if tag else None,
            category=category.value if category else None,
            structure_id=structure_id,
        )
        if not query_words(query):  # refused before the search is remembered
            raise LibraryError("library.error.empty_query")
        # A first search may build the typo-correction vocabulary: can exceed a second.
        await interaction.response.defer(ephemeral=True, thinking=True)
        search_id = await self.documents.save_search(
            interaction.guild.id, interaction.user.id, query, filters
        )
        await self._render_search(interaction, search_id, query, filters, 0, edit=False)

    async def _filters_text(self, guild_id: int, filters: SearchFilters, locale: str) -> str | None:
        parts = []
        if filters.tag_key:
            parts.append(f"`{filters.tag_key}`")
        if filters.category:
            parts.append(render.category_label(filters.category, locale))
        if filters.structure_id is not None:
            name = await self._structure_name(guild_id, filters.structure_id)
            parts.append(name or str(filters.structure_id))
        return ", ".join(parts) or None

    async def _render_search(
        self,
        interaction: discord.Interaction,
        search_id: int,
        query: str,
        filters: SearchFilters,
        page: int,
        *,
        edit: bool,
    ) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        with user_errors():
            result = await self.documents.search(
                interaction.guild.id, query, filters, page=page, per_page=PER_PAGE
            )
        embed = render.results_embed(
            result,
            query,
            locale,
            await self._filters_text(interaction.guild.id, filters, locale),
            PER_PAGE,
        )
        view = results_view(
            [hit.document.id for hit in result.hits],
            locale,
            search_id=search_id,
            page=page,
            has_more=result.has_more,
        )
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await interaction.followup.send(
                embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    async def show_page(self, interaction: discord.Interaction, search_id: int, page: int) -> None:
        await self._require_member(interaction)
        assert interaction.guild is not None
        with user_errors():
            query, filters = await self.documents.load_search(interaction.guild.id, search_id)
        await self._render_search(interaction, search_id, query, filters, page, edit=True)

    # ---- buttons: file and card ----------------------------------------------------------
    async def send_file(self, interaction: discord.Interaction, document_id: int) -> None:
        await self._require_member(interaction)
        assert interaction.guild is not None
        locale = locale_of(interaction)
        with user_errors():
            document = await self.documents.fetch(interaction.guild.id, document_id)
        version = document.current
        if version is None or version.sha256 is None:
            url = (version.link_url if version else None) or document.link_url or ""
            await interaction.response.send_message(
                t("library.link_document", locale, title=document.title, url=url),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        limit = getattr(interaction, "filesize_limit", None) or interaction.guild.filesize_limit
        if version.size <= limit:
            data = await self.documents.get_bytes(version)
            await interaction.followup.send(
                t("library.file_attached", locale, title=document.title, number=version.number),
                file=discord.File(io.BytesIO(data), filename=version.filename or "document"),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        # Too big for Discord: an unguessable, expiring link served by the bot's web side.
        with user_errors():
            link = await self.documents.create_share_link(
                interaction.guild.id, document.id, interaction.user.id
            )
        await interaction.followup.send(
            t(
                "library.file_link",
                locale,
                title=document.title,
                number=version.number,
                days=SHARE_LINK_TTL.days,
                url=self.bot.web.url(DOWNLOAD_ROUTE.format(token=link.token)),
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def show_card(self, interaction: discord.Interaction, document_id: int) -> None:
        await self._require_member(interaction)
        assert interaction.guild is not None
        with user_errors():
            document = await self.documents.fetch(interaction.guild.id, document_id)
        await self._send_card(interaction, document, locale_of(interaction))

    # ---- /doc remplacer ------------------------------------------------------------------
    @doc.command(name="remplacer", description="Déposer une nouvelle version d'un document")
    @app_commands.rename(document_id="document", attachment="fichier", link="lien")
    @app_commands.describe(
        document_id="Le document (tapez quelques lettres du titre)",
        attachment="Le fichier (PDF, DOCX, ODT, XLSX, PPTX, image, texte…)",
        link="Ou un lien vers le document (https://…)",
        note="Ce qui change dans cette version",
    )
    @member_only()
    async def replace(
        self,
        interaction: discord.Interaction,
        document_id: int,
        attachment: discord.Attachment | None = None,
        link: str | None = None,
        note: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        if (attachment is None) == (link is None):
            raise UserError("library.error.file_or_link")
        actor = await self._actor(interaction)
        with user_errors():
            document = await self.documents.fetch(interaction.guild.id, document_id)
            if not can_manage(document, actor):
                raise LibraryError("library.error.not_owner", title=document.title)
            if link is not None:
                clean_link(link)
        if attachment is not None:
            self._check_attachment_size(attachment)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self._read(attachment) if attachment is not None else None
        with user_errors():
            version = await self.documents.add_version(
                document.id,
                guild_id=interaction.guild.id,
                data=data,
                filename=attachment.filename if attachment else None,
                link_url=link,
                added_by=interaction.user.id,
                note=note or "",
                actor=actor,
            )
            document = await self.documents.fetch(interaction.guild.id, document.id)
        await self.bot.audit(
            interaction.guild.id,
            actor_id=interaction.user.id,
            action="library.replace",
            target=f"#{document.id} {document.title}",
            structure_id=document.structure_id,
            details={"version": version.number},
        )
        await self._send_card(
            interaction,
            document,
            locale,
            t("library.replaced", locale, title=document.title, number=version.number),
        )

    # ---- /doc supprimer, /doc restaurer ---------------------------------------------------
    @doc.command(
        name="supprimer", description="Retirer un document de la bibliothèque (restaurable)"
    )
    @app_commands.rename(document_id="document")
    @app_commands.describe(document_id="Le document (tapez quelques lettres du titre)")
    @member_only()
    async def delete(self, interaction: discord.Interaction, document_id: int) -> None:
        assert interaction.guild is not None
        actor = await self._actor(interaction)
        with user_errors():
            document = await self.documents.soft_delete(interaction.guild.id, document_id, actor)
        await self.bot.audit(
            interaction.guild.id,
            actor_id=interaction.user.id,
            action="library.delete",
            target=f"#{document.id} {document.title}",
            structure_id=document.structure_id,
        )
        await interaction.response.send_message(
            t("library.deleted", locale_of(interaction), title=document.title),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @doc.command(name="restaurer", description="Restaurer un document supprimé (coordinateurs)")
    @app_commands.rename(document_id="document")
    @app_commands.describe(document_id="Le document (tapez quelques lettres du titre)")
    @coordinator_only()
    async def restore(self, interaction: discord.Interaction, document_id: int) -> None:
        assert interaction.guild is not None
        actor = await self._actor(interaction)
        with user_errors():
            document = await self.documents.restore(interaction.guild.id, document_id, actor)
        await self.bot.audit(
            interaction.guild.id,
            actor_id=interaction.user.id,
            action="library.restore",
            target=f"#{document.id} {document.title}",
            structure_id=document.structure_id,
        )
        await interaction.response.send_message(
            t("library.restored", locale_of(interaction), title=document.title),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # ---- /doc recents, /doc tags ----------------------------------------------------------
    @doc.command(name="recents", description="Les derniers documents ajoutés ou mis à jour")
    @member_only()
    async def recent(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        documents = await self.documents.recent(interaction.guild.id, RECENT_COUNT)
        kwargs: dict[str, Any] = {}
        if documents:
            kwargs["view"] = results_view([d.id for d in documents], locale)
        await interaction.response.send_message(
            embed=render.recent_embed(documents, locale),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
            **kwargs,
        )

    @doc.command(name="tags", description="Les étiquettes utilisées et leur nombre de documents")
    @member_only()
    async def tags(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        tags = await self.documents.tag_counts(interaction.guild.id)
        await interaction.response.send_message(
            embed=render.tags_embed(tags, locale_of(interaction)),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # ---- autocomplete -----------------------------------------------------------------------
    async def _may_browse(self, interaction: discord.Interaction) -> bool:
        return interaction.guild is not None and await is_member(self.bot, interaction.user)

    @add.autocomplete("tags")
    async def _tags_list_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Completes the last tag of a comma-separated list."""
        if not await self._may_browse(interaction):
            return []
        assert interaction.guild is not None
        head, _, last = current.rpartition(",")
        prefix = f"{head.strip()}, " if head.strip() else ""
        already = {tag_key(part) for part in head.split(",")}
        suggestions = await self.documents.suggest_tags(interaction.guild.id, last)
        choices = []
        for tag in suggestions:
            value = f"{prefix}{tag}"
            if tag_key(tag) not in already and len(value) <= 100:
                choices.append(app_commands.Choice(name=value, value=value))
        return choices[:25]

    @search.autocomplete("tag")
    async def _tag_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not await self._may_browse(interaction):
            return []
        assert interaction.guild is not None
        tags = await self.documents.suggest_tags(interaction.guild.id, current)
        return [app_commands.Choice(name=tag, value=tag) for tag in tags][:25]

    @add.autocomplete("structure_id")
    @search.autocomplete("structure_id")
    async def _structure_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if not await self._may_browse(interaction):
            return []
        assert interaction.guild is not None
        async with self.bot.db.session() as session:
            rows = list(
                await session.scalars(
                    select(Structure)
                    .where(
                        Structure.guild_id == interaction.guild.id,
                        Structure.archived_at.is_(None),
                    )
                    .order_by(Structure.nom)
                )
            )
        typed = current.casefold().strip()
        matching = [
            s
            for s in rows
            if not typed or typed in s.nom.casefold() or typed in (s.short_name or "").casefold()
        ]
        return [
            app_commands.Choice(name=f"{s.display_name} ({s.commune})"[:100], value=s.id)
            for s in matching[:25]
        ]

    async def _documents_autocomplete(
        self, interaction: discord.Interaction, current: str, deleted: bool
    ) -> list[app_commands.Choice[int]]:
        if not await self._may_browse(interaction):
            return []
        assert interaction.guild is not None
        documents = await self.documents.suggest_documents(
            interaction.guild.id, current, deleted=deleted
        )
        return [
            app_commands.Choice(name=f"{d.title} (n°{d.id})"[:100], value=d.id) for d in documents
        ]

    @replace.autocomplete("document_id")
    @delete.autocomplete("document_id")
    async def _live_documents_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._documents_autocomplete(interaction, current, deleted=False)

    @restore.autocomplete("document_id")
    async def _deleted_documents_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._documents_autocomplete(interaction, current, deleted=True)

    # ---- web: download links -------------------------------------------------------------------
    async def serve_file(self, request: web.Request) -> web.StreamResponse:
        try:
            version, data = await self.documents.resolve_share_link(request.match_info["token"])
        except LibraryError:
            return web.Response(
                status=404, text=t("library.web_expired", "fr"), content_type="text/plain"
            )
        filename = version.filename or "document"
        ascii_name = (
            filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
        )
        return web.Response(
            body=data,
            headers={
                "Content-Type": version.mime_type or "application/octet-stream",
                "Content-Disposition": (
                    f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
