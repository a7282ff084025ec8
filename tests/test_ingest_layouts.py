"""More metadata layouts: page headers and breaks, header blocks, several signing bodies, sub-headings shaped like
reply headings, numbers in Chinese numerals, 答复类型, partly masked names, 领衔/附议 lists, collective proposers.

Places, names, numbers and phones below are invented (see test_ingest_metadata.py for the main layouts).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ingest_metadata import cues, one, parse  # the same readers of an invented text as the main layouts

from qa.ingest.clean import clean_text
from qa.ingest.cues import doc_number
from qa.ingest.normalize import cn_number
from qa.ingest.structure import load_documents


def test_running_page_header_repeating_the_heading_is_not_a_new_reply() -> None:
    heading = "关于县政协十届二次会议第5号提案的答复"
    (doc,) = parse(
        f"{heading}\n王五委员：\n您提出的提案收悉，现答复如下：\n一、现状。已建成站点7个。\n{heading}\n二、下一步。再建3个。\n"
    )
    assert doc.meta.proposal_no == "5" and "再建3个" in doc.text


def test_header_block_with_signer_and_pdf_page_break() -> None:
    meta = one(
        "松原县卫生健康局\n\n松卫提复〔2023〕5号　　　签发人：王大海\n\n"
        "关于县政协十一届二次会议第38号提案的答复\n\n"
        "刘洋委员：\n\n您提出的《关于加强县域医共体建设的提案》收悉。现答复如下：\n\n一、基本情况\n\n全县组建医共体2个，覆盖\n"
        "\f\n- 2 -\n全部乡镇卫生院。\n\n松原县卫生健康局\n\n2023年6月15日\n\n（联系人：钱多多，电话：0431-6612345）\n"
    )
    assert meta.agency == "松原县卫生健康局" and dict(meta.cues)["agency"] == "header"
    assert meta.doc_no == "松卫提复〔2023〕5号" and meta.date == "2023-06-15"
    assert meta.contacts == (("签发人", "王大海", ""), ("联系人", "钱多多", "0431-6612345"))


def test_a_block_signed_by_two_bodies_names_the_first() -> None:
    meta = one(
        "关于市政协九届二次会议第88号提案的答复\n民进平阳市委员会：\n你们提出的《关于加强校园健康教育的提案》收悉。"
        "经商市教育局，现答复如下：\n健康教育纳入课程。\n平阳市卫生健康委员会\n平阳市教育局\n2023年7月1日\n"
    )
    assert meta.agency == "平阳市卫生健康委员会" and meta.date == "2023-07-01"
    assert meta.proposers == ("民进平阳市委员会",)


def test_distribution_list_after_the_signature_names_other_bodies() -> None:
    meta = one(
        "关于县政协一届一次会议第2号提案的答复\n甲乙委员：\n您提出的《关于X的提案》收悉。\n已落实。\n"
        "北湖县卫生健康局\n2022年5月6日\n抄送：\n县政协提案委\n县人民政府督查室\n"
    )
    assert meta.agency == "北湖县卫生健康局" and meta.date == "2022-05-06"


def test_a_sub_heading_shaped_like_a_reply_heading_does_not_split_the_reply() -> None:
    (doc,) = parse(
        "关于县政协一届一次会议第2号提案的答复\n甲乙委员：\n您提出的《关于X的提案》收悉，现就三条建议答复如下：\n"
        "关于第一条建议的答复\n已落实。\n关于第二条建议的答复\n正在推进。\n北湖县卫生健康局\n2022年5月6日\n"
    )
    assert doc.meta.proposal_no == "2" and "正在推进" in doc.text and doc.meta.date == "2022-05-06"


def test_a_sub_heading_in_a_letter_without_heading_is_not_its_heading() -> None:
    meta = one("甲乙委员：\n您提出的《关于X的提案》收悉，现答复如下：\n关于第一条建议的答复\n已落实。\n")
    assert meta.heading == "" and meta.kind == "政协提案" and dict(meta.cues)["kind"] == "salutation"


def test_number_named_in_the_acknowledgement_sentence() -> None:
    meta = one("甲乙委员：\n您在县政协二届一次会议上提出的第12号提案《关于X的提案》收悉，现答复如下：\n已落实。\n")
    assert (meta.proposal_no, meta.meeting, meta.kind) == ("12", "县政协二届一次会议", "政协提案")
    assert meta.title == "关于X的提案"


def test_chinese_numeral_number_and_an_ending_inside_a_longer_one() -> None:
    meta = one(
        "柘江县卫生健康局关于县十五届人大三次会议\n第一百零五号建议办理情况的答复的报告\n\n柘卫报【2024】6号\n\n"
        "龚**等2位代表：\n\n你们提出的《关于改善乡镇卫生院条件的建议》收悉，现将办理情况报告如下：\n\n已改造。\n"
    )
    assert (meta.proposal_no, meta.meeting, meta.kind) == ("105", "县十五届人大三次会议", "人大建议")
    assert meta.doc_no == "柘卫报〔2024〕6号" and meta.agency == "柘江县卫生健康局"
    assert cn_number("二十三") == 23 and cn_number("十二") == 12 and cn_number("一〇五") == 105


def test_a_doc_number_never_starts_with_heading_text() -> None:
    assert doc_number("第九号提案的答复的报告柘卫报〔2024〕6号") == "柘卫报〔2024〕6号"
    assert doc_number("柘政复函〔2024〕7号") == "柘政复函〔2024〕7号"  # a code ending like a reply keeps it
    unknown_heading = "柘江县卫生健康局关于一个本表还不认识的标题的另一种写法"  # long enough to look cut off
    assert clean_text(f"{unknown_heading}\n柘卫函〔2024〕6号").split("\n") == [unknown_heading, "柘卫函〔2024〕6号"]


def test_reply_class_under_the_label_reply_type() -> None:
    meta = one(
        "关于市政协八届二次会议第９号提案的答复\n\n柘卫函〔２０２４〕３号\n\n答复类型：C类\n\n龚**委员\n\n"
        "您提出的《关于X的提案》收悉，现答复如下：\n\n已研究。\n"
    )
    assert meta.reply_class == "C类" and meta.proposal_no == "9" and meta.proposers == ("龚**",)


def test_a_list_that_masks_only_some_names_keeps_the_stars() -> None:
    meta = one("龚**、柴明远委员:\n你们提出的《关于X的提案》收悉,现答复如下:\n已落实。\n")
    assert meta.proposers == ("龚**", "柴明远")
    assert one("柴明远、龚**委员：\n你们提出的《关于X的提案》收悉。\n").proposers == ("柴明远", "龚**")
    assert clean_text("一是**加强**筛查。") == "一是加强筛查。"  # markdown bold is still dropped


@pytest.mark.parametrize("between", ["　", "", "\n"])
def test_a_lead_and_seconders_list_above_the_salutation_names_everyone(between: str) -> None:
    meta = one(
        f"关于市政协八届二次会议第9号提案的答复\n\n领衔委员：庞**{between}附议委员：蒲秀云、冼宏\n\n"
        "庞**委员：\n\n您领衔提出的《关于X的提案》收悉，现答复如下：\n\n已研究。\n"
    )
    assert meta.proposers == ("庞**", "蒲秀云", "冼宏")


def test_a_party_committee_named_as_proposer_in_a_letter_to_the_main_handling_body() -> None:
    meta = one(
        "柘江区卫生健康局\n对区政协二届三次会议第2-3-041号提案的会办意见\n\n柘卫函(2024)12号\n\n区民政局：\n\n"
        "九三学社柘江区委员会在区政协二届三次会议期间提出的《关于X的提案》由贵局主办，我局会办。现将会办意见函告如下：\n\n"
        "已研究。\n"
    )
    assert meta.proposers == ("九三学社柘江区委员会",) and cues(meta)["proposers"] == "acknowledgement"
    assert (meta.proposal_no, meta.kind, meta.doc_no) == ("2-3-041", "政协提案", "柘卫函〔2024〕12号")
    assert one("区民政局：\n区教育局提出的《关于X的提案》由贵局主办。\n").proposers == ()  # an office is no proposer


def _two_page_pdf(path: Path, top_line: str, first_page: list[str], second_page: list[str]) -> Path:
    """A real two-page PDF: `top_line` heads both pages, and each page prints `第 N 页 共 2 页` at its foot."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    canvas = Canvas(str(path), pagesize=A4)
    for n, lines in enumerate((first_page, second_page), 1):
        canvas.setFont("STSong-Light", 10)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 40, top_line)
        canvas.drawCentredString(A4[0] / 2, 30, f"第 {n} 页 共 2 页")
        canvas.setFont("STSong-Light", 12)
        for k, line in enumerate(lines):
            canvas.drawString(60, A4[1] - 80 - 20 * k, line)
        canvas.showPage()
    canvas.save()
    return path


