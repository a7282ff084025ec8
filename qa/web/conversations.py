"""Saved conversations in the 问答 tab: each user's list (search, rename, delete), restoring one into the chat, the
turns saved as they are answered, and export of the open conversation to Word or Markdown.

`make_conversation_panel` builds the panel inside the chat tab and returns its components and handlers; the chat
tab wires them (see the handlers' docstrings). The pure helpers below it need no page and are tested directly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.records import Answer
from qa.store import store_location
from qa.store.conversations import Conversations
from qa.store.feedback import Stores
from qa.web import format as fmt
from qa.web.export import conversation_docx, conversation_markdown, export_filename
from qa.web.notify import info, warn

ANONYMOUS = "本机用户"  # the owner of conversations when the page has no login
EMPTY_LIST = "还没有保存的对话：提问后，对话会自动保存在这里。"
NO_MATCH = "没有找到包含“{}”的对话。"


def owner_of(request: gr.Request | None) -> str:
    return (getattr(request, "username", None) or ANONYMOUS) if request is not None else ANONYMOUS


def store_of(service: Any) -> Conversations:
    return Stores.at(store_location(service.settings)).conversations


def conversation_choices(store: Conversations, owner: str, query: str = "") -> list[tuple[str, int]]:
    """(label, id) of the owner's conversations, latest first: title · date · number of questions."""
    return [
        (f"{c.title}　·　{c.updated_at[:10]}　·　{c.messages // 2} 问", c.id) for c in store.list(owner, query or "")
    ]


def list_note(choices: list, query: str) -> str:
    if choices:
        return ""
    return NO_MATCH.format(" ".join(query.split())) if query and query.strip() else EMPTY_LIST


def restore(store: Conversations, owner: str, conversation_id: int) -> tuple[list[dict], dict[int, Answer], str]:
    """The chatbot messages, the answers by chatbot slot and the sources panel of a saved conversation."""
    history: list[dict[str, Any]] = []
    answers: dict[int, Answer] = {}
    for answer in store.answers(owner, conversation_id):
        history.append({"role": "user", "content": fmt.question_markdown(answer.question)})
        history.append({"role": "assistant", "content": fmt.answer_markdown(answer)})
        answers[len(history) - 1] = answer
    last = answers[max(answers)] if answers else None
    sources = fmt.answer_sources_html(last) if last else fmt.sources_placeholder()
    return history, answers, sources


def save_turns(store: Conversations, owner: str, conversation_id: int | None, answers: dict[int, Answer]) -> int | None:
    """Save the answers of the chat not saved yet; returns the conversation's id (a new one for a new chat).

    The chat's answers are the saved ones plus what was asked since; when they do not begin with the saved
    questions the chat was started afresh (新对话, cleared), so they open a new conversation.
    """
    ordered = [answers[k] for k in sorted(answers or {})]
    if not ordered:
        return conversation_id
    saved: list[str] = []
    if conversation_id is not None:
        try:
            saved = [a.question for a in store.answers(owner, int(conversation_id))]
        except QAError:  # deleted meanwhile, or another user's id in this browser
            conversation_id, saved = None, []
    if [a.question for a in ordered[: len(saved)]] != saved:  # not a continuation of the saved one
        conversation_id, saved = None, []
    for answer in ordered[len(saved) :]:
        conversation_id = store.add_turn(owner, conversation_id, answer)
    return conversation_id


def export_file(store: Conversations, owner: str, conversation_id: int, kind: str) -> Path:
    """The conversation written to a fresh temporary file (.docx or .md) for the page to offer."""
    conversation = store.get(owner, conversation_id)
    answers = store.answers(owner, conversation_id)
    folder = Path(tempfile.mkdtemp(prefix="qa-export-"))
    path = folder / export_filename(conversation.title, kind)
    if kind == "docx":
        path.write_bytes(conversation_docx(conversation.title, answers))
    else:
        path.write_text(conversation_markdown(conversation.title, answers), encoding="utf-8")
    return path


