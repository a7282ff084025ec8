"""Feedback on the page: the thumbs in the chat (a thumbs-down asks for a reason and the correct passage or answer),
and the admin's 反馈 tab listing it, where one click turns an item into a gold-set candidate (JSON lines in the
format of eval/gold.jsonl) or a reviewed answer, served with its citations for the same question later.

`make_feedback_form` goes in the chat tab (its `on_like` replaces qa.web.chat.make_feedback); `make_feedback_tab`
builds the admin tab. The pure views below them are tested directly.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.records import Answer
from qa.store import store_location
from qa.store.feedback import GOLD, REVIEWED, FeedbackItem, FeedbackStore, Stores
from qa.web import format as fmt
from qa.web.notify import info, warn

COLUMNS = ["编号", "时间", "用户", "评价", "问题", "理由", "处理"]
VIEWS = {"全部": {}, "踩": {"vote": -1}, "赞": {"vote": 1}, "未处理": {"status": ""}, GOLD: {"status": GOLD},
         REVIEWED: {"status": REVIEWED}}  # fmt: skip
EMPTY = "还没有反馈。问答页中点击回答下方的 👍/👎 即可反馈。"
IsAdmin = Callable[[gr.Request], bool]


def feedback_of(service: Any) -> FeedbackStore:
    return Stores.at(store_location(service.settings)).feedback


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def feedback_rows(items: list[FeedbackItem]) -> list[list[Any]]:
    """The table rows: number, time, user, 👍/👎, question, reason, what was done with it (plain text)."""
    return [
        [i.id, i.created_at[:16].replace("T", " "), i.owner or "-", "👍" if i.vote > 0 else "👎", _clip(i.question),
         _clip(i.reason, 40) or "-", i.status.replace(",", "、") or "未处理"]
        for i in items
    ]  # fmt: skip


def detail_markdown(item: FeedbackItem) -> str:
    """One item in full: question, answer, numbered citations, the user's reason and correction (all escaped)."""
    e = fmt.escape_markdown
    lines = [f"**问题：** {e(item.question)}", "", f"**回答：** {e(item.answer)}", ""]
    if item.citations:
        lines.append("**引用：**")
        for c in item.citations:
            where = "；".join(x for x in (c.get("doc_no", ""), c.get("section", ""),
                                          f"第{c['page']}页" if c.get("page") else "") if x)  # fmt: skip
            lines.append(f"- \\[{c.get('n', '')}\\] {e(c.get('title') or c.get('source', ''))}（{e(where)}）："
                         f"“{e(c.get('quote', ''))}”")  # fmt: skip
    else:
        lines.append("**引用：** 无")
    lines += ["", f"**评价：** {'👍 有用' if item.vote > 0 else '👎 无用'}　**用户：** {e(item.owner or '-')}"]
    if item.reason:
        lines.append(f"**理由：** {e(item.reason)}")
    if item.correction:
        lines.append(f"**用户给出的正确内容：** {e(item.correction)}")
    if item.status:
        lines.append(f"**已处理：** {e(item.status.replace(',', '、'))}（{e(item.reviewer or '-')}）")
    return "\n".join(lines)


def make_feedback_form(service: Any) -> dict[str, Any]:
    """The thumbs-down form under the chat (hidden until a 👎); returns components and the like handler.

    Wiring: ``chatbot.like(form["on_like"], [answers], [form["box"], form["pending"]])``.
    """
    store = feedback_of(service)
    pending = gr.State(None)
    with gr.Group(visible=False) as box:
        gr.Markdown("**这条回答哪里不对？**（可选填写，帮助改进回答）")
        reason = gr.Textbox(label="原因", placeholder="例如：漏了重点措施、引用的文件不对、数字有误", max_lines=3,
                            max_length=2000)  # fmt: skip
        correction = gr.Textbox(label="正确的原文或答案", lines=3, max_lines=8, max_length=20000,
                                placeholder="可粘贴文件中的正确段落，或写出正确答案")  # fmt: skip
        with gr.Row():
            send = gr.Button("提交", variant="primary", size="sm")
            skip = gr.Button("不填写", size="sm")

    def on_like(chat_answers: dict[int, Answer], evt: gr.LikeData, request: gr.Request):
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        answer = (chat_answers or {}).get(index)
        if answer is None or evt.liked not in (True, False):
            return gr.skip(), gr.skip()
        owner = getattr(request, "username", None) or ""
        try:
            fid = store.add(owner, answer, 1 if evt.liked else -1)
        except QAError as err:
            warn(f"反馈未能保存：{err}")
            return gr.skip(), gr.skip()
        if evt.liked:
            info("感谢反馈，已记录。")
            return gr.update(visible=False), None
        info("已记录。可在下方说明原因或给出正确内容。")
        return gr.update(visible=True), fid

    def submit(fid: int | None, why: str, right: str):
        if fid is None:
            return gr.update(visible=False), None, "", ""
        try:
            store.amend(int(fid), reason=why, correction=right)
        except QAError as err:
            warn(f"补充说明未能保存：{err}")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        info("感谢补充，管理员审核后会用于改进回答。")
        return gr.update(visible=False), None, "", ""

    send.click(submit, [pending, reason, correction], [box, pending, reason, correction], api_visibility="private")
    skip.click(lambda: (gr.update(visible=False), None, "", ""), None, [box, pending, reason, correction],
               api_visibility="private", queue=False)  # fmt: skip
    return {"box": box, "pending": pending, "reason": reason, "correction": correction, "on_like": on_like}


