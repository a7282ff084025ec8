"""Scanned PDFs and images: read offline by OCR, marked as OCR text, an unreadable page reported.

A scanned page is made here by drawing Chinese text into an image with a CJK font and saving it as a PDF, so it
has no text layer. Skipped, with the reason, when the ocr extra or a CJK font is missing.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest

from qa.errors import IngestError, IngestWarning
from qa.ingest import ocr
from qa.ingest.read import read_raw
from qa.ingest.split import split_document
from qa.ingest.structure import load_documents

pytestmark = pytest.mark.skipif(not ocr.available(), reason="OCR not installed: pip install -e '.[ocr]'")

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
PAGE_HEIGHT = 480
LINES = [
    "关于区政协五届二次会议第0036号提案的答复",
    "李华委员：",
    "您提出的《关于加强社区卫生服务的提案》收悉。",
    "一、家庭医生签约服务",
    "我局已组建家庭医生团队四十个，签约居民三万人。",
]


def _font_path() -> str:
    found = next((p for p in FONT_PATHS if Path(p).is_file()), None)
    if found is None:
        pytest.skip("no CJK font to draw a scanned page (apt-get install fonts-noto-cjk)")
    return found


def scanned_page(lines: list[str]):  # -> PIL.Image.Image
    """A white page 1240 pixels wide (A4 at 150 dpi) with the lines drawn in black, as a scanner would give it;
    only as tall as the lines need, since detection time grows with the page's pixels."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(_font_path(), 30)
    image = Image.new("RGB", (1240, PAGE_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((110, 140 + 56 * i), line, font=font, fill="black")
    return image


def _scanned_pdf(path: Path, pages: list[list[str]]) -> Path:
    from PIL import Image

    images = [scanned_page(lines) if lines else Image.new("RGB", (1240, PAGE_HEIGHT), "white") for lines in pages]
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return path


def test_scanned_pdf_is_read_by_ocr_and_keeps_its_pages(tmp_path: Path) -> None:
    path = _scanned_pdf(tmp_path / "scan.pdf", [LINES[:3], LINES[3:]])
    [doc] = load_documents(path)
    text = doc.text.replace(" ", "")
    for words in ("第0036号提案", "李华委员", "家庭医生签约服务", "四十个"):
        assert words in text
    assert doc.ocr and doc.meta.proposal_no == "0036"
    lines = doc.text.split("\n")
    assert doc.pages[0] == 1
    assert doc.pages[next(i for i, x in enumerate(lines) if "家庭医生签约服务" in x)] == 2
    chunks = split_document(doc)
    assert chunks and all(c.ocr and c.page == 1 for c in chunks)  # one small reply: one chunk, from page 1
    assert chunks[0].location == "第1页〔OCR识别〕"


def test_image_is_read_by_ocr(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    buffer = io.BytesIO()
    scanned_page(LINES).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    raw = read_raw(path)
    assert raw.ocr and not raw.paged
    assert "签约居民三万人" in raw.text.replace(" ", "")
    assert {c.page for doc in load_documents(path) for c in split_document(doc)} == {0}


def test_a_page_ocr_cannot_read_is_reported_not_dropped(tmp_path: Path) -> None:
    path = _scanned_pdf(tmp_path / "scan.pdf", [LINES, []])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = read_raw(path)
    reported = [str(w.message) for w in caught if issubclass(w.category, IngestWarning)]
    assert reported == ["scan.pdf: 第2页 OCR 未识别出文字（空白页或图像过于模糊），请核对原件"]
    assert raw.text.count("\f") == 1  # the blank page still counts, so later pages keep their numbers


def test_a_scan_with_no_readable_page_is_one_clear_error(tmp_path: Path) -> None:
    path = _scanned_pdf(tmp_path / "blank.pdf", [[]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        with pytest.raises(IngestError, match=r"blank\.pdf：PDF 没有文字层，OCR 也未识别出文字") as err:
            read_raw(path)
    assert "\n" not in str(err.value)


def test_corrupt_image_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10)
    with pytest.raises(IngestError, match=r"broken\.jpg：图片已损坏"):
        read_raw(path)


def _typed_then_scanned(path: Path) -> Path:
    """Page 1 typed (a text layer), page 2 a scanned image: a signed page or an attachment scanned into a PDF."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 11)
    for i, line in enumerate([*LINES[:3], "一、总体情况", "我局高度重视这项工作，已经制定实施方案并分步推进。"]):
        c.drawString(60, 780 - 18 * i, line)
    c.showPage()
    c.drawImage(
        ImageReader(scanned_page(["二、家庭医生签约服务", "我局已组建家庭医生团队四十个，签约居民三万人。"])),
        0,
        500,
        595,
        230,
    )
    c.showPage()
    c.save()
    return path


def test_a_scanned_page_in_a_typed_pdf_is_read_by_ocr_and_marked(tmp_path: Path) -> None:
    [doc] = load_documents(_typed_then_scanned(tmp_path / "mixed.pdf"))
    assert doc.ocr and doc.ocr_pages == (2,)
    assert "签约居民三万人" in doc.text.replace(" ", "")
    lines = doc.text.split("\n")
    assert doc.pages[next(i for i, x in enumerate(lines) if "四十个" in x)] == 2
    assert doc.is_ocr(2) and not doc.is_ocr(1)


def test_a_scanned_page_in_a_typed_pdf_without_ocr_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _typed_then_scanned(tmp_path / "mixed.pdf")
    monkeypatch.setattr(ocr, "available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = read_raw(path)
    assert not raw.ocr and "我局高度重视这项工作" in raw.text
    reported = [str(w.message) for w in caught if issubclass(w.category, IngestWarning)]
    assert len(reported) == 1 and reported[0].startswith("mixed.pdf: 第2页是扫描图像，未读取；")
