"""The store on PostgreSQL: the same `Database` interface over psycopg 3, one connection per thread.

Chosen by one setting (QA_DATABASE_URL, `qa.store.open_database`). The store's SQL is the same text as on
SQLite: `Database.sql` turns its ``?`` into ``%s``. Every write transaction first takes one advisory lock, so
writers queue exactly as they do on SQLite (BEGIN IMMEDIATE) and a read-then-write inside a transaction (the next
revision number, the migration runner's version check) sees no other writer in between — also across processes
and app instances sharing the server.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from qa.store.db import Database, StoreError

WRITE_LOCK = 7_120_017  # the advisory-lock key every store write transaction takes


def masked(url: str) -> str:
    """The URL with its password replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


class PostgresDatabase(Database):
    """A PostgreSQL database opened for any number of threads: each thread gets its own connection."""

    dialect = "postgres"
    paramstyle = "format"

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as err:
            raise StoreError(
                "QA_DATABASE_URL 已设置，但未安装 psycopg：请 `pip install '.[postgres]'` 或取消 QA_DATABASE_URL"
            ) from err
        self.url = url
        self.path = masked(url)  # type: ignore[assignment]  # what messages and caches name the store by
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self.connection()

    def connection(self) -> Any:
        """This thread's connection (autocommit mode: transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            import psycopg
            from psycopg.rows import dict_row

            try:
                conn = psycopg.connect(self.url, autocommit=True, row_factory=dict_row,
                                       connect_timeout=max(1, int(self.timeout)))  # fmt: skip
            except psycopg.Error as err:
                message = f"无法连接台账数据库 {self.path}（{err}）：请检查 QA_DATABASE_URL 与数据库服务"
                raise StoreError(message) from err
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._all.append(conn)
        return conn

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        import psycopg

        try:
            return self.connection().execute(self.sql(text), tuple(params))
        except psycopg.Error as err:
            raise StoreError(f"台账数据库 {self.path} 出错：{err}") from err

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All writes inside happen together or not at all; nested use joins the outer transaction."""
        import psycopg

        conn = self.connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield self
            finally:
                self._local.depth -= 1
            return
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except psycopg.Error as err:
            self._rollback(conn)
            raise StoreError(f"台账数据库 {self.path} 不可用（{err}），请稍后重试") from err
        self._local.depth = 1
        try:
            yield self
        except BaseException:
            self._rollback(conn)
            raise
        else:
            try:
                conn.execute("COMMIT")
            except psycopg.Error as err:
                self._rollback(conn)
                raise StoreError(f"台账数据库 {self.path} 未能保存（{err}），请重试") from err
        finally:
            self._local.depth = 0

    @staticmethod
    def _rollback(conn: Any) -> None:
        with suppress(Exception):  # a lost connection: the server has rolled back already
            conn.execute("ROLLBACK")
