"""The store on PostgreSQL: one setting chooses it, the same SQL behaves the same, and several processes share it.

The store's other tests (test_store*.py, test_provenance.py) run on both databases through the `database` fixture;
these are what only a shared server has: the setting, and two processes writing at once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from qa.config import Settings
from qa.records import Answer
from qa.store import open_database, store_location
from qa.store.audit import AuditLog, AuditQuery
from qa.store.conversations import Conversations
from qa.store.feedback import Stores
from qa.store.migrations import MIGRATIONS, schema_version
from qa.store.pg import PostgresDatabase, masked

WRITER = textwrap.dedent(
    """
    import sys
    import time
    from qa.records import Answer
    from qa.store.audit import AuditLog
    from qa.store.conversations import Conversations
    from qa.store.location import open_at

    url, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # imports done: both start together
    db = open_at(url)  # both processes migrate the new database at the same moment, too
    log, chats = AuditLog(db), Conversations(db)
    for i in range(n):
        log.record("ask", who, target=f"问题{i}")
        if i % 5 == 0:
            chats.add_turn(who, None, Answer(f"{who}的第{i}个问题", f"答复{i}"))
    print("done")
    """
)


def test_the_setting_chooses_the_database(tmp_path: Path, db_url: str) -> None:
    local = Settings(data_dir=tmp_path)
    assert store_location(local) == str(tmp_path / "qa.sqlite3")
    assert open_database(local).dialect == "sqlite"
    shared = Settings(data_dir=tmp_path, database_url=db_url)
    db = open_database(shared)
    assert isinstance(db, PostgresDatabase) and store_location(shared) == db_url
    assert Stores.at(db_url).conversations.create("张红", "托育") >= 1  # the per-process stores, by URL
    assert schema_version(db) == MIGRATIONS[-1][0]
    assert masked("postgresql://qa:secret@db:5432/qa") == "postgresql://qa:***@db:5432/qa"


def test_text_search_ignores_ascii_case_on_both(database) -> None:
    db = database()
    chats, log = Conversations(db), AuditLog(db)
    cid = chats.add_turn("u", None, Answer("CT 检查结果互认吗？", "互认[1]。"))
    assert [c.id for c in chats.list("u", "ct")] == [cid]
    log.record("upload", "u", target="PET-CT 答复.docx")
    assert len(log.rows(AuditQuery(text="pet-ct"))) == 1


def test_two_processes_write_one_store_at_once(db_url: str) -> None:
    n, start = 200, time.time() + 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, who, str(n), str(start)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("甲", "乙")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "done" in out, err
    db = PostgresDatabase(db_url)
    try:
        rows = AuditLog(db).rows(AuditQuery(limit=10_000))
        assert len(rows) == 2 * n and len({r["id"] for r in rows}) == 2 * n
        for who in ("甲", "乙"):
            assert sorted(r["target"] for r in rows if r["user_name"] == who) == sorted(f"问题{i}" for i in range(n))
            convs = Conversations(db).list(who)
            assert len(convs) == n // 5 and all(c.messages == 2 for c in convs)
        versions = db.query("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in versions] == [v for v, _, _ in MIGRATIONS]  # each step applied once
    finally:
        db.close()


@pytest.mark.parametrize("bad", ["postgresql://nobody@127.0.0.1:1/none"])
def test_an_unreachable_server_is_a_store_error_in_chinese(bad: str) -> None:
    from qa.store.db import StoreError

    with pytest.raises(StoreError, match="无法连接台账数据库"):
        PostgresDatabase(bad, timeout=2)
