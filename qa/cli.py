"""The `qa` command line: index, search, docs, ask, draft, eval, serve, config."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.cli_keys import add_keys_arguments, cmd_keys
from qa.cli_proposals import add_proposals_arguments, cmd_proposals
from qa.cli_users import add_audit_arguments, add_users_arguments, cmd_audit, cmd_users
from qa.config import Settings, load_settings
from qa.errors import QAError
from qa.web import add_serve_arguments

if TYPE_CHECKING:  # the retriever pulls in numpy and FAISS: imported by the commands that search
    from qa.records import Filters

Handler = Callable[[argparse.Namespace, Settings], int]


def cmd_config(_args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings with secrets masked."""
    print(json.dumps(settings.masked(), ensure_ascii=False, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Start the Gradio app (builds the index from the seeds first when it is missing)."""
    from qa.web.app import serve  # gradio loads only for this command

    return serve(args.host, args.port, args.share, settings=settings)


def _add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    from pathlib import Path

    from qa.evaluation.runner import DEFAULT_CACHE_DIR

    parser.add_argument("--check", action="store_true", help="gate: exit 1 when a metric misses eval/thresholds.json")
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write eval/report.md and report.json (default: yes, except with --check)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        help=f"where the seeds index and baseline embeddings are kept (default {DEFAULT_CACHE_DIR})",
    )
    parser.add_argument("--seeds", type=Path, default=None, help="documents to evaluate on (default: QA_SEEDS_DIR)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the evaluation index from scratch")
    parser.add_argument("--no-answers", action="store_true", help="skip the answer metrics (retrieval only)")
    parser.add_argument("--no-precedents", action="store_true", help="skip the precedent-search metrics")
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Evaluate retrieval, answers and precedents on eval/gold.jsonl and eval/drafts.jsonl; write the report."""
    from qa.evaluation.runner import RunOptions, run_cli

    options = RunOptions(
        seeds_dir=args.seeds or settings.seeds_dir,
        cache_dir=args.cache_dir,
        answers=not args.no_answers,
        precedents=not args.no_precedents,
        rebuild=args.rebuild,
        progress=not args.quiet,
        # The report says how it was produced: `python -m eval …` runs eval/__main__.py, `qa eval …` this CLI.
        command=" ".join(["python -m eval", *sys.argv[1:]] if sys.argv[0].endswith("__main__.py") else sys.argv)
        or "qa eval",
    )
    write = (not args.check) if args.write is None else args.write
    return run_cli(options, settings, check=args.check, write=write)


def _add_index_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the seeds and data/uploads)")
    parser.add_argument("--rebuild", action="store_true", help="start over: ignore the existing index")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--no-wait",
        "--text-only",
        dest="no_wait",
        action="store_true",
        help="make the text searchable (BM25 + metadata) and return; the app or a later `qa index` embeds the rest",
    )
    parser.add_argument("--status", action="store_true", help="show embedding progress (embedded/total, rate, ETA)")
    parser.add_argument(
        "--dask-workers", type=int, default=0, help="embed on a local Dask cluster of this many worker processes"
    )
    parser.add_argument(
        "--dask-scheduler", default="", help="embed on the Dask cluster at this address (or QA_DASK_SCHEDULER)"
    )


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Make the text searchable at once, then embed what has no vector yet (unless --no-wait); or --status."""
    from qa.index.build import build_index
    from qa.index.embed import get_embedder
    from qa.index.worker import describe_status, embed_pending, read_status

    if args.status:
        status = read_status(settings.index_dir)
        print(f"索引 {settings.index_dir}: {describe_status(status)}")
        return 0
    paths = list(args.paths) or [settings.seeds_dir]
    if not args.paths and (settings.data_dir / "uploads").is_dir():
        paths.append(settings.data_dir / "uploads")
    embedder = get_embedder(settings.embed_model)
    report = build_index(
        paths, settings.index_dir, embedder, rebuild=args.rebuild, progress=not args.quiet, embed=False
    )
    print(f"索引 {settings.index_dir} ({embedder.name}, {report.dense_kind or '-'}): {report.summary()}")
    for path, reason in report.errors:
        print(f"  未能索引 {path}: {reason}", file=sys.stderr)
    for path, reason in report.warnings:
        print(f"  注意 {path}: {reason}", file=sys.stderr)
    if not report.chunks:
        raise QAError(f"{'、'.join(map(str, paths))} 中没有可索引的内容；请放入 .txt/.md/.html/.pdf/.docx 文件")
    if report.pending and not args.no_wait:
        print(f"已可按关键词检索；正在为 {report.pending} 个片段计算向量（中断后再次运行会从缓存处继续）…")
        if args.dask_workers or args.dask_scheduler:
            from qa.index.distributed import DaskEmbedder

            workers = max(1, args.dask_workers)
            with DaskEmbedder(settings.embed_model, address=args.dask_scheduler or None, workers=workers) as fan:
                embed_pending(settings.index_dir, fan, batch_size=16 * fan.workers, progress=not args.quiet)
        else:
            embed_pending(settings.index_dir, embedder, progress=not args.quiet)
    print(f"索引 {settings.index_dir}: {describe_status(read_status(settings.index_dir))}")
    if report.errors:  # a missing path or an unreadable file is a failure scripts must see
        print(f"错误: {len(report.errors)} 个文件或路径未能索引（见上）", file=sys.stderr)
        return 1
    return 0


def _add_question_arguments(parser: argparse.ArgumentParser, *, k: int, k_help: str) -> None:
    """The question, -k and the metadata filters that `search` and `ask` share."""
    parser.add_argument("question", help="the question; '-' reads one question per line from stdin, one JSON line out")
    parser.add_argument("-k", type=int, default=k, help=f"{k_help} (default {k})")
    parser.add_argument("--agency", default="", help="only documents whose agency contains this, e.g. 江夏")
    parser.add_argument("--year", default="", help="only documents of this year, e.g. 2024")
    parser.add_argument("--kind", default="", help="only this kind: 政协提案 / 人大建议 / 规划 / 其他")


def _filters(args: argparse.Namespace) -> Filters:
    from qa.errors import ConfigError
    from qa.records import Filters

    if args.k <= 0:
        raise ConfigError(f"-k 应大于 0；现在是 {args.k}")
    return Filters(agency=args.agency, year=args.year, kind=args.kind)


def _answer_stdin(respond: Callable[[str], dict[str, Any]], empty: dict[str, Any]) -> int:
    """One JSON line per stdin question; a bad line is reported in its row and does not stop the batch."""
    from qa.errors import QuestionError

    failed = 0
    for line in sys.stdin:
        question = line.strip()
        if not question:
            continue
        try:
            row = respond(question)
        except QuestionError as err:
            failed += 1
            row = {"question": question[:200], **empty, "error": str(err)}
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _add_search_arguments(parser: argparse.ArgumentParser) -> None:
    _add_question_arguments(parser, k=5, k_help="hits to show")
    parser.add_argument("--json", action="store_true", help="print hits as JSON (Hit.to_dict())")
    parser.add_argument(
        "--mode", choices=("hybrid", "dense", "bm25"), default="hybrid", help="retriever (default hybrid)"
    )


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Show the passages retrieved for a question (or for each stdin line with '-')."""
    from qa.retrieve import open_retriever

    filters = _filters(args)
    retriever = open_retriever(settings)
    if args.question != "-":
        hits = retriever.search(args.question, args.k, filters=filters, mode=args.mode)
        if args.json:
            print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        for h in [] if args.json else hits:
            text = " ".join(h.chunk.text.split())
            where = f"（{h.chunk.location}）" if h.chunk.location else ""
            title = h.chunk.meta.display_title
            print(f"{h.rank}. [{h.score:.4f}] {title}\n   {h.chunk.section}{where}\n   {text[:120]}")
        if not hits and not args.json:
            print("没有找到相关内容")
        return 0

    def search(question: str) -> dict[str, Any]:
        hits = retriever.search(question, args.k, filters=filters, mode=args.mode)
        return {"question": question, "hits": [h.to_dict() for h in hits]}

    return _answer_stdin(search, {"hits": []})


