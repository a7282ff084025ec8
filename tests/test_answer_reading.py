"""How questions are read against the documents: relative years, counted nouns, asked sums, periods, printed
dates, cited documents, follow-ups that ask their own question, and lists whose lead is an item's body."""

from __future__ import annotations

from qa.answer.compose import compose
from qa.answer.followup import is_followup, rewrite_followup
from qa.answer.metadata import metadata_answer, printed_date
from qa.answer.question import DOC_NO, absolute_years, classify, counted_noun, sub_questions
from qa.answer.select import states_count, typed
from qa.answer.subject import asked_quantity
from qa.answer.verify import year_conflict
from qa.records import Chunk, DocMeta
from qa.text import normalize


def with_others(documents: dict[str, str], n: int, other: str = "第{i}份答复。") -> dict[str, str]:
    """The documents among n unrelated replies, so a word they share is rare in the corpus."""
    return {**documents, **{f"d{i}.txt": other.format(i=i) for i in range(n)}}


def test_relative_years_are_counted_from_the_document_s_year() -> None:
    assert absolute_years("去年改造了几个托育班？", "2024") == "2023年改造了几个托育班？"
    assert absolute_years("明年要建成几个？前年呢？", "2024") == "2025年要建成几个？2022年呢？"
    assert absolute_years("今年新增了多少？", "2024") == "今年新增了多少？"  # documents say 今年 themselves
    assert absolute_years("去年改造了几个？", "") == "去年改造了几个？"  # no year known: left as asked


def test_a_count_names_its_noun_by_an_abbreviation_a_modifier_or_after_a_description() -> None:
    def counts(question: str, sentence: str) -> bool:
        return states_count(sentence, counted_noun(question), classify(question).unit)

    assert counts("幼儿园改出来了几个托班？", "2023年我区改造幼儿园托育班41个，新增托位820个。")
    assert counts("实习完被分到了几家基层医院？", "分配至郑店、湖泗等7家基层医疗机构进行安置。")
    assert counts("献血者能免费游几家景区？", "献血者凭无偿献血证可免费游览区内5家国有A级景区。")
    assert counts("4月又组织了几名老师去培训？", "再次组织6名托育机构未取得从业人员证书的老师参加培训。")
    # a counted thing described before 的 is the word after it (几个药品中转的点 → 2个中转点)
    assert counts("打算在那边加几个药品中转的点？", "督促配送企业在东坪片区增设2个中转点。")
    assert counted_noun("多少家医院开展了日间手术？") == ("医院",)
    # a class counted by its kinds: 乡镇卫生院和社区卫生服务中心 are 基层医疗机构
    assert counts("联盟拉进来多少家基层医疗机构？", "成员单位覆盖全部乡镇卫生院和社区卫生服务中心共96家。")
    assert counts("给多少家基层机构配了肺功能仪？", "为全市71家乡镇卫生院和社区卫生服务中心各配置肺功能仪1台。")
    # the head word alone, after another modifier, counts something else
    assert not counts("东西湖区有几家民营医院？", "推进3家综合性医院建设。")


def test_everyday_measure_words_are_answered_in_the_replies_own() -> None:
    for question, sentence in (
        ("新院区能放多少床？", "新院区设置床位500张。"),
        ("看一次要花几块钱？", "每次收费80元。"),
        ("专家一年下来几回？", "全年下沉12次。"),
        ("培训办了多少场？", "举办培训班6期。"),
    ):
        assert typed(classify(question), sentence), question


def test_how_many_days_a_procedure_takes_is_answered_in_working_days() -> None:
    intent = classify("县外住院回来报销，现在要办几天？")
    assert intent.unit == "天" and typed(intent, "平均办理时间由原来的12个工作日缩短到5个工作日。")


def test_the_asked_quantity_skips_the_time_asked_about_and_a_sum_is_named_by_its_verb() -> None:
    assert asked_quantity("蓼川县儿童疫苗的预约率目前是多少？").phrase == "预约率"
    assert asked_quantity("建设资金里省级补助了多少钱？").phrase == "省级补助"
    assert asked_quantity("一共花了多少钱？").phrase == ""  # one character names nothing
    # 各 / 分别 only say one value is wanted per place: 每年下降0.5个百分点 states no rate
    assert asked_quantity("甲区和乙区的总体近视率各是多少？").phrase == "总体近视率"
    assert asked_quantity("两区的签约率分别是多少？").rate


def test_a_figure_per_another_unit_or_per_head_of_population_is_no_answer() -> None:
    from qa.answer.question import classify
    from qa.answer.select import unit_figures
    from qa.answer.subject import figure_fits

    def fits(question: str, sentence: str) -> bool:
        intent = classify(question)
        return figure_fits(sentence, asked_quantity(question), unit_figures(intent, sentence), unit=bool(intent.unit))

    subsidy = "按每名入托幼儿每月300元给予补贴，全年共发放补贴820万元。"
    assert not fits("平均每家托育机构拿了多少补贴？", subsidy)  # per child, not per institution
    assert fits("每个入托孩子每月补多少钱？", subsidy)  # (每个 and 每月 name no measure of their own)
    assert fits("每个孩子补多少？", "按每人每月300元发放补贴。")
    ratio = "全区值班救护车达到每4万人1辆。"
    assert not fits("要新增多少辆救护车？", ratio)  # what is added is a count, not a ratio
    assert fits("救护车要配到每多少人一辆？", ratio)
    assert fits("托位数要达到多少？", "2025年每千人口托位数达到4.5个。")  # the ratio asked without 每千人口


def test_a_figure_for_one_half_of_a_year_does_not_answer_for_the_other() -> None:
    assert year_conflict("2024年下半年下沉了多少人次？", "2024年上半年，下派专家下沉51人次。") == "下半年"
    assert year_conflict("今年上半年下沉了多少人次？", "1至6月下沉51人次。") == ""
    assert year_conflict("2024年下沉了多少人次？", "2024年上半年下沉51人次。") == ""


META = DocMeta(agency="鹭汀区卫生健康局", heading="关于第42号建议答复的函", date="2024-08-12", source="lt.html")


def test_a_date_is_given_as_the_reply_prints_it() -> None:
    assert printed_date("2021-08-31", ["区卫生健康局\n2021年08月31日"]) == "2021年08月31日"
    assert (
        printed_date("2024-08-12", ["鹭汀区卫生健康局\n二〇二四年八月十二日"])
        == "二〇二四年八月十二日（2024年8月12日）"
    )
    assert printed_date("2024-08-12", ["正文没有日期。"]) == "2024年8月12日"
    signed = Chunk("s", "lt.html", (META.heading,), "特此函复。\n鹭汀区卫生健康局\n二〇二四年八月十二日", META, 3)
    answer = metadata_answer("第42号建议的答复落款日期是哪天？", ("date",), [signed])
    assert "二〇二四年八月十二日" in answer and "2024年8月12日" in answer


def test_the_number_of_a_document_the_reply_cites_is_read_from_its_text() -> None:
    intent = classify("答复里提到省卫健委等9个部门联合印发的那个文件文号是啥？")
    assert intent.kind == "name" and intent.unit == DOC_NO
    assert typed(intent, "省卫健委等9部门联合印发了《实施意见》（鄂卫发〔2024〕21号）。")
    assert not typed(intent, "省卫健委等9部门联合印发了《实施意见》。")
    assert classify("这份答复的文号是多少？").kind == "meta"  # the reply's own number is metadata


