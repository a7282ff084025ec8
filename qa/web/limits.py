"""Disk bounds for what the app keeps: per-user and total upload quotas, the removal of old generated files
(reply drafts, register exports) from the temporary folders they are written to, and of uploads that app
processes which stopped had staged in their upload queue."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from qa.config import Settings
from qa.errors import IngestError

MB = 1024 * 1024
# Folders the web modules create with tempfile.mkdtemp (qa.web.draft, qa.web.register) and gradio's own cache.
TEMP_PREFIXES = ("qa-draft-", "qa-register-", "qa-export-")


def folder_bytes(folders: Iterable[Path]) -> int:
    """Bytes of the files directly inside the folders (missing folders count 0)."""
    return sum(p.stat().st_size for f in folders if f.is_dir() for p in f.iterdir() if p.is_file())


def check_quota(name: str, size: int, *, user_bytes: int, total_bytes: int, settings: Settings, user: str) -> None:
    """Refuse a file that would take its uploader or the whole library past the quota.

    Args:
        name: the file's name, for the message.
        size: its size in bytes.
        user_bytes: what this uploader already stores (pending and approved uploads).
        total_bytes: what all uploads already take.

    Raises:
        IngestError: over QA_UPLOAD_QUOTA_MB_PER_USER or QA_UPLOAD_QUOTA_MB_TOTAL, saying how much is left.
    """
    per_user, total = settings.upload_quota_mb_per_user * MB, settings.upload_quota_mb_total * MB
    if user_bytes + size > per_user:
        left = max(0, per_user - user_bytes) / MB
        raise IngestError(
            f"“{name}”（{size / MB:.1f} MB）超出{user or '本机用户'}的上传配额：每人 "
            f"{settings.upload_quota_mb_per_user} MB，还剩 {left:.1f} MB（QA_UPLOAD_QUOTA_MB_PER_USER）；"
            "请先删除不再需要的上传文件"
        )
    if total_bytes + size > total:
        left = max(0, total - total_bytes) / MB
        raise IngestError(
            f"“{name}”（{size / MB:.1f} MB）超出文档库的总上传配额 {settings.upload_quota_mb_total} MB，"
            f"还剩 {left:.1f} MB（QA_UPLOAD_QUOTA_MB_TOTAL）；请联系管理员"
        )


def temp_root(settings: Settings) -> Path:
    """data_dir/tmp: where generated drafts and exports should be written (created when missing)."""
    root = settings.data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


def new_temp_dir(settings: Settings, prefix: str) -> Path:
    """A fresh folder under data_dir/tmp for one generated file (instead of tempfile.mkdtemp in /tmp)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=temp_root(settings)))


def clean_temp(
    settings: Settings, *, max_age_hours: float | None = None, now: float | None = None, extra: Iterable[Path] = ()
) -> list[Path]:
    """Remove generated files and folders older than max_age_hours (default QA_TMP_MAX_AGE_HOURS).

    Looks at everything under data_dir/tmp, and at the system temp folder's entries named with TEMP_PREFIXES
    (where qa.web.draft and qa.web.register write today), plus any ``extra`` folders' entries.

    Returns:
        The paths removed.
    """
    hours = settings.tmp_max_age_hours if max_age_hours is None else max_age_hours
    cutoff = (time.time() if now is None else now) - hours * 3600
    candidates: list[Path] = []
    own = settings.data_dir / "tmp"
    if own.is_dir():
        candidates += list(own.iterdir())
    system = Path(tempfile.gettempdir())
    candidates += [p for p in system.iterdir() if p.name.startswith(TEMP_PREFIXES)] if system.is_dir() else []
    for folder in extra:
        candidates += list(folder.iterdir()) if folder.is_dir() else []
    removed = []
    for path in candidates:
        try:
            if path.is_symlink() or _newest(path) >= cutoff:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:  # another process removed it, or it is not ours to remove
            continue
    return removed


def _newest(path: Path) -> float:
    """The latest modification time of a file, or of a folder and anything inside it."""
    times = [path.stat().st_mtime]
    if path.is_dir():
        times += [p.stat().st_mtime for p in path.rglob("*")]
    return max(times)


def start_cleaner(settings: Settings, every_hours: float = 1.0, log: object = print) -> threading.Thread:
    """Run clean_temp now and then every `every_hours` on a daemon thread (for the running app)."""

    def loop() -> None:
        while True:
            try:
                removed = clean_temp(settings)
                if removed and callable(log):
                    log(f"已清理 {len(removed)} 个过期的临时草稿/导出文件")
            except OSError as err:
                if callable(log):
                    log(f"清理临时文件失败：{err}")
            time.sleep(every_hours * 3600)

    thread = threading.Thread(target=loop, name="qa-temp-cleaner", daemon=True)
    thread.start()
    return thread


def clear_stale_staging(root: Path) -> list[Path]:
    """Remove the staging folders (root/<host>-<pid>, qa.web.queue) of app processes of this machine that are gone:
    none of what they staged went live. Another running instance's folder (a shared data folder) stays.

    Returns:
        The folders removed.
    """
    host, removed = socket.gethostname(), []
    for folder in root.iterdir() if root.is_dir() else []:
        name, _, pid = folder.name.rpartition("-")
        if name != host or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            alive = int(pid) != os.getpid()  # our own pid: left by an earlier process that had the same pid
        except ProcessLookupError:
            alive = False
        except PermissionError:  # another user's live process
            alive = True
        if not alive:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
