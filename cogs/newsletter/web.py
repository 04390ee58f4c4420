"""The newsletter's public web side: archives page, one HTML page per published issue, its
Markdown and HTML-fragment exports, its images and PDF, and an Atom feed per network.

Only published issues are served; drafts and pending proposals never leave Discord.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from cogs.newsletter import service
from cogs.newsletter.compose import IssueContent, ItemContent
from cogs.newsletter.export import (
    archives_html,
    atom_feed,
    issue_html,
    issue_markdown,
    published_label,
)
from db.models import Guild
from db.models.newsletter import IssueMode, NewsletterIssue

if TYPE_CHECKING:
    from bot.client import AiguillageBot

log = logging.getLogger("aiguillage.newsletter.web")

PREFIX = "/newsletter/{guild_id:\\d+}"
CACHE = "public, max-age=300"


class NewsletterWeb:
    def __init__(self, bot: AiguillageBot) -> None:
        self.bot = bot

    def register(self) -> None:
        router = self.bot.web.app.router
        try:
            router.add_get(PREFIX + "/", self.archives)
            router.add_get(PREFIX + "/feed.atom", self.feed)
            router.add_get(PREFIX + "/{number:\\d+}", self.page)
            router.add_get(PREFIX + "/{number:\\d+}.md", self.markdown)
            router.add_get(PREFIX + "/{number:\\d+}.html", self.fragment)
            router.add_get(PREFIX + "/{number:\\d+}/images/{item_id:\\d+}", self.image)
            router.add_get(PREFIX + "/{number:\\d+}/fichier.pdf", self.pdf)
        except RuntimeError:
            # The router is frozen once the server runs (a capability reloaded live):
            # the routes registered at startup are still there.
            log.info("newsletter routes already registered")

    # ---- helpers --------------------------------------------------------------------
    @staticmethod
    def _urls(request: web.Request, guild_id: int) -> service.UrlBuilder:
        return service.UrlBuilder(str(request.url.origin()), guild_id)

    async def _site_name(self, guild_id: int) -> str:
        async with self.bot.db.session() as session:
            guild = await session.get(Guild, guild_id)
        return guild.name if guild and guild.name else ""

    async def _issue(self, request: web.Request) -> tuple[int, NewsletterIssue, IssueContent]:
        guild_id = int(request.match_info["guild_id"])
        number = int(request.match_info["number"])
        async with self.bot.db.session() as session:
            issue = await service.get_published_issue(session, guild_id, number)
        if issue is None or not issue.snapshot:
            raise web.HTTPNotFound(text="Lettre introuvable.")
        urls = self._urls(request, guild_id)
        content = dataclasses.replace(
            IssueContent.from_dict(issue.snapshot),
            url=urls.issue(number),
            file_url=urls.file(number) if issue.mode == IssueMode.FILE else None,
        )
        return guild_id, issue, content

    def _image_url(self, urls: service.UrlBuilder, number: int):  # type: ignore[no-untyped-def]
        def build(item: ItemContent) -> str:
            return urls.image(number, item.item_id) or ""

        return build

    # ---- routes ---------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.Response:
        guild_id, issue, content = await self._issue(request)
        urls = self._urls(request, guild_id)
        body = issue_html(
            content,
            image_url=self._image_url(urls, issue.number),
            site_name=await self._site_name(guild_id),
            archive_url=urls.archives(),
            feed_url=urls.feed(),
        )
        return web.Response(
            text=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": CACHE}
        )

    async def fragment(self, request: web.Request) -> web.Response:
        guild_id, issue, content = await self._issue(request)
        urls = self._urls(request, guild_id)
        body = issue_html(content, standalone=False, image_url=self._image_url(urls, issue.number))
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def markdown(self, request: web.Request) -> web.Response:
        guild_id, issue, content = await self._issue(request)
        urls = self._urls(request, guild_id)
        body = issue_markdown(content, image_url=self._image_url(urls, issue.number))
        return web.Response(
            text=body,
            content_type="text/markdown",
            charset="utf-8",
            headers={"Content-Disposition": f'inline; filename="lettre-{issue.number}.md"'},
        )

    async def image(self, request: web.Request) -> web.Response:
        _, _, content = await self._issue(request)
        item_id = int(request.match_info["item_id"])
        item = next((i for i in content.items if i.item_id == item_id and i.image), None)
        if item is None or item.image is None:
            raise web.HTTPNotFound(text="Image introuvable.")
        data = await self.bot.storage.get(item.image.sha256)
        return web.Response(
            body=data,
            content_type=item.image.content_type or "application/octet-stream",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def pdf(self, request: web.Request) -> web.Response:
        _, _, content = await self._issue(request)
        if content.file is None:
            raise web.HTTPNotFound(text="Cette lettre n'a pas de PDF.")
        data = await self.bot.storage.get(content.file.sha256)
        return web.Response(
            body=data,
            content_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{content.file.filename}"'},
        )

    async def _published(self, guild_id: int) -> list[NewsletterIssue]:
        async with self.bot.db.session() as session:
            return await service.published_issues(session, guild_id)

    async def archives(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild_id"])
        urls = self._urls(request, guild_id)
        entries = []
        for issue in await self._published(guild_id):
            if not issue.snapshot:
                continue
            entries.append(
                {
                    "url": urls.issue(issue.number) or "",
                    "heading": issue.snapshot.get("heading", f"Lettre n° {issue.number}"),
                    "date_label": published_label(issue.published_at),
                    "markdown_url": f"{urls.issue(issue.number)}.md",
                    "fragment_url": f"{urls.issue(issue.number)}.html",
                }
            )
        name = await self._site_name(guild_id)
        title = "Lettres d'information" + (f" — {name}" if name else "")
        return web.Response(
            text=archives_html(title, urls.feed() or "", entries),
            content_type="text/html",
            charset="utf-8",
        )

    async def feed(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild_id"])
        urls = self._urls(request, guild_id)
        issues = []
        for issue in await self._published(guild_id):
            if issue.snapshot:
                issues.append(
                    dataclasses.replace(
                        IssueContent.from_dict(issue.snapshot),
                        url=urls.issue(issue.number),
                        file_url=urls.file(issue.number) if issue.mode == IssueMode.FILE else None,
                        published_at=issue.published_at,
                    )
                )
        name = await self._site_name(guild_id)
        body = atom_feed(
            feed_id=urls.feed() or f"urn:aiguillage:newsletter:{guild_id}",
            title="Lettre d'information" + (f" — {name}" if name else ""),
            feed_url=urls.feed() or "",
            site_url=urls.archives() or "",
            issues=issues,
            updated=self.bot.clock.now(),
            image_url=lambda issue, item: urls.image(issue.number, item.item_id) or "",
        )
        return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")