def test_which_document_a_measure_rests_on_is_answered_by_the_clause_naming_it() -> None:
    from qa.answer.question import DOCUMENT

    intent = classify("那个医共体提案里，打包付费是依据哪个文件推进的？")
    assert intent.kind == "name" and intent.unit == DOCUMENT
    assert typed(intent, "按照《关于推进县域医共体建设的实施意见》要求，实行打包付费。")
    assert typed(intent, "按照省卫健委（桐卫发〔2022〕7号）要求，实行打包付费。")
    assert not typed(intent, "县医保局按照“总额付费、结余留用”原则实行打包付费。")
    assert classify("这份答复是什么文件？").kind != "name"  # the reply itself: not a document it cites
    sentence = (
        "按照省卫生健康委等部门《关于推进县域医共体建设的实施意见》（桐卫发〔2022〕7号）要求，县医保局自2024年起"
        "按照“总额付费、结余留用、合理超支分担”原则，对两个医共体实行医保基金总额打包，2024年打包总额2.1亿元。"
    )
    chunk = Chunk("yg1", "yg.txt", ("桐岭县答复",), sentence, DocMeta(agency="桐岭县卫生健康局", source="yg.txt"), 0)
    assert "桐卫发〔2022〕7号" in compose("医共体打包付费是依据哪个文件推进的？", [chunk])


def test_a_part_asked_on_the_answer_to_the_one_before_is_not_a_part_of_its_own() -> None:
    asked = "桐岭县会不会单独建个儿童康复中心？不建的话有啥别的办法？"
    assert sub_questions(asked) == [asked]
    assert sub_questions("要是没有床位怎么办？县里有几家医院？") == ["要是没有床位怎么办", "县里有几家医院"]
    assert sub_questions("透析一次多少钱，医保能报多少？") == ["透析一次多少钱", "医保能报多少"]
    chunk = Chunk(
        "kf1",
        "kf.txt",
        ("桐岭县答复", "二、关于设立儿童康复中心"),
        "二、关于设立儿童康复中心。经与县财政局沟通，目前尚不具备单独设置机构的条件。"
        "我局将依托县妇幼保健院开设儿童康复门诊，并开通康复咨询热线。",
        DocMeta(agency="桐岭县卫生健康局", source="kf.txt"),
        0,
    )
    answer = compose(asked, [chunk])
    assert "尚不具备" in answer and "康复咨询热线" in answer


def test_the_problems_a_reply_admits_are_listed_without_its_measures() -> None:
    meta = DocMeta(agency="桐岭县卫生健康局", heading="桐岭县卫生健康局对第12号提案的答复", source="dk.txt")
    done = Chunk(
        "dk1",
        "dk.txt",
        ("桐岭县答复", "一、对口帮扶开展情况"),
        "一、对口帮扶开展情况\n2025年，县医院与全县9家乡镇卫生院全部建立帮扶关系，派驻医师31人。",
        meta,
        0,
    )
    problems = Chunk(
        "dk2",
        "dk.txt",
        ("桐岭县答复", "二、存在的问题"),
        "二、存在的问题\n一是部分帮扶医师往返频繁，实际在岗时间不足；二是卫生院设备条件有限，一些技术难以开展；"
        "三是帮扶考核偏重派驻人数，对带教成效考核不够。",
        meta,
        1,
    )
    plans = Chunk(
        "dk3",
        "dk.txt",
        ("桐岭县答复", "三、下一步工作"),
        "三、下一步工作\n（一）严格驻点管理。实行驻点考勤电子打卡，每月在岗不少于20个工作日。\n"
        "（二）配强基层设备。为3家中心卫生院更新DR设备。\n（三）完善考核办法。将带教成效纳入考核。",
        meta,
        2,
    )
    answer = compose("桐岭县对口帮扶那个提案，卫健局承认存在哪些问题？", [plans, problems, done])
    assert "在岗时间不足" in answer and "设备条件有限" in answer and "偏重派驻人数" in answer
    assert "电子打卡" not in answer and "派驻医师31人" not in answer
    # measures asked: the measures, not the problems
    assert "电子打卡" in compose("桐岭县对口帮扶那个提案，下一步打算怎么做？", [plans, problems, done])


def test_it_after_a_which_one_question_is_the_one_the_answer_named() -> None:
    asked = "为了方便北边几个乡镇的群众看病，桐岭县加快建的是哪家卫生院？"
    assert classify(asked).kind != "number"  # 几个乡镇的群众 says "several": the question asks which one
    assert sub_questions(asked) == [asked]
    assert classify("有几个乡镇的卫生院建了透析点？").unit == "个"  # …but asks how many when nothing else is asked
    assert classify("这几家医院一共有多少张床？").unit == "张"
    answer = "据《桐岭县卫生健康局的答复》，为方便北部乡镇群众就医，我县加快建设柳溪中心卫生院[1]。"
    history = [(asked, answer)]
    assert rewrite_followup("它是哪天开工的？", history) == "桐岭县柳溪中心卫生院是哪天开工的？"
    # a follow-up naming its own place asks about that place
    assert "柳溪" not in rewrite_followup("那桐岭县呢？", history)


def test_a_part_s_same_year_is_the_year_an_earlier_part_named() -> None:
    asked = "桐岭县2022年改造了多少个托育班，当年补贴了多少钱？"
    assert sub_questions(asked) == ["桐岭县2022年改造了多少个托育班", "2022年补贴了多少钱"]
    assert sub_questions("2023年建了几个站，2024年又建了几个？")[1] == "2024年又建了几个"


def test_a_share_is_named_by_the_word_before_it() -> None:
    asked = "桐岭区秋季筛查里，初中学生的近视比例是多少？"
    assert asked_quantity(asked).phrase == "近视"
    # the share of one thing is not stated by another rate of the same survey
    from qa.answer.select import rank_sentences

    chunk = Chunk(
        "sl",
        "sl.txt",
        ("桐岭区会办意见",),
        "共筛查学生5.1万人，筛查覆盖率达到98.7%。全区学生总体近视率为47.3%，其中初中生64.1%。",
        DocMeta(agency="桐岭区卫生健康局", source="sl.txt"),
        0,
    )
    typed_ones = [c.text for c in rank_sentences(asked, [chunk], classify(asked)) if c.typed]
    assert typed_ones == ["全区学生总体近视率为47.3%，其中初中生64.1%。"]


def test_a_follow_up_that_asks_its_own_question_keeps_only_the_place() -> None:
    history = [("在江夏把孩子送公办普惠托育，一个月最多要交多少钱？", "……")]
    # 托班 is no place although jieba guesses so; the new question is asked about 江夏
    assert rewrite_followup("那去年幼儿园改出来了几个托班？", history) == "江夏去年幼儿园改出来了几个托班？"


def test_a_follow_up_naming_a_group_asks_the_previous_question_about_it() -> None:
    history = [("青岚县家庭医生签约覆盖率达到多少？", "……")]
    assert rewrite_followup("那重点人群呢？", history) == "青岚县重点人群家庭医生签约覆盖率达到多少？"
    assert rewrite_followup("那东西湖区呢？", [("江夏区医联体建设情况如何？", "……")]) == "东西湖区医联体建设情况如何？"


def test_this_with_a_measure_word_points_at_the_previous_subject() -> None:
    history = [("榆关县的心理服务人才队伍一共有多少人？", "……")]
    assert is_followup("这支队伍是什么时候组建的？") and is_followup("这笔钱用在哪了？")
    rewritten = rewrite_followup("这支队伍是什么时候组建的？", history)
    assert rewritten.startswith("榆关") and "心理" in rewritten and "组建" in rewritten


def test_a_kind_named_only_in_a_breakdown_counted_in_another_unit_has_no_figure_in_the_asked_unit() -> None:
    from qa.answer.groups import other_unit_item
    from qa.index.tokenize import pos_tokenizer

    sentence = "全区开展放射诊疗的机构48家，其中口腔诊所21家、体检机构5家，放射工作人员共612人。"

    def item(question: str, unit: str) -> str:
        return other_unit_item(pos_tokenizer().lcut(question), sentence, unit)

    assert item("口腔诊所的放射工作人员有多少人？", "人") == "口腔诊所"  # 612人 are all of them
    assert item("放射工作人员一共有多少人？", "人") == ""
    assert item("口腔诊所有几家？", "家") == ""  # the breakdown counts 家: its own figure answers
    # things done side by side are no breakdown: 新增透析机12台、水处理设备1套，候位时间缩短至3天
    done = "新增透析机12台、水处理设备1套，患者平均候位时间缩短至3天。"
    assert other_unit_item(pos_tokenizer().lcut("添了透析机以后要等几天？"), done, "天") == ""


