"""The 办理台账 tab: builds inside gr.Blocks, shows the register with due and overdue rows highlighted, escapes text."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import gradio as gr
import pytest
from conftest import SEEDS_DIR

from qa.config import Settings
from qa.store.register import Entry
from qa.web.register import (
    detail_markdown,
    due_text,
    make_register_tab,
    precedents_block,
    register_of,
    styled,
    table_rows,
)
from qa.web.service import Service


def test_tab_builds_inside_blocks_and_lists_the_register(tmp_path: Path) -> None:
    service = Service(Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "index"))
    register = register_of(service)
    pid, _ = register.upsert({"number": "1", "title": "关于托育的提案", "deadline": "2000-01-01"})
    with gr.Blocks() as demo, gr.Tab("办理台账"):
        parts = make_register_tab(service)
    assert isinstance(parts["table"], gr.Dataframe) and parts["table"] in demo.blocks.values()
    value = parts["table"].postprocess(parts["table"].value)  # the page's first view, as Gradio serialises it
    assert value.data[0][:3] == [pid, "1", "关于托育的提案"] and value.data[0][-1].startswith("逾期")
    assert "#fde2e1" in str(value.metadata)  # the overdue row is highlighted
    assert (tmp_path / "data" / "qa.sqlite3").is_file()


def test_due_labels_and_highlight() -> None:
    today = date(2025, 6, 1)
    entries = [
        Entry(id=1, title="甲", deadline="2025-05-30"),
        Entry(id=2, title="乙", deadline="2025-06-05"),
        Entry(id=3, title="丙", deadline="2025-09-01"),
        Entry(id=4, title="丁", deadline="2025-05-01", status="已答复"),
        Entry(id=5, title="戊"),
    ]
    assert [due_text(e, today) for e in entries] == ["逾期2天", "4天", "92天", "已答复", ""]
    styles = styled(table_rows(entries, today)).export()["apply"]
    assert styles  # one row-wise rule colours the rows
    html = styled(table_rows(entries, today)).to_html()
    assert html.count("#fde2e1") >= 1 and html.count("#fff4d6") >= 1


def test_document_text_is_escaped() -> None:
    entry = Entry(id=1, title="<script>alert(1)</script>", body="[点我](http://x) **粗**", proposers="<b>张</b>")
    shown = detail_markdown(entry)
    assert "<script>" not in shown and "<b>" not in shown and "](http" not in shown and "\\*\\*" in shown
    block = precedents_block(
        [{"agency": "<i>局</i>", "title": "<img src=x>", "doc_id": "d", "proposal_no": "", "score": 1}]
    )
    assert "<img" not in block and "<i>" not in block


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_the_tab_in_a_browser_imports_opens_drafts_saves_and_exports(tmp_path: Path) -> None:
    """A real page: upload an .xlsx, preview, import, open a row, draft, edit and save, one-click status, export."""
    from openpyxl import Workbook
    from playwright.sync_api import sync_playwright

    from qa.cli import main

    index_dir = tmp_path / "index"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_INDEX_DIR", str(index_dir))
        assert main(["index", str(SEEDS_DIR / "000_ecc1ee3b3577c818.txt"), "--no-wait", "--quiet"]) == 0
    service = Service(Settings(data_dir=tmp_path / "data", index_dir=index_dir))
    book = Workbook()
    book.active.append(["编号", "标题", "提出人", "办理期限", "内容"])
    book.active.append(["20250012", "关于扩大普惠托育服务供给的提案", "周敏", "2020-01-01", "建议加大托班补贴。"])
    book.active.append(["20250013", "关于某事的提案", "王五", "下月底", "内容"])
    book.save(tmp_path / "清单.xlsx")
    with gr.Blocks() as demo, gr.Tab("办理台账"):
        make_register_tab(service)
    demo.queue().launch(prevent_thread_lock=True, quiet=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(60_000)
            page.goto(demo.local_url)
            # the page's script binds the upload handler after load: a file chosen before it is lost on a busy
            # machine, so wait until the page has finished fetching its config
            page.wait_for_load_state("networkidle")
            page.get_by_text("导入交办清单").click()
            upload = page.locator("#qa-register-upload input[type=file]")
            upload.wait_for(state="attached")
            upload.set_input_files(str(tmp_path / "清单.xlsx"))
            page.get_by_text("清单.xlsx").first.wait_for()  # uploaded
            page.get_by_role("button", name="预览列的对应关系").click()
            page.get_by_text("无法读取 1 行").wait_for()
            assert not register_of(service).entries()  # a preview stores nothing
            page.get_by_role("button", name="导入", exact=True).click()
            page.locator("#qa-register").get_by_text("关于扩大普惠托育服务供给的提案").last.click()
            page.get_by_text("建议加大托班补贴。").wait_for()
            page.get_by_role("button", name="查找先例并起草").click()
            draft = page.get_by_label("答复草稿（可编辑；保存后新增一个版本，旧版本保留）")
            page.get_by_text("网页起草").wait_for()  # the history lists the new revision
            draft.fill(draft.input_value() + "\n人工补充一句。")
            page.get_by_role("button", name="保存修改").click()
            page.get_by_text(re.compile("第2版.*网页用户")).wait_for()
            page.get_by_role("button", name="标为待审核").click()
            page.get_by_text("已标为待审核").wait_for()
            page.get_by_role("button", name="导出为 Word 压缩包").click()
            page.get_by_text("已生成压缩包").wait_for()
            browser.close()
    finally:
        demo.close()
    register = register_of(service)
    [entry] = register.entries()
    assert entry.status == "待审核" and register.current_draft(entry.id).text.endswith("人工补充一句。")
    assert [r.author for r in register.revisions(entry.id)] == ["系统", "网页用户"]
