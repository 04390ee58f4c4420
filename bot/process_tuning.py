"""Settings for the long-running bot process: event loop and garbage collector.

Event loop: uvloop when installed (Linux, macOS), the standard loop otherwise. It runs
the same asyncio code with less overhead per callback and per socket operation, which is
most of what the bot does between database queries.

Garbage collector: once connected, the process holds a few hundred thousand long-lived objects (member
cache, ORM mappers, compiled statements, catalogues). With CPython's default thresholds
every interaction's short-lived objects trigger young collections often, and each full
collection walks that whole heap: tens to hundreds of milliseconds during which no
interaction is answered (``bench/interactions.py`` measured 1.5 s of collection in 35 s of
load, with the p99 spikes that go with it). Freezing the heap built at startup takes it
out of the collector's sight; a larger young threshold makes young collections rarer.
Cyclic garbage is still collected, only less often. Used by ``aiguillage run`` (and the
bot processes of the benches), never inside the test suite's shared process.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Young-generation threshold: 700 by default; 20,000 keeps a young collection around a
# millisecond while running it ~30 times less often. Older generations keep their ratios.
YOUNG_THRESHOLD = 20_000


def configure_for_service() -> None:
    """Thresholds for a long-running service; call once at process start."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def freeze_startup_heap() -> int:
    """Collect once, then move every object alive now to the permanent generation, which
    collections never scan. Call when the bot is ready (caches filled). Returns how many
    objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(main)
    return uvloop.run(main)
