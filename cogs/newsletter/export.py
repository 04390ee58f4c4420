"""Exports of a published issue for the city's website and social networks: Markdown, HTML
(a full page or a fragment to paste), and the Atom feed of a network's issues.

Members write Discord-flavoured Markdown; it is converted with raw HTML escaped and only
http(s)/mailto links kept, so an item can never inject script into the city's website.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import markdown
from babel.dates import format_date
from babel.numbers import format_decimal
from feedgen.feed import FeedGenerator
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from cogs.newsletter.cadence import PARIS
from cogs.newsletter.compose import IssueContent, ItemContent, truncate

ImageUrl = Callable[[ItemContent], str]
_SAFE_SCHEMES = ("http", "https", "mailto")


def _safe_url(url: str | None) -> bool:
    if not url:
        return False
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in _SAFE_SCHEMES


class _SafeLinks(Treeprocessor):
    def run(self, root: Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "a" and not _safe_url(child.get("href")):
                    child.attrib.pop("href", None)
                    child.tag = "span"
                elif child.tag == "img" and not _safe_url(child.get("src")):
                    parent.remove(child)
                if child.tag == "a":
                    child.set("rel", "noopener nofollow")


class _SafeLinksExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_SafeLinks(md), "aiguillage_safe_links", 0)


_markdown = markdown.Markdown(
    extensions=["nl2br", "sane_lists", _SafeLinksExtension()], output_format="html"
)


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> Markup:
    """Member text (Discord Markdown) as safe HTML: raw HTML shown as text, unsafe links
    dropped, single line breaks kept as Discord shows them.

    One converter is reused (building one costs more than converting) and results are
    cached: published texts never change, and the feed renders every issue again."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return Markup(_markdown.reset().convert(escaped))


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=False,
    lstrip_blocks=False,
)
_env.filters["md"] = markdown_to_html
_env.tests["safe_url"] = _safe_url


def published_label(moment: datetime | None, locale: str = "fr") -> str:
    if moment is None:
        return ""
    return format_date(moment.astimezone(PARIS).date(), "d MMMM yyyy", locale=locale)


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{format_decimal(size / 1024 / 1024, '#,##0.0', locale='fr')} Mo"
    return f"{max(1, round(size / 1024))} Ko"


def issue_html(
    issue: IssueContent,
    *,
    standalone: bool = True,
    image_url: ImageUrl | None = None,
    site_name: str = "",
    archive_url: str | None = None,
    feed_url: str | None = None,
) -> str:
    """The issue as an HTML page (``standalone``) or a fragment for the city's website."""
    template = _env.get_template("issue.html")
    return template.render(
        issue=issue,
        standalone=standalone,
        image_url=image_url,
        site_name=site_name,
        archive_url=archive_url,
        feed_url=feed_url,
        published_label=published_label(issue.published_at),
        file_size=_size_label(issue.file.size) if issue.file else "",
    )


def archives_html(title: str, feed_url: str, entries: Sequence[dict[str, str]]) -> str:
    """Index page of a network's published issues (newest first)."""
    return _env.get_template("archives.html").render(
        title=title, feed_url=feed_url, entries=entries
    )


_MD_LINK_TARGET = re.compile(r"\]\(\s*([A-Za-z][A-Za-z0-9+.-]*):")


def markdown_safe(text: str) -> str:
    """Member text for the Markdown export: raw HTML escaped (CommonMark ``\\<``) and link
    targets other than http(s)/mailto neutralised, whatever renderer the website uses."""
    text = text.strip().replace("<", "\\<")
    return _MD_LINK_TARGET.sub(
        lambda m: m.group(0) if m.group(1).lower() in _SAFE_SCHEMES else "](#", text
    )


def issue_markdown(issue: IssueContent, *, image_url: ImageUrl | None = None) -> str:
    """The issue as Markdown, for the city's website and to adapt for social networks."""
    lines = [f"# {issue.heading}", ""]
    if issue.published_at:
        lines += [f"*Publiée le {published_label(issue.published_at)}*", ""]
    if issue.intro.strip():
        lines += [markdown_safe(issue.intro), ""]
    if issue.file is not None:
        if issue.summary.strip():
            lines += [markdown_safe(issue.summary), ""]
        if issue.file_url:
            lines += [f"[Télécharger la lettre (PDF)]({issue.file_url})", ""]
    for item in issue.items:
        lines += [f"## {markdown_safe(item.title)}", ""]
        if item.structure:
            lines += [f"*{markdown_safe(item.structure)}*", ""]
        if item.image is not None and image_url is not None:
            alt = markdown_safe(item.title.replace("[", "").replace("]", ""))
            lines += [f"![{alt}]({image_url(item)})", ""]
        lines += [markdown_safe(item.body), ""]
        if item.link_url and _safe_url(item.link_url):
            lines += [f"🔗 <{item.link_url}>", ""]
    if issue.url:
        lines += ["---", "", f"Lire en ligne : <{issue.url}>", ""]
    return "\n".join(lines).rstrip() + "\n"


def atom_feed(
    *,
    feed_id: str,
    title: str,
    feed_url: str,
    site_url: str,
    issues: Sequence[IssueContent],
    updated: datetime,
    image_url: Callable[[IssueContent, ItemContent], str] | None = None,
) -> bytes:
    """Atom feed of published issues (newest first); each entry carries the full HTML."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=site_url, rel="alternate", type="text/html")
    feed.language("fr")
    dates = [i.published_at for i in issues if i.published_at]
    feed.updated(max(dates) if dates else updated)
    ordered = sorted(issues, key=lambda i: (i.published_at or updated, i.number), reverse=True)
    for issue in ordered:
        entry = feed.add_entry(order="append")
        entry.id(issue.url or f"{feed_id}/{issue.number}")
        entry.title(issue.heading)
        if issue.url:
            entry.link(href=issue.url, rel="alternate", type="text/html")
        moment = issue.published_at or updated
        entry.published(moment)
        entry.updated(moment)
        lead = issue.intro or issue.summary or " · ".join(i.title for i in issue.items)
        if lead.strip():
            entry.summary(truncate(lead.strip(), 300))

        def item_image(item: ItemContent, issue: IssueContent = issue) -> str:
            assert image_url is not None
            return image_url(issue, item)

        entry.content(
            issue_html(issue, standalone=False, image_url=item_image if image_url else None),
            type="html",
        )
    return feed.atom_str(pretty=True)
