"""Where each document came from: the seed corpus (官方文件) or an upload — by whom, when, which version, and
its review state (待审核 → 已通过 or 已驳回; 已删除 when removed). Keyed by the name the upload is stored under;
a second upload of the same name is stored as a new version, ``name (v2).docx``, never over the first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from qa.store.db import Database, StoreError
from qa.store.migrations import migrate, now

PENDING, APPROVED, REJECTED, DELETED = "待审核", "已通过", "已驳回", "已删除"
STATUSES = (PENDING, APPROVED, REJECTED, DELETED)
LIVE = (PENDING, APPROVED)  # what takes disk space and counts against the quotas
OFFICIAL = "官方文件"
_VERSION = re.compile(r"^(?P<stem>.*) \(v(?P<n>\d+)\)$")


@dataclass(frozen=True)
class Upload:
    stored_name: str
    base_name: str
    version: int = 1
    original_name: str = ""
    uploader: str = ""
    added_at: str = ""
    status: str = PENDING
    reviewer: str = ""
    reviewed_at: str = ""
    size_bytes: int = 0
    sha256: str = ""
    note: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Upload:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})


def versioned_name(base_name: str, version: int) -> str:
    """``报告.docx`` for version 1, ``报告 (v2).docx`` after."""
    if version <= 1:
        return base_name
    stem, dot, suffix = base_name.rpartition(".")
    return f"{stem} (v{version}).{suffix}" if dot else f"{base_name} (v{version})"


def base_of(stored_name: str) -> tuple[str, int]:
    """The base name and version of a stored name (the inverse of versioned_name)."""
    stem, dot, suffix = stored_name.rpartition(".")
    if not dot:
        stem, suffix = stored_name, ""
    m = _VERSION.match(stem)
    if not m:
        return stored_name, 1
    base = f"{m.group('stem')}.{suffix}" if suffix else m.group("stem")
    return base, int(m.group("n"))


class Provenance:
    """The uploads table of one Database (migrated on first use)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def get(self, stored_name: str) -> Upload | None:
        row = self.db.one("SELECT * FROM uploads WHERE stored_name = ?", (stored_name,))
        return Upload.from_row(row) if row else None

    def list(self, status: str = "", uploader: str = "") -> list[Upload]:
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if uploader:
            where.append("uploader = ?")
            params.append(uploader)
        sql = "SELECT * FROM uploads" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY added_at, seq, stored_name"
        return [Upload.from_row(r) for r in self.db.query(sql, params)]

    def next_name(self, base_name: str, taken: Iterable[str] = ()) -> tuple[str, int]:
        """The name and version a new upload of ``base_name`` is stored under: one past every version recorded
        (deleted ones too, so a name is never reused) and every file already on disk (``taken``)."""
        versions = [int(r["version"]) for r in self.db.query("SELECT version FROM uploads WHERE base_name = ?",
                                                                (base_name,))]  # fmt: skip
        versions += [v for b, v in map(base_of, taken) if b == base_name]
        version = max(versions, default=0) + 1
        return versioned_name(base_name, version), version

    def add(self, upload: Upload) -> Upload:
        """Record a stored upload (added_at defaults to now).

        Raises:
            StoreError: the stored name is already recorded.
        """
        if upload.status not in STATUSES:
            raise StoreError(f"上传状态“{upload.status}”无效")
        row = {f.name: getattr(upload, f.name) for f in fields(upload)}
        row["added_at"] = row["added_at"] or now()
        with self.db.transaction():
            if self.get(upload.stored_name):
                raise StoreError(f"“{upload.stored_name}”已有记录")
            last = self.db.one("SELECT COALESCE(MAX(seq), 0) AS n FROM uploads")  # inside the write lock: no race
            stored = {**row, "seq": int(last["n"] if last else 0) + 1}
            columns = ", ".join(stored)
            self.db.execute(f"INSERT INTO uploads ({columns}) VALUES ({', '.join('?' * len(stored))})",
                            list(stored.values()))  # fmt: skip
        return Upload.from_row(row)

    def set_status(self, stored_name: str, status: str, reviewer: str = "", note: str = "") -> Upload:
        """Move an upload to a new state, recording who did it and when.

        Raises:
            StoreError: no such upload, or an unknown status.
        """
        if status not in STATUSES:
            raise StoreError(f"上传状态“{status}”无效")
        with self.db.transaction():
            if self.get(stored_name) is None:
                raise StoreError(f"没有上传文件“{stored_name}”的记录")
            self.db.execute(
                "UPDATE uploads SET status = ?, reviewer = ?, reviewed_at = ?, note = ? WHERE stored_name = ?",
                (status, reviewer, now(), note, stored_name),
            )
        upload = self.get(stored_name)
        assert upload is not None
        return upload

    def usage(self, uploader: str | None = None) -> int:
        """Bytes of stored uploads (pending or approved), of one uploader or of everyone."""
        sql = "SELECT COALESCE(SUM(size_bytes), 0) AS n FROM uploads WHERE status IN (?, ?)"
        params: list[Any] = list(LIVE)
        if uploader is not None:
            sql += " AND uploader = ?"
            params.append(uploader)
        row = self.db.one(sql, params)
        return int(row["n"]) if row else 0


def origin_label(upload: Upload | None) -> str:
    """How a document's origin is shown beside it: 官方文件, or 上传：张三 · 2026-11-30 · v2 · 待审核."""
    if upload is None:
        return OFFICIAL
    parts = [f"上传：{upload.uploader or '未登录用户'}", upload.added_at[:10]]
    if upload.version > 1:
        parts.append(f"v{upload.version}")
    if upload.status != APPROVED:
        parts.append(upload.status)
    return " · ".join(p for p in parts if p)


def origins(provenance: Provenance, sources: Iterable[str | Path], uploads_dir: Path) -> dict[str, str]:
    """origin_label for each indexed source path: files under ``uploads_dir`` by their upload record (an upload
    that predates the record reads 上传（来源未登记）), everything else 官方文件."""
    records = {u.stored_name: u for u in provenance.list()}
    root = uploads_dir.resolve()
    parents: dict[Path, Path] = {}  # few distinct folders: resolve each once, not every file
    labels = {}
    for source in sources:
        path = Path(source)
        if path.parent not in parents:
            parents[path.parent] = path.parent.resolve()
        if parents[path.parent] == root:
            record = records.get(path.name)
            labels[str(source)] = origin_label(record) if record else "上传（来源未登记）"
        else:
            labels[str(source)] = OFFICIAL
    return labels
