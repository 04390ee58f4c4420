"""The bot's small web side: /healthz, /metrics, and the routes capabilities register.

Capabilities add routes in their ``setup`` (before the server starts), e.g.
``bot.web.app.router.add_get("/g/{guild_id}/events.ics", handler)``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.client import AiguillageBot

log = logging.getLogger("aiguillage.web")


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
    )


class WebServer:
    def __init__(self, bot: AiguillageBot, host: str, port: int, public_url: str | None) -> None:
        self.bot = bot
        self.host = host
        self.port = port
        self._public_url = public_url
        self.app = web.Application(client_max_size=64 * 1024**2)
        self.app.router.add_get("/healthz", self.healthz)
        self.app.router.add_get("/metrics", self.metrics)
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # the bound port when port 0 was asked for
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("web side listening on %s:%s", self.host, self.bound_port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "/") -> str:
        base = self._public_url or f"http://127.0.0.1:{self.bound_port or self.port}"
        return base.rstrip("/") + "/" + path.lstrip("/")

    async def healthz(self, request: web.Request) -> web.Response:
        checks = {
            "gateway": self.bot.is_ready() and not self.bot.is_closed() and self.bot.ws is not None,
            "database": await self.bot.db.ping(),
            "scheduler": self.bot.scheduler.running,
        }
        body = {
            "status": "ok" if all(checks.values()) else "degraded",
            "checks": checks,
            "scheduler_leader": self.bot.scheduler.is_leader,
            "guilds": len(self.bot.guilds),
        }
        return json_response(body, status=200 if all(checks.values()) else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        self.bot.metrics.gateway_connected.set(
            1 if self.bot.is_ready() and not self.bot.is_closed() else 0
        )
        self.bot.metrics.guilds.set(len(self.bot.guilds))
        return web.Response(body=self.bot.metrics.render(), content_type="text/plain")
