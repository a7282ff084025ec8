"""The connection to the store: one SQLite connection per thread, WAL, explicit transactions.

SQL in this package is written once, in portable SQL with ``?`` parameters; `Database.sql` is the one place it is
turned into the driver's parameter style, so the PostgreSQL store (qa.store.pg, psycopg ``%s``) runs the same text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qa.errors import QAError


class StoreError(QAError):
    """The store cannot be opened or written (a locked, corrupt or unwritable file, a record that is not there)."""


class Database:
    """A store file opened for any number of threads: each thread gets its own connection on first use.

    Writes go through `transaction()`: BEGIN IMMEDIATE takes SQLite's write lock at once, so two writers queue
    (busy timeout) instead of failing half-way; WAL lets readers read while one writes.
    """

    dialect = "sqlite"
    paramstyle = "qmark"  # qa.store.pg: "format" (%s)

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection().execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"无法打开台账数据库 {self.path}（{err}）：请检查数据文件夹 QA_DATA_DIR 是否可写") from err

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def sql(self, text: str) -> str:
        """The statement in the driver's parameter style: the one place ``?`` would become ``%s``."""
        return text if self.paramstyle == "qmark" else text.replace("%", "%%").replace("?", "%s")

    def execute(self, text: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.connection().execute(self.sql(text), tuple(params))
        except sqlite3.Error as err:
            raise StoreError(f"台账数据库 {self.path} 出错：{err}") from err

    def query(self, text: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as plain dicts."""
        return [dict(row) for row in self.execute(text, params).fetchall()]

    def one(self, text: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.query(text, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All writes inside happen together or not at all; nested use joins the outer transaction."""
        conn = self.connection()
        if conn.in_transaction:
            yield self
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(f"台账数据库 {self.path} 正忙或只读（{err}），请稍后重试") from err
        try:
            yield self
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as err:
                conn.execute("ROLLBACK")
                raise StoreError(f"台账数据库 {self.path} 未能保存（{err}），请重试") from err

    def close(self) -> None:
        """Close every thread's connection (call when no thread uses the store any more)."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
