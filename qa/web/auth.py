"""Who may log in and what each role may do: argon2 password hashes, the accounts from the store, a users file and
QA_USERS, login throttling, and the permission check the page's handlers call. No gradio import: the login
callable handed to ``launch(auth=…)`` is a plain ``authenticate(username, password) -> bool``.

Roles: reader (ask, draft), editor (also upload, delete their own uploads, review others'), admin (everything:
users, review, delete any upload, the audit log). With login off there is one anonymous user with every right:
the app is then a single-user tool, and `bind_warning` says so when it listens beyond localhost.
"""

from __future__ import annotations

import contextvars
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import ConfigError, QAError
from qa.store.users import ROLE_LABELS, ROLES, UserStore, check_name, check_role

PERMISSIONS = {
    "ask": "reader",
    "draft": "reader",
    "upload": "editor",
    "delete_own": "editor",
    "review": "editor",
    "delete_any": "admin",
    "manage_users": "admin",
    "view_audit": "admin",
}
ACTION_LABELS = {
    "ask": "提问",
    "draft": "起草答复",
    "upload": "上传文件",
    "delete_own": "删除上传的文件",
    "review": "审核上传文件",
    "delete_any": "删除他人上传的文件",
    "manage_users": "管理用户",
    "view_audit": "查看审计日志",
}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CLIENT_IP: contextvars.ContextVar[str] = contextvars.ContextVar("qa_client_ip", default="")


class PermissionDenied(QAError):
    """The user's role does not allow the action (the message is for the page, in Chinese)."""


@dataclass(frozen=True)
class User:
    name: str  # "" when login is off
    role: str = "reader"

    def can(self, action: str) -> bool:
        if self.role not in ROLES:  # NO_ROLE: a disabled or removed account's open session
            return False
        return ROLES.index(self.role) >= ROLES.index(PERMISSIONS[action])

    @property
    def label(self) -> str:
        return f"{self.name or '本机用户'}（{ROLE_LABELS.get(self.role, '账号已停用')}）"


ANONYMOUS = User("", "admin")  # login off: a single-user tool, every right
NO_ROLE = "none"  # a session whose account was disabled or removed since it logged in: no rights at all


def require(user: User, action: str) -> None:
    """Raises PermissionDenied with a Chinese message unless the user's role allows the action."""
    if not user.can(action):
        need = ROLE_LABELS[PERMISSIONS[action]]
        raise PermissionDenied(f"{user.label}无权{ACTION_LABELS[action]}：需要“{need}”或更高角色，请联系管理员")


# ---------------------------------------------------------------- passwords


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of a password (8 characters at least).

    Raises:
        ConfigError: a password that is too short.
    """
    if len(password or "") < 8:
        raise ConfigError("密码至少需要 8 个字符")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------- where accounts come from


@dataclass(frozen=True)
class Credential:
    name: str
    password_hash: str
    role: str
    source: str  # 数据库 / 用户文件 / QA_USERS


def parse_users(text: str) -> list[tuple[str, str, str]]:
    """QA_USERS=user:pass[:role],… → (name, password, role); role reader/editor/admin, default reader.

    The old ``user:pass`` form still works. A password containing ':' must use the three-part form, whose last
    part is then the role.

    Raises:
        ConfigError: an entry without a password, or with an unknown role.
    """
    entries = []
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        name, sep, rest = entry.partition(":")
        password, role = rest, "reader"
        head, sep2, tail = rest.rpartition(":")
        if sep2 and tail.strip().lower() in (*ROLES, *ROLE_LABELS.values()):
            password, role = head, tail
        if not sep or not name.strip() or not password:
            raise ConfigError(f"QA_USERS 的条目“{name}:…”格式不对；应为 用户名:密码[:角色]，多个用逗号分隔")
        try:
            entries.append((check_name(name), password, check_role(role)))
        except QAError as err:
            raise ConfigError(f"QA_USERS 的条目“{name}:…”：{err}") from err
    return entries


def users_file(settings: Settings) -> Path | None:
    """QA_USERS_FILE, else data_dir/users.toml when it exists."""
    if settings.users_file:
        return Path(settings.users_file).expanduser()
    default = settings.data_dir / "users.toml"
    return default if default.is_file() else None


def read_users_file(path: Path) -> list[tuple[str, str, str]]:
    """A TOML users file → (name, password_hash, role). Each account is a table under [users]::

        [users.zhangsan]
        role = "editor"
        password_hash = "$argon2id$v=19$..."   # from `qa users hash`

    Raises:
        ConfigError: a missing or unreadable file, a plain-text password, a bad name or role.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"用户文件 {path} 无法读取：{err}") from err
    out = []
    for name, entry in (data.get("users") or {}).items():
        if not isinstance(entry, dict) or not str(entry.get("password_hash", "")).startswith("$argon2"):
            raise ConfigError(f"用户文件 {path} 中“{name}”缺少 password_hash（argon2 哈希，用 qa users hash 生成）")
        try:
            out.append((check_name(name), str(entry["password_hash"]), check_role(str(entry.get("role", "reader")))))
        except QAError as err:
            raise ConfigError(f"用户文件 {path}：{err}") from err
    return out


