"""Drafting a reply from precedent: proposal input, precedent ranking, official format, grounding, export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, ToyEmbedder
from docx import Document as open_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from qa.config import Settings
from qa.draft.compose import adapt_sentence, draft_reply, render_markdown, write_draft
from qa.draft.docx import docx_text, write_docx
from qa.draft.precedent import find_precedents, title_similarity
from qa.draft.profile import home_place
from qa.draft.proposal import ProposalError, group_asks, make_proposal, normalize_kind, split_asks
from qa.draft.sources import draft_sources
from qa.errors import GeneratorError

TUOYU = make_proposal(
    "关于扩大普惠托育服务供给的建议",
    "当前双职工家庭普遍反映3岁以下婴幼儿无人照看。建议加大对幼儿园开设托班的补贴力度，控制普惠托育价格。"
    "建议摸清各社区托育机构分布，在没有托育点的社区优先布点。建议加强托育从业人员保健培训和持证上岗管理。"
    "建议在托育机构安装监控并纳入日常安全巡查。",
    proposers=["周敏、李华"],
    kind="区政协提案",
)
ZHONGYI_SCHOOL = make_proposal(
    "关于在中小学开展中医药文化教育的建议",
    "建议在中小学开设中医药文化兴趣课，组织学生诵读中医经典。建议有条件的学校建设中药材种植园，建立青少年中医药"
    "文化教育基地。建议定期邀请中医专家进校园开展养生保健讲座。",
    proposers=["黄立"],
)
YILIANTI = make_proposal(
    "关于完善医联体建设、推动优质医疗资源下沉基层的建议",
    "建议医联体牵头医院向社区卫生服务中心和乡镇卫生院派驻专家，常态化坐诊、查房、带教。建议完善双向转诊机制。"
    "建议建设远程影像、远程心电诊断中心，实现基层检查、上级诊断。",
    proposers=["许丽"],
    kind="人大建议",
)
GUOYITANG = make_proposal(
    "关于发挥中医药特色优势的建议",
    "建议所有社区卫生服务中心建设国医堂，推广针灸、推拿等中医适宜技术。建议与省中医院组建中医医联体，引进中医专家坐诊。",
    proposers=["郑华"],
    kind="人大",
)
PROFILE = Settings(
    agency_name="武汉市江夏区卫生健康局",
    agency_leader="王明",
    agency_leader_phone="87950000",
    agency_handler="张红",
    agency_handler_phone="87951111",
)
PLACEHOLDER = re.compile(r"〔[^〔〕]*〕")


def numbers(text: str) -> set[str]:
    """Numbers asserted outside placeholders, compared as values (068 == 68): the test's own reference parser."""
    return {n.lstrip("0") or "0" for n in re.findall(r"\d+(?:\.\d+)?", PLACEHOLDER.sub("", text))}


@pytest.fixture(scope="module")
def toy_retriever(tmp_path_factory: pytest.TempPathFactory):
    """The real seeds parsed, split and BM25-indexed, with the toy embedder for speed."""
    from qa.index.build import build_index
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    embedder = ToyEmbedder()
    index_dir = tmp_path_factory.mktemp("toy_index")
    report = build_index([SEEDS_DIR], index_dir, embedder)
    assert not report.errors, report.errors
    return Retriever(load_index(index_dir), embedder)


# --- input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("区政协提案", "政协提案"),
        ("市人大代表建议", "人大建议"),
        ("提案", "政协提案"),
        ("建议", "人大建议"),
        ("人大", "人大建议"),
        ("政协", "政协提案"),
        ("政协提案", "政协提案"),
    ],
)
def test_normalize_kind_accepts_what_users_type(typed: str, kind: str) -> None:
    assert normalize_kind(typed) == kind


def test_bad_input_names_the_value() -> None:
    with pytest.raises(ProposalError, match="议案书"):
        normalize_kind("议案书")
    with pytest.raises(ProposalError, match="标题"):
        make_proposal("", "  ")


