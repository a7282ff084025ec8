"""Evaluation metrics: metric functions on handmade rankings, and the gold sets against the real seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.evaluation.answers import citation_scores, keyword_coverage
from qa.evaluation.metrics import (
    DRAFTS_NAME,
    GOLD_NAME,
    QUESTION_TYPES,
    DraftCase,
    EvalError,
    GoldItem,
    Passage,
    covered_units,
    evaluate_precedents,
    evaluate_retrieval,
    load_drafts,
    load_gold,
    meta_text,
    ndcg_at_k,
    percentile,
    precedent_recall,
    recall_at_k,
    reciprocal_rank,
    score_ranking,
)
from qa.evaluation.runner import load_thresholds
from qa.text import normalize

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
GOLD_FILE = SEEDS_DIR.parent / "eval" / GOLD_NAME
DRAFTS_FILE = SEEDS_DIR.parent / "eval" / DRAFTS_NAME
MISS: frozenset[str] = frozenset()
A = frozenset({"a"})
B = frozenset({"b"})


def item(evidence=("3223",), doc_ids=("f.txt#5",), keywords=("3223",), type_="number") -> GoldItem:
    return GoldItem(
        id="q1",
        question="托位有多少？",
        type=type_,
        doc_ids=tuple(doc_ids),
        evidence=tuple(evidence),
        answer_keywords=tuple(keywords),
        answerable=type_ != "unanswerable",
    )


# --- ranking metrics --------------------------------------------------------------------------------------------


def test_reciprocal_rank_of_miss_then_hit_is_one_half() -> None:
    assert reciprocal_rank([MISS, A], 10) == 0.5
    assert reciprocal_rank([A, A], 10) == 1.0
    assert reciprocal_rank([MISS] * 10, 10) == 0.0
    assert reciprocal_rank([MISS] * 10 + [A], 10) == 0.0  # rank 11 is outside MRR@10


def test_recall_counts_each_expected_document_once() -> None:
    ranked = [A, A, MISS, B]
    assert recall_at_k(ranked, 1, 1) == 1.0
    assert recall_at_k([MISS, A], 1, 1) == 0.0
    assert recall_at_k([MISS, A], 1, 5) == 1.0
    assert recall_at_k(ranked, 3, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, 3, 5) == pytest.approx(2 / 3)


def test_ndcg_exact_values() -> None:
    assert ndcg_at_k([A], 1, 10) == 1.0
    assert ndcg_at_k([MISS, A], 1, 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k([A, B], 2, 10) == pytest.approx(1.0)
    # a repeat of a found document earns nothing; the second document comes at rank 3
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([A, A, B], 2, 10) == pytest.approx(expected)
    assert ndcg_at_k([MISS] * 3, 1, 10) == 0.0


def test_metrics_reject_questions_without_units() -> None:
    with pytest.raises(ValueError, match="n_units"):
        recall_at_k([A], 0, 1)


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile([], 50) == 0.0


# --- relevance ----------------------------------------------------------------------------------------------------


def test_evidence_matches_across_spaces_and_full_width_forms() -> None:
    gold = item(evidence=("第20240080号", "(1份)"), doc_ids=("f.txt#1",))
    assert covered_units(Passage.of("对区政协六届三次会议第 20240080 号 提案的答复", ["f.txt#1"]), gold) == {"f.txt#1"}
    assert covered_units(Passage.of("抄送：区政协提案委（1份）", ["f.txt#1"]), gold) == {"f.txt#1"}
    assert covered_units(Passage.of("第 20240080 号", ["f.txt#2"]), gold) == set()  # right words, wrong document
    assert covered_units(Passage.of("第 20240081 号", ["f.txt#1"]), gold) == set()


def test_question_without_documents_counts_any_passage_with_evidence() -> None:
    gold = item(doc_ids=())
    assert covered_units(Passage.of("托位数约 3223 个", ["x"]), gold) == {"*"}


def test_score_ranking_of_one_question() -> None:
    gold = item()
    passages = [Passage.of("全区 95 家", ["f.txt#5"]), Passage.of("可提供托位数约 3223 个", ["f.txt#5"])]
    assert score_ranking(gold, passages) == {
        "recall@1": 0.0,
        "recall@5": 1.0,
        "mrr@10": 0.5,
        "ndcg@10": pytest.approx(1 / math.log2(3)),
    }


def test_evaluate_retrieval_skips_unanswerable_and_groups_by_type() -> None:
    items = [item(), item(type_="unanswerable", evidence=(), doc_ids=(), keywords=())]
    result = evaluate_retrieval(items, lambda _q: [Passage.of("3223", ["f.txt#5"])])
    assert result["overall"]["n"] == 1
    assert result["overall"]["mrr@10"] == 1.0
    assert set(result["by_type"]) == {"number"}
    assert result["ranks"] == {"q1": 1}


def test_meta_text_carries_contacts_and_number() -> None:
    from qa.records import DocMeta

    meta = DocMeta(proposal_no="068", contacts=(("主管领导", "董伟峰", "13971800781"),))
    text = meta_text(meta)
    assert "第068号" in text and "董伟峰" in text and "13971800781" in text


# --- answer and precedent metrics ----------------------------------------------------------------------------------


def test_keyword_coverage_and_alternatives() -> None:
    assert keyword_coverage("全区有 95 家机构，托位约 3223 个", ["3223", "95", "820"]) == pytest.approx(2 / 3)
    assert keyword_coverage("公开日期 2021-08-31", ["2021年08月31日|2021-08-31"]) == 1.0
    assert keyword_coverage("没有", ["2866"]) == 0.0


def test_citation_precision_and_recall() -> None:
    gold = item(evidence=("857", "147"), doc_ids=("a", "b"))
    cited = [Passage.of("家庭医生团队857个", ["a"]), Passage.of("无关内容", ["b"])]
    assert citation_scores(gold, cited) == (0.5, 0.5)
    assert citation_scores(gold, []) == (0.0, 0.0)


def test_precedent_recall_is_capped_by_list_length() -> None:
    assert precedent_recall(["x", "b", "c"], ["b"], 1) == 0.0
    assert precedent_recall(["x", "b", "c"], ["b"], 3) == 1.0
    assert precedent_recall(["a", "x", "c"], ["a", "c", "d", "e"], 3) == pytest.approx(2 / 3)
    assert precedent_recall(["a"], ["a", "c"], 1) == 1.0


def test_evaluate_precedents_uses_the_ranking() -> None:
    class P:
        def __init__(self, doc_id: str) -> None:
            self.doc_id = doc_id

    cases = [DraftCase("d1", "托育", "建议增加托位。", (), "政协提案", ("a",))]
    result = evaluate_precedents(cases, lambda _p: [P("b"), P("a")])
    assert result["recall@1"] == 0.0
    assert result["recall@3"] == 1.0


def test_bad_files_raise_readable_errors(tmp_path: Path) -> None:
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"id": "q1"\n', encoding="utf-8")
    with pytest.raises(EvalError, match=r"gold\.jsonl:1 不是有效的 JSON"):
        load_gold(bad)
    row = {"id": "q1", "question": "?", "type": "number", "doc_ids": [], "evidence": ["x"], "answer_keywords": []}
    bad.write_text("\n".join(json.dumps({**row, "answerable": True}) for _ in range(2)), encoding="utf-8")
    with pytest.raises(EvalError, match="用了两次"):
        load_gold(bad)
    bad.write_text(json.dumps({**row, "type": "trivia", "answerable": True}), encoding="utf-8")
    with pytest.raises(EvalError, match="trivia"):
        load_gold(bad)
    with pytest.raises(QAError, match=r"找不到 .*missing\.json"):
        load_thresholds(tmp_path / "missing.json")


# --- the shipped gold sets against the real seeds ------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_documents() -> dict[str, str]:
    """doc_id → normalised cleaned text plus metadata of every seed document, through the project's own parsing."""
    from qa.ingest.structure import load_documents

    out = {}
    for path in sorted(SEEDS_DIR.iterdir()):
        for doc in load_documents(path):
            out[doc.doc_id] = normalize(doc.text + "\n" + meta_text(doc.meta))
    return out


