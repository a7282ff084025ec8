"""Metadata of replies in the layouts of shared/FORMATS.md: one invented text per variant, exact fields expected.

Places, names, numbers and phones below are invented. Each test states a layout; the fields it checks are what
that layout states, and a field the text does not state must stay empty (never guessed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.clean import clean_text
from qa.ingest.normalize import cn_date_to_digits, parse_date
from qa.ingest.structure import load_documents, parse_documents
from qa.records import DocMeta, Document

ROOT = Path(__file__).resolve().parent.parent


def parse(text: str, name: str = "reply.txt") -> list[Document]:
    return parse_documents(clean_text(text), name)


def one(text: str, name: str = "reply.txt") -> DocMeta:
    (doc,) = parse(text, name)
    return doc.meta


def cues(meta: DocMeta) -> dict[str, str]:
    return dict(meta.cues)


def test_agency_first_heading_with_class_and_signature() -> None:
    meta = one(
        "松桥县卫生健康局关于县政协九届一次会议第205号提案的复函\n\n松卫函[2023]17号\n\n答复类别：B类\n\n"
        "周明远委员：\n\n您提出的《关于加强村卫生室建设的提案》收悉。我局认真研究，现答复如下：\n\n"
        "一、基本情况\n\n全县共有村卫生室210所。根据省卫健委《村卫生室建设标准》（岭卫发〔2021〕3号）要求推进。\n\n"
        "感谢您对我县卫生健康工作的关心和支持。\n\n松桥县卫生健康局\n2023年6月9日\n\n"
        "联系人：付小云，联系电话：0730-6612345\n"
    )
    assert meta.agency == "松桥县卫生健康局" and cues(meta)["agency"] == "heading"
    assert (meta.kind, meta.proposal_no, meta.meeting) == ("政协提案", "205", "县政协九届一次会议")
    assert meta.doc_no == "松卫函〔2023〕17号"  # [] normalised; the cited 岭卫发〔2021〕3号 is not its own
    assert meta.reply_class == "B类" and meta.proposers == ("周明远",)
    assert meta.title == "关于加强村卫生室建设的提案"
    assert meta.date == "2023-06-09" and cues(meta)["date"] == "signature"
    assert meta.contacts == (("联系人", "付小云", "0730-6612345"),)


def test_heading_over_three_lines_spaced_number_and_contact_label_with_phone() -> None:
    meta = one(
        "云岭市卫生健康委员会\n关于市十六届人大二次会议\n第 63 号建议的答复意见\n\n云卫函（2024）8号\n\n"
        "尊敬的韩立新代表：\n\n您提出的《关于改善社区就医环境的建议》收悉，现将办理情况答复如下：\n\n"
        "我委已会同各区推进社区卫生服务中心改造。\n\n云岭市卫生健康委员会\n2024年03月05日\n\n"
        "联系人及电话：陶倩 0745-2233445\n"
    )
    assert (meta.kind, meta.proposal_no, meta.meeting) == ("人大建议", "63", "市十六届人大二次会议")
    assert meta.heading == "关于市十六届人大二次会议第63号建议的答复意见"
    assert meta.agency == "云岭市卫生健康委员会" and cues(meta)["agency"] == "header"
    assert meta.doc_no == "云卫函〔2024〕8号" and meta.date == "2024-03-05"
    assert meta.proposers == ("韩立新",) and meta.contacts == (("联系人", "陶倩", "0745-2233445"),)


def test_chinese_numeral_date_dashed_number_masked_name_and_signer() -> None:
    meta = one(
        "关于政协白河区第四届委员会第二次会议\n第2-1-033号提案的答复\n\n白卫函〔2021〕40号\n\n李**委员：\n\n"
        "您提出的《关于推进医养结合的提案》收悉，现答复如下：\n\n全区已建成医养结合机构6家。\n\n此复。\n\n"
        "白河区卫生健康局\n二〇二一年十月三十一日\n\n承办人：单一鸣　电话：0523-8812345\n签发人：朱德厚\n"
    )
    assert meta.meeting == "政协白河区第四届委员会第二次会议" and meta.proposal_no == "2-1-033"
    assert meta.proposers == ("李**",) and meta.kind == "政协提案"
    assert meta.agency == "白河区卫生健康局" and cues(meta)["agency"] == "signature"
    assert meta.date == "2021-10-31"
    assert meta.contacts == (("承办人", "单一鸣", "0523-8812345"), ("签发人", "朱德厚", ""))


def test_web_page_title_only_heading_info_table_and_trailers(tmp_path: Path) -> None:
    html = """<html><head><title>石门县卫生健康局关于县十九届人大一次会议第18号建议的答复_石门县人民政府</title></head>
    <body><div>首页 &gt; 政务公开 &gt; 建议提案办理</div>
    <table><tr><td>索引号：</td><td>SM-01-2023-0099</td><td>发布机构：</td><td>石门县人民政府办公室</td></tr>
    <tr><td>生成日期：</td><td>2023-09-01</td><td>文号：</td><td>石卫函【2023】51号</td></tr></table>
    <p>王*代表：</p><p>您提出的《关于加强农村急救网络的建议》收悉。现答复如下：</p>
    <p>一、现状。全县有急救站点7个。</p><p>感谢您的关心和支持。</p>
    <p>石门县卫生健康局</p><p>2023年8月20日</p><p>(联 系 人:蓝田,联系电话:0744-5566778)</p>
    <div>扫一扫在手机上查看当前页面 打印本页 关闭窗口</div></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    (doc,) = load_documents(path)
    meta = doc.meta
    assert (meta.kind, meta.proposal_no, meta.meeting) == ("人大建议", "18", "县十九届人大一次会议")
    assert meta.agency == "石门县卫生健康局"  # never the page's 发布机构 (a government office)
    assert meta.doc_no == "石卫函〔2023〕51号" and cues(meta)["doc_no"] == "info_table"
    assert meta.date == "2023-08-20"  # the signature date, not the 生成日期
    assert meta.index_no == "SM-01-2023-0099" and meta.proposers == ("王*",)
    assert meta.contacts == (("联系人", "蓝田", "0744-5566778"),)
    assert "扫一扫" not in doc.text and "打印本页" not in doc.text and "首页" not in doc.text
    assert "索引号" not in doc.text and "发布机构" not in doc.text  # the info table is metadata, not body
    assert "_石门县人民政府" not in doc.text  # the site's name after the page's own title is no sentence