def test_a_long_question_opening_with_then_continues_the_conversation_but_the_filler_that_does_not() -> None:
    assert is_followup("那要是家里老人半夜突然发病了，能打哪个电话？几点到几点有人接？")
    assert is_followup("那北边山区那个分中心设在哪个镇，一共配了几台机器？")
    # 那个 opens a question of its own (那个托育的建议…); a new place makes a new question
    assert not is_followup("那个关于托育服务体系建设的建议是哪位代表提的，答复是哪天？")
    assert not is_followup("那要是在梧桐市家里老人半夜突然发病了，能打哪个电话？")
    history = [("心理健康服务那个提案是第几号？是哪几位委员提的？", "……")]
    assert "能打哪个电话" in rewrite_followup("那要是家里老人半夜突然发病了，能打哪个电话？几点到几点有人接？", history)


def test_colloquial_asking_words_split_a_question_and_traditional_text_matches_simplified() -> None:
    assert len(sub_questions("农村老百姓的健康知识水平咋样？2021年农村居民健康素养水平是多少？")) == 2
    assert normalize("健康素養水平為21.6%") == "健康素养水平为21.6%"


AIWEI = Chunk(
    "aw0",
    "aw.txt",
    ("棠溪县答复", "二、主要措施"),
    "二、主要措施\n（一）开展城乡环境卫生整治。每月最后一个星期五为全县“爱国卫生日”，清运垃圾1.8万吨。"
    "（二）加强病媒生物防制。组织集中灭鼠2次。（三）推进农村改厕。完成农村户厕改造2860户。",
    DocMeta(agency="棠溪县卫生健康局", heading="棠溪县答复", source="aw.txt"),
    0,
)


def test_a_list_whose_best_sentence_is_an_item_s_body_lists_that_item_once() -> None:
    answer = compose("棠溪县在爱国卫生运动中主要采取了哪些措施？", [AIWEI])
    assert answer.count("爱国卫生日") == 1
    assert "病媒生物防制" in answer and "农村改厕" in answer


def test_a_figure_about_the_topic_but_not_the_asked_qualifier_is_a_near_miss() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "目前全市共有备案托育机构213家，提供托位9860个。"
        "对纳入普惠名录的托育机构，按每名实际收托婴幼儿每月200元给予运营补贴。"
    )
    # 运营 is used by one document in twenty: it narrows what is counted (named with its head, 运营补贴)
    corpus = with_others({"wt.txt": reply}, 19, "第{i}份答复：全县共有托育机构{i}家。")
    asked = "梧桐市普惠托育运营补贴一共发给了多少家托育机构？"
    assert "运营" in unstated_qualifier(asked, "目前全市共有备案托育机构213家，提供托位9860个。", "", reply, corpus)
    # a sentence that states it answers; a qualifier the document never uses rules nothing out
    assert unstated_qualifier(asked, "按每名婴幼儿每月200元给予运营补贴，补贴机构45家。", "", reply, corpus) == ""
    assert unstated_qualifier("线上签约的机构有多少家？", "全县共有托育机构3家。", "", reply, corpus) == ""
    # a Latin-letter name the reply uses elsewhere (HPV) is no figure of the routine vaccines
    vaccines = "2023年共接种免疫规划疫苗11.8万剂次。在县妇幼保健院增设HPV疫苗接种专窗。"
    shots = with_others({"v.txt": vaccines}, 19, "第{i}份答复：托育机构{i}家。")
    assert (
        unstated_qualifier("去年有多少人打了HPV疫苗？", "2023年共接种免疫规划疫苗11.8万剂次。", "", vaccines, shots)
        == "HPV"
    )


def test_a_part_asked_of_a_whole_must_have_its_own_figure() -> None:
    from qa.answer.qualifier import part_asked, unstated_qualifier

    assert part_asked("2022年报告的学生肺结核病例里，高中生有多少例？") == ["高中生"]
    assert part_asked("全县社区卫生服务中心有多少家？") == []  # 中心 is no 中，
    assert part_asked("154号提案答复里，在编人员年均收入涨到了多少？") == []  # the reply is no whole of parts
    reply = "2022年全市报告肺结核患者1486例，其中学生病例87例。为村医配发血压计、血糖仪共2400台，其中血压计1500台。"
    corpus = with_others({"r.txt": reply, "h.txt": "高中生近视筛查。"}, 8)
    asked = "学生肺结核病例里，高中生有多少例？"
    assert unstated_qualifier(asked, "其中学生病例87例。", "", reply, corpus) == "高中生"
    # one item of a list whose figure is their sum has no figure of its own; its own sentence answers
    devices = "配发的设备里，血压计有多少台？"
    assert unstated_qualifier(devices, "为村医配发血压计、血糖仪共2400台，其中血压计1500台。", "", reply, corpus) == ""
    assert unstated_qualifier(devices, "为村医配发血压计、血糖仪共2400台。", "", reply, corpus) == "血压计"
    # …also when the list and its sum are in two clauses, and whatever digits the heading holds
    teams = "组建了区心理专员团队、街道心理专干团队，进入人才队伍共计860名。"
    team_corpus = {**corpus, "t.txt": teams}
    heading = "对第20240182号提案的答复（关于心理健康干预的建议）"
    assert unstated_qualifier("人才队伍里，街道心理专干有多少人？", teams, heading, teams, team_corpus) == "街道"


def test_a_part_asking_how_things_stand_leads_with_the_present_figure_not_the_target() -> None:
    from qa.answer.select import best_candidate, rank_sentences

    text = "到2027年，全县护理站总数达到12个，覆盖所有中心乡镇。全县现有护理站5个，共有注册护士61名。"
    chunk = Chunk("hl", "hl.txt", ("一、基本情况",), text, DocMeta(agency="榆关县卫生健康局"), 0)
    question = "榆关县现在有几个护理站？到2027年计划达到多少个？"
    part = "榆关县现在有几个护理站"
    ranked = rank_sentences(question, [chunk], classify(part), focus=part)
    assert "现有护理站5个" in best_candidate(ranked, classify(part), frame="now").text
    assert "12个" in best_candidate(ranked, classify(part), frame="plan").text


def test_how_many_years_is_not_answered_by_a_calendar_year_and_years_ago_asks_nothing() -> None:
    asked = classify("这些人在村里干满几年能优先进卫生院编制？")
    assert asked.kind == "number" and asked.unit == "年"
    assert not typed(asked, "2024年共招聘“乡聘村用”人员137人。")
    assert typed(asked, "对连续在村卫生室工作满5年且考核合格的，优先纳入乡镇卫生院编制招聘。")
    assert classify("跟几年前比涨了多少？").unit != "年"


def test_a_rate_of_another_item_in_a_list_of_rates_is_a_near_miss() -> None:
    from qa.answer.groups import unnamed_sibling

    screening = "2023年全市新生儿听力筛查率为98.6%，新生儿遗传代谢性疾病筛查率为99.2%。"
    assert unnamed_sibling("2023年新生儿先天性心脏病筛查率是多少？", screening)
    assert unnamed_sibling("新生儿听力筛查率是多少？", screening) == ""
    deaths = "2023年全市孕产妇死亡率为9.8/10万，婴儿死亡率为2.9‰，5岁以下儿童死亡率为4.1‰。"
    assert unnamed_sibling("孕产妇死亡率是多少？", deaths) == ""
    # rates of different kinds are not one list: the question names its own
    assert unnamed_sibling("签约覆盖率是多少？", "签约率达到85%，满意度达到90%。") == ""


def test_a_part_asking_how_things_stand_now_ranks_the_present_above_the_plan() -> None:
    from qa.answer.select import rank_sentences

    text = (
        "2023年我局将督促剩余2家社区卫生服务中心在年底前完成母婴室建设，每间使用面积不少于10平方米。"
        "社区卫生服务中心母婴室已建成9间，设置率为81.8%。"
    )
    chunk = Chunk("my", "my.txt", ("一、办理情况",), text, DocMeta(agency="榆关区卫生健康局"), 0)
    question = "社区卫生服务中心的母婴室现在建得怎么样了？每间至少多大？"
    part = "现在建得怎么样了"
    ranked = rank_sentences(question, [chunk], classify(part), focus=part)
    assert "81.8%" in ranked[0].text


