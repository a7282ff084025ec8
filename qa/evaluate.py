"""Evaluation: gold questions → retrieval, answer and precedent metrics, thresholds, and the report."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.config import PROJECT_ROOT, Settings
from qa.errors import QAError
from qa.records import Chunk, DocMeta, Proposal

EVAL_DIR = PROJECT_ROOT / "eval"
GOLD_FILE = EVAL_DIR / "gold.jsonl"
DRAFTS_FILE = EVAL_DIR / "drafts.jsonl"
THRESHOLDS_FILE = EVAL_DIR / "thresholds.json"
REPORT_MD = EVAL_DIR / "report.md"
REPORT_JSON = EVAL_DIR / "report.json"
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache" / "eval-index"

QUESTION_TYPES = (
    "factoid",
    "number",
    "list",
    "table",
    "metadata",
    "paraphrase",
    "colloquial",
    "multi_doc",
    "unanswerable",
)
SYSTEMS = ("hybrid", "dense", "bm25", "naive")  # the first is ours; the gate wants it ahead of the others
RETRIEVAL_METRICS = ("recall@1", "recall@5", "mrr@10", "ndcg@10")
DEPTH = 10  # hits scored per question
NAIVE_CHUNK_SIZE = 500
NAIVE_CHUNK_OVERLAP = 100
NAIVE_SHINGLE = 8  # characters per window when deciding which document a naive chunk came from
NAIVE_MIN_SHARE = 0.3  # a naive chunk belongs to every document holding this share of its windows


class EvalError(QAError):
    """A gold, drafts or thresholds file is malformed, or the evaluation cannot run."""


# --- gold data ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldItem:
    """One gold question: what a correct passage must contain and what a correct answer must state."""

    id: str
    question: str
    type: str
    doc_ids: tuple[str, ...]
    evidence: tuple[str, ...]
    answer_keywords: tuple[str, ...]  # "a|b" accepts either spelling, e.g. a date written two ways
    answerable: bool

    @property
    def units(self) -> tuple[str, ...]:
        """What recall counts: each expected document, or one anonymous unit when no document is named."""
        return self.doc_ids or ("*",)


@dataclass(frozen=True)
class DraftCase:
    """A new proposal and the past replies a precedent search should bring up."""

    id: str
    title: str
    body: str
    proposers: tuple[str, ...]
    kind: str
    expected_doc_ids: tuple[str, ...]

    def to_proposal(self) -> Proposal:
        return Proposal(title=self.title, body=self.body, proposers=self.proposers, kind=self.kind)


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise EvalError(f"{path} not found; it ships with the project (eval/), restore it with git")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalError(f"{path}:{lineno} is not valid JSON ({err.msg}); fix or remove that line") from err
        if not isinstance(data, dict):
            raise EvalError(f"{path}:{lineno} must be a JSON object")
        rows.append((lineno, data))
    return rows


def _field(data: dict[str, Any], key: str, where: str, kind: type) -> Any:
    if key not in data:
        raise EvalError(f"{where} lacks the field {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise EvalError(f"{where}: {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def load_gold(path: Path = GOLD_FILE) -> list[GoldItem]:
    """Read and validate the gold questions.

    Raises:
        EvalError: a line is not JSON, lacks a field, repeats an id, names an unknown type, or an answerable
            question has no evidence (it could never count as found).
    """
    items: list[GoldItem] = []
    seen: set[str] = set()
    for lineno, data in _read_jsonl(path):
        where = f"{path}:{lineno}"
        item = GoldItem(
            id=_field(data, "id", where, str),
            question=_field(data, "question", where, str),
            type=_field(data, "type", where, str),
            doc_ids=tuple(_field(data, "doc_ids", where, list)),
            evidence=tuple(_field(data, "evidence", where, list)),
            answer_keywords=tuple(_field(data, "answer_keywords", where, list)),
            answerable=_field(data, "answerable", where, bool),
        )
        if item.id in seen:
            raise EvalError(f"{where}: id {item.id!r} is used twice; ids must be unique")
        seen.add(item.id)
        if item.type not in QUESTION_TYPES:
            raise EvalError(f"{where}: type {item.type!r} is not one of {', '.join(QUESTION_TYPES)}")
        if item.answerable and not item.evidence:
            raise EvalError(f"{where}: answerable question {item.id} needs at least one evidence substring")
        if item.answerable == (item.type == "unanswerable"):
            raise EvalError(f"{where}: answerable must be false exactly when type is 'unanswerable'")
        items.append(item)
    if not items:
        raise EvalError(f"{path} holds no questions")
    return items


def load_drafts(path: Path = DRAFTS_FILE) -> list[DraftCase]:
    """Read and validate the precedent-search cases."""
    cases = []
    for lineno, data in _read_jsonl(path):
        where = f"{path}:{lineno}"
        cases.append(
            DraftCase(
                id=_field(data, "id", where, str),
                title=_field(data, "title", where, str),
                body=_field(data, "body", where, str),
                proposers=tuple(_field(data, "proposers", where, list)),
                kind=_field(data, "kind", where, str),
                expected_doc_ids=tuple(_field(data, "expected_doc_ids", where, list)),
            )
        )
        if not cases[-1].expected_doc_ids:
            raise EvalError(f"{where}: expected_doc_ids is empty; name at least one document")
    return cases


# --- relevance ------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Width-fold (NFKC) and drop all whitespace, so page-break splits and `第 2024 号` spacing do not matter."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Passage:
    """A ranked passage as the metrics see it: searchable text and the documents it belongs to."""

    text: str  # already normalised
    doc_ids: tuple[str, ...]

    @classmethod
    def of(cls, text: str, doc_ids: Iterable[str]) -> Passage:
        return cls(normalise(text), tuple(doc_ids))


def meta_text(meta: DocMeta) -> str:
    """Everything a document states about itself, as text: an answer may quote any chunk's metadata."""
    contacts = " ".join(" ".join(c) for c in meta.contacts)
    number = f"第{meta.proposal_no}号" if meta.proposal_no else ""
    fields = (meta.agency, meta.doc_no, meta.meeting, number, "、".join(meta.proposers), meta.title, meta.heading)
    return " ".join(x for x in (*fields, meta.date, meta.index_no, contacts) if x)


