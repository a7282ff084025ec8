"""Split: chunk invariants on every real seed (boundaries, sizes, breadcrumbs, coverage, tables)."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from qa.ingest.clean import clean_text
from qa.ingest.cues import is_info_line
from qa.ingest.normalize import for_matching
from qa.ingest.read import read_text
from qa.ingest.split import MAX_CHARS, split_document
from qa.ingest.structure import load_documents, parse_documents
from qa.records import Chunk, Document

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
HARD_LIMIT = 700


def _coverage(text: str, chunks: list[Chunk]) -> float:
    want = Counter("".join(text.split()))
    got = Counter("".join("".join(c.text for c in chunks).split()))
    return sum(min(n, got[ch]) for ch, n in want.items()) / sum(want.values())


@pytest.fixture(scope="module", params=SEEDS, ids=[p.name[:3] for p in SEEDS])
def seed(request: pytest.FixtureRequest) -> tuple[Path, list[Document], list[list[Chunk]]]:
    docs = load_documents(request.param)
    return request.param, docs, [split_document(d) for d in docs]


def test_chunks_stay_inside_their_document(seed: tuple[Path, list[Document], list[list[Chunk]]]) -> None:
    _, docs, per_doc = seed
    for doc, chunks in zip(docs, per_doc, strict=True):
        assert chunks
        assert all(c.doc_id == doc.doc_id and c.meta == doc.meta for c in chunks)
        for c in chunks:
            for line in c.text.split("\n"):
                assert line in doc.text or line.rstrip("。") in doc.text, line  # text comes from this document only
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_chunk_sizes_and_breadcrumbs(seed: tuple[Path, list[Document], list[list[Chunk]]]) -> None:
    _, docs, per_doc = seed
    for doc, chunks in zip(docs, per_doc, strict=True):
        for c in chunks:
            assert len(c.text) <= HARD_LIMIT, (c.breadcrumb, len(c.text))
            assert c.text.strip()
            assert c.breadcrumb[0] == doc.meta.display_title
            assert c.chunk_id == Chunk.make_id(c.doc_id, c.breadcrumb, c.text)
        assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_cleaned_text_is_covered(seed: tuple[Path, list[Document], list[list[Chunk]]]) -> None:
    path, _, per_doc = seed
    # A web page's info table (索引号/发布机构/公开日期) is metadata (DocMeta fields), kept out of the body.
    lines = clean_text(read_text(path)).split("\n")
    cleaned = "\n".join(x for x in lines if not is_info_line(for_matching(x)))
    assert _coverage(cleaned, [c for chunks in per_doc for c in chunks]) >= 0.99


def test_seed_000_chunks_never_mix_replies() -> None:
    docs = load_documents(SEEDS[0])
    numbers = [d.meta.proposal_no for d in docs]
    for doc in docs:
        for c in split_document(doc):
            others = [n for n in numbers if n != doc.meta.proposal_no]
            assert not any(f"第{n}号" in c.text for n in others)


def test_indicator_table_rows_stay_with_their_header() -> None:
    (doc,) = load_documents(next(p for p in SEEDS if p.name.startswith("004")))
    chunks = split_document(doc)
    table_chunks = [c for c in chunks if any("\t" in line for line in c.text.split("\n"))]
    assert table_chunks
    rows_seen = []
    for c in table_chunks:
        rows = [line for line in c.text.split("\n") if "\t" in line]
        assert [x for x in rows[0].split("\t") if x] == [
            "指标名称",
            "2019年",
            "2025年",
        ]  # every piece of the table starts with its header
        assert all(c.breadcrumb[-1] == "（二）具体指标" for c in table_chunks)
        rows_seen.extend(rows[1:])
    assert any(r.startswith("健康水平\t人均预期寿命") for r in rows_seen)
    assert any("卫生监督双随机抽查完成率" in r for r in rows_seen)
    assert len(rows_seen) == len(set(rows_seen))  # each data row appears once


def test_long_section_is_cut_at_sentences_with_overlap() -> None:
    sentences = [f"第{i}项措施是加强基层医疗卫生机构能力建设并提升服务水平。" for i in range(40)]
    text = "对区政协六届三次会议第1号提案的答复\n一、具体措施\n" + "".join(sentences)
    (doc,) = parse_documents(text, "long.txt")
    chunks = split_document(doc)
    body = [c for c in chunks if c.breadcrumb[-1] == "一、具体措施"]
    assert len(body) >= 3
    for c in body:
        assert len(c.text) <= MAX_CHARS
        assert c.text.endswith("。")
    for a, b in itertools.pairwise(body):
        last_sentence = a.text.split("\n")[-1].split("。")[-2] + "。"
        assert b.text.startswith(last_sentence)  # one sentence of overlap


def test_small_sections_merge_under_their_parent() -> None:
    text = "\n".join(
        [
            "对区政协六届三次会议第2号提案的答复",
            "张三委员：",
            "您提出的关于加强托育服务的提案收悉。",
            "一、总体情况",
            "（一）机构数量",
            "全区共有托育机构95家。",
            "（二）托位数量",
            "可提供托位约3223个。",
            "二、下一步打算",
            "继续增加普惠托位。",
        ]
    )
    (doc,) = parse_documents(text, "small.txt")
    chunks = split_document(doc)
    assert len(chunks) == 1  # the whole reply fits in one chunk
    assert "（二）托位数量\n可提供托位约3223个。" in chunks[0].text


def test_docx_table_is_chunked_with_its_header(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("某区卫生健康事业发展规划")
    document.add_paragraph("某区卫生健康局")
    document.add_paragraph("一、主要指标")
    table = document.add_table(rows=1, cols=3)
    for cell, value in zip(table.rows[0].cells, ("指标名称", "2020年", "2025年"), strict=True):
        cell.text = value
    for i in range(60):
        row = table.add_row()
        for cell, value in zip(row.cells, (f"第{i}项卫生健康服务指标名称（%）", f"{i}.5", f"{i + 10}"), strict=True):
            cell.text = value
    path = tmp_path / "plan.docx"
    document.save(str(path))
    (doc,) = load_documents(path)
    assert doc.meta.heading == "某区卫生健康事业发展规划" and doc.meta.kind == "规划"
    chunks = [c for c in split_document(doc) if "\t" in c.text]
    assert len(chunks) >= 3
    seen = []
    for c in chunks:
        rows = [line for line in c.text.split("\n") if "\t" in line]
        assert rows[0] == "指标名称\t2020年\t2025年"
        assert len(c.text) <= MAX_CHARS
        seen.extend(rows[1:])
    assert seen == [f"第{i}项卫生健康服务指标名称（%）\t{i}.5\t{i + 10}" for i in range(60)]
