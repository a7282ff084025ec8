"""`qa users` (accounts of the web app's login, stored hashed) and `qa audit` (the audit log: list, export).

Registered in qa.cli's COMMANDS; kept apart so these commands do not crowd the rest of the CLI.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import ConfigError


def add_users_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="{add,list,role,passwd,disable,enable,hash}")
    p = sub.add_parser("add", help="add an account; the password is prompted for, or read from stdin when piped")
    p.add_argument("name")
    p.add_argument("--role", default="reader", help="reader (ask, draft) / editor (upload, review) / admin")
    p = sub.add_parser("list", help="list the accounts and their roles (no passwords)")
    p = sub.add_parser("role", help="change an account's role")
    p.add_argument("name")
    p.add_argument("role", help="reader / editor / admin")
    p = sub.add_parser("passwd", help="set a new password (prompted, or from stdin)")
    p.add_argument("name")
    for action in ("disable", "enable"):
        p = sub.add_parser(action, help=f"{action} an account's login")
        p.add_argument("name")
    sub.add_parser("hash", help="print the argon2 hash of a password (for a users file, QA_USERS_FILE)")


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="{list,export}")
    for name, text in (("list", "show the newest entries"), ("export", "write the entries to a CSV file")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--user", default="", help="only this user")
        p.add_argument("--action", dest="kind", default="", help="only this action: login, ask, draft, upload, …")
        p.add_argument("--since", default="", help="from this date, YYYY-MM-DD")
        p.add_argument("--until", default="", help="up to and including this date, YYYY-MM-DD")
        if name == "export":
            p.add_argument("--out", type=Path, required=True, help="the CSV file to write (UTF-8 with BOM)")
        else:
            p.add_argument("-n", type=int, default=50, help="entries to show (default 50)")


def read_password(confirm: bool = True) -> str:
    """The password from stdin when it is piped (first line), else prompted twice without echo.

    Raises:
        ConfigError: the two entries differ, or nothing was given.
    """
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码：")
        if confirm and getpass.getpass("再输一次：") != password:
            raise ConfigError("两次输入的密码不一致")
    if not password:
        raise ConfigError("没有输入密码")
    return password


def _db(settings: Settings) -> Any:
    from qa.store import open_database

    return open_database(settings)


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from qa.store.audit import AuditLog
    from qa.store.users import ROLE_LABELS, UserStore
    from qa.web.auth import hash_password, load_credentials

    if args.action == "hash":
        print(hash_password(read_password()))
        return 0
    db = _db(settings)
    users, audit = UserStore(db), AuditLog(db)
    actor = f"命令行:{getpass.getuser()}"
    if args.action == "list":
        creds = load_credentials(settings, users)
        stored = {a.name: a for a in users.list()}
        print("用户名\t角色\t状态\t来源")
        for name in sorted(set(creds) | set(stored)):
            cred, account = creds.get(name), stored.get(name)
            role = cred.role if cred else account.role if account else ""
            state, source = ("可登录", cred.source) if cred else ("已停用", "数据库")
            print(f"{name}\t{ROLE_LABELS.get(role, role)}\t{state}\t{source}")
        if not creds:
            print("（没有账号：网页不需要登录。用 qa users add 用户名 --role admin 添加第一个管理员）", file=sys.stderr)
        return 0
    if args.action == "add":
        account = users.add(args.name, hash_password(read_password()), args.role)
        done = f"已添加用户 {account.name}（{account.role_label}）"
    elif args.action == "role":
        users.set_role(args.name, args.role)
        done = f"已将 {args.name} 的角色改为 {ROLE_LABELS.get(args.role, args.role)}"
    elif args.action == "passwd":
        if users.get(args.name) is None:
            raise ConfigError(f"用户“{args.name}”不在数据库中（QA_USERS 或用户文件里的账号请在那里修改）")
        users.set_password(args.name, hash_password(read_password()))
        done = f"已修改 {args.name} 的密码"
    else:
        users.set_active(args.name, args.action == "enable")
        done = f"已{'启用' if args.action == 'enable' else '停用'} {args.name}"
    audit.record("user", actor, target=args.name, detail=done)
    print(done + "（正在运行的网页即时生效；如网页启动时没有任何账号，需重启后才会要求登录）")
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from qa.store.audit import ACTIONS, AuditLog, AuditQuery, display_row, export_csv

    if args.kind and args.kind not in ACTIONS:
        raise ConfigError(f"--action 应为 {', '.join(ACTIONS)} 之一；现在是 {args.kind!r}")
    log = AuditLog(_db(settings))
    query = AuditQuery(user=args.user, action=args.kind, since=args.since, until=args.until, limit=10**9)
    if args.action == "export":
        n = export_csv(log, args.out, query)
        print(f"已导出 {n} 条审计记录到 {args.out}")
        return 0
    for row in log.rows(AuditQuery(**{**query.__dict__, "limit": max(1, args.n)})):
        print("\t".join(display_row(row)))
    return 0