def test_make_proposal_cleans_title_names_and_number() -> None:
    p = make_proposal("《关于优化托育的提案》", "正文", proposers=["汤英、宗小青", "王瑜"], number="第 20240181 号")
    assert (p.title, p.proposers, p.number, p.kind) == (
        "关于优化托育的提案",
        ("汤英", "宗小青", "王瑜"),
        "20240181",
        "政协提案",
    )


def test_split_asks_finds_each_request_in_order() -> None:
    p = make_proposal(
        "关于托育的建议", "托位不足。建议：一是增设普惠托育点；二是加强从业人员培训。另外希望开展安全巡查。"
    )
    assert split_asks(p) == ["增设普惠托育点", "加强从业人员培训", "开展安全巡查"]
    listed = make_proposal(
        "关于心理健康的建议", "对此群众十分关注。建议：\n1. 我区应当在各街道设立心理咨询室\n2. 开通心理热线"
    )
    assert split_asks(listed) == ["在各街道设立心理咨询室", "开通心理热线"]
    assert split_asks(make_proposal("关于推进中医药文化进校园的提案", "中医药很重要。")) == ["推进中医药文化进校园"]


def test_title_similarity_prefers_the_same_topic() -> None:
    same = title_similarity("关于优化区域托育机构布局的建议", "关于优化区域幼儿托育机构")
    other = title_similarity("关于优化区域托育机构布局的建议", "关于后疫情时代失业人员的心理健康干预的建议")
    assert 0 <= other < same <= 1


def test_adapt_sentence_rewrites_another_districts_facts() -> None:
    sentence = "江汉区目前已有12家社区卫生服务中心完成国医堂建设，江汉区人民医院牵头。"
    text, adapted = adapt_sentence(sentence, "武汉市江汉区卫生健康局", "江夏区")
    assert adapted and text.startswith("我区目前已有〔待核实：")
    assert "江汉区人民医院" in text and numbers(text) == set()  # an institution's name stays; figures await checking
    assert adapt_sentence(sentence, "武汉市江夏区卫生健康局", "江夏区") == (sentence, False)
    quoted, _ = adapt_sentence(
        "咸宁市今年1月至6月印发《咸宁市2024年互认通知》，推行“1+4”模式。", "咸宁市卫生健康委员会", "江夏区"
    )
    assert quoted == "我区今年〔待核实：本地数据，参考值1月至6月〕印发《咸宁市2024年互认通知》，推行“1+4”模式。"
    assert home_place("咸宁市卫生健康委员会") == "咸宁市"


# --- the draft on the real seeds (toy embedder) ----------------------------------------------------------------


def test_draft_has_the_official_format(toy_retriever) -> None:
    draft = draft_reply(TUOYU, retriever=toy_retriever)
    lines = [line for line in draft.text.split("\n") if line]
    assert lines[0] == "〔待填写：单位名称〕"
    assert lines[1] == "对〔待填写：会议〕第〔待填写：编号〕号提案的答复"
    assert lines[2] == "周敏、李华委员："
    assert lines[3].startswith("你们提出的《关于扩大普惠托育服务供给的建议》收悉") and lines[3].endswith("现答复如下：")
    headings = [line for line in lines if re.match(r"^[一二三四五六七八九十]+、", line)]
    assert headings == [s.heading for s in draft.sections] and len(headings) == len(split_asks(TUOYU)) == 4
    assert [h[0] for h in headings] == list("一二三四")
    assert any(line.startswith("再次感谢") for line in lines)
    assert "主管领导姓名 〔待填写：主管领导〕 联系电话 〔待填写：主管领导电话〕" in lines
    assert "经办人姓名 〔待填写：经办人〕 联系电话 〔待填写：经办人电话〕" in lines
    assert lines[-2:] == ["抄送：区政协提案委（1份）", "区政府办公室（1份）"]
    assert {"〔待填写：单位名称〕", "〔待填写：经办人〕"} <= set(draft.placeholders)
    assert "〔依据" not in draft.text  # the official body carries no markers


STRUCTURED = make_proposal(
    "关于提升托育服务水平的建议",
    "一、存在的问题\n我区托位不足，从业人员素质不高。\n二、加强托育人才队伍建设\n建议扩大托育从业人员保健培训规模；"
    "建议推行持证上岗。\n三、增加普惠托位供给\n建议在人口密集社区增设托育点。\n四、几点建议\n"
    "1. 加强托育机构安全监管\n2. 为托育机构安装监控摄像头",
)


