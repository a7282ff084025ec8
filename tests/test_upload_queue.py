"""The upload queue (qa.web.queue) over a real index: bounds that refuse in Chinese and store nothing, cancelling a
waiting and a running job (a huge generated file) so that nothing goes live or stays stored, a job that goes live,
failures that say why, and a deletion that does not wait behind a big upload."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.store.audit import AuditQuery
from qa.web.auth import PermissionDenied, User
from qa.web.queue import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobError, QueueFull, UploadQueue
from qa.web.service import Service

ALICE, BOB, CAROL = User("alice", "editor"), User("bob", "editor"), User("carol", "editor")
ADMIN, READER = User("root", "admin"), User("rita", "reader")
MARKER = "青藤湾社区夜间儿科诊室"
REPLY = (
    "某区卫生健康局\n\n对区政协六届四次会议第20259901号提案的答复\n\n李四委员：\n\n"
    "您提出的关于增设夜间儿科门诊的提案收悉。现答复如下：\n\n一、工作进展\n\n"
    f"{MARKER}已于2025年3月开诊，每晚18时至22时由两名儿科医师坐诊，年接诊量约一万二千人次。\n"
)


class _Embedder:
    """Stands in for the app's background embedder: the build puts text live at once and leaves vectors to it."""

    def kick(self) -> None:
        pass


def _service(tmp_path: Path, corpus: Path, **settings: object) -> Service:
    service = Service(Settings(index_dir=tmp_path / "index", seeds_dir=corpus, data_dir=tmp_path / "data",
                               **settings))  # type: ignore[arg-type]  # fmt: skip
    service.embedder_worker = _Embedder()  # as in the app: text goes live at once (BM25), vectors come later
    service.rebuild(progress=False)
    return service


@pytest.fixture
def service(tmp_path: Path, corpus: Path) -> Iterator[Service]:
    service = _service(tmp_path, corpus, upload_queue_max=3, upload_queue_per_user=2)
    yield service
    if service._upload_queue is not None:
        service._upload_queue.stop()


def _file(folder: Path, name: str, text: str = REPLY) -> str:
    path = folder / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _huge(folder: Path, chars: int = 1_900_000) -> str:
    """Distinct sentences up to the character limit: ~4,000 chunks, tens of seconds of reading and tokenising."""
    rnd = random.Random(7)
    words = ["卫生", "健康", "医疗", "社区", "服务", "基层", "中医药", "医院", "儿科", "托育", "疾控", "人才"]
    parts, size, i = [], 0, 0
    while size < chars:
        line = f"第{i}条：" + "".join(rnd.choice(words) for _ in range(12)) + f"，编号{rnd.randrange(10**9)}。"
        line += "\n" if i % 20 == 0 else ""
        parts.append(line)
        size, i = size + len(line), i + 1
    return _file(folder, "巨大的文件.txt", "".join(parts))


def _indexed(service: Service) -> set[str]:
    return {Path(key).name for key in service.index().manifest["files"]}


def _nothing_kept(service: Service, name: str) -> None:
    """Not indexed, not stored anywhere under data/, no upload record."""
    assert name not in _indexed(service)
    data = service.settings.data_dir
    assert not [p for p in data.rglob("*") if p.is_file() and p.name == name]
    assert service.guard.provenance.get(name) is None


def _audit(service: Service, action: str) -> list[dict]:
    return service.guard.audit.rows(AuditQuery(action=action))


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_full_queue_and_a_full_share_refuse_in_chinese_and_store_nothing(service: Service, tmp_path: Path) -> None:
    queue = UploadQueue(service, start=False)  # nothing runs: every job stays 排队中
    assert queue.submit([_file(tmp_path, "a1.txt")], ALICE)[0].state == QUEUED
    queue.submit([_file(tmp_path, "a2.txt")], ALICE)
    with pytest.raises(QueueFull, match="您已有 2 个上传任务在排队或处理中（每人最多 2 个，QA_UPLOAD_QUEUE_PER_USER）"):
        queue.submit([_file(tmp_path, "a3.txt")], ALICE)
    queue.submit([_file(tmp_path, "b1.txt")], BOB)
    with pytest.raises(
        QueueFull, match="上传队列已满：已有 3 个上传任务在排队或处理中（上限 3 个，QA_UPLOAD_QUEUE_MAX）"
    ):
        queue.submit([_file(tmp_path, "c1.txt")], CAROL)
    for name in ("a3.txt", "c1.txt"):  # refused: not staged, not stored, no record
        _nothing_kept(service, name)
    refusals = [r for r in _audit(service, "upload") if r["outcome"] == "refused"]
    assert {r["user_name"] for r in refusals} == {"alice", "carol"}
    assert [row[3] for row in queue.rows()] == [QUEUED] * 3
    assert queue.rows()[0][1:3] == ["bob", "b1.txt"] and "前面还有 2 个任务" in queue.rows()[0][4]

    queue.cancel(queue.jobs()[0].id, ALICE)  # a place is free again
    job, rejected = queue.submit([_file(tmp_path, "c1.txt")], CAROL)
    assert job is not None and not rejected


