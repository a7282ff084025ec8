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

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import ConfigError
from qa.index import tokenize
from qa.index.backends import postgres_sql as sql
from qa.index.cache import text_key
from qa.index.store import embedding_cache_root
from qa.index.terms import TermCache
from qa.records import Chunk, DocMeta

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from qa.index.store import Index
    from qa.records import Filters

LEXICAL = ("bm25", "tsrank")


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A psycopg connection to the database URL (ConfigError when psycopg is missing)."""
    try:
        import psycopg
    except ImportError as err:
        raise ConfigError(
            "QA_DATABASE_URL is set but the psycopg package is not installed; "
            "`pip install '.[postgres]'` or unset QA_DATABASE_URL"
        ) from err
    return psycopg.connect(url, autocommit=autocommit)


def _meta(conn: Any) -> dict[str, str]:
    if conn.execute("SELECT to_regclass('qa_meta')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("SELECT key, value FROM qa_meta").fetchall())


def generation(conn: Any) -> str:
    """The database's sync counter ("" before the first sync): it changes with every committed sync."""
    return _meta(conn).get("generation", "")


# ----------------------------------------------------------------------------------------------------- sync


@dataclass
class SyncReport:
    inserted: int = 0
    deleted: int = 0
    vectors: int = 0  # chunks that got their vector since the last sync
    skipped: str = ""  # why nothing was done ("" when the sync ran)
    seconds: float = 0.0


def chunk_terms(chunks: list[Chunk], root: Path | None) -> Iterator[list[str]]:
    """Each chunk's BM25 terms (qa.index.tokenize), from the index's term cache when it holds them.

    The cache is only read: a build may be writing it, and its lock is not ours to take.
    """
    cache = TermCache(root)
    cache.dir = None  # misses are tokenised in memory, never flushed into the build's cache
    names: list[str] = list(cache.vocab)
    for chunk in chunks:
        ids = cache.ids(text_key(chunk), chunk.indexed_text)
        if len(cache.vocab) > len(names):
            names.extend(islice(cache.vocab, len(names), None))
        yield [names[i] for i in ids.tolist()]