def test_group_asks_follows_the_proposals_own_headings() -> None:
    assert group_asks(STRUCTURED) == [
        ("加强托育人才队伍建设", ["扩大托育从业人员保健培训规模", "推行持证上岗"]),
        ("增加普惠托位供给", ["在人口密集社区增设托育点"]),
        ("加强托育机构安全监管", []),
        ("为托育机构安装监控摄像头", []),
    ]
    assert group_asks(TUOYU) == [(ask, []) for ask in split_asks(TUOYU)]


def test_sub_asks_become_numbered_subsections(toy_retriever, tmp_path: Path) -> None:
    draft = draft_reply(STRUCTURED, retriever=toy_retriever)
    headings = [s.heading for s in draft.sections]
    assert headings == [
        "一、加强托育人才队伍建设",
        "（一）扩大托育从业人员保健培训规模",
        "（二）推行持证上岗",
        "二、增加普惠托位供给",
        "三、加强托育机构安全监管",
        "四、为托育机构安装监控摄像头",
    ]
    assert draft.sections[0].paragraphs == [] and all(s.paragraphs for s in draft.sections[1:])
    lines = [line for line in draft.text.split("\n") if line]
    assert lines.index("（一）扩大托育从业人员保健培训规模") == lines.index("一、加强托育人才队伍建设") + 1
    paragraphs = open_docx(str(write_docx(draft, tmp_path / "d.docx"))).paragraphs
    sub = next(p for p in paragraphs if p.text == "（二）推行持证上岗")
    assert sub.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"


def test_profile_and_npc_kind_fill_the_frame(toy_retriever) -> None:
    proposal = make_proposal(YILIANTI.title, YILIANTI.body, proposers=["许丽", "陈刚"], kind="市人大代表建议",
                             meeting="区十届人大四次会议", number="12")  # fmt: skip
    draft = draft_reply(proposal, retriever=toy_retriever, settings=PROFILE)
    lines = [line for line in draft.text.split("\n") if line]
    assert lines[:3] == ["武汉市江夏区卫生健康局", "对区十届人大四次会议第12号建议的答复", "许丽、陈刚代表："]
    assert "主管领导姓名 王明 联系电话 87950000" in lines and "经办人姓名 张红 联系电话 87951111" in lines
    assert lines[-2] == "抄送：区人大代表工委（1份）"
    assert not [p for p in draft.placeholders if p.startswith("〔待填写")]
    city = make_proposal(YILIANTI.title, YILIANTI.body, proposers=["许国欣"], kind="建议", meeting="市六届人大三次会议")
    lines = [line for line in draft_reply(city, retriever=toy_retriever).text.split("\n") if line]
    assert lines[2] == "许国欣代表：" and lines[-2:] == ["抄送：市人大常委会代工委（1份）", "市政府办公室（1份）"]
    # With no meeting typed, the 市 of "市人大代表建议" still picks the city committees.
    typed = make_proposal(YILIANTI.title, YILIANTI.body, proposers=["许国欣"], kind="市人大代表建议")
    lines = [line for line in draft_reply(typed, retriever=toy_retriever, settings=PROFILE).text.split("\n") if line]
    assert lines[-2:] == ["抄送：市人大常委会代工委（1份）", "市政府办公室（1份）"]


