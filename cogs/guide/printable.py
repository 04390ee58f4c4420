"""The printable edition: a PDF of the whole guide or of one neighbourhood, grouped by
kind of help, dated, ready for the city's print shop (A4, Unicode font embedded, outline
and table of contents, page numbers).

Plain data in, bytes out: the web side calls ``build_pdf`` in a worker thread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.outline import OutlineSection

from db.models.structures import fold

from .catalog import KINDS, PublicPlace, compact_week, fees_text

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
# Not a BMP character DejaVu has (emoji, pictographs): dropped rather than printed as boxes.
_UNPRINTABLE = re.compile(r"[^\u0000-\uffff]|[\u2600-\u27bf\ufe0f]")
INK = (20, 20, 20)
ACCENT = (0, 70, 140)  # dark blue: readable in black and white too
MUTED = (70, 70, 70)


@cache
def font_files() -> dict[str, Path]:
    """DejaVu Sans regular and bold: the system's, else the copy shipped with matplotlib
    (always installed here)."""
    names = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
    candidates = list(FONT_DIRS)
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    for directory in candidates:
        if all((directory / name).exists() for name in names.values()):
            return {style: directory / name for style, name in names.items()}
    raise FileNotFoundError("police DejaVu Sans introuvable (ni système, ni matplotlib)")


def french_date(day: date | datetime | None) -> str:
    if day is None:
        return "date inconnue"
    return format_date(day, format="long", locale="fr_FR")


def clean(text: str | None) -> str:
    return _UNPRINTABLE.sub("", text or "").strip()


@dataclass(frozen=True)
class PrintRequest:
    title: str  # the network's guide title
    zone_label: str | None  # "Beutre (Mérignac)", or None for the whole guide
    data_date: date | None
    online_url: str
    places: Sequence[PublicPlace]


class _GuidePDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self._widths: dict[tuple[str, str, float, str], float] = {}
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(auto=True, margin=18)
        fonts = font_files()
        self.add_font("DejaVu", "", str(fonts[""]))
        self.add_font("DejaVu", "B", str(fonts["B"]))
        self.add_font("DejaVu", "I", str(fonts["I"]))

    def word_width(self, word: str) -> float:
        """Width of a word in the current font, remembered: a guide repeats its words."""
        key = (self.font_family, self.font_style, self.font_size_pt, word)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(word)
        return width

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.footer_text} — page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(*INK)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap with the current font, in linear time (fpdf's own line breaking
    measures each line again for every character, far too slow for a thousand places)."""
    measure = pdf.word_width if isinstance(pdf, _GuidePDF) else pdf.get_string_width
    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current: list[str] = []
        used = 0.0
        for word in paragraph.split():
            word_width = measure(word)
            while word_width > width:  # a URL longer than the line: cut it
                if current:
                    lines.append(" ".join(current))
                    current, used = [], 0.0
                cut = max(1, int(len(word) * width / word_width))
                lines.append(word[:cut])
                word = word[cut:]
                word_width = measure(word)
            needed = word_width if not current else used + space + word_width
            if current and needed > width:
                lines.append(" ".join(current))
                current, used = [word], word_width
            else:
                current.append(word)
                used = needed
        lines.append(" ".join(current))
    return lines


def _write(pdf: FPDF, text: str, size: float, style: str = "", color=INK, height=None) -> None:  # type: ignore[no-untyped-def]
    pdf.set_font("DejaVu", style, size)
    pdf.set_text_color(*color)
    line_height = height or size * 0.5
    for line in _wrap(pdf, clean(text), pdf.epw):
        pdf.cell(0, line_height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _render_toc(pdf: FPDF, outline: list[OutlineSection]) -> None:
    pdf.set_x(pdf.l_margin)  # rendered last: the cursor is wherever the footer left it
    _write(pdf, "Sommaire", 16, "B", ACCENT, 9)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 11)
    for section in outline:
        if section.level != 0:
            continue
        link = pdf.add_link(page=section.page_number)
        label = clean(section.name)
        page = str(section.page_number)
        width = pdf.epw - 15
        pdf.cell(width, 7, label, new_x=XPos.RIGHT, new_y=YPos.TOP, link=link)
        pdf.cell(15, 7, page, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT, link=link)


def _conditions(place: PublicPlace) -> str:
    parts = []
    if place.fees:
        parts.append(fees_text(place.fees))
    if place.walk_in:
        parts.append("sans rendez-vous")
    if place.appointment:
        parts.append("sur rendez-vous" if not place.walk_in else "ou sur rendez-vous")
    if place.publics:
        parts.append("public : " + ", ".join(place.publics).lower())
    return " · ".join(parts)


