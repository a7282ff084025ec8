"""The audit log: who did what and when — logins (and failed ones), questions, drafts, uploads, approvals,
rejections, deletions and user changes. Append-only: this module inserts and reads; it has no UPDATE or DELETE,
and nothing else in the package writes the table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.store.db import Database
from qa.store.migrations import migrate, now

# action key → the label shown on the admin page and in exports
ACTIONS = {
    "login": "登录",
    "ask": "提问",
    "draft": "起草",
    "export": "导出",
    "upload": "上传",
    "cancel": "取消上传",
    "approve": "审核通过",
    "reject": "驳回",
    "delete": "删除",
    "user": "用户管理",
}
OUTCOMES = {"ok": "成功", "failed": "失败", "refused": "拒绝"}
CSV_HEADER = ("序号", "时间（UTC）", "用户", "操作", "结果", "对象", "详情", "来源地址")
_MAX_TEXT = 2000  # a question or detail is kept to this many characters


@dataclass(frozen=True)
class AuditQuery:
    """Filters for reading the log; empty fields do not filter. Dates are YYYY-MM-DD (inclusive)."""

    user: str = ""
    action: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""
    text: str = ""  # a substring of the target or detail
    limit: int = 1000


class AuditLog:
    """The audit_log table of one Database (migrated on first use)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def record(
        self, action: str, user: str = "", *, outcome: str = "ok", target: str = "", detail: str = "", ip: str = ""
    ) -> int:
        """Append one entry; returns its number."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; known: {sorted(ACTIONS)}")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown audit outcome {outcome!r}; known: {sorted(OUTCOMES)}")
        with self.db.transaction():
            row = self.db.one(
                "INSERT INTO audit_log (at, user_name, action, outcome, target, detail, ip) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (now(), user or "", action, outcome, (target or "")[:_MAX_TEXT], (detail or "")[:_MAX_TEXT], ip or ""),
            )
        return int(row["id"]) if row else 0

    def rows(self, query: AuditQuery | None = None) -> list[dict[str, Any]]:
        """Entries matching the query, newest first."""
        q = query or AuditQuery()
        where, params = [], []
        for column, value in (("user_name", q.user), ("action", q.action), ("outcome", q.outcome)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if q.since:
            where.append("at >= ?")
            params.append(q.since)
        if q.until:
            where.append("at < ?")
            params.append(q.until + "\uffff")  # the whole day named by a date
        if q.text:
            # LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not
            where.append("(LOWER(target) LIKE LOWER(?) OR LOWER(detail) LIKE LOWER(?))")
            params += [f"%{q.text}%"] * 2
        sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY id DESC LIMIT ?"
        return self.db.query(sql, [*params, max(1, int(q.limit))])


def display_row(row: dict[str, Any]) -> list[str]:
    """One entry as the admin page and the CSV show it, in CSV_HEADER's order, labels in Chinese."""
    return [
        str(row["id"]),
        str(row["at"]).replace("T", " ").replace("+00:00", ""),
        row["user_name"] or "（未登录）",
        ACTIONS.get(row["action"], row["action"]),
        OUTCOMES.get(row["outcome"], row["outcome"]),
        row["target"],
        row["detail"],
        row["ip"],
    ]


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The entries as CSV text with a Chinese header (write it with utf-8-sig so Excel reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([_no_formula(cell) for cell in display_row(row)])
    return out.getvalue()


def export_csv(log: AuditLog, path: Path, query: AuditQuery | None = None) -> int:
    """Write the matching entries to a CSV file (UTF-8 with BOM); returns how many."""
    rows = log.rows(query or AuditQuery(limit=10**9))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_csv(rows), encoding="utf-8-sig")
    return len(rows)


def _no_formula(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (a logged question may start with = + - @)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
