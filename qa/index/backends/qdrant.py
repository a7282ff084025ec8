"""Qdrant backend: the same dense kNN + metadata filter, in a vector database that shards and replicates.

Here it runs in-process (`QdrantClient(":memory:")` or a local folder), which needs no server; the same code
talks to a Qdrant server or cluster when the location is a URL. Point ids are the index's chunk rows, and each
point's payload holds the fields the retriever filters on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import ConfigError

if TYPE_CHECKING:
    from qa.index.store import Index
    from qa.records import Chunk, Filters

UPLOAD_BATCH = 256


def _substrings(text: str, max_len: int = 12) -> list[str]:
    """Every substring of up to max_len characters: an exact-match keyword list that answers "agency contains X".

    Filters.agency is a substring test (江夏 matches 武汉市江夏区卫生健康局); keyword matching on this list
    gives the same answer in local mode and on a server with a keyword payload index, with no text tokenizer.
    """
    return sorted({text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + max_len) + 1)})


def payload(chunk: Chunk) -> dict[str, Any]:
    """The metadata of a chunk that filters need, as a Qdrant payload."""
    meta = chunk.meta
    return {
        "doc_id": chunk.doc_id,
        "chunk_id": chunk.chunk_id,
        "agency": meta.agency,
        "agency_parts": _substrings(meta.agency),
        "year": meta.year,
        "kind": meta.kind,
    }


class QdrantBackend:
    """Dense kNN with payload filters in a Qdrant collection whose point ids are index rows."""

    name = "qdrant"

    def __init__(self, location: str = ":memory:", *, collection: str = "chunks", dim: int = 384) -> None:
        try:
            from qdrant_client import QdrantClient
        except ImportError as err:
            raise ConfigError(
                "QA_VECTOR_BACKEND 指定了 qdrant，但没有安装 qdrant-client 包；"
                "请运行 `pip install qdrant-client`，或设置 QA_VECTOR_BACKEND=faiss"
            ) from err
        if dim <= 0:
            raise ValueError(f"dim must be greater than 0. Currently, it is {dim}")
        self.location = location
        self.collection = collection
        self.dim = dim
        if location == ":memory:":
            self.client = QdrantClient(location=":memory:")
        elif location.startswith(("http://", "https://")):
            self.client = QdrantClient(url=location)
        else:
            self.client = QdrantClient(path=location)

    @classmethod
    def from_index(cls, index: Index, *, location: str = ":memory:") -> QdrantBackend:
        """A backend holding the vectors and filter fields of a loaded index.

        The collection is named after the index version, so a folder or server that already holds this
        version is reused instead of re-uploaded; a rebuilt index gets a fresh collection.
        """
        version = getattr(index, "version", "") or hashlib.sha1(repr(len(index.chunks)).encode()).hexdigest()[:8]
        backend = cls(location, collection=f"chunks-{version}", dim=int(index.vectors.shape[1]))
        mask = getattr(index, "embedded", None)  # chunks still waiting for the background embedder stay out
        rows = np.arange(len(index.chunks)) if mask is None else np.flatnonzero(mask)
        if len(backend) != len(rows):
            backend.reset()
            backend.add(rows, index.vectors[rows], [payload(index.chunks[r]) for r in rows])
        return backend

    def reset(self) -> None:
        """Drop and recreate the collection (dot product on unit vectors = the cosine FAISS computes)."""
        from qdrant_client import models

        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        self.client.create_collection(
            self.collection, vectors_config=models.VectorParams(size=self.dim, distance=models.Distance.DOT)
        )
        if self.location.startswith(("http://", "https://")):  # local mode has no payload indexes (it scans)
            for field in ("doc_id", "agency_parts", "year", "kind"):
                # On a server these keyword indexes keep filtered search fast at millions of points.
                self.client.create_payload_index(self.collection, field, models.PayloadSchemaType.KEYWORD)

    def add(self, rows: np.ndarray, vectors: np.ndarray, payloads: Sequence[dict[str, Any]]) -> None:
        """Upsert points: id = row, vector, payload."""
        from qdrant_client import models

        if not (len(rows) == len(vectors) == len(payloads)):
            lengths = f"{len(rows)}, {len(vectors)}, {len(payloads)}"
            raise ValueError(f"rows, vectors and payloads must have one length. Currently, they are {lengths}")
        if not self.client.collection_exists(self.collection):
            self.reset()
        for start in range(0, len(rows), UPLOAD_BATCH):
            end = start + UPLOAD_BATCH
            points = [
                models.PointStruct(id=int(r), vector=np.asarray(v, dtype=np.float32).tolist(), payload=p)
                for r, v, p in zip(rows[start:end], vectors[start:end], payloads[start:end], strict=True)
            ]
            self.client.upsert(self.collection, points=points, wait=True)

    def __len__(self) -> int:
        if not self.client.collection_exists(self.collection):
            return 0
        return int(self.client.count(self.collection, exact=True).count)

    def search(
        self, query: np.ndarray, k: int, *, filters: Filters | None = None, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest rows that match the filters, best first, as (row, score)."""
        if k <= 0 or (rows is not None and len(rows) == 0):
            return []
        result = self.client.query_points(
            self.collection,
            query=np.asarray(query, dtype=np.float32).tolist(),
            query_filter=to_filter(filters, rows),
            limit=k,
            with_payload=False,
        )
        return [(int(p.id), float(p.score)) for p in result.points]

    def close(self) -> None:
        self.client.close()


def to_filter(filters: Filters | None, rows: np.ndarray | None = None) -> Any:
    """Filters (and an optional allowed-row list) as a Qdrant filter; None when nothing filters."""
    from qdrant_client import models

    must: list[Any] = []
    if filters is not None:
        if filters.agency:
            must.append(models.FieldCondition(key="agency_parts", match=models.MatchValue(value=filters.agency)))
        if filters.year:
            must.append(models.FieldCondition(key="year", match=models.MatchValue(value=filters.year)))
        if filters.kind:
            must.append(models.FieldCondition(key="kind", match=models.MatchValue(value=filters.kind)))
        if filters.doc_ids:
            must.append(models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(filters.doc_ids))))
    if rows is not None:
        must.append(models.HasIdCondition(has_id=[int(r) for r in rows]))
    return models.Filter(must=must) if must else None
