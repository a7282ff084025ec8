"""Open the original of a cited passage: the indexed file a document came from, at the page the passage is on.

A citation links to `qa/source/<doc_id>#page=N` (relative, so it works under a proxy's path prefix); the browser's
PDF viewer opens the page named by the fragment. The route looks the document up in the live index's manifest and
serves the file only when it is indexed, exists, and lies under one of the app's source folders (seeds, uploads),
after the same login as the app. Only PDFs and images are shown in the browser; any other type (an HTML page's
scripts, a .docx) is sent as a download, so nothing from a document runs in the app's origin.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request

from qa.errors import QAError
from qa.records import Chunk

ROUTE = "qa/source"
_INLINE = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class FileRefused(QAError):
    """A request for a file the app must not serve (not indexed, outside the source folders, gone)."""


@dataclass(frozen=True)
class ServedFile:
    path: Path  # the resolved file
    media_type: str
    inline: bool  # shown in the browser (PDF, image); otherwise sent as a download
    fragment: str = ""  # "#page=3": where the browser's PDF viewer opens it


def source_link(chunk: Chunk) -> str:
    """The relative URL that opens a chunk's original file, at its page for a PDF (unescaped: escape for HTML)."""
    page = f"#page={chunk.page}" if chunk.page > 0 else ""
    return f"{ROUTE}/{quote(chunk.doc_id, safe='')}{page}"


def source_of(files: Mapping[str, Mapping[str, Any]], doc_id: str) -> str | None:
    """The indexed file (a key of the manifest's "files") that a document came from."""
    return next((key for key, entry in files.items() if doc_id in entry.get("doc_ids", ())), None)


def file_to_serve(source: str | Path, page: int, *, indexed: Iterable[str], roots: Iterable[Path]) -> ServedFile:
    """Check that `source` may be served, and how.

    Args:
        source: the file path as the index records it (a key of the manifest's "files").
        page: the page to open at (0: the start).
        indexed: every file path of the live index.
        roots: the folders files may be served from (seeds, uploads).

    Raises:
        FileRefused: not indexed, not a file, or not under one of the roots (symbolic links resolved first).
    """
    if str(source) not in {str(x) for x in indexed}:
        raise FileRefused("该文件不在索引中")
    try:
        path = Path(source).resolve(strict=True)
    except (OSError, RuntimeError) as err:
        raise FileRefused("原文件已不存在") from err
    allowed = [Path(root).resolve() for root in roots]
    if not path.is_file() or not any(path.is_relative_to(root) for root in allowed):
        raise FileRefused("该文件不在文档目录中")
    suffix = path.suffix.lower()
    if suffix in _INLINE:
        fragment = f"#page={page}" if suffix == ".pdf" and page > 0 else ""
        return ServedFile(path, _INLINE[suffix], inline=True, fragment=fragment)
    return ServedFile(path, mimetypes.guess_type(path.name)[0] or "application/octet-stream", inline=False)


def _login_app(app: Any) -> Any:
    """The Gradio app holding the login sessions: the app itself, or one mounted in it (gr.mount_gradio_app)."""
    if hasattr(app, "cookie_id") and hasattr(app, "tokens"):
        return app
    mounted = (getattr(route, "app", None) for route in getattr(app, "routes", ()))
    return next((sub for sub in mounted if hasattr(sub, "cookie_id") and hasattr(sub, "tokens")), None)


def _logged_in(request: Request, login_required: bool) -> bool:
    """The app's own login (QA_USERS): Gradio keeps the session token in a cookie named after the app. Without a
    Gradio app to ask, only an app without login is open."""
    app = _login_app(request.app)
    if app is None:
        return not login_required
    if getattr(app, "auth_dependency", None) is not None:
        return False  # a login scheme this route does not know: refuse rather than guess
    if getattr(app, "auth", None) is None:
        return not login_required
    token = request.cookies.get(f"access-token-{app.cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{app.cookie_id}"
    )
    return app.tokens.get(token) is not None


def source_route(service: Any) -> Any:
    """A FastAPI route serving `qa/source/<doc_id>` for the app: `launch(app_kwargs={"routes": [route]})`, the same
    in `gr.mount_gradio_app(...)`, or appended to the routes of the FastAPI app Gradio is mounted in.

    Args:
        service: the app's Service (its live index and source folders).
    """
    from fastapi.responses import FileResponse, PlainTextResponse
    from fastapi.routing import APIRoute

    def open_source(request: Request, doc_id: str, page: int = 0) -> Any:
        if not _logged_in(request, bool(getattr(getattr(service, "settings", None), "users", ""))):
            return PlainTextResponse("请先登录", status_code=401)
        files = getattr(service.index(), "manifest", {}).get("files", {})
        source = source_of(files, doc_id)
        try:
            if source is None:
                raise FileRefused("索引中没有这份文档")
            served = file_to_serve(source, page, indexed=files, roots=service.source_paths())
        except FileRefused as err:
            return PlainTextResponse(str(err), status_code=404)
        return FileResponse(
            served.path,
            media_type=served.media_type,
            filename=served.path.name,
            content_disposition_type="inline" if served.inline else "attachment",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
        )

    return APIRoute(f"/{ROUTE}/{{doc_id:path}}", open_source, methods=["GET"])