def test_every_number_is_in_a_cited_passage(toy_retriever) -> None:
    """Parse the Markdown view: each paragraph's 〔依据n〕 → passages; its numbers must occur in them."""
    for proposal in (TUOYU, YILIANTI, GUOYITANG):
        draft = draft_reply(proposal, retriever=toy_retriever, settings=PROFILE)
        sources = draft_sources(draft)
        body = render_markdown(draft).split("\n---\n")[0]
        start = body.index("现答复如下：") + len("现答复如下：")
        end = body.index("再次感谢")
        marked = 0
        for paragraph in [p for p in body[start:end].split("\n\n") if p.strip()]:
            mark = re.search(r"〔依据([\d,]+)〕$", paragraph)
            if re.match(r"^[一二三四五六七八九十]+、", paragraph) and not mark:
                continue  # a heading, taken from the proposal's own ask
            if mark is None:
                assert numbers(paragraph) == set(), paragraph  # an unsourced paragraph may only hold placeholders
                continue
            marked += 1
            cited = " ".join(sources[int(n) - 1].text for n in mark.group(1).split(","))
            assert numbers(paragraph[: mark.start()]) <= numbers(cited), paragraph
        assert marked >= len(draft.sections) - 1
        assert draft.unsupported == []


def test_another_agencys_facts_are_adapted_and_flagged(toy_retriever) -> None:
    draft = draft_reply(GUOYITANG, retriever=toy_retriever, settings=PROFILE)
    foreign = [
        paragraph
        for section in draft.sections
        for paragraph, chunks in zip(section.paragraphs, section.sources, strict=True)
        if chunks and all(home_place(c.meta.agency) != "江夏区" for c in chunks)
    ]
    assert foreign, "the 国医堂 proposal should draw on the 江汉 reply"
    for paragraph in foreign:
        assert numbers(paragraph) == set()
        assert not re.search(r"江汉区(?!人民医院|卫生健康局)", paragraph)
    assert any("借鉴" in p and "请按本单位实际改写" in p for p in draft.placeholders)


def test_an_ask_no_precedent_covers_gets_a_placeholder(toy_retriever) -> None:
    # The title names both topics: a passage must be about the proposal's theme as well as its ask.
    proposal = make_proposal(
        "关于航天育种科普和托育人员培训的建议",
        "建议组织航天育种科普夏令营。建议加强托育从业人员保健培训和持证上岗管理。",
    )
    draft = draft_reply(proposal, retriever=toy_retriever)
    first, second = draft.sections
    missing = "〔待填写：本单位在“组织航天育种科普夏令营”方面已开展的工作、取得的成效（数据）和下一步安排〕"
    assert first.paragraphs == [missing] and first.sources == [[]]  # says what the drafter must supply
    assert second.sources[0] and missing in draft.placeholders


PUHUI = make_proposal(
    "关于加快发展普惠托育服务的建议",
    "建议增加普惠性托位供给，支持幼儿园开设托班。加强托育从业人员培训。对托育机构给予运营补贴。",
    proposers=["王芳"],
    kind="区政协提案",
)


def test_every_ask_gets_a_section_even_without_a_verb_first() -> None:
    """对托育机构给予运营补贴 opens with its target, not its verb: it is still a request with its own section."""
    asks = ["增加普惠性托位供给，支持幼儿园开设托班", "加强托育从业人员培训", "对托育机构给予运营补贴"]
    assert split_asks(PUHUI) == asks
    body = "我区心理咨询需求大。建议为中小学生提供心理辅导。在各街道设立心理咨询室。"
    other = make_proposal("关于心理健康的建议", body)
    assert split_asks(other) == ["为中小学生提供心理辅导", "在各街道设立心理咨询室"]
    assert split_asks(make_proposal("关于托育的建议", "对此群众十分关注。在我区，托位不足。")) == ["托育"]
    # a shortcoming that opens with a target and a verb is not a request
    shortcoming = make_proposal("关于分级诊疗的建议", "建议如下。在推进分级诊疗过程中基层能力不足。为基层配备设备。")
    assert split_asks(shortcoming) == ["为基层配备设备"]


def test_each_ask_has_a_section_placeholdered_when_unsupported(toy_retriever) -> None:
    draft = draft_reply(PUHUI, retriever=toy_retriever)
    headings = [s.heading for s in draft.sections]
    assert headings == [
        "一、增加普惠性托位供给，支持幼儿园开设托班",
        "二、加强托育从业人员培训",
        "三、对托育机构给予运营补贴",
    ]
    lines = [line for line in draft.text.split("\n") if line]
    assert all(h in lines for h in headings)
    assert all(s.paragraphs for s in draft.sections)  # supported or 〔待核实：…〕, never missing


