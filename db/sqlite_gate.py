"""One writer at a time, in order, for SQLite: queue in the event loop, not in SQLite.

SQLite lets one transaction write at a time. Another one that tries gets SQLITE_BUSY and
sleeps in SQLite's busy handler (steps of 1, 2, 5 … 100 ms), whatever happens meanwhile,
and the next free moment goes to whoever wakes first. Under a burst of COPIL answers and
`/orienter` counts, those sleeps made the slowest answers wait most of a second
(``bench/interactions.py``). Here a connection about to write first takes this
process's gate, an asyncio lock per event loop: writers queue first come first served
and start as soon as the previous transaction ends. The gate is taken at the first
write statement and released at commit or rollback, so it covers exactly what SQLite's
own lock covers; reads never wait for it.

A writer never waits for the gate more than ``PATIENCE_S``: past that it goes ahead and
SQLite's own locking decides, as without the gate (so a transaction that opens another
one inside it cannot wait for itself for good).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_, in_greenlet

log = logging.getLogger(__name__)

PATIENCE_S = 2.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_HELD = "aiguillage_write_gate"
_GATES: weakref.WeakKeyDictionary[Any, WriteGate] = weakref.WeakKeyDictionary()


def gate_of(engine: AsyncEngine) -> WriteGate | None:
    """The gate installed on an engine (None for PostgreSQL)."""
    return _GATES.get(engine.sync_engine)


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITES)


class WriteGate:
    def __init__(self) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self.waited = 0  # writers that had to queue (for tests and diagnostics)
        self.timeouts = 0

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:  # one per event loop: tests and CLI commands run several
            self._locks = {lp: lk for lp, lk in self._locks.items() if not lp.is_closed()}
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _acquire(self) -> asyncio.Lock | None:
        lock = self._lock()
        if lock.locked():
            self.waited += 1
        try:
            await asyncio.wait_for(lock.acquire(), PATIENCE_S)
        except TimeoutError:
            self.timeouts += 1
            log.warning("SQLite write gate busy for %.0f s: writing without it", PATIENCE_S)
            return None
        return lock

    # -- engine events (run inside SQLAlchemy's greenlet, hence await_) -------------------
    def before_execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _HELD in conn.info or not _is_write(statement) or not in_greenlet():
            return
        lock = await_(self._acquire())
        if lock is not None:
            conn.info[_HELD] = lock

    @staticmethod
    def release(info: dict[str, Any]) -> None:
        lock = info.pop(_HELD, None)
        if lock is not None and lock.locked():
            lock.release()

    def install(self, engine: AsyncEngine) -> None:
        sync_engine = engine.sync_engine
        _GATES[sync_engine] = self
        event.listen(sync_engine, "before_cursor_execute", self.before_execute)
        event.listen(sync_engine, "commit", lambda conn: self.release(conn.info))
        event.listen(sync_engine, "rollback", lambda conn: self.release(conn.info))
        # Safety nets: a connection going back to the pool, or dropped, holds nothing.
        event.listen(sync_engine.pool, "checkin", lambda _dbapi, record: self.release(record.info))
        event.listen(
            sync_engine.pool, "invalidate", lambda _dbapi, record, _exc: self.release(record.info)
        )