def make_conversation_panel(service: Any, chatbot: gr.Chatbot, answers: gr.State, sources: gr.HTML) -> dict[str, Any]:
    """The 我的对话 panel, built where it is called (inside the chat tab's Blocks); returns components and handlers.

    Wiring (in the chat tab):
    - after each answer: ``.then(panel["persist"], [panel["current"], answers], [panel["current"], panel["list"]])``
    - 新对话: also reset ``panel["current"]`` to None (``panel["reset"]`` returns it).
    - on page load: ``demo.load(panel["load"], [panel["current"]], panel["load_outputs"])`` restores the open
      conversation after a refresh or a restart.
    """
    store = store_of(service)
    current = gr.BrowserState(None, storage_key="qa-conversation")
    with gr.Accordion("我的对话", open=False, elem_id="qa-conversations"):
        search = gr.Textbox(placeholder="搜索对话标题或内容", show_label=False, max_lines=1)
        listing = gr.Radio(choices=[], label="已保存的对话", elem_id="qa-conversation-list")
        note = gr.Markdown(EMPTY_LIST)
        with gr.Row():
            title = gr.Textbox(label="对话标题", max_lines=1, max_length=200, scale=3)
            rename = gr.Button("重命名", size="sm", scale=1)
            delete = gr.Button("删除对话", size="sm", variant="stop", scale=1)
        with gr.Row():
            to_docx = gr.Button("导出 Word", size="sm")
            to_md = gr.Button("导出 Markdown", size="sm")
        exported = gr.File(label="导出的文件", interactive=False, visible=False)

    def refresh(query: str, chosen: int | None, request: gr.Request):
        choices = conversation_choices(store, owner_of(request), query)
        value = chosen if chosen in {c[1] for c in choices} else None
        return gr.update(choices=choices, value=value), list_note(choices, query)

    def open_one(chosen: int | None, request: gr.Request):
        if chosen is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        owner = owner_of(request)
        try:
            history, restored, panel = restore(store, owner, int(chosen))
            name = store.get(owner, int(chosen)).title
        except QAError as err:
            warn(f"无法打开对话：{err}")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return history, restored, panel, int(chosen), name

    def load(chosen: int | None, request: gr.Request):
        owner = owner_of(request)
        choices = conversation_choices(store, owner)
        history, restored, panel, name = [], {}, fmt.sources_placeholder(), ""
        if chosen is not None and int(chosen) in {c[1] for c in choices}:
            history, restored, panel = restore(store, owner, int(chosen))
            name = store.get(owner, int(chosen)).title
        else:
            chosen = None
        return (gr.update(choices=choices, value=chosen), list_note(choices, ""), history, restored, panel, chosen,
                name)  # fmt: skip

    def persist(chosen: int | None, chat_answers: dict[int, Answer], request: gr.Request):
        owner = owner_of(request)
        try:
            saved = save_turns(store, owner, chosen, chat_answers)
        except QAError as err:
            warn(f"对话未能保存：{err}")
            return gr.skip(), gr.skip()
        return saved, gr.update(choices=conversation_choices(store, owner), value=saved)

    def do_rename(chosen: int | None, name: str, request: gr.Request):
        if chosen is None:
            warn("请先在列表中选择一个对话。")
            return gr.skip(), gr.skip()
        owner = owner_of(request)
        try:
            store.rename(owner, int(chosen), name)
        except QAError as err:
            warn(f"重命名失败：{err}")
            return gr.skip(), gr.skip()
        info("已重命名。")
        return gr.update(choices=conversation_choices(store, owner), value=int(chosen)), ""

    def do_delete(chosen: int | None, request: gr.Request):
        if chosen is None:
            warn("请先在列表中选择要删除的对话。")
            return (gr.skip(),) * 7
        owner = owner_of(request)
        try:
            store.delete(owner, int(chosen))
        except QAError as err:
            warn(f"删除失败：{err}")
            return (gr.skip(),) * 7
        info("对话已删除。")
        choices = conversation_choices(store, owner)
        return (gr.update(choices=choices, value=None), list_note(choices, ""), [], {}, fmt.sources_placeholder(),
                None, "")  # fmt: skip

    def do_export(kind: str):
        def run(chosen: int | None, request: gr.Request):
            if chosen is None:
                warn("请先选择或开始一个对话，再导出。")
                return gr.update(visible=False, value=None)
            try:
                path = export_file(store, owner_of(request), int(chosen), kind)
            except QAError as err:
                warn(f"导出失败：{err}")
                return gr.update(visible=False, value=None)
            return gr.update(visible=True, value=str(path))

        return run

    load_outputs = [listing, note, chatbot, answers, sources, current, title]
    search.change(refresh, [search, current], [listing, note], api_visibility="private", queue=False)
    listing.input(open_one, [listing], [chatbot, answers, sources, current, title], api_visibility="private")
    rename.click(do_rename, [current, title], [listing, note], api_visibility="private")
    delete.click(do_delete, [current], load_outputs, api_visibility="private")
    to_docx.click(do_export("docx"), [current], [exported], api_visibility="private")
    to_md.click(do_export("md"), [current], [exported], api_visibility="private")
    return {
        "current": current,
        "list": listing,
        "search": search,
        "title": title,
        "file": exported,
        "persist": persist,
        "load": load,
        "load_outputs": load_outputs,
        "reset": lambda: None,
    }
