"""Login and roles: QA_USERS with roles (old form kept), a users file of hashes, argon2, throttling by user and
address (end to end through gradio's /login route), permissions, the bind warning, and `qa users`."""

from __future__ import annotations

import io
from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from starlette.middleware import Middleware

from qa.cli import main
from qa.config import Settings
from qa.errors import ConfigError
from qa.store.audit import AuditLog, AuditQuery
from qa.store.db import Database
from qa.store.users import UserStore
from qa.web.auth import (
    ANONYMOUS,
    Authenticator,
    ClientAddress,
    LoginThrottle,
    PermissionDenied,
    User,
    bind_warning,
    hash_password,
    load_credentials,
    parse_users,
    read_users_file,
    require,
    review_enabled,
    verify_password,
)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_qa_users_takes_an_optional_role_and_keeps_the_old_form() -> None:
    assert parse_users("li:pw1, zhang:pw2:editor,wang:a:b:admin, zhao:x:管理员") == [
        ("li", "pw1", "reader"),
        ("zhang", "pw2", "editor"),
        ("wang", "a:b", "admin"),  # a colon in the password: the last part is the role
        ("zhao", "x", "admin"),
    ]
    assert parse_users("li:pa:ss") == [("li", "pa:ss", "reader")]  # not a role: part of the password
    assert parse_users("") == []
    with pytest.raises(ConfigError, match="用户名:密码"):
        parse_users("nopassword")


def test_passwords_are_argon2_hashes_and_short_ones_are_refused() -> None:
    digest = hash_password("a long enough password")
    assert digest.startswith("$argon2id$") and "a long enough" not in digest
    assert verify_password(digest, "a long enough password")
    assert not verify_password(digest, "a long enough passwort")
    assert not verify_password("not a hash", "x")
    with pytest.raises(ConfigError, match="至少"):
        hash_password("short")


def test_accounts_merge_env_file_and_store(tmp_path: Path) -> None:
    users_toml = tmp_path / "users.toml"
    users_toml.write_text(
        f'[users.zhang]\nrole = "editor"\npassword_hash = "{hash_password("zhang-password")}"\n'
        f'[users.li]\npassword_hash = "{hash_password("li-file-password")}"\n',
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path, users="li:envpass,old:oldpass", users_file=str(users_toml))
    store = UserStore(Database(tmp_path / "qa.sqlite3"))
    store.add("wang", hash_password("wang-password"), "admin")
    store.add("old", hash_password("old-password"), "reader")
    store.set_active("old", False)
    creds = load_credentials(settings, store)
    assert {n: (c.role, c.source) for n, c in creds.items()} == {
        "li": ("reader", "用户文件"),  # the file wins over QA_USERS
        "zhang": ("editor", "用户文件"),
        "wang": ("admin", "数据库"),
    }  # "old" is disabled in the store: disabled everywhere
    assert all(c.password_hash.startswith("$argon2") for c in creds.values())  # QA_USERS hashed at startup
    bad = tmp_path / "bad.toml"
    bad.write_text('[users.x]\npassword = "plain"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="password_hash"):
        read_users_file(bad)


def test_roles_allow_what_the_issue_says() -> None:
    reader, editor, admin = User("r", "reader"), User("e", "editor"), User("a", "admin")
    assert reader.can("ask") and reader.can("draft") and not reader.can("upload")
    assert editor.can("upload") and editor.can("review") and editor.can("delete_own")
    assert not editor.can("delete_any") and not editor.can("manage_users") and not editor.can("view_audit")
    assert all(admin.can(a) for a in ("delete_any", "manage_users", "view_audit", "upload"))
    with pytest.raises(PermissionDenied, match="无权上传文件"):
        require(reader, "upload")
    assert ANONYMOUS.can("manage_users")  # login off: a single-user tool


def test_throttle_blocks_a_user_and_address_then_backs_off_longer() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window=60, lockout=300, clock=clock)
    for _ in range(4):
        throttle.failed("li", "10.0.0.9")
    assert throttle.blocked_for("li", "10.0.0.9") == 0
    throttle.failed("li", "10.0.0.9")
    assert throttle.blocked_for("li", "10.0.0.9") == 300
    assert throttle.blocked_for("li", "10.0.0.8") == 0  # another address is not locked out
    assert throttle.blocked_for("zhang", "10.0.0.9") == 0  # nor another user
    clock.t += 301
    for _ in range(5):
        throttle.failed("li", "10.0.0.9")
    assert throttle.blocked_for("li", "10.0.0.9") == 600  # the second lockout doubles
    clock.t += 1000
    for name in range(20):  # spraying many names from one address
        throttle.failed(f"user{name}", "10.0.0.7")
    assert throttle.blocked_for("anyone", "10.0.0.7") > 0


