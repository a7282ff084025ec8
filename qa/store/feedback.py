"""Feedback that feeds back: thumbs up/down with the question, answer and citations, an optional reason and the
correct passage or answer the user supplies; an admin turns an item into a gold-set candidate (a line in the
format of eval/gold.jsonl) or into a reviewed answer, served with its citations for the same or a
near-identical question later (`reviewed_answer_for`), marked 已审核答复.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from qa.records import Answer
from qa.store.conversations import Conversations, citation_from_record, citations_json
from qa.store.db import Database, StoreError
from qa.store.keys import ApiKeys
from qa.store.location import cache_key, open_at
from qa.store.migrations import migrate, now

GOLD = "金标候选"
REVIEWED = "已审核答复"
REVIEWED_BACKEND = "reviewed"
NEAR = 0.9  # character-bigram Dice overlap of two normalised questions that counts as the same question
MAX_TEXT = 20_000  # characters of a reason or correction kept


def normalize(question: str) -> str:
    """The question for matching: NFKC (full-width → half-width), lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", question or "").lower()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def overlap(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two normalised texts (1.0 = same bigrams)."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def same_question(a: str, b: str) -> bool:
    """Whether two normalised questions ask the same: equal, or bigram overlap ≥ NEAR with the same numbers
    (2023年 vs 2024年, 第80号 vs 第81号 differ by one bigram but ask something else)."""
    if a == b:
        return True
    return bool(a and b) and re.findall(r"\d+", a) == re.findall(r"\d+", b) and overlap(a, b) >= NEAR


@dataclass
class FeedbackItem:
    id: int
    owner: str
    question: str
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    vote: int = 0  # 1 up, -1 down
    reason: str = ""
    correction: str = ""
    status: str = ""  # "", GOLD or REVIEWED (both: "金标候选,已审核答复")
    gold: dict[str, Any] = field(default_factory=dict)
    reviewer: str = ""
    created_at: str = ""
    reviewed_at: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FeedbackItem:
        data = dict(row)
        data["citations"] = json.loads(data.get("citations") or "[]")
        data["gold"] = json.loads(data.get("gold") or "{}")
        return cls(**data)

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(c.get("doc_id", "") for c in self.citations if c.get("doc_id")))


