"""Login accounts in the store: a name, an argon2 password hash (never the password), a role, and whether the
account may log in. Hashing and the meaning of the roles are qa.web.auth's; this module only keeps the rows."""

from __future__ import annotations

from dataclasses import dataclass

from qa.store.db import Database, StoreError
from qa.store.migrations import migrate, now

ROLES = ("reader", "editor", "admin")
ROLE_LABELS = {"reader": "读者", "editor": "编辑", "admin": "管理员"}


@dataclass(frozen=True)
class Account:
    name: str
    password_hash: str
    role: str = "reader"
    active: bool = True
    created_at: str = ""
    updated_at: str = ""

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def check_name(name: str) -> str:
    """A user name as stored: stripped, 1–64 printable characters without ':' or ','.

    Raises:
        StoreError: an empty, overlong or unusable name.
    """
    name = (name or "").strip()
    if not name or len(name) > 64 or any(ch in ":,\n\r\t" or not ch.isprintable() for ch in name):
        raise StoreError(f"用户名“{name[:64]}”无效：应为 1–64 个字符，不含冒号、逗号或空白控制符")
    return name


def check_role(role: str) -> str:
    """The role key for reader/editor/admin, or their Chinese labels 读者/编辑/管理员.

    Raises:
        StoreError: any other role.
    """
    role = (role or "").strip().lower()
    by_label = {label: key for key, label in ROLE_LABELS.items()}
    role = by_label.get(role, role)
    if role not in ROLES:
        raise StoreError(f"角色“{role}”无效：应为 reader（读者）、editor（编辑）或 admin（管理员）")
    return role


class UserStore:
    """The users table of one Database (migrated on first use)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def get(self, name: str) -> Account | None:
        row = self.db.one("SELECT * FROM users WHERE name = ?", (name,))
        return _account(row) if row else None

    def list(self) -> list[Account]:
        return [_account(row) for row in self.db.query("SELECT * FROM users ORDER BY name")]

    def add(self, name: str, password_hash: str, role: str = "reader", *, replace: bool = False) -> Account:
        """Create an account (or, with replace, overwrite its hash and role).

        Raises:
            StoreError: a bad name or role, or the name exists and replace is False.
        """
        name, role = check_name(name), check_role(role)
        if not password_hash.startswith("$"):
            raise StoreError("只能保存密码的哈希值，不能保存明文密码")
        stamp = now()
        with self.db.transaction():
            if self.get(name) is not None:
                if not replace:
                    raise StoreError(f"用户“{name}”已存在；要修改密码或角色请用 qa users passwd / qa users role")
                self.db.execute(
                    "UPDATE users SET password_hash = ?, role = ?, active = 1, updated_at = ? WHERE name = ?",
                    (password_hash, role, stamp, name),
                )
            else:
                self.db.execute(
                    "INSERT INTO users (name, password_hash, role, active, created_at, updated_at) "
                    "VALUES (?, ?, ?, 1, ?, ?)",
                    (name, password_hash, role, stamp, stamp),
                )
        account = self.get(name)
        assert account is not None
        return account

    def set_password(self, name: str, password_hash: str) -> None:
        self._update(name, "password_hash", password_hash)

    def set_role(self, name: str, role: str) -> None:
        self._update(name, "role", check_role(role))

    def set_active(self, name: str, active: bool) -> None:
        self._update(name, "active", 1 if active else 0)

    def _update(self, name: str, column: str, value: object) -> None:
        assert column in ("password_hash", "role", "active")
        with self.db.transaction():
            if self.get(name) is None:
                raise StoreError(f"用户“{name}”不存在")
            if (column == "role" and value != "admin") or (column == "active" and not value):
                self._keep_an_admin(name)
            self.db.execute(f"UPDATE users SET {column} = ?, updated_at = ? WHERE name = ?", (value, now(), name))

    def _keep_an_admin(self, name: str) -> None:
        """Refuse to demote or disable the last active admin: nobody could manage users or review any more."""
        admins = [a.name for a in self.list() if a.role == "admin" and a.active]
        if admins == [name]:
            raise StoreError(f"“{name}”是唯一的管理员，不能降级或停用；请先设置另一位管理员")


def _account(row: dict) -> Account:
    return Account(
        name=row["name"],
        password_hash=row["password_hash"],
        role=row["role"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
