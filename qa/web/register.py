"""The 办理台账 tab: the handling-list register — list (sortable, due and overdue highlighted, filtered by status
and owner), import a list, open a proposal (its precedents and an editable draft), save a revision, change status
in one click, assign, and export the selection as a zip of .docx.

Everything shown from a list or a document is escaped (qa.web.format); messages are Chinese.
"""

from __future__ import annotations

import html
import tempfile
import threading
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from qa.errors import QAError
from qa.store import store_location
from qa.store.register import STATUSES, Entry, Register, open_register
from qa.web.format import escape_markdown
from qa.web.notify import info, warn

COLUMNS = ["序号", "编号", "标题", "提出人", "类别", "状态", "承办人", "办理期限", "剩余天数"]
DUE_SOON = 7  # days: highlighted as due soon
OVERDUE_STYLE = "background-color: #fde2e1; color: #9b1c1c"
SOON_STYLE = "background-color: #fff4d6"
_REGISTERS: dict[str, Register] = {}
_LOCK = threading.Lock()


def register_of(service: Any) -> Register:
    """The register in the service's data folder, opened once per process (connections are per thread)."""
    location = store_location(service.settings)
    with _LOCK:
        if location not in _REGISTERS:
            _REGISTERS[location] = open_register(location)
        return _REGISTERS[location]


def _user(request: gr.Request | None) -> str:
    return (getattr(request, "username", None) or "网页用户") if request is not None else "网页用户"


# --- pure views -----------------------------------------------------------------------------------------------


def due_text(entry: Entry, today: date | None = None) -> str:
    days = entry.days_left(today)
    if days is None or entry.status == "已答复":
        return "" if days is None else "已答复"
    return f"逾期{-days}天" if days < 0 else ("今天到期" if days == 0 else f"{days}天")


