"""The upload queue: every upload is a job, run one at a time on the queue's own low-priority thread, with a bounded
length and cancellation that really cancels.

A job's life: `submit` checks each file at once (type, content, size, quotas — queued bytes count too), reserves
its versioned name and copies it into a staging folder, data_dir/queue/<host>-<pid>/<job>/, which nothing indexes
or serves; a full queue (QA_UPLOAD_QUEUE_MAX jobs waiting or running, QA_UPLOAD_QUEUE_PER_USER of one uploader)
refuses before anything is stored. The worker then reads the staged files in a child process (qa.web.prepare:
parse, the per-upload limits, BM25 tokens) at low CPU priority, so questions keep the app's CPU and GIL; puts the
new terms into the index's term cache; and only then takes the build lock, checks the cancel flag one last time,
moves the files into data_dir/uploads (or data_dir/pending for review) and swaps the new index version in, from
the chunks already read: the lock is held for the swap, not for the reading, so a deletion waits seconds at most.
`approve` makes approving a pending upload the same kind of job, the approver's; the file stays pending until then.

Cancelling (the owner, or an admin) a waiting job drops it; a running one has its child process killed, so even a
huge file stops within a second; its staged files are removed, nothing is stored (an approval's file stays pending)
and the audit log says who cancelled. From the last check under the build lock on, a job can no longer be
cancelled (it is going live). Jobs live in this process's memory: a restart drops waiting jobs (their staged
files are removed at the next start; nothing of them had gone live).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.records import Chunk
from qa.store.provenance import APPROVED, DELETED
from qa.web.auth import PermissionDenied, User
from qa.web.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    JOB_COLUMNS,
    KEEP_FINISHED,
    QUEUED,
    RUNNING,
    WAITING,
    Job,
    JobError,
    QueueFull,
    StagedFile,
    full_queue,
)
from qa.web.limits import clear_stale_staging
from qa.web.prepare import ReadCancelled, chunk_loader, read_in_child, seed_terms
from qa.web.review import chinese_reason

# the job and its states are qa.web.jobs'; the page and the tests import them from here
__all__ = ["CANCELLED", "DONE", "FAILED", "JOB_COLUMNS", "QUEUED", "RUNNING", "Job", "JobError", "QueueFull",
           "UploadQueue"]  # fmt: skip


class _Cancelled(Exception):
    pass


class UploadQueue:
    """The app's upload jobs and the one thread that runs them.

    Args:
        service: the app's Service (settings, guard with the upload desk, build lock, rebuild).
        start: start the worker thread now (tests leave it off to look at waiting jobs).
        nice: the CPU priority (nice value) of the worker thread and of the child processes it starts.
    """

    def __init__(self, service: Any, *, start: bool = True, nice: int = 10) -> None:
        self.service = service
        self.settings = service.settings
        self.nice = nice
        self.dir = self.settings.data_dir / "queue" / f"{socket.gethostname()}-{os.getpid()}"
        clear_stale_staging(self.dir.parent)
        self._lock = threading.Condition()
        self._admit = threading.Lock()  # one submission at a time, so the bounds hold without holding _lock
        self._jobs: dict[int, Job] = {}
        self._next_id = 1
        self._child: subprocess.Popen[bytes] | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="qa-upload-queue", daemon=True)
        if start:
            self.start()

    def start(self) -> UploadQueue:
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker (a running job is cancelled); for tests and shutdown."""
        with self._lock:
            self._stop = True
            for job in self._jobs.values():
                if job.state in WAITING and not job.committed:
                    job.cancel_requested.set()
            self._kill_child()
            self._lock.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ------------------------------------------------------------ asking

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def ahead(self, job: Job) -> int:
        """How many waiting or running jobs were submitted before this one."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state in WAITING and j.id < job.id)

    def describe(self, job: Job) -> str:
        return job.describe(self.ahead(job))

    def rows(self) -> list[list[str]]:
        """Every job's line (JOB_COLUMNS), newest first; a waiting job says how many are ahead of it."""
        return [job.row(self.ahead(job)) for job in reversed(self.jobs())]

    def cancellable(self, user: User) -> list[Job]:
        """The waiting or running jobs this user may cancel: their own; every one for an admin."""
        return [j for j in self.jobs() if j.state in WAITING and not j.committed and self._may_cancel(user, j)]

    @staticmethod
    def _may_cancel(user: User, job: Job) -> bool:
        return user.can("delete_any") or (user.can("upload") and user.name == job.uploader)

    def wait(self, job_id: int, timeout: float | None = None, on_progress: Callable[[Job], None] | None = None) -> Job:
        """Block until the job is finished (or timeout); on_progress(job) is called about every half second."""
        deadline = None if timeout is None else time.monotonic() + timeout
        job = self.get(job_id)
        if job is None:
            raise JobError(f"没有上传任务 #{job_id}（可能已完成较久被清理），请刷新")
        while True:
            with self._lock:
                if job.state not in WAITING or (deadline is not None and time.monotonic() > deadline):
                    return job
                self._lock.wait(0.5)
            if on_progress is not None:
                on_progress(job)

    # ------------------------------------------------------------ submitting and cancelling

    def submit(self, files: Iterable[Any], user: User, ip: str = "") -> tuple[Job | None, list[str]]:
        """Check each file and queue the good ones as one job; returns the job (None if no file was good) and one
        Chinese message per refused file.

        Raises:
            PermissionDenied: the user may not upload.
            QueueFull: QA_UPLOAD_QUEUE_MAX jobs, or QA_UPLOAD_QUEUE_PER_USER of this user's, wait already.
        """
        desk = self.service.guard.desk
        desk.may_upload(user, ip)
        with self._admit:
            with self._lock:
                waiting = [j for j in self._jobs.values() if j.state in WAITING]
                job = Job(id=self._next_id, uploader=user.name, ip=ip)
            mine = [j for j in waiting if j.uploader == user.name]
            self._refuse_when_full(waiting, user, ip, "upload")
            taken = [n for j in waiting for n in j.names]
            queued = [sum(j.new_bytes for j in mine), sum(j.new_bytes for j in waiting)]
            rejected: list[str] = []
            for item in files or []:
                src = Path(item if isinstance(item, str) else getattr(item, "name", str(item)))
                try:
                    upload = desk.admit(src, user, taken=taken, queued_bytes=(queued[0], queued[1]))
                    staged = self.dir / str(job.id) / upload.stored_name
                    staged.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, staged)
                except (QAError, OSError) as err:
                    reason = str(err) if isinstance(err, QAError) else f"“{src.name}”无法暂存：{err}"
                    rejected.append(reason)
                    desk.audit.record("upload", user.name, outcome="refused", target=src.name, detail=reason, ip=ip)
                    continue
                job.files.append(StagedFile(upload, staged))
                taken.append(upload.stored_name)
                queued[0] += upload.size_bytes
                queued[1] += upload.size_bytes
            if not job.files:
                shutil.rmtree(self.dir / str(job.id), ignore_errors=True)
                return None, rejected
            self._enqueue(job)
        return job, rejected

    def approve(self, stored_name: str, user: User, ip: str = "") -> Job:
        """Queue the approval of a pending upload as a job of the approver's: the same reader, swap and bounds as
        an upload. The file stays in pending/ (a copy is staged) until the job goes live; cancelled or failed, it
        is still pending. The approval is audited when it goes live (UploadDesk.go_live), a refusal at once.

        Raises:
            PermissionDenied: not an editor/admin, or an editor approving their own upload.
            ReviewError: no such pending upload.
            QueueFull: the queue, or this approver's share of it, is full.
            JobError: an approval of this file is queued already.
        """
        desk = self.service.guard.desk
        upload = desk.reviewable(stored_name, user, "approve", ip)
        with self._admit:
            with self._lock:
                waiting = [j for j in self._jobs.values() if j.state in WAITING]
                job = Job(id=self._next_id, uploader=user.name, ip=ip, approval=True)
            busy = [j for j in waiting if upload.stored_name in j.names]
            if busy:
                reason = f"“{upload.stored_name}”已在任务 #{busy[0].id} 中审核通过，请等待它完成"
                desk.audit.record("approve", user.name, outcome="refused", target=upload.stored_name, detail=reason,
                                  ip=ip)  # fmt: skip
                raise JobError(reason)
            self._refuse_when_full(waiting, user, ip, "approve")
            staged = self.dir / str(job.id) / upload.stored_name
            try:
                staged.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(desk.pending_dir / upload.stored_name, staged)  # the pending file stays as it is
            except OSError as err:
                shutil.rmtree(staged.parent, ignore_errors=True)
                raise JobError(f"“{upload.stored_name}”无法暂存：{err}") from err
            job.files.append(StagedFile(upload, staged))
            self._enqueue(job)
        return job

    def _refuse_when_full(self, waiting: list[Job], user: User, ip: str, action: str) -> None:
        """Under self._admit, before anything is staged: QueueFull (audited) when the queue or the user's share of
        it is full."""
        refusal = full_queue(waiting, user.name, self.settings.upload_queue_max, self.settings.upload_queue_per_user)
        if refusal:
            self.service.guard.desk.audit.record(action, user.name, outcome="refused", detail=refusal, ip=ip)
            raise QueueFull(refusal)

    def _enqueue(self, job: Job) -> None:
        with self._lock:
            self._next_id += 1
            self._jobs[job.id] = job
            self._forget_old()
            self._lock.notify_all()

    def cancel(self, job_id: int, user: User, ip: str = "") -> Job:
        """Cancel a waiting or running job: it never goes live and its staged files are removed. Returns the job
        once it is cancelled (a running one within a second, its reader being killed; at most 5 s are waited).

        Raises:
            PermissionDenied: not the uploader nor an admin.
            JobError: no such job, finished already, or already going live.
        """
        audit = self.service.guard.audit
        try:
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None:
                    raise JobError(f"没有上传任务 #{job_id}（可能已完成较久被清理），请刷新")
                if not self._may_cancel(user, job):
                    raise PermissionDenied("只能取消自己提交的上传任务；管理员可以取消任何任务")
                if job.state not in WAITING:
                    more = "；如需移除文件，请在“删除”中选择它" if job.state == DONE else ""
                    ended = {DONE: "已完成", CANCELLED: "已被取消", FAILED: "已失败"}[job.state]
                    raise JobError(f"上传任务 #{job_id} {ended}，无法取消{more}")
                if job.committed:
                    raise JobError(f"上传任务 #{job_id} 正在写入索引，已无法取消；完成后可删除该文件")
                job.cancel_requested.set()
                job.cancelled_by, job.cancelled_ip = user.name, ip
                if job.state == QUEUED:
                    self._finish_cancelled(job)
                else:
                    job.stage = "正在取消…"
                    self._kill_child()  # the worker sees the flag within POLL seconds and cleans up
                self._lock.notify_all()
        except QAError as err:
            audit.record("cancel", user.name, outcome="refused", target=f"#{job_id}", detail=str(err), ip=ip)
            raise
        return self.wait(job.id, timeout=5.0)  # a running job stops within POLL seconds of its reader's kill

    # ------------------------------------------------------------ the worker

    def _run(self) -> None:
        from qa.index.worker import lower_priority

        lower_priority(self.nice)  # reading and indexing uploads yield the CPU to questions
        while True:
            with self._lock:
                while not self._stop and not any(j.state == QUEUED for j in self._jobs.values()):
                    self._lock.wait()
                if self._stop:
                    return
                job = next(j for j in self._jobs.values() if j.state == QUEUED)
                job.state, job.stage = RUNNING, "开始处理"
            try:
                self._process(job)
            except _Cancelled:
                with self._lock:
                    self._finish_cancelled(job)
            except Exception as err:  # the job fails with its reason; the queue goes on with the next job
                self._finish(job, FAILED, f"处理失败：{chinese_reason(str(err))}")
                self._audit("upload", job.uploader, outcome="failed", target="、".join(job.names),
                            detail=job.message, ip=job.ip)  # fmt: skip
            finally:
                shutil.rmtree(self.dir / str(job.id), ignore_errors=True)

    def _set(self, job: Job, stage: str, fraction: float) -> None:
        with self._lock:
            if job.state == RUNNING and not job.cancel_requested.is_set():
                job.stage, job.fraction = stage, fraction
            self._lock.notify_all()

    def _check(self, job: Job) -> None:
        if job.cancel_requested.is_set():
            raise _Cancelled

    def _process(self, job: Job) -> None:
        """Read in a child process, seed the term cache, then swap in under the build lock. An approval is the same
        job for a pending file: it goes live (UploadDesk.go_live) where an upload is placed."""
        desk, audit = self.service.guard.desk, self._audit
        results = self._read(job)
        self._check(job)
        good: list[tuple[StagedFile, list[Chunk], dict[str, Any]]] = []
        failed: list[str] = []
        for staged, result in zip(job.files, results, strict=True):
            if "error" in result:
                reason = chinese_reason(result["error"])
                named = staged.upload.original_name in reason or staged.upload.stored_name in reason
                failed.append(reason if named else f"“{staged.upload.original_name}”：{reason}")
                audit(job.action, job.uploader, outcome="failed", target=staged.upload.original_name,
                      detail=f"任务 #{job.id}：{reason}", ip=job.ip)  # fmt: skip
                continue
            chunks = [Chunk.from_dict(c) for c in result["chunks"]]
            good.append((staged, chunks, result))
        still = "；文件仍待审核，可以驳回" if job.approval else ""
        if not good:
            self._finish(job, FAILED, "无法索引：" + "；".join(failed) + still)
            return
        live = [(s, c, r) for s, c, r in good if job.approval or s.upload.status == APPROVED]
        if live:
            self._set(job, "写入关键词缓存", 0.85)
            seed_terms(self.settings.index_dir, [r for _s, _c, r in live])
        self._check(job)
        self._set(job, "等待写入索引", 0.9)
        report = None
        with self.service.build_lock:  # held from the last cancel check until the new version is live
            with self._lock:
                self._check(job)
                job.committed = True
                job.stage, job.fraction = "写入索引", 0.95
            placed = []
            for staged, _chunks, _result in good:
                try:
                    if job.approval:  # still pending (not rejected or deleted meanwhile): moved live, audited
                        placed.append(desk.go_live(staged.upload, staged.path, job.uploader, job.ip))
                    else:
                        placed.append(desk.place(staged.upload, staged.path, move=True))
                except QAError as err:
                    failed.append(f"“{staged.upload.original_name}”：{err}")
            names = [u.stored_name for u in placed if u.status == APPROVED]
            if names:
                prepared = {s.upload.stored_name: c for s, c, _r in live}
                uploads = self.service.uploads_dir
                try:
                    report = self.service.rebuild(progress=False, load_chunks=chunk_loader(prepared, uploads))
                except Exception as err:  # nothing of this job may go live with a later build
                    reason = f"索引失败：{chinese_reason(str(err))}"
                    self._unplace(names, reason, job.approval)
                    self._finish(job, FAILED, reason + still)
                    audit(job.action, job.uploader, outcome="failed", target="、".join(names), detail=reason,
                          ip=job.ip)  # fmt: skip
                    return
        kept = desk.settle(report, names) if names else []
        for name in names:
            if name not in kept:
                failed.append(f"“{name}”：无法索引")
        for upload in [] if job.approval else placed:  # an approval was audited as it went live
            if upload.status != APPROVED or upload.stored_name in kept:
                note = "" if upload.status == APPROVED else "待审核"
                audit("upload", job.uploader, target=upload.stored_name, detail=f"任务 #{job.id} {note}".strip(),
                      ip=job.ip)  # fmt: skip
        waiting = [u.stored_name for u in placed if u.status != APPROVED]
        done = "已审核通过并加入文档库" if job.approval else "已上传并索引"
        lines = [f"{done}：{'、'.join(kept)}"] if kept else []
        if kept and getattr(report, "pending", 0):
            lines.append(f"已可按关键词检索；{report.pending} 个片段的向量正在后台计算，完成后自动切换为混合检索。")
        if waiting:
            lines.append(f"已上传，等待审核（审核通过前不会被检索或引用）：{'、'.join(waiting)}")
        renamed = [] if job.approval else [u for u in placed if u.version > 1]
        lines += [f"同名文件已存在，“{u.base_name}”保存为新版本“{u.stored_name}”" for u in renamed]
        lines += [f"未能索引：{r}" for r in failed]
        lines += [f"提示：{w}" for _s, _c, r in good for w in r.get("warnings", [])]  # e.g. a page OCR could not read
        self._finish(job, DONE if kept or waiting else FAILED, "\n".join(lines))

    def _read(self, job: Job) -> list[dict[str, Any]]:
        """The staged files read by qa.web.prepare in a child process, killed at once when the job is cancelled."""
        try:
            return read_in_child([f.path for f in job.files], self.settings, self.dir / str(job.id), nice=self.nice,
                                 cancel=job.cancel_requested, on_start=self._started,
                                 on_progress=lambda text, part: self._set(job, text, 0.8 * part))  # fmt: skip
        except ReadCancelled:
            raise _Cancelled from None

    def _started(self, child: subprocess.Popen[bytes] | None) -> None:
        with self._lock:
            self._child = child

    def _unplace(self, names: list[str], note: str, approval: bool = False) -> None:
        """Take back files a failed build could not make live (they must not go live with a later build); an
        approved file goes back to pending/, waiting for review again."""
        provenance = self.service.guard.provenance
        for name in names:
            if approval:
                self.service.guard.desk.back_to_pending(name, note)
                continue
            (self.service.uploads_dir / name).unlink(missing_ok=True)
            if provenance.get(name):
                provenance.set_status(name, DELETED, note=note[:500])

    def _finish(self, job: Job, state: str, message: str) -> None:
        shutil.rmtree(self.dir / str(job.id), ignore_errors=True)  # before anyone sees it finished
        with self._lock:
            job.state, job.message, job.finished, job.fraction = state, message, time.time(), 1.0
            job.stage = ""
            self._lock.notify_all()

    def _finish_cancelled(self, job: Job) -> None:
        """Under self._lock: mark the job cancelled, remove what it staged, audit it."""
        was = "排队时" if job.state == QUEUED else "处理中"
        shutil.rmtree(self.dir / str(job.id), ignore_errors=True)
        job.state, job.finished, job.stage = CANCELLED, time.time(), ""
        job.message, detail = job.cancelled(was)
        self._audit("cancel", job.cancelled_by or "", target="、".join(job.names), detail=detail, ip=job.cancelled_ip)
        self._lock.notify_all()

    def _audit(self, action: str, user: str, **entry: str) -> None:
        """Audit from the worker: a store failure is printed, never allowed to stop the queue."""
        try:
            self.service.guard.audit.record(action, user, **entry)
        except (QAError, OSError) as err:
            print(f"审计日志写入失败：{err}", file=sys.stderr, flush=True)

    def _kill_child(self) -> None:
        """Under self._lock: kill the running job's child process, if any (it is only reading)."""
        if self._child is not None and self._child.poll() is None:
            self._child.kill()

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state not in WAITING]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]
