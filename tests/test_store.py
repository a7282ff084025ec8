"""The store, on SQLite and on a real PostgreSQL server: versioned migrations applied once, transactions, threads,
the register's records."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from conftest import table_names

from qa.store import store_path
from qa.store.db import Database, StoreError
from qa.store.migrations import MIGRATIONS, migrate, schema_version
from qa.store.register import SYSTEM, Register

TUOYU = {"number": "20250012", "title": "关于扩大普惠托育服务供给的提案", "kind": "政协提案", "proposers": "周敏",
         "deadline": "2025-06-30", "body": "建议加大托班补贴。"}  # fmt: skip


def test_store_is_one_file_under_the_data_folder(tmp_path: Path) -> None:
    from qa.config import Settings

    assert store_path(Settings(data_dir=tmp_path)) == tmp_path / "qa.sqlite3"


def test_migrations_apply_once_and_are_recorded(database) -> None:
    db = database()
    assert migrate(db) == [v for v, _, _ in MIGRATIONS]
    assert migrate(db) == []  # the second run applies nothing
    assert migrate(database()) == []  # nor does another connection
    assert schema_version(db) == MIGRATIONS[-1][0]
    tables = table_names(db)
    if db.dialect == "sqlite":
        assert sqlite3.connect(db.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"schema_migrations", "proposals", "draft_revisions", "proposal_precedents", "proposal_events"} <= tables


def test_a_newer_store_is_refused(database) -> None:
    db = database()
    migrate(db)
    db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')")
    with pytest.raises(StoreError, match="比本程序"):
        migrate(db)


def test_a_failed_transaction_leaves_nothing(database) -> None:
    register = Register(database())
    with pytest.raises(RuntimeError), register.db.transaction():
        register.upsert(TUOYU)
        raise RuntimeError("interrupted")
    assert register.entries() == []


def test_reimport_updates_the_list_fields_and_keeps_the_work(database) -> None:
    register = Register(database())
    pid, created = register.upsert(TUOYU)
    assert created
    register.assign(pid, "张红")
    register.set_status(pid, "待审核")
    again, created = register.upsert({**TUOYU, "deadline": "2025-07-01"})
    assert (again, created) == (pid, False)
    entry = register.get(pid)
    assert (entry.deadline, entry.owner, entry.status) == ("2025-07-01", "张红", "待审核")
    assert [e["action"] for e in register.events(pid)] == ["导入", "分派", "状态", "更新"]


def test_draft_revisions_are_kept_and_the_first_starts_drafting(database) -> None:
    register = Register(database())
    pid, _ = register.upsert(TUOYU)
    first = register.save_draft(pid, "草稿一〔待填写：会议〕", input_hash="h1", placeholders=["〔待填写：会议〕"])
    assert (first.revision, first.author, register.get(pid).status) == (1, SYSTEM, "起草中")
    second = register.save_draft(pid, "草稿二", author="张红", note="改了第一段")
    assert second.revision == 2 and register.current_draft(pid).text == "草稿二"
    assert [r.text for r in register.revisions(pid)] == ["草稿一〔待填写：会议〕", "草稿二"]
    assert register.revisions(pid)[0].placeholders == ["〔待填写：会议〕"]
    with pytest.raises(StoreError, match="草稿为空"):
        register.save_draft(pid, "  ")


def test_filters_by_status_owner_and_due(database) -> None:
    register = Register(database())
    a, _ = register.upsert({**TUOYU, "deadline": "2025-06-10"})
    b, _ = register.upsert({**TUOYU, "number": "2", "title": "乙", "deadline": "2025-06-03"})
    c, _ = register.upsert({**TUOYU, "number": "3", "title": "丙", "deadline": ""})
    d, _ = register.upsert({**TUOYU, "number": "4", "title": "丁", "deadline": "2025-05-01"})
    register.set_status(d, "已答复")
    register.assign(a, "张红")
    today = date(2025, 6, 1)
    assert [e.id for e in register.entries()] == [d, b, a, c]  # by deadline, none last
    assert [e.id for e in register.entries(due_within=7, today=today)] == [b]  # 已答复 is not due
    assert [e.id for e in register.entries(due_within=10, today=today)] == [b, a]
    assert [e.id for e in register.entries(owner="张红")] == [a]
    assert [e.id for e in register.entries(status="已答复")] == [d]
    assert register.get(b).days_left(today) == 2 and register.get(c).days_left(today) is None
    with pytest.raises(StoreError, match="未知状态"):
        register.set_status(a, "完成")


def test_find_by_register_or_proposal_number(database) -> None:
    register = Register(database())
    pid, _ = register.upsert(TUOYU)
    assert register.find(str(pid)).id == register.find("20250012").id == pid
    with pytest.raises(StoreError, match="没有序号或编号为 99"):
        register.find("99")


def test_concurrent_writers_from_threads(database) -> None:
    register = Register(database())
    pid, _ = register.upsert(TUOYU)
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                register.save_draft(pid, f"线程{n}第{i}稿", author=f"u{n}")
                register.upsert({**TUOYU, "number": f"{n}-{i}", "title": f"提案{n}-{i}"})
        except Exception as err:  # collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r.revision for r in register.revisions(pid)] == list(range(1, 61))  # no revision number twice
    assert len(register.entries()) == 61


def test_sql_parameter_style_is_one_switch(tmp_path: Path) -> None:
    db = Database(tmp_path / "qa.sqlite3")
    assert db.sql("SELECT * FROM t WHERE a = ? AND b LIKE '5%'") == "SELECT * FROM t WHERE a = ? AND b LIKE '5%'"
    db.paramstyle = "format"  # what a psycopg connection takes
    assert db.sql("SELECT * FROM t WHERE a = ? AND b LIKE '5%'") == "SELECT * FROM t WHERE a = %s AND b LIKE '5%%'"
