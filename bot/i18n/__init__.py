"""Localization: message catalogues (fr, en) and the app-command Translator.

Catalogues are TOML files: ``bot/i18n/locales/{fr,en}.toml`` for the runtime and
``cogs/<capability>/locales/{fr,en}.toml`` for each capability; they are merged at load.
Tables nest into dotted keys (``[directory] no_result = "…"`` → ``directory.no_result``).
A ``[commands]`` table in ``en.toml`` maps French command texts (names, descriptions,
option names, choices) to English; French is the source language.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
ROOT = Path(__file__).resolve().parents[2]


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


class Catalogues:
    def __init__(self) -> None:
        self.messages: dict[str, dict[str, str]] = {loc: {} for loc in LOCALES}
        self.commands: dict[str, dict[str, str]] = {loc: {} for loc in LOCALES}

    def load_dirs(self, dirs: Iterable[Path]) -> None:
        for directory in dirs:
            for locale in LOCALES:
                path = directory / f"{locale}.toml"
                if not path.exists():
                    continue
                with path.open("rb") as fh:
                    data = tomllib.load(fh)
                commands = data.pop("commands", {})
                self.commands[locale].update({str(k): str(v) for k, v in commands.items()})
                for key, value in _flatten(data).items():
                    if key in self.messages[locale]:
                        log.warning("duplicate message key %s in %s", key, path)
                    self.messages[locale][key] = value

    def translate(self, key: str, locale: str = DEFAULT_LOCALE, /, **kwargs: Any) -> str:
        locale = normalize_locale(locale)
        template = self.messages[locale].get(key) or self.messages[DEFAULT_LOCALE].get(key)
        if template is None:
            log.error("missing message key %s", key)
            return key
        try:
            return template.format(**kwargs)
        except (KeyError, IndexError, ValueError):
            log.exception("bad placeholders for message %s", key)
            return template

    def has(self, key: str) -> bool:
        return key in self.messages[DEFAULT_LOCALE]


def catalogue_dirs() -> list[Path]:
    dirs = [Path(__file__).parent / "locales"]
    dirs += sorted(p for p in (ROOT / "cogs").glob("*/locales") if p.is_dir())
    return dirs


def normalize_locale(locale: object) -> str:
    """Discord locale (``discord.Locale`` or str such as ``en-US``) → ``fr`` or ``en``."""
    value = str(getattr(locale, "value", locale) or "").lower()
    return "en" if value.startswith("en") else "fr"


_catalogues: Catalogues | None = None


def catalogues() -> Catalogues:
    global _catalogues
    if _catalogues is None:
        _catalogues = Catalogues()
        _catalogues.load_dirs(catalogue_dirs())
    return _catalogues


def t(key: str, locale: object = DEFAULT_LOCALE, /, **kwargs: Any) -> str:
    """The message ``key`` in the user's language, with ``{placeholders}`` filled."""
    return catalogues().translate(key, normalize_locale(locale), **kwargs)


def locale_of(interaction: Any) -> str:
    """The language to answer an interaction in: the user's Discord locale."""
    return normalize_locale(getattr(interaction, "locale", None))