def test_everyday_words_for_night_children_and_the_county_hospital_match_the_documents_words() -> None:
    from qa.answer.lexicon import present

    sentence = "县人民医院开设夜间儿科门诊，接诊时间为每天18时至次日8时，服务婴幼儿和儿童。"
    for word in ("晚上", "夜里", "娃", "县医院"):
        assert present(word, sentence), word


def test_a_part_of_the_place_like_the_urban_area_needs_its_own_figure() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "2022年全年受理120呼救电话3.1万次，出车1.26万次。城区急救站点平均反应时间12分钟。"
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：托育机构{i}家。")
    asked = "杉浦县城区去年打120，救护车出了多少趟？"
    assert unstated_qualifier(asked, "2022年全年受理120呼救电话3.1万次，出车1.26万次。", "", reply, corpus) == "城区"
    assert unstated_qualifier("去年救护车出了多少趟？", "出车1.26万次。", "", reply, corpus) == ""
    # a clause pointing at the proposal by its proposers' sector names no part of the place
    villages = "建议加大农村卫生投入。自2025年起对村卫生室按每个每年1.2万元的标准给予运行经费补助。"
    corpus = with_others({"v.txt": villages}, 9, "第{i}份答复：托育机构{i}家。")
    sentence = "自2025年起对村卫生室按每个每年1.2万元的标准给予运行经费补助。"
    asked = "农业和农村界别提的村卫生室那个提案，每个村卫生室一年补多少运行经费？"
    assert unstated_qualifier(asked, sentence, "", villages, corpus) == ""
    assert unstated_qualifier("农村的村卫生室一年补多少运行经费？", "全县共有托育机构3家。", "", villages, corpus)


def test_an_area_of_the_county_named_with_片区_needs_its_own_figure() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "（一）南湖社区卫生服务中心已列入县重点民生项目，总投资1900万元。"
        "（二）西坝片区利用闲置厂房改建社区卫生服务站1个。"
    )
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：托育机构{i}家。")
    centre = "（一）南湖社区卫生服务中心已列入县重点民生项目，总投资1900万元。"
    assert unstated_qualifier("西坝片区改建服务站总投资多少钱？", centre, "", reply, corpus) == "西坝片区"
    assert unstated_qualifier("南湖社区卫生服务中心总投资多少钱？", centre, "", reply, corpus) == ""


def test_a_town_the_reply_never_names_is_no_part_of_its_county_wide_figure() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "全区132个家庭医生团队，将服务延伸到家庭。"
    corpus = with_others({"r.txt": reply, "o.txt": "石湾街卫生院新建发热门诊。"}, 9, "第{i}份答复：托育机构{i}家。")
    assert unstated_qualifier("桐岭区石湾街道有几个家庭医生团队？", reply, "", reply, corpus) == "石湾街道"
    assert unstated_qualifier("桐岭区有几个家庭医生团队？", reply, "", reply, corpus) == ""


def test_a_figure_in_quotation_marks_names_a_programme_and_picks_out_nothing() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "打造“12分钟急救圈”。完成不少于9个急救站点的建设，全区值班救护车达到每3万人1辆。"
    corpus = with_others({"r.txt": reply}, 9)
    sentence = "完成不少于9个急救站点的建设，全区值班救护车达到每3万人1辆。"
    assert unstated_qualifier("搞“12分钟急救圈”，要建几个急救站点？", sentence, "", reply, corpus) == ""
    assert unstated_qualifier("12分钟能赶到的急救站点要建几个？", sentence, "", reply, corpus) == "12"


def test_whether_the_bureau_agreed_is_answered_by_its_decision_then_its_reason() -> None:
    from qa.answer.compose import compose

    text = (
        "您建议由医共体组建自有配送车队承担全部配送任务。"
        "经研究，药品配送须由具备药品经营许可的企业承担，医共体自行组建车队目前不具备条件。"
        "此项建议暂不采纳，作为今后工作参考。"
    )
    chunk = Chunk("ps", "ps.txt", ("二、关于自建配送车队",), text, DocMeta(agency="榆关县卫生健康局"), 0)
    answer = compose("想让医共体自己组个车队送药，卫健局同意了吗？为啥？", [chunk])
    assert answer.index("暂不采纳") < answer.index("药品经营许可")
    # …and what the reply will do instead, said right after its decision
    fund = Chunk(
        "jf",
        "jf.txt",
        ("榆关县答复",),
        "关于您建议设立县级专项基金的问题，因涉及县财政预算调整，目前尚不具备全面实施的条件。"
        "我们将积极争取将此项工作纳入2026年县级财政预算，先在两个乡镇试点。感谢您的关心和支持。",
        DocMeta(agency="榆关县卫生健康局"),
        0,
    )
    answer = compose("委员建议设立县级专项基金，县里同意了吗？", [fund])
    assert "不具备全面实施的条件" in answer and "2026年" in answer and "感谢" not in answer


def test_a_replys_own_last_year_is_the_year_a_question_names() -> None:
    from qa.answer.gate import gate
    from qa.answer.verify import RefusalPolicy
    from qa.records import Hit

    text = "在去年底呼吸道疾病诊疗高峰期，全区街道卫生院日均接诊14岁以下儿童1400人次以上。"
    meta = DocMeta(agency="榆关区卫生健康局", heading="关于基层医疗的提案的答复", date="2024-07-01")
    chunk = Chunk("hx", "hx.txt", (meta.heading, "一、诊疗服务"), text, meta, 0)
    # 2023年 is the reply's 去年: the question's year is in the document, read at the reply's date
    reason = gate("榆关区2023年底街道卫生院日均接诊多少人次儿童？", [Hit(chunk, 1.0, 1)], RefusalPolicy()).reason
    assert "2023" not in reason


def test_each_part_is_judged_about_its_own_place_and_a_quoted_figure_is_a_name() -> None:
    from qa.answer.gate import _part_question

    asked = "咸宁市组建了几个县域医共体？江汉区医联体里有几家社区卫生服务中心？"
    assert "江汉区" not in _part_question(asked, "咸宁市组建了几个县域医共体")
    assert "咸宁市" in _part_question(asked, "咸宁市组建了几个县域医共体")
    assert _part_question("江夏区有几家？建了几年？", "建了几年") == "江夏区有几家？建了几年？"
    assert asked_quantity("江汉区“1+1+12”医联体里有几家社区卫生服务中心？").figures == ()
    assert asked_quantity("除了这12家，还有几家？").figures == ("12",)


def test_a_metadata_answer_cites_the_passage_that_prints_the_value() -> None:
    meta = DocMeta(
        agency="江夏区卫生健康局",
        heading="关于推进中医药文化进校园的提案的答复",
        proposers=("严西",),
        contacts=(("主管领导", "吴伟", "87956021"),),
    )
    head = Chunk("h", "jx.txt", (meta.heading,), "严西委员：\n您提出的提案收悉。", meta, 0)
    tail = Chunk("t", "jx.txt", (meta.heading,), "主管领导姓名 吴伟 联系电话87956021", meta, 3)
    answer = metadata_answer("那份提案是谁提的，主管领导是谁？", ("proposers", "contacts"), [head, tail])
    assert "严西委员提出[1]" in answer and "吴伟，联系电话87956021[2]" in answer


def test_a_reply_s_own_this_year_is_its_year_when_figures_are_checked_against_the_question() -> None:
    assert absolute_years("今年1至6月累计开展远程心电诊断21023人次", "2024", this_year=True).startswith("2024年1至6月")
    sentence = absolute_years("今年1至6月累计开展远程心电诊断21023人次", "2024", this_year=True)
    assert year_conflict("2024年上半年开展了多少人次远程心电诊断？", sentence) == ""
    assert year_conflict("2023年开展了多少人次远程心电诊断？", sentence) == "2023"