def table_rows(entries: list[Entry], today: date | None = None) -> pd.DataFrame:
    """The register as the table shows it (plain text cells: the table renders no markup)."""
    rows = [
        [e.id, e.number, e.title, e.proposers, e.kind or e.category, e.status, e.owner, e.deadline, due_text(e, today)]
        for e in entries
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def styled(frame: pd.DataFrame) -> Any:
    """Overdue rows red, rows due within DUE_SOON days amber."""

    def color(row: pd.Series) -> list[str]:
        label = str(row["剩余天数"])
        soon = label == "今天到期" or (label.endswith("天") and label[:-1].isdigit() and int(label[:-1]) <= DUE_SOON)
        style = OVERDUE_STYLE if label.startswith("逾期") else (SOON_STYLE if soon else "")
        return [style] * len(row)

    return frame.style.apply(color, axis=1) if len(frame) else frame


def detail_markdown(entry: Entry) -> str:
    """The proposal's fields and text, escaped."""
    fields = [("编号", entry.number), ("类别", entry.kind or entry.category), ("提出人", entry.proposers),
              ("会议", entry.meeting), ("主办单位", entry.lead_unit), ("协办单位", entry.assist_units),
              ("办理期限", f"{entry.deadline} {due_text(entry)}".strip()), ("状态", entry.status),
              ("承办人", entry.owner)]  # fmt: skip
    lines = [f"### {escape_markdown(entry.title)}"]
    lines += [f"**{label}：** {escape_markdown(value or '—')}" for label, value in fields]
    body = escape_markdown(entry.body).replace("\n", "<br>") if entry.body else "（清单未提供正文）"
    return "\n\n".join([*lines, f"**内容：**<br>{body}"])


def precedents_block(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<div class="qa-empty">尚未起草：点击“查找先例并起草”。</div>'
    items = "".join(
        f"<li>{html.escape(r['agency'] or '')}《{html.escape(r['title'] or r['doc_id'])}》"
        f"{'（第' + html.escape(r['proposal_no']) + '号）' if r['proposal_no'] else ''}"
        f' <span class="qa-score">得分 {float(r["score"]):.2f}</span></li>'
        for r in rows
    )
    return f'<div class="qa-sources"><div class="qa-sources-title">相似的既往答复</div><ol>{items}</ol></div>'


def history_markdown(register: Register, proposal_id: int) -> str:
    revisions = register.revisions(proposal_id)
    if not revisions:
        return "尚无草稿。"
    lines = [
        f"- 第{r.revision}版　{escape_markdown(r.author)}　{escape_markdown(r.created_at)}"
        + (f"　{escape_markdown(r.note)}" if r.note else "")
        for r in reversed(revisions)
    ]
    return "**修改记录：**\n\n" + "\n".join(lines)


# --- the tab --------------------------------------------------------------------------------------------------


def make_register_tab(service: Any) -> dict[str, Any]:
    """Build the tab's components and events inside the caller's open gr.Blocks / gr.Tab; returns the components."""

    def current_rows(status: str = "", owner: str = "", due: str = "") -> Any:
        try:
            entries = register_of(service).entries(
                status=status or (), owner=owner or "", due_within=int(due) if due else None
            )
        except QAError as err:
            warn(f"台账无法读取：{err}")
            entries = []
        return styled(table_rows(entries))

    def owner_choices() -> list[tuple[str, str]]:
        try:
            owners = register_of(service).owners()
        except QAError:
            owners = []
        return [("全部承办人", ""), *((o, o) for o in owners)]

    def selection_choices() -> list[tuple[str, int]]:
        try:
            return [(f"#{e.id} {e.title[:30]}", e.id) for e in register_of(service).entries()]
        except QAError:
            return []

    with gr.Row():
        f_status = gr.Dropdown(label="状态", choices=[("全部状态", ""), *((s, s) for s in STATUSES)], value="", scale=1)
        f_owner = gr.Dropdown(label="承办人", choices=owner_choices(), value="", allow_custom_value=True, scale=1)
        f_due = gr.Dropdown(label="期限", choices=[("全部", ""), ("7天内到期（含逾期）", "7"),
                                                    ("30天内到期（含逾期）", "30")], value="", scale=1)  # fmt: skip
        refresh = gr.Button("刷新", scale=0, min_width=80)
    table = gr.Dataframe(
        value=current_rows, headers=COLUMNS, interactive=False, wrap=True, elem_id="qa-register",
        label="办理台账（点击列名排序，点击一行打开；红色为已逾期，黄色为 7 天内到期）",
    )  # fmt: skip
    with gr.Accordion("导入交办清单（.xlsx / .csv，或粘贴表格）", open=False):
        with gr.Row(equal_height=False):
            upload = gr.File(
                label="交办清单文件", file_types=[".xlsx", ".csv", ".tsv", ".txt"], type="filepath",
                elem_id="qa-register-upload",
            )  # fmt: skip
            pasted = gr.Textbox(label="或粘贴表格（从 Excel/WPS 复制，含表头一行）", lines=5)
        with gr.Row():
            preview_btn = gr.Button("预览列的对应关系")
            import_btn = gr.Button("导入", variant="primary")
        import_msg = gr.Markdown()
    with gr.Row():
        current = gr.Number(label="当前提案序号", precision=0, value=None, scale=1)
        open_btn = gr.Button("打开", scale=0, min_width=80)
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            detail = gr.Markdown("点击上表中的一行，或输入序号后点“打开”。")
            precedents = gr.HTML()
        with gr.Column(scale=3):
            draft = gr.Textbox(label="答复草稿（可编辑；保存后新增一个版本，旧版本保留）", lines=22, max_lines=60)
            note = gr.Textbox(label="修改说明（可选）", lines=1)
            with gr.Row():
                redraft = gr.Button("查找先例并起草")
                save = gr.Button("保存修改", variant="primary")
            with gr.Row():
                status_buttons = [gr.Button(f"标为{s}", size="sm") for s in STATUSES]
            with gr.Row():
                owner_box = gr.Textbox(label="承办人", scale=3)
                assign = gr.Button("分派", scale=1)
            history = gr.Markdown()
    with gr.Row():
        chosen = gr.Dropdown(label="导出所选（不选则导出当前列表）", choices=selection_choices(), multiselect=True,
                             value=[], scale=3)  # fmt: skip
        export = gr.Button("导出为 Word 压缩包", scale=1)
        export_file = gr.File(label="压缩包", interactive=False, scale=2)

    filters = [f_status, f_owner, f_due]
    opened = [detail, precedents, draft, owner_box, history]

    def show(proposal_id: Any) -> tuple[Any, ...]:
        if not proposal_id:
            warn("请先选择一件提案。")
            return (gr.skip(),) * len(opened)
        try:
            register = register_of(service)
            entry = register.get(int(proposal_id))
            revision = register.current_draft(entry.id)
            return (detail_markdown(entry), precedents_block(register.precedents(entry.id)),
                    revision.text if revision else "", entry.owner, history_markdown(register, entry.id))  # fmt: skip
        except (QAError, ValueError) as err:
            warn(f"无法打开：{err}")
            return (gr.skip(),) * len(opened)

    def pick(evt: gr.SelectData) -> tuple[Any, ...]:
        row = evt.row_value or []
        if not row:
            return (gr.skip(),) * (1 + len(opened))
        return (int(row[0]), *show(int(row[0])))

    def refreshed(status: str, owner: str, due: str) -> tuple[Any, ...]:
        return (
            current_rows(status, owner, due),
            gr.update(choices=owner_choices()),
            gr.update(choices=selection_choices()),
        )

    def do_import(path: str | None, text: str, *, store: bool = True) -> str:
        from qa.draft.handling import read_handling_list

        if not path and not (text or "").strip():
            warn("请上传交办清单文件或粘贴表格。")
            return gr.skip()
        try:
            listing = read_handling_list(Path(path)) if path else read_handling_list(text=text)
            if not store:
                return "<br>".join(
                    escape_markdown(line) for line in [*listing.preview().splitlines(), "（预览，未导入）"]
                )
            register = register_of(service)
            created = sum(
                register.upsert({**r.values, "source": listing.source}, actor="网页")[1] for r in listing.rows
            )
        except QAError as err:
            warn(f"导入失败：{err}")
            return escape_markdown(f"导入失败：{err}")
        info(f"已导入 {len(listing.rows)} 件（新增 {created} 件）。")
        return "<br>".join(escape_markdown(line) for line in listing.preview().splitlines())

    def do_save(proposal_id: Any, text: str, why: str, request: gr.Request) -> tuple[Any, ...]:
        if not proposal_id or not (text or "").strip():
            warn("请先打开一件提案并填写草稿。")
            return gr.skip(), gr.skip()
        try:
            register = register_of(service)
            revision = register.save_draft(int(proposal_id), text, author=_user(request), note=why or "")
        except QAError as err:
            warn(f"保存失败：{err}")
            return gr.skip(), gr.skip()
        info(f"已保存为第{revision.revision}版。")
        return history_markdown(register, int(proposal_id)), ""

    def do_draft(proposal_id: Any) -> tuple[Any, ...]:
        from qa.draft.batch import draft_all

        if not proposal_id:
            warn("请先选择一件提案。")
            return (gr.skip(),) * len(opened)
        try:
            report = draft_all(
                register_of(service), retriever=service.retriever, settings=service.settings,
                generator=service.generator, ids=[int(proposal_id)], force=True, progress=False, note="网页起草",
            )  # fmt: skip
        except QAError as err:
            warn(f"起草失败：{err}")
            return (gr.skip(),) * len(opened)
        item = report.items[0]
        if item.error:
            warn(f"起草失败：{item.error}")
        else:
            counts = item.placeholders
            info(f"已起草第{item.revision}版：待填写 {counts['待填写']} 处，待核实 {counts['待核实']} 处。")
        return show(proposal_id)

    def set_status(status: str):
        def change(proposal_id: Any, request: gr.Request) -> Any:
            if not proposal_id:
                warn("请先选择一件提案。")
                return gr.skip()
            try:
                entry = register_of(service).set_status(int(proposal_id), status, actor=_user(request))
            except QAError as err:
                warn(f"状态未更改：{err}")
                return gr.skip()
            info(f"#{entry.id} 已标为{status}。")
            return detail_markdown(entry)

        return change

    def do_assign(proposal_id: Any, owner: str, request: gr.Request) -> Any:
        if not proposal_id:
            warn("请先选择一件提案。")
            return gr.skip()
        try:
            entry = register_of(service).assign(int(proposal_id), owner or "", actor=_user(request))
        except QAError as err:
            warn(f"分派失败：{err}")
            return gr.skip()
        info(f"#{entry.id} 已分派给 {entry.owner or '（无人）'}。")
        return detail_markdown(entry)

    def do_export(ids: list[int] | None, status: str, owner: str, due: str) -> Any:
        from qa.draft.batch import export_zip

        try:
            register = register_of(service)
            if not ids:
                ids = [e.id for e in register.entries(status=status or (), owner=owner or "",
                                                       due_within=int(due) if due else None)]  # fmt: skip
            path = Path(tempfile.mkdtemp(prefix="qa-register-")) / "答复草稿.zip"
            export_zip(register, [int(i) for i in ids], path)
        except QAError as err:
            warn(f"导出失败：{err}")
            return None
        info("已生成压缩包（没有草稿的提案不在其中）。")
        return str(path)

    private: dict[str, Any] = {"api_visibility": "private"}
    list_outputs = [table, f_owner, chosen]
    for trigger in (refresh.click, f_status.change, f_owner.change, f_due.change):
        trigger(refreshed, filters, list_outputs, **private)
    table.select(pick, None, [current, *opened], **private)
    open_btn.click(show, [current], opened, **private)
    preview_btn.click(lambda path, text: do_import(path, text, store=False), [upload, pasted], [import_msg], **private)
    import_btn.click(do_import, [upload, pasted], [import_msg], **private).then(
        refreshed, filters, list_outputs, **private
    )
    save.click(do_save, [current, draft, note], [history, note], **private).then(
        refreshed, filters, list_outputs, **private
    )
    redraft.click(do_draft, [current], opened, **private).then(refreshed, filters, list_outputs, **private)
    for button, status in zip(status_buttons, STATUSES, strict=True):
        button.click(set_status(status), [current], [detail], **private).then(
            refreshed, filters, list_outputs, **private
        )
    assign.click(do_assign, [current, owner_box], [detail], **private).then(refreshed, filters, list_outputs, **private)
    export.click(do_export, [chosen, *filters], [export_file], **private)
    return {"table": table, "current": current, "draft": draft, "detail": detail, "export_file": export_file}
