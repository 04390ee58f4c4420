"""Personal data in free text is refused with the reason."""

from __future__ import annotations

from datetime import date

import pytest

from cogs.directory.privacy import find_personal_data, refusal_reason_fr

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("appelez-la au 06 12 34 56 78", "phone"),
        ("tél +33 6 12 34 56 78", "phone"),
        ("0556123456", "phone"),
        ("06.12.34.56.78", "phone"),
        ("écrire à jean.dupont@gmail.com", "email"),
        ("NIR 1 85 05 78 006 084 36", "nir"),
        ("secu 285052B00608436", "nir"),
        ("née le 12/03/1985", "birth_date"),
        ("né le 3 mars 1950", "birth_date"),
        ("date de naissance 1962", "birth_date"),
        ("monsieur du 04/07/1971", "birth_date"),
    ],
)
def test_personal_data_is_found(text: str, kind: str) -> None:
    assert kind in [f.kind for f in find_personal_data(text, today=TODAY)]


@pytest.mark.parametrize(
    "text",
    [
        "vient jeudi vers 14h pour sa déclaration",
        "dossier n° 2024-0042",
        "rdv prévu le 26/11/2026",
        "réf. interne CAF-1234567",
        "personne âgée, 75 ans, très à l'aise à l'oral",
        "habite 33700 Mérignac",
        "",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert find_personal_data(text, today=TODAY) == []


def test_reason_names_every_kind_without_echoing_the_data() -> None:
    findings = find_personal_data("06 12 34 56 78 / a.b@c.fr", today=TODAY)
    reason = refusal_reason_fr(findings)
    assert "numéro de téléphone" in reason and "adresse e-mail" in reason
    assert "a.b@c.fr" not in reason and "56 78" not in reason
