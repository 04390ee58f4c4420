"""The one error type of the library's logic: a catalogue key and its placeholders.

Logic modules raise it without knowing about Discord; the cog turns it into the runtime's
user-facing error (French or English message, nothing else changed).
"""

from __future__ import annotations

from typing import Any


class LibraryError(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"LibraryError({self.key!r}, {self.params!r})"
