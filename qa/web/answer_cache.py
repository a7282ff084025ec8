"""Answers to repeated questions, kept per index version, so a question asked again costs a dictionary lookup.

Officials ask the same things (the page's example questions, a colleague's question, a retry after a slow
answer); answering one again costs the whole answer stage. An answer depends on the question, the filters, the
conversation before it, the index it was found in and the generator that wrote it, so all five are the key: a
question asked inside another conversation, with other filters, or after the index changed (an upload, a
deletion, vectors swapped in by the background embedder) is answered afresh. Entries of an older index version
are dropped as soon as a newer one is asked about, so they never hold an old index in memory.

Not kept: answers the offline answerer gave because the configured model failed (the failure may pass), and
reviewed answers (qa.store.feedback looks those up before any cache, so a new review is served at once).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from qa.records import Answer, Filters

ANSWER_CACHE_SIZE = 512  # answers of a few KB each (text, citations, retrieved passages): a few MB at most


def index_version(retriever: Any) -> tuple[str, str]:
    """What names the index a retriever searches: its version folder, and a database index's sync generation."""
    index = getattr(retriever, "index", None)
    return str(getattr(index, "version", "")), str(getattr(index, "generation", ""))


def _history_key(history: Sequence[Any]) -> tuple[Hashable, ...]:
    """The conversation as the answer stage sees it: earlier questions, what was answered and which documents
    it cited (a follow-up is answered from those), or role/content messages from the API."""
    turns: list[Hashable] = []
    for turn in history:
        if isinstance(turn, Mapping):
            turns.append((str(turn.get("role", "")), str(turn.get("content", ""))))
        elif isinstance(turn, Answer):
            turns.append((turn.question, turn.text, tuple(c.chunk.doc_id for c in turn.citations)))
        elif isinstance(turn, Sequence) and not isinstance(turn, str) and turn:
            said = turn[1] if len(turn) > 1 else ""
            if isinstance(said, Answer):
                said = (said.text, tuple(c.chunk.doc_id for c in said.citations))
            turns.append((str(turn[0]), str(said)))
        else:
            turns.append(str(turn))
    return tuple(turns)


class AnswerKey(NamedTuple):
    question: str  # whitespace-normalised, as the query-vector cache keys it
    filters: Filters | None  # None for no filters or empty ones: they search the same
    history: tuple[Hashable, ...]
    version: tuple[str, str]  # index_version() of the retriever that answered
    generator: str  # the generator's name ("extractive", or the model behind an LLM endpoint)


def answer_key(
    question: str, *, retriever: Any, history: Sequence[Any] = (), filters: Filters | None = None, generator: Any = None
) -> AnswerKey:
    """The cache key of a question asked with these arguments of qa.answer.chain.ask."""
    chosen = None if filters is None or filters.empty else filters
    writer = getattr(generator, "name", None) or ("" if generator is None else type(generator).__name__)
    return AnswerKey(" ".join(question.split()), chosen, _history_key(history), index_version(retriever), writer)


class AnswerCache:
    """A bounded, thread-safe least-recently-used map from answer_key() to the Answer; one per Service."""

    def __init__(self, size: int = ANSWER_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[AnswerKey, Answer] = OrderedDict()
        self._version: tuple[str, str] | None = None  # the index version of the latest lookup
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: AnswerKey) -> Answer | None:
        with self._lock:
            self._follow(key.version)
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
            return answer

    def put(self, key: AnswerKey, answer: Answer) -> None:
        if "fallback" in answer.backend:  # the model failed this time; ask it again next time
            return
        with self._lock:
            if key.version != self._version:  # answered from an index a newer question has already replaced
                return
            self._items[key] = answer
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def _follow(self, version: tuple[str, str]) -> None:
        # A request that took its retriever just before a swap may still look up with the old version and so
        # empty the cache once more; that only costs misses: the version is part of every key, so no answer
        # ever crosses versions.
        if version != self._version:
            self._items.clear()
            self._version = version


def _lookup(cache: AnswerCache, question: str, asked: dict[str, Any]) -> tuple[AnswerKey, Answer | None]:
    """The key of a question asked with these ask() arguments, and the cached answer as this request's own: its
    question as typed now, the time this lookup took, and lists of its own, so no session's copy can change
    another's."""
    started = time.perf_counter()
    key = answer_key(question, **asked)
    hit = cache.get(key)
    if hit is None:
        return key, None
    served = dataclasses.replace(
        hit,
        question=question.strip(),
        citations=list(hit.citations),
        unsupported=list(hit.unsupported),
        hits=list(hit.hits),
        latency_ms=(time.perf_counter() - started) * 1000,
    )
    return key, served


def cached_ask(
    cache: AnswerCache,
    question: str,
    *,
    retriever: Any,
    history: Sequence[Any] = (),
    filters: Filters | None = None,
    generator: Any = None,
) -> Answer:
    """qa.answer.chain.ask through the cache (same arguments and errors)."""
    from qa.answer.chain import ask

    asked = {"retriever": retriever, "history": history, "filters": filters, "generator": generator}
    key, hit = _lookup(cache, question, asked)
    if hit is not None:
        return hit
    answer = ask(question, **asked)
    cache.put(key, answer)
    return answer


def cached_ask_stream(
    cache: AnswerCache,
    question: str,
    *,
    retriever: Any,
    history: Sequence[Any] = (),
    filters: Filters | None = None,
    generator: Any = None,
) -> Iterator[str | Answer]:
    """qa.answer.chain.ask_stream through the cache: a cached answer comes as its whole text, then the Answer."""
    from qa.answer.chain import ask_stream

    asked = {"retriever": retriever, "history": history, "filters": filters, "generator": generator}
    key, hit = _lookup(cache, question, asked)
    if hit is not None:
        yield hit.text
        yield hit
        return
    for piece in ask_stream(question, **asked):
        if isinstance(piece, Answer):
            cache.put(key, piece)
        yield piece
