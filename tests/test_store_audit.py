"""The audit log: append-only, filtered reads newest first, CSV export that Excel reads and cannot be tricked by."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qa.cli import main
from qa.store.audit import AuditLog, AuditQuery, display_row, export_csv, to_csv
from qa.store.db import Database


@pytest.fixture
def log(database) -> AuditLog:
    return AuditLog(database())


def test_the_log_only_appends(log: AuditLog) -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"record", "rows"}  # no update, no delete
    source = Path(__file__).resolve().parent.parent / "qa" / "store" / "audit.py"
    text = source.read_text(encoding="utf-8").upper()
    assert "UPDATE AUDIT_LOG" not in text and "DELETE FROM" not in text
    first = log.record("login", "张三", ip="10.0.0.5")
    second = log.record("ask", "张三", target="江夏区如何推进中医药文化进校园？")
    assert second > first
    with pytest.raises(ValueError):
        log.record("rename", "张三")


def test_rows_filter_by_user_action_outcome_date_and_text(log: AuditLog) -> None:
    log.record("login", "张三", outcome="failed", detail="用户名或密码错误", ip="10.0.0.5")
    log.record("login", "张三", ip="10.0.0.5")
    log.record("upload", "李四", target="托育答复.docx", detail="待审核")
    log.record("approve", "王五", target="托育答复.docx")
    assert [r["action"] for r in log.rows()] == ["approve", "upload", "login", "login"]  # newest first
    assert len(log.rows(AuditQuery(user="张三"))) == 2
    assert [r["outcome"] for r in log.rows(AuditQuery(action="login", outcome="failed"))] == ["failed"]
    assert len(log.rows(AuditQuery(text="托育"))) == 2
    today = log.rows()[0]["at"][:10]
    assert len(log.rows(AuditQuery(since=today, until=today))) == 4
    assert log.rows(AuditQuery(until="2000-01-01")) == []
    assert len(log.rows(AuditQuery(limit=1))) == 1
    row = display_row(log.rows(AuditQuery(action="upload"))[0])
    assert row[2:6] == ["李四", "上传", "成功", "托育答复.docx"]


def test_export_is_csv_with_a_chinese_header_and_no_formulas(log: AuditLog, tmp_path: Path) -> None:
    log.record("ask", "张三", target='=HYPERLINK("http://evil")')
    out = tmp_path / "audit.csv"
    assert export_csv(log, out) == 1
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:4] == ["序号", "时间（UTC）", "用户", "操作"]
    assert rows[1][5].startswith("'=")  # a spreadsheet shows it, does not run it
    assert to_csv([]).startswith("序号")


def test_qa_audit_export_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    log = AuditLog(Database(tmp_path / "data" / "qa.sqlite3"))
    log.record("delete", "管理员", target="旧文件.txt")
    log.record("login", "张三")
    out = tmp_path / "export" / "audit.csv"
    assert main(["audit", "export", "--out", str(out), "--action", "delete"]) == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "旧文件.txt" in lines[1]
    assert main(["audit", "list", "-n", "5"]) == 0
    assert "张三" in capsys.readouterr().out
    assert main(["audit", "list", "--action", "nonsense"]) == 1
