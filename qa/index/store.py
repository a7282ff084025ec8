"""A loaded index and its on-disk layout: chunk store, FAISS vectors, BM25 and manifest, read back as one Index.

Layout of an index directory::

    CURRENT                 name of the live version (replaced atomically: the commit point of a build)
    versions/<name>/        manifest.json, chunks.jsonl, vectors.npy, dense.faiss, bm25/, and embedded.npy when
                            some chunks have no vector yet (their rows in vectors.npy are zero and dense.faiss
                            holds only the embedded rows, in row order)
    embed-status.json       progress of the background embedder (qa/index/worker.py), for `qa index --status`
    cache/<embedder>/       embedding cache shards, keyed by a hash of the embedded text (qa/index/cache.py)
    cache/terms-<rules>/    BM25 term ids per text hash and their vocabulary (qa/index/terms.py)
    .build.lock             held while a build runs, so two builds never interleave

This module reads that layout (qa/index/build.py and qa/index/write.py write it): `load_index` gives the live
version as an Index, `current_version` names it, and `check_embedder` refuses a query embedder the index was
not built with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from qa.errors import IndexMismatchError, IndexMissingError, QAError
from qa.index import tokenize
from qa.index.cache import text_key
from qa.index.embed import Embedder
from qa.index.terms import TermCache, build_bm25
from qa.records import Chunk, DocMeta

# A query is one small matrix-vector product: an OpenMP team only adds wake-up cost, and on a shared CPU its
# spinning threads turned a ~8 ms exact search at 10k chunks into ~60 ms (docs/performance.md). Requests are
# served concurrently instead; builds raise the count while they add vectors (qa.index.write.build_dense).
faiss.omp_set_num_threads(int(os.environ.get("QA_FAISS_THREADS", "1")))

FORMAT_VERSION = 1
HNSW_EF_SEARCH = 128
POINTER = "CURRENT"
VERSIONS = "versions"
CACHE = "cache"
VERSION_FILES = ("chunks.jsonl", "vectors.npy", "dense.faiss")  # bm25/ is absent for an index with no chunks
STATUS_FILE = "embed-status.json"  # progress of the background embedder (qa/index/worker.py)
EMBEDDED = "embedded.npy"  # row mask of the chunks that have a vector; absent when every chunk has one
SMALL_FILTER = 20_000  # a filter keeping at most this many rows is searched exactly with numpy


@dataclass(eq=False)
class Index:
    """A loaded index version: chunks in a fixed order, their vectors, the FAISS index and BM25 over them."""

    path: Path  # the version directory
    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray  # (n, dim) float32, row i belongs to chunks[i]
    dense: faiss.Index  # over the embedded rows only, in row order
    bm25: bm25s.BM25 | None  # None when there are no chunks
    embedded: np.ndarray | None = None  # bool row mask of chunks with a vector; None = every chunk has one

    def __post_init__(self) -> None:
        if self.embedded is not None and bool(self.embedded.all()):
            self.embedded = None
        # FAISS ids count the embedded rows only: id → row, and the rows the dense search may return.
        self._dense_rows = None if self.embedded is None else np.flatnonzero(self.embedded).astype(np.int64)

    @property
    def embedded_count(self) -> int:
        """Chunks that have a vector (and so take part in dense search)."""
        return len(self.chunks) if self._dense_rows is None else len(self._dense_rows)

    def documents(self) -> list[tuple[str, DocMeta]]:
        """Every indexed document once, in index order, with its metadata."""
        seen: dict[str, DocMeta] = {}
        for chunk in self.chunks:
            seen.setdefault(chunk.doc_id, chunk.meta)
        return list(seen.items())

    @property
    def version(self) -> str:
        return self.path.name

    def dense_search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n rows most similar (inner product of unit vectors = cosine) to query, among allowed rows.

        Only rows that have a vector take part: while the background embedder is still working, dense search
        covers the embedded rows and BM25 covers all of them. A filter that keeps few rows is searched exactly
        with numpy; a broad one goes through FAISS with an ID selector, so filtering always happens before the
        top-n cut.
        """
        rows = self._dense_rows
        if rows is not None and allowed is not None:
            allowed = np.intersect1d(np.asarray(allowed, dtype=np.int64), rows, assume_unique=False)
        elif rows is not None and len(rows) <= SMALL_FILTER:
            allowed = rows
        total = self.embedded_count
        if total == 0 or n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        if allowed is not None and len(allowed) <= SMALL_FILTER:
            scores = self.vectors[allowed] @ q[0]
            order = _top(scores, n)
            return [(int(allowed[i]), float(scores[i])) for i in order]
        params = None
        if allowed is not None:
            ids = allowed if rows is None else np.searchsorted(rows, allowed)  # row → FAISS id
            selector = faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))
            if isinstance(self.dense, faiss.IndexHNSW):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, n))
            else:
                params = faiss.SearchParameters(sel=selector)
        elif isinstance(self.dense, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, n))
        scores, ids = self.dense.search(q, min(n, total), params=params)
        found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        return found if rows is None else [(int(rows[i]), s) for i, s in found]

    def bm25_search(self, terms: list[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n rows with the highest BM25 score for the query terms, among allowed rows; zero scores dropped."""
        if self.bm25 is None or not terms or n <= 0:
            return []
        scores = np.asarray(self.bm25.get_scores(terms), dtype=np.float32)
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        order = _top(scores, n)
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indexes of the n largest scores, best first (ties broken by position, so results are deterministic)."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return part[np.lexsort((part, -scores[part]))]


def embedding_cache_root(index_dir: Path, cache_dir: Path | None = None) -> Path:
    """Where the embedding cache of an index lives: cache_dir, else QA_EMBED_CACHE_DIR, else <index>/cache.

    Vectors are keyed by embedder and text hash, so one folder can serve several indexes (the eval index, the
    test fixtures and the app's index share the seeds' vectors in CI: the seeds are embedded once).
    """
    if cache_dir is not None:
        return Path(cache_dir)
    shared = os.environ.get("QA_EMBED_CACHE_DIR", "").strip()
    return Path(shared).expanduser() if shared else Path(index_dir) / CACHE


def read_pointer(index_dir: Path) -> str:
    """The version name CURRENT holds, "" when there is none (unchecked; current_version checks it)."""
    try:
        return (Path(index_dir) / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def current_version(index_dir: Path) -> str:
    """The name of the live version of an index directory.

    Raises:
        IndexMissingError: there is no built index there.
    """
    name = read_pointer(index_dir)
    if not name or not (Path(index_dir) / VERSIONS / name / "manifest.json").is_file():
        raise IndexMissingError(f"{index_dir} 中没有索引，请先运行 `qa index` 建立索引")
    return name


def load_index(index_dir: Path) -> Index:
    """Load the live version of an index directory into memory.

    Raises:
        IndexMissingError: no index was built there.
        IndexMismatchError: it was built by another format version.
    """
    index_dir = Path(index_dir)
    path = index_dir / VERSIONS / current_version(index_dir)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} 中的索引格式为 {manifest.get('format')}，本程序读取的格式为 "
            f"{FORMAT_VERSION}，请运行 `qa index --rebuild` 重建索引"
        )
    try:
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
        embedded = np.load(path / EMBEDDED, allow_pickle=False) if (path / EMBEDDED).is_file() else None
        dense = faiss.read_index(str(path / "dense.faiss"))
        bm25 = None
        if chunks:
            if manifest.get("tokenizer") == tokenize.fingerprint() and (path / "bm25").is_dir():
                bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False, verbosity=0)
            else:  # the term rules changed since the build: the chunk store has all we need to redo BM25
                bm25 = build_chunk_bm25(chunks)
    except (OSError, ValueError, KeyError, RuntimeError) as err:  # faiss reports a bad file as RuntimeError
        raise IndexMismatchError(
            f"{index_dir} 中的索引已损坏（{one_line(err)}），请运行 `qa index --rebuild` 重建索引"
        ) from err
    with_vectors = len(chunks) if embedded is None else int(np.count_nonzero(embedded))
    if (
        len(chunks) != len(vectors)
        or dense.ntotal != with_vectors
        or (embedded is not None and len(embedded) != len(chunks))
    ):
        raise IndexMismatchError(
            f"{index_dir} 中的索引前后不一致（{len(chunks)} 个片段、{len(vectors)} 个向量、"
            f"{dense.ntotal} 个可检索），请运行 `qa index --rebuild` 重建索引"
        )
    return Index(
        path=path, manifest=manifest, chunks=chunks, vectors=vectors, dense=dense, bm25=bm25, embedded=embedded
    )


def check_embedder(index: Index, embedder: Embedder) -> None:
    """Raise IndexMismatchError unless the index was built with this embedder (same name and dimension)."""
    built = index.manifest.get("embedder", {})
    if built.get("name") != embedder.name or built.get("dim") != embedder.dim:
        raise IndexMismatchError(
            f"{index.path.parent.parent} 中的索引是用向量模型 {built.get('name')!r}（{built.get('dim')} 维）建立的，"
            f"而当前配置的是 {embedder.name!r}（{embedder.dim} 维）；"
            "请运行 `qa index --rebuild` 重建索引，或把 QA_EMBED_MODEL 改回原来的模型"
        )


def build_chunk_bm25(chunks: list[Chunk], cache_root: Path | None = None) -> bm25s.BM25:
    """BM25 over the chunks' indexed text; term ids come from the term cache under cache_root when given."""
    return build_bm25(((text_key(c), c.indexed_text) for c in chunks), TermCache(cache_root))


def one_line(err: BaseException) -> str:
    """An error as one line for a report: our own errors as they are, others prefixed with their type."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if isinstance(err, QAError) else f"{type(err).__name__}: {text}"
