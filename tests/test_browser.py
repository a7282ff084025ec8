"""The app in a real headless Chromium: ask, see the cited answer and its sources, draft a reply."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_app import AppServer, running_app, seeds_index_dir

from qa.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 180_000  # the 2-core CI machine embeds queries slowly when it is busy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"
    ),
]


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with running_app(seeds_index_dir(request, tmp_path_factory), tmp_path_factory.mktemp("browser_app")) as running:
        yield running


@pytest.fixture(scope="module")
def page(server: AppServer) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        tab.on("pageerror", lambda err: errors.append(str(err)))
        tab.goto(server.url)
        tab.get_by_text("卫生健康政务问答助手").first.wait_for()
        tab.errors = errors  # type: ignore[attr-defined]
        yield tab
        browser.close()


def _save(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    for close in page.locator("[data-testid=toast-close]").all():  # notices from earlier steps
        close.click()
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("QA_UPDATE_SCREENSHOTS"):  # refresh the README's pictures on purpose only
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / name)
    return path


def test_chat_shows_cited_answer_with_highlighted_sources(page, server: AppServer) -> None:
    gold = next(
        item
        for item in map(json.loads, (PROJECT_ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines())
        if item["id"] == "q002"
    )
    page.locator("#qa-question textarea").fill(gold["question"])
    page.locator("#qa-send").click()
    cite = page.locator("#qa-chat a.qa-cite").first
    cite.wait_for()
    card = page.locator("#qa-sources-panel .qa-src").first
    card.wait_for()
    assert page.locator("#qa-sources-panel mark").count() >= 1
    assert re.search(r"\[\d+\]", cite.inner_text())
    sources_text = page.locator("#qa-sources-panel").inner_text()
    assert "卫生健康局" in sources_text  # agency of the cited reply
    answer_text = page.locator("#qa-chat").inner_text()
    assert any(word in answer_text for word in gold["answer_keywords"]), answer_text

    cite.click()  # scrolls the panel to the card and flashes it instead of navigating away
    page.locator("#qa-sources-panel .qa-src.qa-flash").wait_for(timeout=1500)
    assert page.url == server.url

    # an example question is one click; its answer and sources replace the panel
    page.get_by_role("button", name=re.compile("托育机构不足")).click()
    page.wait_for_function(
        "() => document.querySelectorAll('#qa-chat a.qa-cite').length >= 2"
        " && document.querySelector('#qa-sources-panel').innerText.includes('托育')",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_timeout(500)
    shot = _save(page, "chat.png")
    assert shot.stat().st_size > 20_000
    assert not page.errors, page.errors  # type: ignore[attr-defined]

    # feedback: thumbs down on the first answer is stored with its citations and opens the reason form
    page.locator("#qa-chat").get_by_role("button", name=re.compile("^(踩|Dislike)$")).first.click()
    page.wait_for_timeout(1500)
    from qa.store.db import Database
    from qa.store.feedback import FeedbackStore

    item = FeedbackStore(Database(server.data_dir / "qa.sqlite3")).list(vote=-1)[0]
    assert item.question == gold["question"] and item.citations
    page.get_by_label("原因").fill("漏了重点措施")
    page.get_by_role("button", name="提交").click()
    page.wait_for_timeout(1500)
    assert FeedbackStore(Database(server.data_dir / "qa.sqlite3")).get(item.id).reason == "漏了重点措施"
    # the conversation was saved: it is listed under 我的对话 after a reload
    page.reload()
    page.get_by_text("我的对话").click()
    saved = page.locator("#qa-conversation-list").get_by_text(gold["question"][:10]).first
    saved.wait_for(timeout=TIMEOUT_MS)
    saved.click()  # restores the chat with its cited answer
    page.locator("#qa-chat").get_by_text(gold["question"]).first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#qa-chat a.qa-cite, #qa-chat .qa-cite").first.wait_for(timeout=TIMEOUT_MS)
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_drafting_page_shows_precedents_and_editable_draft(page) -> None:
    page.get_by_role("tab", name="起草答复").click()
    page.get_by_label("提案/建议标题").fill("关于加强失业人员心理健康服务的建议")
    page.get_by_label("提出人（多人用顿号分隔）").fill("张三、李四")
    page.get_by_label("会议", exact=True).fill("区政协六届四次会议")
    page.get_by_label("编号", exact=True).fill("20250045")
    page.get_by_label("提案正文").fill(
        "后疫情时代失业人员心理压力增大，建议在社区设立心理咨询服务点，开通心理援助热线，加强心理健康宣传。"
    )
    page.get_by_role("button", name="查找先例并起草").click()
    draft_box = page.locator("#qa-draft textarea")
    page.wait_for_function("() => document.querySelector('#qa-draft textarea').value.length > 100", timeout=TIMEOUT_MS)
    assert "心理" in draft_box.input_value()
    assert page.get_by_text("匹配得分").count() >= 1
    page.get_by_text("答复草稿", exact=False).first.scroll_into_view_if_needed()
    _save(page, "drafting.png")


def test_library_lists_the_seed_documents(page) -> None:
    page.get_by_role("tab", name="文档库").click()
    page.get_by_text("索引状态").first.wait_for()
    table_text = page.locator("#qa-library").inner_text()
    assert "000_ecc1ee3b3577c818.txt" in table_text
    _save(page, "library.png")