def test_a_bare_class_noun_does_not_rule_a_count_out_but_a_named_kind_does() -> None:
    from qa.answer.select import count_noun

    assert count_noun("每家几台仪器？", classify("每家几台仪器？")) == ()
    assert count_noun("配了多少台设备？", classify("配了多少台设备？")) == ()
    assert count_noun("有几家三甲医院？", classify("有几家三甲医院？")) == ("三甲医院",)


def test_what_a_figure_question_asks_for_a_named_sum_a_figure_per_unit_or_a_rate() -> None:
    from qa.answer.subject import figure_fits

    subsidy = asked_quantity("民办托育园每年能拿多少运营补贴？")
    assert subsidy.phrase == "运营补贴" and classify("民办托育园每年能拿多少运营补贴？").unit == "元"
    assert not figure_fits("给予增设托育班的幼儿园每个托位一次性建设资金2000元。", subsidy, ["2000"], unit=True)
    per_unit = asked_quantity("每个乡镇卫生院一年产生多少医疗废物？")
    assert per_unit.per_unit and not asked_quantity("每年能拿多少补贴？").per_unit
    assert not figure_fits("全县医疗卫生机构产生医疗废物约412吨。", per_unit, ["412"])
    assert figure_fits("平均每个乡镇卫生院产生医疗废物约6吨。", per_unit, ["6"])
    # a yearly total is no figure per person
    per_person = asked_quantity("下沉专家每人每年能拿多少补贴？")
    assert not figure_fits("区财政每年安排100万元专项经费进行补贴。", per_person, ["100"])
    # 花了多少钱 names its sum by what it bought (采购); a plan word (打算) names nothing
    bought = asked_quantity("去年采购狂犬病疫苗一共花了多少钱？")
    assert bought.phrase == "采购" and asked_quantity("上温控系统打算花多少钱？").phrase == ""
    assert not figure_fits("市财政安排专项资金85万元，对17家门诊进行改造。", bought, ["85"], unit=True)
    assert figure_fits("全年采购狂犬病疫苗支出120万元。", bought, ["120"], unit=True)
    each = asked_quantity("每家几台仪器？")  # 各 + a verb of giving states the figure each unit got
    assert figure_fits("为全县30家卫生院各配置心电图机1台。", each, ["1"])
    assert not figure_fits("为全县卫生院配置心电图机30台。", each, ["30"])
    rate = asked_quantity("检查检验结果的互认率现在是多少？")
    assert rate.rate
    assert not figure_fits("检验互认项目81项，互认人次5819。", rate, ["81", "5819"])
    assert figure_fits("检验结果互认率达到92.5%。", rate, ["92.5"])
    # a payment's standard comes before what it pays for, further off than a figure's own name would be
    allowance = asked_quantity("在岗村医每月岗位补贴多少？")
    paid = "从2021年7月起，按每人每月300元标准向在岗乡村医生发放岗位补贴。"
    assert figure_fits(paid, allowance, ["300"])
    counted = "全县共有在岗乡村医生213人，县财政统筹上级资金按月向他们足额发放岗位补贴。"
    assert not figure_fits(counted, allowance, ["213"])
    assert figure_fits("高血压患者规范管理率（%）\t70.27\t75", asked_quantity("规范管理率是多少？"), ["70.27"])


def test_a_qualifier_the_answering_reply_never_uses_is_a_near_miss_when_few_documents_use_it() -> None:
    from qa.answer.qualifier import unstated_qualifier

    nurses = "全县注册护士1862人，每千人口注册护士数2.68人。"
    corpus = with_others({"wt.txt": nurses, "other.txt": "全市民营医院23家。"}, 30)
    assert unstated_qualifier("苇塘县民营医院的注册护士有多少人？", nurses, "", nurses, corpus) == "民营"


def test_a_date_answers_for_its_event_not_for_another_of_the_same_project() -> None:
    from qa.answer.select import rank_sentences

    project = Chunk(
        "sp",
        "sp.txt",
        ("江夏区答复",),
        "山坡中心医院项目于2023年9月6日正式开工建设，已完成主体结构封顶。"
        "2024年年底将完成外立面装修，为2025年9月6日如期竣工筑牢基础。",
        DocMeta(agency="江夏区卫生健康局", heading="江夏区答复", source="sp.txt"),
        0,
    )
    done = ["2024年年底将完成外立面装修，为2025年9月6日如期竣工筑牢基础。"]
    # the everyday word (完工) is the passage's official one (竣工), not the looser 完成 of every step
    for question in ("山坡中心卫生院项目计划哪天竣工？", "山坡中心卫生院预计什么时候能完工？"):
        assert [c.text for c in rank_sentences(question, [project], classify(question)) if c.typed] == done


def test_the_event_a_date_question_asks_is_in_its_asking_clause() -> None:
    from qa.answer.select import rank_sentences

    moving = Chunk(
        "tw",
        "tw.txt",
        ("桐岭县答复",),
        "2024年，桃湾卫生院已向街道汇报，街道计划预留15亩用地用于卫生院整体搬迁。新院建成后将设置床位80张。",
        DocMeta(agency="桐岭县卫生健康局", heading="桐岭县答复", source="tw.txt"),
        0,
    )
    built = "桃湾卫生院整体搬迁后的新院，预计哪一年能建好？"
    assert not [c for c in rank_sentences(built, [moving], classify(built)) if c.typed]
    planned = "桃湾卫生院哪一年开始筹划整体搬迁？"
    assert [c for c in rank_sentences(planned, [moving], classify(planned)) if c.typed]


def test_a_document_number_is_given_as_the_reply_prints_it_unless_it_would_read_as_a_citation() -> None:
    from qa.answer.metadata import printed_doc_no

    assert printed_doc_no("葭卫报〔2025〕9号", ["关于第二十三号建议的报告\n葭卫报【2025】9号"]) == "葭卫报【2025】9号"
    assert printed_doc_no("蕙卫函〔2025〕82号", ["蕙卫函〔２０２５〕８２号"]) == "蕙卫函〔２０２５〕８２号"
    assert printed_doc_no("蓼卫〔2024〕15号", ["蓼卫[2024]15号"]) == "蓼卫〔2024〕15号"  # [2024] looks like [n]
    assert printed_doc_no("珂卫函〔2024〕33号", ["正文未印文号。"]) == "珂卫函〔2024〕33号"


COPD = Chunk(
    "nm1",
    "nm.txt",
    ("楠山市答复", "一、工作开展情况"),
    "一、工作开展情况\n（一）纳入民生项目\n2023年起将慢阻肺筛查纳入市级民生项目，累计投入1260万元。\n"
    "（二）开展分级筛查\n2024年完成问卷初筛21.6万人。\n（三）提升基层能力\n2024年培训基层医务人员1140人次。",
    DocMeta(agency="楠山市卫生健康委员会", heading="楠山市答复", source="nm.txt"),
    0,
)
COPD_PLAN = Chunk(
    "nm2",
    "nm.txt",
    ("楠山市答复", "二、下一步工作"),
    "二、下一步工作\n一是扩大筛查面\n到2025年底，全市慢阻肺筛查覆盖率达到30%。",
    COPD.meta,
    1,
)


def test_a_list_is_the_reply_s_titled_items_with_what_each_did_and_not_its_plan_when_asked_what_was_done() -> None:
    assert classify("楠山市慢阻肺防治这几年已经做了哪些工作？").kind == "list"  # 这几年 says when, it asks no count
    answer = compose("楠山市慢阻肺防治这几年已经做了哪些工作？", [COPD_PLAN, COPD])
    assert "纳入民生项目：2023年起" in answer and "开展分级筛查：" in answer and "提升基层能力：" in answer
    assert "扩大筛查面" not in answer and "工作开展情况" not in answer


def test_two_places_jieba_reads_as_one_word_are_two_places() -> None:
    from qa.answer.verify import question_entities

    assert question_entities("楠山市和棣江区从明年起，老人健康体检各打算增加什么检查？") == ["楠山市", "棣江区"]


