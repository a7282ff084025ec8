"""The 文档库 tab: the indexed documents with each file's state, index and embedding status, uploads, deletion.

An upload goes live as text in seconds (BM25 and metadata: searchable and answerable at once); its state reads
向量化中 n/m while the background embedder computes its vectors, then 已索引 (hybrid search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.web import format as fmt
from qa.web.notify import warn
from qa.web.review import chinese_reason
from qa.web.service import Service

TRACK_TQDM = gr.Progress(track_tqdm=True)  # the index build's tqdm bars become the page's progress bar
STATE_COLUMN = "状态"  # 已索引, or 向量化中 n/m while the file's chunks wait for vectors


def file_states(idx: Any) -> dict[str, str]:
    """State of each indexed file, by file name and by path: 已索引 or 向量化中 n/m."""
    from qa.index.worker import file_progress

    states: dict[str, str] = {}
    for key, (done, total) in file_progress(idx).items():
        state = "已索引" if done >= total else f"向量化中 {done}/{total}"
        states[key] = states[Path(key).name] = state
    return states


def document_rows(idx: Any, origins: dict[str, str] | None = None) -> list[list[str]]:
    """The library table: fmt.document_rows plus each document's file state and origin (官方文件 / 上传：…)."""
    docs = list(idx.documents())
    states = file_states(idx) if hasattr(idx, "manifest") else {}
    rows = fmt.document_rows(docs)
    source = fmt.DOC_COLUMNS.index("来源文件")
    origins = origins or {}
    return [
        [*row, origins.get(doc, "官方文件"), states.get(row[source], states.get(Path(str(row[source])).name, "已索引"))]
        for row, (doc, _meta) in zip(rows, docs, strict=True)
    ]


def status_markdown(service: Service, idx: Any) -> str:
    """Index status plus the embedding progress line (embedded/total, rate, time left)."""
    from qa.index.worker import describe_status

    docs = idx.documents()
    manifest = getattr(idx, "manifest", None) or {}
    text = fmt.index_status_markdown(manifest, len(docs), len(idx.chunks))
    status = service.embedding_status(manifest or None)
    return text + (f"<br>**向量：** {describe_status(status)}" if status else "")


def _report_text(report: Any, stored: list[str], rejected: list[str]) -> str:
    lines = [f"已上传并索引：{'、'.join(stored)}"] if stored else []
    if stored and getattr(report, "pending", 0):
        lines.append(f"已可检索（关键词）；{report.pending} 个片段的向量正在后台计算，完成后自动切换为混合检索。")
    lines += [f"未上传：{r}" for r in rejected]
    for error in getattr(report, "errors", None) or []:
        where, reason = error if isinstance(error, tuple) and len(error) == 2 else (error, "")
        lines.append(f"索引时跳过：{Path(str(where)).name}：{chinese_reason(reason)}")
    return "\n".join(lines) or "没有文件被处理。"


def make_library(service: Service):
    """The library's handlers: view (everything that shows the index), upload, delete, and the uploaded names."""

    def uploaded_names(request: gr.Request | None = None) -> list[str]:
        """The uploads (indexed or waiting for review) this user may delete: their own; every one for an admin."""
        return service.guard.desk.deletable(service.guard.user(request))

    def rows(idx: Any) -> list[list[str]]:
        return document_rows(idx, service.guard.doc_origins(getattr(idx, "manifest", None)))

    def view(request: gr.Request) -> tuple[Any, ...]:
        """Everything that changes when the index changes: table, status, choices of filters and deletion."""
        try:
            idx = service.index()
        except QAError as err:  # e.g. the index folder was removed under a running app
            empty = gr.update(choices=[("全部", fmt.ALL)])
            choices = gr.update(choices=uploaded_names(request))
            return [], f"**索引不可用：** {err}", choices, empty, empty, empty, str(err)
        docs = list(idx.documents())
        choices = fmt.filter_choices(docs)
        return (
            rows(idx),
            status_markdown(service, idx),
            gr.update(choices=uploaded_names(request), value=None),
            gr.update(choices=fmt.dropdown_choices("全部机关", choices["agency"])),
            gr.update(choices=fmt.dropdown_choices("全部类别", choices["kind"])),
            gr.update(choices=fmt.dropdown_choices("全部年份", choices["year"])),
            service.status_line(),
        )

    def progress_view(shown: str | None) -> tuple[Any, ...]:
        """What the page's timer refreshes: the index status and status line, and the table (file states) only
        when another version went live since this page last drew it (shown: that version's name)."""
        try:
            idx = service.index()
        except QAError as err:
            return gr.skip(), f"**索引不可用：** {err}", str(err), shown
        version = str(getattr(idx, "version", ""))
        table = gr.skip() if version == shown else rows(idx)
        return table, status_markdown(service, idx), service.status_line(), version

    def upload(files: list[str] | None, request: gr.Request, progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Check, version and store uploaded files (into review, or live and indexed); report in the status box."""
        if not files:
            warn("请先选择要上传的文件。")
            return ("请先选择要上传的文件。", None, *view(request))
        guard = service.guard
        try:
            result = guard.desk.submit(files, guard.user(request), guard.ip(request))
        except QAError as err:  # the role may not upload
            warn(str(err))
            return (str(err), None, *view(request))
        stored, failed = [u.stored_name for u in result.live], []
        report = None
        if stored:
            progress(0, desc="正在索引新文件…")
            try:
                report = service.rebuild(progress=True)
            except QAError as err:
                failed.append(f"索引失败：{err}")
            stored = guard.desk.settle(report, stored)
        parts = [_report_text(report, stored, failed) if stored or failed or report else "", result.message()]
        message = "\n".join(p for p in parts if p) or "没有文件被处理。"
        if result.rejected or failed or getattr(report, "errors", None):
            warn("部分文件未能上传，原因见“操作结果”。")
        return (message, None, *view(request))

    def delete(name: str | None, request: gr.Request, progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Remove one upload (own, or any for an admin) and drop its documents from the index."""
        if not name:
            warn("请选择要删除的上传文件。")
            return ("请选择要删除的上传文件。", *view(request))
        guard = service.guard
        try:
            indexed = guard.desk.delete(name, guard.user(request), guard.ip(request))
        except QAError as err:
            warn(str(err))
            return (f"无法删除：{err}", *view(request))
        if not indexed:
            return (f"已删除待审核文件“{name}”。", *view(request))
        progress(0, desc="正在更新索引…")
        try:
            service.rebuild(progress=True)
        except QAError as err:
            return (f"已删除文件，但索引更新失败：{err}", *view(request))
        return (f"已删除“{name}”并更新索引。", *view(request))

    return view, upload, delete, uploaded_names, progress_view
