"""Where an answer is from: "which reply / which place said it" names the reply (agency, proposal number, title),
and a table's sub-row (其中：…) is read with the row it breaks down."""

from __future__ import annotations

from pathlib import Path

from qa.answer.chain import ask
from qa.answer.compose import compose
from qa.answer.verify import missing_figures
from qa.index.build import build_index
from qa.index.store import load_index
from qa.records import Chunk, DocMeta
from qa.retrieve import Retriever

META = DocMeta(
    agency="桐岭市卫生健康委员会",
    kind="政协提案",
    meeting="市政协五届二次会议",
    proposal_no="117",
    title="关于加强罕见病诊疗保障的提案",
    heading="关于市政协五届二次会议第117号提案答复的函",
    source="tl.txt",
)
CHUNK = Chunk("tl", "tl.txt", (META.heading, "四、下一步工作"), "将遗传代谢病筛查病种由3种扩大到6种。", META, 0)


def test_which_reply_said_it_is_answered_with_the_reply_s_agency_number_and_title() -> None:
    answer = compose("有份答复说要把遗传代谢病筛查病种从3种扩到6种，这是哪个市、关于什么的提案？", [CHUNK])
    opening = "出自桐岭市卫生健康委员会对市政协五届二次会议第117号提案《关于加强罕见病诊疗保障的提案》的答复[1]。"
    assert answer.startswith(opening)
    assert "6种" in answer
    # a question that does not ask for the source is answered without the opening
    assert not compose("遗传代谢病筛查病种要扩大到几种？", [CHUNK]).startswith("出自")


def test_which_place_and_which_number_is_answered_with_the_reply_s_agency_not_the_number_alone() -> None:
    answer = compose("哪份答复说要把遗传代谢病筛查扩到6种？是哪个地方、第几号提案？", [CHUNK])
    opening = "出自桐岭市卫生健康委员会对市政协五届二次会议第117号提案《关于加强罕见病诊疗保障的提案》的答复[1]。"
    assert answer == opening
    # the number asked alone is answered as before
    assert "桐岭市卫生健康委员会" not in compose("罕见病诊疗保障那个提案是第几号？", [CHUNK])


def test_a_plan_asked_which_document_said_it_is_named_by_its_own_title() -> None:
    meta = DocMeta(agency="桐岭区卫生健康局", title="桐岭区卫生健康事业发展规划", source="plan.txt")
    chunk = Chunk("p", "plan.txt", (meta.title, "妇幼健康"), "全面开展新生儿疾病筛查，筛查率达到98%以上。", meta, 0)
    answer = compose("新生儿疾病筛查率要达到多少，是哪个区的文件说的？", [chunk])
    assert answer.startswith("出自《桐岭区卫生健康事业发展规划》（桐岭区卫生健康局）[1]。")
    assert "对的答复" not in answer and "98%" in answer


def test_figures_a_question_quotes_must_be_stated_in_the_same_measure_word() -> None:
    assert missing_figures("病种从3种扩到6种，这是哪个市的？", "将筛查病种由三种扩大到6种") == []
    assert missing_figures("新建了8家社区医院的是哪个区？", "新建社区医院八家") == []
    assert missing_figures("新建了8家社区医院的是哪个区？", "新建社区医院8个") == ["8家"]  # quoted as written
    assert missing_figures("病种从3种扩到6种，这是哪个市的？", "由3种扩大到6家") == ["6种"]
    # years, months and the digits of a service's name are not quoted figures
    assert missing_figures("2024年3月讲120急救的是哪份答复？", "急救网络") == []


def test_which_reply_quoting_figures_no_reply_states_is_refused(tmp_path: Path, toy_embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "reply.txt").write_text(
        "桐岭市卫生健康委员会\n关于市政协五届二次会议第117号提案答复的函\n王立委员：\n"
        "您提出的《关于加强罕见病诊疗保障的提案》收悉。现答复如下：\n"
        "一、筛查\n将遗传代谢病筛查病种由3种扩大到6种，筛查费用纳入医保。\n",
        encoding="utf-8",
    )
    assert not build_index([corpus], tmp_path / "index", toy_embedder).errors
    retriever = Retriever(load_index(tmp_path / "index"), toy_embedder)

    stated = ask("有个答复说遗传代谢病筛查由3种增加到6种，是哪个市的提案？", retriever=retriever)
    assert not stated.refused and "桐岭市" in stated.text
    # the topic is there, the figures are another reply's: neither which reply nor who proposed it is answered
    assert ask("有个答复说遗传代谢病筛查由5种增加到10种，是哪个市的提案？", retriever=retriever).refused
    assert ask("建议遗传代谢病筛查由5种增加到10种的提案是谁提的？", retriever=retriever).refused
    assert not ask("建议遗传代谢病筛查由3种增加到6种的提案是谁提的？", retriever=retriever).refused


def test_a_table_sub_row_is_read_with_the_row_it_breaks_down() -> None:
    from qa.answer.compose import table_row
    from qa.answer.groups import with_parent_row

    meta = DocMeta(agency="桐岭区卫生健康局", title="桐岭区卫生健康事业发展规划", source="plan.txt")
    table = (
        "指标名称\t2020年\t2025年\n"
        "每千人口医疗卫生机构床位数（张/千人）\t6.10\t7.4\n"
        "其中：基层医疗卫生机构\t0.71\t1.05\n"
        "每千人口执业（助理）医师数（人/千人）\t2.31\t2.9"
    )
    chunk = Chunk("p", "plan.txt", ("桐岭区卫生健康事业发展规划", "主要指标"), table, meta, 0)
    start = table.index("其中")
    end = table.index("\n", start)
    assert with_parent_row(table, start, end).startswith("每千人口医疗卫生机构床位数其中")
    read = "每千人口医疗卫生机构床位数（张/千人）其中：基层医疗卫生机构：2020年0.71，2025年1.05"
    assert table_row(table, start, end) == read
    answer = compose("基层医疗卫生机构每千人口床位数2025年要达到多少？", [chunk])
    assert "1.05" in answer and "7.4" not in answer
