"""The 文档库 tab: the indexed documents with each file's state, index and embedding status, uploads through the
upload queue (each upload a job with its uploader and state, cancellable while it waits or runs), deletion.

An upload goes live as text in seconds once its job runs (BM25 and metadata: searchable and answerable at once);
its state reads 向量化中 n/m while the background embedder computes its vectors, then 已索引 (hybrid search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.web import format as fmt
from qa.web.notify import warn
from qa.web.queue import DONE, JOB_COLUMNS
from qa.web.service import Service

TRACK_TQDM = gr.Progress(track_tqdm=True)  # the index build's tqdm bars become the page's progress bar
PROGRESS = gr.Progress()  # an upload's bar follows its job (qa.web.queue)
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

    def upload(files: list[str] | None, request: gr.Request, progress: gr.Progress = PROGRESS) -> tuple[Any, ...]:
        """Queue the uploaded files as one job (checked at once; refused when the queue is full) and wait for it:
        the progress bar follows the job, which anyone allowed can cancel from the queue list meanwhile."""
        if not files:
            warn("请先选择要上传的文件。")
            return ("请先选择要上传的文件。", None, *view(request))
        guard, queue = service.guard, service.upload_queue
        try:
            job, rejected = queue.submit(files, guard.user(request), guard.ip(request))
        except QAError as err:  # the role may not upload, or the queue is full: nothing was stored
            warn(str(err))
            return (str(err), None, *view(request))
        refused = [f"未上传：{r}" for r in rejected]
        if job is None:
            warn("文件未能上传，原因见“操作结果”。")
            return ("\n".join(refused), None, *view(request))
        progress(0, desc=f"上传任务 #{job.id} 已加入队列…")
        job = queue.wait(
            job.id, on_progress=lambda j: progress(j.fraction, desc=f"上传任务 #{j.id}：{queue.describe(j)}")
        )
        message = "\n".join([f"上传任务 #{job.id} {job.state}：{job.message}" if job.message else job.state, *refused])
        if rejected or job.state != DONE or "未能索引" in job.message:
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


def make_queue_panel(service: Service) -> dict[str, Any]:
    """The upload queue under the library's upload box: every job with its uploader and state, refreshed every two
    seconds, and cancelling one's own waiting or running job (any job, for an admin). Call inside the page's
    gr.Blocks; returns its components and handlers."""
    queue = service.upload_queue

    def choices(request: gr.Request | None) -> list[tuple[str, str]]:
        user = service.guard.user(request)
        return [(f"#{j.id} {'、'.join(j.names)}（{j.state}）", str(j.id)) for j in queue.cancellable(user)]

    def jobs_view(shown: list[Any] | None, request: gr.Request) -> tuple[Any, ...]:
        """The job table, and the cancel choices only when they changed (a redraw would drop the selection)."""
        options = choices(request)
        keep = [list(o) for o in options] == [list(o) for o in shown or []]
        return queue.rows(), gr.skip() if keep else gr.update(choices=options, value=None), options

    def cancel(job_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Cancel the chosen job: it never goes live and its files are not kept."""
        guard = service.guard
        if not job_id:
            warn("请先选择要取消的上传任务。")
            return "请先选择要取消的上传任务。", queue.rows(), gr.skip(), gr.skip()
        try:
            job = queue.cancel(int(str(job_id).lstrip("#")), guard.user(request), guard.ip(request))
        except (QAError, ValueError) as err:
            warn(str(err))
            return f"无法取消：{err}", queue.rows(), gr.skip(), gr.skip()
        options = choices(request)
        done = f"已取消上传任务 #{job.id}（{'、'.join(job.names)}）：文件不会进入文档库。"
        return done, queue.rows(), gr.update(choices=options, value=None), options

    with gr.Group():
        table = gr.Dataframe(
            headers=JOB_COLUMNS,
            column_widths=["7%", "10%", "25%", "8%", "35%", "15%"],
            interactive=False,
            wrap=True,
            label=f"上传队列（逐个处理，最多 {service.settings.upload_queue_max} 个任务排队，"
            f"每人 {service.settings.upload_queue_per_user} 个；排队中或处理中的任务可取消）",
            elem_id="qa-upload-queue",
        )
        with gr.Row():
            choice = gr.Dropdown(label="我可取消的上传任务", choices=[], value=None, allow_custom_value=True)
            cancel_btn = gr.Button("取消所选任务", variant="stop")
        message = gr.Markdown()
    shown = gr.State([])
    cancel_btn.click(cancel, [choice], [message, table, choice, shown], api_name="cancel_upload", queue=False)
    gr.Timer(2.0).tick(jobs_view, [shown], [table, choice, shown], api_name="upload_jobs", queue=False)
    return {"table": table, "choice": choice, "cancel": cancel, "jobs_view": jobs_view, "shown": shown}
