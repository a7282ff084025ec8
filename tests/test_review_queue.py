"""Approving a pending upload goes through the upload queue (qa.web.queue.UploadQueue.approve) over a real index:
the file is read in the queue's reader process, not under the build lock, and goes live when the job completes;
a cancelled or failed approval leaves it pending (not lost, not live); refusals and the audit log as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_upload_queue import ALICE, BOB, CAROL, MARKER, READER, _audit, _file, _huge, _indexed, _service, _wait_for

from qa.store.provenance import APPROVED, PENDING
from qa.web.auth import PermissionDenied
from qa.web.queue import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobError, QueueFull, UploadQueue
from qa.web.review import ReviewError
from qa.web.service import Service


@pytest.fixture
def service(tmp_path: Path, corpus: Path) -> Iterator[Service]:
    service = _service(tmp_path, corpus, review_uploads="1", upload_queue_max=3, upload_queue_per_user=2)
    yield service
    if service._upload_queue is not None:
        service._upload_queue.stop()


def _pending(service: Service, path: str, user: Any = ALICE) -> str:
    """Stored for review as the app stores it (an editor's upload under review), without indexing."""
    (upload,) = service.guard.desk.submit([path], user).pending
    return upload.stored_name


def _still_pending(service: Service, name: str) -> None:
    """Neither lost nor live: in pending/, recorded 待审核, not in uploads/ nor the index, nothing staged."""
    assert (service.guard.desk.pending_dir / name).is_file()
    assert not (service.uploads_dir / name).exists()
    record = service.guard.provenance.get(name)
    assert record is not None and record.status == PENDING
    assert name not in _indexed(service)
    queue = service.upload_queue
    assert not [p for p in queue.dir.rglob("*") if p.is_file()]


class TimedLock:
    """The service's build lock, recording how long each holder kept it (as bench.uploads --lock measures)."""

    def __init__(self, lock: Any) -> None:
        self.lock, self.held, self._began = lock, [], 0.0

    def __enter__(self) -> None:
        self.lock.acquire()
        self._began = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        self.held.append(time.perf_counter() - self._began)
        self.lock.release()


def test_approving_a_large_pending_file_reads_it_outside_the_build_lock_and_it_goes_live(
    service: Service, tmp_path: Path
) -> None:
    name = _pending(service, _huge(tmp_path))
    assert name not in _indexed(service)
    timed = TimedLock(service.build_lock)
    service.build_lock = timed  # type: ignore[assignment]
    queue = service.upload_queue
    job = queue.approve(name, BOB, "10.0.0.9")
    assert job.approval and job.uploader == "bob" and queue.rows()[0][1] == "bob（审核通过）"
    _wait_for(lambda: job.state == RUNNING, timeout=120)
    reading_began = time.perf_counter()
    _wait_for(lambda: job.stage.startswith(("读取", "分词")) or job.state != RUNNING, timeout=120)
    assert job.state == RUNNING, job.message
    # While the reader tokenises the file, the build lock is free: a deletion or another build goes through.
    free: list[bool] = []

    def try_lock() -> None:
        got = timed.lock.acquire(blocking=False)
        free.append(got)
        if got:
            timed.lock.release()

    other = threading.Thread(target=try_lock)
    other.start()
    other.join()
    assert free == [True]
    _wait_for(lambda: job.stage in ("写入关键词缓存", "等待写入索引", "写入索引") or job.state != RUNNING, 300)
    read_for = time.perf_counter() - reading_began
    job = queue.wait(job.id, timeout=300)
    assert job.state == DONE, job.message
    assert f"已审核通过并加入文档库：{name}" in job.message
    # The lock is held for the swap only: far shorter than the reading it no longer covers.
    assert timed.held and max(timed.held) < read_for, (timed.held, read_for)
    # live: searchable, recorded as approved by bob, moved out of pending/, nothing left staged
    assert name in _indexed(service) and (service.uploads_dir / name).is_file()
    assert not (service.guard.desk.pending_dir / name).exists()
    record = service.guard.provenance.get(name)
    assert record is not None and (record.status, record.reviewer) == (APPROVED, "bob")
    assert not [p for p in queue.dir.rglob("*") if p.is_file()]
    (entry,) = _audit(service, "approve")
    assert (entry["user_name"], entry["target"], entry["outcome"], entry["ip"]) == ("bob", name, "ok", "10.0.0.9")
    assert entry["detail"] == "上传人：alice"


def test_a_cancelled_approval_leaves_the_file_pending(service: Service, tmp_path: Path) -> None:
    name = _pending(service, _huge(tmp_path))
    queue = service.upload_queue
    job = queue.approve(name, BOB)
    _wait_for(lambda: job.state == RUNNING and job.stage.startswith(("读取", "分词")), timeout=120)
    child = queue._child
    with pytest.raises(PermissionDenied, match="只能取消自己提交的"):
        queue.cancel(job.id, CAROL)  # another editor: not their job
    queue.cancel(job.id, BOB)
    job = queue.wait(job.id, timeout=30)
    assert job.state == CANCELLED and job.message == "已由bob取消（处理中）：文件仍待审核，未进入索引"
    assert child is not None and child.poll() is not None  # the reader was killed
    _still_pending(service, name)
    assert not [r for r in _audit(service, "approve") if r["outcome"] == "ok"]
    (entry,) = [r for r in _audit(service, "cancel") if r["outcome"] == "ok"]
    assert entry["user_name"] == "bob" and entry["detail"] == f"任务 #{job.id}（审核通过，审核人：bob），处理中取消"
    # still pending, so it can be approved (or rejected) again
    second = queue.approve(name, CAROL)
    assert second.id != job.id and second.state in (QUEUED, RUNNING)
    queue.cancel(second.id, CAROL)
    _still_pending(service, name)


def test_approval_refusals_and_bounds(service: Service, tmp_path: Path) -> None:
    queue = UploadQueue(service, start=False)  # nothing runs: jobs stay 排队中
    names = [_pending(service, _file(tmp_path, f"待审{n}.txt")) for n in range(4)]
    with pytest.raises(PermissionDenied, match="不能审核自己上传的文件"):
        queue.approve(names[0], ALICE)
    with pytest.raises(PermissionDenied):
        queue.approve(names[0], READER)
    with pytest.raises(ReviewError, match="不在待审核列表中"):
        queue.approve("没有这个文件.txt", BOB)
    job = queue.approve(names[0], BOB)
    assert job.state == QUEUED and (queue.dir / str(job.id) / names[0]).is_file()  # a staged copy
    assert (service.guard.desk.pending_dir / names[0]).is_file()  # the pending file stays where it was
    with pytest.raises(JobError, match=f"已在任务 #{job.id} 中审核通过"):
        queue.approve(names[0], CAROL)
    queue.approve(names[1], BOB)
    with pytest.raises(QueueFull, match="每人最多 2 个"):  # the approver's share of the queue
        queue.approve(names[2], BOB)
    queue.approve(names[2], CAROL)
    with pytest.raises(QueueFull, match="上限 3 个，QA_UPLOAD_QUEUE_MAX"):
        queue.approve(names[3], CAROL)
    refused = [(r["user_name"], r["outcome"]) for r in _audit(service, "approve")]
    assert refused and {o for _u, o in refused} == {"refused"}  # approvals are audited when they go live
    # a waiting approval adds no bytes to the quotas: its file is counted in pending/ already
    assert all(j.new_bytes == 0 for j in queue.jobs())
    queue.cancel(job.id, BOB)  # a waiting approval is dropped; its file waits for review as before
    assert job.state == CANCELLED and (service.guard.desk.pending_dir / names[0]).is_file()
    queue.stop()


def test_an_approval_of_a_file_rejected_meanwhile_fails_and_nothing_goes_live(service: Service, tmp_path: Path) -> None:
    name = _pending(service, _file(tmp_path, "审核中被驳回.txt"))
    queue = UploadQueue(service, start=False)
    job = queue.approve(name, BOB)
    service.guard.desk.reject(name, CAROL, "内容有误")  # another reviewer rejects it while the approval waits
    queue.start()
    job = queue.wait(job.id, timeout=120)
    assert job.state == FAILED and "已不在待审核列表中" in job.message
    assert name not in _indexed(service) and not (service.uploads_dir / name).exists()
    assert service.guard.provenance.get(name).status == "已驳回"
    assert not [r for r in _audit(service, "approve") if r["outcome"] == "ok"]
    queue.stop()


def test_a_small_approval_is_searchable_once_its_job_is_done(service: Service, tmp_path: Path) -> None:
    name = _pending(service, _file(tmp_path, "夜间儿科.txt"))
    job = service.upload_queue.wait(service.upload_queue.approve(name, BOB).id, timeout=120)
    assert job.state == DONE, job.message
    hits = service.retriever.search(f"{MARKER}什么时候开诊", k=3)
    assert any(MARKER in hit.chunk.text and hit.chunk.doc_id.startswith(name) for hit in hits)


def test_the_admin_tab_approves_through_the_queue(tmp_path: Path, corpus: Path) -> None:
    """The 管理 tab's 审核通过 with the app's Service: a job in the upload queue, the file live when it is done."""
    import gradio as gr

    from qa.web.admin import make_admin_tab

    service = _service(tmp_path, corpus, users="zhang:zhang-password:editor,li:li-password1:editor")
    try:
        name = _pending(
            service, _file(tmp_path, "管理页审核.txt"), user=service.guard.user(gr.Request(username="zhang"))
        )
        with gr.Blocks(), gr.Tab("管理"):
            decide = make_admin_tab(service)["decide"]
        message, rows, _choice = decide(name, "", True, gr.Request(username="zhang"))
        assert "不能审核自己上传的文件" in message and name not in _indexed(service)
        message, rows, _choice = decide(name, "", True, gr.Request(username="li"))
        assert message.startswith(f"已通过“{name}”，已加入文档库并可被引用（任务 #1）"), message
        assert rows == [] and name in _indexed(service)
        (job,) = service.upload_queue.jobs()
        assert job.approval and job.uploader == "li" and job.state == DONE
        assert [(r["user_name"], r["outcome"]) for r in _audit(service, "approve")] == [
            ("li", "ok"),
            ("zhang", "refused"),
        ]
    finally:
        service.upload_queue.stop()
