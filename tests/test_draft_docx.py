"""qa.draft.docx: a Draft written as a 公文-layout .docx and read back with python-docx."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from qa.draft.docx import APPENDIX, docx_text, line_role, write_docx
from qa.errors import QAError
from qa.records import Chunk, DocMeta, Draft, DraftSection

REPLY = DocMeta(agency="武汉市江夏区卫生健康局", kind="政协提案", title="关于优化区域幼儿托育机构", source="000.txt")
PASSAGE = Chunk(
    "c1",
    "000.txt#5",
    ("对区政协六届三次会议第20240181号提案的答复", "一、加强托育服务"),
    "我区组织托育机构保健医共计21名参加了培训。下一步将扩大培训规模。",
    REPLY,
)
LINES = [
    "〔待填写：单位名称〕",
    "对〔待填写：会议〕第〔待填写：编号〕号提案的答复",
    "周敏、李华委员：",
    "你们提出的《关于扩大普惠托育服务供给的建议》收悉，现答复如下：",
    "一、加强托育从业人员培训",
    "我区组织托育机构保健医共计21名参加了培训。",
    "（一）推行持证上岗",
    "〔待核实：本单位此项工作的开展情况和下一步安排〕",
    "再次感谢你们对卫生健康工作的关心和支持。",
    "主管领导姓名 〔待填写：主管领导〕 联系电话 〔待填写：主管领导电话〕",
    "经办人姓名 〔待填写：经办人〕 联系电话 〔待填写：经办人电话〕",
    "抄送：区政协提案委（1份）",
    "区政府办公室（1份）",
]
DRAFT = Draft(
    text="\n\n".join(LINES),
    sections=[
        DraftSection("一、加强托育从业人员培训", ["我区组织托育机构保健医共计21名参加了培训。"], [[PASSAGE]]),
        DraftSection("（一）推行持证上岗", ["〔待核实：本单位此项工作的开展情况和下一步安排〕"], [[]]),
    ],
    placeholders=["〔待填写：单位名称〕", "〔待核实：本单位此项工作的开展情况和下一步安排〕"],
    unsupported=["今年全区新增托位9999个。"],
)


def east_asian_font(paragraph: Paragraph) -> str:
    return paragraph.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia"))


def first_line_chars(paragraph: Paragraph) -> str | None:
    ind = paragraph._p.pPr.find(qn("w:ind"))
    return None if ind is None else ind.get(qn("w:firstLineChars"))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[Paragraph]:
    path = write_docx(DRAFT, tmp_path_factory.mktemp("docx") / "sub" / "答复.docx")  # missing folders are made
    return list(open_docx(str(path)).paragraphs)


def by_text(paragraphs: list[Paragraph], text: str) -> Paragraph:
    return next(p for p in paragraphs if p.text == text)


def test_every_line_is_one_paragraph_and_placeholders_stay_visible(written: list[Paragraph]) -> None:
    body = [p.text for p in written][: len(LINES)]
    assert body == LINES
    assert "".join(body).count("〔待填写：") == 7 and "".join(body).count("〔待核实：") == 1  # none hidden or dropped


def test_heading_block_is_centred_in_title_fonts(written: list[Paragraph]) -> None:
    agency, title = written[0], written[1]
    assert agency.alignment == title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asian_font(agency) == east_asian_font(title) == "方正小标宋简体"
    assert agency.runs[0].font.size == Pt(26) and str(agency.runs[0].font.color.rgb) == "C00000"  # the red masthead
    assert title.runs[0].font.size == Pt(22)  # 二号


def test_salutation_is_flush_left_and_sections_are_numbered_headings(written: list[Paragraph]) -> None:
    salutation = by_text(written, "周敏、李华委员：")
    assert first_line_chars(salutation) is None and east_asian_font(salutation) == "仿宋_GB2312"
    h1, h2 = by_text(written, "一、加强托育从业人员培训"), by_text(written, "（一）推行持证上岗")
    assert (east_asian_font(h1), east_asian_font(h2)) == ("黑体", "楷体_GB2312")
    assert first_line_chars(h1) == first_line_chars(h2) == "200"
    body = by_text(written, "我区组织托育机构保健医共计21名参加了培训。")
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY and first_line_chars(body) == "200"
    assert body.runs[0].font.size == Pt(16) and body.paragraph_format.line_spacing == Pt(28)
    assert by_text(written, "区政府办公室（1份）").runs[0].font.size == Pt(14)  # 抄送 and what follows it


def test_sources_placeholders_and_unsupported_follow_on_a_new_page(written: list[Paragraph]) -> None:
    texts = [p.text for p in written]
    appendix = texts.index(APPENDIX)
    assert appendix == len(LINES)
    assert 'w:type="page"' in written[appendix - 1]._p.xml  # the page break ends the last line of the reply
    assert texts[appendix + 1 :] == [
        "1. 武汉市江夏区卫生健康局《关于优化区域幼儿托育机构》 › 一、加强托育服务："
        "我区组织托育机构保健医共计21名参加了培训。",  # the 依据: who, which reply, where in it, the quoted span
        "待填写/待核实：〔待填写：单位名称〕",
        "待填写/待核实：〔待核实：本单位此项工作的开展情况和下一步安排〕",
        "无依据的数字或名称：今年全区新增托位9999个。",
    ]


def test_page_is_a4_with_official_margins(tmp_path: Path) -> None:
    section = open_docx(str(write_docx(DRAFT, tmp_path / "d.docx"))).sections[0]
    sizes = (section.page_width, section.page_height, section.top_margin, section.left_margin)
    assert [round(s.mm) for s in sizes] == [210, 297, 37, 28]  # A4; margins of GB/T 9704 (stored in twips)


def test_docx_text_is_what_an_official_reader_sees(tmp_path: Path) -> None:
    assert docx_text(write_docx(DRAFT, tmp_path / "with.docx")) == LINES
    bare = write_docx(DRAFT, tmp_path / "bare.docx", with_sources=False)
    assert [p.text for p in open_docx(str(bare)).paragraphs] == LINES


def test_unwritable_path_is_a_readable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(QAError, match="请用 --out 指定一个可写的路径"):
        write_docx(DRAFT, blocker / "d.docx")  # a file where the folder should be


@pytest.mark.parametrize(
    ("line", "index", "after_cc", "role"),
    [
        ("武汉市江夏区卫生健康局", 0, False, "agency"),
        ("对区政协六届三次会议第20240181号提案的答复", 1, False, "title"),
        ("汤英、宗小青委员：", 2, False, "salutation"),
        ("许国欣代表:", 2, False, "salutation"),
        ("十、其他", 9, False, "h1"),
        ("(二)推行持证上岗", 9, False, "h2"),
        ("一、" + "很长" * 20, 9, False, "body"),  # a long line starting 一、 is a paragraph, not a heading
        ("经办人姓名 张红 联系电话 87951111", 9, False, "contact"),
        ("抄送：区政协提案委（1份）", 9, False, "cc"),
        ("区政府办公室（1份）", 10, True, "cc"),
        ("我区组织托育机构保健医共计21名参加了培训。", 5, False, "body"),
    ],
)
def test_line_role(line: str, index: int, after_cc: bool, role: str) -> None:
    assert line_role(line, index, after_cc) == role
