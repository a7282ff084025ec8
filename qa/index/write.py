"""Writing an index version beside the live one and making it live with one atomic pointer replace.

A version is written under versions/.tmp-<name>, fsynced, renamed to versions/<name>, and only then is CURRENT
replaced (temp file + os.replace, the commit point of a build). A kill at any moment leaves CURRENT naming a
complete version: the old one before the replace, the new one after. Files and names are those qa.index.store
reads back; the previous version is kept one build longer for readers still loading it.
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

from qa.index.store import CACHE, POINTER, VERSIONS, build_chunk_bm25, read_pointer
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
    dense, kind = build_dense(vectors, dim, hnsw_threshold)
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    if chunks:
        build_chunk_bm25(chunks, index_dir / CACHE).save(str(tmp / "bm25"), show_progress=False)
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
    return kind


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
