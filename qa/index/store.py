"""The index: FAISS vectors + BM25 + chunk store + manifest, built incrementally and swapped in atomically.

Layout of an index directory::

    CURRENT                 name of the live version (replaced atomically: the commit point of a build)
    versions/<name>/        manifest.json, chunks.jsonl, vectors.npy, dense.faiss, bm25/
    cache/<embedder>/       embedding cache shards, keyed by a hash of the embedded text
    cache/terms-<rules>/    BM25 term ids per text hash and their vocabulary (qa/terms.py)
    .build.lock             held while a build runs, so two builds never interleave

A build writes a new version under a temporary name, renames it, then replaces CURRENT. A kill at any moment
leaves CURRENT pointing at a complete version: the old one before the replace, the new one after.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from qa.index import tokenize
from qa.index.embed import Embedder, iter_batches
from qa.errors import IndexMismatchError, IndexMissingError, QAError
from qa.records import Chunk, DocMeta
from qa.index.terms import TermCache, build_bm25

# A query is one small matrix-vector product: an OpenMP team only adds wake-up cost, and on a shared CPU its
# spinning threads turned a ~8 ms exact search at 10k chunks into ~60 ms (docs/performance.md). Requests are
# served concurrently instead; builds raise the count while they add vectors (_build_dense).
faiss.omp_set_num_threads(int(os.environ.get("QA_FAISS_THREADS", "1")))

FORMAT_VERSION = 1
HNSW_THRESHOLD = 50_000  # above this many chunks exact search gets slow enough that HNSW pays for its build
HNSW_M = 32
HNSW_EF_SEARCH = 128
POINTER = "CURRENT"
VERSIONS = "versions"
CACHE = "cache"
CACHE_FLUSH_EVERY = 64  # new embeddings written to the cache at least this often, so a crash loses little
CACHE_MAX_SHARDS = 16
VERSION_FILES = ("chunks.jsonl", "vectors.npy", "dense.faiss")  # bm25/ is absent for an index with no chunks


@dataclass
class BuildReport:
    """What a build did: counts, how many chunks were embedded vs taken from the cache, and files that failed."""

    index_dir: Path
    files: int = 0  # files in the index after the build
    files_unchanged: int = 0  # taken over from the previous index without re-reading
    files_removed: int = 0  # indexed before, gone from disk now
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks embedded in this build
    cached: int = 0  # chunks whose vectors came from the cache or the previous index
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, one-line reason)
    seconds: float = 0.0
    dense_kind: str = ""
    swapped: bool = False  # a new version went live

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.documents} documents, {self.chunks} chunks from {self.files} files "
            f"({self.files_unchanged} unchanged, {self.files_removed} removed); "
            f"{self.embedded} embedded, {self.cached} cached; {len(self.errors)} errors; {self.seconds:.1f} s"
        )


@dataclass(eq=False)
class Index:
    """A loaded index version: chunks in a fixed order, their vectors, the FAISS index and BM25 over them."""

    path: Path  # the version directory
    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray  # (n, dim) float32, row i belongs to chunks[i]
    dense: faiss.Index
    bm25: bm25s.BM25 | None  # None when there are no chunks

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

        A filter that keeps few rows is searched exactly with numpy; a broad one goes through FAISS with an ID
        selector, so filtering always happens before the top-n cut.
        """
        total = len(self.chunks)
        if total == 0 or n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        if allowed is not None and len(allowed) <= 20_000:
            scores = self.vectors[allowed] @ q[0]
            order = _top(scores, n)
            return [(int(allowed[i]), float(scores[i])) for i in order]
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            if isinstance(self.dense, faiss.IndexHNSW):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, n))
            else:
                params = faiss.SearchParameters(sel=selector)
        elif isinstance(self.dense, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, n))
        scores, ids = self.dense.search(q, min(n, total), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

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


def text_key(chunk: Chunk) -> str:
    """Cache key of a chunk's embedding: a hash of exactly the text the embedder sees."""
    return hashlib.sha1(chunk.indexed_text.encode("utf-8")).hexdigest()[:20]


# --------------------------------------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """Vectors keyed by text hash for one embedder, stored as append-only .npz shards in the index directory."""

    def __init__(self, root: Path, embedder_name: str, dim: int) -> None:
        slug = hashlib.sha1(embedder_name.encode("utf-8")).hexdigest()[:12]
        self.dir = root / slug
        self.dim = dim
        self.embedder_name = embedder_name
        self._vectors: dict[str, np.ndarray] = {}
        self._pending: dict[str, np.ndarray] = {}
        self._load()

    def _load(self) -> None:
        for shard in sorted(self.dir.glob("shard-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue  # a damaged shard only costs re-embedding its chunks
            if vectors.ndim == 2 and vectors.shape[1] == self.dim:
                self._vectors.update(zip(keys.tolist(), vectors, strict=True))

    def __contains__(self, key: str) -> bool:
        return key in self._vectors

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def pending(self) -> int:
        """Vectors added since the last flush."""
        return len(self._pending)

    def get(self, key: str) -> np.ndarray:
        return self._vectors[key]

    def put(self, key: str, vector: np.ndarray, *, persist: bool = True) -> None:
        if key not in self._vectors and persist:
            self._pending[key] = vector
        self._vectors[key] = vector

    def flush(self) -> None:
        """Write pending vectors as a new shard (temp file + rename, so a shard is whole or absent)."""
        if not self._pending:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "embedder.txt").write_text(self.embedder_name, encoding="utf-8")
        keys = np.array(list(self._pending), dtype=str)
        vectors = np.stack(list(self._pending.values())).astype(np.float32)
        name = f"shard-{time.time_ns()}-{uuid.uuid4().hex[:6]}.npz"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, keys=keys, vectors=vectors)
        os.replace(tmp, self.dir / name)
        self._pending.clear()
        self._compact()

    def _compact(self) -> None:
        shards = sorted(self.dir.glob("shard-*.npz"))
        if len(shards) <= CACHE_MAX_SHARDS:
            return
        self._pending = dict(self._vectors)
        self._vectors = dict(self._pending)
        name = f"shard-{time.time_ns()}-{uuid.uuid4().hex[:6]}.npz"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, keys=np.array(list(self._pending), dtype=str), vectors=np.stack(list(self._pending.values())))
        os.replace(tmp, self.dir / name)
        self._pending.clear()
        for shard in shards:  # only after the merged shard is in place
            shard.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------- loading


