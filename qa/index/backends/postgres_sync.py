"""Syncing an Index into PostgreSQL: one transaction under an advisory lock, so a crash leaves the previous set.

`sync` makes the qa_ tables (qa.index.backends.postgres_sql) hold exactly an index's chunks, by chunk_id: new or
changed chunks are inserted, removed ones deleted, and chunks synced before the background embedder reached
them get their vectors. Term ids come from the index's own term cache (the build already ran jieba), postings
are written with a binary COPY built by numpy, and a first load (every row new) fills the tables before it
builds their indexes, with the postings frozen so BM25's index-only scans need no VACUUM.
"""

from __future__ import annotations

import json
import struct
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index import tokenize
from qa.index.backends import postgres_sql as sql
from qa.index.cache import text_key
from qa.index.store import embedding_cache_root
from qa.index.terms import TermCache

if TYPE_CHECKING:
    from collections.abc import Callable

    from qa.index.store import Index
    from qa.records import Chunk

BULK_ROWS = 1000  # a sync inserting more rows than this into an emptied table loads first, indexes after
POSTINGS_BATCH = 5000  # chunks per slice of the postings COPY (bounds the numpy arrays at 100k+ chunks)
_POSTING = np.dtype(
    [
        *[("n", ">i2"), ("l1", ">i4"), ("term", ">i4"), ("l2", ">i4"), ("chunk", ">i4")],
        *[("l3", ">i4"), ("tf", ">i2"), ("l4", ">i4"), ("dl", ">i2")],
    ]
)  # one row of PostgreSQL's binary COPY format for (integer, integer, smallint, smallint)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


@dataclass
class SyncReport:
    inserted: int = 0
    deleted: int = 0
    vectors: int = 0  # chunks that got their vector since the last sync
    skipped: str = ""  # why nothing was done ("" when the sync ran)
    seconds: float = 0.0


class ChunkTerms:
    """Each chunk's BM25 term ids (qa.index.tokenize) from the index's term cache, and the strings of those ids.

    The cache is only read: a build may be writing it, and its lock is not ours to take; chunks it does not
    hold are tokenised here, in memory.
    """

    def __init__(self, root: Path | None) -> None:
        self.cache = TermCache(root)
        self.cache.dir = None  # never flushed into the build's cache
        self.names: list[str] = list(self.cache.vocab)

    def ids(self, chunk: Chunk) -> np.ndarray:
        found = self.cache.ids(text_key(chunk), chunk.indexed_text)
        if len(self.cache.vocab) > len(self.names):
            self.names.extend(islice(self.cache.vocab, len(self.names), None))
        return found


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
    dim = int(index.vectors.shape[1])
    root = term_root if term_root is not None else embedding_cache_root(index.path.parent.parent)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (sql.LOCK_KEY,))  # concurrent syncs take turns
        conn.execute("CREATE TABLE IF NOT EXISTS qa_meta (key text PRIMARY KEY, value text NOT NULL)")
        meta = sql.meta(conn)
        if not force and meta.get("source_version", "") >= version:
            report.skipped = f"the database holds index version {meta['source_version']} (this is {version})"
            return report
        name = str(index.manifest.get("embedder", {}).get("name", ""))
        wanted = {"embedder": name, "dim": str(dim), "tokenizer": tokenize.fingerprint()}
        if any(meta.get(k) not in (None, v) for k, v in wanted.items()):
            conn.execute(sql.DROP)  # another embedder or other term rules: the stored vectors and terms are void
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
        bulk = not keep and len(new_rows) > BULK_ROWS  # every row is new: load, then build the indexes once
        if bulk:  # (readers wait for this transaction: TRUNCATE and DROP INDEX lock the tables until it commits)
            conn.execute("TRUNCATE qa_postings, qa_chunks, qa_terms")  # all gone anyway; lets COPY freeze the rows
            conn.execute(sql.DROP_INDEXES)
        elif gone:
            conn.execute(sql.DF_DOWN, (gone,))
            conn.execute("DELETE FROM qa_postings WHERE chunk = ANY(%s)", (gone,))
            conn.execute("DELETE FROM qa_chunks WHERE id = ANY(%s)", (gone,))
        _insert(conn, index, new_rows, embedded, ChunkTerms(root) if new_rows else None, freeze=bulk)
        _set_vectors(conn, index, vector_rows)
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in sql.INDEXES:  # no-ops unless a bulk load dropped them or the tables are new
            conn.execute(statement)
        if bulk:
            conn.execute("ANALYZE qa_chunks, qa_postings, qa_terms")
        conn.execute(sql.STATS)
        conn.execute(sql.SET_META, ("source_version", version))
        conn.execute(sql.BUMP_GENERATION)
        report.inserted, report.deleted, report.vectors = len(new_rows), len(gone), len(vector_rows)
        if before_commit is not None:
            before_commit()
    report.seconds = time.perf_counter() - started
    return report


