"""The public web side of the guide (aiohttp, server-rendered HTML, no login, no JS).

Routes, under the guide's address ``/guide/<slug>/``:

- ``/``                      search by need (plain French), kind of help and zone, paginated
- ``/lieu/<id>``             one place: address, hours with "ouvert maintenant", conditions…
- ``/imprimer``, ``/guide.pdf[?zone=…]``   printable edition (whole guide or one zone)
- ``/donnees``, ``/donnees/<file>``        open data (standard CSV/JSON, data·inclusion,
                                           datapackage.json), with licence and Last-Modified

A guide that is not published (or was withdrawn) answers a French 404 page. Nothing here
knows about Discord: the cog builds a ``GuideSite`` and registers it on ``bot.web``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from db.directory.hours import DAYS, PARIS
from db.directory.matching import SynonymTable, default_table
from db.engine import Database
from db.models.guide import GuidePublication

from . import opendata
from .catalog import (
    KINDS,
    PAGE_SIZE,
    GuideQuery,
    GuideStats,
    all_places,
    find_place,
    guide_stats,
    listing,
    zone_predicate,
)
from .printable import PrintRequest, build_pdf, french_date
from .publication import published_by_slug

log = logging.getLogger("aiguillage.guide")

PACKAGE_DIR = Path(__file__).parent
STATIC_PATH = "/guide-static/guide.css"
MAX_PDF_PLACES = 1500
SECURITY_HEADERS = {
    "Content-Language": "fr",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def guide_path(slug: str, rest: str = "") -> str:
    return f"/guide/{slug}/{rest}"


def page_numbers(current: int, count: int, around: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: first, last and neighbours of the current page (None = gap)."""
    wanted = {1, count, *range(current - around, current + around + 1)}
    numbers: list[int | None] = []
    previous = 0
    for number in sorted(n for n in wanted if 1 <= n <= count):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


