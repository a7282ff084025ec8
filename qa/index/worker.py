"""The background embedder: vectors for the live version's chunks that have none, swapped in as they come.

`build_index(..., embed=False)` makes new text searchable by BM25 and metadata in seconds and leaves the chunks
without a cached vector unembedded. `embed_pending` embeds those chunks in small batches, writes each batch to
the embedding cache (so a crash or restart resumes where it stopped), and every `swap_every` seconds and at
the end swaps a version with the new vectors in (qa.index.write.write_vectors_version, under the build lock,
the same atomic pointer replace as a build). It loops until no chunk is left, so text an upload added while it
ran is embedded too. `BackgroundEmbedder` runs it on a thread of the app; `qa index` runs it in the foreground.
When every chunk has its vector, the app's thread goes on to the sentences of the index (qa.index.sentences),
which the answer stage compares with questions.

Progress goes to <index>/embed-status.json; `read_status` joins it with the manifest's counts for
`qa index --status` and the library page, and `file_progress` gives each file's embedded/total chunks.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexMissingError
from qa.index.build import HNSW_THRESHOLD, build_lock
from qa.index.cache import EmbeddingCache, text_key
from qa.index.embed import Embedder, iter_batches
from qa.index.sentences import embed_index_sentences, index_sentences, sentence_vectors
from qa.index.store import STATUS_FILE as STATUS
from qa.index.store import Index, check_embedder, current_version, embedding_cache_root, load_index, one_line
from qa.index.write import write_vectors_version

SWAP_EVERY = 15.0  # seconds between vector swaps while embedding: new vectors become searchable this often
FLUSH_EVERY = 5.0  # seconds between cache writes: a crash loses at most this much embedding work
STALE_AFTER = 120.0  # a "running" status not updated for this long belongs to a worker that died
BATCH = 8  # passages per embedder call: short calls keep the model lock free for queries between them


def lower_priority(nice: int = 10) -> None:
    """Give the calling thread a lower CPU priority, so questions come first on a busy machine (Linux: a thread's
    nice value is its own, so only this thread — and processes it starts — are affected; elsewhere nothing)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


def pending_keys(index: Index) -> dict[str, int]:
    """Text keys of the chunks without a vector, with how many rows share each key."""
    if index.embedded is None:
        return {}
    keys: dict[str, int] = {}
    for row in np.flatnonzero(~index.embedded):
        key = text_key(index.chunks[row])
        keys[key] = keys.get(key, 0) + 1
    return keys


def swap_in(index_dir: Path, embedder: Embedder, cache: EmbeddingCache, hnsw_threshold: int = HNSW_THRESHOLD) -> int:
    """Make the cached vectors of still-unembedded chunks live in a new version; return how many rows gained one.

    Runs under the build lock and re-reads the live version, so a build that went live meanwhile is respected.
    """
    started = time.perf_counter()
    with build_lock(index_dir):
        try:
            index = load_index(index_dir)
        except IndexMissingError:
            return 0
        if index.embedded is None:
            return 0
        rows = [r for r in np.flatnonzero(~index.embedded) if text_key(index.chunks[r]) in cache]
        if not rows:
            return 0
        vectors = np.array(index.vectors, dtype=np.float32, copy=True)
        mask = index.embedded.copy()
        for row in rows:
            vectors[row] = cache.get(text_key(index.chunks[row]))
        mask[rows] = True
        skip = ("dense", "version", "built_at", "build_seconds")
        manifest = {k: v for k, v in index.manifest.items() if k not in skip}
        manifest["embedded_count"] = int(np.count_nonzero(mask))
        write_vectors_version(index_dir, index.path, manifest, vectors, mask, embedder.dim, hnsw_threshold, started)
    return len(rows)


