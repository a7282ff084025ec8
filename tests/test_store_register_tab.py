"""The 办理台账 tab: builds inside gr.Blocks, shows the register with due and overdue rows highlighted, escapes text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import gradio as gr

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