def _add_docs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (DocMeta.to_dict() plus doc_id and chunks)")


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    """List the indexed documents with their metadata."""
    from collections import Counter

    from qa.index.store import load_index

    index = load_index(settings.index_dir)
    counts = Counter(c.doc_id for c in index.chunks)
    rows = [{"doc_id": d, "chunks": counts[d], **meta.to_dict()} for d, meta in index.documents()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print("文档\t类型\t机关\t编号\t文号\t年份\t段数\t标题")
    for r in rows:
        cells = [r["doc_id"], r["kind"], r["agency"], r["proposal_no"], r["doc_no"], r["year"], str(r["chunks"])]
        print("\t".join(c or "-" for c in cells) + "\t" + r["display_title"])
    print(f"共 {len(rows)} 篇文档，{len(index.chunks)} 段（索引构建于 {index.manifest.get('built_at', '?')}）")
    return 0


def _add_ask_arguments(parser: argparse.ArgumentParser) -> None:
    _add_question_arguments(parser, k=6, k_help="passages to retrieve and cite from")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON (Answer.to_dict())")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer a question (or each stdin line with '-') with cited sources, or refuse."""
    from qa.answer.chain import ask, format_answer
    from qa.answer.generate import get_generator
    from qa.retrieve import open_retriever

    filters = _filters(args)
    retriever = open_retriever(settings)
    generator = get_generator(settings)
    if args.question != "-":
        answer = ask(args.question, retriever=retriever, filters=filters, generator=generator, k=args.k)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
        return 0
    return _answer_stdin(
        lambda q: ask(q, retriever=retriever, filters=filters, generator=generator, k=args.k).to_dict(), {}
    )


def _add_chat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", help='\'-\': read JSON lines {"conversation": id, "question": ...} from stdin, one JSON answer out'
    )
    parser.add_argument("-k", type=int, default=6, help="passages to retrieve and cite from (default 6)")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Conversations from stdin: each line answered in the context of the earlier lines of its conversation."""
    from qa.answer.chain import ask
    from qa.answer.generate import get_generator
    from qa.errors import ConfigError, QuestionError
    from qa.retrieve import open_retriever

    if args.source != "-":
        raise ConfigError("qa chat 从标准输入读取问题：请给出 '-'，并通过管道输入 JSON 行")
    retriever = open_retriever(settings)
    generator = get_generator(settings)
    histories: dict[str, list[tuple[str, Any]]] = {}
    failed = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            data = {"error": f"not a JSON line ({err.msg})"}
        if not isinstance(data, dict):
            data = {"error": "each line must be a JSON object"}
        conversation = str(data.get("conversation", ""))
        question = data.get("question")
        if "error" in data or not isinstance(question, str):
            failed += 1
            row = {"conversation": conversation, "error": data.get("error", 'the line needs a "question" string')}
            print(json.dumps(row, ensure_ascii=False), flush=True)
            continue
        history = histories.setdefault(conversation, []) if conversation else []
        try:
            answer = ask(question, retriever=retriever, history=list(history), generator=generator, k=args.k)
        except QuestionError as err:
            failed += 1
            print(json.dumps({"conversation": conversation, "question": question[:200], "error": str(err)},
                             ensure_ascii=False), flush=True)  # fmt: skip
            continue
        if conversation:
            history.append((question, answer))
        print(json.dumps({**answer.to_dict(), "conversation": conversation}, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _add_draft_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", default="", help="the proposal's title, e.g. 关于优化区域幼儿托育机构的提案")
    parser.add_argument("--proposer", action="append", default=[], help="proposer(s); repeat or join with 、")
    parser.add_argument("--kind", default="政协提案", help="政协提案 (提案/政协) or 人大建议 (建议/人大)")
    parser.add_argument("--body", default="", help="the proposal's text")
    parser.add_argument("--body-file", default="", help="read the proposal's text from a .txt/.md/.docx/.pdf file")
    parser.add_argument("--meeting", default="", help="e.g. 区政协六届四次会议 (placeholder when omitted)")
    parser.add_argument("--number", default="", help="the proposal number, e.g. 20250012 (placeholder when omitted)")
    parser.add_argument("--agency", default="", help="use only precedents of this agency, e.g. 江夏")
    parser.add_argument("-k", type=int, default=5, help="precedents to report (default 5)")
    parser.add_argument("--out", default="", help="write draft.docx (公文 layout), draft.md (with 依据) or draft.txt")
    parser.add_argument("--json", action="store_true", help="print Draft.to_dict() as JSON")


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    """Draft a reply to a new proposal from precedent: Markdown with 依据 on stdout, or a file, or JSON."""
    from pathlib import Path

    from qa.draft.compose import draft_reply, make_proposal, render_markdown, write_draft
    from qa.records import Filters
    from qa.retrieve import open_retriever

    body = args.body
    if args.body_file:
        from qa.ingest.clean import clean_text
        from qa.ingest.read import read_text

        body = clean_text(read_text(Path(args.body_file)))  # IngestError names the file and what is wrong
    proposal = make_proposal(
        args.title, body, proposers=args.proposer, kind=args.kind, meeting=args.meeting, number=args.number
    )
    generator = None
    if settings.llm_configured:
        from qa.answer.generate import get_generator

        generator = get_generator(settings)
    filters = Filters(agency=args.agency) if args.agency else None
    draft = draft_reply(
        proposal, retriever=open_retriever(settings), generator=generator, settings=settings, filters=filters, k=args.k
    )
    if args.out:
        print(f"已写入 {write_draft(draft, Path(args.out))}", file=sys.stderr)
    if args.json:
        print(json.dumps({**draft.to_dict(), "markdown": render_markdown(draft)}, ensure_ascii=False, indent=2))
    elif not args.out:
        print(render_markdown(draft))
    return 0


# Each subcommand registers its parser here: (name, help, add_arguments, handler).
# Stages add theirs next to their handler, so cli.py stays a thin edge over the library.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("config", "print the effective settings (secrets masked)", lambda _p: None, cmd_config),
    ("draft", "draft a reply to a new 提案/建议 from precedent (起草答复)", _add_draft_arguments, cmd_draft),
    ("index", "build or update the index from files and folders", _add_index_arguments, cmd_index),
    ("search", "show the passages retrieved for a question", _add_search_arguments, cmd_search),
    ("docs", "list the indexed documents and their metadata", _add_docs_arguments, cmd_docs),
    ("serve", "start the web app (问答 / 起草答复 / 文档库)", add_serve_arguments, cmd_serve),
    ("ask", "answer a question with cited sources (问答)", _add_ask_arguments, cmd_ask),
    ("chat", "answer conversations: JSON lines in, one JSON answer per line out", _add_chat_arguments, cmd_chat),
    ("eval", "evaluate retrieval, answers and precedents on the gold sets", _add_eval_arguments, cmd_eval),
    ("proposals", "the handling list (交办清单): import, list, draft all", add_proposals_arguments, cmd_proposals),
    ("keys", "API keys of the OpenAI-compatible API: create, list, revoke", add_keys_arguments, cmd_keys),
    ("users", "the web app's accounts and roles (stored hashed)", add_users_arguments, cmd_users),
    ("audit", "the audit log: list or export to CSV", add_audit_arguments, cmd_audit),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="问答与答复起草：卫生健康政务文件检索增强问答")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text, add_arguments, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return args.handler(args, settings)
    except QAError as err:
        print(f"错误: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