def test_a_year_a_figure_is_compared_with_is_not_the_figure_s_year() -> None:
    sentence = "2024年，其中3.35万人接受了免费健康体检，健康管理率为69.5%，比2023年提高3.1个百分点。"
    assert year_conflict("2023年有多少老人做了免费健康体检？", sentence) == "2023"
    assert year_conflict("2024年有多少老人做了免费健康体检？", sentence) == ""


def test_the_reply_class_is_read_under_the_label_reply_type_too() -> None:
    meta = DocMeta(agency="楠山市卫生健康委员会", heading="关于慢阻肺筛查的提案的答复")
    chunk = Chunk("c", "nm.txt", (meta.heading,), "答复类型：A类\n芮**委员", meta, 0)
    assert metadata_answer("慢阻肺筛查提案的答复类型是哪一类？", ("reply_class",), [chunk]).endswith("A类[1]。")


def test_what_was_done_asks_how_things_stand() -> None:
    from qa.answer.question import time_frame

    assert time_frame("棣江区提升老年人体检质量主要做了哪些事？") == "now"
    assert time_frame("下一步还打算做哪些事？") == "plan"


def test_a_document_number_printed_with_other_brackets_cites_the_passage_that_prints_it() -> None:
    meta = DocMeta(
        agency="葭川县卫生健康局", heading="关于第二十三号建议办理情况的答复的报告", doc_no="葭卫报〔2025〕9号"
    )
    body = Chunk("b", "jc.txt", (meta.heading,), "一、基本情况\n全县血液透析中心2个。", meta, 1)
    head = Chunk("h", "jc.txt", (meta.heading,), "关于第二十三号建议办理情况的答复的报告\n葭卫报【2025】9号", meta, 0)
    assert metadata_answer("血液透析那个建议的答复文号是多少？", ("doc_no",), [body, head]).endswith(
        "葭卫报【2025】9号[2]。"
    )


def test_the_date_is_quoted_as_printed_from_the_whole_reply_when_its_signature_was_not_retrieved() -> None:
    meta = DocMeta(agency="蕙州市卫生健康委员会", heading="关于第215号提案的答复", date="2025-07-14")
    head = Chunk("h", "hz.txt", (meta.heading,), "关于第215号提案的答复\n庞志坚委员：", meta, 0)
    whole = {"hz.txt": "关于第215号提案的答复\n庞志坚委员：\n……\n蕙州市卫生健康委员会\n2025年07月14日"}
    assert "2025年7月14日" in metadata_answer("那个提案是哪天答复的？", ("date",), [head])
    assert "2025年07月14日[1]" in metadata_answer("那个提案是哪天答复的？", ("date",), [head], whole)


def test_a_figure_the_question_gives_to_pick_out_a_group_must_be_the_answer_sentence_s_own() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "全县在岗乡村医生263人，其中60岁以上91人。45岁以下的村医将优先参加培训。"
    corpus = with_others({"tl.txt": reply}, 10)
    asked = "桐岭县45岁以下的年轻乡村医生有多少人？"
    assert unstated_qualifier(asked, "全县在岗乡村医生263人，其中60岁以上91人。", "", reply, corpus) == "45"
    # (the paragraph, as narrowing_reason passes it, is the sentence with the one before it)
    held = "全县在岗乡村医生263人，其中60岁以上91人。"
    assert unstated_qualifier("60岁以上的乡村医生有多少人？", "其中60岁以上91人。", "", reply, corpus, held) == ""
    # an age band the reply never names has no figure of its own there either
    assert unstated_qualifier("70到79岁的乡村医生有多少人？", "全县在岗乡村医生263人。", "", reply, corpus) == "79"


def test_a_given_figure_is_not_found_inside_a_year_and_a_town_named_before_a_county_total_is_not_its_own() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "目前全市共设置狂犬病处置门诊30家，其中实行24小时接诊的有7家。2024年全市门诊共处置动物致伤3.1万人次。"
        "到2026年，在北片的漆园镇中心卫生院再设1个透析分中心。到2027年底，全县透析机总数达到60台以上。"
    )
    corpus = with_others({"r.txt": reply}, 9)
    treated = "2024年全市门诊共处置动物致伤3.1万人次。"
    asked = "桐州市7家24小时接诊的门诊，2024年夜里一共接诊了多少人次？"
    assert unstated_qualifier(asked, treated, "", reply, corpus) == "24"  # (not the 24 of 2024年)
    total = "到2027年底，全县透析机总数达到60台以上。"
    paragraph = "到2026年，在北片的漆园镇中心卫生院再设1个透析分中心。" + total
    asked = "漆园镇中心卫生院的透析分中心要配几台透析机？"
    assert unstated_qualifier(asked, total, "", reply, corpus, paragraph) == "漆园镇"
    assert unstated_qualifier("全县透析机要达到多少台？", total, "", reply, corpus, paragraph) == ""


def test_a_figure_sentence_lacking_the_asked_qualifier_gives_way_to_a_lower_ranked_one_stating_it() -> None:
    from qa.answer.gate import gate
    from qa.answer.verify import RefusalPolicy
    from qa.records import Hit

    text = (
        "（二）配齐免疫制剂\n截至2024年底，30家门诊中已有25家配备人狂犬病免疫球蛋白。"
        "（一）门诊设置\n目前全市共设置狂犬病门诊30家，每个乡镇至少设置1家，其中实行24小时接诊的有7家。"
    )
    meta = DocMeta(agency="桐州市卫生健康委员会", heading="关于规范狂犬病处置门诊的建议的答复", date="2025-06-09")
    chunk = Chunk("kq", "kq.txt", (meta.heading,), text, meta, 0)
    corpus = with_others({"kq.txt": text}, 9, "第{i}份答复：托育机构{i}家。")
    question = "桐州半夜被狗咬了，全市有几家狂犬病门诊是24小时开的？"
    assert gate(question, [Hit(chunk, 1.0, 1)], RefusalPolicy(), corpus).reason == ""
    answer = compose(question, [chunk], documents=corpus)
    assert "7家" in answer and "25家" not in answer


def test_a_figure_for_another_town_of_the_same_reply_does_not_answer_for_the_town_asked_about() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "在县域南片的蔺桥镇中心卫生院设立血液透析分中心，配置透析机8台。2026年在漆园镇卫生院再设1个分中心。"
    corpus = with_others({"jc.txt": reply}, 10)
    sentence = "在县域南片的蔺桥镇中心卫生院设立血液透析分中心，配置透析机8台。"
    assert unstated_qualifier("漆园镇卫生院的透析分中心配了几台透析机？", sentence, "", reply, corpus) == "漆园镇"
    assert unstated_qualifier("蔺桥镇卫生院的透析分中心配了几台透析机？", sentence, "", reply, corpus) == ""
    assert unstated_qualifier("全县乡镇卫生院配了几台透析机？", sentence, "", reply, corpus) == ""
    # a town no document names at all (invented, or another county's) has no figure here either
    assert unstated_qualifier("芦溪镇卫生院的透析分中心配了几台透析机？", sentence, "", reply, corpus) == "芦溪镇"
    # …and a verb ending in a level (返乡) names no town
    assert unstated_qualifier("返乡的病人能用的透析机有几台？", sentence, "", reply, corpus) != "返乡"


def test_a_narrower_kind_than_the_figure_counts_is_a_near_miss_unless_the_sentence_abbreviates_it() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "秋季学期共筛查学生5.12万人，筛查覆盖率98.7%。其中初中生近视率61.2%。"
        "各社卫中心86个家庭医生团队每周到驿站坐诊。全区社区卫生服务中心已达9家。"
    )
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：托育机构{i}家。")
    counted = "秋季学期共筛查学生5.12万人，筛查覆盖率98.7%。"
    # 初中生 is a kind of 学生 the reply names elsewhere: 5.12万 counts every pupil
    assert unstated_qualifier("秋季筛查初中生筛了多少人？", counted, "", reply, corpus) == "初中生"
    assert unstated_qualifier("秋季筛查一共筛了多少学生？", counted, "", reply, corpus) == ""
    # 社卫中心 abbreviates 社区卫生服务中心: the same thing in the reply's short form
    teams = "各社卫中心86个家庭医生团队每周到驿站坐诊。"
    assert unstated_qualifier("各社区卫生服务中心一共有多少个家庭医生团队？", teams, "", reply, corpus) == ""


