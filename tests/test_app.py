"""The app's own logic: formatting of answers and sources, upload safety, feedback, login parsing."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import docx
import gradio as gr
import pytest

from qa import ui_format as fmt
from qa.config import PROJECT_ROOT, Settings
from qa.errors import ConfigError, IngestError
from qa.records import Answer, Chunk, Citation, DocMeta, Draft, Hit, Precedent

sys.path.insert(0, str(PROJECT_ROOT))  # app.py is the top-level script, not part of the qa package
import app

META = DocMeta(
    agency="武汉市江夏区卫生健康局",
    kind="政协提案",
    meeting="区政协六届三次会议",
    proposal_no="20240080",
    proposers=("严西",),
    heading="对区政协六届三次会议第20240080号提案的答复",
    title="关于推进中医药文化进校园的提案",
    source="000_ecc1ee3b3577c818.txt",
)
TEXT = (
    "针对中医药知识枯燥乏味、晦涩难懂的情况，可通过手抄报、中医经典诵读、主题班会等活动，让学生自主去翻阅有关中医书籍。"
)


def _chunk(text: str = TEXT, meta: DocMeta = META) -> Chunk:
    crumb = (meta.display_title, "一、中医药书籍缺乏趣味性")
    return Chunk(Chunk.make_id("d", crumb, text), "d", crumb, text, meta)


# ---------------------------------------------------------------- formatting


def test_highlight_marks_exact_quote_and_escapes_html() -> None:
    out = fmt.highlight("前文<b>手抄报、中医经典诵读</b>后文", "手抄报、中医经典诵读")
    assert out == "前文&lt;b&gt;<mark>手抄报、中医经典诵读</mark>&lt;/b&gt;后文"


def test_highlight_ignores_whitespace_differences() -> None:
    out = fmt.highlight("对区政协第 20240080 号提案的答复", "第20240080号提案")
    assert out == "对区政协<mark>第 20240080 号提案</mark>的答复"


def test_highlight_without_match_shows_plain_passage() -> None:
    assert "<mark>" not in fmt.highlight(TEXT, "完全不在原文里的句子")
    assert fmt.highlight(TEXT, "") == TEXT


def test_link_citations_links_only_existing_sources() -> None:
    out = fmt.link_citations("甲[1]，乙[2]，丙[7]。", 2)
    assert 'href="#qa-src-1"' in out and 'href="#qa-src-2"' in out
    assert "[7]" in out and "qa-src-7" not in out


def test_citation_cards_show_identity_breadcrumb_and_marked_quote() -> None:
    answer = Answer(
        question="江夏区如何推进中医药文化进校园？",
        text="可通过手抄报、中医经典诵读等活动[1]。",
        citations=[Citation(1, _chunk(), "手抄报、中医经典诵读")],
    )
    panel = fmt.answer_sources_html(answer)
    assert 'id="qa-src-1"' in panel
    for expected in ("武汉市江夏区卫生健康局", "第20240080号", "一、中医药书籍缺乏趣味性", "区政协六届三次会议"):
        assert expected in panel
    assert "<mark>手抄报、中医经典诵读</mark>" in panel
    assert 'class="qa-cite"' in fmt.answer_markdown(answer)


def test_refusal_is_shown_as_such_with_nearest_documents() -> None:
    hit = Hit(_chunk(), 0.2, 1, ("bm25",))
    answer = Answer(question="火星上有医院吗？", text="文档库中没有相关内容。", refused=True, hits=[hit])
    assert "无法根据现有文档回答" in fmt.answer_markdown(answer)
    panel = fmt.answer_sources_html(answer)
    assert "最接近的文档" in panel and META.display_title in panel and "qa-src-1" not in panel


def test_unsupported_sentences_are_flagged() -> None:
    answer = Answer(question="q", text="甲[1]。乙。", citations=[Citation(1, _chunk(), "")], unsupported=[1])
    assert "1 句未能在引用原文中核实" in fmt.answer_markdown(answer)


def test_precedents_show_score_and_matched_passage() -> None:
    html = fmt.precedents_html([Precedent("d", META, 0.8123, (_chunk(),))])
    assert "0.812" in html and "手抄报" in html and META.display_title in html
    assert "没有找到" in fmt.precedents_html([])


def test_placeholders_found_in_edited_draft() -> None:
    text = "联系人：【联系人姓名】，电话：【联系电话】。再次【联系人姓名】。签发：＿＿＿＿"
    assert fmt.placeholders_in(text) == ["【联系人姓名】", "【联系电话】", "＿＿＿＿"]
    notes = fmt.draft_notes_markdown(Draft(text=text, unsupported=["共建成 99 家。"]))
    assert "【联系电话】" in notes and "共建成 99 家" in notes


def test_document_rows_and_filter_choices() -> None:
    other = DocMeta(agency="咸宁市卫生健康委员会", kind="人大建议", date="2021-07-02", source="002.txt")
    docs = [("000#1", META), ("002.txt", other)]
    rows = fmt.document_rows(docs)
    assert rows[0][fmt.DOC_COLUMNS.index("编号")] == "20240080"
    assert rows[1][fmt.DOC_COLUMNS.index("文档ID")] == "002.txt"
    choices = fmt.filter_choices(docs)
    assert choices == {
        "agency": ["咸宁市卫生健康委员会", "武汉市江夏区卫生健康局"],
        "kind": ["人大建议", "政协提案"],
        "year": ["2024", "2021"],
    }


# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\张三\\关于托育的建议.DOCX", "关于托育的建议.docx"),
        ("..\\..\\答复.md", "答复.md"),
        ("a\x00b<>|.pdf", "ab.pdf"),
        ("...hidden.txt", "hidden.txt"),
    ],
)
def test_safe_filename_strips_paths_and_keeps_chinese(given: str, expected: str) -> None:
    assert app.safe_filename(given) == expected


@pytest.mark.parametrize("bad", ["..", "/", "README", ""])
def test_safe_filename_rejects_names_without_a_usable_extension(bad: str) -> None:
    with pytest.raises(IngestError):
        app.safe_filename(bad)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_check_upload_accepts_real_files(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("关于加强社区心理健康服务的答复")
    doc.save(tmp_path / "a.docx")
    assert app.check_upload(tmp_path / "a.docx", "答复.docx", 5) == "答复.docx"
    gbk = _write(tmp_path / "b.txt", "卫生健康局答复：已收悉。".encode("gb18030"))
    assert app.check_upload(gbk, "b.txt", 5) == "b.txt"
    page = _write(tmp_path / "c.html", "<html><body><p>答复</p></body></html>".encode())
    assert app.check_upload(page, "c.html", 5) == "c.html"
    pdf = _write(tmp_path / "d.pdf", b"%PDF-1.4\n%...\n")
    assert app.check_upload(pdf, "d.pdf", 5) == "d.pdf"


def test_check_upload_rejects_content_that_lies_about_its_type(tmp_path: Path) -> None:
    exe = _write(tmp_path / "x.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 50)
    with pytest.raises(IngestError, match="不是文本"):
        app.check_upload(exe, "x.txt", 5)
    fake_pdf = _write(tmp_path / "y.pdf", "这其实是文本".encode())
    with pytest.raises(IngestError, match="不是 PDF"):
        app.check_upload(fake_pdf, "y.pdf", 5)
    with zipfile.ZipFile(tmp_path / "z.docx", "w") as archive:
        archive.writestr("payload.sh", "rm -rf /")
    with pytest.raises(IngestError, match=r"word/document\.xml"):
        app.check_upload(tmp_path / "z.docx", "z.docx", 5)
    pdf_as_txt = _write(tmp_path / "p.txt", b"%PDF-1.7 binary")
    with pytest.raises(IngestError, match="不是文本"):
        app.check_upload(pdf_as_txt, "p.txt", 5)


def test_check_upload_rejects_unsupported_empty_and_too_large(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="不支持"):
        app.check_upload(_write(tmp_path / "s.exe", b"MZ"), "s.exe", 5)
    with pytest.raises(IngestError, match="空文件"):
        app.check_upload(_write(tmp_path / "e.txt", b""), "e.txt", 5)
    big = _write(tmp_path / "big.txt", "字".encode() * (400 * 1024))  # 1.2 MB
    with pytest.raises(IngestError, match="超过上限 1 MB"):
        app.check_upload(big, "big.txt", 1)


# ---------------------------------------------------------------- feedback and login


def test_feedback_is_appended_as_jsonl(tmp_path: Path) -> None:
    service = app.Service(Settings(data_dir=tmp_path))
    answer = Answer(
        question="问题", text="回答[1]。", citations=[Citation(1, _chunk(), "手抄报")], backend="extractive"
    )
    on_like = app.make_feedback(service)
    on_like({3: answer}, gr.LikeData(None, {"index": 3, "value": "回答", "liked": False}), gr.Request(username="li"))
    on_like({3: answer}, gr.LikeData(None, {"index": 9, "value": "x", "liked": True}), gr.Request())  # unknown: skip
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["liked"] is False and record["user"] == "li" and record["question"] == "问题"
    assert record["citations"][0]["quote"] == "手抄报" and record["citations"][0]["proposal_no"] == "20240080"


def test_parse_users() -> None:
    assert app.parse_users("") is None
    assert app.parse_users("wang:pw1, li:p:w2") == [("wang", "pw1"), ("li", "p:w2")]
    with pytest.raises(ConfigError, match="用户名:密码"):
        app.parse_users("wang")