def _insert(
    conn: Any, index: Index, rows: list[int], embedded: np.ndarray, terms: ChunkTerms | None, *, freeze: bool
) -> None:
    """COPY the chunks of these index rows, the terms new to the database and the postings; raise the df.

    With freeze (the tables were truncated in this transaction) postings are loaded frozen and all-visible.
    """
    if not rows or terms is None:
        return
    chunks = [index.chunks[r] for r in rows]
    term_ids = [terms.ids(c) for c in chunks]  # cache ids, one int32 array per chunk
    names = np.array(terms.names, dtype=object)
    used = np.unique(np.concatenate(term_ids))
    conn.execute("CREATE TEMP TABLE qa_stage_terms (term text) ON COMMIT DROP")
    with conn.cursor().copy("COPY qa_stage_terms (term) FROM STDIN") as copy:
        for term in names[used].tolist():
            copy.write_row((term,))
    conn.execute("INSERT INTO qa_terms (term) SELECT term FROM qa_stage_terms ON CONFLICT (term) DO NOTHING")
    db_term = dict(conn.execute("SELECT t.term, t.id FROM qa_terms t JOIN qa_stage_terms s USING (term)").fetchall())
    remap = np.zeros(len(names), dtype=np.int32)  # cache id → qa_terms.id
    remap[used] = [db_term[t] for t in names[used].tolist()]
    ids = sorted(i for (i,) in conn.execute("SELECT nextval('qa_chunk_ids') FROM generate_series(1, %s)", (len(rows),)))
    _copy_chunks(conn, index, rows, chunks, ids, term_ids, names, embedded)
    df = np.zeros(len(names), dtype=np.int64)
    with conn.cursor().copy(f"COPY qa_postings FROM STDIN WITH (FORMAT binary{', FREEZE' if freeze else ''})") as copy:
        copy.write(_COPY_HEADER)
        for start in range(0, len(rows), POSTINGS_BATCH):
            batch = term_ids[start : start + POSTINGS_BATCH]
            lengths = np.array([len(t) for t in batch], dtype=np.int64)
            flat = np.concatenate(batch).astype(np.int64) if batch else np.zeros(0, dtype=np.int64)
            keys, tf = np.unique(np.repeat(np.arange(len(batch)), lengths) * len(names) + flat, return_counts=True)
            which, term = np.divmod(keys, len(names))
            out = np.empty(len(keys), dtype=_POSTING)
            out["n"], out["l1"], out["l2"], out["l3"], out["l4"] = 4, 4, 4, 2, 2
            out["term"] = remap[term]
            out["chunk"] = np.asarray(ids[start : start + POSTINGS_BATCH])[which]
            out["tf"] = np.minimum(tf, 32767)
            out["dl"] = np.minimum(lengths[which], 32767)
            copy.write(out.tobytes())
            np.add.at(df, term, 1)
        copy.write(struct.pack(">h", -1))
    conn.execute("CREATE TEMP TABLE qa_stage_df (term_id integer, n integer) ON COMMIT DROP")
    with conn.cursor().copy("COPY qa_stage_df (term_id, n) FROM STDIN") as copy:
        for tid, n in zip(remap[used].tolist(), df[used].tolist(), strict=True):
            copy.write_row((tid, n))
    conn.execute(sql.DF_UP)


def _copy_chunks(
    conn: Any,
    index: Index,
    rows: list[int],
    chunks: list[Chunk],
    ids: list[int],
    term_ids: list[np.ndarray],
    names: np.ndarray,
    embedded: np.ndarray,
) -> None:
    """Chunks, metadata and vectors, and a tsvector of the same terms parsed by the 'simple' configuration."""
    plain = np.array([n.lstrip("#") for n in names.tolist()], dtype=object)  # ts_rank's lexemes: no # prefix
    conn.execute(
        "CREATE TEMP TABLE qa_stage_chunks (id integer, chunk_id text, doc_id text, agency text, year text, "
        f"kind text, text_key text, n_terms integer, chunk jsonb, embedding vector({index.vectors.shape[1]}), "
        "terms text) ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY qa_stage_chunks FROM STDIN") as copy:
        for db_id, row, chunk, found in zip(ids, rows, chunks, term_ids, strict=True):
            meta = chunk.meta
            copy.write_row(
                (
                    db_id,
                    chunk.chunk_id,
                    chunk.doc_id,
                    meta.agency,
                    meta.year,
                    meta.kind,
                    text_key(chunk),
                    len(found),
                    json.dumps(chunk.to_dict(), ensure_ascii=False),
                    sql.vector_text(index.vectors[row]) if embedded[row] else None,
                    " ".join(plain[found].tolist()),
                )
            )
    conn.execute(
        "INSERT INTO qa_chunks (id, chunk_id, doc_id, agency, year, kind, text_key, n_terms, chunk, embedding, tsv) "
        "SELECT id, chunk_id, doc_id, agency, year, kind, text_key, n_terms, chunk, embedding, "
        "to_tsvector('simple', terms) FROM qa_stage_chunks ORDER BY id"
    )


def _set_vectors(conn: Any, index: Index, pairs: list[tuple[int, int]]) -> None:
    """Vectors for chunks that were synced before the background embedder reached them."""
    if not pairs:
        return
    conn.execute(f"CREATE TEMP TABLE qa_stage_vec (id integer, v vector({index.vectors.shape[1]})) ON COMMIT DROP")
    with conn.cursor().copy("COPY qa_stage_vec (id, v) FROM STDIN") as copy:
        for db_id, row in pairs:
            copy.write_row((db_id, sql.vector_text(index.vectors[row])))
    conn.execute("UPDATE qa_chunks c SET embedding = s.v FROM qa_stage_vec s WHERE c.id = s.id")