def current_version(index_dir: Path) -> str:
    """The name of the live version of an index directory.

    Raises:
        IndexMissingError: there is no built index there.
    """
    pointer = Path(index_dir) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        name = ""
    if not name or not (Path(index_dir) / VERSIONS / name / "manifest.json").is_file():
        raise IndexMissingError(f"no index in {index_dir}; run `qa index` to build it")
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
            f"the index in {index_dir} has format {manifest.get('format')}, this program reads format "
            f"{FORMAT_VERSION}; rebuild it with `qa index --rebuild`"
        )
    try:
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
        dense = faiss.read_index(str(path / "dense.faiss"))
        bm25 = None
        if chunks:
            if manifest.get("tokenizer") == tokenize.fingerprint() and (path / "bm25").is_dir():
                bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False, verbosity=0)
            else:  # the term rules changed since the build: the chunk store has all we need to redo BM25
                bm25 = _build_bm25(chunks)
    except (OSError, ValueError, KeyError, RuntimeError) as err:  # faiss reports a bad file as RuntimeError
        raise IndexMismatchError(
            f"the index in {index_dir} is damaged ({_one_line(err)}); rebuild it with `qa index --rebuild`"
        ) from err
    if len(chunks) != len(vectors) or dense.ntotal != len(chunks):
        raise IndexMismatchError(
            f"the index in {index_dir} is inconsistent ({len(chunks)} chunks, {len(vectors)} vectors); "
            "rebuild it with `qa index --rebuild`"
        )
    return Index(path=path, manifest=manifest, chunks=chunks, vectors=vectors, dense=dense, bm25=bm25)


def check_embedder(index: Index, embedder: Embedder) -> None:
    """Raise IndexMismatchError unless the index was built with this embedder (same name and dimension)."""
    built = index.manifest.get("embedder", {})
    if built.get("name") != embedder.name or built.get("dim") != embedder.dim:
        raise IndexMismatchError(
            f"the index in {index.path.parent.parent} was built with embedder {built.get('name')!r} "
            f"({built.get('dim')} dims) but {embedder.name!r} ({embedder.dim} dims) is configured; "
            "rebuild it with `qa index --rebuild` or set QA_EMBED_MODEL back"
        )


