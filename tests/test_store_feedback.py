"""Feedback in a real SQLite store: recorded with citations, turned into gold-set lines and reviewed answers that
are served, cited and marked, for the same or a near-identical question only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_store_conversations import answer

from qa.store.db import StoreError
from qa.store.feedback import REVIEWED, FeedbackStore, normalize, overlap, reviewed_answer_for, same_question

GOLD_KEYS = ["id", "question", "type", "doc_ids", "evidence", "answer_keywords", "answerable"]


def test_normalised_match_and_bigram_overlap() -> None:
    assert normalize(" 江夏区如何推进中医药文化进校园？ ") == normalize("江夏区如何推进中医药文化进校园?")
    assert overlap("abcd", "abcd") == 1.0 and overlap("ab", "cd") == 0.0
    assert same_question(normalize("江夏区如何推进中医药文化进校园"), normalize("请问江夏区如何推进中医药文化进校园"))
    assert not same_question(
        normalize("2023年江夏区有多少家基层医疗机构"), normalize("2024年江夏区有多少家基层医疗机构")
    )
    assert not same_question(normalize("江夏区如何推进中医药文化进校园"), normalize("托育机构有哪些措施"))


def test_feedback_is_stored_with_citations_and_a_later_reason(database) -> None:
    store = FeedbackStore(database())
    up = store.add("张红", answer(), 1)
    down = store.add("李明", answer(), -1)
    store.amend(down, reason="漏了种植园", correction="建设中医药种植园，开展中医药知识讲座。")
    item = store.get(down)
    assert item.vote == -1 and item.reason == "漏了种植园" and item.citations[0]["doc_no"] == "江卫函〔2024〕22号"
    assert [i.id for i in store.list()] == [down, up] and [i.id for i in store.list(vote=-1)] == [down]
    with pytest.raises(StoreError, match="评价"):
        store.add("x", answer(), 0)
    with pytest.raises(StoreError, match="找不到"):
        store.get(999)


def test_gold_candidates_are_lines_of_the_gold_format(database) -> None:
    store = FeedbackStore(database())
    fid = store.add("u", answer(), -1, correction="建设中医药种植园。")
    record = store.make_gold(fid, "管理员", keywords=["种植园", " "])
    assert list(record) == GOLD_KEYS
    assert record["doc_ids"] == ["000_ecc1ee3b3577c818.txt#1"] and record["evidence"] == ["建设中医药种植园。"]
    assert record["answer_keywords"] == ["种植园"] and record["answerable"] is True
    lines = store.gold_jsonl().splitlines()
    assert [json.loads(line) for line in lines] == [record]
    assert "金标候选" in store.get(fid).status
    gold = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"
    first = json.loads(gold.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == set(record)  # the same fields as the real gold set


def test_a_reviewed_answer_is_served_cited_for_the_same_question_only(database) -> None:
    store = FeedbackStore(database())
    assert reviewed_answer_for("江夏区如何推进中医药文化进校园？", store) is None
    fid = store.add("u", answer(), -1, correction="开展中医药知识讲座，建设中医药种植园[1]。")
    store.make_reviewed(fid, "王审核")
    again = FeedbackStore(database())  # served after a restart
    served = reviewed_answer_for("江夏区如何推进中医药文化进校园?", again)
    assert served is not None and served.text.startswith("开展中医药知识讲座，建设中医药种植园[1]。")
    assert REVIEWED in served.text and "王审核" in served.text and served.backend == "reviewed"
    assert served.citations[0].chunk.meta.doc_no == "江卫函〔2024〕22号" and not served.refused
    assert reviewed_answer_for("请问江夏区如何推进中医药文化进校园呢？", again) is not None  # near-identical
    assert reviewed_answer_for("东西湖区如何推进中医药文化进校园？", again) is None
    assert reviewed_answer_for("", again) is None
    # a second review of the same question replaces the first
    second = store.add("u", answer(), 1)
    store.make_reviewed(second, "王审核")
    assert len(store.reviewed()) == 1
    store.retire(store.reviewed()[0]["id"])
    assert reviewed_answer_for("江夏区如何推进中医药文化进校园？", store) is None


def test_the_old_feedback_file_is_imported_once(database, tmp_path: Path) -> None:
    old = tmp_path / "feedback.jsonl"
    record = {"time": "2025-05-01T10:00:00", "liked": False, "user": "张红", **answer().to_dict()}
    old.write_text(json.dumps(record, ensure_ascii=False) + "\n不是JSON\n\n", encoding="utf-8")
    store = FeedbackStore(database())
    assert store.import_jsonl(old) == (1, 1)
    assert store.import_jsonl(old) == (0, 2)  # already there
    [item] = store.list()
    assert item.vote == -1 and item.owner == "张红" and item.citations[0]["quote"] == "开展中医药知识讲座"
    with pytest.raises(StoreError, match="无法读取"):
        store.import_jsonl(tmp_path / "missing.jsonl")
