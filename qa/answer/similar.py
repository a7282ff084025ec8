"""Question–sentence similarity from the offline embedder, for the few sentences that compete to answer.

Lexical overlap misses the sentence that answers an everyday question in official words (救护车到乡下要多长时间 →
农村地区平均N分钟). The embedder the index was built with scores each candidate sentence against the question.
Sentence vectors come from the index's sentence cache (qa.index.sentences), which the background embedder fills
for every sentence of the index; a sentence nobody embedded yet is embedded once and stored. The question's
vector is the one retrieval already made (qa.retrieve.query_vector).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from qa.index.sentences import SentenceVectors, sentence_vectors
from qa.index.store import embedding_cache_root
from qa.retrieve import query_vector

Similarity = Callable[[str, Sequence[str]], list[float]]  # question, sentences → cosine similarity each


class SentenceSimilarity:
    """Cosine similarity of a question to sentences (vectors are unit length, so a dot product)."""

    def __init__(self, embedder: Any, store: SentenceVectors) -> None:
        self.embedder = embedder
        self.store = store

    def __call__(self, question: str, sentences: Sequence[str]) -> list[float]:
        q = np.asarray(query_vector(self.embedder, question), dtype=np.float32)
        return [float(v @ q) for v in self.store.vectors(sentences, self.embedder)]


def sentence_similarity(retriever: object) -> Similarity | None:
    """The similarity of the retriever's embedder over its index's sentence cache, or None when it has none."""
    embedder = getattr(retriever, "embedder", None)
    index = getattr(retriever, "index", None)
    if embedder is None or not hasattr(embedder, "embed_documents") or index is None:
        return None
    index_dir = index.path.parent.parent  # <index>/versions/<name>
    store = sentence_vectors(embedding_cache_root(index_dir), embedder.name, embedder.dim)
    return SentenceSimilarity(embedder, store)
