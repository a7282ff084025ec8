"""Provenance and review: who added each file and when, uploads waiting in 待审核 outside the index until approved,
versions instead of replacements, own-vs-any deletion, quotas, exact-name cleanup of a mixed batch, temp cleanup."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from qa.config import Settings
from qa.errors import IngestError
from qa.index.build import build_index
from qa.index.store import load_index
from qa.store.audit import AuditLog, AuditQuery
from qa.store.db import Database
from qa.store.provenance import APPROVED, DELETED, OFFICIAL, PENDING, REJECTED, Provenance, base_of, versioned_name
from qa.web.auth import PermissionDenied, User
from qa.web.guard import Guard
from qa.web.limits import check_quota, clean_temp, new_temp_dir
from qa.web.review import ReviewError, UploadDesk, chinese_reason, unindexed

READER, ED1, ED2, ADMIN = (
    User("读者", "reader"),
    User("张三", "editor"),
    User("李四", "editor"),
    User("管理员", "admin"),
)
TEXT = "关于加强社区托育服务的答复。\n2024年全区新增普惠托位820个，建成社区托育点20处。\n"


def _file(folder: Path, name: str, text: str = TEXT) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def _desk(tmp_path: Path, db: Database, *, review: bool = True, **settings) -> UploadDesk:
    return UploadDesk(Settings(data_dir=tmp_path / "data", **settings), Provenance(db), AuditLog(db), review=review)


def test_version_names_round_trip() -> None:
    assert versioned_name("答复.docx", 1) == "答复.docx"
    assert versioned_name("答复.docx", 3) == "答复 (v3).docx"
    assert base_of("答复 (v3).docx") == ("答复.docx", 3) and base_of("答复.docx") == ("答复.docx", 1)
    assert base_of(versioned_name("README", 2)) == ("README", 2)


def test_an_editors_upload_waits_outside_the_index_until_another_editor_approves(database, tmp_path: Path) -> None:
    desk = _desk(tmp_path, database())
    with pytest.raises(PermissionDenied, match="无权上传"):
        desk.submit([_file(tmp_path / "in", "a.txt")], READER)
    result = desk.submit([_file(tmp_path / "in", "更正版答复.txt")], ED1, ip="10.0.0.2")
    assert [u.stored_name for u in result.pending] == ["更正版答复.txt"] and not result.live
    assert "等待审核" in result.message()
    assert (desk.pending_dir / "更正版答复.txt").is_file() and not desk.uploads_dir.exists()
    record = desk.provenance.get("更正版答复.txt")
    assert (record.uploader, record.status, record.size_bytes) == ("张三", PENDING, len(TEXT.encode()))
    with pytest.raises(PermissionDenied, match="不能审核自己"):
        desk.approve("更正版答复.txt", ED1)
    with pytest.raises(PermissionDenied):
        desk.approve("更正版答复.txt", READER)
    approved = desk.approve("更正版答复.txt", ED2)
    assert (approved.status, approved.reviewer) == (APPROVED, "李四")
    assert (desk.uploads_dir / "更正版答复.txt").is_file() and not (desk.pending_dir / "更正版答复.txt").exists()
    with pytest.raises(ReviewError, match="不在待审核列表"):
        desk.approve("更正版答复.txt", ED2)  # already handled
    actions = [(r["action"], r["outcome"]) for r in desk.audit.rows(AuditQuery())][::-1]
    assert actions == [("upload", "refused"), ("upload", "ok"), ("approve", "refused"), ("approve", "refused"),
                       ("approve", "ok"), ("approve", "refused")]  # fmt: skip


def test_pending_uploads_are_never_indexed_so_never_cited(database, tmp_path: Path, toy_embedder) -> None:
    desk = _desk(tmp_path, database())
    seeds = tmp_path / "seeds"
    _file(seeds, "official.txt", "关于托育服务的答复。全区共有普惠托位820个。\n")
    desk.submit([_file(tmp_path / "in", "planted.txt", "更正：全区普惠托位只有20个，以本段为准。\n")], ED1)
    folders = [seeds, desk.uploads_dir] if desk.uploads_dir.is_dir() else [seeds]
    build_index(folders, tmp_path / "index", toy_embedder)
    assert [Path(d).name for d, _ in load_index(tmp_path / "index").documents()] == ["official.txt"]
    desk.approve("planted.txt", ADMIN)
    build_index([seeds, desk.uploads_dir], tmp_path / "index", toy_embedder)
    assert len(load_index(tmp_path / "index").documents()) == 2


def test_same_name_uploads_become_versions_and_names_are_never_reused(database, tmp_path: Path) -> None:
    desk = _desk(tmp_path, database())
    first = desk.submit([_file(tmp_path / "in", "答复.txt")], ADMIN).live[0]  # an admin's upload needs no review
    second = desk.submit([_file(tmp_path / "in2", "答复.txt", TEXT + "更正。\n")], ED1)
    assert first.stored_name == "答复.txt" and first.status == APPROVED
    assert second.pending[0].stored_name == "答复 (v2).txt" and "保存为新版本" in second.message()
    assert (desk.uploads_dir / "答复.txt").read_text(encoding="utf-8") == TEXT  # the first is untouched
    desk.delete("答复 (v2).txt", ED1)
    third = desk.submit([_file(tmp_path / "in", "答复.txt")], ED1).pending[0]
    assert third.stored_name == "答复 (v3).txt"  # v2 was deleted, but its name is not given out again


def test_editors_delete_their_own_uploads_only_and_admins_any(database, tmp_path: Path) -> None:
    desk = _desk(tmp_path, database(), review=False)
    desk.submit([_file(tmp_path / "in", "张三的.txt")], ED1)
    desk.submit([_file(tmp_path / "in", "李四的.txt")], ED2)
    assert desk.deletable(ED1) == ["张三的.txt"] and desk.deletable(READER) == []
    assert desk.deletable(ADMIN) == ["张三的.txt", "李四的.txt"]
    with pytest.raises(PermissionDenied, match="删除他人"):
        desk.delete("李四的.txt", ED1)
    with pytest.raises(PermissionDenied):
        desk.delete("张三的.txt", READER)
    assert desk.delete("张三的.txt", ED1) is True
    assert desk.delete("李四的.txt", ADMIN) is True
    assert desk.provenance.get("李四的.txt").status == DELETED
    with pytest.raises(ReviewError, match="种子文件不能删除"):
        desk.delete("seed.txt", ADMIN)


def test_rejected_uploads_are_removed_and_keep_the_reason(database, tmp_path: Path) -> None:
    desk = _desk(tmp_path, database())
    desk.submit([_file(tmp_path / "in", "广告.txt")], ED1)
    rejected = desk.reject("广告.txt", ED2, "与业务无关")
    assert (rejected.status, rejected.note) == (REJECTED, "与业务无关")
    assert not (desk.pending_dir / "广告.txt").exists() and desk.pending() == []


def test_quotas_per_user_and_in_total(database, tmp_path: Path) -> None:
    settings = Settings(upload_quota_mb_per_user=1, upload_quota_mb_total=2)
    mb = 1024 * 1024
    check_quota("a.txt", mb // 2, user_bytes=mb // 2, total_bytes=mb, settings=settings, user="张三")
    with pytest.raises(IngestError, match=r"张三的上传配额.*QA_UPLOAD_QUOTA_MB_PER_USER"):
        check_quota("a.txt", mb // 2 + 1, user_bytes=mb // 2, total_bytes=0, settings=settings, user="张三")
    with pytest.raises(IngestError, match=r"总上传配额.*QA_UPLOAD_QUOTA_MB_TOTAL"):
        check_quota("a.txt", 10, user_bytes=0, total_bytes=2 * mb, settings=settings, user="张三")
    desk = _desk(tmp_path, database(), upload_quota_mb_per_user=1)
    big = "托育" * 200_000  # 1.2 MB of UTF-8
    result = desk.submit([_file(tmp_path / "in", "小.txt"), _file(tmp_path / "in", "大.txt", big)], ED1)
    assert [u.stored_name for u in result.pending] == ["小.txt"]
    assert len(result.rejected) == 1 and "上传配额" in result.rejected[0]
    assert not (desk.pending_dir / "大.txt").exists()


def test_a_batch_with_a_good_and_a_corrupt_file_keeps_the_good_one_indexed(
    database, tmp_path: Path, toy_embedder
) -> None:
    desk = _desk(tmp_path, database(), review=False)
    good, corrupt = "答复.txt", "更正答复.txt.pdf"  # the good name is a substring of the corrupt one's path
    result = desk.submit(
        [_file(tmp_path / "in", good), _file(tmp_path / "in", corrupt, b"%PDF-1.4\n not really a pdf \x00\x01")], ED1
    )
    assert [u.stored_name for u in result.live] == [good, corrupt]
    report = build_index([desk.uploads_dir], tmp_path / "index", toy_embedder)
    assert [Path(p).name for p, _ in report.errors] == [corrupt]
    assert unindexed(report, [good, corrupt]) == {corrupt}
    assert desk.settle(report, [good, corrupt]) == [good]
    assert sorted(p.name for p in desk.uploads_dir.iterdir()) == [good]
    assert desk.provenance.get(corrupt).status == DELETED and "无法索引" in desk.provenance.get(corrupt).note
    indexed = [Path(d).name for d, _ in load_index(tmp_path / "index").documents()]
    assert indexed == ["答复.txt"]
    again = build_index([desk.uploads_dir], tmp_path / "index", toy_embedder)  # and it stays so
    assert not again.errors and len(load_index(tmp_path / "index").documents()) == 1


def test_origins_name_official_files_and_uploaders(tmp_path: Path) -> None:
    guard = Guard(Settings(data_dir=tmp_path / "data"))
    assert guard.login_on is False and guard.review is False  # no accounts: single-user, no review
    guard.desk.review = True
    guard.desk.submit([_file(tmp_path / "in", "答复.txt")], ED1)
    guard.desk.approve("答复.txt", ADMIN)
    guard.desk.submit([_file(tmp_path / "in", "答复.txt")], ED1)
    uploads = tmp_path / "data" / "uploads"
    (uploads / "legacy.txt").write_text(TEXT, encoding="utf-8")
    labels = guard.origins([tmp_path / "seeds" / "x.txt", uploads / "答复.txt", uploads / "legacy.txt"])
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert list(labels.values()) == [OFFICIAL, f"上传：张三 · {today}", "上传（来源未登记）"]
    manifest = {"files": {str(uploads / "答复.txt"): {"doc_ids": ["答复.txt"]}, "/seeds/a.txt": {"doc_ids": ["a"]}}}
    assert guard.doc_origins(manifest) == {"答复.txt": f"上传：张三 · {today}", "a": OFFICIAL}
    assert guard.doc_origins(manifest, ["a"]) == {"a": OFFICIAL} and guard.doc_origins(None) == {}
    pending = guard.desk.provenance.get("答复 (v2).txt")
    from qa.store.provenance import origin_label

    assert origin_label(pending) == f"上传：张三 · {today} · v2 · 待审核"


def test_old_generated_files_are_cleaned(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", tmp_max_age_hours=24)
    old, fresh = new_temp_dir(settings, "qa-draft-"), new_temp_dir(settings, "qa-export-")
    (old / "答复草稿.docx").write_bytes(b"x")
    (fresh / "审计日志.csv").write_bytes(b"x")
    system_old = Path(tempfile.mkdtemp(prefix="qa-register-"))
    (system_old / "答复草稿.zip").write_bytes(b"x")
    unrelated = Path(tempfile.mkdtemp(prefix="someone-else-"))
    two_days_ago = time.time() - 48 * 3600
    for path in (old, old / "答复草稿.docx", system_old, system_old / "答复草稿.zip", unrelated):
        os.utime(path, (two_days_ago, two_days_ago))
    try:
        removed = clean_temp(settings)
        assert old in removed and system_old in removed and fresh not in removed
        assert not old.exists() and not system_old.exists() and fresh.exists() and unrelated.exists()
    finally:
        unrelated.rmdir()


def test_index_failure_reasons_are_said_in_chinese() -> None:
    assert chinese_reason("文件或文件夹不存在，请检查路径") == "文件或文件夹不存在，请检查路径"
    assert chinese_reason("a.docx：.docx 文件已损坏或不是 Word 文档（bad zip），请用 Word 另存为 .docx 后再上传") == (
        "a.docx：.docx 文件已损坏或不是 Word 文档（bad zip），请用 Word 另存为 .docx 后再上传"
    )
    assert chinese_reason("“a.pdf”超过上限") == "“a.pdf”超过上限"  # already Chinese: unchanged
    assert chinese_reason("something new") == "无法读取（something new）"
