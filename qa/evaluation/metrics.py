"""Evaluation metrics: the gold sets, what counts as a relevant passage, and retrieval, answer and precedent scores.

Pure functions: the only I/O is reading the gold sets (eval/gold.jsonl and eval/drafts.jsonl) from given paths.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.records import Chunk, DocMeta, Proposal
from qa.text import normalize

# The gold sets' names in the project's eval/ folder (Settings.eval_dir, found by qa.evaluation.runner).
GOLD_NAME = "gold.jsonl"
DRAFTS_NAME = "drafts.jsonl"

QUESTION_TYPES = (
    "factoid",
    "number",
    "list",
    "table",
    "metadata",
    "paraphrase",
    "colloquial",
    "multi_doc",
    "multi_part",  # several questions in one: every keyword must be stated, like any question's
    "unanswerable",
)
SYSTEMS = ("hybrid", "dense", "bm25", "naive")  # the first is ours; the gate wants it ahead of the others
RETRIEVAL_METRICS = ("recall@1", "recall@5", "mrr@10", "ndcg@10")
DEPTH = 10  # hits scored per question


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
    conversation: str = ""  # questions of one conversation are asked in turn order, earlier turns as history
    turn: int = 0
    split: str = ""  # which gold set it came from (tuning-seeds, fresh-varied, …), set by the runner

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
        raise EvalError(f"找不到 {path}：它随项目提供（eval/），请用 git 恢复")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalError(f"{path}:{lineno} 不是有效的 JSON（{err.msg}），请修正或删除该行") from err
        if not isinstance(data, dict):
            raise EvalError(f"{path}:{lineno} 应为 JSON 对象，请修正该行")
        rows.append((lineno, data))
    return rows


def _field(data: dict[str, Any], key: str, where: str, kind: type) -> Any:
    if key not in data:
        raise EvalError(f"{where} 缺少字段 {key!r}，请补上")
    value = data[key]
    if not isinstance(value, kind):
        raise EvalError(f"{where}：{key!r} 应为 {kind.__name__} 类型；现在是 {value!r}")
    return value


def load_gold(path: Path) -> list[GoldItem]:
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
            conversation=str(data.get("conversation", "")),
            turn=int(data.get("turn", 0)),
        )
        if item.id in seen:
            raise EvalError(f"{where}：编号 {item.id!r} 用了两次；编号不能重复")
        seen.add(item.id)
        if item.type not in QUESTION_TYPES:
            raise EvalError(f"{where}：类型 {item.type!r} 不是 {'、'.join(QUESTION_TYPES)} 之一")
        if item.answerable and not item.evidence:
            raise EvalError(f"{where}：可回答的问题 {item.id} 至少需要一条 evidence 原文片段")
        if item.answerable == (item.type == "unanswerable"):
            raise EvalError(f"{where}：answerable 应当且仅当 type 为 'unanswerable' 时为 false")
        items.append(item)
    if not items:
        raise EvalError(f"{path} 中没有问题，请添加")
    return items


def load_drafts(path: Path) -> list[DraftCase]:
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
            raise EvalError(f"{where}：expected_doc_ids 为空，请至少列出一个文档")
    return cases


# --- relevance ------------------------------------------------------------------------------------------------

# Evidence is matched in qa.answer.verify's comparison form (NFKC width-folding, all whitespace dropped), so page-break
# splits and `第 2024 号` spacing do not matter.


@dataclass(frozen=True)
class Passage:
    """A ranked passage as the metrics see it: searchable text and the documents it belongs to."""

    text: str  # already normalised
    doc_ids: tuple[str, ...]

    @classmethod
    def of(cls, text: str, doc_ids: Iterable[str]) -> Passage:
        return cls(normalize(text), tuple(doc_ids))


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
    if not any(normalize(e) in passage.text for e in item.evidence):
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
    """Arithmetic mean, 0 for no values (a system with no questions of a type scores 0, not an error).

    Not statistics.fmean: it raises on no values, and its exact summation would move the last digit of the
    numbers already published in eval/report.json.
    """
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation (numpy's default method); 0 for no values."""
    import numpy as np  # here, not at the top: every `qa` command imports this module through its --help defaults

    return float(np.percentile(values, q)) if len(values) else 0.0


SearchFn = Callable[[str], list[Passage]]


def evaluate_retrieval(
    items: Sequence[GoldItem], search: SearchFn, queries: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Score one retrieval system on the answerable questions, overall and per question type.

    Args:
        items: gold questions; unanswerable ones are skipped (they feed the refusal metrics).
        search: question → ranked passages (at least DEPTH of them when the corpus allows).
        queries: question id → what to search for instead of the question (a follow-up made standalone).

    Returns:
        {"overall": {metric: mean}, "by_type": {type: {metric: mean, "n": count}}, "ranks": {id: first rank}}.
    """
    per_type: dict[str, list[dict[str, float]]] = defaultdict(list)
    ranks: dict[str, int] = {}
    for item in items:
        if not item.answerable:
            continue
        passages = search((queries or {}).get(item.id, item.question))[:DEPTH]
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
