"""PostgreSQL backend: chunks, metadata, pgvector vectors (HNSW) and BM25 over the jieba terms, in one database.

Selected by one setting, QA_DATABASE_URL=postgresql://user:pass@host/db. `sync` mirrors a loaded Index into the
database (insert new chunks, delete removed ones, add vectors the background embedder has made, by chunk_id) in
one transaction under an advisory lock: a crash leaves the previous complete set, and two app processes syncing
at once take turns. `PostgresIndex` is what the Retriever searches: its chunks are read from the database, and
dense_search / bm25_search run in SQL (qa.index.backends.postgres_sql), with metadata filters pushed into the
WHERE clause. The fusion (qa.retrieve.rrf) and the number/文号 lookup stay the Retriever's own, so they are the
same code as over FAISS. Every process that opens the database sees the last committed sync: the `generation`
in qa_meta changes with each one, and qa.retrieve.open_retriever reopens the index when it has moved on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import ConfigError
from qa.index.backends import postgres_sql as sql
from qa.index.backends.postgres_sync import SyncReport, sync
from qa.records import Chunk, DocMeta

if TYPE_CHECKING:
    from qa.index.store import Index
    from qa.records import Filters

__all__ = ["LEXICAL", "PostgresIndex", "SyncReport", "connect", "database_generation", "open_index", "sync"]

LEXICAL = ("bm25", "tsrank")
HNSW_EF_SEARCH = 128  # as qa.index.store's FAISS HNSW: candidates the graph search keeps
POOL_IDLE = 8  # connections a PostgresIndex keeps open between searches


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A psycopg connection to the database URL (ConfigError when psycopg is missing)."""
    try:
        import psycopg
    except ImportError as err:
        raise ConfigError(
            "已设置 QA_DATABASE_URL，但没有安装 psycopg 包；"
            "请运行 `pip install '.[postgres]'`，或取消设置 QA_DATABASE_URL"
        ) from err
    return psycopg.connect(url, autocommit=autocommit)


def generation(conn: Any) -> str:
    """The database's sync counter ("" before the first sync): it changes with every committed sync."""
    return sql.meta(conn).get("generation", "")


# ---------------------------------------------------------------------------------------------------- search


class FilteredRows(np.ndarray):
    """Rows that match a Filters, carrying the Filters so a search can put them in its WHERE clause.

    Arrays derived from it (np.intersect1d with a named document's rows) do not carry them: those are searched
    by their ids instead.
    """

    filters: Filters | None = None


