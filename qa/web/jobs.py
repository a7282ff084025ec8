"""A job of the upload queue (qa.web.queue runs them) and its states: an upload of one or several files, or the
approval of a pending upload — both read by the queue's reader process and made live by its swap, so an approval
holds the build lock no longer than an upload does."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import QAError
from qa.store.provenance import Upload

QUEUED, RUNNING, DONE, CANCELLED, FAILED = "排队中", "处理中", "已完成", "已取消", "失败"
WAITING = (QUEUED, RUNNING)
KEEP_FINISHED = 50  # finished jobs shown in the list; older ones are forgotten
JOB_COLUMNS = ["任务", "上传人", "文件", "状态", "进度或结果", "提交时间"]


class QueueFull(QAError):
    """The upload queue (or this uploader's share of it) is full; nothing was stored."""


class JobError(QAError):
    """A job that cannot be cancelled, found or queued; the message is for the page."""


@dataclass
class StagedFile:
    upload: Upload  # admitted: the stored name, version, state it will have (已通过 or 待审核), size
    path: Path  # the staged copy under data_dir/queue/<job>/


@dataclass(eq=False)
class Job:
    """One upload (one or several files), or one approval, and where it is."""

    id: int
    uploader: str  # who owns the job and may cancel it: the uploader, or for an approval the approver
    files: list[StagedFile] = field(default_factory=list)
    ip: str = ""
    approval: bool = False  # approving a pending upload: its file stays in pending/ until the job goes live
    state: str = QUEUED
    stage: str = ""  # what a running job is doing
    fraction: float = 0.0  # of the running job's work
    message: str = ""  # the outcome, for the page: what went live, what failed and why
    submitted: float = field(default_factory=time.time)
    finished: float = 0.0
    cancelled_by: str | None = None  # the user name of whoever cancelled ("" when login is off)
    cancelled_ip: str = ""
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)
    committed: bool = False  # past the last cancel check: going live

    @property
    def names(self) -> list[str]:
        return [f.upload.stored_name for f in self.files]

    @property
    def new_bytes(self) -> int:
        """Bytes the job adds to the stored uploads (counted against the quotas while it waits): none for an
        approval, whose file is in pending/ and counted there already."""
        return 0 if self.approval else sum(f.upload.size_bytes for f in self.files)

    @property
    def action(self) -> str:
        """The audit log's action for this job's outcome."""
        return "approve" if self.approval else "upload"

    @property
    def owner(self) -> str:
        """Who the job is for, as the list shows it."""
        name = self.uploader or "本机用户"
        return f"{name}（审核通过）" if self.approval else name

    def cancelled(self, was: str) -> tuple[str, str]:
        """The message and audit detail of this job cancelled ``was`` (排队时 / 处理中)."""
        kept = "文件仍待审核，未进入索引" if self.approval else "文件未保存，未进入索引"
        whose = "审核通过，审核人" if self.approval else "上传人"
        return (f"已由{self.cancelled_by or '本机用户'}取消（{was}）：{kept}",
                f"任务 #{self.id}（{whose}：{self.uploader or '本机用户'}），{was}取消")  # fmt: skip

    def describe(self, ahead: int = 0) -> str:
        """Where the job is, in Chinese: how many jobs are ahead of it, what it is doing, or how it ended."""
        if self.state == QUEUED:
            return f"排队中，前面还有 {ahead} 个任务" if ahead else "排队中，即将开始"
        return self.message or self.stage or self.state

    def row(self, ahead: int = 0) -> list[str]:
        """The job's line in the page's list (JOB_COLUMNS)."""
        when = time.strftime("%m-%d %H:%M:%S", time.localtime(self.submitted))
        return [f"#{self.id}", self.owner, "、".join(self.names), self.state, self.describe(ahead), when]


def full_queue(waiting: list[Job], user: str, limit: int, per_user: int) -> str:
    """Why one more job of ``user`` is refused (QA_UPLOAD_QUEUE_MAX, QA_UPLOAD_QUEUE_PER_USER), or ""."""
    mine = [j for j in waiting if j.uploader == user]
    if len(waiting) >= limit:
        return (f"上传队列已满：已有 {len(waiting)} 个上传任务在排队或处理中（上限 {limit} 个，QA_UPLOAD_QUEUE_MAX）；"
                "请稍后再试，或取消不再需要的任务")  # fmt: skip
    if len(mine) >= per_user:
        return (f"您已有 {len(mine)} 个上传任务在排队或处理中（每人最多 {per_user} 个，QA_UPLOAD_QUEUE_PER_USER）；"
                "请等它们完成，或先取消其中的任务")  # fmt: skip
    return ""