def gold_record(item: FeedbackItem, *, keywords: list[str] | None = None, answerable: bool = True) -> dict[str, Any]:
    """The item as a line of eval/gold.jsonl: the correct passage (else the cited quotes) is the evidence."""
    evidence = [item.correction.strip()] if item.correction.strip() else [c.get("quote", "") for c in item.citations]
    return {
        "id": f"fb{item.id:04d}",
        "question": item.question,
        "type": "feedback",
        "doc_ids": item.doc_ids if answerable else [],
        "evidence": [e for e in evidence if e][:3] if answerable else [],
        "answer_keywords": [k.strip() for k in keywords or [] if k.strip()],
        "answerable": answerable,
    }


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def add(self, owner: str, answer: Answer, vote: int, *, reason: str = "", correction: str = "") -> int:
        if vote not in (1, -1):
            raise StoreError("评价只能是 赞(1) 或 踩(-1)")
        with self.db.transaction():
            row = self.db.one(
                "INSERT INTO feedback (owner, question, answer, citations, vote, reason, correction, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (owner, answer.question, answer.text, citations_json(answer), vote,
                 (reason or "").strip()[:MAX_TEXT], (correction or "").strip()[:MAX_TEXT], now()),
            )  # fmt: skip
        return int(row["id"]) if row else 0

    def import_jsonl(self, path: Path) -> tuple[int, int]:
        """Bring in the thumbs of data_dir/feedback.jsonl (what the page wrote before this store); a line already
        imported (same time, user and question) is skipped. Returns (imported, skipped or unreadable lines)."""
        imported = skipped = 0
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise StoreError(f"无法读取反馈文件 {path}：{err}") from err
        for line in lines:
            try:
                row = json.loads(line)
                question, liked = str(row["question"]), row["liked"]
            except (ValueError, KeyError, TypeError):
                skipped += bool(line.strip())
                continue
            stamp, owner = str(row.get("time", "")) or now(), str(row.get("user", ""))
            seen = self.db.one("SELECT id FROM feedback WHERE created_at = ? AND owner = ? AND question = ?",
                               (stamp, owner, question))  # fmt: skip
            if seen or liked not in (True, False):
                skipped += 1
                continue
            with self.db.transaction():
                cited = json.dumps(row.get("citations") or [], ensure_ascii=False)
                self.db.execute(
                    "INSERT INTO feedback (owner, question, answer, citations, vote, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (owner, question, str(row.get("answer", "")), cited, 1 if liked else -1, stamp),
                )
            imported += 1
        return imported, skipped

    def amend(self, feedback_id: int, *, reason: str = "", correction: str = "") -> None:
        """Add the reason and correct passage a user gives after the thumbs-down was recorded."""
        self.get(feedback_id)
        with self.db.transaction():
            self.db.execute(
                "UPDATE feedback SET reason = ?, correction = ? WHERE id = ?",
                ((reason or "").strip()[:MAX_TEXT], (correction or "").strip()[:MAX_TEXT], int(feedback_id)),
            )

    def get(self, feedback_id: int) -> FeedbackItem:
        row = self.db.one("SELECT * FROM feedback WHERE id = ?", (int(feedback_id),))
        if row is None:
            raise StoreError(f"找不到反馈 {feedback_id}")
        return FeedbackItem.from_row(row)

    def list(self, *, vote: int | None = None, status: str | None = None, limit: int = 500) -> list[FeedbackItem]:
        sql, params = "SELECT * FROM feedback WHERE 1 = 1", []
        if vote is not None:
            sql, params = sql + " AND vote = ?", [*params, vote]
        if status is not None:
            sql, params = sql + " AND status LIKE ?", [*params, f"%{status}%" if status else ""]
        rows = self.db.query(sql + " ORDER BY id DESC LIMIT ?", [*params, int(limit)])
        return [FeedbackItem.from_row(r) for r in rows]

    def _mark(self, feedback_id: int, status: str, reviewer: str) -> None:
        item = self.get(feedback_id)
        marks = [s for s in item.status.split(",") if s]
        if status not in marks:
            marks.append(status)
        self.db.execute(
            "UPDATE feedback SET status = ?, reviewer = ?, reviewed_at = ? WHERE id = ?",
            (",".join(marks), reviewer, now(), int(feedback_id)),
        )

    def make_gold(
        self, feedback_id: int, reviewer: str = "", *, keywords: list[str] | None = None, answerable: bool = True
    ) -> dict[str, Any]:
        """Turn an item into a gold-set candidate; returns its gold line."""
        record = gold_record(self.get(feedback_id), keywords=keywords, answerable=answerable)
        with self.db.transaction():
            self._mark(feedback_id, GOLD, reviewer)
            self.db.execute(
                "UPDATE feedback SET gold = ? WHERE id = ?", (json.dumps(record, ensure_ascii=False), feedback_id)
            )
        return record

    def gold_candidates(self) -> list[dict[str, Any]]:
        return [item.gold for item in reversed(self.list(status=GOLD)) if item.gold]

    def gold_jsonl(self) -> str:
        """The gold-set candidates as JSON lines, oldest first (append to eval/gold.jsonl after a look)."""
        return "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in self.gold_candidates())

    def make_reviewed(self, feedback_id: int, reviewer: str = "", text: str = "") -> int:
        """Serve this item's answer (or `text`, else the user's correction) for the same question from now on.

        An earlier reviewed answer to the same question is retired, so one question has one reviewed answer.
        """
        item = self.get(feedback_id)
        answer = (text or item.correction or item.answer).strip()
        if not answer:
            raise StoreError("已审核答复的内容不能为空")
        key = normalize(item.question)
        if not key:
            raise StoreError("这条反馈没有问题文本，无法设为已审核答复")
        with self.db.transaction():
            self.db.execute("UPDATE reviewed_answers SET active = 0 WHERE normalized = ?", (key,))
            row = self.db.one(
                "INSERT INTO reviewed_answers (feedback_id, question, normalized, answer, citations, reviewer, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (item.id, item.question, key, answer, json.dumps(item.citations, ensure_ascii=False), reviewer,
                 now()),
            )  # fmt: skip
            self._mark(feedback_id, REVIEWED, reviewer)
        return int(row["id"]) if row else 0

    def retire(self, reviewed_id: int) -> None:
        with self.db.transaction():
            self.db.execute("UPDATE reviewed_answers SET active = 0 WHERE id = ?", (int(reviewed_id),))

    def reviewed(self) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM reviewed_answers WHERE active = 1 ORDER BY id DESC")


def reviewed_answer_for(question: str, store: FeedbackStore) -> Answer | None:
    """A reviewed answer for this question (same normalised text, or near-identical with the same numbers),
    with its citations, marked 已审核答复; None when there is none."""
    key = normalize(question)
    if not key:
        return None
    rows = store.db.query("SELECT * FROM reviewed_answers WHERE active = 1 AND normalized = ? ORDER BY id DESC",
                          (key,))  # fmt: skip
    if not rows:
        scored = [(overlap(key, r["normalized"]), r) for r in store.reviewed() if same_question(key, r["normalized"])]
        rows = [max(scored, key=lambda x: (x[0], x[1]["id"]))[1]] if scored else []
    if not rows:
        return None
    row = rows[0]
    citations = [citation_from_record(c) for c in json.loads(row["citations"] or "[]")]
    who = f"，审核人：{row['reviewer']}" if row["reviewer"] else ""
    note = f"\n\n（{REVIEWED}：{row['created_at'][:10]}{who}）"
    return Answer(
        question=(question or "").strip(), text=row["answer"] + note, citations=citations, backend=REVIEWED_BACKEND
    )


class Stores:
    """The conversation, feedback and API-key stores of one store file, opened once per process."""

    _open: ClassVar[dict[str, Stores]] = {}
    _lock = threading.Lock()

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conversations = Conversations(db)
        self.feedback = FeedbackStore(db)
        self.keys = ApiKeys(db)

    @classmethod
    def at(cls, location: str | Path) -> Stores:
        """The stores at a file path or a postgresql:// URL (`qa.store.store_location`)."""
        key = cache_key(location)
        with cls._lock:
            if key not in cls._open:
                cls._open[key] = cls(open_at(key))
            return cls._open[key]
