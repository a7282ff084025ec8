"""A total is no answer to a part: each unit's figure or one year's, where the reply gives only what all of them or
several years came to."""

from __future__ import annotations

from pathlib import Path

from qa.answer.chain import ask
from qa.answer.sums import sum_for_part
from qa.index.build import build_index
from qa.index.store import load_index
from qa.retrieve import Retriever

SUPPORT = (
    "2024年，区内2家三级医院与全区9家乡镇卫生院全部建立对口支援关系，累计派驻中级以上职称医师41人，"
    "每人驻点时间不少于6个月。"
)
DELIVERY = "药品由3家配送企业分片配送，2024年配送金额5210万元，乡镇卫生院药品配送到位率为95.1%。"
TRAINING = "安排专科医生参加全科医师转岗培训，近三年累计完成转岗培训医师64人，目前全区注册全科医师有198人。"


def test_each_unit_asked_of_a_total_is_a_sum_for_a_part() -> None:
    assert sum_for_part("2家三级医院各派驻了多少名医师？", SUPPORT)
    assert sum_for_part("3家配送企业每家配送了多少金额？", DELIVERY)
    # the total itself asked
    assert not sum_for_part("2家三级医院一共派驻了多少名医师？", SUPPORT)
    assert not sum_for_part("派驻了多少名医师？", SUPPORT)
    # the clause with the asked unit holds the figure: 多少钱 is the money's, not the count of devices given to each
    devices = "两年累计投入市级财政资金860万元，为全市52家乡镇卫生院各配置便携式肺功能仪1台。"
    assert sum_for_part("配的便携式肺功能仪，平均一台多少钱？", devices)
    # a figure the sentence gives per unit
    assert not sum_for_part("2家三级医院各派驻了多少名医师？", "2家三级医院各派驻医师20名。")
    # 各 after a list of things asked is "respectively", and the sentence gives each its own figure
    listed = "今年1月至6月累计开展远程影像诊疗3120人次、开展远程心电诊断8890人次。"
    assert not sum_for_part("远程影像和远程心电各做了多少人次？", listed)


def test_one_year_asked_of_a_several_year_sum_is_a_sum_for_a_part() -> None:
    assert sum_for_part("2024年全年完成转岗培训的医师有多少人？", TRAINING)
    assert sum_for_part("每年完成转岗培训的医师有多少？", TRAINING)
    # the span itself asked, or the sentence's own year
    assert not sum_for_part("这几年一共完成转岗培训的医师有多少人？", TRAINING)
    assert not sum_for_part("2022到2024年完成转岗培训的医师有多少人？", TRAINING)
    assert not sum_for_part("2024年完成转岗培训多少人？", "2024年完成转岗培训医师22人。")


def test_a_part_asked_of_a_total_is_refused_on_the_real_index(tmp_path: Path, toy_embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "reply.txt").write_text(
        "关于加强基层医疗服务能力的提案的答复\n"
        "一、对口支援\n" + SUPPORT + "\n二、药品配送\n" + DELIVERY + "\n三、人才培养\n" + TRAINING + "\n",
        encoding="utf-8",
    )
    assert not build_index([corpus], tmp_path / "index", toy_embedder).errors
    retriever = Retriever(load_index(tmp_path / "index"), toy_embedder)

    each = ask("2家三级医院各派驻了多少名医师到乡镇卫生院？", retriever=retriever)
    assert each.refused and "41人" in each.text  # a near miss: what the reply does say is quoted
    total = ask("2家三级医院一共派驻了多少名医师到乡镇卫生院？", retriever=retriever)
    assert not total.refused and "41人" in total.text
    one_year = ask("2024年全年完成全科医师转岗培训的有多少人？", retriever=retriever)
    assert one_year.refused
    span = ask("近三年完成全科医师转岗培训的有多少人？", retriever=retriever)
    assert not span.refused and "64人" in span.text


def test_one_item_asked_alone_is_not_the_sum_of_a_list_it_is_in() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "对上门护理服务按每人次12元给予运营补助。2024年共发放建设补助和运营补助合计48.2万元。"
    summed = "2024年共发放建设补助和运营补助合计48.2万元。"
    corpus = {"r.txt": reply, **{f"d{i}.txt": f"第{i}份答复：运营补助{i}万元。" for i in range(9)}}
    assert unstated_qualifier("2024年光是上门护理的运营补助发了多少钱？", summed, "", reply, corpus)
    assert not unstated_qualifier("2024年建设补助和运营补助一共发了多少钱？", summed, "", reply, corpus)