def test_gold_set_shape() -> None:
    items = load_gold(GOLD_FILE)
    assert len(items) >= 70
    assert sum(not i.answerable for i in items) >= 10
    assert {i.type for i in items} == set(QUESTION_TYPES) - {"multi_part"}  # multi_part: the newer sets
    assert all(i.answer_keywords for i in items if i.answerable)
    assert all(not i.evidence and not i.doc_ids for i in items if not i.answerable)


def test_every_gold_evidence_occurs_in_its_document(seed_documents: dict[str, str]) -> None:
    from qa.ingest.clean import clean_text
    from qa.ingest.read import read_text

    cleaned = "".join(normalize(clean_text(read_text(p))) for p in sorted(SEEDS_DIR.iterdir()))
    problems = []
    for gold in load_gold(GOLD_FILE):
        for doc_id in gold.doc_ids:
            if doc_id not in seed_documents:
                problems.append(f"{gold.id}: unknown document {doc_id}")
            elif not any(normalize(e) in seed_documents[doc_id] for e in gold.evidence):
                problems.append(f"{gold.id}: none of {gold.evidence} in {doc_id}")
        for evidence in gold.evidence:
            if normalize(evidence) not in cleaned:
                problems.append(f"{gold.id}: {evidence!r} not in the cleaned seed text")
            if not any(normalize(evidence) in seed_documents.get(d, "") for d in gold.doc_ids):
                problems.append(f"{gold.id}: {evidence!r} not in any of its documents")
    assert problems == []


def test_every_seed_document_is_asked_about(seed_documents: dict[str, str]) -> None:
    asked = {d for gold in load_gold(GOLD_FILE) for d in gold.doc_ids}
    assert asked == set(seed_documents)


def test_drafts_name_real_documents(seed_documents: dict[str, str]) -> None:
    cases = load_drafts(DRAFTS_FILE)
    assert len(cases) >= 8
    for case in cases:
        assert set(case.expected_doc_ids) <= set(seed_documents), case.id
        assert len(case.body) >= 60, case.id
