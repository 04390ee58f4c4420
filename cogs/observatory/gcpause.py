"""Pausing CPython's cyclic garbage collector while the observatory's figures are built.

Building the figures of a national directory creates a few hundred thousand objects that
live until the figures are rendered (cells of the matrix, gaps, tallies, the rows they
are counted from) and form next to no reference cycle. The generational collector reacts
to such a burst by running full collections over every object of the process, several
times per computation: more than half of the CPU time measured at 20,000 structures
(bench/observatory.py). Paused, the objects are freed by reference counting as usual.

When the pause ends, what was made meanwhile is handed to the oldest generation at once
(``gc.freeze()`` then ``gc.unfreeze()``: two list splices, nothing is scanned), instead
of being scanned by the young generations' collections one burst later and again on
every promotion. The figures are dropped once rendered, usually before the next full
collection, so they are never scanned at all; the few cycles made during the pause
(here or by other tasks of the event loop) are collected by that next full collection.
This is skipped when the application froze objects itself (``gc.get_freeze_count()``):
unfreezing would undo that.

The pause is re-entrant and safe for concurrent computations (a count of holders: the
last one out restores the collector's state as the first one in found it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_holders = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _holders, _resume
    if _holders == 0:
        _resume = gc.isenabled()
        gc.disable()
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0 and _resume:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
