"""Dense vector backends behind one interface: in-process FAISS (default) or Qdrant (the city-wide scale path).

In: a loaded Index (qa.index.store: its chunk rows, vectors and metadata) and a spec string, the
`vector_backend` setting (QA_VECTOR_BACKEND): "faiss", "qdrant" (in-process, in memory), "qdrant:/path/to/dir"
(in-process, on disk) or "qdrant+http://host:6333" (a Qdrant server or cluster). Out: a VectorBackend that
answers dense kNN with a metadata filter (qa.records.Filters) applied before the top-k cut, and, for the
retriever, `with_backend(index, spec)`: the Index itself, or a BackendIndex whose dense search goes through the
backend. Rows are the index's chunk rows, so hits from any backend fuse with BM25 exactly as FAISS hits do.

Modules: this one (the protocol, spec parsing, BackendIndex), faiss (the Index's own FAISS structure) and
qdrant (a Qdrant collection whose point ids are rows; qdrant-client is imported only when it is chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from qa.errors import ConfigError

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.index.store import Index
    from qa.records import Filters

DEFAULT_BACKEND = "faiss"
POSTGRES = ("postgresql://", "postgres://")  # QA_DATABASE_URL: chunks, vectors and BM25 in PostgreSQL


@runtime_checkable
class VectorBackend(Protocol):
    """Dense kNN over an index's chunk vectors, filtered by chunk metadata before the top-k cut."""

    name: str

    def search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k rows most similar to query (inner product of unit vectors), best first, as (row, score).

        Args:
            query: (dim,) float32 unit vector.
            k: how many rows.
            filters: metadata every row must match (agency substring, year, kind, doc_ids).
            rows: if given, only these rows are eligible (what Retriever computes from its filters).
        """
        ...

    def __len__(self) -> int: ...


def backend_spec(settings: Settings | None = None) -> str:
    """The configured backend spec: the `vector_backend` setting (QA_VECTOR_BACKEND or qa.toml), else faiss.

    Args:
        settings: the effective settings; loaded from the environment and config file when omitted.
    """
    from qa.config import load_settings

    settings = settings or load_settings()
    return (settings.database_url or settings.vector_backend or DEFAULT_BACKEND).strip()  # a database URL wins


def open_backend(index: Index, spec: str = DEFAULT_BACKEND) -> VectorBackend:
    """A backend over the vectors of a loaded index.

    Args:
        index: the loaded index whose chunks and vectors the backend serves.
        spec: "faiss", "qdrant", "qdrant:<folder>" or "qdrant+<url>".

    Raises:
        ConfigError: the spec names no known backend, or its engine is not installed.
    """
    spec = spec.strip()
    if spec in ("", "faiss"):
        from qa.index.backends.faiss import FaissBackend

        return FaissBackend(index)
    if spec == "qdrant" or spec.startswith(("qdrant:", "qdrant+")):
        from qa.index.backends.qdrant import QdrantBackend

        return QdrantBackend.from_index(index, location=_qdrant_location(spec))
    if spec.startswith(POSTGRES):
        from qa.index.backends.postgres import open_index

        return open_index(spec, index)
    raise ConfigError(
        f"QA_VECTOR_BACKEND={spec!r} 不是已知的向量库；请使用 'faiss'、'qdrant'、"
        "'qdrant:/path/to/folder' 或 'qdrant+http://host:6333'"
    )


def _qdrant_location(spec: str) -> str:
    if spec == "qdrant":
        return ":memory:"
    if spec.startswith("qdrant+"):
        return spec[len("qdrant+") :]
    return spec[len("qdrant:") :] or ":memory:"


@dataclass
class BackendIndex:
    """An index whose dense leg goes through a backend; everything else is the wrapped Index's.

    Retriever reads `chunks`, `documents()`, `manifest`, `path`, `dense_search` and `bm25_search`, so
    `Retriever(BackendIndex(index, backend), embedder)` searches the backend with no change to the retriever.
    """

    index: Index
    backend: VectorBackend

    def dense_search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Same contract as Index.dense_search, answered by the backend."""
        if n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        return self.backend.search(query, n, rows=allowed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def with_backend(index: Index, spec: str) -> Index:
    """The index itself for "faiss"; otherwise a BackendIndex that answers dense search through the backend."""
    if spec.strip() in ("", "faiss"):
        return index
    if spec.strip().startswith(POSTGRES):  # dense AND lexical search in the database
        return open_backend(index, spec.strip())  # type: ignore[return-value]
    return BackendIndex(index, open_backend(index, spec))  # type: ignore[return-value]


def backend_version(spec: str) -> str:
    """What changes when another process updates the backend: the database's sync generation, else ""."""
    if not spec.strip().startswith(POSTGRES):
        return ""
    from qa.index.backends.postgres import database_generation

    return database_generation(spec.strip())


__all__ = [
    "DEFAULT_BACKEND",
    "BackendIndex",
    "VectorBackend",
    "backend_spec",
    "backend_version",
    "open_backend",
    "with_backend",
]
