"""`qa proposals`: the handling-list register from the command line (import, list, show, status, assign, draft).

Registered in qa.cli's COMMANDS; kept apart so the register's commands do not crowd the rest of the CLI.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import ConfigError


def add_proposals_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="{import,list,show,status,assign,draft}")
    p = sub.add_parser("import", help="import a handling list (.xlsx/.csv/.tsv; '-' reads a pasted table from stdin)")
    p.add_argument("file", help="the list file, or '-' for a tab-separated table on stdin")
    p.add_argument("--dry-run", action="store_true", help="show the column mapping and row errors; store nothing")
    p = sub.add_parser("list", help="list the register by deadline")
    p.add_argument("--json", action="store_true", help="print the entries as JSON")
    p.add_argument("--due", default="", help="only open proposals due within this time, e.g. 7d or 2w (overdue too)")
    p.add_argument("--status", default="", help="only this status: 待办 / 起草中 / 待审核 / 已答复")
    p.add_argument("--owner", default="", help="only proposals assigned to this user")
    p = sub.add_parser("show", help="one proposal: fields, precedents, current draft and its history")
    p.add_argument("ref", help="the register number (first column of `list`) or the proposal's own number")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p = sub.add_parser("status", help="set a proposal's status")
    p.add_argument("ref", help="the register number or the proposal's number")
    p.add_argument("status", help="待办 / 起草中 / 待审核 / 已答复")
    p = sub.add_parser("assign", help="assign a proposal to a user")
    p.add_argument("ref", help="the register number or the proposal's number")
    p.add_argument("user", help="the user's name ('' clears)")
    p = sub.add_parser("draft", help="draft open proposals from precedent (resumable), one .docx each plus a zip")
    p.add_argument("refs", nargs="*", help="register numbers to draft (default with --all: every open proposal)")
    p.add_argument("--all", action="store_true", help="every open proposal (待办/起草中/待审核)")
    p.add_argument("--out", type=Path, default=None, help="folder for the .docx files and the zip")
    p.add_argument("--force", action="store_true", help="redraft even when the stored draft is current")
    p.add_argument("--json", action="store_true", help="print the batch report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def parse_due(text: str) -> int:
    """Days from 7d, 7, 2w (weeks) or 7天.

    Raises:
        ConfigError: anything else.
    """
    m = re.fullmatch(r"\s*(\d+)\s*([dwDW天周]?)\s*", text)
    if not m:
        raise ConfigError(f"--due 应为天数，如 7d、14 或 2w（周）；现在是 {text!r}")
    return int(m.group(1)) * (7 if m.group(2) in ("w", "W", "周") else 1)


def _register(settings: Settings) -> Any:
    from qa.store import open_database
    from qa.store.register import Register

    return Register(open_database(settings))


def _due_label(entry: Any) -> str:
    days = entry.days_left()
    if days is None:
        return "-"
    if entry.status == "已答复":
        return entry.deadline
    left = f"逾期{-days}天" if days < 0 else ("今天到期" if days == 0 else f"剩{days}天")
    return f"{entry.deadline}（{left}）"


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from qa.draft.handling import read_handling_list

    pasted = args.file == "-"
    listing = read_handling_list(text=sys.stdin.read()) if pasted else read_handling_list(Path(args.file))
    print(listing.preview())
    if args.dry_run or not listing.rows:
        print("（预览，未写入）" if args.dry_run else "没有可导入的行")
        return 1 if listing.errors and not listing.rows else 0
    register = _register(settings)
    added = updated = 0
    for row in listing.rows:
        _, created = register.upsert({**row.values, "source": listing.source}, actor="导入")
        added, updated = added + created, updated + (not created)
    print(f"已导入：新增 {added} 件，更新 {updated} 件（{register.db.path}）")
    return 1 if listing.errors else 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    due = parse_due(args.due) if args.due else None
    entries = _register(settings).entries(status=args.status, owner=args.owner, due_within=due)
    if args.json:
        print(json.dumps([{**e.to_dict(), "days_left": e.days_left()} for e in entries], ensure_ascii=False, indent=2))
        return 0
    print("序号\t编号\t状态\t承办人\t办理期限\t标题")
    for e in entries:
        print(f"{e.id}\t{e.number or '-'}\t{e.status}\t{e.owner or '-'}\t{_due_label(e)}\t{e.title}")
    print(f"共 {len(entries)} 件")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    register = _register(settings)
    entry = register.find(args.ref)
    current = register.current_draft(entry.id)
    data = {
        **entry.to_dict(),
        "days_left": entry.days_left(),
        "precedents": register.precedents(entry.id),
        "draft": current.to_dict() if current else None,
        "revisions": [{k: v for k, v in r.to_dict().items() if k != "text"} for r in register.revisions(entry.id)],
        "events": register.events(entry.id),
    }
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"#{entry.id} {entry.title}")
    for label, value in (("编号", entry.number), ("类别", entry.kind or entry.category), ("提出人", entry.proposers),
                         ("会议", entry.meeting), ("主办单位", entry.lead_unit), ("协办单位", entry.assist_units),
                         ("办理期限", _due_label(entry)), ("状态", entry.status), ("承办人", entry.owner)):  # fmt: skip
        print(f"{label}：{value or '-'}")
    print("\n内容：\n" + (entry.body or "（无）"))
    print("\n相似的既往答复：" + ("" if data["precedents"] else "（尚未起草）"))
    for p in data["precedents"]:
        print(f"  {p['rank']}. {p['agency']}《{p['title']}》（{p['doc_id']}，得分 {p['score']:.2f}）")
    if current:
        print(f"\n当前草稿（第{current.revision}版，{current.author}，{current.created_at}）：\n{current.text}")
        print(
            "修改记录：" + "；".join(f"第{r['revision']}版 {r['author']} {r['created_at']}" for r in data["revisions"])
        )
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    register = _register(settings)
    entry = register.set_status(register.find(args.ref).id, args.status.strip(), actor="命令行")
    print(f"#{entry.id} {entry.title}：{entry.status}")
    return 0


def cmd_assign(args: argparse.Namespace, settings: Settings) -> int:
    register = _register(settings)
    entry = register.assign(register.find(args.ref).id, args.user, actor="命令行")
    print(f"#{entry.id} {entry.title}：承办人 {entry.owner or '（无）'}")
    return 0


def cmd_draft_all(args: argparse.Namespace, settings: Settings) -> int:
    from qa.draft.batch import draft_all
    from qa.retrieve import open_retriever

    if not args.all and not args.refs:
        raise ConfigError("请指明哪些提案：--all（所有未办结的）或台账序号，如 qa proposals draft 3 5")
    register = _register(settings)
    ids = [register.find(r).id for r in args.refs] or None
    generator = None
    if settings.llm_configured:
        from qa.answer.generate import get_generator

        generator = get_generator(settings)
    report = draft_all(
        register, retriever=open_retriever(settings), settings=settings, generator=generator, out_dir=args.out,
        ids=ids, force=args.force, progress=not args.quiet,
    )  # fmt: skip
    if args.json:
        print(json.dumps({"counts": report.counts(), "zip": report.zip_path,
                          "items": [i.to_dict() for i in report.items]}, ensure_ascii=False, indent=2))  # fmt: skip
    else:
        print(report.summary())
    return 1 if report.counts()["失败"] else 0


ACTIONS = {
    "import": cmd_import, "list": cmd_list, "show": cmd_show, "status": cmd_status, "assign": cmd_assign,
    "draft": cmd_draft_all,
}  # fmt: skip


def cmd_proposals(args: argparse.Namespace, settings: Settings) -> int:
    """The handling-list register: import, list, show, status, assign, draft."""
    return ACTIONS[args.action](args, settings)