def test_a_two_page_pdf_drops_its_running_header_and_rejoins_the_broken_sentence(tmp_path: Path) -> None:
    pdf = _two_page_pdf(
        tmp_path / "reply.pdf",
        "柘江市卫生健康委员会　政协提案办理答复",
        [
            "柘江市卫生健康委员会关于市政协五届二次会议第9号提案的答复",
            "柘卫函〔2025〕3号",
            "王五委员：",
            "您提出的《关于X的提案》收悉。现答复如下：",
            "全市已建成村卫生室210个，2024年新招聘乡村医生",
        ],
        ["48人，全部纳入乡镇卫生院管理。", "柘江市卫生健康委员会", "2025年7月3日"],
    )
    (doc,) = load_documents(pdf)
    assert doc.meta.agency == "柘江市卫生健康委员会" and doc.meta.proposal_no == "9"
    assert "乡村医生48人，全部纳入" in doc.text and "政协提案办理答复" not in doc.text


def test_a_two_page_bound_file_keeps_the_agency_line_that_tops_each_reply() -> None:
    page = (
        "柘江市卫生健康委员会\n关于市政协五届二次会议第{n}号提案的答复\n王五委员：\n已落实。\n"
        "柘江市卫生健康委员会\n2025年7月{n}日\n— {n} —"
    )
    text = clean_text("\n\f\n".join(page.format(n=n) for n in (1, 2)))
    assert text.split("\n").count("柘江市卫生健康委员会") == 4