def test_a_job_that_finishes_goes_live_and_is_searchable(service: Service, tmp_path: Path) -> None:
    queue = service.upload_queue
    job, rejected = queue.submit([_file(tmp_path, "关于夜间儿科的答复.txt")], ALICE, "10.0.0.7")
    assert job is not None and not rejected
    job = queue.wait(job.id, timeout=120)
    assert job.state == DONE, job.message
    assert "已上传并索引：关于夜间儿科的答复.txt" in job.message
    assert "关于夜间儿科的答复.txt" in _indexed(service)
    hits = service.retriever.search(f"{MARKER}什么时候开诊", k=3)
    assert any(MARKER in hit.chunk.text for hit in hits)
    record = service.guard.provenance.get("关于夜间儿科的答复.txt")
    assert record is not None and record.uploader == "alice" and record.status == "已通过"
    assert (service.uploads_dir / "关于夜间儿科的答复.txt").is_file()
    assert not any(p.is_file() for p in queue.dir.rglob("*"))  # nothing left in staging
    (entry,) = [r for r in _audit(service, "upload") if r["outcome"] == "ok"]
    assert entry["target"] == "关于夜间儿科的答复.txt" and entry["ip"] == "10.0.0.7"
    with pytest.raises(JobError, match="已完成，无法取消；如需移除文件，请在“删除”中选择它"):
        queue.cancel(job.id, ALICE)
    # the same name again is a new version, never a replacement
    second = queue.wait(queue.submit([_file(tmp_path, "关于夜间儿科的答复.txt")], ALICE)[0].id, timeout=120)
    assert second.state == DONE and "保存为新版本“关于夜间儿科的答复 (v2).txt”" in second.message


def test_cancelling_a_waiting_job_keeps_nothing_and_is_audited(service: Service, tmp_path: Path) -> None:
    queue = UploadQueue(service, start=False)
    job, _ = queue.submit([_file(tmp_path, "等待中.txt")], ALICE, "10.0.0.8")
    assert job is not None and (queue.dir / str(job.id) / "等待中.txt").is_file()  # staged, not stored
    with pytest.raises(PermissionDenied, match="只能取消自己提交的上传任务"):
        queue.cancel(job.id, BOB)
    with pytest.raises(PermissionDenied):
        queue.cancel(job.id, READER)
    assert queue.cancellable(BOB) == [] and queue.cancellable(ALICE) == [job] and queue.cancellable(ADMIN) == [job]
    queue.cancel(job.id, ALICE, "10.0.0.8")
    assert job.state == CANCELLED and "文件未保存，未进入索引" in job.message
    queue.start()  # the worker finds nothing to do
    time.sleep(0.5)
    _nothing_kept(service, "等待中.txt")
    assert not (queue.dir / str(job.id)).exists()
    ok = [r for r in _audit(service, "cancel") if r["outcome"] == "ok"]
    assert [(r["user_name"], r["target"], r["ip"]) for r in ok] == [("alice", "等待中.txt", "10.0.0.8")]
    assert [r["user_name"] for r in _audit(service, "cancel") if r["outcome"] == "refused"] == ["rita", "bob"]
    with pytest.raises(JobError, match="已被取消，无法取消"):
        queue.cancel(job.id, ALICE)
    queue.stop()


