"""discord.py Translator: French is the source; English names/descriptions from catalogues."""

from __future__ import annotations

from discord import Locale, app_commands

from bot.i18n import catalogues

ENGLISH = {Locale.american_english, Locale.british_english}


class CatalogueTranslator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale not in ENGLISH:
            return None
        key = string.extras.get("key") or string.message
        return catalogues().commands["en"].get(key)
