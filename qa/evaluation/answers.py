"""Answer metrics: keywords stated, evidence cited, refusals, latency; conversations asked in turn order.

A question holds its expected facts when the answer states every one of its `answer_keywords` (`a|b` accepts
either spelling); keyword coverage is the mean share. Questions of one conversation ("conversation", "turn") are
asked in turn order with the earlier turns of the same conversation (question and Answer) as history, so a
follow-up is answered as a user would meet it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from qa.evaluation.metrics import GoldItem, Passage, chunk_passage, covered_units, mean, percentile
from qa.text import normalize

History = list[tuple[str, Any]]  # (question, Answer) pairs of the same conversation, oldest first
AskFn = Callable[[str, History], Any]  # (question, history) → qa.records.Answer


def keyword_coverage(answer_text: str, keywords: Sequence[str]) -> float:
    """Share of keywords the answer states; `a|b` counts when either spelling appears."""
    if not keywords:
        return 1.0
    text = normalize(answer_text)
    return mean(1.0 if any(normalize(alt) in text for alt in kw.split("|")) else 0.0 for kw in keywords)


def citation_scores(item: GoldItem, cited: Sequence[Passage]) -> tuple[float, float]:
    """(precision, recall) of an answer's citations: precision = share of cited passages holding the evidence;
    recall = share of the question's units some citation supports. No citations scores (0, 0)."""
    if not cited:
        return 0.0, 0.0
    covered = [covered_units(p, item) for p in cited]
    precision = mean(1.0 if units else 0.0 for units in covered)
    found: set[str] = set().union(*covered)
    return precision, len(found) / len(item.units)


def asking_order(items: Sequence[GoldItem]) -> list[GoldItem]:
    """The items as they are asked: each conversation's turns in turn order, at the place of its first turn."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item.conversation or f"\0{item.id}", i)
    return sorted(items, key=lambda it: (first[it.conversation or f"\0{it.id}"], it.turn))


def evaluate_answers(items: Sequence[GoldItem], ask: AskFn) -> dict[str, Any]:
    """Ask every gold question (conversations in turn order, with their history) and score the answers.

    Returns:
        summarize() of the per-question rows, plus the rows ("questions") in asking order.
    """
    rows = []
    histories: dict[str, History] = {}
    for item in asking_order(items):
        history = histories.setdefault(item.conversation, []) if item.conversation else []
        started = time.perf_counter()
        answer = ask(item.question, list(history))
        latency = answer.latency_ms or (time.perf_counter() - started) * 1000
        if item.conversation:
            history.append((item.question, answer))  # the answer itself: a follow-up keeps to its documents
        row: dict[str, Any] = {
            "id": item.id,
            "answerable": item.answerable,
            "refused": answer.refused,
            "latency_ms": round(latency, 1),
        }
        if item.answerable:
            row["keyword_coverage"] = 0.0 if answer.refused else keyword_coverage(answer.text, item.answer_keywords)
            if not answer.refused:
                p, r = citation_scores(item, [chunk_passage(c.chunk) for c in answer.citations])
                row["citation_precision"], row["citation_recall"] = p, r
        rows.append(row)
    return {**summarize(rows), "questions": rows}


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The answer metrics of per-question rows (one gold set's, or several sets' together).

    keyword_coverage: mean share of keywords stated (refusals 0); all_keywords: share of answerable questions
    whose answer states every keyword; evidence_cited: share of answerable questions whose citations support
    every expected document (refusals 0); citation_precision / citation_recall: over answered answerable
    questions; false_refusal_rate / false_refusals: answerable questions refused; refusal_accuracy /
    traps_answered: unanswerable questions refused / answered; latency p50/p95 in ms over all questions.
    """
    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in answerable if not r["refused"]]
    traps = [r for r in rows if not r["answerable"]]
    return {
        "keyword_coverage": mean(r["keyword_coverage"] for r in answerable),
        "all_keywords": mean(1.0 if r["keyword_coverage"] == 1.0 else 0.0 for r in answerable),
        "evidence_cited": mean(1.0 if r.get("citation_recall") == 1.0 else 0.0 for r in answerable),
        "citation_precision": mean(r["citation_precision"] for r in answered),
        "citation_recall": mean(r["citation_recall"] for r in answered),
        "false_refusal_rate": mean(1.0 if r["refused"] else 0.0 for r in answerable),
        "false_refusals": sum(1 for r in answerable if r["refused"]),
        "refusal_accuracy": mean(1.0 if r["refused"] else 0.0 for r in traps),
        "traps_answered": sum(1 for r in traps if not r["refused"]),
        "latency_p50_ms": percentile([r["latency_ms"] for r in rows], 50),
        "latency_p95_ms": percentile([r["latency_ms"] for r in rows], 95),
        "n_answerable": len(answerable),
        "n_unanswerable": len(traps),
    }
