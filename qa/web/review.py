"""Uploads with provenance and review: who may upload, where a file waits until it is approved, versions instead of
replacements, quotas, and deletion of one's own (or, for an admin, any) upload — each step in the audit log.

A file waiting for review is kept in data_dir/pending, which the index never reads: it cannot be searched, cited,
used as a precedent or opened through the source route until an editor or admin approves it, which moves it into
data_dir/uploads (the indexed folder). With review off (single-user use), or for an admin's own upload, the file
goes straight to data_dir/uploads. The caller rebuilds the index after `submit` (when something went live),
`approve` and `delete`, then passes the build report to `settle`. The app approves through the upload queue
instead (qa.web.queue.UploadQueue.approve): it reads the file in its reader process and calls `go_live` under the
build lock, so an approval holds the lock only for the swap.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import QAError
from qa.store.audit import AuditLog
from qa.store.provenance import APPROVED, DELETED, LIVE, PENDING, REJECTED, Provenance, Upload
from qa.web.auth import PermissionDenied, User, require
from qa.web.limits import check_quota, folder_bytes
from qa.web.uploads import check_upload, safe_filename


class ReviewError(QAError):
    """A review or deletion that cannot be done (no such upload, wrong state); the message is for the page."""


@dataclass
class Submission:
    """What one batch of uploads came to."""

    live: list[Upload] = field(default_factory=list)  # stored in uploads/: rebuild the index, then settle()
    pending: list[Upload] = field(default_factory=list)  # stored in pending/: waiting for review
    rejected: list[str] = field(default_factory=list)  # one Chinese message per refused file

    def message(self) -> str:
        lines = [f"已上传，等待审核（审核通过前不会被检索或引用）：{'、'.join(u.stored_name for u in self.pending)}"]
        lines = lines if self.pending else []
        renamed = [u for u in self.live + self.pending if u.version > 1]
        lines += [f"同名文件已存在，“{u.base_name}”保存为新版本“{u.stored_name}”" for u in renamed]
        lines += [f"未上传：{r}" for r in self.rejected]
        return "\n".join(lines)


def unindexed(report: Any, names: Iterable[str]) -> set[str]:
    """The names among ``names`` that the index build reported as unreadable — matched by exact file name, so
    that a failure of ``data.txt`` never takes ``a.txt`` with it."""
    wanted = set(names)
    failed = set()
    for error in getattr(report, "errors", None) or []:
        where = error[0] if isinstance(error, tuple | list) else error
        name = Path(str(where)).name
        if name in wanted:
            failed.add(name)
    return failed


def chinese_reason(reason: str) -> str:
    """An index/read failure reason as the page shows it: the indexer's and reader's own reasons are Chinese and
    pass unchanged; anything else (an OS or library error without Chinese) is wrapped as 无法读取（…）."""
    text = str(reason)
    return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else f"无法读取（{text}）"


class UploadDesk:
    """The upload workflow over the data folder and the store."""

    def __init__(self, settings: Settings, provenance: Provenance, audit: AuditLog, *, review: bool) -> None:
        self.settings, self.provenance, self.audit, self.review = settings, provenance, audit, review

    @property
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    @property
    def pending_dir(self) -> Path:
        return self.settings.data_dir / "pending"

    def _taken(self) -> list[str]:
        return [p.name for d in (self.uploads_dir, self.pending_dir) if d.is_dir() for p in d.iterdir()]

    def submit(self, files: Iterable[Any], user: User, ip: str = "") -> Submission:
        """Check, version and store each file for `user` at once; a refused file does not stop the others.
        (The app queues uploads instead: qa.web.queue, which uses `admit` and `place`.)

        Raises:
            PermissionDenied: the user may not upload (nothing is stored).
        """
        self.may_upload(user, ip)
        result = Submission()
        for item in files or []:
            src = Path(item if isinstance(item, str) else getattr(item, "name", str(item)))
            try:
                upload = self.place(self.admit(src, user), src)
            except QAError as err:
                result.rejected.append(str(err))
                self.audit.record("upload", user.name, outcome="refused", target=src.name, detail=str(err), ip=ip)
                continue
            (result.live if upload.status == APPROVED else result.pending).append(upload)
            note = "" if upload.status == APPROVED else "待审核"
            self.audit.record("upload", user.name, target=upload.stored_name, detail=note, ip=ip)
        return result

    def may_upload(self, user: User, ip: str = "") -> None:
        """Raises PermissionDenied (audited) when the user's role may not upload."""
        try:
            require(user, "upload")
        except PermissionDenied as err:
            self.audit.record("upload", user.name, outcome="refused", detail=str(err), ip=ip)
            raise

    def admit(
        self, src: Path, user: User, *, taken: Iterable[str] = (), queued_bytes: tuple[int, int] = (0, 0)
    ) -> Upload:
        """Check one file for `user` and choose the name and state it will be stored under; nothing is stored.

        Args:
            src: the uploaded file (its name is the name the user gave it).
            user: the uploader: review decides whether it goes live (已通过) or waits (待审核).
            taken: names reserved by uploads not stored yet (the queue's jobs), so versions do not clash.
            queued_bytes: bytes of this user's and of everyone's queued uploads, counted against the quotas.

        Raises:
            IngestError: unsupported, empty, too large, content not matching its extension, or over a quota.
        """
        base = check_upload(src, src.name, self.settings.upload_max_mb)
        size = src.stat().st_size
        check_quota(
            base,
            size,
            user_bytes=self.provenance.usage(user.name) + queued_bytes[0],
            total_bytes=folder_bytes([self.uploads_dir, self.pending_dir]) + queued_bytes[1],
            settings=self.settings,
            user=user.name,
        )
        stored, version = self.provenance.next_name(base, [*self._taken(), *taken])
        straight = not self.review or user.role == "admin"
        return Upload(
            stored_name=stored,
            base_name=base,
            version=version,
            original_name=src.name[:200],
            uploader=user.name,
            status=APPROVED if straight else PENDING,
            reviewer=user.name if straight and self.review else "",
            size_bytes=size,
            sha256=hashlib.sha256(src.read_bytes()).hexdigest(),
        )

    def place(self, upload: Upload, src: Path, *, move: bool = False) -> Upload:
        """Record an admitted upload and store its bytes as data: in uploads/ (已通过, indexed by the next build)
        or pending/ (待审核). ``move`` moves ``src`` (a staged copy) instead of copying it.

        Raises:
            StoreError: the name is already recorded (nothing is written).
            ReviewError: the file could not be written (its record is marked 已删除).
        """
        folder = self.uploads_dir if upload.status == APPROVED else self.pending_dir
        folder.mkdir(parents=True, exist_ok=True)
        recorded = self.provenance.add(upload)  # first: a name clash fails before a byte is written
        try:
            if move:
                shutil.move(src, folder / upload.stored_name)
            else:
                (folder / upload.stored_name).write_bytes(src.read_bytes())  # stored as data, never executed
        except OSError as err:
            self.provenance.set_status(upload.stored_name, DELETED, note=f"保存失败：{err}")
            raise ReviewError(f"“{upload.base_name}”保存失败：{err}") from err
        return recorded

    def pending(self) -> list[Upload]:
        return self.provenance.list(PENDING)

    def approve(self, stored_name: str, user: User, ip: str = "") -> Upload:
        """Move a pending upload into the indexed folder; the caller then rebuilds the index and calls settle.

        Raises:
            PermissionDenied: not an editor/admin, or an editor approving their own upload.
            ReviewError: no such pending upload.
        """
        upload = self.reviewable(stored_name, user, "approve", ip)
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(self.pending_dir / upload.stored_name, self.uploads_dir / upload.stored_name)
        self.audit.record("approve", user.name, target=upload.stored_name, detail=f"上传人：{upload.uploader}", ip=ip)
        return self.provenance.set_status(upload.stored_name, APPROVED, reviewer=user.name)

    def reject(self, stored_name: str, user: User, reason: str = "", ip: str = "") -> Upload:
        """Refuse a pending upload: its file is removed, its record kept as 已驳回 with the reason."""
        upload = self.reviewable(stored_name, user, "reject", ip)
        (self.pending_dir / upload.stored_name).unlink(missing_ok=True)
        self.audit.record("reject", user.name, target=upload.stored_name, detail=reason[:500], ip=ip)
        return self.provenance.set_status(upload.stored_name, REJECTED, reviewer=user.name, note=reason[:500])

    def go_live(self, upload: Upload, staged: Path, approver: str, ip: str = "") -> Upload:
        """For an approval queued in the upload queue, under the build lock: move the staged copy of the pending
        upload into uploads/ (the pending file goes), record it 已通过 by the approver and audit the approval, as
        `approve` does in one step.

        Raises:
            ReviewError: it is no longer pending (rejected or deleted while the approval waited).
        """
        name = upload.stored_name
        record = self.provenance.get(name)
        if record is None or record.status != PENDING or not (self.pending_dir / name).is_file():
            raise ReviewError(f"“{name}”已不在待审核列表中（审核期间已被驳回或删除），未加入文档库")
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, self.uploads_dir / name)
        (self.pending_dir / name).unlink(missing_ok=True)
        self.audit.record("approve", approver, target=name, detail=f"上传人：{record.uploader}", ip=ip)
        return self.provenance.set_status(name, APPROVED, reviewer=approver)

    def back_to_pending(self, stored_name: str, note: str) -> None:
        """Undo go_live after a build that failed: the file waits for review again, neither lost nor live."""
        live = self.uploads_dir / stored_name
        if live.is_file():
            self.pending_dir.mkdir(parents=True, exist_ok=True)
            shutil.move(live, self.pending_dir / stored_name)
        self.provenance.set_status(stored_name, PENDING, note=note[:500])

    def reviewable(self, stored_name: str, user: User, action: str, ip: str = "") -> Upload:
        """The pending upload ``user`` may approve or reject (``action``); a refusal is audited.

        Raises:
            PermissionDenied: not an editor/admin, or an editor reviewing their own upload.
            ReviewError: no such pending upload.
        """
        try:
            require(user, "review")
            upload = self.provenance.get(safe_filename(stored_name or ""))
            if upload is None or upload.status != PENDING or not (self.pending_dir / upload.stored_name).is_file():
                raise ReviewError(f"“{stored_name}”不在待审核列表中（可能已被他人处理），请刷新")
            if upload.uploader == user.name and user.role != "admin":
                raise PermissionDenied("不能审核自己上传的文件：请由另一位编辑或管理员审核")
        except QAError as err:
            self.audit.record(action, user.name, outcome="refused", target=str(stored_name)[:200], detail=str(err),
                              ip=ip)  # fmt: skip
            raise
        return upload

    def deletable(self, user: User) -> list[str]:
        """The stored uploads (indexed or pending) this user may delete: their own, or every one for an admin."""
        names = self._taken()
        if user.can("delete_any"):
            return sorted(names)
        if not user.can("delete_own"):
            return []
        own = {u.stored_name for u in self.provenance.list(uploader=user.name) if u.status in LIVE}
        return sorted(n for n in names if n in own)

    def delete(self, stored_name: str, user: User, ip: str = "") -> bool:
        """Remove an upload (indexed or pending). Returns True when it was indexed (the caller rebuilds).

        Raises:
            PermissionDenied: not the uploader (editor) nor an admin; a reader.
            ReviewError: no such upload (seed files cannot be deleted here).
        """
        try:
            name = safe_filename(stored_name or "")
            record = self.provenance.get(name)
            own = record is not None and bool(user.name) and record.uploader == user.name
            require(user, "delete_own")  # a reader may delete nothing
            if not own:
                require(user, "delete_any")
            live, waiting = self.uploads_dir / name, self.pending_dir / name
            if not live.is_file() and not waiting.is_file():
                raise ReviewError(f"上传文件“{stored_name}”不存在（只能删除上传的文件，种子文件不能删除）")
        except QAError as err:
            self.audit.record("delete", user.name, outcome="refused", target=str(stored_name)[:200], detail=str(err),
                              ip=ip)  # fmt: skip
            raise
        indexed = live.is_file()
        live.unlink(missing_ok=True)
        waiting.unlink(missing_ok=True)
        if record is not None:
            self.provenance.set_status(name, DELETED, reviewer=user.name, note="删除")
        self.audit.record("delete", user.name, target=name, detail="" if indexed else "待审核文件", ip=ip)
        return indexed

    def settle(self, report: Any, names: Iterable[str]) -> list[str]:
        """After a build: remove the named uploads the index could not read (exact names) and mark them 已删除
        with the reason; returns the names that stayed. Call it with the names just submitted or approved."""
        names = list(names)
        failed = unindexed(report, names)
        reasons = {Path(str(e[0])).name: str(e[1]) for e in getattr(report, "errors", None) or [] if len(e) == 2}
        for name in failed:
            (self.uploads_dir / name).unlink(missing_ok=True)
            if self.provenance.get(name):
                self.provenance.set_status(
                    name, DELETED, note=f"无法索引：{chinese_reason(reasons.get(name, ''))}"[:500]
                )
        return [n for n in names if n not in failed]
