"""The 管理 tab, built in a real gr.Blocks: refusals for readers, review for editors, users and the audit log with
CSV export for admins — every message in Chinese."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from qa.config import Settings
from qa.store.db import Database
from qa.store.provenance import APPROVED, REJECTED
from qa.store.users import UserStore
from qa.web.admin import make_admin_tab
from qa.web.auth import User, hash_password
from qa.web.guard import Guard

TEXT = "关于加强社区托育服务的答复。\n2024年全区新增普惠托位820个。\n"


def _request(name: str) -> gr.Request:
    return gr.Request(username=name)


@pytest.fixture
def tab(tmp_path: Path) -> SimpleNamespace:
    settings = Settings(data_dir=tmp_path / "data")
    db = Database(tmp_path / "data" / "qa.sqlite3")
    users = UserStore(db)
    users.add("admin", hash_password("admin-password"), "admin")
    users.add("zhang", hash_password("zhang-password"), "editor")
    users.add("li", hash_password("li-password1"), "editor")
    users.add("wang", hash_password("wang-password"), "reader")
    guard = Guard(settings, db)
    builds: list[str] = []

    def rebuild(**_options: object) -> SimpleNamespace:
        builds.append("build")
        return SimpleNamespace(errors=[])

    service = SimpleNamespace(settings=settings, guard=guard, rebuild=rebuild)
    with gr.Blocks() as demo, gr.Tab("管理"):
        handlers = make_admin_tab(service)
    return SimpleNamespace(demo=demo, handlers=handlers, guard=guard, builds=builds, tmp=tmp_path)


def test_the_tab_builds_with_chinese_labels(tab: SimpleNamespace) -> None:
    config = tab.demo.get_config_file()
    labels = [c["props"].get("label") or c["props"].get("value") for c in config["components"]]
    assert "待审核" in labels and "审计记录" in labels and "导出 CSV" in labels
    assert not any(dep.get("api_name") and dep.get("api_visibility") == "public" for dep in config["dependencies"])
    assert tab.guard.login_on and tab.guard.review  # accounts exist: login on, review on by default


def test_readers_see_a_refusal_editors_review_admins_see_everything(tab: SimpleNamespace) -> None:
    load = tab.handlers["load"]
    tab.guard.audit.record("login", "wang")
    note, *_ = load(_request("wang"))
    assert "不能审核或管理" in note
    note, users, _pending, _choice, log = load(_request("zhang"))
    assert "编辑" in note and users == [] and log == []
    note, users, _pending, _choice, log = load(_request("admin"))
    assert users[0][:3] == ["admin", "管理员", "可登录"] and log


def test_pending_upload_is_approved_by_another_editor_and_rejected_with_a_reason(tab: SimpleNamespace) -> None:
    src = tab.tmp / "in"
    src.mkdir()
    (src / "更正版.txt").write_text(TEXT, encoding="utf-8")
    (src / "广告.txt").write_text("推广内容。\n", encoding="utf-8")
    tab.guard.desk.submit([str(src / "更正版.txt"), str(src / "广告.txt")], User("zhang", "editor"))
    decide, preview = tab.handlers["decide"], tab.handlers["preview"]
    assert "2024年全区新增普惠托位820个" in preview("更正版.txt", _request("li"))
    assert "无权审核" in preview("更正版.txt", _request("wang"))
    (tab.guard.desk.pending_dir / "更正版.txt").write_bytes(b"\x00\x01\x02binary")  # unreadable now
    assert preview("更正版.txt", _request("li")).startswith("无法预览：") and "binary" not in preview(
        "更正版.txt", _request("li")
    )
    (tab.guard.desk.pending_dir / "更正版.txt").write_text(TEXT, encoding="utf-8")
    message, _rows, _choice = decide("更正版.txt", "", True, _request("zhang"))
    assert "不能审核自己" in message and tab.builds == []
    message, rows, _choice = decide("更正版.txt", "", True, _request("li"))
    assert "已通过" in message and tab.builds == ["build"] and [r[0] for r in rows] == ["广告.txt"]
    assert tab.guard.provenance.get("更正版.txt").status == APPROVED
    message, rows, _choice = decide("广告.txt", "与业务无关", False, _request("admin"))
    assert message == "已驳回“广告.txt”：与业务无关" and rows == []
    assert tab.guard.provenance.get("广告.txt").status == REJECTED
    assert "请先选择" in decide("", "", True, _request("li"))[0]


def test_admin_manages_users_and_others_cannot(tab: SimpleNamespace) -> None:
    save, set_active = tab.handlers["save_user"], tab.handlers["set_active"]
    message, _ = save("zhao", "editor", "zhao-password", _request("zhang"))
    assert "无权管理用户" in message and tab.guard.users.get("zhao") is None
    message, rows = save("zhao", "editor", "zhao-password", _request("admin"))
    assert message == "已添加用户“zhao”（编辑）" and ["zhao", "编辑"] in [r[:2] for r in rows]
    assert "至少需要 8 个字符" in save("sun", "reader", "short", _request("admin"))[0]
    message, rows = set_active("zhao", False, _request("admin"))
    assert message == "已停用用户“zhao”" and ["zhao", "编辑", "已停用"] in [r[:3] for r in rows]
    assert "不能停用自己" in set_active("admin", False, _request("admin"))[0]
    disabled = tab.guard.authenticator.role_of("zhao")
    assert disabled == User("zhao", "none") and not disabled.can("ask")  # an open session loses every right


def test_audit_log_is_filtered_and_exported_for_admins_only(tab: SimpleNamespace) -> None:
    tab.guard.audit.record("ask", "wang", target="托育机构有多少家？")
    tab.guard.audit.record("login", "zhang", outcome="failed", ip="10.0.0.3")
    show, export = tab.handlers["show_log"], tab.handlers["export"]
    rows, summary = show("", "login", "", "", "", _request("admin"))
    assert [r[2:5] for r in rows] == [["zhang", "登录", "失败"]] and summary.startswith("共 1 条")
    assert "无权查看审计日志" in show("", "", "", "", "", _request("zhang"))[1]
    path, message = export("wang", "", "", "", "", _request("admin"))
    assert message == "已导出 1 条审计记录。" and Path(path).parent.parent == tab.tmp / "data" / "tmp"
    table = list(csv.reader(Path(path).read_text(encoding="utf-8-sig").splitlines()))
    assert table[0][0] == "序号" and table[1][5] == "托育机构有多少家？"
    path, message = export("", "", "", "", "", _request("li"))
    assert path is None and "无权查看审计日志" in message
