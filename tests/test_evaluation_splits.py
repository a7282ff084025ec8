"""The gold sets of a run (tuning/fresh, seeds/varied), conversations asked in turn order, the per-set summaries."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qa.evaluation.answers import asking_order, evaluate_answers, summarize
from qa.evaluation.metrics import EvalError, GoldItem, load_gold
from qa.evaluation.splits import GOLD_SETS, groups, load_sets, standalone_queries, varied_files
from qa.records import Chunk, Citation, DocMeta

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"


def gold(
    qid: str, question: str = "?", *, conversation: str = "", turn: int = 0, split: str = "", **kw: Any
) -> GoldItem:
    fields: dict[str, Any] = {
        "type": "number",
        "doc_ids": ("a.txt",),
        "evidence": ("857个",),
        "answer_keywords": ("857",),
        "answerable": True,
    }
    fields.update(kw)
    return GoldItem(qid, question, conversation=conversation, turn=turn, split=split, **fields)


def test_conversations_are_asked_in_turn_order_at_their_first_turn() -> None:
    items = [gold("q1"), gold("c2", conversation="c", turn=2), gold("q2"), gold("c1", conversation="c", turn=1)]
    assert [i.id for i in asking_order(items)] == ["q1", "c1", "c2", "q2"]


def test_follow_ups_get_the_earlier_turns_of_their_own_conversation() -> None:
    seen: list[tuple[str, list[tuple[str, Any]]]] = []
    chunk = Chunk("k", "a.txt", "", "家庭医生团队857个", DocMeta())
    given: list[Any] = []

    def ask(question: str, history: list[tuple[str, Any]]) -> Any:
        seen.append((question, history))
        given.append(
            SimpleNamespace(
                text=f"答{question}857", refused=False, latency_ms=5.0, citations=[Citation(1, chunk, "857个")]
            )
        )
        return given[-1]

    items = [
        gold("a1", "团队多少个？", conversation="a", turn=1),
        gold("b1", "别的？", conversation="b", turn=1),
        gold("a2", "那呢？", conversation="a", turn=2),
    ]
    result = evaluate_answers(items, ask)
    first = given[0]
    assert seen == [
        ("团队多少个？", []),
        ("那呢？", [("团队多少个？", first)]),
        ("别的？", []),
    ]
    assert result["all_keywords"] == 1.0 and result["evidence_cited"] == 1.0
    assert [r["id"] for r in result["questions"]] == ["a1", "a2", "b1"]


def test_summary_counts_every_keyword_refusals_and_traps() -> None:
    rows = [
        {"answerable": True, "refused": False, "latency_ms": 10.0, "keyword_coverage": 0.5,
         "citation_precision": 1.0, "citation_recall": 1.0},
        {"answerable": True, "refused": False, "latency_ms": 20.0, "keyword_coverage": 1.0,
         "citation_precision": 0.5, "citation_recall": 0.5},
        {"answerable": True, "refused": True, "latency_ms": 30.0, "keyword_coverage": 0.0},
        {"answerable": False, "refused": False, "latency_ms": 40.0},
        {"answerable": False, "refused": True, "latency_ms": 50.0},
    ]  # fmt: skip
    s = summarize(rows)
    assert s["keyword_coverage"] == pytest.approx(0.5)
    assert s["all_keywords"] == pytest.approx(1 / 3)  # a two-part answer with one part is not a hit
    assert s["evidence_cited"] == pytest.approx(1 / 3)
    assert s["citation_precision"] == pytest.approx(0.75)
    assert (s["false_refusals"], s["traps_answered"], s["refusal_accuracy"]) == (1, 1, 0.5)
    assert s["latency_p50_ms"] == 30.0


def test_groups_make_totals_only_over_several_sets() -> None:
    items = [gold("t1", split="tuning-seeds"), gold("t2", split="tuning-varied"), gold("f1", split="fresh-seeds")]
    assert {k: [i.id for i in v] for k, v in groups(items).items()} == {
        "tuning-seeds": ["t1"],
        "tuning-varied": ["t2"],
        "fresh-seeds": ["f1"],
        "tuning": ["t1", "t2"],
    }


def test_follow_ups_are_searched_as_standalone_questions() -> None:
    items = [
        gold("c1", "江夏区有多少个团队？", conversation="c", turn=1),
        gold("c2", "那咸宁市呢？", conversation="c", turn=2),
    ]
    queries = standalone_queries(items, lambda q, before: f"{before[-1]}|{q}")
    assert queries == {"c1": "江夏区有多少个团队？", "c2": "江夏区有多少个团队？|那咸宁市呢？"}


def test_load_sets_marks_splits_and_rejects_shared_ids(tmp_path: Path) -> None:
    row = {"question": "?", "type": "number", "doc_ids": [], "evidence": ["x"], "answer_keywords": ["x"],
           "answerable": True}  # fmt: skip
    for n, gold_set in enumerate(GOLD_SETS):
        (tmp_path / gold_set.file).write_text(json.dumps({**row, "id": f"q{n}"}), encoding="utf-8")
    assert [(i.id, i.split) for i in load_sets(tmp_path)] == [(f"q{n}", s.name) for n, s in enumerate(GOLD_SETS)]
    assert [s.name for s in GOLD_SETS[:4]] == ["tuning-seeds", "tuning-varied", "fresh-seeds", "fresh-varied"]
    (tmp_path / GOLD_SETS[3].file).write_text(json.dumps({**row, "id": "q0"}), encoding="utf-8")
    with pytest.raises(EvalError, match="另一个标准答案集"):
        load_sets(tmp_path)


def test_shipped_sets_load_and_the_varied_corpus_excludes_its_readme() -> None:
    items = load_sets(EVAL_DIR)
    assert {i.split for i in items} == {s.name for s in GOLD_SETS}
    assert all(i.turn >= 1 for i in items if i.conversation)
    files = varied_files(EVAL_DIR)
    assert len(files) == 44 and all(f.name.startswith("v") for f in files)
    assert {f.suffix for f in files} == {".txt", ".html", ".docx", ".pdf"}  # archives hold Word and PDF replies too
    assert load_gold(EVAL_DIR / "fresh_seeds.jsonl")  # the fresh sets are valid gold files
