"""The handling-list register: each assigned 建议/提案 with its status, owner, deadline, precedents, draft revisions
and events, read and written through one Database (plain SQL, portable)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from qa.store.db import Database, StoreError
from qa.store.migrations import migrate, now

STATUSES = ("待办", "起草中", "待审核", "已答复")
OPEN_STATUSES = STATUSES[:-1]
SYSTEM = "系统"  # the author of generated drafts; anything else is a person's edit
# The fields a handling list gives; a re-import updates these and keeps status, owner and drafts.
LIST_FIELDS = (
    "number", "title", "proposers", "kind", "category", "meeting", "lead_unit", "assist_units", "deadline", "body",
    "attachments", "source",
)  # fmt: skip


@dataclass
class Entry:
    """One proposal of the register (text columns as stored: proposers and units joined with 、)."""

    id: int = 0
    key: str = ""
    number: str = ""
    title: str = ""
    proposers: str = ""
    kind: str = ""
    category: str = ""  # a topic class the list gives (科教文卫) when its 类别 names no kind
    meeting: str = ""
    lead_unit: str = ""
    assist_units: str = ""
    deadline: str = ""  # YYYY-MM-DD or ""
    body: str = ""
    attachments: str = ""
    status: str = STATUSES[0]
    owner: str = ""
    source: str = ""
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Entry:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def days_left(self, today: date | None = None) -> int | None:
        """Days until the deadline (negative when overdue); None without one."""
        if not self.deadline:
            return None
        return (date.fromisoformat(self.deadline) - (today or date.today())).days


@dataclass
class Revision:
    """One saved version of a proposal's draft."""

    revision: int
    text: str
    author: str
    note: str
    input_hash: str
    placeholders: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Revision:
        return cls(
            row["revision"], row["text"], row["author"], row["note"], row["input_hash"],
            json.loads(row["placeholders"] or "[]"), json.loads(row["detail"] or "{}"), row["created_at"],
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def entry_key(kind: str, number: str, title: str) -> str:
    """What identifies a proposal across imports: its kind and number, or its title when it has no number."""
    return f"{kind}|{number}" if number else f"{kind}|标题:{title}"


class Register:
    """The register in a store (migrated on open)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    # --- proposals ------------------------------------------------------------------------------------------------

    def upsert(self, values: dict[str, str], *, actor: str = "") -> tuple[int, bool]:
        """Add a proposal or update the list fields of the one with the same key; returns (id, created)."""
        data = {name: str(values.get(name, "") or "") for name in LIST_FIELDS}
        if not data["title"]:
            raise StoreError("提案缺少标题")
        key = entry_key(data["kind"], data["number"], data["title"])
        stamp = now()
        with self.db.transaction():
            row = self.db.one("SELECT id FROM proposals WHERE key = ?", (key,))
            if row:
                sets = ", ".join(f"{name} = ?" for name in LIST_FIELDS)
                self.db.execute(f"UPDATE proposals SET {sets}, updated_at = ? WHERE id = ?",
                                [*data.values(), stamp, row["id"]])  # fmt: skip
                self._event(row["id"], actor, "更新", data["source"])
                return int(row["id"]), False
            cols = ", ".join(LIST_FIELDS)
            marks = ", ".join("?" for _ in range(len(LIST_FIELDS) + 3))
            new = self.db.one(
                f"INSERT INTO proposals (key, {cols}, created_at, updated_at) VALUES ({marks}) RETURNING id",
                [key, *data.values(), stamp, stamp],
            )
            assert new is not None
            self._event(new["id"], actor, "导入", data["source"])
            return int(new["id"]), True

    def get(self, proposal_id: int) -> Entry:
        """The proposal with this register number.

        Raises:
            StoreError: there is none.
        """
        row = self.db.one("SELECT * FROM proposals WHERE id = ?", (int(proposal_id),))
        if row is None:
            raise StoreError(f"台账中没有序号为 {proposal_id} 的提案（`qa proposals list` 列出序号）")
        return Entry.from_row(row)

    def find(self, ref: str) -> Entry:
        """A proposal by its register number (as `list` shows it) or, failing that, by its own number (案号)."""
        ref = str(ref).strip().removeprefix("#")
        if ref.isdigit():
            row = self.db.one("SELECT * FROM proposals WHERE id = ?", (int(ref),))
            if row:
                return Entry.from_row(row)
        rows = self.db.query("SELECT * FROM proposals WHERE number = ? ORDER BY id", (ref,))
        if len(rows) == 1:
            return Entry.from_row(rows[0])
        if rows:
            raise StoreError(f"编号 {ref} 在台账中有 {len(rows)} 件，请改用序号")
        raise StoreError(f"台账中没有序号或编号为 {ref} 的提案（`qa proposals list` 列出序号）")

    def entries(
        self,
        *,
        status: str | Sequence[str] = (),
        owner: str = "",
        due_within: int | None = None,
        today: date | None = None,
    ) -> list[Entry]:
        """Proposals by deadline (none last), then number; filtered by status, owner and days to deadline.

        `due_within` keeps open proposals due within that many days, overdue ones included.
        """
        where, params = [], []
        statuses = [status] if isinstance(status, str) and status else list(status)
        for s in statuses:
            check_status(s)
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params += statuses
        if owner:
            where.append("owner = ?")
            params.append(owner)
        if due_within is not None:
            limit = ((today or date.today()) + timedelta(days=due_within)).isoformat()
            where.append(f"deadline <> '' AND deadline <= ? AND status IN ({', '.join('?' for _ in OPEN_STATUSES)})")
            params += [limit, *OPEN_STATUSES]
        sql = "SELECT * FROM proposals" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY CASE WHEN deadline = '' THEN 1 ELSE 0 END, deadline, id"
        return [Entry.from_row(r) for r in self.db.query(sql, params)]

    def owners(self) -> list[str]:
        return [
            r["owner"] for r in self.db.query("SELECT DISTINCT owner FROM proposals WHERE owner <> '' ORDER BY owner")
        ]

    def set_status(self, proposal_id: int, status: str, *, actor: str = "") -> Entry:
        check_status(status)
        with self.db.transaction():
            entry = self.get(proposal_id)
            if entry.status != status:
                self.db.execute("UPDATE proposals SET status = ?, updated_at = ? WHERE id = ?",
                                (status, now(), entry.id))  # fmt: skip
                self._event(entry.id, actor, "状态", f"{entry.status}→{status}")
        return self.get(proposal_id)

    def assign(self, proposal_id: int, owner: str, *, actor: str = "") -> Entry:
        owner = owner.strip()
        with self.db.transaction():
            entry = self.get(proposal_id)
            self.db.execute("UPDATE proposals SET owner = ?, updated_at = ? WHERE id = ?", (owner, now(), entry.id))
            self._event(entry.id, actor, "分派", owner or "（取消）")
        return self.get(proposal_id)

    # --- precedents and drafts ------------------------------------------------------------------------------------

    def set_precedents(self, proposal_id: int, precedents: Iterable[dict[str, Any]]) -> None:
        """Replace the proposal's precedents: dicts with doc_id, title, agency, proposal_no, score, in rank order."""
        with self.db.transaction():
            self.db.execute("DELETE FROM proposal_precedents WHERE proposal_id = ?", (proposal_id,))
            for rank, p in enumerate(precedents, 1):
                self.db.execute(
                    "INSERT INTO proposal_precedents (proposal_id, rank, doc_id, title, agency, proposal_no, score) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (proposal_id, rank, p["doc_id"], p.get("title", ""), p.get("agency", ""),
                     p.get("proposal_no", ""), float(p.get("score", 0.0))),
                )  # fmt: skip

    def precedents(self, proposal_id: int) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT rank, doc_id, title, agency, proposal_no, score FROM proposal_precedents "
            "WHERE proposal_id = ? ORDER BY rank",
            (proposal_id,),
        )

    def save_draft(
        self,
        proposal_id: int,
        text: str,
        *,
        author: str = SYSTEM,
        note: str = "",
        input_hash: str = "",
        placeholders: Sequence[str] = (),
        detail: dict[str, Any] | None = None,
    ) -> Revision:
        """Keep a new revision of the draft (the previous ones stay); a 待办 proposal becomes 起草中."""
        if not text.strip():
            raise StoreError("草稿为空，未保存")
        with self.db.transaction():
            entry = self.get(proposal_id)
            row = self.db.one("SELECT MAX(revision) AS r FROM draft_revisions WHERE proposal_id = ?", (entry.id,))
            revision = int((row or {}).get("r") or 0) + 1
            self.db.execute(
                "INSERT INTO draft_revisions (proposal_id, revision, text, author, note, input_hash, placeholders, "
                "detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.id, revision, text, author, note, input_hash, json.dumps(list(placeholders), ensure_ascii=False),
                 json.dumps(detail or {}, ensure_ascii=False), now()),
            )  # fmt: skip
            if entry.status == STATUSES[0]:
                self.db.execute("UPDATE proposals SET status = ?, updated_at = ? WHERE id = ?",
                                (STATUSES[1], now(), entry.id))  # fmt: skip
            self._event(entry.id, author, "草稿", f"第{revision}版" + (f"：{note}" if note else ""))
        current = self.current_draft(proposal_id)
        assert current is not None
        return current

    def current_draft(self, proposal_id: int) -> Revision | None:
        row = self.db.one(
            "SELECT * FROM draft_revisions WHERE proposal_id = ? ORDER BY revision DESC LIMIT 1", (proposal_id,)
        )
        return Revision.from_row(row) if row else None

    def revisions(self, proposal_id: int) -> list[Revision]:
        rows = self.db.query("SELECT * FROM draft_revisions WHERE proposal_id = ? ORDER BY revision", (proposal_id,))
        return [Revision.from_row(r) for r in rows]

    def events(self, proposal_id: int) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT at, actor, action, detail FROM proposal_events WHERE proposal_id = ? ORDER BY id", (proposal_id,)
        )

    def _event(self, proposal_id: int, actor: str, action: str, detail: str) -> None:
        self.db.execute("INSERT INTO proposal_events (proposal_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
                        (proposal_id, now(), actor, action, detail))  # fmt: skip


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise StoreError(f"未知状态“{status}”：应为 {'、'.join(STATUSES)} 之一")
    return status


def open_register(location: Any) -> Register:
    """The register in the store at a file path or postgresql:// URL (created and migrated when new)."""
    from qa.store.location import open_at

    return Register(open_at(location))