def test_supporting_paragraphs_are_on_the_proposals_topic(toy_retriever) -> None:
    """Each sourced paragraph holds one of the proposal's theme terms, in itself or its passage's headings/title.

    Before, 二、加强托育从业人员培训 took 武昌's 冷链从业人员 monitoring and a hospital 人才培训 paragraph.
    """
    draft = draft_reply(PUHUI, retriever=toy_retriever)
    theme = ("托育", "托位", "幼儿", "托班", "普惠")
    sourced = 0
    for section in draft.sections:
        for paragraph, chunks in zip(section.paragraphs, section.sources, strict=True):
            if not chunks:
                continue
            sourced += 1
            context = paragraph + " ".join(h for c in chunks for h in (*c.breadcrumb, c.meta.title))
            assert any(t in context for t in theme), (section.heading, paragraph)
            assert "冷链" not in paragraph and "医疗机构" not in paragraph, paragraph
    assert sourced >= 2
    training = draft.sections[1]
    assert training.sources[0] and "托育" in training.paragraphs[0]


def test_precedents_put_replies_before_the_plan(toy_retriever) -> None:
    precedents = find_precedents(GUOYITANG, retriever=toy_retriever, k=12)
    kinds = [p.meta.kind for p in precedents]
    assert "规划" in kinds and kinds.index("规划") > max(i for i, k in enumerate(kinds) if k != "规划" and k != "其他")
    assert all(p.matched_passages for p in precedents)
    with pytest.raises(ProposalError, match="k 应大于 0"):
        find_precedents(GUOYITANG, retriever=toy_retriever, k=0)


# --- export ---------------------------------------------------------------------------------------------------


def test_docx_holds_the_same_text_in_official_layout(toy_retriever, tmp_path: Path) -> None:
    draft = draft_reply(TUOYU, retriever=toy_retriever, settings=PROFILE)
    path = write_docx(draft, tmp_path / "答复.docx")
    assert docx_text(path) == [line for line in draft.text.split("\n") if line]
    paragraphs = open_docx(str(path)).paragraphs
    title = next(p for p in paragraphs if p.text.endswith("号提案的答复"))
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    body = next(p for p in paragraphs if p.text.startswith("你们提出的"))
    fonts = body.runs[0]._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    heading = next(p for p in paragraphs if p.text.startswith("一、"))
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert any(p.text.startswith("附：起草依据") for p in paragraphs)  # sources follow on their own page


def test_write_draft_by_suffix(toy_retriever, tmp_path: Path) -> None:
    draft = draft_reply(ZHONGYI_SCHOOL, retriever=toy_retriever)
    md = write_draft(draft, tmp_path / "d.md").read_text(encoding="utf-8")
    assert "〔依据1" in md and "依据（正式行文前删除本节）" in md and "\n1. " in md
    assert write_draft(draft, tmp_path / "d.txt").read_text(encoding="utf-8") == draft.text + "\n"


# --- the LLM path ---------------------------------------------------------------------------------------------


class ScriptedGenerator:
    """A Generator (qa.answer.generate) whose reply is fixed: it stands for the endpoint, not for the drafter."""

    name = "scripted"

    def __init__(self, reply: str | None) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def generate(self, question: str, _sources: list) -> str:
        self.prompts.append(question)
        if self.reply is None:
            raise GeneratorError("大模型服务 http://127.0.0.1:9/v1 无法连接，请确认服务已启动")
        return self.reply

    def stream(self, question: str, sources: list):
        yield self.generate(question, sources)


def test_llm_draft_is_checked_for_invented_figures(toy_retriever) -> None:
    reply = (
        "一、加大托育补贴力度\n"
        "通过给予增设托育班的幼儿园每个托位一次性补助2000元的方式，鼓励幼儿园增设托育班。〔依据1〕\n"
        "二、增设社区托育点\n"
        "今年全区新增托位9999个。〔依据1〕\n"
    )
    generator = ScriptedGenerator(reply)
    draft = draft_reply(TUOYU, retriever=toy_retriever, generator=generator, settings=PROFILE)
    assert draft.backend == "scripted"
    assert "建议加强托育从业人员保健培训" in generator.prompts[0] or "加强托育从业人员保健培训" in generator.prompts[0]
    assert [s.heading for s in draft.sections] == ["一、加大托育补贴力度", "二、增设社区托育点"]
    assert draft.unsupported == ["今年全区新增托位9999个。"]
    assert "〔依据" not in draft.text and "9999" in draft.text


