"""Document library: /doc ajouter, chercher, remplacer, supprimer, restaurer, recents, tags.

The engine (checks, extraction, index, search) lives in the runtime's document service
(``bot.documents``) because every capability files documents through it.
"""

import contextlib

from aiohttp import web

from bot.client import AiguillageBot
from cogs.library.cog import DOWNLOAD_ROUTE, LibraryCog


async def setup(bot: AiguillageBot) -> None:
    # The runtime builds its document service without the clock or the upload limit.
    bot.documents.now = bot.clock.now
    bot.documents.max_file_bytes = bot.settings.max_upload_mb * 1024 * 1024
    await bot.add_cog(LibraryCog(bot))

    async def download(request: web.Request) -> web.StreamResponse:
        cog = bot.get_cog("LibraryCog")
        if not isinstance(cog, LibraryCog):
            raise web.HTTPNotFound()
        return await cog.serve_file(request)

    # Once the web side runs its routes are frozen; after a reload the route is still there.
    with contextlib.suppress(RuntimeError):
        bot.web.app.router.add_get(DOWNLOAD_ROUTE, download)