# --------------------------------------------------------------------------------------------- building


def _build_bm25(chunks: list[Chunk], cache_root: Path | None = None) -> bm25s.BM25:
    """BM25 over the chunks' indexed text; term ids come from the term cache under cache_root when given."""
    return build_bm25(((text_key(c), c.indexed_text) for c in chunks), TermCache(cache_root))


def _build_dense(vectors: np.ndarray, dim: int, hnsw_threshold: int) -> tuple[faiss.Index, str]:
    if len(vectors) > hnsw_threshold:
        dense = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        dense.hnsw.efConstruction = 80
        kind = "hnsw"
    else:
        dense = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(vectors):
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # HNSW insertion does parallelise
        try:
            dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
        finally:
            faiss.omp_set_num_threads(threads)
    return dense, kind


def _load_chunks(path: Path) -> list[Chunk]:
    """Read, clean, structure and split one file (the ingest stages' public functions)."""
    from qa.ingest.split import split_document
    from qa.ingest.structure import load_documents

    return [chunk for doc in load_documents(path) for chunk in split_document(doc)]


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if isinstance(err, QAError) else f"{type(err).__name__}: {text}"


def collect_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named or found (recursively, hidden ones skipped) under the given paths, plus paths that do not exist."""
    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                rel = found.relative_to(path).parts
                if found.is_file() and not any(part.startswith(".") for part in rel):
                    files.append(found.resolve())
        elif path.is_file():
            files.append(path.resolve())
        else:
            errors.append((str(path), "no such file or folder"))
    return list(dict.fromkeys(files)), errors


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    with open(index_dir / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # a second build waits for the first instead of racing it
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_index(
    paths: Iterable[Path | str],
    index_dir: Path | str,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: bool = False,
    hnsw_threshold: int = HNSW_THRESHOLD,
    batch_size: int = 16,
    load_chunks: Callable[[Path], list[Chunk]] = _load_chunks,
) -> BuildReport:
    """Index files and folders; re-read only changed files, re-embed only uncached chunks, swap in atomically.

    Files indexed before that are outside `paths` stay indexed while they exist; files that no longer exist
    are dropped. A file that fails to read is listed in `BuildReport.errors`; if it was indexed before, its
    previous chunks are kept.

    Args:
        paths: files and folders to index.
        index_dir: the index directory (created if needed).
        embedder: the embedder; must match the one the existing index was built with unless rebuild is set.
        rebuild: ignore the existing index and build from the given paths only (the embedding cache is still
            used: it is keyed by embedder name and text hash, so it cannot go stale).
        progress: show progress bars on stderr.
        hnsw_threshold: above this many chunks the dense index is HNSW instead of exact inner product.
        batch_size: chunks per embedder call.
        load_chunks: file → chunks; the ingest pipeline by default.

    Returns:
        The build report.

    Raises:
        IndexMismatchError: the existing index was built with another embedder or format and rebuild is off.
    """
    started = time.perf_counter()
    paths = list(paths)  # walked twice when nothing changed: once to check, once to build
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    report = BuildReport(index_dir=index_dir)
    with _build_lock(index_dir):
        if not rebuild and _files_unchanged(index_dir, paths, embedder, hnsw_threshold, report):
            report.seconds = time.perf_counter() - started
            return report  # nothing changed: no need to load the index, the cache or any file's text
        previous: Index | None = None
        if not rebuild:
            try:
                previous = load_index(index_dir)
            except IndexMissingError:
                previous = None
            if previous is not None:
                check_embedder(previous, embedder)
        files, report.errors = collect_files(paths)
        entries, chunks = _gather(files, previous, load_chunks, report, progress=progress)
        vectors = _embed(chunks, previous, embedder, index_dir, report, batch_size=batch_size, progress=progress)
        report.files = len(entries)
        report.chunks = len(chunks)
        report.documents = len({c.doc_id for c in chunks})
        if not chunks and previous is None:
            report.seconds = time.perf_counter() - started
            return report  # nothing to serve; `qa search` will say to run `qa index`
        if previous is not None and _unchanged(previous, entries, chunks, hnsw_threshold):
            report.dense_kind = previous.manifest.get("dense", "")
            report.seconds = time.perf_counter() - started
            return report  # nothing to do: keep the live version rather than churn a copy of it
        manifest = {
            "format": FORMAT_VERSION,
            "embedder": {"name": embedder.name, "dim": embedder.dim},
            "tokenizer": tokenize.fingerprint(),
            "files": entries,
            "chunk_count": report.chunks,
            "document_count": report.documents,
        }
        report.dense_kind = _write_version(index_dir, manifest, chunks, vectors, embedder.dim, hnsw_threshold, started)
        report.swapped = True
    report.seconds = time.perf_counter() - started
    return report


def _files_unchanged(
    index_dir: Path, paths: Iterable[Path | str], embedder: Embedder, hnsw_threshold: int, report: BuildReport
) -> bool:
    """Whether the live version already holds exactly these files (same bytes), embedder and tokenizer.

    Reads only manifest.json and hashes the files, so `qa index` with nothing to do costs a directory walk and a
    hash per file instead of loading chunks, vectors, BM25 and the embedding cache.
    """
    try:
        version = index_dir / VERSIONS / current_version(index_dir)
        manifest = json.loads((version / "manifest.json").read_text("utf-8"))
    except (IndexMissingError, OSError, ValueError):
        return False
    if not all((version / name).exists() for name in VERSION_FILES):
        return False  # a damaged version: the full path loads it and says to rebuild
    if (
        manifest.get("format") != FORMAT_VERSION
        or manifest.get("embedder") != {"name": embedder.name, "dim": embedder.dim}
        or manifest.get("tokenizer") != tokenize.fingerprint()
        or manifest.get("dense") != ("hnsw" if int(manifest.get("chunk_count", 0)) > hnsw_threshold else "flat")
    ):
        return False
    files, errors = collect_files(paths)
    old: dict[str, dict[str, Any]] = manifest.get("files", {})
    scope = {str(f) for f in files}
    if errors or any(key not in scope and not Path(key).is_file() for key in old):
        return False  # a named path is missing, or an indexed file was deleted
    for path in files:
        entry = old.get(str(path))
        try:
            if entry is None or entry.get("sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
                return False
        except OSError:
            return False
    report.files = len(old)
    report.files_unchanged = len(files)
    report.chunks = report.cached = int(manifest.get("chunk_count", 0))
    report.documents = int(manifest.get("document_count", 0))
    report.dense_kind = manifest.get("dense", "")
    return True


def _unchanged(previous: Index, entries: dict[str, dict[str, Any]], chunks: list[Chunk], hnsw_threshold: int) -> bool:
    """Whether a build would write exactly what the live version already holds."""
    kind = "hnsw" if len(chunks) > hnsw_threshold else "flat"
    return (
        previous.manifest.get("files") == entries
        and previous.manifest.get("tokenizer") == tokenize.fingerprint()
        and previous.manifest.get("dense") == kind
        and [c.chunk_id for c in previous.chunks] == [c.chunk_id for c in chunks]
    )


def _gather(
    files: list[Path],
    previous: Index | None,
    load_chunks: Callable[[Path], list[Chunk]],
    report: BuildReport,
    *,
    progress: bool,
) -> tuple[dict[str, dict[str, Any]], list[Chunk]]:
    """Chunks of every file that will be in the new index, and its manifest entries."""
    from tqdm import tqdm

    old_entries: dict[str, dict[str, Any]] = previous.manifest.get("files", {}) if previous else {}
    old_by_doc: dict[str, list[Chunk]] = {}
    for chunk in previous.chunks if previous else []:
        old_by_doc.setdefault(chunk.doc_id, []).append(chunk)

    entries: dict[str, dict[str, Any]] = {}
    per_file: dict[str, list[Chunk]] = {}
    owner: dict[str, str] = {}  # doc_id → file, to refuse two files that would share a document id

    def keep_old(key: str) -> None:
        entries[key] = old_entries[key]
        per_file[key] = [c for d in old_entries[key]["doc_ids"] for c in old_by_doc.get(d, [])]
        owner.update((d, key) for d in old_entries[key]["doc_ids"])

    scope = {str(f) for f in files}
    for key in old_entries:  # indexed before, not named this time: keep while the file exists
        if key not in scope:
            if Path(key).is_file():
                keep_old(key)
            else:
                report.files_removed += 1

    for path in tqdm(files, desc="reading", unit="file", disable=not progress):
        key = str(path)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as err:
            report.errors.append((key, _one_line(err)))
            if key in old_entries:
                keep_old(key)
            continue
        if old_entries.get(key, {}).get("sha256") == digest:
            keep_old(key)
            report.files_unchanged += 1
            continue
        try:
            new_chunks = load_chunks(path)
            if not new_chunks:
                raise QAError("no text to index")
        except Exception as err:  # one bad file must not stop a build over a thousand good ones
            report.errors.append((key, _one_line(err)))
            if key in old_entries:
                keep_old(key)  # nothing indexed before is lost by a failed re-read
            continue
        doc_ids = list(dict.fromkeys(c.doc_id for c in new_chunks))
        clash = next((d for d in doc_ids if owner.get(d, key) != key), None)
        if clash:
            report.errors.append((key, f"document id {clash!r} is already indexed from {owner[clash]}; rename one"))
            continue
        owner.update((d, key) for d in doc_ids)
        unique = list({c.chunk_id: c for c in new_chunks}.values())  # identical passages are indexed once
        entries[key] = {"sha256": digest, "size": path.stat().st_size, "doc_ids": doc_ids, "chunks": len(unique)}
        per_file[key] = unique
    chunks = [c for key in sorted(per_file) for c in per_file[key]]
    return {k: entries[k] for k in sorted(entries)}, chunks


def _embed(
    chunks: list[Chunk],
    previous: Index | None,
    embedder: Embedder,
    index_dir: Path,
    report: BuildReport,
    *,
    batch_size: int,
    progress: bool,
) -> np.ndarray:
    """Vectors for the chunks, from the previous index, the cache, or the embedder (cached as they come)."""
    from tqdm import tqdm

    cache = EmbeddingCache(index_dir / CACHE, embedder.name, embedder.dim)
    if previous is not None:
        for chunk, vector in zip(previous.chunks, previous.vectors, strict=True):
            cache.put(text_key(chunk), vector)  # also persisted, in case the cache was deleted
    keys = [text_key(c) for c in chunks]
    texts = {k: c.indexed_text for k, c in zip(keys, chunks, strict=True)}
    missing = [k for k in dict.fromkeys(keys) if k not in cache]
    report.embedded = len(missing)
    missing_set = set(missing)
    report.cached = sum(1 for k in keys if k not in missing_set)
    try:
        with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not progress) as bar:
            for batch in iter_batches(missing, batch_size):
                vectors = embedder.embed_documents([texts[k] for k in batch])
                for key, vector in zip(batch, vectors, strict=True):
                    cache.put(key, np.asarray(vector, dtype=np.float32))
                bar.update(len(batch))
                if cache.pending >= CACHE_FLUSH_EVERY:
                    cache.flush()
    finally:
        cache.flush()  # what was embedded before a failure is kept for the next attempt
    if not chunks:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([cache.get(k) for k in keys]).astype(np.float32)


def _write_version(
    index_dir: Path,
    manifest: dict[str, Any],
    chunks: list[Chunk],
    vectors: np.ndarray,
    dim: int,
    hnsw_threshold: int,
    started: float,
) -> str:
    """Write a complete version beside the live one, then make it live by replacing the pointer."""
    versions = index_dir / VERSIONS
    versions.mkdir(exist_ok=True)
    for stale in versions.glob(".tmp-*"):  # left by a build that was killed; we hold the lock, so none is live
        shutil.rmtree(stale, ignore_errors=True)
    now = datetime.now(UTC)
    name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"
    tmp = versions / f".tmp-{name}"
    tmp.mkdir()
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    np.save(tmp / "vectors.npy", vectors)
    dense, kind = _build_dense(vectors, dim, hnsw_threshold)
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    if chunks:
        _build_bm25(chunks, index_dir / CACHE).save(str(tmp / "bm25"), show_progress=False)
    manifest = {
        **manifest,
        "dense": kind,
        "version": name,
        "built_at": now.isoformat(),
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_dir(tmp)
    os.rename(tmp, versions / name)
    _fsync_dir(versions)
    old = _read_pointer(index_dir)
    pointer_tmp = index_dir / f".{POINTER}.tmp"
    with open(pointer_tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / POINTER)  # the commit point
    _fsync_dir(index_dir)
    keep = {name, old}  # the previous version stays one build longer for readers still loading it
    for version in versions.iterdir():
        if version.name not in keep and not version.name.startswith("."):
            shutil.rmtree(version, ignore_errors=True)
    return kind


def _read_pointer(index_dir: Path) -> str:
    try:
        return (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