def test_cancelling_a_running_job_on_a_huge_file_stops_it_within_seconds(service: Service, tmp_path: Path) -> None:
    queue = service.upload_queue
    job, _ = queue.submit([_huge(tmp_path)], ALICE)
    assert job is not None
    _wait_for(lambda: job.state == RUNNING and queue._child is not None and job.stage.startswith(("读取", "分词")))
    child = queue._child
    assert child is not None and os.getpriority(os.PRIO_PROCESS, child.pid) >= 10  # reads at low CPU priority
    time.sleep(1.0)  # well into reading and tokenising ~4,000 chunks
    started = time.monotonic()
    queue.cancel(job.id, ADMIN)  # an admin may cancel anyone's job
    job = queue.wait(job.id, timeout=30)
    assert time.monotonic() - started < 3, "a running job must stop within seconds"
    assert job.state == CANCELLED and "处理中" in job.message
    assert child is not None and child.poll() is not None  # the reading process is gone
    _nothing_kept(service, "巨大的文件.txt")
    assert not (queue.dir / str(job.id)).exists()
    (entry,) = [r for r in _audit(service, "cancel") if r["outcome"] == "ok"]
    assert entry["user_name"] == "root" and "上传人：alice" in entry["detail"]
    # the queue goes on with the next job
    after = queue.wait(queue.submit([_file(tmp_path, "之后.txt")], ALICE)[0].id, timeout=120)
    assert after.state == DONE and "之后.txt" in _indexed(service)


def test_a_cancel_while_the_job_waits_for_the_build_lock_is_checked_under_it(service: Service, tmp_path: Path) -> None:
    queue = service.upload_queue
    with service.build_lock:  # another build (a deletion, say) is swapping its version in
        job, _ = queue.submit([_file(tmp_path, "差一点.txt")], ALICE)
        assert job is not None
        _wait_for(lambda: job.stage == "等待写入索引")
        queue.cancel(job.id, ALICE)
    job = queue.wait(job.id, timeout=30)
    assert job.state == CANCELLED
    _nothing_kept(service, "差一点.txt")


def test_failed_jobs_say_why(tmp_path: Path, corpus: Path) -> None:
    service = _service(tmp_path, corpus, max_upload_chunks=3, max_upload_chars=5000)
    queue = service.upload_queue
    try:
        many = "\n\n".join(f"{n}、第{n}部分\n\n" + f"第{n}部分的内容，" * 60 for n in "一二三四五六")
        job = queue.wait(queue.submit([_file(tmp_path, "太多片段.txt", many)], ALICE)[0].id, timeout=120)
        assert job.state == FAILED
        assert (
            "“太多片段.txt”切分后有" in job.message
            and "超过每个上传文件 3 个的上限（QA_MAX_UPLOAD_CHUNKS）" in job.message
        )
        _nothing_kept(service, "太多片段.txt")
        long = _file(tmp_path, "太长.txt", "卫生健康" * 2000)
        job = queue.wait(queue.submit([long], ALICE)[0].id, timeout=120)
        assert job.state == FAILED, job.message  # the configured QA_MAX_UPLOAD_CHARS holds for uploads
        assert job.message.startswith("无法索引：“太长.txt”的文字超过 5,000 字的上限（QA_MAX_UPLOAD_CHARS）")
        # a batch with one good and one failing file: the good one goes live, the other is reported
        job, _ = queue.submit([_file(tmp_path, "好的.txt"), _file(tmp_path, "又太多.txt", many)], BOB)
        job = queue.wait(job.id, timeout=120)
        assert job.state == DONE and "已上传并索引：好的.txt" in job.message and "又太多.txt" in job.message
        assert "好的.txt" in _indexed(service)
        _nothing_kept(service, "又太多.txt")
        failed = [r for r in _audit(service, "upload") if r["outcome"] == "failed"]
        assert {r["target"] for r in failed} == {"太多片段.txt", "太长.txt", "又太多.txt"}
    finally:
        queue.stop()


