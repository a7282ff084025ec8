"""Opening a cited original: only indexed files under the source folders, a PDF at its page, others downloaded."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.records import Chunk, DocMeta
from qa.web.files import FileRefused, file_to_serve, source_link, source_of, source_route


@pytest.fixture
def folders(tmp_path: Path) -> SimpleNamespace:
    seeds, uploads, elsewhere = tmp_path / "seeds", tmp_path / "data" / "uploads", tmp_path / "private"
    for folder in (seeds, uploads, elsewhere):
        folder.mkdir(parents=True)
    pdf = seeds / "reply.pdf"
    pdf.write_bytes(b"%PDF-1.4 test")
    page = uploads / "page.html"
    page.write_text("<script>alert(1)</script>", encoding="utf-8")
    secret = elsewhere / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    link = seeds / "link.pdf"
    link.symlink_to(secret)
    files = {str(p): {"doc_ids": [p.name]} for p in (pdf, page, secret, link)}
    return SimpleNamespace(roots=[seeds, uploads], pdf=pdf, page=page, secret=secret, link=link, files=files)


def test_a_pdf_is_served_at_its_page(folders: SimpleNamespace) -> None:
    served = file_to_serve(str(folders.pdf), 3, indexed=folders.files, roots=folders.roots)
    assert served.path == folders.pdf.resolve() and served.inline
    assert served.media_type == "application/pdf" and served.fragment == "#page=3"
    assert file_to_serve(str(folders.pdf), 0, indexed=folders.files, roots=folders.roots).fragment == ""


def test_an_html_original_is_a_download_never_a_page_of_the_app(folders: SimpleNamespace) -> None:
    served = file_to_serve(str(folders.page), 0, indexed=folders.files, roots=folders.roots)
    assert not served.inline


@pytest.mark.parametrize("which", ["secret", "link", "unindexed", "traversal", "gone"])
def test_files_outside_the_index_or_the_folders_are_refused(folders: SimpleNamespace, which: str) -> None:
    source = {
        "secret": str(folders.secret),  # indexed once, but outside seeds/uploads
        "link": str(folders.link),  # inside seeds, but a symbolic link to a file outside
        "unindexed": str(folders.roots[0] / "other.pdf"),
        "traversal": str(folders.roots[0] / ".." / "private" / "secret.pdf"),
        "gone": str(folders.pdf),
    }[which]
    if which == "unindexed":
        (folders.roots[0] / "other.pdf").write_bytes(b"%PDF")
    if which == "gone":
        folders.pdf.unlink()
    with pytest.raises(FileRefused):
        file_to_serve(source, 1, indexed=folders.files, roots=folders.roots)


def test_source_link_and_lookup() -> None:
    chunk = Chunk("c", "回复 1.pdf#2", ("t",), "x", DocMeta(), page=4)
    assert source_link(chunk) == "qa/source/%E5%9B%9E%E5%A4%8D%201.pdf%232#page=4"
    files = {"/s/a.pdf": {"doc_ids": ["a.pdf"]}, "/s/b.txt": {"doc_ids": ["b.txt#1", "b.txt#2"]}}
    assert source_of(files, "b.txt#2") == "/s/b.txt"
    assert source_of(files, "c.pdf") is None


def _service(folders: SimpleNamespace, users: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        index=lambda: SimpleNamespace(manifest={"files": folders.files}),
        source_paths=lambda: folders.roots,
        settings=SimpleNamespace(users=users),
    )


def _client(folders: SimpleNamespace, *, auth: bool = False) -> TestClient:
    service = _service(folders, "user:pw" if auth else "")
    app = FastAPI(routes=[source_route(service)])
    app.auth = {"user": "pw"} if auth else None  # what Gradio's App holds, and its session cookie's tokens
    app.auth_dependency = None
    app.cookie_id = "abc"
    app.tokens = {"good-token": "user"}
    return TestClient(app)


def test_the_route_serves_an_indexed_pdf_inline(folders: SimpleNamespace) -> None:
    response = _client(folders).get("/qa/source/reply.pdf", params={"page": 2})
    assert response.status_code == 200 and response.content == b"%PDF-1.4 test"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    html = _client(folders).get("/qa/source/page.html")
    assert html.headers["content-disposition"].startswith("attachment")
    assert html.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("doc_id", ["secret.pdf", "link.pdf", "nothing.pdf", "..%2F..%2Fetc%2Fpasswd"])
def test_the_route_refuses_what_it_must_not_serve(folders: SimpleNamespace, doc_id: str) -> None:
    response = _client(folders).get(f"/qa/source/{doc_id}")
    assert response.status_code == 404
    assert b"PDF" not in response.content


def test_the_route_asks_for_the_apps_login(folders: SimpleNamespace) -> None:
    client = _client(folders, auth=True)
    assert client.get("/qa/source/reply.pdf").status_code == 401
    client.cookies.set("access-token-abc", "bad-token")
    assert client.get("/qa/source/reply.pdf").status_code == 401
    client.cookies.set("access-token-abc", "good-token")
    assert client.get("/qa/source/reply.pdf").status_code == 200


def test_uploads_take_png_and_jpeg_scans_by_their_content(tmp_path: Path) -> None:
    from qa.errors import IngestError
    from qa.web.uploads import check_upload

    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert check_upload(png, "扫描件.png", 5) == "扫描件.png"
    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image", encoding="utf-8")
    with pytest.raises(IngestError, match="不是 PNG/JPEG 图片"):
        check_upload(fake, "fake.jpg", 5)


def test_a_route_outside_gradio_is_closed_when_the_app_has_a_login(folders: SimpleNamespace) -> None:
    # Gradio mounted in a FastAPI app and this route added to the outer app: no Gradio session to ask.
    closed = TestClient(FastAPI(routes=[source_route(_service(folders, users="user:pw"))]))
    assert closed.get("/qa/source/reply.pdf").status_code == 401
    open_app = TestClient(FastAPI(routes=[source_route(_service(folders))]))
    assert open_app.get("/qa/source/reply.pdf").status_code == 200


def test_the_route_finds_the_login_of_a_mounted_gradio_app(folders: SimpleNamespace) -> None:
    gradio_like = FastAPI()
    gradio_like.auth, gradio_like.auth_dependency = {"user": "pw"}, None
    gradio_like.cookie_id, gradio_like.tokens = "abc", {"good-token": "user"}
    outer = FastAPI(routes=[source_route(_service(folders, users="user:pw"))])
    outer.mount("/", gradio_like)
    client = TestClient(outer)
    assert client.get("/qa/source/reply.pdf").status_code == 401
    client.cookies.set("access-token-abc", "good-token")
    assert client.get("/qa/source/reply.pdf").status_code == 200
