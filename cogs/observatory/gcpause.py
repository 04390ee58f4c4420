"""Pausing CPython's cyclic garbage collector while the observatory's figures are built.

Building the figures of a national directory creates a few hundred thousand objects that
all live until the figures are rendered (places, cells of the matrix, gaps, tallies) and
form no reference cycle. The generational collector reacts to such a burst by running
full collections over every object of the process, several times per computation: more
than half of the CPU time measured at 20,000 structures (bench/observatory.py). Paused,
the objects are freed by reference counting as usual; cycles made meanwhile anywhere in
the process wait for the next collection after the pause.

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
            gc.enable()