def chunk_passage(chunk: Chunk) -> Passage:
    """An indexed chunk as a passage: what it is indexed by plus its document's metadata."""
    return Passage.of(f"{chunk.indexed_text}\n{meta_text(chunk.meta)}", (chunk.doc_id,))


def covered_units(passage: Passage, item: GoldItem) -> frozenset[str]:
    """The item's units this passage supports: it must hold an evidence substring and, when documents are
    named, come from one of them."""
    if not any(normalise(e) in passage.text for e in item.evidence):
        return frozenset()
    if not item.doc_ids:
        return frozenset({"*"})
    return frozenset(set(item.doc_ids) & set(passage.doc_ids))


# --- metrics on one ranking -----------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[Iterable[str]], n_units: int, k: int) -> float:
    """Share of the relevant units found in the first k ranks.

    Args:
        ranked: per rank, the units that rank's passage covers (empty = not relevant).
        n_units: how many units the question has (documents for a multi-document question, else 1).
        k: cut-off.
    """
    if n_units <= 0:
        raise ValueError(f"n_units must be greater than 0. Currently, it is {n_units}")
    found: set[str] = set()
    for units in ranked[:k]:
        found |= set(units)
    return len(found) / n_units


def reciprocal_rank(ranked: Sequence[Iterable[str]], k: int) -> float:
    """1 / rank of the first relevant passage within k, else 0."""
    for rank, units in enumerate(ranked[:k], 1):
        if set(units):
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[Iterable[str]], n_units: int, k: int) -> float:
    """Binary nDCG: a rank gains 1 when it covers a unit no earlier rank covered (repeats of a found document
    earn nothing); the ideal ranking covers one new unit per rank."""
    if n_units <= 0:
        raise ValueError(f"n_units must be greater than 0. Currently, it is {n_units}")
    found: set[str] = set()
    dcg = 0.0
    for rank, units in enumerate(ranked[:k], 1):
        new = set(units) - found
        if new:
            dcg += 1.0 / math.log2(rank + 1)
            found |= new
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_units, k) + 1))
    return dcg / ideal


