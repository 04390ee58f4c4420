"""The one clock of the bot. Scheduling code asks it for "now"; tests and the demo's
``advance`` move it forward, and the scheduler re-arms when it moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        # An offset over real time, so time keeps flowing after a jump (the demo stays live).
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def paris_now(self) -> datetime:
        return self.now().astimezone(PARIS)

    @property
    def offset(self) -> timedelta:
        return self._offset

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("Clock.set needs an aware datetime")
        self._offset = instant - datetime.now(UTC)
        self._notify()

    def advance(self, delta: timedelta) -> None:
        self._offset += delta
        self._notify()

    def to_real(self, instant: datetime) -> datetime:
        """The real (wall-clock) instant at which this clock will read ``instant``."""
        return instant - self._offset

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in getattr(self, "_listeners", []):
            callback()


def paris(dt: datetime) -> datetime:
    return dt.astimezone(PARIS)


def at_paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Europe/Paris as an aware UTC datetime (DST handled by zoneinfo)."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)