def make_feedback_tab(service: Any, is_admin: IsAdmin | None = None) -> dict[str, Any]:
    """The 反馈 tab's content (call inside ``with gr.Tab("反馈")``): the list, one item, and what to do with it.

    `is_admin(request)` guards the actions when given (the page shows the tab to admins only either way).
    """
    store = feedback_of(service)
    old_file = service.settings.data_dir / "feedback.jsonl"  # what the page wrote before the store; idempotent
    if old_file.is_file():
        try:
            store.import_jsonl(old_file)
        except QAError as err:
            print(f"旧反馈文件未能导入：{err}", flush=True)
    with gr.Row():
        view = gr.Dropdown(label="显示", choices=list(VIEWS), value="全部", scale=1)
        reload = gr.Button("刷新", size="sm", scale=0, min_width=80)
        export = gr.Button("导出金标候选（JSONL）", size="sm", scale=0, min_width=180)
    first = feedback_rows(store.list())
    note = gr.Markdown("" if first else EMPTY)
    table = gr.Dataframe(value=first or None, headers=COLUMNS, interactive=False, wrap=True, label="反馈",
                         elem_id="qa-feedback")  # fmt: skip
    chosen = gr.State(None)
    detail = gr.Markdown("选择一行查看问题、回答和引用。")
    with gr.Row():
        keywords = gr.Textbox(label="答案关键词（金标用，逗号分隔）", max_lines=1, scale=3)
        answerable = gr.Checkbox(label="文档库可回答", value=True, scale=1)
        to_gold = gr.Button("设为金标候选", scale=1)
    with gr.Row():
        reviewed_text = gr.Textbox(label="已审核答复的内容（默认取用户给出的正确内容，否则原回答；可用 [n] 引用）",
                                   lines=4, max_lines=12, scale=4)  # fmt: skip
        to_reviewed = gr.Button("设为已审核答复", variant="primary", scale=1)
    gold_file = gr.File(label="金标候选（JSON lines，可追加到 eval/gold.jsonl）", interactive=False, visible=False)

    def rows(name: str):
        items = store.list(**VIEWS.get(name, {}))
        return feedback_rows(items), "" if items else (EMPTY if name == "全部" else f"没有“{name}”的反馈。")

    def allowed(request: gr.Request) -> bool:
        if is_admin is not None and not is_admin(request):
            warn("只有管理员可以处理反馈。")
            return False
        return True

    def select(data: Any, evt: gr.SelectData):
        try:
            row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
            item = store.get(int(data.iloc[row, 0] if hasattr(data, "iloc") else data[row][0]))
        except (QAError, IndexError, KeyError, ValueError, TypeError):
            return None, "这条反馈已不存在，请刷新。", ""
        return item.id, detail_markdown(item), item.correction or item.answer

    def gold(fid: int | None, words: str, can: bool, name: str, request: gr.Request):
        if fid is None:
            warn("请先在表格中选择一条反馈。")
            return gr.skip(), gr.skip(), gr.skip()
        if not allowed(request):
            return gr.skip(), gr.skip(), gr.skip()
        split = [w for w in words.replace("，", ",").replace("、", ",").split(",")]
        try:
            store.make_gold(int(fid), getattr(request, "username", None) or "", keywords=split, answerable=can)
        except QAError as err:
            warn(f"未能设为金标候选：{err}")
            return gr.skip(), gr.skip(), gr.skip()
        info("已设为金标候选，可导出为 JSON lines。")
        return (*rows(name), detail_markdown(store.get(int(fid))))

    def reviewed(fid: int | None, text: str, name: str, request: gr.Request):
        if fid is None:
            warn("请先在表格中选择一条反馈。")
            return gr.skip(), gr.skip(), gr.skip()
        if not allowed(request):
            return gr.skip(), gr.skip(), gr.skip()
        try:
            store.make_reviewed(int(fid), getattr(request, "username", None) or "", text)
        except QAError as err:
            warn(f"未能设为已审核答复：{err}")
            return gr.skip(), gr.skip(), gr.skip()
        info("已设为已审核答复：以后相同或几乎相同的问题将直接给出这条答复（标注“已审核答复”）。")
        return (*rows(name), detail_markdown(store.get(int(fid))))

    def export_gold(request: gr.Request):
        if not allowed(request):
            return gr.update(visible=False, value=None)
        text = store.gold_jsonl()
        if not text:
            warn("还没有金标候选：先在表格中选择反馈并点“设为金标候选”。")
            return gr.update(visible=False, value=None)
        path = Path(tempfile.mkdtemp(prefix="qa-gold-")) / "gold_candidates.jsonl"
        path.write_text(text, encoding="utf-8")
        return gr.update(visible=True, value=str(path))

    view.change(rows, [view], [table, note], api_visibility="private")
    reload.click(rows, [view], [table, note], api_visibility="private")
    table.select(select, [table], [chosen, detail, reviewed_text], api_visibility="private")
    to_gold.click(gold, [chosen, keywords, answerable, view], [table, note, detail], api_visibility="private")
    to_reviewed.click(reviewed, [chosen, reviewed_text, view], [table, note, detail], api_visibility="private")
    export.click(export_gold, None, [gold_file], api_visibility="private")
    return {"table": table, "view": view, "note": note, "detail": detail, "rows": rows, "file": gold_file}
