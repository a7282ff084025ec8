"""Building an index: read files, reuse what is unchanged, embed what is new, then write and swap a version.

`build_index` takes files and folders and leaves a new live version in the index directory (layout in
qa.index.store). Per file it keeps the previous chunks when the bytes are unchanged, else runs the ingest stages
(qa.ingest) to get chunks; vectors come from the previous version, the embedding cache (qa.index.cache) or the
embedder; qa.index.write writes the version (BM25 term ids from qa.index.terms) and makes it live atomically.
With `embed=False` the version goes live at once with the vectors already known; the chunks still without one
are searched by BM25 until the background embedder (qa.index.worker) swaps their vectors in.
Builds are serialised by a lock file, and a build with nothing to change leaves the live version alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexMissingError, IngestWarning, QAError
from qa.index import tokenize
from qa.index.cache import CACHE_FLUSH_EVERY, EmbeddingCache, text_key
from qa.index.embed import Embedder, iter_batches
from qa.index.store import (
    FORMAT_VERSION,
    VERSION_FILES,
    VERSIONS,
    Index,
    check_embedder,
    current_version,
    embedding_cache_root,
    load_index,
    one_line,
)
from qa.index.write import write_version
from qa.records import Chunk

HNSW_THRESHOLD = 50_000  # above this many chunks exact search gets slow enough that HNSW pays for its build


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
    pending: int = 0  # chunks left without a vector for the background embedder (embed=False)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, one-line reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, what was not read: an OCR-blank page)
    seconds: float = 0.0
    dense_kind: str = ""
    swapped: bool = False  # a new version went live

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.documents} documents, {self.chunks} chunks from {self.files} files "
            f"({self.files_unchanged} unchanged, {self.files_removed} removed); "
            f"{self.embedded} embedded, {self.cached} cached"
            + (f", {self.pending} waiting for vectors" if self.pending else "")
            + f"; {len(self.errors)} errors"
            + (f", {len(self.warnings)} warnings" if self.warnings else "")
            + f"; {self.seconds:.1f} s"
        )


def _load_chunks(path: Path) -> list[Chunk]:
    """Read, clean, structure and split one file (the ingest stages' public functions)."""
    from qa.ingest.split import split_document
    from qa.ingest.structure import load_documents

    return [chunk for doc in load_documents(path) for chunk in split_document(doc)]


def _load_reporting(load_chunks: Callable[[Path], list[Chunk]], path: Path, report: BuildReport) -> list[Chunk]:
    """load_chunks(path), with the IngestWarnings it raises (a scanned page OCR could not read) in report.warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IngestWarning)
        chunks = load_chunks(path)
    for w in caught:
        if issubclass(w.category, IngestWarning):
            report.warnings.append((str(path), str(w.message)))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return chunks


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
            errors.append((str(path), "文件或文件夹不存在，请检查路径"))
    return list(dict.fromkeys(files)), errors


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
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
    embed: bool = True,
    cache_dir: Path | None = None,
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
        embed: embed the chunks that have no cached vector before the version goes live (the default); when
            off, the version goes live in seconds and those chunks wait for `qa.index.worker.embed_pending`.
        cache_dir: the embedding cache folder (default: QA_EMBED_CACHE_DIR, else the index's cache/).

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
    with build_lock(index_dir):
        if not rebuild and _files_unchanged(index_dir, paths, embedder, hnsw_threshold, report, embed=embed):
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
        cache_root = embedding_cache_root(index_dir, cache_dir)
        vectors, with_vector = _embed(
            chunks, previous, embedder, cache_root, report, batch_size=batch_size, progress=progress, embed=embed
        )
        report.files = len(entries)
        report.chunks = len(chunks)
        report.documents = len({c.doc_id for c in chunks})
        if not chunks and previous is None:
            report.seconds = time.perf_counter() - started
            return report  # nothing to serve; `qa search` will say to run `qa index`
        if previous is not None and _unchanged(previous, entries, chunks, with_vector, hnsw_threshold):
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
            "embedded_count": int(np.count_nonzero(with_vector)),
        }
        report.dense_kind = write_version(
            index_dir, manifest, chunks, vectors, embedder.dim, hnsw_threshold, started, embedded=with_vector
        )
        report.swapped = True
    report.seconds = time.perf_counter() - started
    return report


def _files_unchanged(
    index_dir: Path,
    paths: Iterable[Path | str],
    embedder: Embedder,
    hnsw_threshold: int,
    report: BuildReport,
    *,
    embed: bool = True,
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
        or (embed and manifest.get("embedded_count", manifest.get("chunk_count")) != manifest.get("chunk_count"))
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
    report.pending = report.chunks - int(manifest.get("embedded_count", report.chunks))
    report.dense_kind = manifest.get("dense", "")
    return True


def _unchanged(
    previous: Index, entries: dict[str, dict[str, Any]], chunks: list[Chunk], with_vector: np.ndarray, threshold: int
) -> bool:
    """Whether a build would write exactly what the live version already holds."""
    kind = "hnsw" if len(chunks) > threshold else "flat"
    before = previous.embedded if previous.embedded is not None else np.ones(len(previous.chunks), dtype=bool)
    return (
        np.array_equal(before, with_vector)
        and previous.manifest.get("files") == entries
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
            report.errors.append((key, one_line(err)))
            if key in old_entries:
                keep_old(key)
            continue
        if old_entries.get(key, {}).get("sha256") == digest:
            keep_old(key)
            report.files_unchanged += 1
            continue
        try:
            new_chunks = _load_reporting(load_chunks, path, report)
            if not new_chunks:
                raise QAError("没有可索引的文字")
        except Exception as err:  # one bad file must not stop a build over a thousand good ones
            report.errors.append((key, one_line(err)))
            if key in old_entries:
                keep_old(key)  # nothing indexed before is lost by a failed re-read
            continue
        doc_ids = list(dict.fromkeys(c.doc_id for c in new_chunks))
        clash = next((d for d in doc_ids if owner.get(d, key) != key), None)
        if clash:
            report.errors.append((key, f"文档编号 {clash!r} 已由 {owner[clash]} 索引，请将其中一个文件改名"))
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
    cache_root: Path,
    report: BuildReport,
    *,
    batch_size: int,
    progress: bool,
    embed: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for the chunks, from the previous index, the cache, or the embedder (cached as they come).

    Returns the (n, dim) vectors and the row mask of those that have one: all rows unless embed is off, in
    which case chunks missing from the cache get a zero row and False.
    """
    from tqdm import tqdm

    cache = EmbeddingCache(cache_root, embedder.name, embedder.dim)
    if previous is not None:
        known = previous.embedded if previous.embedded is not None else np.ones(len(previous.chunks), dtype=bool)
        for chunk, vector, has in zip(previous.chunks, previous.vectors, known, strict=True):
            if has:
                cache.put(text_key(chunk), vector)  # also persisted, in case the cache was deleted
    keys = [text_key(c) for c in chunks]
    texts = {k: c.indexed_text for k, c in zip(keys, chunks, strict=True)}
    missing = [k for k in dict.fromkeys(keys) if k not in cache]
    missing_set = set(missing)
    report.cached = sum(1 for k in keys if k not in missing_set)
    if not embed:
        cache.flush()
        report.pending = sum(1 for k in keys if k in missing_set)
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        with_vector = np.array([k not in missing_set for k in keys], dtype=bool)
        for row in np.flatnonzero(with_vector):
            vectors[row] = cache.get(keys[row])
        return vectors, with_vector
    report.embedded = len(missing)
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
        return np.zeros((0, embedder.dim), dtype=np.float32), np.zeros(0, dtype=bool)
    return np.stack([cache.get(k) for k in keys]).astype(np.float32), np.ones(len(chunks), dtype=bool)
