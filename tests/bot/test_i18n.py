"""Catalogues: every message key used in code exists, in French and in English."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import Catalogues, catalogue_dirs, catalogues, normalize_locale, t

ROOT = Path(__file__).resolve().parents[2]
KEY_CALL = re.compile(
    r"""\b(?:t|UserError|PermissionRefused|PermanentDeliveryError|_t|tr)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']"""
)


def used_keys() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            if "emulator" in path.parts:
                continue
            for key in KEY_CALL.findall(path.read_text(encoding="utf-8")):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_every_key_used_in_code_exists_in_french() -> None:
    messages = catalogues().messages["fr"]
    missing = {key: where for key, where in used_keys().items() if key not in messages}
    assert not missing, f"message keys missing from the French catalogues: {missing}"


def test_english_catalogue_covers_french() -> None:
    fr, en = catalogues().messages["fr"], catalogues().messages["en"]
    missing = sorted(set(fr) - set(en))
    assert not missing, f"keys with no English translation: {missing[:20]}"


def test_placeholders_match_between_languages() -> None:
    fr, en = catalogues().messages["fr"], catalogues().messages["en"]
    field = re.compile(r"{(\w+)}")
    different = [
        key
        for key in fr
        if key in en and set(field.findall(fr[key])) != set(field.findall(en[key]))
    ]
    assert not different, f"placeholders differ between fr and en: {different}"


def test_locale_selection_and_fallback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert normalize_locale("en-US") == "en" and normalize_locale("en-GB") == "en"
    assert normalize_locale("fr") == "fr" and normalize_locale("de") == "fr"
    assert normalize_locale(None) == "fr"
    (tmp_path / "fr.toml").write_text('[demo]\nhello = "Bonjour {name}"\nonly_fr = "Seulement"\n')
    (tmp_path / "en.toml").write_text(
        '[demo]\nhello = "Hello {name}"\n[commands]\n"bonjour" = "hello"\n'
    )
    cat = Catalogues()
    cat.load_dirs([tmp_path])
    assert cat.translate("demo.hello", "en", name="Ana") == "Hello Ana"
    assert cat.translate("demo.only_fr", "en") == "Seulement"  # French is the fallback
    assert cat.commands["en"]["bonjour"] == "hello"


def test_runtime_messages_render() -> None:
    assert "coordinateurs" in t("core.refused.coordinator", "fr")
    assert "coordinators" in t("core.refused.coordinator", "en-US")
    assert catalogue_dirs()[0].name == "locales"


def test_command_names_translated_to_english_are_valid_discord_names() -> None:
    valid = re.compile(r"^[-_\w]{1,32}$")
    for source, english in catalogues().commands["en"].items():
        if valid.match(source) and source == source.lower():
            assert valid.match(english) and english == english.lower(), (source, english)
