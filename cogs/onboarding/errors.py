"""A refusal from the onboarding logic: a catalogue key and its placeholders."""

from __future__ import annotations

from typing import Any


class OnboardingError(Exception):
    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs
