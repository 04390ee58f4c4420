"""Labels and services of the needs the demand log counts, read from the synonym table
(``config/synonyms.toml``, editable by operators) without importing the directory: the
log stores a need's stable key (``cle``); the table says what it means today."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from db.demand import services_mask

log = logging.getLogger("aiguillage.observatory")

DEFAULT_SYNONYMS = Path(__file__).resolve().parents[2] / "config" / "synonyms.toml"


@dataclass(frozen=True)
class NeedInfo:
    key: str
    label: str
    services: tuple[str, ...]

    @property
    def services_mask(self) -> int:
        return services_mask(self.services)


class NeedCatalogue:
    def __init__(self, needs: dict[str, NeedInfo]) -> None:
        self.needs = needs

    def label(self, key: str) -> str:
        info = self.needs.get(key)
        return info.label if info else key

    def short_label(self, key: str) -> str:
        """The label up to its colon ("CAF" for "CAF : allocations, APL…")."""
        return self.label(key).split(":")[0].strip()

    def services_mask(self, key: str) -> int:
        info = self.needs.get(key)
        return info.services_mask if info else 0

    @classmethod
    def from_toml(cls, text: str) -> NeedCatalogue:
        data = tomllib.loads(text)
        needs = {}
        for entry in data.get("besoin", []):
            key = str(entry.get("cle", "")).strip()
            if key:
                needs[key] = NeedInfo(
                    key, str(entry.get("libelle", key)), tuple(entry.get("services", ()))
                )
        return cls(needs)

    @classmethod
    def load(cls, path: str | Path | None = None) -> NeedCatalogue:
        target = Path(path) if path else DEFAULT_SYNONYMS
        try:
            return cls.from_toml(target.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            # Figures still work with raw keys as labels.
            log.warning("synonym table %s unreadable (%s): need keys shown as is", target, error)
            return cls({})
