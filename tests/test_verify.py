"""Citation and grounding checks on chunks parsed from the real seeds (no index needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer.verify import (
    RefusalPolicy,
    answer_sentences,
    evidence_text,
    extract_facts,
    find_quote,
    missing_entities,
    person_missing,
    question_entities,
    refusal_reason,
    unsupported_facts,
    verify_answer,
    year_conflict,
)
from qa.ingest.split import split_document
from qa.ingest.structure import load_documents
from qa.records import Chunk
from qa.text import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _chunk_with(source: str, needle: str) -> Chunk:
    for doc in load_documents(SEEDS / source):
        for chunk in split_document(doc):
            if needle in chunk.text:
                return chunk
    raise AssertionError(f"no chunk of {source} contains {needle}")


@pytest.fixture(scope="module")
def wuchang() -> Chunk:
    return _chunk_with("003_7d96d5533ae081cc.txt", "2866名确诊患者")


@pytest.fixture(scope="module")
def xianning() -> Chunk:
    return _chunk_with("002_1f72599712e05cfe.txt", "7066")


def test_split_sentences_spans_are_exact_quotes(wuchang: Chunk) -> None:
    spans = split_sentences(wuchang.text)
    pieces = [wuchang.text[s:e] for s, e in spans]
    assert any("2866名确诊患者" in p for p in pieces)
    assert all(p == p.strip() and p for p in pieces)
    # sentences never run over a full stop
    assert all("。" not in p[:-1] for p in pieces)


def test_answer_sentences_keep_markers_after_full_stop() -> None:
    parsed = answer_sentences("武昌区对2866名确诊患者进行心理疏导[1]。另有100名骨干。[2][3]\n无来源的一句")
    assert parsed == [
        ("武昌区对2866名确诊患者进行心理疏导[1]。", [1]),
        ("另有100名骨干。[2][3]", [2, 3]),
        ("无来源的一句", []),
    ]


def test_extract_facts_numbers_and_quoted_names() -> None:
    numbers, names = extract_facts(
        "2021年08月31日公开，投入2,856万元，覆盖率100%，印发《江夏区社会心理服务体系工作实施方案》[3]"
    )
    assert numbers == {"2021", "8", "31", "2856", "100"}  # [3] is a marker, not a figure; 08 == 8
    assert names == {"江夏区社会心理服务体系工作实施方案"}


def test_verify_strips_markers_of_sources_not_given(wuchang: Chunk, xianning: Chunk) -> None:
    checked = verify_answer("依托京东健康平台对2866名确诊患者进行心理疏导服务[1][7]。", [wuchang, xianning])
    assert "[7]" not in checked.text and "[1]" in checked.text
    assert checked.removed_markers == [7]
    assert [c.n for c in checked.citations] == [1]
    quote = checked.citations[0].quote
    assert "2866" in quote and quote in wuchang.text
    assert checked.unsupported == []


def test_verify_flags_invented_number_and_wrong_source(wuchang: Chunk, xianning: Chunk) -> None:
    text = "依托京东健康平台对3866名确诊患者进行心理疏导服务[1]。今年1月至6月累计开展远程影像诊疗7066人次[1]。"
    checked = verify_answer(text, [wuchang, xianning])
    # 3866 is invented; 7066 is real but in source 2, not the cited source 1
    assert checked.unsupported == [0, 1]
    fixed = verify_answer(text.replace("3866", "2866").replace("7066人次[1]", "7066人次[2]"), [wuchang, xianning])
    assert fixed.unsupported == []
    assert all(c.quote in c.chunk.text for c in fixed.citations)


def test_verify_flags_uncited_figures_and_invented_titles(wuchang: Chunk) -> None:
    checked = verify_answer("共有9999人参加培训。依据《不存在的文件》开展工作[1]。", [wuchang])
    assert checked.unsupported == [0, 1]
    assert unsupported_facts("依据《不存在的文件》开展工作", [wuchang]) == ["不存在的文件"]


def test_extractive_text_is_not_fact_checked(wuchang: Chunk) -> None:
    checked = verify_answer("共有9999人参加培训[1]。", [wuchang], check_facts=False)
    assert checked.unsupported == []


def test_find_quote_prefers_the_sentence_with_the_figure(xianning: Chunk) -> None:
    quote = find_quote("远程心电诊断21023人次[1]", xianning)
    assert "21023" in quote and quote in xianning.text


def test_question_entities() -> None:
    assert question_entities("洪山区卫生健康局组建了多少个医联体？") == ["洪山区"]
    assert set(question_entities("咸宁市2022年全年开展了多少人次远程心电诊断？")) == {"咸宁市", "2022"}
    assert "20240200" in question_entities("江夏区第20240200号提案的答复内容是什么？")
    assert "李丹" in question_entities("李丹委员的提案文号是什么")


def test_entity_mismatch_refuses_other_districts_and_years(wuchang: Chunk, xianning: Chunk) -> None:
    assert missing_entities("汉阳区的免费心理援助热线是多少？", [wuchang, xianning]) == ["汉阳区"]
    assert missing_entities("咸宁市2022年开展了多少人次远程心电诊断？", [xianning]) == ["2022"]
    assert missing_entities("武昌区为多少名确诊患者做了心理疏导？", [wuchang]) == []
    assert missing_entities("由王一委员提出的提案", "王一委员：") == []  # 由王一 is found as 王一
    assert missing_entities("2020到2023年申报了多少项", "20年-23年，申报科研立项41项") == []


def test_year_conflict() -> None:
    assert year_conflict("江夏区2024年托育补贴资金总共发了多少？", "2023年我区改造幼儿园托育班41个") == "2024"
    assert year_conflict("2023年改造了多少个托育班？", "2023年我区改造幼儿园托育班41个") == ""
    assert year_conflict("2023年改造了多少个托育班？", "全区改造托育班41个") == ""


def test_refusal_reasons(wuchang: Chunk) -> None:
    policy = RefusalPolicy()
    sentence = "依托京东健康平台对2866名确诊患者进行心理疏导服务。"
    evidence = evidence_text([wuchang])

    def reason(question: str, coverage: float = 0.9, topic: float = 0.9, local: str = evidence) -> str:
        return refusal_reason(
            question,
            evidence=evidence,
            sentence=sentence,
            coverage=coverage,
            topic_coverage=topic,
            figure=True,
            policy=policy,
            local_evidence=local,
        )

    assert reason("武昌区为多少名确诊患者做了心理疏导？") == ""
    assert "汉阳区" in reason("汉阳区为多少名确诊患者做了心理疏导？")
    assert "2021" in reason("武昌区2021年为多少名确诊患者做了心理疏导？", local=sentence)  # year not in the passage
    assert reason("武昌区为多少名确诊患者做了心理疏导？", topic=0.0)
    assert reason("武昌区为多少名确诊患者做了心理疏导？", coverage=0.0)


def test_who_holds_a_post_needs_a_name_in_the_answer() -> None:
    deputy = "咸宁市第一人民医院选派业务骨干3名到医共同体成员单位担任业务副院长，先行开展试点工作。"
    assert person_missing("咸宁市第一人民医院的院长是谁？", deputy)
    assert not person_missing("江夏区医共体由谁牵头？", "以江夏区第一人民医院、江夏区中医医院为牵头单位")
