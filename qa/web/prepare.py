"""Reading an upload for the index in a child process: parse it into chunks, hold it to the per-upload limits and
tokenise it for BM25, at low CPU priority — so the app's own process (and its GIL) stays free for questions, and
cancelling a job is killing this process, which stops it at once whatever it is reading.

    python -m qa.web.prepare REQUEST.json RESULT.json

REQUEST: {"files": [paths], "limits": {Settings field: value}, "nice": 10}. While it works it rewrites
RESULT.progress.json ({"stage", "file", "files", "done", "total"}); at the end it writes RESULT: one entry per
file, {"path", "chunks": [Chunk.to_dict()], "terms": {text key: BM25 terms (terms_of)}, "warnings": [...]}, or
{"path", "error": a Chinese reason}. Both files are written whole (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
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
LIMIT_FIELDS = ("max_unpacked_mb", "max_archive_entries", "max_pdf_pages", "max_upload_chars", "max_upload_chunks")


def request_for(files: list[Path], settings: Settings, nice: int = 10) -> dict[str, Any]:
    """The request a job writes for this module: its staged files and the app's per-upload limits."""
    return {"files": [str(f) for f in files], "limits": {k: getattr(settings, k) for k in LIMIT_FIELDS}, "nice": nice}


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
    for n, path in enumerate(files, 1):
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
            if done % SLICE == 0 and time.monotonic() - last > 0.5:
                _write(progress, {"stage": "tokenize", "file": n, "files": len(files), "done": done,
                                  "total": len(chunks)})  # fmt: skip
                last = time.monotonic()
        out.append({"path": str(path), "chunks": [c.to_dict() for c in chunks], "terms": terms, "warnings": notes})
    _write(result, out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m qa.web.prepare REQUEST.json RESULT.json", file=sys.stderr)
        return 2
    prepare(json.loads(Path(args[0]).read_text(encoding="utf-8")), Path(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
