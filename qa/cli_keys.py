"""`qa keys`: API keys for the OpenAI-compatible API (create prints the key once; list; revoke).

Registered in qa.cli's COMMANDS. Keys are stored as SHA-256 hashes in the store (qa.store.keys).
"""

from __future__ import annotations

import argparse
import json
import sys

from qa.config import Settings


def add_keys_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
    p = sub.add_parser("create", help="create an API key for a user and print it once")
    p.add_argument("user", help="the user the key belongs to (answers and audit entries name this user)")
    p = sub.add_parser("list", help="list keys: number, user, prefix, created, last used, revoked")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p = sub.add_parser("revoke", help="revoke a key by its number or prefix, or every key of a user")
    p.add_argument("who", help="key number (from `qa keys list`), key prefix, or user name")


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    from qa.store import store_location
    from qa.store.feedback import Stores

    keys = Stores.at(store_location(settings)).keys
    if args.action == "create":
        token = keys.create(args.user)
        print(token)
        print(f"已为 {args.user.strip()} 创建 API 密钥（只显示这一次，请妥善保存）。", file=sys.stderr)
        return 0
    if args.action == "revoke":
        count = keys.revoke(args.who)
        print(f"已吊销 {count} 个密钥")
        return 0
    rows = keys.list()
    if args.json:
        print(json.dumps([vars(k) for k in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有 API 密钥：用 qa keys create 用户名 创建")
    for k in rows:
        state = f"已吊销 {k.revoked_at}" if k.revoked_at else "有效"
        print(f"{k.id}\t{k.owner}\t{k.prefix}…\t创建 {k.created_at}\t最近使用 {k.last_used_at or '-'}\t{state}")
    return 0
