"""The public web side never serves what members typed as live HTML or script."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.harness import BotHarness

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[clic](javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">a</a>',
    "<iframe src=//evil.invalid></iframe>",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic]( javascript:alert(1))",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]
ACTIVE_TAGS = {"script", "iframe", "svg", "object", "embed", "base", "meta"}
BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


class _LiveParts(HTMLParser):
    """Real tags and attributes a browser would run (escaped text is not parsed as tags)."""

    def __init__(self, allowed_scripts: tuple[str, ...] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if (
            tag in ACTIVE_TAGS
            and not (tag == "script" and values.get("type") in self.allowed_scripts)
            and not (tag == "meta" and "http-equiv" not in values)
        ):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if (
                name in ("href", "src", "action", "formaction")
                and value
                and BAD_SCHEME.match(value)
            ):
                self.found.append(f"{tag} {name}={value[:40]}")


def live_parts(html: str, allowed_scripts: tuple[str, ...] = ()) -> list[str]:
    parser = _LiveParts(allowed_scripts)
    parser.feed(html)
    return parser.found


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30)), max_size=6).map("\n".join)
)
def test_member_markdown_becomes_inert_html(text: str) -> None:
    from cogs.newsletter.export import markdown_to_html

    html = str(markdown_to_html(text))
    assert not live_parts(html), html


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(tmp_path / "data") as harness:
        yield harness


async def test_guide_pages_show_hostile_directory_text_as_text(h: BotHarness) -> None:
    """A referent's card (name, hours, presentation) full of script: the public guide's
    pages (home, place, print) show it as text."""
    from db.models import Structure

    assert h.bot is not None
    async with h.bot.db.transaction() as session:
        structure = await session.scalar(
            select(Structure).where(
                Structure.guild_id == h.guild_id, Structure.external_id == "merignac-ccas"
            )
        )
        assert structure is not None
        structure.nom = "CCAS <script>alert(1)</script>"
        structure.short_name = "CCAS <script>alert(1)</script>"
        structure.presentation_resume = " ".join(PAYLOADS)
        structure.horaires = '"><img src=x onerror=alert(1)>'
    await h.restart()  # the guide caches the directory it publishes
    assert h.bot is not None
    from db.models.guide import GuidePublication

    async with h.bot.db.session() as session:
        slug = await session.scalar(
            select(GuidePublication.slug).where(GuidePublication.guild_id == h.guild_id)
        )
    assert slug, "the demo guide is not published"
    base = f"http://127.0.0.1:{h.bot.web.bound_port}/guide/{slug}"
    pages = [f"{base}/", f"{base}/imprimer", f"{base}/lieu/merignac-ccas"]
    async with aiohttp.ClientSession() as http:
        shown = []
        for url in pages:
            async with http.get(url) as response:
                body = await response.text()
                shown.append((url, response.status, body))
    assert any("CCAS &lt;script&gt;" in body for _, _, body in shown), [s[:2] for s in shown]
    for url, status, body in shown:
        assert status in (200, 404), (url, status)
        # Structured data (JSON-LD) is the only script the guide may carry.
        assert not live_parts(body, allowed_scripts=("application/ld+json",)), (
            url,
            live_parts(body, ("application/ld+json",)),
        )
