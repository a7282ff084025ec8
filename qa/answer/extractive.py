"""The offline default answerer: picks and quotes the sentences of the retrieved passages that answer the question.

Deterministic and model-free. The work is done by the stages of qa.answer: question (what is asked), select
(which sentences answer it), metadata (answers from DocMeta) and compose (the cited answer text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from qa.answer.compose import compose
from qa.answer.similar import Similarity
from qa.records import Chunk


class ExtractiveGenerator:
    """Generator protocol, offline: quotes the best sentences of the sources, cited. No model, deterministic.

    With a similarity (qa.answer.similar, the index's embedder) sentences are also chosen by meaning; with the
    index's document texts (doc_id → text) a 文号 or date is quoted as its reply prints it even when the passage
    printing it was not retrieved. ask() supplies both from the retriever.
    """

    name = "extractive"

    def __init__(self, similarity: Similarity | None = None, documents: Mapping[str, str] | None = None) -> None:
        self.similarity = similarity
        self.documents = documents

    def generate(self, question: str, sources: Sequence[Chunk]) -> str:
        return compose(question, sources, similarity=self.similarity, documents=self.documents)

    def stream(self, question: str, sources: Sequence[Chunk]) -> Iterator[str]:
        text = self.generate(question, sources)
        # One piece per sentence, so a UI shows the answer growing just as with a streaming model.
        yield from (m.group(0) for m in re.finditer(r"[^。]+。?", text))
