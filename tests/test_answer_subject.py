"""What a figure question is about: the asked quantity, figures that cannot be the answer, the subject's words."""

from __future__ import annotations

from qa.answer.subject import Quantity, asked_quantity, figure_fits, subject_check


def test_the_quantity_is_the_nouns_before_the_asking_words() -> None:
    assert asked_quantity("墨溪区现在15岁以上的人吸烟率是多少？").phrase.endswith("吸烟率")
    assert asked_quantity("项目总投资一共是多少钱？") == Quantity("项目总投资", total=True)
    # 多少 + a measure word counts the noun after it; a verb before 多少 asks about its object
    assert asked_quantity("东西湖区要建多少个急救站点？").phrase == ""
    assert asked_quantity("街道准备拿出多少亩地？").phrase == ""
    # a place locates the question and a word like 目标 only says a target is asked
    assert asked_quantity("江夏区有多少人完成转岗培训？").phrase == ""
    assert asked_quantity("托位数的规划目标是多少？").phrase == ""


def test_figures_that_cannot_answer() -> None:
    smoking = asked_quantity("墨溪区吸烟率现在是多少？")
    assert figure_fits("全区15岁及以上人群吸烟率为23.8%。", smoking, ["23.8"])
    assert not figure_fits("全区建成无烟党政机关12家。", smoking, ["12"])  # another quantity
    echo = asked_quantity("江汉区12家社区卫生服务中心的签约率是多少？")
    assert not figure_fits("与12家社区卫生服务中心签署合作协议，签约工作有序推进。", echo, ["12"])
    total = asked_quantity("医保一共支付了多少钱？")
    assert not figure_fits("医保按床日付费，付费标准为每床日260元。", total, ["260"])
    assert figure_fits("医保累计支付安宁疗护费用386万元。", total, ["386"])


def test_a_year_inside_a_document_number_is_no_figure_for_that_year() -> None:
    from qa.answer.verify import RefusalPolicy, refusal_reason

    passage = "根据《实施方案》（岭卫基层发〔2022〕7号）要求，全县家庭医生签约覆盖率达到42.6%。"
    asked = dict(sentence=passage, coverage=1.0, topic_coverage=1.0, figure=True, policy=RefusalPolicy())
    assert "2022" in refusal_reason("2022年签约覆盖率是多少？", evidence=passage, local_evidence=passage, **asked)
    dated = "2022年全县家庭医生签约覆盖率达到42.6%。"
    assert refusal_reason("2022年签约覆盖率是多少？", evidence=dated, local_evidence=dated, **asked) == ""


def test_the_answering_passage_must_be_about_the_subject() -> None:
    docs = {
        "a": "山坡中心卫生院项目于2023年9月开工建设。",
        "b": "东城社区卫生服务中心总投资2800万元。",
        "c": "全区家庭医生签约服务稳步推进。",
        "d": "乡镇卫生院开展基本公共卫生服务。",
    }
    wrong = subject_check("山坡中心卫生院项目总投资是多少钱？", docs["b"], docs["b"], docs)
    assert wrong.missing_specific == "山坡"  # a proper name the documents use, and this one lacks
    right = subject_check("山坡中心卫生院什么时候开工？", docs["a"], docs["a"], docs)
    assert right.missing_specific == "" and right.coverage == 1.0
    # a word no document uses weighs nothing: it can neither find nor rule out an answer
    colloquial = subject_check("家庭医生签约这块稳当吗？", docs["c"], docs["c"], docs)
    assert colloquial.coverage == 1.0


def test_the_quantity_s_name_must_come_with_a_figure_and_a_document_number_is_none() -> None:
    rate = asked_quantity("江汉区家庭医生签约率现在是多少？")
    assert not figure_fits(
        "以“1+4+2+2”模式为抓手，上级医院派驻专家团队，进驻家庭医生团队为辖区居民义诊并提升家庭医生签约率。", rate, ["1"]
    )
    assert figure_fits("全区家庭医生签约率为42.6%。", rate, ["42.6"])
    coverage = asked_quantity("青岚县2022年家庭医生签约覆盖率是多少？")
    assert not figure_fits("根据《实施方案》（岭卫基层发〔2022〕7号）要求推进家庭医生签约服务。", coverage, ["7"])


def test_a_two_character_abbreviation_is_found_in_the_word_it_shortens() -> None:
    docs = {"a": "幼儿园每个托育班补助2000元。", "b": "梧桐市新增开设托班的幼儿园38所。", "c": "其他", "d": "其他"}
    assert subject_check("幼儿园加开托班补多少钱？", docs["a"], docs["a"], docs).missing_specific == ""


def test_a_year_alone_is_no_figure() -> None:
    phone = asked_quantity("这份回复的电话多少？")
    assert not figure_fits("2023年下半年完成县人民医院五大中心建设。", phone, [])


def test_a_measure_word_may_label_the_figure_that_follows_it() -> None:
    from qa.answer.question import classify
    from qa.answer.select import typed, unit_figures

    asked = classify("上半年互认了多少人次？")
    sentence = "2024上半年，我区检验互认项目81项，互认人次5819，节约费用11.84万元。"
    assert typed(asked, sentence) and "5819" in unit_figures(asked, sentence)


def test_a_name_the_tokenizer_splits_into_single_characters_is_still_the_subject() -> None:
    from qa.answer.subject import subject_terms

    assert ("慢阻肺", True) in subject_terms("榆州市去年新确诊了多少慢阻肺患者？")
    docs = {
        "copd": "我市将慢阻肺高危人群早期筛查纳入重大公共卫生服务项目。",
        "beauty": "榆州市开通医疗美容投诉专线，2024年受理投诉举报214件。",
        **{f"d{i}": f"第{i}份答复：托育机构{i}家。" for i in range(10)},
    }
    check = subject_check("榆州市去年新确诊了多少慢阻肺患者？", docs["beauty"], docs["beauty"], docs)
    assert check.missing_specific == "慢阻肺"  # the reply that would answer never speaks of it
