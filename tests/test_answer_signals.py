"""General signals of sentence selection: the time a question asks about, durations, and meaning (embedder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.answer.compose import compose
from qa.answer.question import Intent, classify, time_frame
from qa.answer.roles import sentence_frame
from qa.answer.select import rank_sentences, typed
from qa.answer.similar import SentenceSimilarity
from qa.index.sentences import SentenceVectors, chunk_sentences, embed_index_sentences
from qa.records import Chunk, DocMeta

META = DocMeta(agency="梧桐市卫生健康委员会", heading="关于发展普惠托育服务的建议的答复", source="wt.txt")


def _chunk(text: str, n: int = 0) -> Chunk:
    return Chunk(f"c{n}", "wt.txt", (META.heading, "一、托育服务"), text, META, n)


TUOYU = _chunk(
    "目前全市共有备案托育机构213家，每千人口托位数为3.1个。\n到2025年底实现每千人口托位数达到4.5个。\n"
    "城区平均急救反应时间为12.5分钟，农村地区为26分钟。\n2022年全年受理120呼救电话3.1万次。"
)


def test_time_frame_of_questions_and_sentences() -> None:
    assert time_frame("梧桐市现在每千人口有几个托位？") == "now"
    assert time_frame("2025年要达到多少托位？") == "plan"
    assert time_frame("每千人口有几个托位？") == ""
    assert sentence_frame("到2025年底实现每千人口托位数达到4.5个。") == "plan"
    assert sentence_frame("目前全市共有备案托育机构213家。") == "now"


def test_a_question_about_now_is_answered_by_what_stands_and_a_target_by_the_plan() -> None:
    now = rank_sentences("梧桐市现在每千人口有几个托位？", [TUOYU])[0]
    plan = rank_sentences("梧桐市2025年每千人口托位数要达到多少个？", [TUOYU])[0]
    assert "3.1个" in now.text and "4.5个" in plan.text


def test_how_long_asks_for_a_duration_not_a_year() -> None:
    intent = classify("乡下打120，救护车一般多久能到？")
    assert intent == Intent("number", unit="时长")
    assert typed(intent, "城区平均急救反应时间为12.5分钟，农村地区为26分钟。")
    assert not typed(intent, "2022年全年受理120呼救电话3.1万次。")


def test_calls_to_a_hotline_are_counted_in_calls_or_times_never_read_off_its_phone_number() -> None:
    intent = classify("那条心理热线一共接了多少通电话？")
    assert intent == Intent("number", unit="通电话")
    assert typed(intent, "热线开通以来共接听来电1260余次。")
    assert not typed(intent, "可致电心理援助热线13900001234（工作时间8:00-17:00）。")


class FakeEmbedder:
    """Vectors by keyword: the question about arriving and the sentence about response time point the same way."""

    name = "keyword-fake"
    dim = 2
    calls = 0

    def embed_query(self, text: str) -> np.ndarray:
        return np.array([1.0, 0.0] if "多久" in text else [0.0, 1.0], dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        FakeEmbedder.calls += len(texts)
        return np.array([[1.0, 0.0] if "反应时间" in t else [0.0, 1.0] for t in texts], dtype=np.float32)


def _similarity(folder: Path) -> SentenceSimilarity:
    return SentenceSimilarity(FakeEmbedder(), SentenceVectors(folder, FakeEmbedder.name, FakeEmbedder.dim))


def test_meaning_lifts_the_sentence_that_shares_no_word_with_the_question(tmp_path: Path) -> None:
    similarity = _similarity(tmp_path)
    question = "救护车一般多久能到？"
    ranked = rank_sentences(question, [TUOYU], classify(question), similarity=similarity)
    assert ranked[0].text == "城区平均急救反应时间为12.5分钟，农村地区为26分钟。"
    assert ranked[0].semantic == 1.0
    assert compose(question, [TUOYU], similarity=similarity) == (
        "据《关于发展普惠托育服务的建议的答复》，城区平均急救反应时间为12.5分钟，农村地区为26分钟[1]。"
    )


def test_sentence_vectors_are_embedded_once_and_kept_on_disk(tmp_path: Path) -> None:
    similarity = _similarity(tmp_path)
    FakeEmbedder.calls = 0
    assert similarity("多久？", ["反应时间", "托位"]) == [1.0, 0.0]
    assert similarity("多久到？", ["反应时间", "托位"]) == [1.0, 0.0]
    assert FakeEmbedder.calls == 2
    similarity.store.flush()
    again = _similarity(tmp_path)  # another process on the same cache folder
    assert again("多久？", ["反应时间", "托位"]) == [1.0, 0.0]
    assert FakeEmbedder.calls == 2


def test_the_background_pass_embeds_every_sentence_of_the_index_once(tmp_path: Path) -> None:
    store = SentenceVectors(tmp_path, FakeEmbedder.name, FakeEmbedder.dim)
    FakeEmbedder.calls = 0
    assert embed_index_sentences([TUOYU, TUOYU], FakeEmbedder(), store) == len(chunk_sentences(TUOYU)) == 4
    assert embed_index_sentences([TUOYU], FakeEmbedder(), store) == 0
    assert store.missing(chunk_sentences(TUOYU)) == [] and FakeEmbedder.calls == 4


# ---- refusals that explain themselves -----------------------------------------------------------------------

QINGLAN = DocMeta(agency="青岚县卫生健康局", heading="关于家庭医生签约服务的提案的复函", source="ql.txt")
SIGNING = Chunk(
    "s0",
    "ql.txt",
    (QINGLAN.heading, "一、签约服务"),
    "全县家庭医生签约服务覆盖全部乡镇。\n签约居民可享受预约转诊服务。",
    QINGLAN,
)


def test_a_near_miss_is_refused_with_what_the_documents_do_say() -> None:
    from qa.answer.refusal import near_miss, near_miss_text

    question = "青岚县家庭医生签约服务覆盖率是多少？"
    intent = classify(question)
    ranked = rank_sentences(question, [SIGNING], intent)
    assert not any(c.typed for c in ranked)  # no sentence states a figure
    near = near_miss(question, ranked, intent, [SIGNING], {})
    assert near is not None and near.text == "全县家庭医生签约服务覆盖全部乡镇。"
    assert near_miss_text(near, intent, "现有资料中未找到相关内容。") == (
        "现有资料中未找到相关内容。资料提到：“全县家庭医生签约服务覆盖全部乡镇”[1]，但未给出所问的具体数字。"
    )


def test_no_near_miss_from_another_place_or_for_content_questions() -> None:
    from qa.answer.refusal import near_miss

    question = "梧桐市家庭医生签约服务覆盖率是多少？"
    intent = classify(question)
    assert near_miss(question, rank_sentences(question, [SIGNING], intent), intent, [SIGNING], {}) is None
    question = "青岚县家庭医生签约服务有哪些措施？"
    intent = classify(question)
    assert near_miss(question, rank_sentences(question, [SIGNING], intent), intent, [SIGNING], {}) is None


def test_answers_are_grouped_by_source_in_reading_order_and_lists_numbered() -> None:
    from qa.answer.compose import arrange
    from qa.answer.select import Candidate

    other = DocMeta(agency="青岚县卫生健康局", heading="关于托育的复函", source="ql.txt")
    a = Chunk("a", "wt.txt", (META.heading,), "甲。乙。", META, 0)
    b = Chunk("b", "ql.txt", (other.heading,), "丙。", other, 0)

    def cand(n: int, start: int) -> Candidate:
        return Candidate(n, start, start + 2, "", 1.0, 1.0, 1.0, 1.0, True)

    # the direct answer (乙) first, then its document's other sentence, then the other document
    rendered = [(cand(1, 2), "乙[1]。"), (cand(2, 0), "丙[2]。"), (cand(1, 0), "甲[1]。")]
    assert arrange(rendered, [a, b], numbered=False) == (
        "据《关于发展普惠托育服务的建议的答复》，乙[1]。甲[1]。据《关于托育的复函》，丙[2]。"
    )
    assert arrange(rendered, [a, b], numbered=True) == (
        "据《关于发展普惠托育服务的建议的答复》：\n1. 乙[1]。\n2. 甲[1]。\n据《关于托育的复函》：\n3. 丙[2]。"
    )


def test_metadata_dates_read_as_replies_write_them_and_the_reply_class_is_found() -> None:
    from qa.answer.metadata import chinese_date, metadata_answer

    assert chinese_date("2023-08-10") == "2023年8月10日" and chinese_date("二〇二二年七月八日") == "二〇二二年七月八日"
    meta = DocMeta(agency="柘源县卫生健康局", heading="关于加强青少年心理健康服务的提案的答复", date="2022-06-28")
    chunk = Chunk("m", "zy.txt", (meta.heading,), "答复类别：C类\n我局将开设青少年心理咨询专窗。", meta, 0)
    question = "柘源县青少年心理健康那件提案的答复类别是哪一类？"
    assert classify(question).meta_fields[0] == "reply_class"
    assert metadata_answer(question, ("reply_class",), [chunk]) == (
        "关于加强青少年心理健康服务的提案的答复的答复类别为C类[1]。"
    )
    assert metadata_answer("那条提案的答复落款日期是哪天？", ("date",), [chunk]) == (
        "关于加强青少年心理健康服务的提案的答复的落款日期为2022年6月28日[1]。"
    )


def test_a_class_named_by_its_letter_asks_the_reply_class_and_other_letter_classes_do_not() -> None:
    for question in ("托育那个建议是A类还是B类？", "民盟那个集体提案答复是A类吗？", "这份答复的答复类型是什么？"):
        assert classify(question).meta_fields[:1] == ("reply_class",), question
    for question in ("全市有几家A类医院？", "甲类传染病有哪些？"):
        assert "reply_class" not in classify(question).meta_fields, question


def test_a_collective_proposer_is_named_as_the_body_without_a_member_suffix() -> None:
    from qa.answer.metadata import metadata_answer

    meta = DocMeta(kind="政协提案", heading="关于无烟环境的提案的答复", proposers=("民盟榆关县委员会",))
    chunk = Chunk("c", "yg.txt", (meta.heading,), "民盟榆关县委员会：\n你们提出的提案收悉。", meta, 0)
    question = "控烟那个集体提案是哪个党派提的？"
    assert classify(question).meta_fields[:1] == ("proposers",)
    assert metadata_answer(question, ("proposers",), [chunk]) == "关于无烟环境的提案的答复由民盟榆关县委员会提出[1]。"
    person = DocMeta(kind="政协提案", heading="关于托育的提案的答复", proposers=("韩雪",))
    other = Chunk("p", "hx.txt", (person.heading,), "韩雪委员：\n您提出的提案收悉。", person, 0)
    answer = metadata_answer("托育提案是哪个委员提的？", ("proposers",), [other])
    assert answer == "关于托育的提案的答复由韩雪委员提出[1]。"


def test_who_signed_a_reply_and_whom_to_call_are_both_answered() -> None:
    from qa.answer.metadata import metadata_answer

    contacts = (("签发人", "邬立", ""), ("联系人", "孔兰", "0736-7751816转3021"))
    meta = DocMeta(kind="政协提案", heading="关于大病救助的提案的复函", contacts=contacts)
    chunk = Chunk("s", "jj.txt", (meta.heading,), "签发人：邬立\n联系人：孔兰 电话：0736-7751816转3021", meta, 0)
    question = "第28号提案的复函是谁签发的？有事找谁，电话多少？"
    assert classify(question).meta_fields[:1] == ("contacts",)
    answer = metadata_answer(question, ("contacts",), [chunk])
    assert "签发人邬立" in answer and "联系人孔兰，联系电话0736-7751816转3021" in answer
    assert "孔兰" not in metadata_answer("这份复函是谁签发的？", ("contacts",), [chunk])


def test_the_place_and_number_a_metadata_question_names_pick_its_document() -> None:
    from qa.answer.metadata import meta_source

    def reply(agency: str, number: str, contact: str) -> Chunk:
        heading = f"{agency}关于第{number}号提案的答复"
        meta = DocMeta(kind="政协提案", agency=agency, heading=heading, proposal_no=number)
        return Chunk(number, f"{number}.txt", (meta.heading,), f"经办人：{contact}，联系电话：0731-8862037", meta, 0)

    # the first source shares the words 经办人/电话 and the number; the place picks the second
    yuguan, liaochuan = "榆关县卫生健康局", "蓼川县卫生健康局"
    sources = [reply(yuguan, "7", "甲"), reply(liaochuan, "7", "乙"), reply(liaochuan, "9", "丙")]
    assert meta_source("蓼川县第7号提案的答复经办人是谁，电话多少？", sources) == 2
    assert meta_source("蓼川县第9号提案的答复有事找谁？", sources) == 3
    for question, field in (
        ("第7号提案是哪位提出的？", "proposers"),
        ("这份答复有事找谁？", "contacts"),
        ("第9号建议是几届几次会议提出的？", "meeting"),
        ("提第8号提案的人叫什么名字？", "proposers"),
        ("第8号提案的答复是谁家出的？", "agency"),
        ("那个议案卫健局这边分管的领导是谁？", "contacts"),
        ("血透那个建议的答复，领导签字的是谁？", "contacts"),
        ("打疫苗那个提案，卫健局啥时候回复的？", "date"),
        ("职业病那个建议是哪个单位回的？", "agency"),
        ("看病难那个提案是哪家提的？", "proposers"),
        ("那个建议是在哪次人大会上提的？", "meeting"),
        ("家庭病床那个提案，有问题该打哪个电话问？", "contacts"),
    ):
        assert classify(question).meta_fields[:1] == (field,), question
    # a service hotline is content, not the reply's contact
    assert classify("失业的人心里难受可以打什么电话？").kind != "meta"


def test_every_number_a_contact_line_lists_is_given_but_not_the_fax() -> None:
    from qa.answer.metadata import metadata_answer

    meta = DocMeta(kind="政协提案", heading="关于基层医疗的提案的答复", contacts=(("经办人", "冯雪", "0738-2216654"),))
    line = "经办人:冯雪　电话:0738-2216654、13874510022　传真:0738-2216600"
    chunk = Chunk("p", "p.txt", (meta.heading,), line, meta, 0)
    answer = metadata_answer("这份答复留了哪些联系电话？", ("contacts",), [chunk])
    assert "联系电话0738-2216654、13874510022[1]" in answer and "2216600" not in answer


def test_a_bureau_written_in_traditional_characters_answers_for_the_simplified_place() -> None:
    from qa.answer.metadata import metadata_answer
    from qa.answer.verify import missing_entities

    meta = DocMeta(source="tl.html")  # the metadata has no agency and no heading: the passage names the bureau
    chunk = Chunk(
        "t", "tl.html", ("tl.html",), "汀蘭縣衛生健康局關於縣政協九屆二次會議第15號提案的答覆\n您提出的提案收悉。", meta
    )
    question = "汀兰县儿童口腔提案是哪个单位答复的？"
    assert missing_entities(question, [chunk]) == []
    assert metadata_answer(question, ("agency",), [chunk]) == "该答复由汀蘭縣衛生健康局答复[1]。"


def test_which_kinds_is_a_list_and_a_weekday_answers_which_day() -> None:
    assert classify("对医疗纠纷投诉是分成哪几类来处置的？").kind == "list"
    assert classify("哪几个街道有卫生院，各有多少床位？").kind == "number"  # 多少 still asks for figures
    day = classify("记忆门诊哪天有医生？")
    assert day.kind == "date" and typed(day, "每周二、周四由神经内科医师坐诊。")


def test_how_people_ask_for_a_reply_s_signer_issue_day_and_index_number() -> None:
    assert classify("那份提案答复的签发人是谁？").meta_field == "contacts"
    assert classify("那份办理意见是哪天出的？").meta_field == "date"
    assert classify("那个网页的索引号是多少？").meta_field == "index_no"


MOXI = DocMeta(agency="墨溪区卫生健康局", heading="关于加强控烟工作的提案的答复", source="mx.txt")
SMOKING = Chunk(
    "mx0",
    "mx.txt",
    (MOXI.heading, "一、控烟工作"),
    "2022年监测显示，我区15岁及以上人群吸烟率为23.8%。\n"
    "到2024年底，力争全区建成无烟党政机关，15岁及以上人群吸烟率降至22%以下。\n"
    "2023年，项目计划于9月完工。",
    MOXI,
    0,
)
OTHER = Chunk(
    "hx0",
    "hx.txt",
    ("湄溪区答复", "一、村卫生室"),
    "到2024年底，村卫生室标准化达标率达到95%以上。",
    DocMeta(agency="湄溪区卫生健康局", heading="湄溪区答复", source="hx.txt"),
    0,
)


def test_each_part_of_a_two_part_question_is_answered_in_its_own_time_and_the_first_part_s_document() -> None:
    answer = compose("墨溪区现在15岁以上的人吸烟率是多少，到2024年底想降到多少？", [SMOKING, OTHER])
    assert answer.index("23.8%") < answer.index("22%") and "95%" not in answer


DRUGS = Chunk(
    "kc0",
    "kc.txt",
    ("珂川区答复", "二、措施"),
    "部分在上级医院开具的降压药在社区卫生服务中心买不到，患者需往返大医院取药。\n"
    "基层暂无药品的，由区人民医院中心药房统一配送，48小时内送达社区。\n"
    "在社区卫生服务中心开通慢病药品线上预约取药服务。",
    DocMeta(agency="珂川区卫生健康局", heading="珂川区答复", source="kc.txt"),
    0,
)


def test_measures_are_answered_by_what_was_done_not_by_the_complaint() -> None:
    answer = compose("社区医院买不到大医院开的降压药，有什么办法？", [DRUGS])
    assert "统一配送" in answer and "预约取药" in answer and "往返" not in answer


CARE_META = DocMeta(
    agency="梧桐市卫生健康委员会", heading="梧桐市卫生健康委员会关于第139号提案的答复", source="wt2.txt"
)
CARE = Chunk(
    "wt2",
    "wt2.txt",
    (CARE_META.heading, "二、关爱措施"),
    "梧桐市卫生健康委员会关于第139号提案的答复\n一、基本情况\n全市现有计划生育特殊家庭3216户。\n二、关爱措施\n"
    "（一）家庭医生签约服务实现特殊家庭全覆盖。（二）全市48家医疗机构设立就医优先窗口。"
    "（三）落实“双岗”联系人制度，定期走访。（四）市财政为特殊家庭成员购买住院护理补贴保险。"
    "（五）开展心理慰藉服务。",
    CARE_META,
    0,
)
ELSEWHERE = Chunk(
    "dx0",
    "dx.txt",
    ("东西湖区规划", "特殊家庭"),
    "深入开展特殊家庭关爱行动，落实联系人制度。",
    DocMeta(agency="东西湖区卫生健康局", heading="东西湖区规划", source="dx.txt"),
    0,
)


def test_a_list_of_measures_is_the_reply_s_own_enumeration_without_its_heading_or_other_places() -> None:
    answer = compose("梧桐市对计划生育特殊家庭有哪些关爱措施？", [CARE, ELSEWHERE])
    for item in ("签约服务", "优先窗口", "双岗", "补贴保险", "心理慰藉"):
        assert item in answer
    assert "关于第139号提案的答复[" not in answer and "东西湖" not in answer


def test_a_time_of_day_question_wants_a_clock_time_and_a_bare_short_question_is_a_follow_up() -> None:
    from qa.answer.followup import is_followup

    clock = classify("晚上开到几点？")
    assert clock.kind == "date" and typed(clock, "夜间儿科门诊开放至22时。")
    assert typed(clock, "工作时间上午8:00-11:00。") and not typed(clock, "新院区将于2025年6月投入使用。")
    assert is_followup("几点到几点有人接？") and not is_followup("江夏区心理援助热线几点有人接？")


RESPONSE = Chunk(
    "sp0",
    "sp.txt",
    ("杉浦县答复", "一、急救"),
    "（一）新增3个乡镇急救站点，力争农村地区平均急救反应时间缩短至20分钟以内。\n城区平均急救反应时间为12.5分钟，农村地区为26分钟。",
    DocMeta(agency="杉浦县卫生健康局", heading="杉浦县答复", source="sp.txt"),
    0,
)


def test_beside_a_part_about_the_future_a_part_without_a_time_asks_how_things_stand() -> None:
    answer = compose("杉浦县农村打120平均多久车能到，以后要缩短到多少？", [RESPONSE])
    assert answer.index("26分钟") < answer.index("20分钟")
    assert time_frame("献血献到多少以后，看门诊不收诊查费？") == ""  # 以后 as "after", not a plan


TITLED = Chunk(
    "lx0",
    "lx.txt",
    ("岚溪市答复", "二、主要工作"),
    "（一）落实监护补助。对贫困患者监护人按每人每年1200元发放以奖代补经费。\n"
    "（二）推进社区康复。建设精神障碍社区康复站31个。\n（三）免费服药。为患者免费提供基本药物。",
    DocMeta(agency="岚溪市卫生健康委员会", heading="岚溪市答复", source="lx.txt"),
    0,
)


def test_an_enumerated_item_that_is_only_a_title_is_listed_with_what_it_says() -> None:
    answer = compose("岚溪市在精神障碍患者管理上做了哪些工作？", [TITLED])
    assert "1200元" in answer and "31个" in answer and "免费提供" in answer


SCREENING_META = DocMeta(agency="榆关市卫生健康委员会", heading="关于加强学校结核病防控的提案的答复", source="yg.txt")
SCREENING_TEXT = (
    "您提出的提案收悉。提案反映，新生入学筛查流于形式，建议将筛查纳入常规体检并全部免费。\n"
    "二、防控措施\n（一）全市高中新生入学体检开展结核病筛查，2022年筛查新生5.1万人。"
    "（二）对学校病例开展密切接触者筛查，2022年筛查密接者1930人。（三）疾控机构每学期督导学校1次。\n"
    "三、关于全部免费筛查的建议\n目前初中新生筛查尚未纳入免费项目。"
    "我委将会同市财政局测算经费，争取2024年将初中新生筛查纳入免费项目，预计每年增加筛查约1.8万人。"
)


def test_a_plan_question_is_led_by_the_plan_and_never_by_the_proposal_s_own_words() -> None:
    whole = Chunk("yg1", "yg.txt", (SCREENING_META.heading,), SCREENING_TEXT, SCREENING_META, 0)
    # the same measures again in a section passage of the same reply
    measures = SCREENING_TEXT[SCREENING_TEXT.index("二、") : SCREENING_TEXT.index("三、")]
    section = Chunk("yg2", "yg.txt", (SCREENING_META.heading, "二、防控措施"), measures, SCREENING_META, 1)
    answer = compose("委员希望结核病筛查全部免费，榆关市卫健委打算怎么落实？", [whole, section])
    items = [line for line in answer.splitlines() if line[:1].isdigit()]
    assert "争取2024年" in items[0]  # what the bureau will do, first
    assert "提案反映" not in answer and "建议将筛查" not in answer  # the proposer's voice is no measure
    assert sum("5.1万人" in line for line in items) == 1  # each sentence once


def test_two_statements_in_parallel_words_with_their_own_figures_are_both_quoted() -> None:
    meta = DocMeta(agency="榆关区卫生健康局", heading="关于中医药发展的提案的答复", source="zy.txt")
    text = "9家社区卫生服务中心均能开展5类8项以上的中医药适宜技术；社区卫生服务站能开展3类5项以上的中医药适宜技术。"
    chunk = Chunk("zy", "zy.txt", (meta.heading, "二、服务能力"), text, meta, 0)
    answer = compose("榆关区的社区卫生机构现在能开展多少项中医适宜技术？", [chunk])
    assert "5类8项" in answer and "3类5项" in answer


def test_a_question_s_shortened_word_finds_the_sentence_that_writes_it_out() -> None:
    from qa.answer.lexicon import mentions

    assert mentions("政府办", "其中政府举办3个") and mentions("护理站", "社区护理服务站")
    assert not mentions("护理站", "护理人员") and not mentions("医保", "医疗保障局")  # two characters: too loose
    # 平均 shortens to 均 in a compound: 平均收入 is 人均收入, 平均住院日 is 年均住院日
    assert mentions("平均收入", "在编人员年人均收入从12万元增加至15万元") and not mentions("平均收入", "收入增加")
    stations = _chunk(
        "全县现有护理站7个，其中政府举办3个（依托城东、城西社区卫生服务中心设立）、社会力量举办4个，共有注册护士52名。\n"
        "2024年全县护理站提供上门护理服务1.2万人次。\n服务项目包括压疮护理、伤口换药等16项。\n"
        "四是推动医养融合。7个护理站均与辖区养老机构签订服务协议，为入住老人提供定期巡诊和护理服务。\n"
        "到2025年底，实现全县4个街道每个街道至少有1个护理站；到2027年，全县护理站总数达到15个。"
    )
    footer = _chunk("主办单位：桐岭县人民政府办公室 访问量：2301", 1)  # a web page's footer shares 政府办
    answer = compose("桐岭县现在有几个护理站？里面政府办的占几个？", [stations, footer])
    # the second part is answered by the sentence that writes 政府办 out, not by another that counts 护理站
    assert "政府举办3个" in answer and "签订服务协议" not in answer


def test_each_part_is_answered_by_its_own_sentence_not_by_the_words_of_a_later_part() -> None:
    from qa.answer.question import later_parts_terms

    question = "桐岭市公共场所现在一共装了多少台AED？2023年市财政出钱新增了多少台？"
    first, second = "桐岭市公共场所现在一共装了多少台AED", "2023年市财政出钱新增了多少台"
    assert {"财政", "新增"} <= later_parts_terms(question, first) and not later_parts_terms(question, second)
    aed = _chunk(
        "截至2024年6月，全市公共场所已配置自动体外除颤器（AED）412台，主要分布在火车站、体育场馆和大型商场。\n"
        "2023年市财政安排240万元新增AED120台。\n到2025年底，全市每10万人口AED配置达到15台。"
    )
    answer = compose(question, [aed])
    assert "412台" in answer and "120台" in answer
