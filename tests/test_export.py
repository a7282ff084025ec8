"""Exports: a conversation or one answer to Markdown and .docx (read back with python-docx)."""

from __future__ import annotations

import io
from datetime import date

import docx
from test_store_conversations import answer

from qa.records import Answer
from qa.web.export import answer_docx, answer_markdown, conversation_docx, conversation_markdown, export_filename

DAY = date(2025, 6, 1)


def test_markdown_has_question_answer_and_numbered_sources() -> None:
    text = conversation_markdown(
        "中医药进校园", [answer(), answer("那东西湖区呢？", "东西湖区开展义诊[1]。")], today=DAY
    )
    assert text.startswith("# 中医药进校园\n") and "导出日期：2025-06-01" in text
    assert "## 问题1：江夏区如何推进中医药文化进校园？" in text and "## 问题2：那东西湖区呢？" in text
    assert "开展中医药知识讲座[1]。" in text  # the [n] markers stay
    assert "1. 文件：关于推进中医药文化进校园的提案；发文机关：武汉市江夏区卫生健康局" in text
    assert "文号：江卫函〔2024〕22号" in text and "编号：第20240080号" in text
    assert "章节：一、中医药书籍缺乏趣味性" in text and "页码：第3页" in text and "原文：“开展中医药知识讲座”" in text


def test_markdown_escapes_document_and_question_markup() -> None:
    bad = Answer("<script>x</script> [点我](http://x)", "# 标题\n- 列表 **粗**[1]", [])
    text = answer_markdown(bad)
    assert "<script>" not in text and "](http" not in text and "\n# 标题" not in text and "\\*\\*" in text
    assert "[1]" in text


def test_docx_reads_back_with_sources() -> None:
    data = conversation_docx(
        "中医药进校园", [answer(), Answer("火星上有医院吗？", "文档库中没有相关内容。", refused=True)]
    )
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert paragraphs[0] == "中医药进校园"
    assert "问题1：江夏区如何推进中医药文化进校园？" in paragraphs and "开展中医药知识讲座[1]。" in paragraphs
    [source] = [p for p in paragraphs if p.startswith("[1] ")]
    for part in ("文号：江卫函〔2024〕22号", "编号：第20240080号", "章节：一、中医药书籍缺乏趣味性", "页码：第3页"):
        assert part in source
    assert "（未能依据文档库作答）" in paragraphs


def test_single_answer_docx_and_safe_file_names() -> None:
    paragraphs = [p.text for p in docx.Document(io.BytesIO(answer_docx(answer()))).paragraphs]
    assert (
        paragraphs[0] == "江夏区如何推进中医药文化进校园？" and "问题：江夏区如何推进中医药文化进校园？" in paragraphs
    )
    assert export_filename("../a/b:c?", "docx") == "abc.docx"
    assert export_filename("", ".md") == "对话记录.md" and "/" not in export_filename("x/../y", "md")
    assert conversation_markdown("空", [], today=DAY).endswith("（此对话还没有问答）\n")
