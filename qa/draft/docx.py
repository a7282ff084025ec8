"""Write a Draft as a .docx in the layout of a 公文 (GB/T 9704-like) that opens in WPS and Word.

Each line of the draft's text gets the font, size and indent of its role (agency, title, salutation, 一、/（一）
headings, body, contacts, 抄送); the 依据 (qa.draft.sources) and what is left to fill in follow on a new page.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document as new_document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from qa.draft.sources import draft_sources, source_line, source_quotes
from qa.errors import QAError
from qa.records import Draft

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312"}
SIZE_3 = Pt(16)  # 三号: body text and headings
SIZE_2 = Pt(22)  # 二号: the title line
LINE = Pt(28)  # fixed 28 pt lines give the standard 22 lines per page
APPENDIX = "附：起草依据（正式行文前删除）"


def _font(paragraph: Paragraph, name: str, size: Pt, *, bold: bool = False, color: RGBColor | None = None) -> None:
    """Set every run's font; Word and WPS take Chinese glyphs from w:eastAsia, which font.name alone leaves unset."""
    for run in paragraph.runs:
        run.font.name = name
        run.font.size = size
        run.font.bold = bold
        if color is not None:
            run.font.color.rgb = color
        fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            fonts.set(qn(attr), name)


def _indent_two_chars(paragraph: Paragraph) -> None:
    """First-line indent of two characters: firstLineChars for Word/WPS, 32 pt for readers that ignore it."""
    paragraph.paragraph_format.first_line_indent = Pt(32)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), "200")


def line_role(line: str, index: int, after_cc: bool) -> str:
    """What a line of the draft is: agency, title, salutation, h1, h2, contact, cc or body."""
    if after_cc or line.startswith("抄送"):
        return "cc"
    if index == 0:
        return "agency"
    if line.startswith("对") and line.endswith("答复"):
        return "title"
    if re.search(r"(?:委员|代表)[：:]$", line) and len(line) < 40:
        return "salutation"
    if re.match(r"^[一二三四五六七八九十]+、", line) and len(line) <= 40:
        return "h1"
    if re.match(r"^[（(][一二三四五六七八九十]+[）)]", line) and len(line) <= 40:
        return "h2"
    if line.startswith(("主管领导", "经办人")):
        return "contact"
    return "body"


def _add(document: object, text: str, role: str) -> Paragraph:
    paragraph = document.add_paragraph(text)  # type: ignore[attr-defined]
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = fmt.space_after = Pt(0)
    if role == "agency":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.line_spacing = Pt(40)
        _font(paragraph, TITLE_FONT, Pt(26), color=RGBColor(0xC0, 0x00, 0x00))
    elif role == "title":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.line_spacing, fmt.space_before, fmt.space_after = Pt(36), Pt(16), Pt(16)
        _font(paragraph, TITLE_FONT, SIZE_2)
    elif role in ("h1", "h2"):
        _indent_two_chars(paragraph)
        _font(paragraph, HEADING_FONTS[1 if role == "h1" else 2], SIZE_3)
    elif role in ("salutation", "contact", "cc"):
        _font(paragraph, BODY_FONT, SIZE_3 if role != "cc" else Pt(14))
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        _indent_two_chars(paragraph)
        _font(paragraph, BODY_FONT, SIZE_3)
    return paragraph


def write_docx(draft: Draft, path: Path, *, with_sources: bool = True) -> Path:
    """Write the clean draft (no markers) in 公文 layout; with_sources appends the 依据 on a new page.

    Raises:
        QAError: the file cannot be written.
    """
    path = Path(path)
    document = new_document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, SIZE_3
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    lines = [line.strip() for line in draft.text.splitlines() if line.strip()]
    after_cc = False
    for i, line in enumerate(lines):
        role = line_role(line, i, after_cc)
        after_cc = role == "cc"
        _add(document, line, role)
    sources = draft_sources(draft)
    if with_sources and (sources or draft.placeholders):
        document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        _add(document, APPENDIX, "h1")
        quotes = source_quotes(draft)
        for n, chunk in enumerate(sources, start=1):
            _add(document, f"{n}. {source_line(chunk, quotes.get(chunk.chunk_id, ''))}", "contact")
        for item in draft.placeholders:
            _add(document, f"待填写/待核实：{item}", "contact")
        for sentence in draft.unsupported:
            _add(document, f"无依据的数字或名称：{sentence}", "contact")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        document.save(str(path))
    except OSError as err:
        raise QAError(f"无法写入 {path}（{err}），请用 --out 指定一个可写的路径") from err
    return path


def docx_text(path: Path) -> list[str]:
    """The paragraph texts of a .docx up to the 依据 appendix: what an official reader sees."""
    lines = []
    for paragraph in new_document(str(path)).paragraphs:
        if paragraph.text.strip() == APPENDIX:
            break
        lines.append(paragraph.text.strip())
    return [line for line in lines if line]
