"""The 我的对话 panel and the feedback form/tab: they build inside gr.Blocks, save each turn of a chat, restore a
conversation (with its citations, so follow-ups keep their context), export it, and record and review feedback;
all against a real SQLite store."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import docx
import gradio as gr
import pytest
from test_store_conversations import answer

from qa.answer.followup import previous_documents
from qa.config import Settings
from qa.web.conversations import (
    EMPTY_LIST,
    conversation_choices,
    export_file,
    list_note,
    make_conversation_panel,
    restore,
    save_turns,
    store_of,
)
from qa.web.feedback_admin import (
    EMPTY,
    detail_markdown,
    feedback_of,
    feedback_rows,
    make_feedback_form,
    make_feedback_tab,
)
from qa.web.service import Service

USER = SimpleNamespace(username="张红")


@pytest.fixture
def service(tmp_path: Path, database) -> Service:
    """A service whose store is SQLite or, for the postgres variant, the test's PostgreSQL database."""
    url = str(database.location) if database.dialect == "postgres" else ""
    return Service(Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "index", database_url=url))


def test_turns_are_saved_restored_and_exported(service: Service) -> None:
    store = store_of(service)
    chat = {1: answer()}
    cid = save_turns(store, "张红", None, chat)
    chat[3] = answer("那东西湖区呢？", "东西湖区开展义诊[1]。")
    assert save_turns(store, "张红", cid, chat) == cid  # only the new turn is added
    assert store.get("张红", cid).messages == 4
    history, answers, sources = restore(store, "张红", cid)
    assert [m["role"] for m in history] == ["user", "assistant"] * 2 and sorted(answers) == [1, 3]
    assert "qa-source" in sources or "江卫函" in sources
    # the restored answers are what the chat passes to ask() as history: the cited documents come back too
    pairs = [(a.question, a) for _, a in sorted(answers.items())]
    assert previous_documents(pairs) == ("000_ecc1ee3b3577c818.txt#1",)
    # a fresh chat (新对话) with the old id still in the browser starts a new conversation
    assert save_turns(store, "张红", cid, {1: answer("托育机构有哪些措施？")}) != cid
    fresh = save_turns(store, "张红", cid, {1: answer("托育机构有哪些措施？"), 3: answer("那东西湖区呢？")})
    assert fresh != cid and store.get("张红", fresh).messages == 4  # as many turns as saved, but another chat
    assert next(label for label, _ in conversation_choices(store, "张红", "托育")).startswith("托育机构有哪些措施？")
    path = export_file(store, "张红", cid, "docx")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(path.read_bytes())).paragraphs]
    assert "问题2：那东西湖区呢？" in paragraphs
    assert export_file(store, "张红", cid, "md").read_text(encoding="utf-8").startswith("# 江夏区")


def test_empty_states_are_chinese(service: Service) -> None:
    assert list_note([], "") == EMPTY_LIST and list_note([], " 托育 ") == "没有找到包含“托育”的对话。"
    assert conversation_choices(store_of(service), "nobody") == []


def test_panel_builds_and_its_handlers_save_and_load(service: Service) -> None:
    with gr.Blocks() as demo:
        chatbot = gr.Chatbot()
        answers = gr.State({})
        sources = gr.HTML()
        panel = make_conversation_panel(service, chatbot, answers, sources)
    assert panel["list"] in demo.blocks.values()
    cid, listing = panel["persist"](None, {1: answer()}, USER)
    assert isinstance(cid, int) and listing["value"] == cid
    loaded = panel["load"](cid, USER)
    assert loaded[5] == cid and len(loaded[2]) == 2 and loaded[6] == "江夏区如何推进中医药文化进校园？"
    other = panel["load"](cid, SimpleNamespace(username="李明"))  # another user's id in this browser: nothing
    assert other[5] is None and other[2] == [] and other[1] == EMPTY_LIST


def test_feedback_form_records_a_vote_and_the_reason(service: Service) -> None:
    with gr.Blocks():
        form = make_feedback_form(service)
    chat = {1: answer()}
    shown, pending = form["on_like"](chat, gr.LikeData(None, {"index": 1, "value": "", "liked": False}), USER)
    assert shown["visible"] is True and isinstance(pending, int)
    store = feedback_of(service)
    assert store.get(pending).vote == -1 and store.get(pending).owner == "张红"
    store.amend(pending, reason="漏了种植园", correction="建设中医药种植园。")
    hidden, none = form["on_like"](chat, gr.LikeData(None, {"index": 1, "value": "", "liked": True}), USER)
    assert hidden["visible"] is False and none is None and len(store.list()) == 2


def test_feedback_tab_imports_the_old_file(service: Service) -> None:
    record = {"time": "2025-05-01T10:00:00", "liked": True, "user": "", **answer().to_dict()}
    service.settings.data_dir.mkdir(parents=True)
    (service.settings.data_dir / "feedback.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n")
    for _ in range(2):  # a restart does not import it twice
        with gr.Blocks(), gr.Tab("反馈"):
            tab = make_feedback_tab(service)
    rows, note = tab["rows"]("赞")
    assert len(rows) == 1 and rows[0][2] == "-" and note == ""


def test_feedback_tab_lists_and_escapes(service: Service) -> None:
    with gr.Blocks(), gr.Tab("反馈"):
        empty = make_feedback_tab(service)
    assert empty["rows"]("全部") == ([], EMPTY)
    store = feedback_of(service)
    fid = store.add("张红", answer("<img src=x> 怎么办？", "**粗** [链接](http://x)[1]"), -1, reason="<b>错</b>")
    rows, note = empty["rows"]("踩")
    assert rows[0][:4] == [fid, rows[0][1], "张红", "👎"] and note == ""
    assert empty["rows"]("已审核答复") == ([], "没有“已审核答复”的反馈。")
    shown = detail_markdown(store.get(fid))
    assert "<img" not in shown and "<b>" not in shown and "](http" not in shown and "江卫函〔2024〕22号" in shown
    assert feedback_rows([store.get(fid)])[0][-1] == "未处理"
