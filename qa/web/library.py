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
from qa.web.service import Service
from qa.web.uploads import drop_unindexed, safe_filename, store_uploads

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


def document_rows(idx: Any) -> list[list[str]]:
    """The library table: fmt.document_rows plus each document's file state."""
    docs = list(idx.documents())
    states = file_states(idx) if hasattr(idx, "manifest") else {}
    rows = fmt.document_rows(docs)
    source = fmt.DOC_COLUMNS.index("来源文件")
    return [[*row, states.get(row[source], states.get(Path(str(row[source])).name, "已索引"))] for row in rows]


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
        lines.append(f"索引时跳过：{Path(str(where)).name}：{reason}")
    return "\n".join(lines) or "没有文件被处理。"


def make_library(service: Service):
    """The library's handlers: view (everything that shows the index), upload, delete, and the uploaded names."""

    def uploaded_names() -> list[str]:
        folder = service.uploads_dir
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    def view() -> tuple[Any, ...]:
        """Everything that changes when the index changes: table, status, choices of filters and deletion."""
        try:
            idx = service.index()
        except QAError as err:  # e.g. the index folder was removed under a running app
            empty = gr.update(choices=[("全部", fmt.ALL)])
            return [], f"**索引不可用：** {err}", gr.update(choices=uploaded_names()), empty, empty, empty, str(err)
        docs = list(idx.documents())
        choices = fmt.filter_choices(docs)
        return (
            document_rows(idx),
            status_markdown(service, idx),
            gr.update(choices=uploaded_names(), value=None),
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
        table = gr.skip() if version == shown else document_rows(idx)
        return table, status_markdown(service, idx), service.status_line(), version

    def upload(files: list[str] | None, progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Check, store and index uploaded files incrementally; report what happened in the status box."""
        if not files:
            warn("请先选择要上传的文件。")
            return ("请先选择要上传的文件。", None, *view())
        stored, rejected = store_uploads(files, service.uploads_dir, service.settings.upload_max_mb)
        report = None
        if stored:
            progress(0, desc="正在索引新文件…")
            try:
                report = service.rebuild(progress=True)
            except QAError as err:
                rejected.append(f"索引失败：{err}")
            stored = drop_unindexed(report, service.uploads_dir, stored)
        message = _report_text(report, stored, rejected)
        if rejected:
            warn("部分文件未能上传，原因见“操作结果”。")
        return (message, None, *view())

    def delete(name: str | None, progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Remove one uploaded file and drop its documents from the index."""
        if not name:
            warn("请选择要删除的上传文件。")
            return ("请选择要删除的上传文件。", *view())
        try:
            target = service.uploads_dir / safe_filename(name)
        except QAError as err:
            return (f"无法删除：{err}", *view())
        if not target.is_file():
            return (f"上传文件“{name}”不存在（只能删除上传的文件，种子文件不能删除）。", *view())
        target.unlink()
        progress(0, desc="正在更新索引…")
        try:
            service.rebuild(progress=True)
        except QAError as err:
            return (f"已删除文件，但索引更新失败：{err}", *view())
        return (f"已删除“{target.name}”并更新索引。", *view())

    return view, upload, delete, uploaded_names, progress_view
