"""Words and number formats shared by every rendering (Discord, web page, PDF, CSV)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import t
from db.models.structures import SERVICES

from .coverage import Area, Gap
from .figures import Comparison

SHORT_SERVICES = {
    "fr": (
        "Démarches",
        "Outils du quotidien",
        "Insertion pro.",
        "Sécurité",
        "Parentalité",
        "Loisirs, création",
        "Comprendre",
        "Accès, matériel",
        "Matériel solidaire",
    ),
    "en": (
        "Procedures",
        "Everyday tools",
        "Job seeking",
        "Safety",
        "Parenting",
        "Leisure",
        "Understanding",
        "Access, devices",
        "Cheap devices",
    ),
}
DAYS = {
    "fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def service_short(service: str | int, locale: str = "fr") -> str:
    index = service if isinstance(service, int) else SERVICES.index(service)
    return SHORT_SERVICES["en" if locale == "en" else "fr"][index]


def number(value: float | int | None, locale: str = "fr", digits: int = 1) -> str:
    """12 / 34,5 (French decimal comma) / "—" when unknown."""
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", " " if locale == "fr" else ",")
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if locale == "fr" else text


def hours(value: float | None, locale: str = "fr") -> str:
    return "—" if value is None else f"{number(value, locale)} h"


def percent(value: float | None, locale: str = "fr") -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.0f}"
    return f"{text} %" if locale == "fr" else f"{text}%"


def days_text(days: Iterable[int], locale: str = "fr") -> str:
    names = DAYS["en" if locale == "en" else "fr"]
    listed = [names[d] for d in days]
    return ", ".join(listed) if listed else "—"


def gap_kind(kind: str, locale: str = "fr") -> str:
    return t(f"observatory.gap.{kind}", locale)


def area_text(area: Area, locale: str = "fr") -> str:
    return t("observatory.gap.network", locale) if area.is_network else area.label


def gap_line(gap: Gap, locale: str = "fr") -> str:
    """ "Capeyron (Mérignac) · Démarches : aucun lieu (3 dans la commune) · 4 demandes, 4
    sans résultat"."""
    text = (
        f"{area_text(gap.area, locale)} · {service_short(gap.service, locale)} : "
        f"{gap_kind(gap.kind, locale)}"
    )
    if gap.places == 0 and not gap.area.is_commune and gap.commune_places:
        text += " " + t("observatory.gap.in_commune", locale, count=gap.commune_places)
    if gap.demand:
        text += " · " + t(
            "observatory.gap.asked", locale, requests=gap.demand, unanswered=gap.unanswered
        )
    return text


def comparison_value(comparison: Comparison, locale: str = "fr") -> tuple[str, str, str]:
    """(current, previous, change) as text: ("12", "4", "▲ +8")."""
    shown = percent if comparison.percent else number
    current = shown(comparison.current, locale)
    previous = shown(comparison.previous, locale)
    delta = comparison.delta
    if delta is None:
        return current, previous, ""
    if comparison.percent:
        points = round(delta * 100)
        change = f"{points:+d} pts" if points else "="
    else:
        change = f"{number(delta, locale) if delta < 0 else '+' + number(delta, locale)}"
        change = change if delta else "="
    arrow = "▲ " if delta > 0 else ("▼ " if delta < 0 else "")
    return current, previous, arrow + change
