"""Ingest: real files of each supported type built in tmp_path, and every refusal a user can cause."""

from __future__ import annotations

import resource
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from qa.config import Settings
from qa.errors import IngestError
from qa.ingest.read import (
    DEFAULT_MAX_ARCHIVE_ENTRIES,
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_PDF_PAGES,
    DEFAULT_MAX_UNPACKED_MB,
    SUPPORTED_SUFFIXES,
    read_text,
)

SAMPLE = "对区政协六届三次会议第20240080号提案的答复\n汤英、宗小青委员：\n您提出的《关于优化区域幼儿托育机构》收悉。"


def _pdf(path: Path, pages: list[list[str]]) -> Path:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for lines in pages:
        c.setFont("STSong-Light", 12)
        for i, line in enumerate(lines):
            c.drawString(72, 750 - 20 * i, line)
        c.showPage()
    c.save()
    return path


def test_supported_suffixes_match_the_contract() -> None:
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg"}


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_text_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"reply-{encoding}.txt"
    path.write_bytes(SAMPLE.encode(encoding))
    if encoding == "utf-16":
        assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")  # Python writes the BOM
    assert read_text(path) == SAMPLE


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# 标题\n\n" + SAMPLE, encoding="utf-8")
    assert SAMPLE in read_text(path)


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("东西湖区“十四五”卫生健康事业发展规划")
    document.add_paragraph("（二）具体指标")
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(
        table.rows, [("指标名称", "2019年", "2025年"), ("人均预期寿命（岁）", "80.81", "82.4")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("以上指标为预期性指标。")
    path = tmp_path / "plan.docx"
    document.save(str(path))

    lines = [x for x in read_text(path).split("\n") if x]
    assert lines == [
        "东西湖区“十四五”卫生健康事业发展规划",
        "（二）具体指标",
        "指标名称\t2019年\t2025年",
        "人均预期寿命（岁）\t80.81\t82.4",
        "以上指标为预期性指标。",
    ]


def test_html_page_keeps_its_metadata_block(tmp_path: Path) -> None:
    html = """<html><head><title>站点</title><script>var x = "忽略";</script></head><body>
    <table class="meta">
      <tr><td>名  称:</td><td>对区政协十四届五次会议第154号提案的答复</td>
          <td>发布机构:</td><td>武昌区卫生健康局</td></tr>
      <tr><td>索 引 号:</td><td>737546075/2021-55295</td><td>公开日期:</td><td>2021年08月31日</td></tr>
    </table>
    <div class="content"><p>对区政协十四届五次会议第154号提案的答复</p><p>一、健全基层健康治理体系</p>
    <p>一是健全管理体系。区疾控中心主要负责人纳入区卫健局领导班子成员。</p>
    <p>二是建立流调协查机制。<!-- 注释 -->区疾控中心选定100名
    业务骨干组建区级精准流调队。<br>三是建立预警救治机制。</p></div></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="gb18030")
    lines = [x.strip() for x in read_text(path).split("\n") if x.strip()]
    assert "名  称: 对区政协十四届五次会议第154号提案的答复  发布机构: 武昌区卫生健康局" in lines
    assert "索 引 号: 737546075/2021-55295  公开日期: 2021年08月31日" in lines
    assert "一是健全管理体系。区疾控中心主要负责人纳入区卫健局领导班子成员。" in lines
    assert "二是建立流调协查机制。区疾控中心选定100名 业务骨干组建区级精准流调队。" in lines  # source newline = space
    assert "三是建立预警救治机制。" in lines  # <br> is a line break
    assert not any("var x" in x or "注释" in x for x in lines)


def test_pdf_text_layer_with_page_break(tmp_path: Path) -> None:
    path = _pdf(
        tmp_path / "reply.pdf",
        [["对区政协六届三次会议第20240080号提案的答复", "一、加强基层医疗卫生服务"], ["第二页：家庭医生签约服务。"]],
    )
    text = read_text(path)
    assert "对区政协六届三次会议第20240080号提案的答复" in text
    assert "\f" in text  # page break marker for the cleaner
    assert text.index("一、加强基层医疗卫生服务") < text.index("第二页：家庭医生签约服务。")


def _blank_scan(path: Path) -> Path:
    c = canvas.Canvas(str(path))
    c.rect(100, 100, 300, 400, fill=1)
    c.showPage()
    c.save()
    return path


def test_pdf_without_text_layer_is_refused_without_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.ingest import ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    with pytest.raises(IngestError, match=r"scan\.pdf.*没有文字层.*pip install -e '\.\[ocr\]'") as err:
        read_text(_blank_scan(tmp_path / "scan.pdf"))
    assert "\n" not in str(err.value)


def test_image_is_refused_without_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.ingest import ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(IngestError, match=r"photo\.png.*\[ocr\]"):
        read_text(path)


def test_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    good = _pdf(tmp_path / "good.pdf", [["第一页内容。"]]).read_bytes()
    path = tmp_path / "broken.pdf"
    path.write_bytes(good[: len(good) // 3])
    with pytest.raises(IngestError, match=r"broken\.pdf"):
        read_text(path)
    (tmp_path / "junk.pdf").write_bytes(b"this is not a pdf at all")
    with pytest.raises(IngestError, match=r"junk\.pdf") as info:
        read_text(tmp_path / "junk.pdf")
    assert "\n" not in str(info.value)  # one line for the CLI and the app


def test_corrupt_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(IngestError, match=r"bad\.docx"):
        read_text(path)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \n"])
def test_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=r"empty\.txt"):
        read_text(path)


def test_binary_renamed_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(IngestError, match=r"image\.txt.*二进制"):
        read_text(path)


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.xlsx"
    path.write_bytes(b"whatever")
    with pytest.raises(IngestError, match=r"table\.xlsx.*不支持"):
        read_text(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"nothere\.txt"):
        read_text(tmp_path / "nothere.txt")


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(SAMPLE * 100, encoding="utf-8")
    with pytest.raises(IngestError, match=r"big\.txt.*上限"):
        read_text(path, max_bytes=1000)
    assert read_text(path, max_bytes=10_000_000).startswith(SAMPLE)


def test_fifty_megabyte_text_file_is_read(tmp_path: Path) -> None:
    line = "一是推进医共体建设。以江夏区第一人民医院为龙头，推进紧密型县域医共体建设。\n"
    path = tmp_path / "huge.txt"
    count = 50 * 1024 * 1024 // len(line.encode("utf-8")) + 1
    path.write_text(line * count, encoding="utf-8")
    assert path.stat().st_size > 50 * 1024 * 1024
    # ~18 million characters: refused by default (about 45,000 chunks, hours of embedding), read when allowed
    with pytest.raises(IngestError, match=r"huge\.txt.*2,000,000 字.*QA_MAX_UPLOAD_CHARS"):
        read_text(path)
    text = read_text(path, settings=Settings(max_upload_chars=20_000_000))
    assert len(text) == len(line) * count


def test_big5_is_not_misread_as_gb18030(tmp_path: Path) -> None:
    text = (
        "對區政協六屆三次會議第20240080號提案的答復\n"
        "您提出的關於推進中醫藥文化進校園的提案收悉，現答復如下：加強基層醫療衛生服務能力建設。"
    )
    path = tmp_path / "big5.txt"
    path.write_bytes(text.encode("big5"))
    assert read_text(path) == text


def test_utf16_without_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "nobom.txt"
    path.write_bytes(SAMPLE.encode("utf-16-le"))
    assert read_text(path) == SAMPLE


# ---------------------------------------------------------------- resource limits: nothing a small file can blow up

_XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)


def _docx(path: Path, paragraphs: list[str]) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def _inflated_docx(path: Path, base: Path, unpacked_mb: int, extra_entries: int = 0) -> Path:
    """``base`` with its document.xml replaced by ``unpacked_mb`` MB of one repeated paragraph, written as a stream."""
    paragraph = "<w:p><w:r><w:t>一是推进医共体建设。</w:t></w:r></w:p>".encode()
    block = paragraph * ((1 << 20) // len(paragraph))  # whole paragraphs: well-formed XML a parser would take
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, src.read(info))
        with out.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(_XML_HEAD)
            for _ in range(unpacked_mb):  # 1 MB at a time: the test never holds the whole part in memory
                xml.write(block)
            xml.write(b"</w:body></w:document>")
        for i in range(extra_entries):
            out.writestr(f"customXml/extra{i}.xml", b"<x/>")
    return path


def test_normal_docx_is_accepted_within_every_limit(tmp_path: Path) -> None:
    path = _docx(tmp_path / "reply.docx", SAMPLE.split("\n"))
    assert read_text(path).split("\n") == SAMPLE.split("\n")
    limits = Settings(max_unpacked_mb=1, max_archive_entries=30, max_pdf_pages=1, max_upload_chars=len(SAMPLE) + 1)
    assert read_text(path, settings=limits).split("\n") == SAMPLE.split("\n")


def test_docx_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    base = _docx(tmp_path / "base.docx", ["正文"])
    bomb = _inflated_docx(tmp_path / "bomb.docx", base, unpacked_mb=150)
    assert bomb.stat().st_size < 3 * 1024 * 1024  # a small upload: under every size limit
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(IngestError, match=r"“bomb\.docx”解压后有 15\d MB，超过上限 100 MB（QA_MAX_UNPACKED_MB）"):
            read_text(bomb)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert elapsed < 2.0
    assert peak < 50 * 1024 * 1024, f"Python allocations peaked at {peak / 1e6:.0f} MB"
    assert grown < 50 * 1024 * 1024, f"the process grew by {grown / 1e6:.0f} MB"


def test_docx_with_an_implausible_compression_ratio_is_refused(tmp_path: Path) -> None:
    base = _docx(tmp_path / "base.docx", ["正文"])
    path = _inflated_docx(tmp_path / "dense.docx", base, unpacked_mb=20)  # under 100 MB, but ~300:1
    with pytest.raises(IngestError, match=r"“dense\.docx”中的 word/document\.xml 压缩比为 [\d,]+:1，超过上限 100:1"):
        read_text(path)


def test_docx_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    base = _docx(tmp_path / "base.docx", ["正文"])
    path = _inflated_docx(tmp_path / "parts.docx", base, unpacked_mb=0, extra_entries=2000)
    with pytest.raises(
        IngestError, match=r"“parts\.docx”内含 2,0\d\d 个部件，超过上限 2,000 个（QA_MAX_ARCHIVE_ENTRIES）"
    ):
        read_text(path)
    with pytest.raises(IngestError, match=r"“base\.docx”内含 \d+ 个部件，超过上限 10 个"):
        read_text(base, settings=Settings(max_archive_entries=10))


def test_pdf_over_the_page_limit_is_refused(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "long.pdf", [[f"第{i}页：家庭医生签约服务。"] for i in range(1, 5)])
    with pytest.raises(IngestError, match=r"“long\.pdf”有 4 页，超过上限 3 页（QA_MAX_PDF_PAGES）"):
        read_text(path, settings=Settings(max_pdf_pages=3))
    assert "第4页" in read_text(path, settings=Settings(max_pdf_pages=4))


def test_pdf_over_the_default_page_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "thousand.pdf"
    c = canvas.Canvas(str(path))
    for _ in range(DEFAULT_MAX_PDF_PAGES + 1):
        c.drawString(72, 750, "page")
        c.showPage()
    c.save()
    with pytest.raises(IngestError, match=r"thousand\.pdf”有 1,001 页，超过上限 1,000 页"):
        read_text(path)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".docx", ".pdf"])
def test_text_over_the_character_limit_is_refused(tmp_path: Path, suffix: str) -> None:
    lines = [f"第{i}条：推进紧密型县域医共体建设。" for i in range(30)]
    path = tmp_path / f"long{suffix}"
    if suffix == ".docx":
        _docx(path, lines)
    elif suffix == ".pdf":
        _pdf(path, [lines[:15], lines[15:]])
    else:
        path.write_text("<p>" + "</p><p>".join(lines) + "</p>" if suffix == ".html" else "\n".join(lines), "utf-8")
    text = read_text(path)
    assert "第29条" in text
    exact = Settings(max_upload_chars=len(text) + 5)
    assert read_text(path, settings=exact) == text
    with pytest.raises(IngestError, match=rf"“long\{suffix}”的文字超过 200 字的上限（QA_MAX_UPLOAD_CHARS）"):
        read_text(path, settings=Settings(max_upload_chars=200))


def test_default_limits_are_the_settings_defaults() -> None:
    defaults = Settings()
    assert (
        (DEFAULT_MAX_UNPACKED_MB, DEFAULT_MAX_ARCHIVE_ENTRIES, DEFAULT_MAX_PDF_PAGES, DEFAULT_MAX_CHARS)
        == (
            defaults.max_unpacked_mb,
            defaults.max_archive_entries,
            defaults.max_pdf_pages,
            defaults.max_upload_chars,
        )
        == (100, 2000, 1000, 2_000_000)
    )