@dataclass(eq=False)
class PostgresIndex:
    """The Index interface the Retriever reads (chunks, documents, dense_search, bm25_search), over PostgreSQL.

    Rows are the chunks in id order as loaded; a sync after loading is seen by opening a new PostgresIndex
    (qa.retrieve.open_retriever does when `generation` moves). Attributes it does not have (path, bm25, …) are
    the local index's when one is given.
    """

    url: str
    chunks: list[Chunk]
    ids: np.ndarray  # row → qa_chunks.id, ascending
    manifest: dict[str, Any]
    generation: str
    embedded: np.ndarray | None = None
    lexical: str = "bm25"  # "bm25" (BM25 in SQL over the stored terms) or "tsrank" (PostgreSQL full-text ranking)
    local: Any = None

    def __post_init__(self) -> None:
        if self.lexical not in LEXICAL:
            raise ValueError(f"lexical must be one of {LEXICAL}. Currently, it is {self.lexical!r}")
        self._idle: list[Any] = []  # connections not in use: requests search in parallel, one connection each
        self._lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, lexical: str = "bm25", local: Any = None) -> PostgresIndex:
        """The chunks of the last committed sync, read in id order.

        Chunks this process already read (same chunk_id and text) are reused, so reopening after another
        process's sync transfers and parses only the rows that sync added.
        """
        with connect(url) as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot for every read below
            meta = sql.meta(conn)
            rows: list[Any] = []
            if conn.execute("SELECT to_regclass('qa_chunks')").fetchone()[0] is not None:
                rows = conn.execute(
                    "SELECT id, chunk_id, text_key, embedding IS NOT NULL FROM qa_chunks ORDER BY id"
                ).fetchall()
            with _CHUNKS_LOCK:
                known = _CHUNKS.get(url, {})
            missing = [i for i, cid, key, _ in rows if (cid, key) not in known]
            fetched = {}
            if missing:
                fetched = dict(
                    conn.execute("SELECT id, chunk FROM qa_chunks WHERE id = ANY(%s)", (missing,)).fetchall()
                )
        chunks = [known.get((cid, key)) or Chunk.from_dict(fetched[i]) for i, cid, key, _ in rows]
        with _CHUNKS_LOCK:
            _CHUNKS[url] = {(cid, key): c for (_, cid, key, _), c in zip(rows, chunks, strict=True)}
        rows = [(i, None, has) for i, _, _, has in rows]
        embedded = np.array([has for _, _, has in rows], dtype=bool)
        manifest = dict(getattr(local, "manifest", {}) or {})
        manifest["embedder"] = {"name": meta.get("embedder", ""), "dim": int(meta.get("dim", 0) or 0)}
        manifest["backend"] = "postgres"
        return cls(
            url=url,
            chunks=chunks,
            ids=np.array([i for i, _, _ in rows], dtype=np.int64),
            manifest=manifest,
            generation=meta.get("generation", ""),
            embedded=None if embedded.all() else embedded,
            lexical=lexical,
            local=local,
        )

    def __getattr__(self, name: str) -> Any:
        local = self.__dict__.get("local")
        if name == "path" and local is None:  # what error messages name the index by
            return Path("postgresql", "versions", self.__dict__.get("generation", ""))
        if local is None or name.startswith("_"):
            raise AttributeError(name)
        return getattr(local, name)

    name = "postgres"

    def search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The VectorBackend contract (qa.index.backends): dense kNN with filters before the top-k cut."""
        allowed = rows
        if filters is not None and not filters.empty:
            matching = self.rows_matching(filters)
            allowed = matching if rows is None else np.intersect1d(rows, matching)
        return self.dense_search(query, k, allowed)

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def embedded_count(self) -> int:
        return len(self.chunks) if self.embedded is None else int(self.embedded.sum())

    def documents(self) -> list[tuple[str, DocMeta]]:
        seen: dict[str, DocMeta] = {}
        for chunk in self.chunks:
            seen.setdefault(chunk.doc_id, chunk.meta)
        return list(seen.items())

    def rows_matching(self, filters: Filters) -> FilteredRows:
        """The rows that match filters, found by SQL; searches given them filter in their WHERE clause."""
        where, params = sql.filter_clause(filters)
        found = self._query(f"SELECT c.id FROM qa_chunks c WHERE {where}", params)
        rows = self._rows([i for (i,) in found]).view(FilteredRows)
        rows.sort()
        rows.filters = filters
        return rows

    def dense_search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Same contract as Index.dense_search: (row, inner product) best first, among allowed rows."""
        if n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        params: dict[str, Any] = {"q": sql.vector_text(np.asarray(query, dtype=np.float32)), "n": n}
        where = self._where(allowed, params)
        if where:
            return self._hits(sql.DENSE_FILTERED.format(where=where), params)
        return self._hits(sql.DENSE, params, ef_search=max(n, HNSW_EF_SEARCH))

    def bm25_search(self, terms: list[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Same contract as Index.bm25_search, scored in the database (BM25, or ts_rank when lexical says so)."""
        if not terms or n <= 0 or not self.chunks or (allowed is not None and len(allowed) == 0):
            return []
        params: dict[str, Any] = {"n": n}
        where = self._where(allowed, params)
        if self.lexical == "tsrank":
            params["text"] = " ".join(t.lstrip("#") for t in terms)
            return self._hits(sql.TSRANK.format(and_where=f"AND {where}" if where else ""), params)
        params["terms"] = list(terms)
        join_where = f"JOIN qa_chunks c ON c.id = p.chunk WHERE {where}" if where else ""
        return self._hits(sql.BM25.format(join_where=join_where), params)

    def _where(self, allowed: np.ndarray | None, params: dict[str, Any]) -> str:
        if allowed is None:
            return ""
        filters = getattr(allowed, "filters", None)
        where, extra = sql.filter_clause(filters) if filters is not None else sql.filter_clause(None, self.ids[allowed])
        params.update(extra)
        return where

    def _rows(self, db_ids: list[int]) -> np.ndarray:
        """Rows of db ids, dropping ids synced after this index was loaded (a newer generation shows them)."""
        ids = np.asarray(db_ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, ids)
        ok = (pos < len(self.ids)) & (self.ids[np.minimum(pos, len(self.ids) - 1)] == ids) if len(self.ids) else ids < 0
        return pos[ok].astype(np.int64)

    def _hits(self, query: str, params: dict[str, Any], *, ef_search: int = 0) -> list[tuple[int, float]]:
        found = self._query(query, params, ef_search=ef_search)
        if not found:
            return []
        rows = self._rows([i for i, _ in found])
        known = set(self.ids[rows].tolist())
        scores = [float(s) for i, s in found if i in known]
        return [(int(r), s) for r, s in zip(rows.tolist(), scores, strict=True)]

    def _query(self, query: str, params: dict[str, Any], *, ef_search: int = 0) -> list[Any]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connect(self.url)
            conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        try:
            if ef_search > HNSW_EF_SEARCH:  # a longer list than usual needs a wider HNSW search
                with conn.transaction():
                    conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
                    found = conn.execute(query, params).fetchall()
            else:
                found = conn.execute(query, params).fetchall()
        except Exception:
            conn.close()  # a broken connection is not put back
            raise
        with self._lock:
            if len(self._idle) < POOL_IDLE:
                self._idle.append(conn)
                conn = None
        if conn is not None:
            conn.close()
        return found

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def open_index(url: str, local: Index | None = None, *, lexical: str = "bm25") -> PostgresIndex:
    """Sync the local index into the database when it is newer than what the database holds, then open it."""
    if local is not None:
        with connect(url) as conn:
            sync(conn, local)
    return PostgresIndex.open(url, lexical=lexical, local=local)


def database_generation(url: str) -> str:
    """The generation of the database at url (one short query on a connection kept per process)."""
    with _GEN_LOCK:
        conn = _GEN_CONN.get(url)
        if conn is None or conn.closed:
            conn = _GEN_CONN[url] = connect(url)
        try:
            return generation(conn)
        except Exception:
            _GEN_CONN.pop(url, None)
            raise


_GEN_CONN: dict[str, Any] = {}
_CHUNKS: dict[str, dict[tuple[str, str], Chunk]] = {}  # per URL: (chunk_id, text_key) → the Chunk last read
_CHUNKS_LOCK = threading.Lock()
_GEN_LOCK = threading.Lock()
