"""The `qa` command line: index, search, docs, ask, draft, eval, serve, config."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from qa.config import Settings, load_settings
from qa.errors import QAError

Handler = Callable[[argparse.Namespace, Settings], int]


def cmd_config(_args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings with secrets masked."""
    print(json.dumps(settings.masked(), ensure_ascii=False, indent=2))
    return 0


def _load_app_module():
    """app.py lives at the project root (it is the UI edge, not part of the package); load it by path."""
    import importlib.util

    from qa.config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("qa_app", PROJECT_ROOT / "app.py")
    if spec is None or spec.loader is None:
        raise QAError(f"cannot find the web app at {PROJECT_ROOT / 'app.py'}; run qa serve from a source checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Start the Gradio app (builds the index from the seeds first when it is missing)."""
    return _load_app_module().serve(args.host, args.port, args.share, settings=settings)


# Each subcommand registers its parser here: (name, help, add_arguments, handler).
# Stages add theirs next to their handler, so cli.py stays a thin edge over the library.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("config", "print the effective settings (secrets masked)", lambda _p: None, cmd_config),
    ("serve", "start the web app (问答 / 起草答复 / 文档库)", _add_serve_arguments, cmd_serve),
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
