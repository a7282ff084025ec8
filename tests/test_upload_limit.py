"""A file over the upload limit is refused in Chinese, not with gradio's English text: by the running app's HTTP 413
(qa.web.upload_limit.UploadLimitMessage) and by the toast a real browser shows (gradio's client refuses the file
before sending it; the page's script rewrites that toast)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_app import AppServer, running_app, seeds_index_dir

LIMIT = "文件超过 1 MB 的上传上限，请压缩或拆分后再上传"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    index = seeds_index_dir(request, tmp_path_factory)
    with running_app(index, tmp_path_factory.mktemp("limit_app"), env={"QA_UPLOAD_MAX_MB": "1"}) as running:
        yield running


def _big(folder: Path, name: str = "超大的答复.txt") -> Path:
    path = folder / name
    path.write_text("卫生健康局答复：已收悉。\n" * 35_000, encoding="utf-8")  # ~1.3 MB
    assert path.stat().st_size > 1024 * 1024
    return path


def _post_file(url: str, path: Path) -> tuple[int, str, str]:
    """POST the file as a browser's upload does (multipart, field "files"); status, content type and body."""
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode()


def test_gradios_upload_route_refuses_a_big_file_in_chinese(server: AppServer, tmp_path: Path) -> None:
    status, kind, text = _post_file(f"{server.url}gradio_api/upload", _big(tmp_path))
    assert status == 413 and kind.startswith("text/plain"), (status, kind, text)
    assert text == LIMIT
    assert "exceed" not in text.lower()
    # a file under the limit still goes through the same route
    small = tmp_path / "小文件.txt"
    small.write_text("卫生健康局答复：已收悉。\n", encoding="utf-8")
    status, _kind, text = _post_file(f"{server.url}gradio_api/upload", small)
    assert status == 200 and json.loads(text)[0].endswith("小文件.txt"), text
    # the page's head (gradio's config) carries the script that rewrites the browser's own (English) refusal
    with urllib.request.urlopen(f"{server.url}config", timeout=30) as response:
        head = json.loads(response.read())["head"]
    assert "上传上限，请压缩或拆分后再上传" in head and "File\\(s\\) exceed the maximum allowed size" in head


@pytest.mark.browser
def test_the_browser_shows_the_size_refusal_in_chinese(server: AppServer, tmp_path: Path) -> None:
    from test_browser import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    big = _big(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.set_default_timeout(120_000)
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))  # the head script must not break the page
            page.goto(server.url)
            page.get_by_role("tab", name="文档库").click()
            page.locator("#qa-upload input[type=file]").set_input_files(str(big))
            toast = page.locator("[data-testid=toast-text]").first
            toast.wait_for()
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-testid=toast-text]')]"
                ".some(e => e.textContent.includes('上传上限'))",
                timeout=10_000,
            )
            text = toast.inner_text()
            assert text == f"“{big.name}”超过 1 MB 的上传上限，请压缩或拆分后再上传", text
            assert "exceed" not in page.locator("body").inner_text()
            assert not errors, errors
        finally:
            browser.close()