def test_a_deletion_does_not_wait_behind_a_big_upload(service: Service, tmp_path: Path) -> None:
    queue = service.upload_queue
    small = queue.wait(queue.submit([_file(tmp_path, "要删除的.txt")], ALICE)[0].id, timeout=120)
    assert small.state == DONE
    big, _ = queue.submit([_huge(tmp_path)], ALICE)
    assert big is not None
    _wait_for(lambda: big.state == RUNNING and big.stage.startswith(("读取", "分词")))
    started = time.monotonic()
    indexed = service.guard.desk.delete("要删除的.txt", ALICE)
    service.rebuild(progress=False)
    took = time.monotonic() - started
    assert indexed and "要删除的.txt" not in _indexed(service)
    assert big.state == RUNNING, "the big job was still being read while the deletion went through"
    assert took < 10, f"the deletion waited {took:.1f} s"
    queue.cancel(big.id, ALICE)
    assert queue.wait(big.id, timeout=30).state == CANCELLED


def test_review_mode_jobs_wait_for_review_outside_the_index(tmp_path: Path, corpus: Path) -> None:
    service = _service(tmp_path, corpus, review_uploads="1")
    queue = service.upload_queue
    try:
        job = queue.wait(queue.submit([_file(tmp_path, "待审核的.txt")], ALICE)[0].id, timeout=120)
        assert job.state == DONE and "等待审核" in job.message
        assert (service.guard.desk.pending_dir / "待审核的.txt").is_file()
        assert "待审核的.txt" not in _indexed(service)
    finally:
        queue.stop()


def test_the_queue_thread_runs_at_a_lower_cpu_priority(service: Service) -> None:
    if not hasattr(os, "getpriority") or not hasattr(threading, "get_native_id"):
        pytest.skip("thread priorities are a Linux feature")
    queue = service.upload_queue
    thread = queue._thread
    _wait_for(lambda: thread.native_id is not None)
    time.sleep(0.2)
    worker = os.getpriority(os.PRIO_PROCESS, thread.native_id)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert worker >= 10 and (worker > own or own >= 10)  # this (a question's) thread keeps its priority


def test_a_restart_clears_what_a_stopped_process_staged_but_not_another_running_ones(service: Service) -> None:
    root = service.settings.data_dir / "queue"
    gone = root / f"{socket.gethostname()}-999999999" / "3"  # no such process
    other = root / f"{socket.gethostname()}-{os.getppid()}" / "1"  # a running process sharing the data folder
    for folder in (gone, other):
        folder.mkdir(parents=True)
        (folder / "半途.txt").write_text(REPLY, encoding="utf-8")
    queue = UploadQueue(service, start=False)
    assert not gone.parent.exists() and (other / "半途.txt").is_file()
    assert queue.dir.parent == root and queue.dir.name.endswith(f"-{os.getpid()}")


@pytest.mark.slow
def test_the_page_lists_jobs_and_cancels_a_running_upload(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Through the running app: /upload waits for its job, /upload_jobs lists it, /cancel_upload cancels it."""
    from gradio_client import Client, handle_file
    from test_app import running_app, seeds_index_dir

    with running_app(seeds_index_dir(request, tmp_path_factory), tmp_path_factory.mktemp("queue_app")) as server:
        client = Client(server.url, verbose=False)
        pending = client.submit([handle_file(_huge(tmp_path))], api_name="/upload")
        deadline = time.monotonic() + 120
        while True:
            rows = client.predict(api_name="/upload_jobs")[0]["data"]
            if rows and rows[0][3] == RUNNING:
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.5)
        assert rows[0][:3] == ["#1", "本机用户", "巨大的文件.txt"]
        message, table, *_ = Client(server.url, verbose=False).predict("1", api_name="/cancel_upload")
        assert "已取消上传任务 #1（巨大的文件.txt）" in message, message
        assert table["data"][0][3] == CANCELLED
        uploaded = pending.result(timeout=60)[0]
        assert uploaded.startswith("上传任务 #1 已取消：已由本机用户取消（处理中）"), uploaded
        library = client.predict(api_name="/library")[0]["data"]
        assert not any("巨大的文件" in str(row) for row in library)
        assert not [p for p in server.data_dir.rglob("巨大的文件.txt")]


def test_the_reader_stops_when_the_app_that_started_it_is_gone(tmp_path: Path) -> None:
    from qa.web.prepare import prepare, request_for

    request = {**request_for([Path(_file(tmp_path, "孤儿.txt"))], Settings()), "parent": 999_999_999}
    with pytest.raises(SystemExit) as stopped:
        prepare(request, tmp_path / "result.json")
    assert stopped.value.code == 3 and not (tmp_path / "result.json").exists()
