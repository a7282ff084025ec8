"""The offline default answerer: picks and quotes the sentences of the retrieved passages that answer the question.

Deterministic and model-free. The work is done by the stages of qa.answer: question (what is asked), select
(which sentences answer it), metadata (answers from DocMeta) and compose (the cited answer text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from qa.answer.compose import compose
from qa.answer.similar import Similarity
from qa.records import Chunk


class ExtractiveGenerator:
    """Generator protocol, offline: quotes the best sentences of the sources, cited. No model, deterministic.

    With a similarity (qa.answer.similar, the index's embedder) sentences are also chosen by meaning; ask()
    supplies it from the retriever.
    """

    name = "extractive"

    def __init__(self, similarity: Similarity | None = None) -> None:
        self.similarity = similarity

    def generate(self, question: str, sources: Sequence[Chunk]) -> str:
        return compose(question, sources, similarity=self.similarity)

    def stream(self, question: str, sources: Sequence[Chunk]) -> Iterator[str]:
        text = compose(question, sources, similarity=self.similarity)
        # One piece per sentence, so a UI shows the answer growing just as with a streaming model.
        yield from (m.group(0) for m in re.finditer(r"[^。]+。?", text))