def test_an_institution_the_question_names_must_be_the_one_the_figure_is_about() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "计划对桃湾社区卫生服务中心、石岭中心卫生院进行拆迁还建，目前石岭卫生院已赋码。"
        "为方便南部居民就医，加快建设柳溪中心卫生院。柳溪中心卫生院项目于2023年5月开工，将于2025年6月竣工。"
    )
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：县医院{i}家。")
    done = "柳溪中心卫生院项目于2023年5月开工，将于2025年6月竣工。"
    paragraph = "为方便南部居民就医，加快建设柳溪中心卫生院。" + done
    asked = "江夏区石岭中心卫生院拆迁还建项目什么时候竣工？"
    assert unstated_qualifier(asked, done, "", reply, corpus, paragraph) == "石岭"
    assert unstated_qualifier("柳溪中心卫生院什么时候竣工？", done, "", reply, corpus, paragraph) == ""


def test_a_hospital_asked_by_name_is_not_answered_by_another_hospital_s_account_of_the_same_level() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "2019年起县中医医院和县人民医院牵头成立远程诊断中心。5年来，县人民医院远程心电诊断2.3万人次；"
        "县中医医院远程影像诊断CT近3万人次。"
    )
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：县医院{i}家。")
    imaging = "县中医医院远程影像诊断CT近3万人次。"
    paragraph = "5年来，县人民医院远程心电诊断2.3万人次；" + imaging
    asked = "县人民医院做了多少人次远程CT诊断？"
    assert unstated_qualifier(asked, imaging, "", reply, corpus, paragraph) == "县人民医院"
    assert unstated_qualifier("县中医医院做了多少人次远程CT诊断？", imaging, "", reply, corpus, paragraph) == ""
    # a hospital of another level is no sibling (市人民医院 may well be where the county's figures are reported)
    assert unstated_qualifier("市人民医院做了多少人次远程CT诊断？", imaging, "", reply, corpus, paragraph) == ""
    # a figure sentence naming no hospital goes on with the one before; 妇幼保健院 is a hospital too
    night = "县人民医院已开设夜间儿科门诊。开诊以来共接诊患儿2100人次。"
    reply += night + "县妇幼保健院开设周末儿科门诊。"
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：县医院{i}家。")
    treated, before = "开诊以来共接诊患儿2100人次。", night
    asked = "桐岭县县妇幼保健院的周末儿科门诊接诊了多少人次？"
    assert unstated_qualifier(asked, treated, "", reply, corpus, before) == "县妇幼保健院"
    asked = "桐岭县县人民医院的夜间儿科门诊接诊了多少人次？"
    assert unstated_qualifier(asked, treated, "", reply, corpus, before) == ""


def test_a_figure_sentence_ruled_out_by_a_narrowing_word_gives_way_to_the_next_that_states_it() -> None:
    from qa.answer.gate import gate
    from qa.answer.verify import RefusalPolicy
    from qa.records import Hit

    text = (
        "2024年秋季学期，区妇幼保健院组织5支筛查队伍，共筛查学生4.18万人，筛查覆盖率达到98.9%。"
        "筛查显示，全区儿童青少年总体近视率为47.2%，其中小学生30.1%、初中生63.4%、高中生78.8%。"
    )
    meta = DocMeta(agency="榆关区卫生健康局", heading="关于近视防控的提案的会办意见", date="2025-06-09")
    chunk = Chunk("yg", "yg.txt", (meta.heading, "一、筛查情况"), text, meta, 0)
    corpus = with_others({"yg.txt": text}, 9, "第{i}份答复：托育机构{i}家。")
    question = "榆关区2024年秋季筛查，初中生近视的比例是多少？"
    decided = gate(question, [Hit(chunk, 1.0, 1)], RefusalPolicy(), corpus)
    assert decided.reason == ""
    answer = compose(question, [chunk], documents=corpus)
    assert "63.4%" in answer


def test_the_item_before_a_figure_s_item_is_another_account_and_states_nothing_for_it() -> None:
    from qa.answer.gate import gate
    from qa.answer.verify import RefusalPolicy
    from qa.records import Hit

    text = (
        "三、下一步措施。（一）新增3个乡镇急救站点，分别设在甲坪、乙岭、丙塘3个乡镇中心卫生院。"
        "（二）争取专项资金520万元，更新救护车6辆。"
    )
    meta = DocMeta(agency="桐岭县卫生健康局", heading="关于加强院前急救网络建设的建议的答复", date="2025-06-09")
    chunk = Chunk("jj", "jj.txt", (meta.heading,), text, meta, 0)
    corpus = with_others({"jj.txt": text}, 9, "第{i}份答复：托育机构{i}家。")
    decided = gate("桐岭县在丙塘建的那个乡镇急救站，建设预算是多少钱？", [Hit(chunk, 1.0, 1)], RefusalPolicy(), corpus)
    assert "乡镇急救站" in decided.reason
    assert gate("桐岭县更新救护车的专项资金是多少钱？", [Hit(chunk, 1.0, 1)], RefusalPolicy(), corpus).reason == ""


def test_an_item_number_a_document_number_or_a_year_alone_is_no_figure() -> None:
    count = classify("有多少女孩打了疫苗？")
    assert not typed(count, "(3)在县妇幼保健院增设疫苗接种专窗。")
    assert not typed(count, "蓼卫[2024]15号")
    assert not typed(count, "2024年完成建设。")
    assert typed(count, "3.加强队伍建设，培训接种人员120人。")
    assert classify("救护车出了多少趟？").unit == "趟" and typed(classify("出了多少趟？"), "出车1.26万次。")


def test_a_group_the_figure_is_not_broken_down_by_is_a_near_miss() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "对全区40所中小学和幼儿园开展视力筛查。"
        "筛查显示，全区儿童青少年总体近视率为47.2%，其中小学生30.1%、初中生63.4%、高中生78.8%。"
    )
    corpus = with_others({"r.txt": reply}, 9, "第{i}份答复：托育机构{i}家。")
    rates = "筛查显示，全区儿童青少年总体近视率为47.2%，其中小学生30.1%、初中生63.4%、高中生78.8%。"
    assert unstated_qualifier("全区幼儿园小朋友的近视率是多少？", rates, "", reply, corpus) == "幼儿园"
    assert unstated_qualifier("全区初中生的近视率是多少？", rates, "", reply, corpus) == ""


def test_a_group_of_the_kind_a_sentence_lists_figures_for_by_name_but_not_listed_is_a_near_miss() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "对引进的高层次人才，给予博士研究生安家补贴15万元、硕士研究生安家补贴6万元，分3年发放。"
    corpus = with_others({"rc.txt": reply}, 9, "第{i}份答复：本科毕业生{i}名，小学生近视率{i}%。")
    assert unstated_qualifier("桐岭县给引进的本科毕业生多少安家补贴？", reply, "", reply, corpus) == "毕业生"
    assert unstated_qualifier("桐岭县给引进的硕士研究生多少安家补贴？", reply, "", reply, corpus) == ""
    rates = "全区学生近视率为48.1%，小学生30.2%、初中生64.0%、高中生79.9%。"
    corpus = with_others({"sl.txt": rates}, 9, "第{i}份答复：中学生{i}万名。")
    # 中学生 are the 初中生 and 高中生 the sentence lists: a wider group, not another one
    assert unstated_qualifier("桐岭县中学生的近视率是多少？", rates, "", rates, corpus) == ""