def sync(
    conn: Any,
    index: Index,
    *,
    force: bool = False,
    term_root: Path | None = None,
    before_commit: Callable[[], None] | None = None,
) -> SyncReport:
    """Make the database hold exactly the index's chunks, in one transaction (all or nothing).

    Args:
        conn: an autocommit psycopg connection (the transaction is opened here).
        index: the loaded index to mirror.
        force: sync even when the database already holds this or a newer index version (otherwise an app
            process with an older index never rolls back what a newer one synced).
        term_root: where the index's term cache is (default: the index's embedding cache root).
        before_commit: called inside the transaction just before it commits (tests kill the process there).
    """
    started = time.perf_counter()
    report = SyncReport()
    version = str(index.manifest.get("version") or index.path.name)
    embedder = index.manifest.get("embedder", {})
    dim = int(index.vectors.shape[1])
    root = term_root if term_root is not None else embedding_cache_root(index.path.parent.parent)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (sql.LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS qa_meta (key text PRIMARY KEY, value text NOT NULL)")
        meta = _meta(conn)
        if not force and meta.get("source_version", "") >= version:
            report.skipped = f"the database holds index version {meta['source_version']} (this is {version})"
            return report
        wanted = {"embedder": str(embedder.get("name", "")), "dim": str(dim), "tokenizer": tokenize.fingerprint()}
        if any(meta.get(k) not in (None, v) for k, v in wanted.items()):
            conn.execute(sql.DROP)  # another embedder or term rules: the stored vectors and terms are void
        conn.execute(sql.SCHEMA.format(dim=dim))
        for key, value in wanted.items():
            conn.execute(sql.SET_META, (key, value))
        have = {
            cid: (i, key, has)
            for i, cid, key, has in conn.execute("SELECT id, chunk_id, text_key, embedding IS NOT NULL FROM qa_chunks")
        }
        embedded = index.embedded if index.embedded is not None else np.ones(len(index.chunks), dtype=bool)
        keep: set[str] = set()
        new_rows: list[int] = []
        vector_rows: list[tuple[int, int]] = []  # (db id, index row)
        for row, chunk in enumerate(index.chunks):
            found = have.get(chunk.chunk_id)
            if found is not None and found[1] == text_key(chunk):
                keep.add(chunk.chunk_id)
                if not found[2] and embedded[row]:
                    vector_rows.append((found[0], row))
            else:
                new_rows.append(row)
        gone = [i for cid, (i, _, _) in have.items() if cid not in keep]
        if gone:
            conn.execute(sql.DF_DOWN, (gone,))
            conn.execute("DELETE FROM qa_chunks WHERE id = ANY(%s)", (gone,))
        bulk = not keep and len(new_rows) > 1000  # a first load: build the HNSW graph once, after the rows
        if bulk:
            conn.execute("DROP INDEX IF EXISTS qa_chunks_embedding")
        _insert(conn, index, new_rows, embedded, root)
        _set_vectors(conn, index, vector_rows)
        if bulk or conn.execute("SELECT to_regclass('qa_chunks_embedding')").fetchone()[0] is None:
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            conn.execute(sql.HNSW_INDEX)
        conn.execute(sql.STATS)
        conn.execute(sql.SET_META, ("source_version", version))
        conn.execute(sql.BUMP_GENERATION)
        report.inserted, report.deleted, report.vectors = len(new_rows), len(gone), len(vector_rows)
        if before_commit is not None:
            before_commit()
    report.seconds = time.perf_counter() - started
    return report


def _insert(conn: Any, index: Index, rows: list[int], embedded: np.ndarray, root: Path | None) -> None:
    """COPY the chunks of these index rows, their postings and the new terms; raise the terms' df."""
    if not rows:
        return
    chunks = [index.chunks[r] for r in rows]
    ids = [i for (i,) in conn.execute("SELECT nextval('qa_chunk_ids') FROM generate_series(1, %s)", (len(rows),))]
    ids.sort()  # rows keep index order
    counts: list[Counter[str]] = []
    conn.execute(
        "CREATE TEMP TABLE qa_stage_chunks (id integer, chunk_id text, doc_id text, agency text, year text, "
        f"kind text, text_key text, n_terms integer, chunk jsonb, embedding vector({index.vectors.shape[1]}), "
        "terms text) ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY qa_stage_chunks FROM STDIN") as copy:
        for db_id, row, chunk, terms in zip(ids, rows, chunks, chunk_terms(chunks, root), strict=True):
            counts.append(Counter(terms))
            meta = chunk.meta
            vector = sql.vector_text(index.vectors[row]) if embedded[row] else None
            joined = " ".join(t.lstrip("#") for t in terms)
            chunk_json = json.dumps(chunk.to_dict(), ensure_ascii=False)
            copy.write_row(
                (
                    db_id,
                    chunk.chunk_id,
                    chunk.doc_id,
                    meta.agency,
                    meta.year,
                    meta.kind,
                    text_key(chunk),
                    len(terms),
                    chunk_json,
                    vector,
                    joined,
                )
            )
    # the same terms, parsed by PostgreSQL's 'simple' configuration (no stemming, no stop-words) for ts_rank
    conn.execute(
        "INSERT INTO qa_chunks (id, chunk_id, doc_id, agency, year, kind, text_key, n_terms, chunk, embedding, tsv) "
        "SELECT id, chunk_id, doc_id, agency, year, kind, text_key, n_terms, chunk, embedding, "
        "to_tsvector('simple', terms) FROM qa_stage_chunks ORDER BY id"
    )
    vocab = set().union(*counts)
    conn.execute("CREATE TEMP TABLE qa_stage_terms (term text) ON COMMIT DROP")
    with conn.cursor().copy("COPY qa_stage_terms (term) FROM STDIN") as copy:
        for term in vocab:
            copy.write_row((term,))
    conn.execute(
        "INSERT INTO qa_terms (term) SELECT term FROM qa_stage_terms ORDER BY term ON CONFLICT (term) DO NOTHING"
    )
    term_ids = dict(conn.execute("SELECT t.term, t.id FROM qa_terms t JOIN qa_stage_terms s USING (term)"))
    df: Counter[int] = Counter()
    with conn.cursor().copy("COPY qa_postings (term_id, chunk, tf) FROM STDIN") as copy:
        for db_id, counter in zip(ids, counts, strict=True):
            for term, tf in counter.items():
                tid = term_ids[term]
                df[tid] += 1
                copy.write_row((tid, db_id, min(tf, 32767)))
    conn.execute("CREATE TEMP TABLE qa_stage_df (term_id integer, n integer) ON COMMIT DROP")
    with conn.cursor().copy("COPY qa_stage_df (term_id, n) FROM STDIN") as copy:
        for tid, n in df.items():
            copy.write_row((tid, n))
    conn.execute(sql.DF_UP)


def _set_vectors(conn: Any, index: Index, pairs: list[tuple[int, int]]) -> None:
    """Vectors for chunks that were synced before the background embedder reached them."""
    if not pairs:
        return
    conn.execute(f"CREATE TEMP TABLE qa_stage_vec (id integer, v vector({index.vectors.shape[1]})) ON COMMIT DROP")
    with conn.cursor().copy("COPY qa_stage_vec (id, v) FROM STDIN") as copy:
        for db_id, row in pairs:
            copy.write_row((db_id, sql.vector_text(index.vectors[row])))
    conn.execute("UPDATE qa_chunks c SET embedding = s.v FROM qa_stage_vec s WHERE c.id = s.id")


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
        self._conn = connect(self.url)
        self._lock = threading.Lock()  # one statement at a time on this connection
        self._ef = 0

    @classmethod
    def open(cls, url: str, *, lexical: str = "bm25", local: Any = None) -> PostgresIndex:
        """The chunks of the last committed sync, read in id order."""
        with connect(url) as conn, conn.transaction():  # one snapshot: the chunks and the generation agree
            meta = _meta(conn)
            rows: list[Any] = []
            if conn.execute("SELECT to_regclass('qa_chunks')").fetchone()[0] is not None:
                rows = conn.execute("SELECT id, chunk, embedding IS NOT NULL FROM qa_chunks ORDER BY id").fetchall()
        chunks = [Chunk.from_dict(data) for _, data, _ in rows]
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
        if n > self._ef:
            with self._lock:
                self._ef = max(n, 128)  # FAISS's HNSW_EF_SEARCH
                self._conn.execute(f"SET hnsw.ef_search = {self._ef}")
        return self._hits(sql.DENSE, params)

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
        return self._hits(sql.BM25.format(where=f"WHERE {where}" if where else ""), params)

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

    def _hits(self, query: str, params: dict[str, Any]) -> list[tuple[int, float]]:
        found = self._query(query, params)
        if not found:
            return []
        rows = self._rows([i for i, _ in found])
        known = set(self.ids[rows].tolist())
        scores = [float(s) for i, s in found if i in known]
        return [(int(r), s) for r, s in zip(rows.tolist(), scores, strict=True)]

    def _query(self, query: str, params: dict[str, Any]) -> list[Any]:
        with self._lock:
            return self._conn.execute(query, params).fetchall()

    def close(self) -> None:
        self._conn.close()


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
_GEN_LOCK = threading.Lock()