def test_llm_failure_falls_back_to_the_offline_draft(toy_retriever) -> None:
    draft = draft_reply(TUOYU, retriever=toy_retriever, generator=ScriptedGenerator(None), settings=PROFILE)
    assert len(draft.sections) == 4 and draft.sections[0].sources[0]
    assert any("LLM 不可用" in p for p in draft.placeholders)


def test_openai_endpoint_gets_the_draft_prompt(toy_retriever, chat_server, refused_url: str) -> None:
    """The real OpenAIGenerator over HTTP: the draft prompt (not the Q&A prompt) goes out, figures come back checked."""
    from qa.answer.generate import OpenAIGenerator

    chat_server.reply = (
        "一、加强托育从业人员培训\n我区组织托育机构保健医共计21名参加了培训。〔依据1〕\n另有888名保育员持证。〔依据1〕"
    )
    draft = draft_reply(TUOYU, retriever=toy_retriever, generator=OpenAIGenerator(chat_server.base_url, "m", timeout=5))
    (request,) = chat_server.requests
    (message,) = request["messages"]
    assert "参考材料" in message["content"] and "关于扩大普惠托育服务供给的建议" in message["content"]
    assert draft.backend == "openai:m" and draft.sections[0].heading == "一、加强托育从业人员培训"
    cited = draft.sections[0].sources[0][0].text
    assert "另有888名保育员持证。" in draft.unsupported
    assert ("我区组织托育机构保健医共计21名参加了培训。" in draft.unsupported) == ("21" not in cited)
    fallback = draft_reply(TUOYU, retriever=toy_retriever, generator=OpenAIGenerator(refused_url, "m", timeout=2))
    assert fallback.backend == "extractive" and any("LLM 不可用" in p for p in fallback.placeholders)


# --- the real embedder: precedent ranking and the CLI -----------------------------------------------------------


@pytest.mark.slow
def test_precedents_on_the_real_index(seeds_retriever) -> None:
    top = find_precedents(TUOYU, retriever=seeds_retriever)[0]
    assert (top.doc_id, top.meta.proposal_no) == ("000_ecc1ee3b3577c818.txt#5", "20240181")
    assert find_precedents(ZHONGYI_SCHOOL, retriever=seeds_retriever)[0].meta.proposal_no == "20240080"
    top3 = {p.doc_id for p in find_precedents(YILIANTI, retriever=seeds_retriever)[:3]}
    yiliangti_replies = {
        "001_884f6c705b95b4c7.txt",
        "002_1f72599712e05cfe.txt",
        "000_ecc1ee3b3577c818.txt#2",
        "000_ecc1ee3b3577c818.txt#7",
        "000_ecc1ee3b3577c818.txt#8",
    }
    assert len(top3 & yiliangti_replies) >= 2, top3


@pytest.mark.slow
def test_cli_draft_json_and_docx(seeds_index: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from qa.cli import main

    monkeypatch.setenv("QA_INDEX_DIR", str(seeds_index))
    monkeypatch.delenv("QA_LLM_BASE_URL", raising=False)
    args = ["draft", "--title", TUOYU.title, "--proposer", "周敏", "--kind", "提案", "--body", TUOYU.body]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"draft", "sections", "precedents", "placeholders", "unsupported"} <= set(data)
    assert data["precedents"][0]["proposal_no"] == "20240181" and data["precedents"][0]["matched_passages"]
    assert data["draft"].startswith("〔待填写：单位名称〕") and data["unsupported"] == []
    out = tmp_path / "draft.docx"
    assert main([*args, "--out", str(out)]) == 0
    assert docx_text(out)[2] == "周敏委员："
    assert main(["draft", "--title", "x", "--kind", "议案书"]) == 1
    assert "议案书" in capsys.readouterr().err