def score_ranking(item: GoldItem, passages: Sequence[Passage]) -> dict[str, float]:
    """Recall@1, Recall@5, MRR@10 and nDCG@10 of one ranked list for one question."""
    ranked = [covered_units(p, item) for p in passages]
    n = len(item.units)
    return {
        "recall@1": recall_at_k(ranked, n, 1),
        "recall@5": recall_at_k(ranked, n, 5),
        "mrr@10": reciprocal_rank(ranked, 10),
        "ndcg@10": ndcg_at_k(ranked, n, 10),
    }


def first_relevant_rank(item: GoldItem, passages: Sequence[Passage]) -> int:
    """1-based rank of the first relevant passage, 0 when none is retrieved."""
    for rank, passage in enumerate(passages, 1):
        if covered_units(passage, item):
            return rank
    return 0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


SearchFn = Callable[[str], list[Passage]]


def evaluate_retrieval(items: Sequence[GoldItem], search: SearchFn) -> dict[str, Any]:
    """Score one retrieval system on the answerable questions, overall and per question type.

    Args:
        items: gold questions; unanswerable ones are skipped (they feed the refusal metrics).
        search: question → ranked passages (at least DEPTH of them when the corpus allows).

    Returns:
        {"overall": {metric: mean}, "by_type": {type: {metric: mean, "n": count}}, "ranks": {id: first rank}}.
    """
    per_type: dict[str, list[dict[str, float]]] = defaultdict(list)
    ranks: dict[str, int] = {}
    for item in items:
        if not item.answerable:
            continue
        passages = search(item.question)[:DEPTH]
        scores = score_ranking(item, passages)
        per_type[item.type].append(scores)
        ranks[item.id] = first_relevant_rank(item, passages)
    every = [s for group in per_type.values() for s in group]
    overall: dict[str, float] = {m: mean(s[m] for s in every) for m in RETRIEVAL_METRICS}
    overall["n"] = len(every)
    by_type = {
        t: {**{m: mean(s[m] for s in per_type[t]) for m in RETRIEVAL_METRICS}, "n": len(per_type[t])}
        for t in QUESTION_TYPES
        if per_type.get(t)
    }
    return {"overall": overall, "by_type": by_type, "ranks": ranks}


# --- answer metrics -------------------------------------------------------------------------------------------


def keyword_coverage(answer_text: str, keywords: Sequence[str]) -> float:
    """Share of keywords the answer states; `a|b` counts when either spelling appears."""
    if not keywords:
        return 1.0
    text = normalise(answer_text)
    return mean(1.0 if any(normalise(alt) in text for alt in kw.split("|")) else 0.0 for kw in keywords)


def citation_scores(item: GoldItem, cited: Sequence[Passage]) -> tuple[float, float]:
    """(precision, recall) of an answer's citations: precision = share of cited passages holding the evidence;
    recall = share of the question's units some citation supports. No citations scores (0, 0)."""
    if not cited:
        return 0.0, 0.0
    covered = [covered_units(p, item) for p in cited]
    precision = mean(1.0 if units else 0.0 for units in covered)
    found: set[str] = set().union(*covered)
    return precision, len(found) / len(item.units)


def evaluate_answers(items: Sequence[GoldItem], ask: Callable[[str], Any]) -> dict[str, Any]:
    """Ask every gold question and score the answers.

    Args:
        items: gold questions, answerable and not.
        ask: question → qa.records.Answer.

    Returns:
        Flat metrics: keyword_coverage, citation_precision, citation_recall (over answered answerable
        questions), false_refusal_rate (answerable), refusal_accuracy (unanswerable), latency p50/p95 in ms,
        plus per-question rows.
    """
    coverage, precision, recall, refused_answerable, refused_trap, latencies = [], [], [], [], [], []
    rows = []
    for item in items:
        started = time.perf_counter()
        answer = ask(item.question)
        latency = answer.latency_ms or (time.perf_counter() - started) * 1000
        latencies.append(latency)
        row: dict[str, Any] = {"id": item.id, "refused": answer.refused, "latency_ms": round(latency, 1)}
        if item.answerable:
            refused_answerable.append(1.0 if answer.refused else 0.0)
            cov = 0.0 if answer.refused else keyword_coverage(answer.text, item.answer_keywords)
            coverage.append(cov)
            row["keyword_coverage"] = cov
            if not answer.refused:
                p, r = citation_scores(item, [chunk_passage(c.chunk) for c in answer.citations])
                precision.append(p)
                recall.append(r)
                row["citation_precision"], row["citation_recall"] = p, r
        else:
            refused_trap.append(1.0 if answer.refused else 0.0)
        rows.append(row)
    return {
        "keyword_coverage": mean(coverage),
        "citation_precision": mean(precision),
        "citation_recall": mean(recall),
        "false_refusal_rate": mean(refused_answerable),
        "refusal_accuracy": mean(refused_trap),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "n_answerable": len(coverage),
        "n_unanswerable": len(refused_trap),
        "questions": rows,
    }


