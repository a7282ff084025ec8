"""The default backend: the index's own FAISS structure, with metadata filters turned into allowed rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qa.index.store import Index
    from qa.records import Filters


class FaissBackend:
    """Dense search through Index.dense_search (exact inner product, or HNSW for large indexes)."""

    name = "faiss"

    def __init__(self, index: Index) -> None:
        self.index = index

    def __len__(self) -> int:
        return len(self.index.chunks)

    def search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        allowed = rows
        if filters is not None and not filters.empty:
            matching = np.array([i for i, c in enumerate(self.index.chunks) if filters.matches(c)], dtype=np.int64)
            allowed = matching if allowed is None else np.intersect1d(allowed, matching)
        return self.index.dense_search(query, k, allowed)
