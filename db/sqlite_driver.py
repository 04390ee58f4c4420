"""SQLite under asyncio with one thread hop per statement.

aiosqlite runs each sqlite3 call on the connection's own thread and hands the result
back to the event loop. SQLAlchemy's adapter makes four such hops per statement (create
a cursor, execute, fetch all rows, close the cursor); each hop wakes the event loop
through its self-pipe and trades the GIL twice. Profiling the bot under load
(``bench/interactions.py``, py-spy) put about a quarter of the event loop's time in those
hand-overs for `/orienter`. The cursor below does the four steps in one call on the
connection's thread: same SQL, same rows, same errors, one hop.

Only the plain (buffered) cursor changes; server-side cursors, transactions, isolation
levels and connection handling stay SQLAlchemy's own. Plugged in through
``create_async_engine(..., module=OneHopAiosqliteDBAPI(...))`` (``db/engine.py``).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run_one(conn: aiosqlite.Connection, operation: str, parameters: Any) -> _Outcome:
    """On the connection's thread: execute, fetch, close; return what the cursor knew."""
    cursor = conn._conn.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(conn: aiosqlite.Connection, operation: str, seq: Sequence[Any]) -> _Outcome:
    cursor = conn._conn.cursor()
    try:
        cursor.executemany(operation, seq)
        return cursor.description, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose execute() is a single call on the connection's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor is opened here (that was a hop of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:  # type: ignore[override]
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        # Rows are already buffered and the sqlite3 cursor already closed.
        return None

    def close(self) -> None:
        self._rows.clear()

    def _store(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            self._store(
                await self._connection._execute(_run_one, self._connection, operation, parameters)
            )
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            self._store(
                await self._connection._execute(
                    _run_many, self._connection, operation, seq_of_parameters
                )
            )
        return self

    def nextset(self) -> None:
        return None


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopAiosqliteDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim, handing out :class:`OneHopConnection`."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopAiosqliteDBAPI:
    return OneHopAiosqliteDBAPI()


__all__ = ["OneHopAiosqliteDBAPI", "OneHopConnection", "OneHopCursor", "one_hop_dbapi"]
