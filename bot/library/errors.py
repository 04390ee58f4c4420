"""The one error type of the library engine: a catalogue key and its placeholders.

It is a ``UserError``, so when any capability files a bad document through
``bot.documents`` the person gets the library's French (or English) message, and nothing
is stored.
"""

from __future__ import annotations

from typing import Any

from bot.errors import UserError


class LibraryError(UserError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)

    @property
    def params(self) -> dict[str, Any]:
        return self.kwargs

    def __repr__(self) -> str:
        return f"LibraryError({self.key!r}, {self.kwargs!r})"
