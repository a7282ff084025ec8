"""Sentence vectors: the embedder's vector of every sentence of the index, kept on disk beside the chunk vectors.

The answer stage compares a question with the sentences of the retrieved passages (qa.answer.similar).
Embedding those sentences per question cost ~40 ms each; instead the background embedder, once every chunk has
its vector, embeds every sentence of the index at low priority (`embed_index_sentences`) into a cache of the
same kind as the chunk cache (qa.index.cache, in its own `sentences/` folder, so chunk counts stay exact). A
question then pays only for sentences nobody embedded yet, and those are stored for the next one.

One `SentenceVectors` per cache folder and embedder lives in a process (`sentence_vectors`), so the background
thread's vectors are seen by the threads that answer questions at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from qa.index.cache import EmbeddingCache
from qa.index.embed import Embedder, iter_batches
from qa.records import Chunk
from qa.text import normalize, split_sentences

SENTENCES = "sentences"  # sub-folder of the embedding cache root
FLUSH_EVERY = 5.0  # seconds between writes of new vectors: a crash loses at most this much work
BATCH = 16  # sentences per embedder call in the background: short calls leave the cores to questions


def sentence_key(text: str) -> str:
    """Cache key of a sentence's vector: a hash of the normalised sentence (the form the answer stage compares)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def chunk_sentences(chunk: Chunk) -> list[str]:
    """The chunk's sentences as the answer stage sees them: split on sentence ends, normalised."""
    return [normalize(chunk.text[s:e]) for s, e in split_sentences(chunk.text)]


class SentenceVectors:
    """Vectors of sentences for one embedder, from memory, the disk cache, or the embedder (then stored)."""

    def __init__(self, root: Path, embedder_name: str, dim: int) -> None:
        self._cache = EmbeddingCache(Path(root) / SENTENCES, embedder_name, dim)
        self._lock = threading.Lock()  # the cache's dicts are shared by the answering threads and the background
        self._last_flush = time.monotonic()

    def __len__(self) -> int:
        return len(self._cache)

    def missing(self, texts: Iterable[str]) -> list[str]:
        """The distinct texts without a vector yet, in first-seen order."""
        with self._lock:
            return [t for t in dict.fromkeys(texts) if sentence_key(t) not in self._cache]

    def vectors(self, texts: Sequence[str], embedder: Embedder) -> list[np.ndarray]:
        """The vector of each text; the ones not held yet are embedded in one call and kept."""
        todo = self.missing(texts)
        if todo:  # outside the lock: embedding takes milliseconds to seconds, lookups must not wait on it
            self.add(todo, embedder.embed_documents(todo))
        with self._lock:
            return [self._cache.get(sentence_key(t)) for t in texts]

    def add(self, texts: Sequence[str], vectors: Iterable[np.ndarray]) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._cache.put(sentence_key(text), np.asarray(vector, dtype=np.float32))
            if time.monotonic() - self._last_flush >= FLUSH_EVERY:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        with contextlib.suppress(OSError):  # a read-only or full disk: the vectors still serve this process
            self._cache.flush()
        self._last_flush = time.monotonic()


_STORES: dict[tuple[str, str, int], SentenceVectors] = {}
_STORES_LOCK = threading.Lock()


def sentence_vectors(cache_root: Path, embedder_name: str, dim: int) -> SentenceVectors:
    """The process's sentence vectors for an embedding cache folder and an embedder (by name and dimension)."""
    key = (str(Path(cache_root).resolve()), embedder_name, dim)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = SentenceVectors(Path(cache_root), embedder_name, dim)
        return store


def index_sentences(chunks: Sequence[Chunk]) -> list[str]:
    """Every distinct sentence of the chunks, in reading order."""
    return list(dict.fromkeys(s for chunk in chunks for s in chunk_sentences(chunk)))


def embed_index_sentences(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    store: SentenceVectors,
    *,
    stop: threading.Event | None = None,
    batch_size: int = BATCH,
) -> int:
    """Embed every sentence of `chunks` that has no vector yet; return how many were embedded.

    Stops after the current batch when `stop` is set; what was embedded is kept.
    """
    todo = store.missing(index_sentences(chunks))
    done = 0
    for batch in iter_batches(todo, batch_size):
        if stop is not None and stop.is_set():
            break
        store.add(batch, embedder.embed_documents(batch))
        done += len(batch)
    store.flush()
    return done
