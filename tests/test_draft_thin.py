"""Drafts where precedent is thin: each ask a section with what related replies say (sourced) and what to supply;
figures of another place or year as placeholders with the reference value; precedents ranked without metadata."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import SEEDS_DIR, ToyEmbedder

from qa.config import Settings
from qa.draft.compose import LOCAL_FIGURE, adapt_sentence, draft_reply, source_year
from qa.draft.precedent import answered_title, find_precedents, is_reply
from qa.draft.proposal import make_proposal
from qa.records import Chunk, DocMeta

JIANGXIA = Settings(agency_name="武汉市江夏区卫生健康局")
TUOYU = make_proposal(
    "关于扩大普惠托育服务供给的建议",
    "建议加大对幼儿园开设托班的补贴力度。建议摸清各社区托育机构分布，在没有托育点的社区优先布点。",
    proposers=["周敏"],
)


@pytest.fixture(scope="module")
def index_and_embedder(tmp_path_factory: pytest.TempPathFactory):
    from qa.index.build import build_index

    embedder = ToyEmbedder()
    index_dir = tmp_path_factory.mktemp("toy_index")
    build_index([SEEDS_DIR], index_dir, embedder)
    return index_dir, embedder


@pytest.fixture(scope="module")
def toy_retriever(index_and_embedder):
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    index_dir, embedder = index_and_embedder
    return Retriever(load_index(index_dir), embedder)


def test_an_ask_with_only_related_precedent_gets_what_it_says_and_what_to_add(toy_retriever) -> None:
    """A closely matching sentence is missing (no reply speaks of 兴趣课); the 中医药进校园 reply still says how."""
    proposal = make_proposal("关于在中小学开展中医药文化教育的提案", "建议在中小学开设中医药文化兴趣课。")
    draft = draft_reply(proposal, retriever=toy_retriever)
    [section] = draft.sections
    assert section.heading == "一、在中小学开设中医药文化兴趣课"
    *related, last = section.paragraphs
    assert related and all(section.sources[i] for i in range(len(related)))  # each related paragraph is sourced
    assert {c.meta.proposal_no for src in section.sources for c in src} == {"20240080"}
    assert "中医" in related[0]
    assert last.startswith("〔待填写：上段摘自相近答复") and "中医药文化兴趣课" in last and section.sources[-1] == []
    assert last in draft.placeholders


def test_every_ask_is_a_section_with_source_or_what_to_supply(toy_retriever) -> None:
    proposal = make_proposal(
        "关于加强托育服务的建议",
        "建议加大对幼儿园开设托班的补贴力度。建议组织航天育种科普夏令营。建议加强托育从业人员保健培训和持证上岗管理。",
    )
    draft = draft_reply(proposal, retriever=toy_retriever)
    assert len(draft.sections) == 3
    for section in draft.sections:
        for paragraph, sources in zip(section.paragraphs, section.sources, strict=True):
            assert sources or paragraph.startswith("〔待填写："), (section.heading, paragraph)
    assert draft.sections[1].paragraphs[-1].startswith("〔待填写：本单位在“组织航天育种科普夏令营”方面")


def test_figures_of_another_year_become_placeholders_with_the_reference_value() -> None:
    sentence = "2023年我区新增托位320个，覆盖率达到85%。"
    assert adapt_sentence(sentence, "武汉市江夏区卫生健康局", "江夏区") == (sentence, False)
    text, adapted = adapt_sentence(sentence, "武汉市江夏区卫生健康局", "江夏区", stale=True)
    assert adapted and "我区" in text and f"{LOCAL_FIGURE}320个〕" not in text  # 个 is not part of the figure
    assert f"{LOCAL_FIGURE}320〕" in text and f"{LOCAL_FIGURE}85%〕" in text
    assert adapt_sentence("我区持续推进托育服务。", "武汉市江夏区卫生健康局", "江夏区", stale=True) == (
        "我区持续推进托育服务。",
        False,
    )
    chunk = Chunk("c", "d", ("答复",), "墨卫函〔2023〕41号 区妇联：", DocMeta())
    assert source_year(chunk) == "2023"
    assert source_year(dataclasses.replace(chunk, text="于2022年6月30日印发")) == "2022"
    assert source_year(dataclasses.replace(chunk, meta=DocMeta(date="2024年5月1日"))) == "2024"


def test_a_draft_in_a_later_year_does_not_restate_old_figures(toy_retriever) -> None:
    same = draft_reply(TUOYU, retriever=toy_retriever, settings=JIANGXIA, year="2024")
    later = draft_reply(TUOYU, retriever=toy_retriever, settings=JIANGXIA, year="2026")
    own = [p for s in later.sections for p, src in zip(s.paragraphs, s.sources, strict=True)
           if src and all(source_year(c) == "2024" and "江夏" in c.meta.agency for c in src)]  # fmt: skip
    assert own, "the 江夏 托育 reply of 2024 should supply the draft"
    assert any(LOCAL_FIGURE in p for p in own)
    assert not any(LOCAL_FIGURE in p for s in same.sections for p, src in zip(s.paragraphs, s.sources, strict=True)
                   if src and all("江夏" in c.meta.agency for c in src))  # fmt: skip
    assert any("取自2024年的答复" in note and "请更新为最新数据" in note for note in later.placeholders)


def test_precedent_ranking_does_not_need_metadata(index_and_embedder) -> None:
    """The same index with every chunk's metadata emptied (kind, title, agency unread): the same reply comes first."""
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    index_dir, embedder = index_and_embedder
    full = Retriever(load_index(index_dir), embedder)
    bare_index = load_index(index_dir)
    bare_index.chunks[:] = [dataclasses.replace(c, meta=DocMeta(source=c.meta.source)) for c in bare_index.chunks]
    bare = Retriever(bare_index, embedder)
    for proposal in (TUOYU, make_proposal("关于推进中医药文化进校园的建议", "建议邀请中医专家进校园开展讲座。")):
        with_meta = [p.doc_id for p in find_precedents(proposal, retriever=full)]
        without = [p.doc_id for p in find_precedents(proposal, retriever=bare)]
        assert with_meta[0] == without[0], (with_meta, without)
        assert not without[0].startswith("004_")  # the plan is not a reply: it never comes first


def test_reply_and_its_title_are_read_from_the_text() -> None:
    heading = "湄溪区卫生健康局关于区八届人大二次会议第19号建议的答复（关于推进村卫生室标准化建设的建议）"
    chunk = Chunk("c", "d", (heading,), "一、基本情况", DocMeta())
    assert is_reply(DocMeta(), [chunk]) and answered_title(DocMeta(), [chunk]) == "关于推进村卫生室标准化建设的建议"
    ack = Chunk("c", "d", ("答复",), "林晓燕代表提出的《关于加快公共场所母婴室建设的建议》由贵会主办", DocMeta())
    assert answered_title(DocMeta(), [ack]) == "关于加快公共场所母婴室建设的建议"
    plan = Chunk(
        "c", "d", ("东西湖区“十四五”卫生健康事业发展规划", "第三章"), "到2025年，每千人口床位数达到6张。", DocMeta()
    )
    assert not is_reply(DocMeta(), [plan]) and answered_title(DocMeta(), [plan]) == ""
    assert (
        is_reply(DocMeta(kind="政协提案"), [plan])
        and answered_title(DocMeta(title="关于X的提案"), [plan]) == "关于X的提案"
    )
