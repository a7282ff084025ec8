"""The 管理 tab: accounts and their roles, uploads waiting for review (preview, approve, reject), and the audit
log with filters and CSV export. Every handler checks the request's role itself: the tab may be visible to all,
but a reader sees refusals, an editor can review, and only an admin sees users and the log.

Build it inside an open ``gr.Blocks`` (``make_admin_tab(service)``); ``service`` needs ``settings``, ``guard``
(qa.web.guard.Guard) and ``upload_queue`` (qa.web.queue.UploadQueue), through which an approval is read and made
live like an upload; a service without one (``rebuild(progress=…)`` only) approves in-process.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.store.audit import ACTIONS, CSV_HEADER, AuditQuery, display_row, to_csv
from qa.store.provenance import APPROVED, DELETED
from qa.store.users import ROLE_LABELS
from qa.web.auth import hash_password, load_credentials
from qa.web.jobs import DONE, FAILED
from qa.web.limits import new_temp_dir
from qa.web.review import chinese_reason

USER_COLUMNS = ["用户名", "角色", "状态", "来源", "创建时间"]
PENDING_COLUMNS = ["文件", "上传人", "上传时间", "大小（KB）", "版本"]
ROLE_CHOICES = [(label, key) for key, label in ROLE_LABELS.items()]
ACTION_CHOICES = [("全部操作", ""), *[(label, key) for key, label in ACTIONS.items()]]
PREVIEW_CHARS = 3000
PROGRESS = gr.Progress()  # an approval's bar follows its job in the upload queue


def make_admin_tab(service: Any) -> dict[str, Any]:
    """Lay out the 管理 tab's contents in the current Blocks context and wire its events.

    Returns:
        ``{"load": fn, "outputs": [...]}``: what the page's ``demo.load`` may call to fill the tab on open.
    """
    guard = service.guard

    # ------------------------------------------------------------ handlers

    def users_rows(request: gr.Request) -> list[list[str]]:
        guard.check(request, "manage_users")
        creds = load_credentials(service.settings, guard.users)
        stored = {a.name: a for a in guard.users.list()}
        rows = []
        for name in sorted(set(creds) | set(stored)):
            cred, account = creds.get(name), stored.get(name)
            role = cred.role if cred else account.role if account else "reader"
            rows.append([
                name,
                ROLE_LABELS.get(role, role),
                "可登录" if cred else "已停用",
                cred.source if cred else "数据库",
                (account.created_at[:10] if account else ""),
            ])  # fmt: skip
        return rows

    def pending_rows(request: gr.Request) -> tuple[list[list[Any]], Any]:
        guard.check(request, "review")
        items = guard.desk.pending()
        rows = [[u.stored_name, u.uploader or "未登录用户", u.added_at[:16].replace("T", " "),
                 round(u.size_bytes / 1024, 1), f"v{u.version}"] for u in items]  # fmt: skip
        return rows, gr.update(choices=[u.stored_name for u in items], value=None)

    def refresh(request: gr.Request) -> tuple[Any, ...]:
        """Everything the tab shows, each part only when the role allows it."""
        user = guard.user(request)
        users = users_rows(request) if user.can("manage_users") else []
        pending, choice = pending_rows(request) if user.can("review") else ([], gr.update(choices=[]))
        log = audit_rows(request, "", "", "", "", "")[0] if user.can("view_audit") else []
        note = f"当前用户：{user.label}" + ("" if user.can("review") else "。您的角色不能审核或管理，本页仅供查看。")
        return note, users, pending, choice, log

    def save_user(name: str, role: str, password: str, request: gr.Request) -> tuple[str, Any]:
        try:
            guard.check(request, "manage_users")
            name = (name or "").strip()
            if guard.users.get(name) is None:
                guard.users.add(name, hash_password(password or ""), role or "reader")
                done = f"已添加用户“{name}”（{ROLE_LABELS.get(role, role)}）"
            else:
                guard.users.set_role(name, role or "reader")
                if password:
                    guard.users.set_password(name, hash_password(password))
                done = f"已更新用户“{name}”：{ROLE_LABELS.get(role, role)}" + ("，密码已修改" if password else "")
        except QAError as err:
            return f"未保存：{err}", gr.skip()
        guard.record("user", request, target=name, detail=done)
        return done, users_rows(request)

    def set_active(name: str, active: bool, request: gr.Request) -> tuple[str, Any]:
        try:
            guard.check(request, "manage_users")
            if name and name == guard.user(request).name and not active:
                raise QAError("不能停用自己的账号")
            guard.users.set_active((name or "").strip(), active)
        except QAError as err:
            return f"未完成：{err}", gr.skip()
        done = f"已{'启用' if active else '停用'}用户“{name}”"
        guard.record("user", request, target=name, detail=done)
        return done, users_rows(request)

    def preview(name: str, request: gr.Request) -> str:
        from qa.ingest.read import read_text

        try:
            guard.check(request, "review")
            if not name:
                return "请先在上方选择一个待审核文件。"
            path = guard.desk.pending_dir / name
            if name not in {u.stored_name for u in guard.desk.pending()} or not path.is_file():
                return f"“{name}”不在待审核列表中，请刷新。"
            text = read_text(path, settings=service.settings)
        except QAError as err:  # the reader's reasons are Chinese; anything else is wrapped as 无法读取（…）
            return f"无法预览：{chinese_reason(str(err))}"
        more = f"\n……（共 {len(text)} 字，仅显示前 {PREVIEW_CHARS} 字）" if len(text) > PREVIEW_CHARS else ""
        return text[:PREVIEW_CHARS] + more

    def approve_queued(queue: Any, name: str, user: Any, ip: str, progress: Any) -> str:
        """Approve through the upload queue and wait for the job: read apart from the app, live after a short
        swap under the build lock. Cancelled (from the queue list) or failed, the file stays pending."""
        job = queue.approve(name, user, ip)
        if progress is not None:
            progress(0, desc=f"审核通过任务 #{job.id} 已加入上传队列…")
        show = None if progress is None else lambda j: progress(j.fraction, desc=f"任务 #{j.id}：{queue.describe(j)}")
        job = queue.wait(job.id, on_progress=show)
        record = guard.provenance.get(name)
        if job.state == DONE and record is not None and record.status == APPROVED:
            return f"已通过“{name}”，已加入文档库并可被引用（任务 #{job.id}）。\n{job.message}"
        if job.state in (DONE, FAILED) and record is not None and record.status == DELETED:  # the index could not
            return f"“{name}”已通过，但无法索引，已移除。\n{job.message}"  # read it: as an in-process approval
        return f"审核通过任务 #{job.id} {job.state}：{job.message}"

    def decide(
        name: str, reason: str, approve: bool, request: gr.Request, progress: Any = None
    ) -> tuple[str, Any, Any]:
        user, ip = guard.user(request), guard.ip(request)
        try:
            if not name:
                raise QAError("请先选择一个待审核文件")
            queue = getattr(service, "upload_queue", None)
            if approve and queue is not None:
                done = approve_queued(queue, name, user, ip, progress)
            elif approve:  # a service without the upload queue (a script's): approve and re-index right here
                guard.desk.approve(name, user, ip)
                report = service.rebuild(progress=False)
                kept = guard.desk.settle(report, [name])
                done = f"已通过“{name}”，已加入文档库并可被引用。" if kept else f"“{name}”已通过，但无法索引，已移除。"
            else:
                guard.desk.reject(name, user, reason or "", ip)
                done = f"已驳回“{name}”" + (f"：{reason}" if reason else "")
        except QAError as err:
            return f"未完成：{err}", gr.skip(), gr.skip()
        rows, choice = pending_rows(request)
        return done, rows, choice

    def audit_rows(
        request: gr.Request, user: str, action: str, since: str, until: str, text: str
    ) -> tuple[list[list[str]], str]:
        guard.check(request, "view_audit")
        query = AuditQuery(user=(user or "").strip(), action=action or "", since=(since or "").strip(),
                           until=(until or "").strip(), text=(text or "").strip(), limit=500)  # fmt: skip
        rows = guard.audit.rows(query)
        return [display_row(r) for r in rows], f"共 {len(rows)} 条（最多显示 500 条，导出不限）"

    def show_log(user: str, action: str, since: str, until: str, text: str, request: gr.Request) -> tuple[Any, str]:
        try:
            return audit_rows(request, user, action, since, until, text)
        except QAError as err:
            return gr.skip(), f"无法查询：{err}"

    def export(user: str, action: str, since: str, until: str, text: str, request: gr.Request) -> tuple[Any, str]:
        try:
            guard.check(request, "view_audit")
            query = AuditQuery(user=(user or "").strip(), action=action or "", since=(since or "").strip(),
                               until=(until or "").strip(), text=(text or "").strip(), limit=10**9)  # fmt: skip
            rows = guard.audit.rows(query)
            path = new_temp_dir(service.settings, "qa-export-") / "审计日志.csv"
            path.write_text(to_csv(rows), encoding="utf-8-sig")
        except (QAError, OSError) as err:
            return None, f"导出失败：{err}"
        guard.record("export", request, target="审计日志.csv", detail=f"{len(rows)} 条")
        return str(path), f"已导出 {len(rows)} 条审计记录。"

    def guarded(fn: Any, fallback: Any) -> Any:
        def run(request: gr.Request) -> Any:
            try:
                return fn(request)
            except QAError as err:
                return (f"{err}", *fallback)

        return run

    # ------------------------------------------------------------ layout

    note = gr.Markdown("管理员可在此管理用户、审核上传文件、查看审计日志。")
    with gr.Accordion("待审核的上传文件", open=True):
        pending_table = gr.Dataframe(headers=PENDING_COLUMNS, interactive=False, wrap=True, label="待审核")
        with gr.Row():
            pending_choice = gr.Dropdown(label="选择文件", choices=[], value=None, scale=2)
            reason = gr.Textbox(label="驳回理由（可选）", scale=2)
        with gr.Row():
            preview_btn = gr.Button("预览内容")
            approve_btn = gr.Button("审核通过", variant="primary")
            reject_btn = gr.Button("驳回", variant="stop")
        review_msg = gr.Textbox(label="审核结果", interactive=False)
        preview_text = gr.Textbox(label="内容预览（纯文本）", interactive=False, lines=10, max_lines=20)
    with gr.Accordion("用户", open=False):
        users_table = gr.Dataframe(headers=USER_COLUMNS, interactive=False, label="用户列表")
        with gr.Row():
            u_name = gr.Textbox(label="用户名")
            u_role = gr.Dropdown(label="角色", choices=ROLE_CHOICES, value="reader")
            u_password = gr.Textbox(label="新密码（新用户必填，至少 8 位）", type="password")
        with gr.Row():
            u_save = gr.Button("添加或修改", variant="primary")
            u_disable = gr.Button("停用", variant="stop")
            u_enable = gr.Button("启用")
        user_msg = gr.Textbox(label="操作结果", interactive=False)
    with gr.Accordion("审计日志", open=False):
        with gr.Row():
            a_user = gr.Textbox(label="用户")
            a_action = gr.Dropdown(label="操作", choices=ACTION_CHOICES, value="")
            a_since = gr.Textbox(label="起始日期", placeholder="2026-01-01")
            a_until = gr.Textbox(label="截止日期", placeholder="2026-12-31")
            a_text = gr.Textbox(label="包含文字")
        with gr.Row():
            a_query = gr.Button("查询", variant="primary")
            a_export = gr.Button("导出 CSV")
        a_msg = gr.Markdown()
        log_table = gr.Dataframe(headers=list(CSV_HEADER), interactive=False, wrap=True, label="审计记录")
        a_file = gr.File(label="导出文件", interactive=False)
    refresh_btn = gr.Button("刷新管理页")

    # ------------------------------------------------------------ events

    outputs = [note, users_table, pending_table, pending_choice, log_table]
    load = guarded(refresh, [gr.skip()] * 4)
    refresh_btn.click(load, None, outputs, api_visibility="private")
    preview_btn.click(preview, [pending_choice], preview_text, api_visibility="private")

    def approve(name: str, why: str, request: gr.Request, progress: gr.Progress = PROGRESS) -> tuple[str, Any, Any]:
        return decide(name, why, True, request, progress)

    def reject(name: str, why: str, request: gr.Request) -> tuple[str, Any, Any]:
        return decide(name, why, False, request)

    def disable(name: str, request: gr.Request) -> tuple[str, Any]:
        return set_active(name, False, request)

    def enable(name: str, request: gr.Request) -> tuple[str, Any]:
        return set_active(name, True, request)

    decided = [review_msg, pending_table, pending_choice]
    # an approval waits for its job in the upload queue, as an upload does: the same concurrency group and limit,
    # not the deletions' ("index"), which must not wait behind it
    approve_btn.click(approve, [pending_choice, reason], decided, api_visibility="private", concurrency_id="upload",
                      concurrency_limit=service.settings.upload_queue_max + 1)  # fmt: skip
    reject_btn.click(reject, [pending_choice, reason], decided, api_visibility="private")
    u_save.click(save_user, [u_name, u_role, u_password], [user_msg, users_table], api_visibility="private")
    u_disable.click(disable, [u_name], [user_msg, users_table], api_visibility="private")
    u_enable.click(enable, [u_name], [user_msg, users_table], api_visibility="private")
    filters = [a_user, a_action, a_since, a_until, a_text]
    a_query.click(show_log, filters, [log_table, a_msg], api_visibility="private")
    a_export.click(export, filters, [a_file, a_msg], api_visibility="private")
    return {"load": load, "outputs": outputs, "decide": decide, "save_user": save_user, "export": export,
            "show_log": show_log, "preview": preview, "set_active": set_active}  # fmt: skip
