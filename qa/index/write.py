"""Writing an index version beside the live one and making it live with one atomic pointer replace.

A version is written under versions/.tmp-<name>, fsynced, renamed to versions/<name>, and only then is CURRENT
replaced (temp file + os.replace, the commit point of a build). A kill at any moment leaves CURRENT naming a
complete version: the old one before the replace, the new one after. Files and names are those qa.index.store
reads back; the previous version is kept one build longer for readers still loading it.

`write_version` writes everything; `write_vectors_version` is the background embedder's swap: same chunks and
BM25 (hard links to the live version's files, which are never modified in place), new vectors and FAISS.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from qa.index.store import CACHE, EMBEDDED, POINTER, VERSIONS, build_chunk_bm25, read_pointer
from qa.records import Chunk

HNSW_M = 32  # links per node of the HNSW graph a build over hnsw_threshold chunks gets


def build_dense(vectors: np.ndarray, dim: int, hnsw_threshold: int) -> tuple[faiss.Index, str]:
    """The FAISS index over the vectors and its kind: exact inner product ("flat"), or "hnsw" above the threshold."""
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


def write_version(
    index_dir: Path,
    manifest: dict[str, Any],
    chunks: list[Chunk],
    vectors: np.ndarray,
    dim: int,
    hnsw_threshold: int,
    started: float,
    embedded: np.ndarray | None = None,
) -> str:
    """Write a complete version beside the live one, then make it live by replacing the pointer.

    `embedded` is the row mask of chunks that have a vector (None: all of them); the others wait for the
    background embedder and are searched by BM25 only.
    """
    tmp, name = _new_tmp(index_dir)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    if chunks:
        build_chunk_bm25(chunks, index_dir / CACHE).save(str(tmp / "bm25"), show_progress=False)
    kind = _write_vectors(tmp, vectors, embedded, dim, hnsw_threshold)
    _commit(index_dir, tmp, name, {**manifest, "dense": kind}, started)
    return kind


def write_vectors_version(
    index_dir: Path,
    source: Path,
    manifest: dict[str, Any],
    vectors: np.ndarray,
    embedded: np.ndarray | None,
    dim: int,
    hnsw_threshold: int,
    started: float,
) -> str:
    """A new live version with the chunks and BM25 of `source` (hard-linked) and new vectors.

    The caller holds the build lock and `source` is the live version, so nothing changes it meanwhile.
    """
    tmp, name = _new_tmp(index_dir)
    _link(source / "chunks.jsonl", tmp / "chunks.jsonl")
    if (source / "bm25").is_dir():
        (tmp / "bm25").mkdir()
        for part in (source / "bm25").iterdir():
            _link(part, tmp / "bm25" / part.name)
    kind = _write_vectors(tmp, vectors, embedded, dim, hnsw_threshold)
    _commit(index_dir, tmp, name, {**manifest, "dense": kind}, started)
    return kind


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links: copy
        shutil.copy2(src, dst)


def _new_tmp(index_dir: Path) -> tuple[Path, str]:
    versions = index_dir / VERSIONS
    versions.mkdir(exist_ok=True)
    for stale in versions.glob(".tmp-*"):  # left by a build that was killed; we hold the lock, so none is live
        shutil.rmtree(stale, ignore_errors=True)
    name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"
    tmp = versions / f".tmp-{name}"
    tmp.mkdir()
    return tmp, name


def _write_vectors(tmp: Path, vectors: np.ndarray, embedded: np.ndarray | None, dim: int, threshold: int) -> str:
    """vectors.npy (all rows, zeros where there is none yet), embedded.npy when partial, and the FAISS index."""
    np.save(tmp / "vectors.npy", vectors)
    if embedded is not None and not bool(np.all(embedded)):
        np.save(tmp / EMBEDDED, np.asarray(embedded, dtype=bool))
        # The kind follows the index's size, not how much of it is embedded yet, so it does not flip at the end.
        hnsw = len(vectors) > threshold
        vectors = vectors[np.asarray(embedded, dtype=bool)]
        threshold = -1 if hnsw else len(vectors)
    dense, kind = build_dense(vectors, dim, threshold)
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    return kind


def _commit(index_dir: Path, tmp: Path, name: str, manifest: dict[str, Any], started: float) -> None:
    """Write the manifest, move the temp version into place and replace the pointer: the commit point."""
    versions = index_dir / VERSIONS
    manifest = {
        **manifest,
        "version": name,
        "built_at": datetime.now(UTC).isoformat(),
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_dir(tmp)
    os.rename(tmp, versions / name)
    _fsync_dir(versions)
    old = read_pointer(index_dir)
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
