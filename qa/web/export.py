"""Exports of a conversation or a single answer, to paste into a report: Markdown text and a .docx file.

Pure functions over qa.records.Answer: each answer gives its question, its text with the [n] markers, and its
numbered sources with the document, 文号, proposal number, section, page and the quoted words.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from datetime import date

from qa.records import Answer, Citation

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def source_fields(citation: Citation) -> list[tuple[str, str]]:
    """(label, value) of one source, empty values left out: 文件, 文号, 编号, 章节, 页码, 原文."""
    chunk, meta = citation.chunk, citation.chunk.meta
    section = " › ".join(chunk.breadcrumb[1:]) if len(chunk.breadcrumb) > 1 else ""
    rows = [
        ("文件", meta.display_title or meta.source or chunk.doc_id),
        ("发文机关", meta.agency),
        ("文号", meta.doc_no),
        ("编号", f"第{meta.proposal_no}号" if meta.proposal_no else ""),
        ("章节", section),
        ("页码", chunk.location),
        ("原文", f"“{citation.quote}”" if citation.quote else ""),
    ]
    return [(label, value) for label, value in rows if value]


def source_line(citation: Citation) -> str:
    return "；".join(f"{label}：{value}" for label, value in source_fields(citation))


def _md_escape(text: str) -> str:
    """Text as Markdown shows it literally (no headings, links or HTML from a document or a question)."""
    text = html.escape(text.replace("\\", "\\\\"), quote=False)
    text = re.sub(r"([`*_{}#|!~()]|\[(?!\d+\])|(?<!\[\d)(?<!\[\d\d)\])", r"\\\1", text)
    return re.sub(r"(?m)^(\s*)([-+]|\d+\.)(\s)", r"\1\\\2\3", text)


def answer_markdown(answer: Answer, number: int | None = None) -> str:
    """One question and answer with its numbered sources, as Markdown."""
    head = f"## 问题{number}：" if number else "## 问题："
    lines = [head + _md_escape(" ".join(answer.question.split())), "", _md_escape(answer.text.strip()), ""]
    if answer.refused:
        lines += ["*（未能依据文档库作答）*", ""]
    if answer.citations:
        lines += ["**来源**", ""]
        lines += [f"{c.n}. {_md_escape(source_line(c))}" for c in answer.citations]
        lines.append("")
    return "\n".join(lines)


def conversation_markdown(title: str, answers: Sequence[Answer], *, today: date | None = None) -> str:
    """A whole conversation as Markdown: the title, the export date, then each question and answer."""
    stamp = (today or date.today()).isoformat()
    parts = [f"# {_md_escape(title or '对话记录')}", "", f"导出日期：{stamp}　共 {len(answers)} 问", ""]
    numbered = len(answers) > 1
    parts += [answer_markdown(a, i if numbered else None) for i, a in enumerate(answers, start=1)]
    if not answers:
        parts.append("（此对话还没有问答）")
    return "\n".join(parts).rstrip() + "\n"


def conversation_docx(title: str, answers: Sequence[Answer], *, today: date | None = None) -> bytes:
    """A whole conversation as a Word document (.docx bytes)."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    document.add_heading(title or "对话记录", level=1)
    stamp = (today or date.today()).isoformat()
    document.add_paragraph(f"导出日期：{stamp}　共 {len(answers)} 问")
    if not answers:
        document.add_paragraph("（此对话还没有问答）")
    numbered = len(answers) > 1
    for i, answer in enumerate(answers, start=1):
        document.add_heading((f"问题{i}：" if numbered else "问题：") + " ".join(answer.question.split()), level=2)
        for paragraph in [p for p in answer.text.strip().split("\n") if p.strip()] or [""]:
            document.add_paragraph(paragraph.strip())
        if answer.refused:
            document.add_paragraph("（未能依据文档库作答）")
        if answer.citations:
            document.add_paragraph().add_run("来源").bold = True
            for c in answer.citations:
                document.add_paragraph(f"[{c.n}] {source_line(c)}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def answer_docx(answer: Answer) -> bytes:
    """A single answer as a Word document."""
    return conversation_docx(" ".join(answer.question.split())[:40] or "问答", [answer])


def export_filename(title: str, suffix: str) -> str:
    """A safe file name from a conversation title: 对话-<title>.<suffix>."""
    name = _UNSAFE_NAME.sub("", " ".join((title or "").split()))[:40].strip(". ") or "对话记录"
    return f"{name}.{suffix.lstrip('.')}"