def load_credentials(settings: Settings, store: UserStore | None = None) -> dict[str, Credential]:
    """Every account that may log in, by name. The store wins over the users file, which wins over QA_USERS;
    QA_USERS passwords are hashed here, so no plain password is kept in memory past startup."""
    found: dict[str, Credential] = {}
    for name, password, role in parse_users(settings.users):
        found[name] = Credential(name, _hasher().hash(password), role, "QA_USERS")
    path = users_file(settings)
    for name, password_hash, role in read_users_file(path) if path else []:
        found[name] = Credential(name, password_hash, role, "用户文件")
    for account in store.list() if store else []:
        if account.active:
            found[account.name] = Credential(account.name, account.password_hash, account.role, "数据库")
        else:
            found.pop(account.name, None)  # disabled in the store: disabled everywhere
    return found


def review_enabled(settings: Settings, login_on: bool) -> bool:
    """QA_REVIEW_UPLOADS=1/0, or (empty) on exactly when login is configured."""
    value = settings.review_uploads.strip()
    return login_on if value == "" else value == "1"


def bind_warning(host: str, login_on: bool, share: bool = False) -> str:
    """The warning to print when the app is reachable from other machines without a login ('' when fine)."""
    if login_on or (host in LOCAL_HOSTS and not share):
        return ""
    where = "公开链接（--share）" if share else f"地址 {host}"
    return (
        f"警告：应用监听在{where}，但没有配置登录。能访问该端口的任何人都可以提问、上传和删除文件。"
        "请用 `qa users add 用户名 --role admin` 添加账号，或设置 QA_USERS / QA_USERS_FILE。"
    )


# ---------------------------------------------------------------- login


class LoginThrottle:
    """At most `max_failures` wrong passwords per (user, address) within `window` seconds, and 4x that per
    address across all names; past either, logins from there are refused — even with the right password — for
    `lockout` seconds, doubling with each further lockout up to an hour."""

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 60.0,
        lockout: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_failures, self.window, self.lockout, self.clock = max_failures, window, lockout, clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._until: dict[tuple[str, str], float] = {}
        self._strikes: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def _keys(self, user: str, ip: str) -> list[tuple[tuple[str, str], int]]:
        return [((user, ip), self.max_failures), (("*", ip), self.max_failures * 4)]

    def blocked_for(self, user: str, ip: str) -> float:
        """Seconds until a login for this user from this address is tried again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([self._until.get(key, 0) - now for key, _ in self._keys(user, ip)] + [0.0])

    def failed(self, user: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            for key, limit in self._keys(user, ip):
                recent = [t for t in self._failures.get(key, []) if now - t < self.window] + [now]
                self._failures[key] = recent
                if len(recent) >= limit:
                    strikes = self._strikes.get(key, 0)
                    self._until[key] = now + min(self.lockout * 2**strikes, 3600.0)
                    self._strikes[key] = strikes + 1
                    self._failures[key] = []

    def succeeded(self, user: str, ip: str) -> None:
        with self._lock:
            for key in ((user, ip),):
                self._failures.pop(key, None)
                self._strikes.pop(key, None)


class Authenticator:
    """The login check for gradio's ``launch(auth=…)``: throttled, audited, against the current accounts.

    Accounts are re-read (cheaply) on each login, so `qa users add` and the admin tab take effect without a
    restart. The client address comes from `CLIENT_IP`, set by `ClientAddress` middleware around the app.
    """

    def __init__(self, settings: Settings, store: UserStore | None = None, audit: Any = None,
                 throttle: LoginThrottle | None = None) -> None:  # fmt: skip
        self.settings, self.store, self.audit = settings, store, audit
        self.throttle = throttle or LoginThrottle(settings.login_max_failures, 60.0, settings.login_lockout_seconds)
        self._static = {k: v for k, v in load_credentials(settings).items()}  # env and file: hashed once
        self._dummy = _hasher().hash("not a password of anyone")

    def credentials(self) -> dict[str, Credential]:
        found = dict(self._static)
        for account in self.store.list() if self.store else []:
            if account.active:
                found[account.name] = Credential(account.name, account.password_hash, account.role, "数据库")
            else:
                found.pop(account.name, None)
        return found

    @property
    def login_on(self) -> bool:
        return bool(self.credentials())

    def role_of(self, name: str | None) -> User:
        """The User behind a logged-in name (ANONYMOUS when login is off; no rights for an unknown or disabled
        name, so an open session of a disabled account can do nothing more)."""
        if not name:
            return ANONYMOUS if not self.login_on else User("", NO_ROLE)
        found = self.credentials().get(name)
        return User(name, found.role if found else NO_ROLE)

    def __call__(self, username: str, password: str) -> bool:
        name, ip = (username or "").strip(), CLIENT_IP.get()
        wait = self.throttle.blocked_for(name, ip)
        if wait > 0:
            self._log(name, "refused", f"登录过于频繁，暂停 {wait:.0f} 秒", ip)
            return False
        found = self.credentials().get(name)
        ok = verify_password(found.password_hash if found else self._dummy, password or "") and found is not None
        if ok:
            self.throttle.succeeded(name, ip)
        else:
            self.throttle.failed(name, ip)
        self._log(name, "ok" if ok else "failed", "" if ok else "用户名或密码错误", ip)
        return ok

    def _log(self, name: str, outcome: str, detail: str, ip: str) -> None:
        if self.audit is not None:
            self.audit.record("login", name[:64], outcome=outcome, detail=detail, ip=ip)


class ClientAddress:
    """ASGI middleware that puts each request's client address into CLIENT_IP for the login check.

    Use as ``launch(app_kwargs={"middleware": [starlette.middleware.Middleware(ClientAddress)]})``. The address
    is the TCP peer: X-Forwarded-For is not trusted, since anyone can send it.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client") if scope.get("type") == "http" else None
        token = CLIENT_IP.set(str(client[0]) if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT_IP.reset(token)
