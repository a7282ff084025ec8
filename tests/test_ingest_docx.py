"""Word files read with their structure: heading styles feed the section tree, a table row keeps its header."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE

from qa.ingest.markers import HEADING_MARKS
from qa.ingest.read import read_text
from qa.ingest.split import split_document
from qa.ingest.structure import load_documents

OPENING = [
    "关于区人大二届四次会议第15号建议的答复",
    "赵六代表：",
    "您提出的《关于完善基层医疗服务网络的建议》收悉。现答复如下：",
]
ROWS = [
    ("街道", "卫生服务站", "家庭医生团队"),
    ("东湖街道", "6", "12"),
    ("西山街道", "4", "9"),
    ("南岭街道", "5", "10"),
]


def _reply(path: Path, *, chinese_styles: bool = False, long_table: bool = False) -> Path:
    document = docx.Document()
    styles = {1: "Heading 1", 2: "Heading 2"}
    if chinese_styles:  # a Chinese Word names its built-in heading styles 标题 1, 标题 2
        for level in (1, 2):
            style = document.styles.add_style(f"标题 {level}", WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = document.styles[f"Heading {level}"]
            styles[level] = f"标题 {level}"
    document.add_paragraph(OPENING[0], style=styles[1])  # the reply heading styled as a heading, as many are
    for line in OPENING[1:]:
        document.add_paragraph(line)
    document.add_paragraph("工作进展情况", style=styles[1])  # no 一、 of its own: the style says it is a heading
    document.add_paragraph("近年来我区持续推进基层医疗卫生服务网络建设，" * 3 + "取得积极成效。")
    document.add_paragraph("服务站点布局", style=styles[2])
    document.add_paragraph("各街道卫生服务站和家庭医生团队如下表：")
    rows = ROWS + [(f"第{i}街道", str(i), str(2 * i)) for i in range(1, 40)] * long_table
    table = document.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("二、下一步工作", style=styles[1])  # numbered in its text already: kept as it is
    document.add_paragraph("我们将进一步优化站点布局，方便群众就近就医。")
    document.add_paragraph("感谢您对卫生健康工作的关心和支持。")
    document.add_paragraph("联系人：钱七")
    document.add_paragraph("联系电话：88886666")
    document.save(path)
    return path


def _sections(path: Path) -> list[tuple[tuple[str, ...], int]]:
    [doc] = load_documents(path)
    return [(p, s.level) for p, s in doc.root.walk()]


def test_heading_styles_feed_the_section_tree(tmp_path: Path) -> None:
    sections = _sections(_reply(tmp_path / "reply.docx"))
    assert (("工作进展情况",), 1) in sections
    assert (("工作进展情况", "服务站点布局"), 2) in sections
    assert (("二、下一步工作",), 1) in sections  # closes 工作进展情况: the same rank
    assert not any(OPENING[0] in path for path, _ in sections)  # the reply's own heading opens no section


def test_chinese_heading_style_names_work_too(tmp_path: Path) -> None:
    sections = _sections(_reply(tmp_path / "reply.docx", chinese_styles=True))
    assert (("工作进展情况", "服务站点布局"), 2) in sections


def test_heading_styles_leave_metadata_and_text_alone(tmp_path: Path) -> None:
    path = _reply(tmp_path / "reply.docx")
    [doc] = load_documents(path)
    assert doc.meta.proposal_no == "15"
    assert doc.meta.proposers == ("赵六",)
    assert doc.meta.heading == OPENING[0]  # a heading-styled reply heading is the heading, not a section
    assert not any(m in doc.text for m in HEADING_MARKS)
    chunks = split_document(doc)
    assert not any(m in c.text or m in "".join(c.breadcrumb) for c in chunks for m in HEADING_MARKS)
    assert any(c.text.startswith(OPENING[0]) for c in chunks)
    assert any("工作进展情况\n近年来" in c.text for c in chunks)


def test_table_rows_keep_their_header(tmp_path: Path) -> None:
    text = read_text(_reply(tmp_path / "reply.docx"))
    rows = [line for line in text.split("\n") if "\t" in line]
    assert rows[:4] == ["\t".join(row) for row in ROWS]  # header row first, one tab-separated line per row


def test_a_long_table_repeats_its_header_in_every_chunk(tmp_path: Path) -> None:
    [doc] = load_documents(_reply(tmp_path / "reply.docx", long_table=True))
    pieces = [c for c in split_document(doc) if "\t" in c.text]
    assert len(pieces) >= 2
    header = "\t".join(ROWS[0])
    for piece in pieces:
        table_lines = [x for x in piece.text.split("\n") if "\t" in x]
        assert table_lines[0] == header


def test_heading_marks_in_other_files_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{HEADING_MARKS[0]}正文第一段。\n", encoding="utf-8")
    assert read_text(path) == "正文第一段。\n"
