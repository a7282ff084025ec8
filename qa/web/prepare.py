"""Reading an upload for the index in a child process: parse it into chunks, hold it to the per-upload limits and
tokenise it for BM25, at low CPU priority — so the app's own process (and its GIL) stays free for questions, and
cancelling a job is killing this process, which stops it at once whatever it is reading. The parent's side is
here too: `read_in_child` starts, follows and kills the child; `seed_terms` puts its BM25 terms into the index's
term cache; `chunk_loader` hands its chunks to the build.

    python -m qa.web.prepare REQUEST.json RESULT.json

REQUEST: {"files": [paths], "limits": {Settings field: value}, "nice": 10, "parent": the app's pid (the reader
exits when the app is gone)}. While it works it rewrites RESULT.progress.json ({"stage", "file", "files", "done",
"total"}); at the end it writes RESULT: one entry per file, {"path", "chunks": [Chunk.to_dict()], "terms": {text
key: BM25 terms (terms_of)}, "warnings": [...]}, or {"path", "error": a Chinese reason}. Both files are written
whole (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import IngestWarning, QAError
from qa.index import tokenize
from qa.index.cache import text_key
from qa.index.store import one_line
from qa.index.worker import lower_priority
from qa.ingest.split import split_document
from qa.ingest.structure import load_documents
from qa.records import Chunk

SLICE = 200  # chunks tokenised between progress reports
POLL = 0.1  # seconds between the parent's looks at the child (and at the cancel flag)
LIMIT_FIELDS = ("max_unpacked_mb", "max_archive_entries", "max_pdf_pages", "max_upload_chars", "max_upload_chunks")


def request_for(files: list[Path], settings: Settings, nice: int = 10) -> dict[str, Any]:
    """The request a job writes for this module: its staged files and the app's per-upload limits."""
    limits = {k: getattr(settings, k) for k in LIMIT_FIELDS}
    return {"files": [str(f) for f in files], "limits": limits, "nice": nice, "parent": os.getpid()}


def read_chunks(path: Path, settings: Settings) -> tuple[list[Chunk], list[str]]:
    """One file's chunks (the index's own ingest stages, under the upload limits) and its reading warnings.

    Raises:
        IngestError: unreadable, over a resource limit, no text, or more chunks than QA_MAX_UPLOAD_CHUNKS.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IngestWarning)
        chunks = [c for doc in load_documents(path, settings=settings) for c in split_document(doc)]
    unique = list({c.chunk_id: c for c in chunks}.values())  # as the build: identical passages are indexed once
    if not unique:
        raise QAError(f"“{path.name}”没有可索引的文字")
    if len(unique) > settings.max_upload_chunks:
        raise QAError(
            f"“{path.name}”切分后有 {len(unique)} 个片段，超过每个上传文件 {settings.max_upload_chunks} 个的上限"
            "（QA_MAX_UPLOAD_CHUNKS）；请把文件拆分后分批上传"
        )
    return chunks, [str(w.message) for w in caught if issubclass(w.category, IngestWarning)]


def terms_of(stored: str | list[str]) -> list[str]:
    """A chunk's BM25 terms as the result stores them (see prepare)."""
    return stored if isinstance(stored, list) else stored.split(" ") if stored else []


