"""Saved conversations: each user's chats with the assistant, kept in the store so a refresh or a restart loses
nothing, and so a follow-up asked days later still has its context.

A message is a user question or an assistant answer; an answer keeps its citations as JSON (`citation_record`:
the citation's fields plus the document's 文号 and full metadata), so an Answer with real Citations can be rebuilt
(`answer_from_message`) for the sources panel, exports and the history passed to `qa.answer.chain.ask`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qa.records import Answer, Chunk, Citation, DocMeta
from qa.store.db import Database, StoreError
from qa.store.migrations import migrate, now

TITLE_CHARS = 40  # a new conversation is named after its first question, cut to this many characters
MAX_TITLE_CHARS = 200


def citation_record(citation: Citation) -> dict[str, Any]:
    """A citation as stored: Citation.to_dict() plus the document's 文号 (doc_no) and full metadata."""
    meta = citation.chunk.meta
    return {
        **citation.to_dict(),
        "doc_no": meta.doc_no,
        "meta": meta.to_dict(),
        "breadcrumb": citation.chunk.breadcrumb,
    }


def citation_from_record(data: dict[str, Any]) -> Citation:
    """The Citation a stored record describes (the chunk rebuilt from its text and metadata)."""
    meta = DocMeta.from_dict(data.get("meta") or {"source": data.get("source", ""), "agency": data.get("agency", "")})
    crumb = tuple(data.get("breadcrumb") or [p for p in str(data.get("section", "")).split(" › ") if p])
    chunk = Chunk(
        chunk_id=str(data.get("chunk_id", "")),
        doc_id=str(data.get("doc_id", "")),
        breadcrumb=crumb,
        text=str(data.get("text", "")),
        meta=meta,
        page=int(data.get("page", 0) or 0),
        ocr=bool(data.get("ocr", False)),
    )
    return Citation(n=int(data.get("n", 0)), chunk=chunk, quote=str(data.get("quote", "")))


def citations_json(answer: Answer) -> str:
    return json.dumps([citation_record(c) for c in answer.citations], ensure_ascii=False)


@dataclass
class Message:
    id: int
    role: str  # "user" or "assistant"
    content: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)  # refused, backend, unsupported of an answer
    created_at: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        return cls(
            row["id"], row["role"], row["content"], json.loads(row["citations"] or "[]"),
            json.loads(row["detail"] or "{}"), row["created_at"],
        )  # fmt: skip

    def history_turn(self) -> dict[str, Any]:
        """The message as a role/content turn for ask(); an answer names the documents it cited (doc_ids)."""
        turn: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.role == "assistant":
            turn["doc_ids"] = list(dict.fromkeys(c.get("doc_id", "") for c in self.citations if c.get("doc_id")))
        return turn


@dataclass
class Conversation:
    id: int
    owner: str
    title: str
    created_at: str
    updated_at: str
    messages: int = 0


def answer_from_message(question: str, message: Message) -> Answer:
    """The Answer an assistant message records, with its citations rebuilt."""
    return Answer(
        question=question,
        text=message.content,
        citations=[citation_from_record(c) for c in message.citations],
        refused=bool(message.detail.get("refused", False)),
        unsupported=list(message.detail.get("unsupported", [])),
        backend=str(message.detail.get("backend", "")),
    )


def pairs(messages: list[Message]) -> list[tuple[str, Message]]:
    """(question, answer message) for each answered question, in order."""
    out, question = [], ""
    for message in messages:
        if message.role == "user":
            question = message.content
        elif message.role == "assistant":
            out.append((question, message))
    return out


def _title(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise StoreError("对话标题不能为空")
    return text[:MAX_TITLE_CHARS]


class Conversations:
    """Each owner's conversations and their messages; every call names the owner, so one user never reads,
    renames or deletes another's conversation."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def create(self, owner: str, title: str = "新对话") -> int:
        stamp = now()
        with self.db.transaction():
            row = self.db.one(
                "INSERT INTO conversations (owner, title, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
                (owner, _title(title), stamp, stamp),
            )
        return int(row["id"]) if row else 0

    def get(self, owner: str, conversation_id: int) -> Conversation:
        row = self.db.one(
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS messages "
            "FROM conversations c WHERE c.id = ? AND c.owner = ?",
            (int(conversation_id), owner),
        )
        if row is None:
            raise StoreError(f"找不到对话 {conversation_id}：它可能已被删除")
        return Conversation(**row)

    def list(self, owner: str, search: str = "", limit: int = 200) -> list[Conversation]:
        """The owner's conversations, latest first; `search` matches the title or any message's text."""
        sql = (
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS messages "
            "FROM conversations c WHERE c.owner = ?"
        )
        params: list[Any] = [owner]
        needle = (search or "").strip()
        if needle:
            like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            sql += (
                " AND (LOWER(c.title) LIKE LOWER(?) ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
                "WHERE m.conversation_id = c.id AND LOWER(m.content) LIKE LOWER(?) ESCAPE '\\'))"
            )
            params += [like, like]
        sql += " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"
        return [Conversation(**row) for row in self.db.query(sql, [*params, int(limit)])]

    def rename(self, owner: str, conversation_id: int, title: str) -> None:
        self.get(owner, conversation_id)
        with self.db.transaction():
            self.db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ? AND owner = ?",
                (_title(title), now(), int(conversation_id), owner),
            )

    def delete(self, owner: str, conversation_id: int) -> None:
        self.get(owner, conversation_id)
        with self.db.transaction():
            self.db.execute("DELETE FROM messages WHERE conversation_id = ?", (int(conversation_id),))
            self.db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (int(conversation_id), owner))

    def messages(self, owner: str, conversation_id: int) -> list[Message]:
        self.get(owner, conversation_id)
        rows = self.db.query("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (int(conversation_id),))
        return [Message.from_row(r) for r in rows]

    def history(self, owner: str, conversation_id: int) -> list[dict[str, Any]]:
        """The stored messages as the `history` ask() takes (refusals left out: they carry no facts)."""
        out: list[dict[str, Any]] = []
        for question, message in pairs(self.messages(owner, conversation_id)):
            if not message.detail.get("refused"):
                out += [{"role": "user", "content": question}, message.history_turn()]
        return out

    def add_turn(self, owner: str, conversation_id: int | None, answer: Answer) -> int:
        """Save a question and its answer (a new conversation, titled by the question, when none is given)."""
        if conversation_id is None:
            conversation_id = self.create(owner, answer.question[:TITLE_CHARS] or "新对话")
        self.get(owner, conversation_id)
        stamp = now()
        detail = {"refused": answer.refused, "unsupported": list(answer.unsupported), "backend": answer.backend}
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', ?, ?)",
                (int(conversation_id), answer.question, stamp),
            )
            self.db.execute(
                "INSERT INTO messages (conversation_id, role, content, citations, detail, created_at) "
                "VALUES (?, 'assistant', ?, ?, ?, ?)",
                (int(conversation_id), answer.text, citations_json(answer), json.dumps(detail, ensure_ascii=False),
                 stamp),
            )  # fmt: skip
            self.db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (stamp, int(conversation_id)))
        return int(conversation_id)

    def answers(self, owner: str, conversation_id: int) -> list[Answer]:
        """The conversation's answers, rebuilt, in order."""
        return [answer_from_message(q, m) for q, m in pairs(self.messages(owner, conversation_id))]
