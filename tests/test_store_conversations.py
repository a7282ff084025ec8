"""Saved conversations and API keys in a real SQLite store: per-owner lists, rename, delete, search, the history
passed to ask(), citations that survive a restart, and the migration runner filling in a skipped version."""

from __future__ import annotations

import pytest

from qa.records import Answer, Chunk, Citation, DocMeta
from qa.store.conversations import Conversations, citation_from_record, citation_record
from qa.store.db import StoreError
from qa.store.keys import ApiKeys, key_hash
from qa.store.migrations import MIGRATIONS, migrate, schema_version

META = DocMeta(agency="武汉市江夏区卫生健康局", doc_no="江卫函〔2024〕22号", proposal_no="20240080",
               title="关于推进中医药文化进校园的提案", source="000_ecc1ee3b3577c818.txt")  # fmt: skip


def answer(question: str = "江夏区如何推进中医药文化进校园？", text: str = "开展中医药知识讲座[1]。") -> Answer:
    crumb = (META.display_title, "一、中医药书籍缺乏趣味性")
    chunk = Chunk("c1", "000_ecc1ee3b3577c818.txt#1", crumb, "开展中医药知识讲座和手抄报活动。", META, page=3)
    return Answer(question, text, [Citation(1, chunk, "开展中医药知识讲座")], backend="extractive")


def test_a_citation_round_trips_with_its_doc_no_and_page() -> None:
    c = answer().citations[0]
    back = citation_from_record(citation_record(c))
    assert back.chunk.meta.doc_no == "江卫函〔2024〕22号" and back.chunk.page == 3 and back.quote == c.quote
    assert back.chunk.section == c.chunk.section and back.chunk.doc_id == c.chunk.doc_id


def test_conversations_persist_per_owner_across_a_restart(database) -> None:
    store = Conversations(database())
    cid = store.add_turn("张红", None, answer())
    store.add_turn("张红", cid, answer("那东西湖区呢？", "东西湖区开展义诊[1]。"))
    other = store.add_turn("李明", None, answer("托育机构有哪些措施？", "扩大普惠托育[1]。"))
    again = Conversations(database())  # a restart: a new connection to the same store
    [conv] = again.list("张红")
    assert conv.id == cid and conv.title == "江夏区如何推进中医药文化进校园？" and conv.messages == 4
    history = again.history("张红", cid)
    assert [t["role"] for t in history] == ["user", "assistant", "user", "assistant"]
    assert history[1]["doc_ids"] == ["000_ecc1ee3b3577c818.txt#1"]
    restored = again.answers("张红", cid)
    assert restored[1].question == "那东西湖区呢？" and restored[1].citations[0].chunk.meta.doc_no.startswith("江卫函")
    with pytest.raises(StoreError, match="找不到对话"):
        again.messages("张红", other)  # another user's conversation is not there for 张红


def test_rename_delete_and_search_by_title_or_text(database) -> None:
    store = Conversations(database())
    a = store.add_turn("u", None, answer())
    b = store.add_turn("u", None, answer("托育机构有哪些措施？", "扩大普惠托育服务供给[1]。"))
    store.rename("u", a, "  中医药 进校园  ")
    assert store.get("u", a).title == "中医药 进校园"
    assert [c.id for c in store.list("u", "进校园")] == [a]
    assert [c.id for c in store.list("u", "普惠托育")] == [b]  # found by a message's text
    assert store.list("u", "100%") == []  # LIKE wildcards are literal
    with pytest.raises(StoreError, match="不能为空"):
        store.rename("u", a, "   ")
    store.delete("u", a)
    assert [c.id for c in store.list("u")] == [b]
    with pytest.raises(StoreError):
        store.delete("u", a)


def test_refusals_stay_out_of_the_history(database) -> None:
    store = Conversations(database())
    refused = Answer("火星上有医院吗？", "文档库中没有相关内容。", refused=True)
    cid = store.add_turn("u", None, refused)
    assert store.history("u", cid) == [] and store.answers("u", cid)[0].refused


def test_api_keys_are_stored_hashed_and_can_be_revoked(database) -> None:
    db = database()
    keys = ApiKeys(db)
    assert not keys.any_active()
    token = keys.create("张红")
    assert token.startswith("qa-") and len(token) > 40
    raw = db.query("SELECT * FROM api_keys")
    assert raw[0]["key_hash"] == key_hash(token) and token not in str(raw)
    assert keys.verify(token) == "张红" and keys.verify(token + "x") is None and keys.verify("") is None
    assert keys.list()[0].last_used_at
    assert keys.revoke("张红") == 1
    assert keys.verify(token) is None and not keys.any_active()
    with pytest.raises(StoreError, match="没有找到"):
        keys.revoke("nobody")
    with pytest.raises(StoreError, match="用户名"):
        keys.create("a b")


def test_the_runner_applies_a_version_missing_below_the_highest(database, monkeypatch) -> None:
    """A store that got version 3 before version 2 existed in its program still gets version 2 later."""
    db = database()
    skipped = MIGRATIONS[-2]
    monkeypatch.setattr("qa.store.migrations.MIGRATIONS", [m for m in MIGRATIONS if m is not skipped])
    migrate(db)
    monkeypatch.undo()
    assert migrate(db) == [skipped[0]]
    assert schema_version(db) == MIGRATIONS[-1][0]
