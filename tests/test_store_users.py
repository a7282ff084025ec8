"""Accounts in the store: names and roles checked, only hashes kept, the last admin protected; migration 2."""

from __future__ import annotations

import pytest
from conftest import table_names

from qa.store.db import StoreError
from qa.store.migrations import MIGRATIONS, migrate
from qa.store.users import UserStore, check_name, check_role
from qa.web.auth import hash_password, verify_password


def test_migration_2_is_users_and_audit_and_adds_its_tables(database) -> None:
    assert [(v, n) for v, n, _ in MIGRATIONS][:2] == [(1, "handling-list register"), (2, "users and audit")]
    db = database()
    assert 2 in migrate(db)
    tables = table_names(db)
    assert {"users", "audit_log", "uploads"} <= tables


def test_accounts_keep_the_hash_never_the_password(database) -> None:
    users = UserStore(database())
    account = users.add("张三", hash_password("correct horse"), "editor")
    assert account.role == "editor" and account.role_label == "编辑" and account.active
    raw = users.db.query("SELECT * FROM users")
    assert "correct horse" not in repr(raw) and "$argon2id$" in repr(raw)
    assert verify_password(users.get("张三").password_hash, "correct horse")
    assert not verify_password(users.get("张三").password_hash, "wrong horse")
    with pytest.raises(StoreError, match="明文"):
        users.add("李四", "plain text password")
    with pytest.raises(StoreError, match="已存在"):
        users.add("张三", hash_password("another one"))


def test_names_and_roles_are_checked_in_chinese() -> None:
    assert check_role("管理员") == "admin" and check_role(" Editor ") == "editor"
    with pytest.raises(StoreError, match="角色"):
        check_role("root")
    for bad in ("", "a:b", "a,b", "x" * 65, "tab\there"):
        with pytest.raises(StoreError, match="用户名"):
            check_name(bad)


def test_roles_change_and_the_last_admin_cannot_be_removed(database) -> None:
    users = UserStore(database())
    users.add("admin", hash_password("administrator"), "admin")
    users.add("wang", hash_password("wang-password"), "reader")
    with pytest.raises(StoreError, match="唯一的管理员"):
        users.set_role("admin", "editor")
    with pytest.raises(StoreError, match="唯一的管理员"):
        users.set_active("admin", False)
    users.set_role("wang", "admin")
    users.set_role("admin", "editor")  # another admin exists now
    with pytest.raises(StoreError, match="唯一的管理员"):
        users.set_active("wang", False)  # wang is now the only admin
    users.set_active("admin", False)  # an editor may be disabled
    assert not users.get("admin").active
    assert [a.name for a in users.list() if a.role == "admin"] == ["wang"]
    with pytest.raises(StoreError, match="不存在"):
        users.set_role("nobody", "reader")
