"""Rules for what people type about a document: title, tags, category, link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.library.errors import LibraryError
from bot.library.textnorm import fold

TITLE_MIN, TITLE_MAX = 3, 300
DESCRIPTION_MAX = 1000
TAG_MAX_CHARS = 40
TAGS_MAX = 10
LINK_MAX = 1000

# Categories offered by /doc ajouter (value -> French label). Other capabilities file their
# documents under their own category (charter, newsletter, minutes, report).
CATEGORIES: dict[str, str] = {
    "procedure": "Procédure / démarche",
    "formation": "Formation",
    "diagnostic": "Outil de diagnostic",
    "partenaire": "Plaquette partenaire",
    "compte-rendu": "Compte rendu",
    "charte": "Charte",
    "lettre": "Lettre d'information",
    "rapport": "Rapport",
    "annuaire": "Annuaire",
    "autre": "Autre",
}


def clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise LibraryError("library.error.title_length", min=TITLE_MIN, max=TITLE_MAX)
    return title


def clean_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise LibraryError("library.error.description_length", max=DESCRIPTION_MAX)
    return description


def tag_key(tag: str) -> str:
    """Folded key of a tag: "Accès aux droits" and "acces aux DROITS" are one tag."""
    return re.sub(r"[^0-9a-z]+", "-", fold(tag)).strip("-")


def clean_tag(raw: str) -> tuple[str, str] | None:
    """(display, key) of one tag, or None if nothing is left of it."""
    display = re.sub(r"\s+", " ", raw.strip().lstrip("#")).strip().lower()
    if not display:
        return None
    if len(display) > TAG_MAX_CHARS:
        raise LibraryError("library.error.tag_length", tag=display[:60], max=TAG_MAX_CHARS)
    key = tag_key(display)
    return (display, key) if key else None


def parse_tags(raw: str | list[str] | None) -> list[tuple[str, str]]:
    """Tags from "caf, accès aux droits; retraite" or a list; duplicates (by key) dropped."""
    if raw is None:
        return []
    items = re.split(r"[,;\n]", raw) if isinstance(raw, str) else list(raw)
    tags: dict[str, str] = {}
    for item in items:
        cleaned = clean_tag(item)
        if cleaned and cleaned[1] not in tags:
            tags[cleaned[1]] = cleaned[0]
    if len(tags) > TAGS_MAX:
        raise LibraryError("library.error.too_many_tags", max=TAGS_MAX)
    return [(display, key) for key, display in tags.items()]


def clean_category(category: str | None) -> str:
    """A category as stored: one of ours by key ("Charte" -> "charte"), or the caller's own
    (other capabilities may file under a category of theirs)."""
    category = re.sub(r"\s+", " ", category or "").strip()
    if len(category) > 100:
        raise LibraryError("library.error.category_unknown", category=category[:60])
    folded = fold(category)
    for key, label in CATEGORIES.items():
        if folded in (key, fold(label)):
            return key
    return category


def clean_link(url: str) -> str:
    """An http(s) link with a host; no credentials, spaces or other schemes."""
    url = (url or "").strip()
    if len(url) > LINK_MAX or any(ch.isspace() for ch in url):
        raise LibraryError("library.error.bad_link", url=url[:80])
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise LibraryError("library.error.bad_link", url=url[:80]) from exc
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
        raise LibraryError("library.error.bad_link", url=url[:80])
    return url
