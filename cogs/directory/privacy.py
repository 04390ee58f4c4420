"""Detection of obvious personal data in free text (handovers, error reports).

A warm handover tells a structure that *someone* is coming, never who. The bot refuses
text that contains a phone number, an e-mail address, a social security number (NIR) or
a date of birth, and says which, so the professional can rephrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)33[\s.\-]?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)",
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# NIR: sex (1/2), year, month (01-12, or 20/30-42/50-99 for special cases), department
# (2 digits, 2A/2B), commune (3), order (3), optional key (2); spaces allowed.
_NIR = re.compile(
    r"(?<!\d)[12][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.]?(?:\d{2}|2[AaBb])"
    r"[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?(?!\d)"
)
_MONTHS = (
    "janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|"
    "novembre|decembre|décembre"
)
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?!\d)")
_WRITTEN_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})(?:er)?\s+({_MONTHS})\s+(\d{{4}})(?!\d)", re.I)
_BIRTH_WORDS = re.compile(r"\b(n[ée]e?|naissance|ddn|date de naissance|âg[ée]e? de)\b", re.I)
_AGE_YEARS = re.compile(r"\b(\d{4})\b")


@dataclass(frozen=True)
class PersonalDataFinding:
    kind: str  # "phone" | "email" | "nir" | "birth_date"
    excerpt: str

    @property
    def label_fr(self) -> str:
        return {
            "phone": "un numéro de téléphone",
            "email": "une adresse e-mail",
            "nir": "un numéro de sécurité sociale",
            "birth_date": "une date de naissance",
        }[self.kind]


def _masked(text: str) -> str:
    """Show where the problem is without echoing it whole."""
    text = text.strip()
    return text[:3] + "…" if len(text) > 4 else "…"


def find_personal_data(text: str, *, today: date | None = None) -> list[PersonalDataFinding]:
    """Every kind of obvious personal data found in ``text`` (one finding per kind)."""
    if not text:
        return []
    today = today or date.today()
    findings: dict[str, PersonalDataFinding] = {}
    for match in _EMAIL.finditer(text):
        findings.setdefault("email", PersonalDataFinding("email", _masked(match.group())))
    for match in _NIR.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 13:
            findings.setdefault("nir", PersonalDataFinding("nir", _masked(match.group())))
    for match in _PHONE.finditer(text):
        findings.setdefault("phone", PersonalDataFinding("phone", _masked(match.group())))
    mentions_birth = bool(_BIRTH_WORDS.search(text))
    for match in _NUMERIC_DATE.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            year += 1900 if year > today.year % 100 else 2000
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        # A past date more than ten years ago is a birth date in this context (a handover
        # speaks of this week); any date next to "né(e) le" is one too.
        if mentions_birth or year <= today.year - 10:
            findings.setdefault(
                "birth_date", PersonalDataFinding("birth_date", _masked(match.group()))
            )
    for match in _WRITTEN_DATE.finditer(text):
        year = int(match.group(3))
        if mentions_birth or year <= today.year - 10:
            findings.setdefault(
                "birth_date", PersonalDataFinding("birth_date", _masked(match.group()))
            )
    if "birth_date" not in findings and mentions_birth:
        for match in _AGE_YEARS.finditer(text):
            if 1900 <= int(match.group(1)) <= today.year - 10:
                findings.setdefault(
                    "birth_date", PersonalDataFinding("birth_date", _masked(match.group()))
                )
    order = ("phone", "email", "nir", "birth_date")
    return [findings[kind] for kind in order if kind in findings]


def refusal_reason_fr(findings: list[PersonalDataFinding]) -> str:
    kinds = ", ".join(f.label_fr for f in findings)
    return (
        f"Le texte contient {kinds}. Aiguillage ne conserve jamais l'identité de la "
        "personne orientée : retirez ces informations (la structure les demandera "
        "directement à la personne)."
    )