# --- precedent metrics ----------------------------------------------------------------------------------------


def precedent_recall(ranked_doc_ids: Sequence[str], expected: Sequence[str], k: int) -> float:
    """Expected documents in the first k precedents, over min(k, len(expected)): a perfect list scores 1."""
    if not expected:
        raise ValueError("expected must name at least one document")
    hits = len(set(ranked_doc_ids[:k]) & set(expected))
    return hits / min(k, len(expected))


def evaluate_precedents(cases: Sequence[DraftCase], find: Callable[[Proposal], list[Any]]) -> dict[str, Any]:
    """Recall@1 and Recall@3 of each case's expected replies in the precedent ranking."""
    r1, r3, rows = [], [], []
    for case in cases:
        ranked = [p.doc_id for p in find(case.to_proposal())]
        r1.append(precedent_recall(ranked, case.expected_doc_ids, 1))
        r3.append(precedent_recall(ranked, case.expected_doc_ids, 3))
        rows.append({"id": case.id, "ranked": ranked[:5], "expected": list(case.expected_doc_ids)})
    return {"recall@1": mean(r1), "recall@3": mean(r3), "n": len(cases), "cases": rows}


# --- the naive baseline ---------------------------------------------------------------------------------------


def _shingles(text: str) -> set[str]:
    return {text[i : i + NAIVE_SHINGLE] for i in range(max(1, len(text) - NAIVE_SHINGLE + 1))}


def assign_documents(text: str, documents: dict[str, set[str]]) -> tuple[str, ...]:
    """The documents a raw chunk came from: every one holding NAIVE_MIN_SHARE of its character windows
    (a chunk straddling two replies belongs to both), else the one holding most.

    Args:
        text: the chunk, normalised.
        documents: doc_id → the character windows of that document's normalised text (one file's documents).
    """
    if not documents:
        return ()
    windows = _shingles(text)
    shares = {doc_id: len(windows & doc_windows) / len(windows) for doc_id, doc_windows in documents.items()}
    chosen = tuple(d for d, share in shares.items() if share >= NAIVE_MIN_SHARE)
    return chosen or (max(shares, key=lambda d: shares[d]),)