class _Cache:
    """A small LRU with expiry; values are recomputed by the caller on a miss."""

    def __init__(self, max_entries: int, ttl: float | None) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()

    def get(self, key: Any) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        stored_at, value = item
        if self.ttl is not None and time.monotonic() - stored_at > self.ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self._items[key] = (time.monotonic(), value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


class GuideSite:
    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime],
        url: Callable[[str], str],
        table: SynonymTable | None = None,
        stats_ttl: float = 30.0,
        publication_ttl: float = 5.0,
        max_pdf_places: int = MAX_PDF_PLACES,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.db = db
        self.now = now
        self.url = url  # public absolute URL of a path (bot.web.url)
        self.table = table or default_table()
        self.max_pdf_places = max_pdf_places
        self.page_size = page_size
        # Figures change when referents edit entries; half a minute of delay is invisible
        # to residents and spares a scan of the directory on every page at 20,000 places.
        # Files are keyed by the data's version, so they never need clearing.
        self.stats_ttl = stats_ttl
        # Which guide an address shows, remembered a few seconds: one query less on every
        # page. `/guide publier|retirer` forgets it at once in this process; another
        # instance of the bot sees the change within ``publication_ttl``.
        self.publication_ttl = publication_ttl
        self._publications: dict[str, tuple[float, GuidePublication | None]] = {}
        self._stats: dict[int, tuple[float, GuideStats]] = {}
        self._refreshing: dict[int, asyncio.Task[GuideStats]] = {}
        self._files = _Cache(max_entries=32, ttl=None)  # keyed by data version
        self._locks: dict[Any, asyncio.Lock] = {}
        self.env = Environment(
            loader=FileSystemLoader(PACKAGE_DIR / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["date_fr"] = french_date
        self.env.globals["static_url"] = STATIC_PATH
        self._css = (PACKAGE_DIR / "static" / "guide.css").read_bytes()
        self._css_etag = '"' + hashlib.sha256(self._css).hexdigest()[:20] + '"'

    # ------------------------------------------------------------------ routing
    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get(STATIC_PATH, self.stylesheet)
        router.add_get("/guide/{slug}", self.add_slash)
        router.add_get("/guide/{slug}/", self.home)
        router.add_get("/guide/{slug}/lieu/{place_id}", self.place)
        router.add_get("/guide/{slug}/imprimer", self.print_page)
        router.add_get("/guide/{slug}/guide.pdf", self.pdf)
        router.add_get("/guide/{slug}/donnees", self.data_page)
        router.add_get("/guide/{slug}/donnees/{filename}", self.data_file)
        router.add_get("/guide/{tail:.*}", self.not_found)

    def forget(self) -> None:
        """Drop what is remembered of publications and figures, so the next page shows a
        change made in this process at once (files are keyed by the data's version)."""
        self._publications.clear()
        self._stats.clear()

    # ------------------------------------------------------------------ helpers
    def _html(self, template: str, status: int = 200, **context: Any) -> web.Response:
        body = self.env.get_template(template).render(**context)
        response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-cache"
        return response

    def _error(
        self,
        status: int,
        heading: str,
        *paragraphs: str,
        back_url: str | None = None,
        back_label: str = "",
    ) -> web.Response:
        return self._html(
            "error.html",
            status=status,
            heading=heading,
            paragraphs=paragraphs,
            back_url=back_url,
            back_label=back_label,
        )

    def _unpublished(self) -> web.Response:
        return self._error(
            404,
            "Ce guide n'est pas publié",
            "Aucun guide numérique n'est publié à cette adresse, ou il a été retiré par "
            "les coordinateurs du réseau.",
            "Vérifiez l'adresse, ou demandez le bon lien à la structure qui vous l'a donné.",
        )

    async def _publication(self, request: web.Request) -> GuidePublication | None:
        slug = request.match_info["slug"]
        remembered = self._publications.get(slug)
        if remembered is not None and time.monotonic() - remembered[0] <= self.publication_ttl:
            return remembered[1]
        async with self.db.session() as session:
            publication = await published_by_slug(session, slug)
        if len(self._publications) > 1024:  # unknown addresses must not grow it forever
            self._publications.clear()
        self._publications[slug] = (time.monotonic(), publication)
        return publication

    async def _build_stats(self, guild_id: int) -> GuideStats:
        async with self.db.session() as session:
            stats = await guide_stats(session, guild_id)
        self._stats[guild_id] = (time.monotonic(), stats)
        return stats

    async def _stats_for(self, guild_id: int) -> GuideStats:
        """The guild's figures; once they are older than ``stats_ttl`` the stale ones are
        served while a background task rebuilds them (reading 20,000 rows takes a few
        hundred milliseconds no resident should wait for)."""
        entry = self._stats.get(guild_id)
        if entry is None or self.stats_ttl <= 0:
            lock = self._locks.setdefault(("stats", guild_id), asyncio.Lock())
            async with lock:
                entry = self._stats.get(guild_id)
                if entry is None or self.stats_ttl <= 0:
                    return await self._build_stats(guild_id)
            return entry[1]
        built_at, stats = entry
        if time.monotonic() - built_at > self.stats_ttl and guild_id not in self._refreshing:
            task = asyncio.create_task(self._build_stats(guild_id))
            self._refreshing[guild_id] = task
            task.add_done_callback(lambda _t: self._refreshing.pop(guild_id, None))
        return stats

    def _context(self, guide: GuidePublication, stats: GuideStats, **extra: Any) -> dict[str, Any]:
        return {
            "guide": guide,
            "stats": stats,
            "base": guide_path(guide.slug),
            "kinds": KINDS,
            **extra,
        }

    # ------------------------------------------------------------------ pages
    async def stylesheet(self, request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == self._css_etag:
            return web.Response(status=304, headers={"ETag": self._css_etag})
        return web.Response(
            body=self._css,
            content_type="text/css",
            charset="utf-8",
            headers={"ETag": self._css_etag, "Cache-Control": "public, max-age=3600"},
        )

    async def add_slash(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(guide_path(request.match_info["slug"]))

    async def not_found(self, request: web.Request) -> web.Response:
        return self._error(
            404,
            "Page introuvable",
            "Cette page n'existe pas. L'adresse est peut-être incomplète ou ancienne.",
        )

    async def home(self, request: web.Request) -> web.Response:
        guide = await self._publication(request)
        if guide is None:
            return self._unpublished()
        stats = await self._stats_for(guide.guild_id)
        query = GuideQuery.from_params(request.query)
        async with self.db.session() as session:
            page = await listing(
                session, guide.guild_id, query, self.now(), self.table, stats, self.page_size
            )
        base = guide_path(guide.slug)

        def search_url(**overrides: Any) -> str:
            zone = page.zone.key if page.zone is not None else query.zone
            params = {"besoin": query.text, "aide": query.kind, "zone": zone}
            params.update({k: v for k, v in overrides.items() if k != "page"})
            if overrides.get("page", 1) > 1:
                params["page"] = overrides["page"]
            kept = {k: v for k, v in params.items() if v not in ("", None)}
            return base + ("?" + urlencode(kept) if kept else "")

        return self._html(
            "index.html",
            **self._context(
                guide,
                stats,
                page_kind="search",
                query=query,
                page=page,
                page_numbers=page_numbers(page.page, page.page_count),
                page_url=lambda number: search_url(page=number),
                search_url=search_url,
                place_url=lambda external_id: base + "lieu/" + quote(external_id, safe=""),
            ),
        )

    async def place(self, request: web.Request) -> web.Response:
        guide = await self._publication(request)
        if guide is None:
            return self._unpublished()
        now = self.now()
        async with self.db.session() as session:
            place = await find_place(session, guide.guild_id, request.match_info["place_id"], now)
        if place is None:
            return self._error(
                404,
                "Lieu introuvable",
                "Ce lieu ne figure plus dans le guide : il a peut-être fermé ou changé d'adresse.",
                back_url=guide_path(guide.slug),
                back_label="Rechercher un autre lieu",
            )
        stats = await self._stats_for(guide.guild_id)
        today = DAYS["fr"][now.astimezone(PARIS).weekday()]
        return self._html(
            "place.html",
            **self._context(guide, stats, page_kind="place", place=place, today_name=today),
        )

    async def print_page(self, request: web.Request) -> web.Response:
        guide = await self._publication(request)
        if guide is None:
            return self._unpublished()
        stats = await self._stats_for(guide.guild_id)
        return self._html(
            "print.html",
            **self._context(guide, stats, page_kind="print", max_pdf_places=self.max_pdf_places),
        )

    async def data_page(self, request: web.Request) -> web.Response:
        guide = await self._publication(request)
        if guide is None:
            return self._unpublished()
        stats = await self._stats_for(guide.guild_id)
        return self._html(
            "data.html",
            **self._context(
                guide, stats, page_kind="data", formats=list(opendata.FORMATS.values())
            ),
        )

    # ------------------------------------------------------------------ files
    async def _cached_file(self, key: Any, make: Callable[[], Any]) -> bytes:
        cached = self._files.get(key)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one build per version, however many residents ask at once
            cached = self._files.get(key)
            if cached is None:
                cached = await make()
                self._files.put(key, cached)
        self._locks.pop(key, None)
        return cached

    def _conditional(
        self,
        request: web.Request,
        body_key: Any,
        *,
        filename: str,
        last_modified: datetime | None,
    ) -> tuple[web.Response | None, dict[str, str]]:
        """(304 response when the client's copy is current, else None; the headers)."""
        etag = '"' + hashlib.sha256(repr(body_key).encode()).hexdigest()[:24] + '"'
        headers = self._file_headers(etag, filename, last_modified)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers), headers
        since = request.headers.get("If-Modified-Since")
        if since and last_modified and "If-None-Match" not in request.headers:
            try:
                if last_modified.replace(microsecond=0) <= parsedate_to_datetime(since):
                    return web.Response(status=304, headers=headers), headers
            except (TypeError, ValueError):
                pass
        return None, headers

    @staticmethod
    def _file_headers(etag: str, filename: str, last_modified: datetime | None) -> dict[str, str]:
        headers = {
            "ETag": etag,
            "Cache-Control": "public, max-age=300",
            "Content-Disposition": f'inline; filename="{filename}"',
            "Link": f'<{opendata.LICENCE["path"]}>; rel="license"',
            "X-Licence": opendata.LICENCE["name"],
            # Harvesters (the national map, data.gouv.fr) fetch from other origins.
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "ETag, Last-Modified, Link, X-Licence",
            "X-Content-Type-Options": "nosniff",
        }
        if last_modified is not None:
            headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
        return headers

    async def data_file(self, request: web.Request) -> web.Response:
        guide = await self._publication(request)
        if guide is None:
            return self._unpublished()
        filename = request.match_info["filename"]
        stats = await self._stats_for(guide.guild_id)
        if filename == "datapackage.json":
            descriptor = opendata.datapackage(
                title=guide.title,
                slug=guide.slug,
                guide_url=self.url(guide_path(guide.slug)),
                file_url=lambda name: self.url(guide_path(guide.slug, f"donnees/{name}")),
                place_count=stats.place_count,
                last_modified=stats.last_modified,
                data_date=stats.data_date,
            )
            body = opendata.datapackage_bytes(descriptor)
            key = ("datapackage", guide.guild_id, guide.slug, guide.title, stats.version)
            content_type = "application/json"
        elif filename in opendata.FILENAMES:
            fmt = opendata.FILENAMES[filename]
            key = (fmt.key, guide.guild_id, stats.version)

            async def make() -> bytes:
                async with self.db.session() as session:
                    structures = await opendata.load_structures(session, guide.guild_id)
                return await asyncio.to_thread(opendata.export, fmt.key, structures)

            not_modified, headers = self._conditional(
                request, key, filename=fmt.filename, last_modified=stats.last_modified
            )
            if not_modified is not None:
                return not_modified
            body = await self._cached_file(key, make)
            return web.Response(
                body=body,
                content_type=fmt.media_type,
                charset="utf-8",
                headers=headers,
            )
        else:
            return await self.not_found(request)
        not_modified, headers = self._conditional(
            request, key, filename=filename, last_modified=stats.last_modified
        )
        if not_modified is not None:
            return not_modified
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)

    async def pdf(self, request: web.Request) -> web.Response:
        guide = await self._publication(request)
        if guide is None:
            return self._unpublished()
        stats = await self._stats_for(guide.guild_id)
        zone_text = request.query.get("zone", "")
        zone = stats.resolve_zone(zone_text)
        back = guide_path(guide.slug, "imprimer")
        if zone_text and zone is None:
            return self._error(
                404,
                "Quartier introuvable",
                f"« {zone_text[:100]} » ne figure pas dans le guide (quartier ou commune).",
                back_url=back,
                back_label="Choisir un quartier",
            )
        zone_key = zone.key if zone is not None else ""
        in_zone = zone_predicate(zone_key)
        count = sum(1 for place in stats.places if in_zone(place))
        if count > self.max_pdf_places:
            return self._error(
                400,
                "Trop de lieux pour un seul PDF",
                f"Cette sélection compte {count} lieux ; l'édition imprimable en contient au "
                f"plus {self.max_pdf_places}. Choisissez un quartier ou une commune.",
                back_url=back,
                back_label="Choisir un quartier",
            )
        zone_label = zone.full_label if zone is not None else None
        key = ("pdf", guide.guild_id, guide.slug, guide.title, zone_key, stats.version)
        slug_part = zone_key[2:].split("|")[0].replace(" ", "-") if zone else "complet"
        filename = f"guide-numerique-{guide.slug}-{slug_part}.pdf"
        not_modified, headers = self._conditional(
            request, key, filename=filename, last_modified=stats.last_modified
        )
        if not_modified is not None:
            return not_modified
        now = self.now()

        async def make() -> bytes:
            async with self.db.session() as session:
                places = await all_places(
                    session, guide.guild_id, now, zone_key or None, limit=self.max_pdf_places
                )
            request_ = PrintRequest(
                title=guide.title,
                zone_label=zone_label,
                data_date=stats.data_date,
                online_url=self.url(guide_path(guide.slug)),
                places=places,
            )
            return await asyncio.to_thread(build_pdf, request_)

        body = await self._cached_file(key, make)
        return web.Response(body=body, content_type="application/pdf", headers=headers)