@pytest.mark.parametrize(
    ("stated", "grade"),
    [
        ("所提问题已经解决或采纳", "A类"),
        ("正在解决或列入计划解决", "B类"),
        ("因条件限制需今后研究解决", "C类"),
        ("A类（已解决或采纳）", "A类"),
        ("留作参考", "C类"),
    ],
)
def test_a_reply_class_written_in_words_is_the_class_it_names(stated: str, grade: str) -> None:
    meta = one(
        f"关于市政协八届二次会议第9号提案的答复\n\n答复类别：{stated}\n\n龚**委员：\n\n您提出的《关于X的提案》收悉。\n"
    )
    assert meta.reply_class == grade


def test_a_fax_number_on_the_contact_line_is_not_the_phone() -> None:
    meta = one(
        "龚**委员：\n您提出的《关于X的提案》收悉。\n已落实。\n"
        "联系人：孔德兰　传真：0736-7751802　联系电话：0736-7751816\n"
    )
    assert meta.contacts == (("联系人", "孔德兰", "0736-7751816"),)
    both = one("龚**委员：\n已落实。\n联系人：孔德兰，电话/传真：0736-7751802\n")  # one number for both
    assert both.contacts == (("联系人", "孔德兰", "0736-7751802"),)


@pytest.mark.parametrize(
    ("printed", "phone"),
    [
        ("0736-7751816转3021", "0736-7751816转3021"),
        ("0766-8853021（分机8021）", "0766-8853021分机8021"),
        ("0766-8853021 分机 8021", "0766-8853021分机8021"),
    ],
)
def test_an_extension_stays_with_the_switchboard_number(printed: str, phone: str) -> None:
    meta = one(f"龚**委员：\n您提出的《关于X的提案》收悉。\n已落实。\n联系人：宁秀英　电话：{printed}\n")
    assert meta.contacts == (("联系人", "宁秀英", phone),)
    assert one(f"龚**委员：\n已落实。\n（联系人：宁秀英，电话：{printed}）\n").contacts == meta.contacts


def test_meeting_and_number_in_brackets_after_a_quoted_title() -> None:
    meta = one(
        "芸石县卫生健康局关于《关于加强县域医共体药品统一配送的提案》（县政协八届五次会议第72号）的答复\n"
        "尹**委员：\n您提出的提案收悉。\n"
    )
    assert (meta.meeting, meta.proposal_no, meta.kind) == ("县政协八届五次会议", "72", "政协提案")
    assert meta.title == "关于加强县域医共体药品统一配送的提案"