def test_a_page_title_already_in_the_body_is_not_repeated_with_the_site_s_names(tmp_path: Path) -> None:
    heading = "石门县卫生健康局对县政协七届三次会议第21号提案的答复"
    html = f"""<html><head><title>{heading}_建议提案办理_石门县人民政府门户网站</title></head>
    <body><h2>{heading}</h2><p>李娟委员：</p><p>您提出的提案收悉。现答复如下：</p><p>一、全县建成站点7个。</p>
    <p>石门县卫生健康局</p><p>2023年8月20日</p></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    (doc,) = load_documents(path)
    assert "门户网站" not in doc.text and doc.text.count(heading) == 1


def test_page_date_is_used_only_when_the_signature_has_none() -> None:
    meta = one(
        "发布机构：青山县人民政府办公室 | 生成日期：2022-08-30 | 文号：青卫〔2022〕9号\n"
        "青山县卫生健康局关于县政协七届一次会议第3号提案的复函\n马**委员：\n您提出的《关于X的提案》收悉。现函复如下：\n"
        "全县已完成改造。\n青山县卫生健康局\n"
    )
    assert meta.date == "2022-08-30" and cues(meta)["date"] == "info_table"
    assert meta.agency == "青山县卫生健康局" and meta.doc_no == "青卫〔2022〕9号"


@pytest.mark.parametrize(
    "separator",
    ["\n\n", "\n\n----------------------------------------\n\n", "\n\f\n", "\n（此件公开发布）\n", "\n* * * * *\n"],
    ids=["blank", "dashes", "form-feed", "closer", "stars"],
)
def test_several_replies_in_one_file_split_on_the_heading(separator: str) -> None:
    first = (
        "桥西区卫生健康局关于区政协三届二次会议第11号提案的答复\n桥西卫函〔2022〕5号\n周蕾、钱伟委员：\n"
        "你们提出的《关于加强心理健康服务的提案》收悉。现答复如下：\n已开设心理门诊2个。\n桥西区卫生健康局\n"
        "2022年6月1日\n联系人：吴芳，联系电话：13907360000"
    )
    second = (
        "桥西区卫生健康局关于区十届人大二次会议第4号建议的答复\n桥西卫函〔2022〕6号\n尊敬的黄志强代表：\n"
        "您提出的《关于管理慢病患者的建议》收悉，现答复如下：\n规范管理率达到70%。\n桥西区卫生健康局\n2022年6月3日"
    )
    a, b = parse(first + separator + second, "two.txt")
    assert (a.doc_id, b.doc_id) == ("two.txt#1", "two.txt#2")
    assert (a.meta.kind, a.meta.proposal_no, a.meta.proposers) == ("政协提案", "11", ("周蕾", "钱伟"))
    assert (b.meta.kind, b.meta.proposal_no, b.meta.proposers) == ("人大建议", "4", ("黄志强",))
    assert (a.meta.date, b.meta.date) == ("2022-06-01", "2022-06-03")
    assert (a.meta.doc_no, b.meta.doc_no) == ("桥西卫函〔2022〕5号", "桥西卫函〔2022〕6号")
    assert a.meta.contacts == (("联系人", "吴芳", "13907360000"),) and b.meta.contacts == ()
    assert "慢病" not in a.text and "心理" not in b.text


def test_motion_report_with_lead_and_seconders() -> None:
    meta = one(
        "北湖县卫生健康局\n关于县十六届人大三次会议第2号议案办理情况的报告\n\n北卫函〔2020〕12号\n\n县人大常委会：\n\n"
        "向东等3名代表在县十六届人大三次会议期间提出的《关于稳定乡村医生队伍的议案》（领衔代表：向东；"
        "附议代表：白云、程杰），经主任会议决定交由我局办理。现将办理情况报告如下：\n\n特此报告。\n\n"
        "北湖县卫生健康局\n2020.9.16\n\n分管领导：黎明　联系电话：0739-4510000\n"
    )
    assert (meta.kind, meta.proposal_no) == ("人大建议", "2")
    assert meta.proposers == ("向东", "白云", "程杰")  # the addressee 县人大常委会 is not a proposer
    assert meta.date == "2020-09-16" and meta.agency == "北湖县卫生健康局"
    assert meta.contacts == (("分管领导", "黎明", "0739-4510000"),)


def test_letter_without_heading_number_in_parentheses_and_two_phones() -> None:
    meta = one(
        "朱文杰委员:\n\n您在县政协六届二次会议期间提出的《关于提升乡镇卫生院能力的提案》(第29号提案)收悉。"
        "我局认真研究，现将有关情况答复如下。\n\n近两年投入资金1200万元。\n\n感谢您的关心和支持。\n\n"
        "柳林县卫生健康局\n2023-07-18\n\n经办人:冯雨　电话:0738-2210000、13874000000\n"
    )
    assert (meta.kind, meta.proposal_no, meta.meeting) == ("政协提案", "29", "县政协六届二次会议")
    assert cues(meta)["proposal_no"] == "acknowledgement" and meta.heading == "" and meta.doc_no == ""
    assert meta.proposers == ("朱文杰",) and meta.date == "2023-07-18"
    assert meta.contacts == (("经办人", "冯雨", "0738-2210000"),)


def test_heading_glued_to_salutation_and_page_repeat_is_one_reply() -> None:
    docs = parse(
        "槐林市卫生健康委员会关于市政协五届二次会议第77号提案答复的函\n"
        "文号：槐卫函〔2024〕30号\n"
        "槐林市卫生健康委员会关于市政协五届二次会议第77号提案答复的函杨静委员：您提出的《关于妇幼保健的提案》"
        "收悉。现将办理情况答复如下：\n一、主要指标。孕产妇死亡率持续下降。\n槐林市卫生健康委员会\n2024年6月25日\n"
    )
    (doc,) = docs
    assert doc.meta.proposers == ("杨静",) and doc.meta.proposal_no == "77"
    assert doc.meta.heading == "槐林市卫生健康委员会关于市政协五届二次会议第77号提案答复的函"
    assert doc.meta.doc_no == "槐卫函〔2024〕30号" and doc.meta.date == "2024-06-25"


def test_traditional_characters_are_read_and_values_keep_the_original_script() -> None:
    meta = one(
        "蘭溪縣衛生健康局關於縣政協八屆三次會議第88號提案的答覆\n\n蘭衛函〔2022〕44號\n\n鄭美華委員：\n\n"
        "您提出的《關於加強健康素養的提案》收悉。現答覆如下：\n\n全縣居民健康素養水平為21.6%。\n\n"
        "蘭溪縣衛生健康局\n2022年8月5日\n\n聯繫人：白雪，聯繫電話：0717-6220000\n"
    )
    assert (meta.kind, meta.proposal_no) == ("政协提案", "88")
    assert meta.agency == "蘭溪縣衛生健康局" and meta.meeting == "縣政協八屆三次會議"
    assert meta.doc_no == "蘭衛函〔2022〕44號" and meta.proposers == ("鄭美華",)
    assert meta.title == "關於加強健康素養的提案" and meta.date == "2022-08-05"
    assert meta.contacts == (("联系人", "白雪", "0717-6220000"),)  # the role is the simplified label


def test_collective_proposal_and_co_handling_reply() -> None:
    party = one(
        "东湖区卫生健康局关于区政协四届二次会议第33号提案的答复\n\n九三学社东湖区委员会：\n\n"
        "你们提出的《关于推进无烟环境建设的提案》收悉。现答复如下：\n\n控烟工作持续推进。\n\n东湖区卫生健康局\n"
        "2023年7月3日\n"
    )
    assert party.proposers == ("九三学社东湖区委员会",) and party.kind == "政协提案"
    co = one(
        "东湖区卫生健康局关于区十届人大二次会议第15号建议的协办答复\n\n区妇联：\n\n"
        "林晓红代表提出的《关于加快母婴室建设的建议》由贵会主办、我局协办。现将我局协办意见函告如下：\n\n"
        "医疗机构均已设置母婴室。\n\n东湖区卫生健康局\n2023年7月5日\n"
    )
    assert co.proposers == ("林晓红",) and co.kind == "人大建议"  # 区妇联 is the lead office, not a proposer
    assert cues(co)["proposers"] == "acknowledgement"


def test_several_proposers_mid_sentence_full_width_digits_and_co_opinion() -> None:
    meta = one(
        "海城市卫生健康委员会关于市政协十三届二次会议第２３００４５号提案的会办意见\n\n海卫函〔２０２３〕８８号\n\n"
        "市医疗保障局：\n\n何涛等５位委员提出的《关于深化医保协同改革的提案》收悉。现提出如下会办意见：\n\n"
        "一、价格调整。调整项目216项。\n\n海城市卫生健康委员会\n二零二三年六月十六日\n\n经办人：钟欣，电话：０７５８－２２６００００\n"
    )
    assert meta.proposal_no == "230045" and meta.doc_no == "海卫函〔2023〕88号"
    assert meta.proposers == ("何涛",) and meta.date == "2023-06-16"
    assert meta.contacts == (("经办人", "钟欣", "0758-2260000"),)


def test_handling_form_table_and_unquoted_title() -> None:
    meta = one(
        "江口区卫生健康局关于区人大代表意见建议的答复\n\n江卫函(2024)33号\n\n会议届次\t区九届人大四次会议\n"
        "建议编号\t第36号\n领衔代表\t宋雨\n建议名称\t关于完善献血激励机制的建议\n答复类别\tA类\n\n宋雨代表：\n\n"
        "您提出的关于完善献血激励机制的意见建议收悉，现答复如下：\n\n献血者用血费用直接减免。\n\n江口区卫生健康局\n2024.5.20\n"
    )
    assert (meta.kind, meta.proposal_no, meta.meeting) == ("人大建议", "36", "区九届人大四次会议")
    assert meta.title == "关于完善献血激励机制的建议" and meta.reply_class == "A类"
    assert meta.doc_no == "江卫函〔2024〕33号" and meta.date == "2024-05-20"


def test_reply_to_something_else_is_its_own_document_of_kind_other() -> None:
    a, b = parse(
        "西山县卫生健康局关于县政协八届二次会议第60号提案的答复\n尹刚委员：\n您提出的《关于爱国卫生的提案》收悉。\n"
        "持续开展整治。\n西山县卫生健康局\n2023年7月6日\n"
        "西山县卫生健康局关于县人大常委会专题询问有关问题的回复\n西卫函〔2023〕51号\n县人大常委会办公室：\n"
        "根据专题询问的要求，现将有关问题回复如下：\n县人民医院创建三级医院。\n西山县卫生健康局\n2023年7月25日\n",
        "mixed.txt",
    )
    assert a.meta.kind == "政协提案" and a.meta.date == "2023-07-06"
    assert b.meta.kind == "其他" and b.meta.proposal_no == "" and b.meta.proposers == ()
    assert b.meta.doc_no == "西卫函〔2023〕51号" and b.meta.date == "2023-07-25"


def test_seal_line_names_the_agency_and_doc_no_after_the_salutation() -> None:
    meta = one(
        "关于市政协七届三次会议第203号提案答复的函\n\n曾永福委员：\n\n榕卫函〔2023〕102号\n\n"
        "您提出的《关于加强罕见病保障的提案》收悉，现答复如下：\n\n已建立诊疗协作网。\n\n此复。\n\n"
        "（榕城市卫生健康委员会盖章）\n2023年6月30日\n"
    )
    assert meta.agency == "榕城市卫生健康委员会" and cues(meta)["agency"] == "signature"
    assert meta.doc_no == "榕卫函〔2023〕102号" and meta.date == "2023-06-30"


def test_empty_is_better_than_wrong() -> None:
    meta = one(
        "发布机构：南岗县人民政府办公室\n关于县政协六届一次会议第5号提案的答复\n"
        "您提出的关于发展托育的提案收悉。国务院《意见》（国发〔2021〕3号）要求加快发展。\n新增托位200个。\n"
    )
    assert meta.agency == ""  # the publisher is a government office, and nothing else names the agency
    assert meta.doc_no == ""  # 国发〔2021〕3号 is cited in a sentence
    assert meta.proposers == () and meta.date == "" and meta.contacts == ()
    assert (meta.kind, meta.proposal_no) == ("政协提案", "5")
    assert set(cues(meta)) == {"kind", "proposal_no", "meeting", "title", "heading"}


def test_dates_in_every_form() -> None:
    assert parse_date("二〇二二年七月八日") == "2022-07-08"
    assert parse_date("二O二三年十二月二十日") == "2023-12-20"
    assert parse_date("2024年09月03日") == "2024-09-03"
    assert parse_date("2021.9.16") == "2021-09-16"
    assert parse_date("2023-07-08") == "2023-07-08"
    assert parse_date("2021. 07") == "2021-07"
    assert parse_date("737546075/2021-55295") == ""
    assert cn_date_to_digits("于二〇二一年三月一日印发") == "于2021年3月1日印发"


def test_cues_travel_through_to_dict() -> None:
    meta = one("关于县政协一届一次会议第1号提案的答复\n张三委员：\n您提出的《关于X的提案》收悉。\n")
    data = meta.to_dict()
    assert data["cues"]["proposers"] == "salutation" and data["reply_class"] == ""
    assert DocMeta.from_dict(data) == meta


def test_varied_corpus_scores_above_the_floor() -> None:
    from qa.evaluation.metadata import VARIED_DIR, VARIED_GOLD, evaluate

    result = evaluate(ROOT / "eval" / VARIED_DIR, ROOT / "eval" / VARIED_GOLD)
    assert result.found == result.expected and not result.missing and not result.extra
    assert result.overall >= 0.95, result.errors
    assert all(result.accuracy(f) >= 0.9 for f in result.total), result.errors


def test_seed_metadata_matches_what_the_tests_state() -> None:
    from qa.evaluation.metadata import SEEDS_GOLD, evaluate

    result = evaluate(ROOT / "seeds", ROOT / "eval" / SEEDS_GOLD)
    assert result.found == result.expected == 12 and result.overall == 1.0, result.errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "某某县卫生健康局关于对县政协十届二次会议第118号提案的答复\n王五委员：\n您提出的《关于X的提案》收悉。\n",
            {"agency": "某某县卫生健康局", "meeting": "县政协十届二次会议", "proposal_no": "118"},
        ),
        (
            "云州市卫生健康委关于市十四届人大四次会议第0123号代表建议的答复\n李四代表：\n您提出的关于Y的建议收悉。\n",
            {"agency": "云州市卫生健康委", "kind": "人大建议", "proposal_no": "0123", "title": "关于Y的建议"},
        ),
        (
            "关于《关于加强基层人才队伍建设的提案》的答复\n赵六委员：\n您提出的提案收悉，现答复如下：\n",
            {"title": "关于加强基层人才队伍建设的提案", "proposal_no": "", "kind": "政协提案"},
        ),
        (
            "青川县卫生健康局对县政协提案第15号的答复\n钱七委员：\n来信收悉。\n",
            {"proposal_no": "15", "kind": "政协提案", "agency": "青川县卫生健康局"},
        ),
        (
            "关于县十八届人大二次会议第9号建议的答复\n尊敬的王五代表：您好！您提出的《关于Z的建议》收悉。\n",
            {"proposers": ("王五",), "title": "关于Z的建议"},
        ),
        (
            "关于县政协一届一次会议第3号提案的答复\n答复类别：A（已解决或采纳）\n孙八委员：\n您的提案收悉。\n",
            {"reply_class": "A类"},
        ),
        (
            "关于县政协一届一次会议第4号提案的答复\n孙八委员：\n收悉。\n联系人\t王小二\t联系电话\t0731-1234567\n",
            {"contacts": (("联系人", "王小二", "0731-1234567"),)},
        ),
        (
            "关于县第十七届人民代表大会第三次会议第12号建议的答复\n周九代表：\n您的建议收悉。\n",
            {"meeting": "县第十七届人民代表大会第三次会议", "kind": "人大建议"},
        ),
        (
            "关于政治协商会议某县第十届委员会第二次会议第7号提案的答复\n某某委员：\n收悉。\n",
            {"meeting": "政治协商会议某县第十届委员会第二次会议", "kind": "政协提案"},
        ),
        (
            "关于县政协一届一次会议第6号提案的答复\n甲乙委员：\n收悉。\n某县卫生健康局 2022年7月8日\n",
            {"agency": "某县卫生健康局", "date": "2022-07-08"},
        ),
        (
            "关于县政协一届一次会议第6号提案的答复\n甲乙委员：\n您提出的提案收悉。根据《关于某问题的答复》要求办理。\n",
            {"title": ""},  # a document cited in the sentence is not the proposal's title
        ),
        (
            "关于王五代表在县十八届人大二次会议上所提第9号建议的答复\n县人大常委会：\n现将办理情况报告如下：\n",
            {"proposers": ("王五",), "meeting": "县十八届人大二次会议"},
        ),
        (
            "青川县卫生健康局文件\n青卫函〔2022〕31号\n对县政协十届二次会议第118号提案的答复\n王五委员：\n收悉。\n",
            {"agency": "青川县卫生健康局", "doc_no": "青卫函〔2022〕31号"},
        ),
        (
            "关于县政协十届二次会议第118号提案的答复函\n王五委员：\n收悉。\n",
            {"proposal_no": "118", "heading": "关于县政协十届二次会议第118号提案的答复函"},
        ),
        (
            "关于县政协十届二次会议第118\n号提案的答复\n王五委员：\n收悉。\n",  # a PDF line break inside the number
            {"proposal_no": "118", "heading": "关于县政协十届二次会议第118号提案的答复"},
        ),
    ],
    ids=[
        "guanyu-dui",
        "wei-short",
        "quoted-title",
        "number-after-paper",
        "nihao-glued",
        "class-with-gloss",
        "contact-table-row",
        "congress-in-full",
        "cppcc-in-full",
        "signature-one-line",
        "cited-title",
        "proposer-in-heading",
        "letterhead",
        "dafuhan",
        "number-split-over-lines",
    ],
)
def test_heading_and_cue_variants(text: str, expected: dict[str, object]) -> None:
    meta = one(text)
    assert {field: getattr(meta, field) for field in expected} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "某县卫生健康局关于县政协十届二次会议第5号提案的答复 - 某县人民政府网\n王五委员：\n收悉。\n",
            {"agency": "某县卫生健康局", "proposal_no": "5", "cues": {"agency": "heading"}},
        ),
        (
            "索引号：\nSP-1\n发布机构：\n某县人民政府办公室\n文号：\n某卫函〔2022〕3号\n"
            "关于县政协十届二次会议第5号提案的答复\n王五委员：\n收悉。\n",
            {"agency": "", "index_no": "SP-1", "doc_no": "某卫函〔2022〕3号", "cues": {"doc_no": "info_table"}},
        ),
        (
            "索引号\t文号\t发布日期\nSP-1\t某卫函〔2022〕3号\t2022-05-01\n"
            "关于县政协十届二次会议第5号提案的答复\n王五委员：\n收悉。\n",
            {"doc_no": "某卫函〔2022〕3号", "date": "2022-05-01", "index_no": "SP-1"},
        ),
        (
            "来源：某县卫生健康局 发布时间：2022-08-01\n王五委员：\n"
            "您在县政协十届二次会议期间提出的《关于X的提案》（第5号）收悉。\n",
            {"agency": "某县卫生健康局", "date": "2022-08-01", "meeting": "县政协十届二次会议", "proposal_no": "5"},
        ),
        (
            "标题：关于县政协十届二次会议第5号提案的答复\n发布机构：某县卫生健康局\n王五委员：\n您提出的《关于X的提案》收悉。\n",
            {"proposal_no": "5", "agency": "某县卫生健康局", "cues": {"proposal_no": "info_table"}},
        ),
        (
            "某卫函〔2022〕31号 签发人：张三\n关于县政协十届二次会议第5号提案的答复\n王五委员：\n收悉。\n"
            "联系单位：医政科；联系人：李四；联系电话：（0731）8886666\n",
            {"doc_no": "某卫函〔2022〕31号", "contacts": (("签发人", "张三", ""), ("联系人", "李四", "0731-8886666"))},
        ),
    ],
    ids=["site-suffix", "label-value-lines", "header-row-table", "source-field", "title-field", "fields-on-one-line"],
)
def test_web_and_form_variants(text: str, expected: dict[str, object]) -> None:
    meta = one(text)
    got = {field: getattr(meta, field) for field in expected if field != "cues"}
    got |= {"cues": {f: c for f, c in meta.cues if f in expected["cues"]}} if "cues" in expected else {}
    assert got == expected