class NaiveBaseline:
    """What a first attempt looks like: raw files, RecursiveCharacterTextSplitter(500, 100), the same embedder,
    langchain's FAISS store. No cleaning, no structure, no metadata, no BM25."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def search(self, query: str, k: int = DEPTH) -> list[Passage]:
        docs = self.store.similarity_search(query, k=k)
        return [Passage(d.metadata["normalised"], tuple(d.metadata["doc_ids"])) for d in docs]


def build_naive_baseline(
    files: Sequence[Path], embeddings: Any, documents: dict[str, dict[str, str]]
) -> tuple[NaiveBaseline, int]:
    """Split the raw files and put the pieces in a langchain FAISS store.

    Args:
        files: the seed files.
        embeddings: a langchain `Embeddings` (the project's embedder, possibly cache-backed).
        documents: file name → {doc_id: normalised document text}, to say which document a piece belongs to.

    Returns:
        The baseline and how many pieces it holds.
    """
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LcDocument
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from qa.ingest import read_text

    splitter = RecursiveCharacterTextSplitter(chunk_size=NAIVE_CHUNK_SIZE, chunk_overlap=NAIVE_CHUNK_OVERLAP)
    pieces: list[LcDocument] = []
    for path in files:
        windows = {doc_id: _shingles(text) for doc_id, text in documents.get(path.name, {}).items()}
        for text in splitter.split_text(read_text(path)):
            norm = normalise(text)
            doc_ids = assign_documents(norm, windows) if windows else (path.name,)
            meta = {"source": path.name, "doc_ids": list(doc_ids), "normalised": norm}
            pieces.append(LcDocument(page_content=text, metadata=meta))
    if not pieces:
        raise EvalError(f"no text in {', '.join(str(f) for f in files)}; the naive baseline has nothing to index")
    return NaiveBaseline(FAISS.from_documents(pieces, embeddings)), len(pieces)


def cached_embeddings(embedder: Any, cache_dir: Path) -> Any:
    """The project's embedder as langchain `Embeddings`, caching passage vectors on disk by text hash, so
    the baseline is embedded once per machine rather than once per run."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import LocalFileStore

    from qa.embed import LangchainEmbeddings

    store = LocalFileStore(str(cache_dir / "naive-embeddings"))
    return CacheBackedEmbeddings.from_bytes_store(
        LangchainEmbeddings(embedder), store, namespace=embedder.name, key_encoder="sha256"
    )


# --- the run --------------------------------------------------------------------------------------------------


@dataclass
class RunOptions:
    """What `python -m eval` / `qa eval` was asked to do."""

    seeds_dir: Path
    cache_dir: Path = DEFAULT_CACHE_DIR
    gold_file: Path = GOLD_FILE
    drafts_file: Path = DRAFTS_FILE
    answers: bool = True
    precedents: bool = True
    rebuild: bool = False
    progress: bool = True
    command: str = "python -m eval"
    notes: list[str] = field(default_factory=list)


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A stage function if its module exists yet; a broken module still raises."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name == module:
            return None
        raise
    return getattr(mod, name, None)


def _say(message: str, options: RunOptions) -> None:
    if options.progress:
        print(message, file=sys.stderr, flush=True)


def prepare_index(options: RunOptions, embedder: Any) -> Any:
    """Build (incrementally) and load the seeds index in the cache directory."""
    from qa.index import build_index, load_index

    options.cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = options.cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")  # the cache must never show up in `git status`
    index_dir = options.cache_dir / "index"
    report = build_index([options.seeds_dir], index_dir, embedder, rebuild=options.rebuild, progress=options.progress)
    index = load_index(index_dir)
    wanted = {p.name for p in options.seeds_dir.iterdir() if p.is_file()}
    if {c.doc_id.split("#")[0] for c in index.chunks} - wanted:
        # An incremental build keeps files indexed by an earlier run on another folder; the scores must cover
        # exactly the seeds asked for. Rebuilding costs little: embeddings come from the cache.
        report = build_index([options.seeds_dir], index_dir, embedder, rebuild=True, progress=options.progress)
        index = load_index(index_dir)
    _say(f"index: {report.summary()}", options)
    for name, reason in report.errors:
        options.notes.append(f"file not indexed: {name}: {reason}")
    return index


def machine_info() -> dict[str, Any]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": cores,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def run_evaluation(settings: Settings, options: RunOptions) -> dict[str, Any]:
    """Evaluate retrieval (hybrid, dense, BM25, naive), answers and precedents on the gold sets.

    Args:
        settings: the effective settings (embedder).
        options: paths and what to run.

    Returns:
        The report: run facts, per-system retrieval results, answer and precedent metrics, and a flat
        "metrics" map that thresholds refer to.
    """
    from qa.embed import get_embedder
    from qa.retrieve import Retriever

    items = load_gold(options.gold_file)
    started = time.perf_counter()
    embedder = get_embedder(settings.embed_model)
    index = prepare_index(options, embedder)
    retriever = Retriever(index, embedder)

    documents: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for chunk in index.chunks:
        documents[chunk.doc_id.split("#")[0]][chunk.doc_id].append(chunk.text)
    joined = {f: {d: normalise("".join(parts)) for d, parts in docs.items()} for f, docs in documents.items()}
    files = sorted(p for p in options.seeds_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    _say(f"naive baseline: splitting and embedding {len(files)} raw files (cached after the first run)", options)
    naive, naive_chunks = build_naive_baseline(files, cached_embeddings(embedder, options.cache_dir), joined)

    searches: dict[str, SearchFn] = {
        mode: (lambda q, m=mode: [chunk_passage(h.chunk) for h in retriever.search(q, k=DEPTH, mode=m)])
        for mode in ("hybrid", "dense", "bm25")
    }
    searches["naive"] = naive.search
    retrieval = {}
    for system in SYSTEMS:
        _say(f"retrieval: {system}", options)
        retrieval[system] = evaluate_retrieval(items, searches[system])

    answers: dict[str, Any] = {"skipped": "qa.answer.ask is not available"}
    ask = _optional("qa.answer", "ask") if options.answers else None
    if not options.answers:
        answers = {"skipped": "--no-answers"}
    elif ask is not None:
        _say(f"answers: asking {len(items)} questions", options)
        answers = evaluate_answers(items, lambda q: ask(q, retriever=retriever))

    precedents: dict[str, Any] = {"skipped": "qa.draft.find_precedents is not available"}
    find = _optional("qa.draft", "find_precedents") if options.precedents else None
    if not options.precedents:
        precedents = {"skipped": "--no-precedents"}
    elif find is not None:
        cases = load_drafts(options.drafts_file)
        _say(f"precedents: {len(cases)} proposals", options)
        precedents = evaluate_precedents(cases, lambda p: find(p, retriever=retriever, k=5))

    metrics: dict[str, float] = {}
    for system, result in retrieval.items():
        metrics.update({f"{system}.{m}": result["overall"][m] for m in RETRIEVAL_METRICS})
    for key in (
        "keyword_coverage",
        "citation_precision",
        "citation_recall",
        "refusal_accuracy",
        "false_refusal_rate",
        "latency_p50_ms",
        "latency_p95_ms",
    ):
        if key in answers:
            metrics[f"answers.{key}"] = answers[key]
    for key in ("recall@1", "recall@3"):
        if key in precedents:
            metrics[f"precedents.{key}"] = precedents[key]
    return {
        "command": options.command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "corpus": {
            "files": len(files),
            "documents": len(index.documents()),
            "chunks": len(index.chunks),
            "naive_chunks": naive_chunks,
        },
        "gold": {
            "questions": len(items),
            "answerable": sum(i.answerable for i in items),
            "unanswerable": sum(not i.answerable for i in items),
        },
        "seconds": round(time.perf_counter() - started, 1),
        "retrieval": retrieval,
        "answers": answers,
        "precedents": precedents,
        "metrics": metrics,
        "notes": options.notes,
        "questions": {i.id: {"type": i.type, "question": i.question} for i in items},
    }


# --- thresholds -----------------------------------------------------------------------------------------------


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, dict[str, float]]:
    """{"min": {metric: floor}, "max": {metric: ceiling}} from eval/thresholds.json."""
    if not path.is_file():
        raise EvalError(f"{path} not found; it ships with the project (eval/), restore it with git")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise EvalError(f"{path} is not valid JSON ({err.msg} at line {err.lineno})") from err
    if not isinstance(data, dict) or set(data) - {"min", "max", "comment"}:
        raise EvalError(f"{path} must be an object with 'min' and/or 'max' maps of metric → number")
    out: dict[str, dict[str, float]] = {}
    for side in ("min", "max"):
        values = data.get(side, {})
        if not isinstance(values, dict) or not all(isinstance(v, int | float) for v in values.values()):
            raise EvalError(f"{path}: {side!r} must map metric names to numbers")
        out[side] = {k: float(v) for k, v in values.items()}
    return out


def check_report(report: dict[str, Any], thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Every way the report misses the bar: metrics below their floor or above their ceiling, metrics the
    thresholds name but the run did not measure, and the hybrid not beating each other system on MRR@10."""
    metrics = report["metrics"]
    failures = []
    for side, worse in (("min", lambda v, t: v < t), ("max", lambda v, t: v > t)):
        for key, bound in sorted(thresholds.get(side, {}).items()):
            value = metrics.get(key)
            if value is None:
                failures.append(f"{key}: not measured (threshold {bound:g})")
            elif worse(value, bound):
                word = "below" if side == "min" else "above"
                failures.append(f"{key} = {value:.3f} is {word} its threshold {bound:.3f}")
    ours = metrics.get(f"{SYSTEMS[0]}.mrr@10")
    for other in SYSTEMS[1:]:
        theirs = metrics.get(f"{other}.mrr@10")
        if ours is not None and theirs is not None and ours <= theirs:
            failures.append(f"hybrid MRR@10 = {ours:.3f} does not beat {other} MRR@10 = {theirs:.3f}")
    return failures


# --- the report -----------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{value * 100:.1f}"


def retrieval_table(report: dict[str, Any]) -> str:
    """Systems side by side on the retrieval metrics (percent), as a markdown table."""
    lines = ["| system | " + " | ".join(RETRIEVAL_METRICS) + " |", "|---" * (len(RETRIEVAL_METRICS) + 1) + "|"]
    for system in SYSTEMS:
        overall = report["retrieval"][system]["overall"]
        lines.append(f"| {system} | " + " | ".join(_pct(overall[m]) for m in RETRIEVAL_METRICS) + " |")
    return "\n".join(lines)


def by_type_table(report: dict[str, Any], metric: str) -> str:
    """One metric per question type, systems side by side."""
    types = [t for t in QUESTION_TYPES if t in report["retrieval"][SYSTEMS[0]]["by_type"]]
    lines = ["| type | n | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 2) + "|"]
    for t in types:
        n = report["retrieval"][SYSTEMS[0]]["by_type"][t]["n"]
        cells = [_pct(report["retrieval"][s]["by_type"][t][metric]) for s in SYSTEMS]
        lines.append(f"| {t} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _answers_section(answers: dict[str, Any]) -> list[str]:
    if "skipped" in answers:
        return [f"Not measured: {answers['skipped']}."]
    return [
        f"{answers['n_answerable']} answerable and {answers['n_unanswerable']} unanswerable questions.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| keyword coverage (answerable) | {_pct(answers['keyword_coverage'])}% |",
        f"| citation precision | {_pct(answers['citation_precision'])}% |",
        f"| citation recall | {_pct(answers['citation_recall'])}% |",
        f"| refusal accuracy (unanswerable) | {_pct(answers['refusal_accuracy'])}% |",
        f"| false-refusal rate (answerable) | {_pct(answers['false_refusal_rate'])}% |",
        f"| latency p50 | {answers['latency_p50_ms']:.0f} ms |",
        f"| latency p95 | {answers['latency_p95_ms']:.0f} ms |",
    ]


def _precedents_section(precedents: dict[str, Any]) -> list[str]:
    if "skipped" in precedents:
        return [f"Not measured: {precedents['skipped']}."]
    lines = [
        f"{precedents['n']} new proposals from eval/drafts.jsonl. "
        f"Recall@1 {_pct(precedents['recall@1'])}%, Recall@3 {_pct(precedents['recall@3'])}%.",
        "",
        "| case | expected | ranked (top 3) |",
        "|---|---|---|",
    ]
    for row in precedents["cases"]:
        lines.append(f"| {row['id']} | {', '.join(row['expected'])} | {', '.join(row['ranked'][:3])} |")
    return lines


def misses(report: dict[str, Any], cutoff: int = 5) -> list[dict[str, Any]]:
    """Answerable questions the hybrid does not bring up in its first `cutoff` hits, with every system's rank."""
    ranks = {s: report["retrieval"][s]["ranks"] for s in SYSTEMS}
    out = []
    for qid, rank in ranks[SYSTEMS[0]].items():
        if rank == 0 or rank > cutoff:
            out.append({"id": qid, **report["questions"][qid], **{s: ranks[s][qid] for s in SYSTEMS}})
    return out


def render_markdown(report: dict[str, Any], failures: Sequence[str]) -> str:
    """eval/report.md: how it was run, the tables, the gate result and the hybrid's misses."""
    m = report["machine"]
    c = report["corpus"]
    g = report["gold"]
    lines = [
        "# Evaluation report",
        "",
        f"- command: `{report['command']}`",
        f"- date: {report['date']}",
        f"- machine: {m['cores']} cores, {m['processor']}, {m['platform']}, Python {m['python']}",
        f"- embedder: {report['embedder']['name']} (dim {report['embedder']['dim']})",
        f"- corpus: {c['files']} files, {c['documents']} documents, {c['chunks']} chunks "
        f"(naive baseline: {c['naive_chunks']} raw pieces)",
        f"- gold: {g['questions']} questions ({g['answerable']} answerable, {g['unanswerable']} unanswerable)",
        f"- run time: {report['seconds']} s",
        "",
        "## Retrieval (answerable questions, percent)",
        "",
        retrieval_table(report),
        "",
        "### MRR@10 by question type",
        "",
        by_type_table(report, "mrr@10"),
        "",
        "### Recall@5 by question type",
        "",
        by_type_table(report, "recall@5"),
        "",
        "## Answers",
        "",
        *_answers_section(report["answers"]),
        "",
        "## Precedent search",
        "",
        *_precedents_section(report["precedents"]),
        "",
        "## Gate (eval/thresholds.json)",
        "",
        *([f"- FAIL: {f}" for f in failures] or ["All thresholds met; the hybrid beats every other system on MRR@10."]),
        "",
    ]
    missed = misses(report)
    lines += ["## Questions the hybrid misses in its top 5", ""]
    if missed:
        lines += ["Rank of the first relevant passage per system (0 = not in the top 10).", ""]
        lines += ["| id | type | question | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 3) + "|"]
        for row in missed:
            ranks = " | ".join(str(row[s]) for s in SYSTEMS)
            lines.append(f"| {row['id']} | {row['type']} | {row['question']} | {ranks} |")
    else:
        lines.append("None.")
    if report["notes"]:
        lines += ["", "## Notes", "", *[f"- {n}" for n in report["notes"]]]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], failures: Sequence[str], md_path: Path, json_path: Path) -> None:
    """Write the markdown and JSON reports."""
    md_path.write_text(render_markdown(report, failures), encoding="utf-8")
    payload = {**report, "gate_failures": list(failures)}
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def summary(report: dict[str, Any]) -> str:
    """What the terminal shows: the side-by-side retrieval table and the answer/precedent headline numbers."""
    lines = [retrieval_table(report), ""]
    answers, precedents = report["answers"], report["precedents"]
    if "skipped" in answers:
        lines.append(f"answers: not measured ({answers['skipped']})")
    else:
        lines.append(
            f"answers: keywords {_pct(answers['keyword_coverage'])}%, citation P/R "
            f"{_pct(answers['citation_precision'])}/{_pct(answers['citation_recall'])}%, refusal accuracy "
            f"{_pct(answers['refusal_accuracy'])}%, false refusals {_pct(answers['false_refusal_rate'])}%, "
            f"p50/p95 {answers['latency_p50_ms']:.0f}/{answers['latency_p95_ms']:.0f} ms"
        )
    if "skipped" in precedents:
        lines.append(f"precedents: not measured ({precedents['skipped']})")
    else:
        lines.append(f"precedents: Recall@1 {_pct(precedents['recall@1'])}%, Recall@3 {_pct(precedents['recall@3'])}%")
    return "\n".join(lines)


def run_cli(options: RunOptions, settings: Settings, *, check: bool, write: bool) -> int:
    """Run, print, write the reports, compare with the thresholds; 1 when --check and anything fails."""
    thresholds = load_thresholds()  # before the slow part: a broken thresholds file should fail at once
    report = run_evaluation(settings, options)
    failures = check_report(report, thresholds)
    print(summary(report))
    if write:
        write_report(report, failures, REPORT_MD, REPORT_JSON)
        print(f"wrote {REPORT_MD.relative_to(PROJECT_ROOT)} and {REPORT_JSON.relative_to(PROJECT_ROOT)}")
    for failure in failures:
        print(f"{'FAIL' if check else 'below threshold'}: {failure}", file=sys.stderr)
    if not failures:
        print("all thresholds met")
    return 1 if check and failures else 0
