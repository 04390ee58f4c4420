"""The one error the newsletter logic raises: a catalogue key and its placeholders.

Logic modules never import discord nor the runtime; the cog turns this into the runtime's
``UserError`` (an ephemeral message in the user's language), and nothing has been changed.
"""

from __future__ import annotations

from typing import Any


class NewsletterError(Exception):
    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"NewsletterError({self.key!r}, {self.kwargs!r})"