def _place_lines(place: PublicPlace) -> list[tuple[str, float, str, tuple[int, int, int]]]:
    """(text, size, style, colour) lines of one entry."""
    lines: list[tuple[str, float, str, tuple[int, int, int]]] = [(place.name, 11, "B", INK)]
    where = place.address + (f", {place.address_extra}" if place.address_extra else "")
    where += f" — {place.code_postal} {place.commune}"
    if place.quartier:
        where += f" (quartier {place.quartier})"
    lines.append((where, 9, "", INK))
    contact = []
    if place.phone_display:
        contact.append(f"Tél. {place.phone_display}")
    contact += place.emails[:2]
    contact += [re.sub(r"^https?://(www\.)?", "", url).rstrip("/") for url in place.websites[:1]]
    if contact:
        lines.append((" · ".join(contact), 9, "", INK))
    week = [(days, hours) for days, hours in compact_week(place.week) if hours != "fermé"]
    if week:
        hours = " ; ".join(f"{days} : {spans}" for days, spans in week)
        lines.append(("Horaires : " + hours, 9, "", INK))
    else:
        lines.append(("Horaires : se renseigner par téléphone", 9, "I", MUTED))
    conditions = _conditions(place)
    if conditions:
        lines.append((conditions[0].upper() + conditions[1:], 9, "", INK))
    if place.specific_support:
        lines.append(("Accueil adapté : " + ", ".join(place.specific_support), 9, "", INK))
    if place.summary:
        summary = place.summary if len(place.summary) <= 240 else place.summary[:237] + "…"
        lines.append((summary, 8.5, "I", MUTED))
    return lines


def _height(pdf: FPDF, lines: list[tuple[str, float, str, tuple[int, int, int]]]) -> float:
    total = 0.0
    for text, size, style, _colour in lines:
        pdf.set_font("DejaVu", style, size)
        total += len(_wrap(pdf, clean(text), pdf.epw)) * size * 0.48
    return total


def build_pdf(request: PrintRequest) -> bytes:
    scope = request.zone_label or "tout le territoire"
    dated = french_date(request.data_date)
    pdf = _GuidePDF(f"Guide numérique — {clean(request.title)} — données du {dated}")
    pdf.set_title(f"Guide numérique — {request.title} — {scope}")
    pdf.set_author(request.title)
    pdf.set_subject("Lieux où se faire aider avec le numérique")
    pdf.set_creator("Aiguillage")
    pdf.set_lang("fr-FR")
    pdf.alias_nb_pages()
    pdf.add_page()

    _write(pdf, "Guide numérique", 26, "B", ACCENT, 12)
    _write(pdf, request.title, 15, "B", INK, 8)
    _write(pdf, scope[0].upper() + scope[1:], 13, "", INK, 7)
    pdf.ln(3)
    _write(
        pdf,
        f"Données à jour au {dated} — {len(request.places)} lieu(x).",
        11,
        "B",
        INK,
        6,
    )
    pdf.ln(2)
    _write(
        pdf,
        "Ce guide recense les lieux où vous pouvez vous connecter, utiliser un ordinateur "
        "et vous faire aider avec le numérique : démarches en ligne (CAF, impôts, santé, "
        "papiers), apprentissage, recherche d'emploi. Les lieux sont classés par type "
        "d'aide ; un même lieu peut figurer dans plusieurs rubriques. Les horaires peuvent "
        "changer : appelez avant de vous déplacer, surtout pendant les vacances.",
        10.5,
        "",
        INK,
        5.5,
    )
    pdf.ln(2)
    _write(pdf, "Version en ligne, toujours à jour :", 10, "B", INK, 5)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(
        0, 5, request.online_url, link=request.online_url, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_text_color(*INK)
    pdf.ln(4)
    pdf.insert_toc_placeholder(_render_toc, pages=1, allow_extra_pages=True)

    sections: list[tuple[str, str, list[PublicPlace]]] = []
    for kind in KINDS:
        members = [p for p in request.places if p.services_mask & kind.mask]
        if members:
            sections.append((kind.label, kind.hint, members))
    others = [p for p in request.places if not any(p.services_mask & k.mask for k in KINDS)]
    if others:
        sections.append(("Autres lieux d'accueil", "", others))
    # The table of contents' placeholder has just broken the page: the first section
    # starts on this fresh page, the next ones on their own.
    if not sections:
        _write(pdf, "Aucun lieu publié pour le moment.", 12, "I", MUTED, 6)

    for number, (label, hint, members) in enumerate(sections):
        if number:
            pdf.add_page()
        pdf.start_section(label, level=0)
        _write(pdf, label, 17, "B", ACCENT, 9)
        if hint:
            _write(pdf, hint[0].upper() + hint[1:], 10, "I", MUTED, 5)
        pdf.ln(3)
        ordered = sorted(members, key=lambda p: (fold(p.commune), fold(p.quartier), fold(p.name)))
        areas = {(p.commune, p.quartier) for p in ordered}
        current_area: tuple[str, str | None] | None = None
        for place in ordered:
            area = (place.commune, place.quartier)
            if len(areas) > 1 and area != current_area:
                current_area = area
                heading = place.commune + (f" — {place.quartier}" if place.quartier else "")
                if pdf.will_page_break(30):
                    pdf.add_page()
                pdf.ln(1)
                _write(pdf, heading, 11.5, "B", ACCENT, 6)
                pdf.ln(1)
            lines = _place_lines(place)
            # An entry never splits across two pages (measured, not fpdf's unbreakable(),
            # which copies the whole document for every entry).
            if pdf.will_page_break(_height(pdf, lines) + 1.5):
                pdf.add_page()
            for text, size, style, colour in lines:
                _write(pdf, text, size, style, colour, size * 0.48)
            pdf.ln(1.5)
            pdf.set_draw_color(190, 190, 190)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
            pdf.ln(2.5)
    return bytes(pdf.output())