class _Progress:
    """Writes embed-status.json (temp file + rename, so a reader never sees half of it)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / STATUS
        self.started = time.time()
        self.done = 0  # chunks embedded by this run
        self.embed_seconds = 0.0

    def write(self, state: str, total: int, embedded: int, error: str = "") -> None:
        rate = self.done / self.embed_seconds if self.embed_seconds > 0 else 0.0
        left = total - embedded
        data = {
            "state": state,
            "pid": os.getpid(),
            "total": total,
            "embedded": embedded,
            "rate": round(rate, 3),
            "seconds_left": round(left / rate, 1) if rate > 0 and left > 0 else (0.0 if left <= 0 else None),
            "embedded_this_run": self.done,
            "started_at": self.started,
            "updated_at": time.time(),
            "error": error,
        }
        tmp = self.path.with_name(f".{STATUS}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # the index folder was removed under us: progress is only informative
            tmp.unlink(missing_ok=True)


def embed_pending(
    index_dir: Path | str,
    embedder: Embedder,
    *,
    batch_size: int = BATCH,
    swap_every: float = SWAP_EVERY,
    progress: bool = False,
    stop: threading.Event | None = None,
    cache_dir: Path | None = None,
    hnsw_threshold: int = HNSW_THRESHOLD,
) -> int:
    """Embed every chunk of the live version that has no vector, swapping vectors in as they come.

    Args:
        index_dir: the index directory.
        embedder: the embedder the index was built with.
        batch_size: passages per embedder call.
        swap_every: seconds between swaps while embedding (and one swap at the end).
        progress: a progress bar on stderr.
        stop: set it to make the loop stop after the current batch (what was embedded is cached and swapped in).
        cache_dir: the embedding cache folder (default as build_index).
        hnsw_threshold: as build_index.

    Returns:
        How many chunks were embedded (chunks whose vectors came from the cache are swapped in, not counted).

    Raises:
        IndexMissingError: there is no index.
        IndexMismatchError: the index was built with another embedder.
    """
    from tqdm import tqdm

    index_dir = Path(index_dir)
    status = _Progress(index_dir)
    cache = EmbeddingCache(embedding_cache_root(index_dir, cache_dir), embedder.name, embedder.dim)
    total = embedded = 0
    try:
        while not (stop is not None and stop.is_set()):
            index = load_index(index_dir)
            check_embedder(index, embedder)
            todo = pending_keys(index)
            total, embedded = len(index.chunks), index.embedded_count
            if not todo:
                break
            embedded += sum(n for k, n in todo.items() if k in cache)
            if all(k in cache for k in todo):  # e.g. a restart after a crash: the cache has them all
                if not swap_in(index_dir, embedder, cache, hnsw_threshold):
                    break
                continue
            texts = {text_key(c): c.indexed_text for c in index.chunks}
            keys = [k for k in todo if k not in cache]
            status.write("running", total, embedded)
            last_swap = last_flush = time.perf_counter()
            with tqdm(total=len(keys), desc="embedding", unit="chunk", disable=not progress) as bar:
                for batch in iter_batches(keys, batch_size):
                    if stop is not None and stop.is_set():
                        break
                    began = time.perf_counter()
                    vectors = embedder.embed_documents([texts[k] for k in batch])
                    status.embed_seconds += time.perf_counter() - began
                    for key, vector in zip(batch, vectors, strict=True):
                        cache.put(key, np.asarray(vector, dtype=np.float32))
                        embedded += todo[key]
                    status.done += len(batch)
                    bar.update(len(batch))
                    now = time.perf_counter()
                    if now - last_flush >= FLUSH_EVERY:
                        cache.flush()
                        last_flush = now
                    status.write("running", total, embedded)
                    if now - last_swap >= swap_every:
                        cache.flush()
                        swap_in(index_dir, embedder, cache, hnsw_threshold)
                        last_swap = time.perf_counter()
            cache.flush()
            swap_in(index_dir, embedder, cache, hnsw_threshold)
    except BaseException as err:
        cache.flush()  # whatever was embedded is kept for the next run
        status.write("failed", total, embedded, one_line(err))
        raise
    stopped = stop is not None and stop.is_set()
    status.write("stopped" if stopped and embedded < total else "done", total, embedded)
    return status.done


def read_status(index_dir: Path | str, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Embedding progress of an index: the live version's counts joined with the worker's last report.

    Returns a dict with total, embedded (chunks with a vector in the live version), cached (embedded by the
    worker but not yet swapped in counts towards `worker_embedded`), rate (chunks/s), seconds_left, state
    ("done", "running", "stopped", "failed", "idle": nothing running and chunks left) and error.

    `manifest` is the live version's, when the caller has it loaded already (the app's page timer does).

    Raises:
        IndexMissingError: no index was built there.
    """
    from qa.index.store import VERSIONS, current_version

    index_dir = Path(index_dir)
    if manifest is None:
        version = index_dir / VERSIONS / current_version(index_dir)
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    total = int(manifest.get("chunk_count", 0))
    live = int(manifest.get("embedded_count", total))
    try:
        worker = json.loads((index_dir / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        worker = {}
    state = worker.get("state", "")
    if state == "running" and time.time() - float(worker.get("updated_at", 0)) > STALE_AFTER:
        state = "stopped"  # the process that wrote it is gone (killed, or the app stopped)
    if live >= total:
        state = "done"
    elif state not in ("running", "failed"):
        state = "idle"
    embedded = max(live, int(worker.get("embedded", 0))) if state == "running" else live
    rate = float(worker.get("rate") or 0.0)
    left = (total - embedded) / rate if rate > 0 and state == "running" else None
    return {
        "total": total,
        "embedded": min(embedded, total),
        "live": live,
        "rate": rate,
        "seconds_left": left,
        "state": state,
        "error": worker.get("error", "") if state == "failed" else "",
    }


def describe_status(status: dict[str, Any]) -> str:
    """One line for people, in Chinese: 向量 n/m, rate and time left, or why it is not running."""
    total, embedded = status["total"], status["embedded"]
    line = f"向量 {embedded}/{total}"
    if status["state"] == "done":
        return line + "（全部完成，混合检索）"
    if status["state"] == "running":
        rate = f"{status['rate']:.1f} 段/秒" if status["rate"] else "计算速度中"
        left = status["seconds_left"]
        eta = f"，约 {_duration(left)} 完成" if left is not None else ""
        return line + f"（向量化中：{rate}{eta}；未完成的片段先按关键词检索）"
    if status["state"] == "failed":
        return line + f"（向量化出错：{status['error']}；重新运行 `qa index` 可从缓存处继续）"
    return line + "（向量化未在运行：运行 `qa index` 或启动应用即可从缓存处继续；未完成的片段先按关键词检索）"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} 秒"
    if seconds < 5400:
        return f"{round(seconds / 60)} 分钟"
    return f"{seconds / 3600:.1f} 小时"


def file_progress(index: Index) -> dict[str, tuple[int, int]]:
    """Each indexed file's (chunks with a vector, chunks), from the live version's manifest and row mask."""
    mask = index.embedded
    by_doc: dict[str, list[int]] = {}
    for row, chunk in enumerate(index.chunks):
        counts = by_doc.setdefault(chunk.doc_id, [0, 0])
        counts[1] += 1
        counts[0] += 1 if mask is None or mask[row] else 0
    out: dict[str, tuple[int, int]] = {}
    for key, entry in index.manifest.get("files", {}).items():
        done = sum(by_doc.get(d, [0, 0])[0] for d in entry.get("doc_ids", []))
        total = sum(by_doc.get(d, [0, 0])[1] for d in entry.get("doc_ids", []))
        out[key] = (done, total)
    return out


class BackgroundEmbedder:
    """`embed_pending` on a daemon thread of the app, woken at start, after each build, and every minute.

    It uses its own embedder (make_embedder), so the model lock of the query embedder stays free for
    questions, and it lowers its own thread's CPU priority, so on a busy machine questions come first.
    """

    def __init__(
        self,
        index_dir: Path,
        make_embedder: Callable[[], Embedder],
        *,
        cache_dir: Path | None = None,
        nice: int = 10,
        log: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.make_embedder = make_embedder
        self.cache_dir = cache_dir
        self.nice = nice
        self.log = log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._sentences_done = ""  # the index version whose every sentence has a vector: no need to load it again
        self._thread = threading.Thread(target=self._run, name="qa-embedder", daemon=True)

    def start(self) -> BackgroundEmbedder:
        self._wake.set()
        self._thread.start()
        return self

    def kick(self) -> None:
        """New text went live: embed it."""
        self._idle.clear()
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is left to embed (for tests and scripts); False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        lower_priority(self.nice)
        embedder: Embedder | None = None
        while not self._stop.is_set():
            self._wake.wait(timeout=60.0)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                status = read_status(self.index_dir)
                if status["live"] < status["total"]:  # else nothing to embed: no model is loaded for nothing
                    embedder = embedder or self.make_embedder()
                    done = embed_pending(self.index_dir, embedder, stop=self._stop, cache_dir=self.cache_dir)
                    if done:
                        self.log(f"后台向量化完成：本次嵌入 {done} 个片段")
                embedder = self._embed_sentences(embedder)
            except IndexMissingError:
                pass
            except Exception as err:  # the app keeps serving BM25; the status says what went wrong
                self.log(f"后台向量化出错：{one_line(err)}")
                self._stop.wait(30.0)
            if not self._wake.is_set():
                self._idle.set()

    def _embed_sentences(self, embedder: Embedder | None) -> Embedder | None:
        """Once every chunk has its vector, the sentences of the index (qa.index.sentences), so questions need
        not embed the sentences they compare; returns the embedder, loaded if there was work for it.

        A version already done is not loaded again (the thread wakes every minute; at 100k chunks a load and the
        sentence split cost seconds of CPU for nothing)."""
        version = current_version(self.index_dir)
        if version == self._sentences_done:
            return embedder
        index = load_index(self.index_dir)
        built = index.manifest.get("embedder", {})
        if index.embedded is not None or not built.get("name"):  # chunks first: they serve retrieval
            return embedder
        store = sentence_vectors(embedding_cache_root(self.index_dir, self.cache_dir), built["name"], built["dim"])
        if store.missing(index_sentences(index.chunks)):
            embedder = embedder or self.make_embedder()
            check_embedder(index, embedder)
            done = embed_index_sentences(index.chunks, embedder, store, stop=self._stop)
            if done:
                self.log(f"后台句向量完成：本次嵌入 {done} 个句子")
            if self._stop.is_set():
                return embedder  # stopped halfway: the next run goes on where this one stopped
        self._sentences_done = index.path.name
        return embedder