def _write(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def prepare(request: dict[str, Any], result: Path) -> None:
    """Do what the request asks and write the result (and progress beside it)."""
    lower_priority(int(request.get("nice", 10)))
    settings = Settings(**request.get("limits", {}))
    files = [Path(f) for f in request["files"]]
    progress = result.with_name(result.name + ".progress.json")
    out: list[dict[str, Any]] = []
    parent = request.get("parent")
    for n, path in enumerate(files, 1):
        _stop_if_orphaned(parent)
        _write(progress, {"stage": "parse", "file": n, "files": len(files), "done": 0, "total": 0})
        try:
            chunks, notes = read_chunks(path, settings)
        except Exception as err:  # one bad file must not stop the others; the reason is shown as it is
            out.append({"path": str(path), "error": one_line(err)})
            continue
        terms: dict[str, str | list[str]] = {}  # space-joined when no term has a space: a quarter of the reading
        last = time.monotonic()
        for done, chunk in enumerate(chunks, 1):
            key = text_key(chunk)
            if key not in terms:
                found = tokenize.tokenize(chunk.indexed_text)
                terms[key] = found if any(" " in t or not t for t in found) else " ".join(found)
            if done % SLICE == 0:
                _stop_if_orphaned(parent)
            if done % SLICE == 0 and time.monotonic() - last > 0.5:
                _write(progress, {"stage": "tokenize", "file": n, "files": len(files), "done": done,
                                  "total": len(chunks)})  # fmt: skip
                last = time.monotonic()
        out.append({"path": str(path), "chunks": [c.to_dict() for c in chunks], "terms": terms, "warnings": notes})
    _write(result, out)


def _stop_if_orphaned(parent: int | None) -> None:
    """Exit when the app that started this reader is gone (its job went with it; the next start clears it)."""
    if parent and os.getppid() != parent:
        sys.exit(3)


class ReadCancelled(Exception):
    """The reading was cancelled and its child process killed."""


def read_in_child(
    files: list[Path],
    settings: Settings,
    folder: Path,
    *,
    nice: int = 10,
    cancel: threading.Event | None = None,
    on_start: Callable[[subprocess.Popen[bytes] | None], None] = lambda _child: None,
    on_progress: Callable[[str, float], None] = lambda _text, _part: None,
) -> list[dict[str, Any]]:
    """Read files with `prepare` in a child process (request, result and log in `folder`); the result's entries.

    Args:
        cancel: when set, the child is killed within POLL seconds and ReadCancelled raised.
        on_start: called with the child once it runs (so a canceller can kill it at once) and None once it ended.
        on_progress: called with a Chinese line and the part done (0–1) while the child reads and tokenises.

    Raises:
        ReadCancelled: `cancel` was set.
        QAError: the child died without a result (its last log line is in the message).
    """
    request, result = folder / "request.json", folder / "result.json"
    folder.mkdir(parents=True, exist_ok=True)
    request.write_text(json.dumps(request_for(files, settings, nice)), encoding="utf-8")
    progress = result.with_name(result.name + ".progress.json")
    package_root = str(Path(__file__).resolve().parent.parent.parent)  # importable even if not installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    stopped = cancel or threading.Event()
    if stopped.is_set():
        raise ReadCancelled
    with open(folder / "prepare.log", "wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "qa.web.prepare", str(request), str(result)],
                                 stdout=log, stderr=log, env=env)  # fmt: skip
    on_start(child)
    try:
        while child.poll() is None:
            if stopped.is_set():
                child.kill()
                child.wait()
                raise ReadCancelled
            shown = _progress(progress)
            if shown:
                on_progress(*shown)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(POLL)
    finally:
        on_start(None)
    if stopped.is_set():
        raise ReadCancelled
    if child.returncode != 0 or not result.is_file():
        tail = (folder / "prepare.log").read_text("utf-8", errors="replace").strip().splitlines()[-1:]
        raise QAError(f"读取文件的子进程异常退出（返回码 {child.returncode}）{'：' + tail[0] if tail else ''}")
    return json.loads(result.read_text("utf-8"))


def _progress(path: Path) -> tuple[str, float] | None:
    try:
        p = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    files, n = max(1, int(p.get("files", 1))), int(p.get("file", 1))
    if p.get("stage") == "tokenize" and p.get("total"):
        part = int(p["done"]) / int(p["total"])
        text = f"分词 {p['done']}/{p['total']} 个片段（第 {n}/{files} 个文件）"
    else:
        part, text = 0.0, f"读取第 {n}/{files} 个文件"
    return text, ((n - 1) + 0.2 + 0.8 * part) / files


def seed_terms(index_dir: Path, results: list[dict[str, Any]]) -> None:
    """Put the BM25 terms the child computed into the index's term cache, so the build only looks them up. Under
    the build lock *file* (the vocabulary is shared), not the app's build lock: deletions go on meanwhile."""
    from qa.index.build import build_lock
    from qa.index.store import CACHE
    from qa.index.terms import TermCache

    index_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir):
        cache = TermCache(index_dir / CACHE)
        for result in results:
            for key, stored in result.get("terms", {}).items():
                cache.add(key, terms_of(stored))
        cache.flush()


def chunk_loader(prepared: dict[str, list[Chunk]], folder: Path) -> Callable[[Path], list[Chunk]]:
    """The build's file → chunks: the chunks already read for the named files in `folder` (the uploads), the
    ingest pipeline for any other file."""
    root = folder.resolve()

    def load(path: Path) -> list[Chunk]:
        path = Path(path)
        if path.name in prepared and path.resolve().parent == root:
            return prepared[path.name]
        return [c for doc in load_documents(path) for c in split_document(doc)]

    return load


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m qa.web.prepare REQUEST.json RESULT.json", file=sys.stderr)
        return 2
    prepare(json.loads(Path(args[0]).read_text(encoding="utf-8")), Path(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