def test_an_item_of_where_the_counted_things_are_has_no_figure_of_its_own() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = "全市公共场所已配置AED312台，主要分布在高铁站、体育场馆、大型商场和部分中小学，每10万人口配置6.2台。"
    corpus = with_others({"aed.txt": reply}, 9, "第{i}份答复：中小学{i}所，体育场馆{i}个。")
    assert unstated_qualifier("桐岭市中小学里一共配了多少台AED？", reply, "", reply, corpus) == "中小学"
    assert unstated_qualifier("桐岭市公共场所一共配了多少台AED？", reply, "", reply, corpus) == ""
    # a place the sentence counts in its own words is its own
    own = "其中中小学配置AED85台，主要分布在教学楼、体育馆和食堂。"
    assert unstated_qualifier("桐岭市中小学里一共配了多少台AED？", own, "", reply + own, corpus) == ""


def test_a_name_the_question_gives_that_the_reply_uses_elsewhere_must_be_the_figure_s_own() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "到2027年，全县护理站总数达到12个。"
        "关于您提出的开展长期护理保险试点的建议，试点须经省级批准，待批复后积极推进。"
        "2024年基层共报告短缺药品12个品种，药品品种目录每年调整。"
    )
    corpus = with_others({"r.txt": reply}, 10)
    stations = "到2027年，全县护理站总数达到12个。"
    assert unstated_qualifier("榆关县长期护理保险试点什么时候开始？", stations, "", reply, corpus) == "长期护理保险试点"
    assert unstated_qualifier("榆关县的护理站要建多少个？", stations, "", reply, corpus) == ""
    # the head of the name in the sentence's own words (12个品种) is the same thing
    shortages = "2024年基层共报告短缺药品12个品种。"
    assert unstated_qualifier("短缺的药品品种去年报了几个？", shortages, "", reply, corpus) == ""


def test_a_figure_the_question_gives_may_also_be_the_answer() -> None:
    from qa.answer.subject import figure_fits

    asked = asked_quantity("每千人口0-3岁婴幼儿托位数的规划目标是多少？")
    assert figure_fits("每千人口0-3岁婴幼儿托位数（个/千人）\t-\t3", asked, ["0", "3", "3"])
    assert not figure_fits("每千人口0-3岁婴幼儿托位数（个/千人）\t-\t-", asked, ["0", "3"])


def test_which_replies_a_contact_handled_lists_every_retrieved_reply_that_names_them() -> None:
    from qa.answer.metadata import metadata_answer

    def reply(n: int, topic: str, contact: str, city: str = "榆关市") -> Chunk:
        meta = DocMeta(
            agency=f"{city}卫生健康委员会",
            heading=f"{city}卫生健康委员会关于市政协六届四次会议第{n}号提案的答复",
            title=f"关于{topic}的提案",
            contacts=(("联系人", contact, "0715-8800000"),),
        )
        return Chunk(f"c{n}", f"r{n}.txt", (meta.heading,), f"{topic}工作有序推进。", meta, 0)

    sources = [reply(105, "精神障碍社区管理", "汤敏"), reply(88, "配置AED", "汤敏"), reply(117, "儿科服务", "郑伟")]
    sources.append(reply(9, "托育服务", "汤敏", city="梧桐市"))  # a namesake in another city is someone else
    asked = "榆关市卫健委的联系人汤敏，经手过哪几份答复？分别是关于什么的？"
    assert classify(asked).meta_field == "documents"
    answer = metadata_answer(asked, classify(asked).meta_fields, sources)
    assert answer.startswith("联系人为汤敏的答复共2份")
    assert "第105号提案的答复（关于精神障碍社区管理的提案）[1]" in answer and "[2]" in answer and "儿科" not in answer
    assert "托育" not in answer and "托育" in metadata_answer("联系人汤敏经手过哪几份答复？", ("documents",), sources)
    assert metadata_answer("联系人孙立经手过哪几份答复？", ("documents",), sources) == ""
    # what a proposer proposed is asked of the replies' content, and a reply's own contact is one field
    assert classify("鄢代表提了哪些建议？").meta_field != "documents"
    assert classify("这份答复的联系人是谁？").meta_field == "contacts"


def test_how_many_people_a_described_part_and_levels_written_as_a_list() -> None:
    from qa.answer.qualifier import part_asked, unstated_qualifier
    from qa.answer.select import count_noun

    asked = "那13家托育机构里，持保育员证的老师一共有几个人？"
    assert classify(asked).unit == "名" and count_noun(asked, classify(asked)) == ()
    assert classify("每千人要达到几个？").unit == "个"
    # what picks the part out comes before 的; the head after it may be an everyday word for the reply's own
    assert part_asked(asked) == ["保育员"]
    # with document frequencies, the side with the rarer word: an explanation before 的 (能防传染) may be everyday
    frequency = {"传染": 12, "负压": 2, "救护车": 6, "保育员": 1, "老师": 9}.get
    assert part_asked("县里的救护车里，能防传染的负压救护车有几辆？", lambda w: frequency(w, 0)) == ["负压", "救护车"]
    assert part_asked(asked, lambda w: frequency(w, 0)) == ["保育员"]
    reply = "全区13家独立设置的托育机构中有保育员资质的有36人。家长可向老师咨询。"
    corpus = with_others({"r.txt": reply}, 9)
    assert unstated_qualifier(asked, "全区13家独立设置的托育机构中有保育员资质的有36人。", "", reply, corpus) == ""
    # 省、市级 is one modifier, 省市级
    assert states_count("创5-8个省、市级临床重点专科。", ("省市级",), "个")


def test_a_question_naming_another_table_row_asks_that_row() -> None:
    from qa.answer.groups import other_row_asked

    document = (
        "指标\t2019年\t2025年\n"
        "每千人口执业（助理）医师数（人/千人）\t2.60\t4.25\n"
        "每千人口中医执业类（助理）医师数（人/千人）\t-\t持续增加"
    )
    row = "每千人口执业（助理）医师数（人/千人）\t2.60\t4.25"
    asked = "每千人口中医执业类（助理）医师数2025年要达到几个人？"
    assert other_row_asked(asked, row, document) == "每千人口中医执业类(助理)医师数"
    assert other_row_asked("每千人口执业（助理）医师数2025年要达到多少？", row, document) == ""
    assert other_row_asked(asked, "医师数量持续增加。", document) == ""


def test_a_town_is_read_whole_after_its_county_and_a_wuhan_style_street_is_a_town() -> None:
    from qa.answer.qualifier import unstated_qualifier

    reply = (
        "在县域南片的蔺桥镇中心卫生院设立血液透析分中心，配置透析机8台。"
        "到2026年，在县域北片的漆园镇中心卫生院再建成1个透析分中心。2024年将在纸坊街摸底托育机构。"
    )
    corpus = with_others({"r.txt": reply}, 9)
    figure = "在县域南片的蔺桥镇中心卫生院设立血液透析分中心，配置透析机8台。"
    assert unstated_qualifier("葭川县漆园镇那个透析分中心配了几台透析机？", figure, "", reply, corpus) == "漆园镇"
    assert unstated_qualifier("葭川县蔺桥镇那个透析分中心配了几台透析机？", figure, "", reply, corpus) == ""
    assert unstated_qualifier("江夏区纸坊街有多少台透析机？", figure, "", reply, corpus) == "纸坊街"
    # 乡下 is no town
    assert unstated_qualifier("给乡下卫生院配了几台透析机？", figure, "", reply, corpus) == ""


def test_when_in_everyday_words_and_a_sum_of_money_is_no_count_of_residents() -> None:
    from qa.answer.select import typed, unit_figures

    asked = "东城新区那个社区医院啥时候能建好用上？"
    assert classify(asked).kind == "date"
    money = classify("总共要投多少钱？")
    assert money.unit == "元"
    assert not typed(money, "按照每3万至10万居民设置1个社区卫生服务中心的标准，约5.6万居民就近就医不便。")
    assert unit_figures(money, "总投资2800万元，另安排500万用于设备。") == ["2800", "500"]
    # 建好 is found as the replies write it
    chunk = Chunk("d", "d.txt", ("答复",), "东城社区卫生服务中心总投资2800万元，计划2024年10月建成投用。", DocMeta(), 0)
    assert "2024年10月" in compose(asked, [chunk])