def test_authenticate_refuses_even_the_right_password_while_throttled(database, tmp_path: Path) -> None:
    db = database()
    store, audit = UserStore(db), AuditLog(db)
    store.add("li", hash_password("li-password"), "editor")
    clock = Clock()
    auth = Authenticator(Settings(data_dir=tmp_path), store, audit, LoginThrottle(5, 60, 300, clock))
    assert auth.login_on and auth("li", "li-password")
    assert auth.role_of("li") == User("li", "editor") and auth.role_of("ghost") == User("ghost", "none")
    assert not any(auth("li", f"wrong{i}") for i in range(5))
    assert not auth("li", "li-password")  # locked out
    clock.t += 301
    assert auth("li", "li-password")
    outcomes = [r["outcome"] for r in audit.rows(AuditQuery(action="login"))]
    assert outcomes.count("failed") == 5 and outcomes.count("refused") == 1 and outcomes.count("ok") == 2
    assert not auth("nobody", "whatever")  # an unknown name costs the same hash check


def test_gradio_login_route_is_throttled_per_client_address(database, tmp_path: Path) -> None:
    db = database()
    store, audit = UserStore(db), AuditLog(db)
    store.add("li", hash_password("li-password"), "reader")
    with gr.Blocks() as demo:
        gr.Markdown("登录测试")
    demo.auth = Authenticator(Settings(data_dir=tmp_path, login_max_failures=3), store, audit)
    app = gr.routes.App.create_app(demo, app_kwargs={"middleware": [Middleware(ClientAddress)]})
    client = TestClient(app, client=("10.1.2.3", 5000))
    codes = [client.post("/login", data={"username": "li", "password": f"bad{i}"}).status_code for i in range(3)]
    assert codes == [400, 400, 400]
    assert client.post("/login", data={"username": "li", "password": "li-password"}).status_code == 400
    other = TestClient(app, client=("10.9.9.9", 5000))
    assert other.post("/login", data={"username": "li", "password": "li-password"}).status_code == 200
    ips = {r["ip"] for r in audit.rows(AuditQuery(action="login"))}
    assert ips == {"10.1.2.3", "10.9.9.9"}


def test_review_default_follows_login_and_the_bind_warning() -> None:
    assert review_enabled(Settings(), login_on=True) and not review_enabled(Settings(), login_on=False)
    assert not review_enabled(Settings(review_uploads="0"), login_on=True)
    assert review_enabled(Settings(review_uploads="1"), login_on=False)
    with pytest.raises(ConfigError):
        Settings(review_uploads="yes")
    assert bind_warning("127.0.0.1", login_on=False) == ""
    assert bind_warning("0.0.0.0", login_on=True) == ""
    assert "没有配置登录" in bind_warning("0.0.0.0", login_on=False)
    assert "--share" in bind_warning("127.0.0.1", login_on=False, share=True)


def test_qa_users_add_reads_the_password_from_stdin_and_stores_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("editor-password\n"))
    assert main(["users", "add", "zhang", "--role", "editor"]) == 0
    account = UserStore(Database(tmp_path / "qa.sqlite3")).get("zhang")
    assert account.role == "editor" and verify_password(account.password_hash, "editor-password")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "li"]) == 1  # too short: a Chinese error, exit 1
    assert "至少需要 8 个字符" in capsys.readouterr().err
    assert main(["users", "role", "zhang", "admin"]) == 0
    assert main(["users", "list"]) == 0
    assert "zhang\t管理员\t可登录\t数据库" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert main(["users", "hash"]) == 0
    assert capsys.readouterr().out.startswith("$argon2id$")
    assert AuditLog(Database(tmp_path / "qa.sqlite3")).rows(AuditQuery(action="user"))


def test_launch_options_give_gradio_the_throttled_login_and_warn_on_an_open_bind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.web.guard import Guard

    open_guard = Guard(Settings(data_dir=tmp_path / "open"))
    options = open_guard.launch_options("0.0.0.0")
    assert options["auth"] is None and options["auth_message"] is None
    assert "没有配置登录" in capsys.readouterr().err
    assert options["app_kwargs"]["middleware"][0].cls is ClientAddress
    closed = Guard(Settings(data_dir=tmp_path / "closed", users="li:li-password:editor"))
    options = closed.launch_options("0.0.0.0")
    assert isinstance(options["auth"], Authenticator) and "5 次" in options["auth_message"]
    assert capsys.readouterr().err == ""
    assert options["auth"]("li", "li-password") and closed.user(gr.Request(username="li")) == User("li", "editor")
