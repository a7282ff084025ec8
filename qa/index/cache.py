"""The embedding cache: vectors keyed by a hash of the text the embedder saw, so a build embeds only new text.

Layout under the index's cache folder (qa.index.store.CACHE)::

    <sha1(embedder name)[:12]>/embedder.txt     the embedder's name, for people
    <sha1(embedder name)[:12]>/shard-*.npz      keys and float32 vectors, written whole or not at all

The key is a hash of exactly the text embedded, and the folder is per embedder, so an entry can never go stale:
rebuilding from scratch still reuses every vector the same embedder made before.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np

from qa.records import Chunk

CACHE_FLUSH_EVERY = 64  # new embeddings written to the cache at least this often, so a crash loses little
CACHE_MAX_SHARDS = 16


def text_key(chunk: Chunk) -> str:
    """Cache key of a chunk's embedding: a hash of exactly the text the embedder sees."""
    return hashlib.sha1(chunk.indexed_text.encode("utf-8")).hexdigest()[:20]


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
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a cut or garbled file
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
        # Another process or thread (the background embedder beside a build) may have written shards this
        # instance never read: merge exactly the shards about to be deleted, so none of their vectors is lost.
        self._load()
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
