"""Spreadsheet-safe CSV cells: text a spreadsheet would run as a formula is neutralized.

Exports hold text people typed (names, titles, nicknames). Opened in a spreadsheet, a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is evaluated as a
formula (OWASP "CSV injection"); a leading apostrophe makes it plain text again.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?(e[+-]?\d+)?")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would run it
    (numbers such as ``-0.57`` or ``+33556…`` stay as they are)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Any) -> list[str]:
    return [safe_cell(value) for value in values]
