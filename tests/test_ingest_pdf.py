"""Page numbers: a chunk from a PDF keeps the page it starts on, through cleaning, structure and splitting."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from qa.ingest.clean import clean_pages, clean_text
from qa.ingest.read import read_raw
from qa.ingest.split import split_document
from qa.ingest.structure import load_documents, parse_documents
from qa.records import Chunk, Citation, DocMeta, Hit

FIRST = "我委高度重视社区卫生服务中心标准化建设，逐年加大投入，持续改善基层就医环境和服务条件。"
SECOND = "全市已组建家庭医生团队八百余个，重点人群签约率逐年提高，签约居民的获得感明显增强。"
THIRD = "加强全科医生培养，每年招录农村订单定向医学生，并通过转岗培训补充基层全科力量。"
PAGES = [
    [
        "某市卫生健康委员会",
        "关于市政协十三届二次会议第0123号提案的答复",
        "张三委员：",
        "您提出的《关于加强社区卫生服务的提案》收悉。现答复如下：",
        "一、基层医疗卫生服务体系建设",
        FIRST * 8,
    ],
    ["二、家庭医生签约服务", SECOND * 8, "下一步将继续扩大签约覆盖面，"],  # the sentence runs on to page 3
    [
        "提升签约服务质量，做实做细履约服务。",
        "三、人才队伍建设",
        THIRD * 8,
        "感谢您对卫生健康工作的关心和支持。",
        "联系人：李四",
        "联系电话：12345678",
    ],
]


def _write_pdf(path: Path, pages: list[list[str]]) -> Path:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for number, lines in enumerate(pages, 1):
        c.setFont("STSong-Light", 10)
        y = 790
        for line in lines:
            for i in range(0, len(line), 44):
                c.drawString(40, y, line[i : i + 44])
                y -= 15
        c.drawString(290, 30, f"- {number} -")  # a printed page number, dropped by the cleaner
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def reply_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_pdf(tmp_path_factory.mktemp("pdf") / "reply.pdf", PAGES)


def _chunk_with(chunks: list[Chunk], words: str) -> Chunk:
    return next(c for c in chunks if c.text.startswith(words) or c.text.split("\n")[0].startswith(words))


def test_pdf_is_read_as_pages(reply_pdf: Path) -> None:
    raw = read_raw(reply_pdf)
    assert raw.paged and not raw.ocr
    assert raw.text.count("\f") == 2


def test_chunks_keep_the_page_they_start_on(reply_pdf: Path) -> None:
    [doc] = load_documents(reply_pdf)
    chunks = split_document(doc)
    assert _chunk_with(chunks, "某市卫生健康委员会").page == 1
    assert _chunk_with(chunks, "一、基层医疗卫生服务体系建设").page == 1
    assert _chunk_with(chunks, "二、家庭医生签约服务").page == 2
    assert _chunk_with(chunks, "三、人才队伍建设").page == 3
    assert all(c.page in (1, 2, 3) for c in chunks)
    assert [c.page for c in chunks] == sorted(c.page for c in chunks)  # reading order never goes back a page


def test_a_sentence_across_a_page_break_is_rejoined_on_its_first_page(reply_pdf: Path) -> None:
    lines, pages = clean_pages(read_raw(reply_pdf).text, paged=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("下一步将继续扩大签约覆盖面"))
    assert lines[at] == "下一步将继续扩大签约覆盖面，提升签约服务质量，做实做细履约服务。"
    assert pages[at] == 2
    assert not any(line in ("- 2 -", "-2-") for line in lines)


def test_clean_pages_matches_clean_text_and_numbers_only_paged_text() -> None:
    raw = "第一页第一段。\n\f\n第二页第一段。\n第二页第二段。\n\f\n第三页。"
    lines, pages = clean_pages(raw, paged=True)
    assert "\n".join(lines) == clean_text(raw)
    assert pages == [1, 2, 2, 3]
    assert clean_pages(raw)[1] == [0, 0, 0, 0]
    assert clean_pages("一页的文字。", paged=True)[1] == [1]


def test_text_files_have_no_pages() -> None:
    [doc] = parse_documents("关于第12号提案的答复\n王五委员：\n您的提案收悉。\n一、总体情况\n情况良好。", "a.txt")
    assert doc.pages == ()
    assert {c.page for c in split_document(doc)} == {0}


def test_page_is_serialised_and_old_index_rows_still_load() -> None:
    chunk = Chunk("id1", "a.pdf", ("a", "一、"), "文字", DocMeta(source="a.pdf"), ordinal=2, page=7, ocr=True)
    data = chunk.to_dict()
    assert data["page"] == 7 and data["ocr"] is True
    assert Chunk.from_dict(data) == chunk
    old = {k: v for k, v in data.items() if k not in ("page", "ocr")}  # an index written before pages were kept
    restored = Chunk.from_dict(old)
    assert restored.page == 0 and restored.ocr is False
    assert Hit(chunk, 0.5, 1).to_dict()["page"] == 7
    assert Citation(1, chunk, "文字").to_dict()["page"] == 7
    assert chunk.location == "第7页〔OCR识别〕"
    assert Chunk.from_dict(old).location == ""


def test_a_page_reported_while_reading_reaches_the_build_report(tmp_path: Path) -> None:
    import warnings

    from conftest import ToyEmbedder

    from qa.errors import IngestWarning
    from qa.index.build import _load_chunks, build_index

    source = tmp_path / "docs"
    source.mkdir()
    (source / "a.txt").write_text("关于第12号提案的答复\n王五委员：\n您的提案收悉。\n一、总体情况\n情况良好。", "utf-8")

    def load(path: Path) -> list[Chunk]:
        warnings.warn(IngestWarning(f"{path.name}: 第2页 OCR 未识别出文字"), stacklevel=1)
        return _load_chunks(path)

    report = build_index([source], tmp_path / "index", ToyEmbedder(), load_chunks=load)
    assert report.chunks and not report.errors
    assert report.warnings == [(str((source / "a.txt").resolve()), "a.txt: 第2页 OCR 未识别出文字")]
    assert "1 warnings" in report.summary()


def test_terminal_citations_show_the_page_and_the_ocr_mark() -> None:
    from qa.answer.chain import format_answer
    from qa.records import Answer

    chunk = Chunk("c", "a.pdf", ("答复", "一、总体情况"), "情况良好。", DocMeta(source="a.pdf"), page=3, ocr=True)
    answer = Answer(question="q", text="情况良好[1]。", citations=[Citation(1, chunk, "情况良好。")])
    assert "    章节：答复 › 一、总体情况（第3页〔OCR识别〕）" in format_answer(answer).split("\n")
    plain = Chunk("c", "a.txt", ("答复",), "情况良好。", DocMeta(source="a.txt"))
    assert "    章节：答复" in format_answer(Answer("q", "好[1]。", [Citation(1, plain, "好")])).split("\n")


def test_every_chunk_of_a_long_pdf_has_the_page_its_heading_is_printed_on(tmp_path: Path) -> None:
    body = "本项工作按计划推进，资金和人员已经落实，群众满意度持续提高。" * 9
    pages = [
        [f"{n}、第{n}项重点工作", f"第{n}项：{body}", f"{n + 1}、第{n + 1}项重点工作", f"第{n + 1}项：{body}"]
        for n in range(1, 24, 2)
    ]
    pages[0] = ["关于区政协六届一次会议第0001号提案的答复", "李四委员：", "您的提案收悉。现答复如下：", *pages[0]]
    [doc] = load_documents(_write_pdf(tmp_path / "long.pdf", pages))
    chunks = split_document(doc)
    numbered = [c for c in chunks if "项重点工作" in c.text.split("\n")[0]]
    assert len(numbered) == 24
    for chunk in numbered:
        n = int(chunk.text.split("、")[0])
        assert chunk.page == (n + 1) // 2, chunk.text[:20]
