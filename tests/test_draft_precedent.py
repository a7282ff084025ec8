"""qa.draft.precedent: title similarity, term rarity, precedent ranking and per-ask evidence on a handmade archive.

The retriever stage is played by Shelf: it ranks a fixed list of real Chunks by shared character bigrams, so each
test knows which passages a query brings up. The code under test runs unchanged.
"""

from __future__ import annotations

import pytest

from qa.draft.precedent import (
    Vocabulary,
    find_precedents,
    proposal_theme,
    select_evidence,
    themed_precedents,
    title_similarity,
)
from qa.draft.proposal import ProposalError, make_proposal
from qa.records import Chunk, DocMeta, Hit, Precedent
from qa.text import char_bigrams

TUOYU_REPLY = DocMeta(agency="武汉市江夏区卫生健康局", kind="政协提案", title="关于加强托育从业人员培训的提案")
PLAN = DocMeta(agency="东西湖区卫生健康局", kind="规划", heading="卫生健康事业发展规划")
YILIANTI_REPLY = DocMeta(agency="咸宁市卫生健康委员会", kind="人大建议", title="关于推进医联体建设的建议")


def chunk(cid: str, doc_id: str, meta: DocMeta, heading: str, text: str) -> Chunk:
    return Chunk(cid, doc_id, (meta.title or meta.heading, heading), text, meta)


ARCHIVE = [
    chunk("t1", "tuoyu", TUOYU_REPLY, "一、加强托育从业人员培训",
          "我区组织托育机构保健医共计21名参加了托育从业人员保健培训。托育从业人员培训由区妇幼保健院承担。"
          "你们提出的托育从业人员培训建议收悉，现答复如下："),
    chunk("t2", "tuoyu", TUOYU_REPLY, "二、下一步工作",
          "下一步将持续扩大托育从业人员培训规模，推行托育从业人员持证上岗。"
          "感谢您对托育从业人员培训工作的关心。"),
    chunk("t3", "tuoyu", TUOYU_REPLY, "三、存在的问题", "托育从业人员培训覆盖面仍然不足，持证上岗比例偏低。"),
    chunk("p1", "plan", PLAN, "（三）加强托育从业人员培训",
          "加强托育从业人员培训，加强托育从业人员培训，建立托育从业人员培训制度。"),
    chunk("y1", "yilianti", YILIANTI_REPLY, "一、推进医联体建设", "全市组建医联体12个，牵头医院向基层派驻专家。"),
]  # fmt: skip


class Shelf:
    """The retriever stage: `search(query, k, *, filters)` ranks the archive by bigrams shared with the query."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.index = self  # Vocabulary.of reads retriever.index.chunks
        self.filters: list[object] = []

    def search(self, query: str, k: int = 5, *, filters: object = None) -> list[Hit]:
        self.filters.append(filters)
        wanted = char_bigrams(query)
        scored = [(len(wanted & char_bigrams(c.indexed_text)), c) for c in self.chunks]
        ranked = sorted((s for s in scored if s[0]), key=lambda s: (-s[0], s[1].chunk_id))[:k]
        return [Hit(c, float(score), rank) for rank, (score, c) in enumerate(ranked, 1)]


PROPOSAL = make_proposal(
    "关于加强托育从业人员培训的建议",
    "托育从业人员流动大。建议加强托育从业人员培训。建议推行托育从业人员持证上岗。",
    proposers=["周敏"],
)


# --- titles and terms -----------------------------------------------------------------------------------------


def test_title_similarity_compares_what_titles_are_about() -> None:
    assert title_similarity("关于优化托育服务的提案", "《关于优化托育服务的建议》") == 1.0  # endings and quotes off
    same = title_similarity("关于加强托育从业人员培训的建议", "关于托育人员培训的提案")
    other = title_similarity("关于加强托育从业人员培训的建议", "关于推进医联体建设的建议")
    assert 0.0 <= other < same < 1.0
    pair = ("关于托育的建议", "关于医联体的建议")
    assert title_similarity(*pair) == title_similarity(*reversed(pair))


def test_vocabulary_rates_words_by_how_many_passages_hold_them() -> None:
    vocabulary = Vocabulary(["托育机构补贴", "托育从业人员培训", "医联体建设", "家庭医生签约"], max_share=0.3)
    assert vocabulary.share("托育") == 0.5 and vocabulary.share("医联体") == 0.25 and vocabulary.share("疫苗") == 0.0
    assert vocabulary.weight("疫苗") > vocabulary.weight("医联体") > vocabulary.weight("托育")
    terms = vocabulary.terms("加强托育工作，推进医联体建设")
    assert "医联体" in terms and "托育" not in terms  # 托育 is in half the passages: it names no topic here
    assert not {"加强", "推进", "工作"} & set(terms)  # ask verbs and generic words never count
    assert vocabulary.terms("加强托育工作") == ["托育"]  # with no specific word, the rarest content word
    for share in (0, 1.5):
        with pytest.raises(ValueError, match="max_share"):
            Vocabulary([], max_share=share)


def test_proposal_theme_is_the_titles_words_and_those_the_body_repeats() -> None:
    topics = ["托育机构补贴", "医联体建设", "家庭医生签约", "疫苗接种", "中医药文化", "慢病管理", "精神卫生"]
    theme = proposal_theme(PROPOSAL, Vocabulary(topics))
    assert {"托育", "培训"} <= set(theme)
    assert "持证" not in theme  # said once in the body: one ask's word, not the proposal's theme
    crowded = proposal_theme(PROPOSAL, Vocabulary(["托育"] * 9 + ["医联体"]))
    assert "培训" in crowded and "托育" not in crowded  # a word nine passages in ten hold names no topic
    assert Vocabulary.of(object()).texts == []  # a retriever without an index gives an empty vocabulary


# --- precedents -----------------------------------------------------------------------------------------------


def test_replies_rank_before_the_plan_and_keep_their_best_passages() -> None:
    shelf = Shelf(ARCHIVE)
    precedents = find_precedents(PROPOSAL, retriever=shelf, k=3, filters="江夏")
    assert [p.doc_id for p in precedents] == ["tuoyu", "yilianti", "plan"]  # a reply, even a weak one, comes first
    assert precedents[0].score > precedents[1].score
    matched = precedents[0].matched_passages
    assert 1 <= len(matched) <= 3 and {c.doc_id for c in matched} == {"tuoyu"}
    assert set(shelf.filters) == {"江夏"}  # every search is restricted as asked
    assert [p.doc_id for p in find_precedents(PROPOSAL, retriever=shelf, k=1)] == ["tuoyu"]
    with pytest.raises(ProposalError, match="k 应大于 0"):
        find_precedents(PROPOSAL, retriever=shelf, k=0)


def test_themed_precedents_are_those_close_to_the_best() -> None:
    def precedent(doc_id: str, score: float) -> Precedent:
        return Precedent(doc_id, TUOYU_REPLY, score, ())

    ranked = [precedent("a", 3.8), precedent("b", 2.0), precedent("c", 0.6), precedent("d", 3.7)]
    assert themed_precedents(ranked) == ["a", "b"]  # c shares words, not the topic; d is past the top 3
    assert themed_precedents(ranked, top=4, ratio=0.9) == ["a", "d"]
    assert themed_precedents([]) == [] and themed_precedents([precedent("z", 0.0)]) == []


# --- evidence for one ask -------------------------------------------------------------------------------------


def test_evidence_is_whole_factual_sentences_in_reading_order() -> None:
    used: set[str] = set()
    ask = "加强托育从业人员培训"
    evidence = select_evidence(ask, retriever=Shelf(ARCHIVE), preferred=["tuoyu"], used=used)
    texts = [e.text for e in evidence]
    assert texts and all(t.endswith(("。", "；")) and len(t) >= 12 for t in texts)
    assert not any("收悉" in t or "感谢" in t for t in texts)  # the reply's frame is not a fact
    assert not any("不足" in t for t in texts)  # passages under 存在的问题 state shortcomings
    assert any(t.startswith("下一步将") for t in texts)  # every section says what will be done
    assert len(texts) <= 4  # max_sentences
    order = [(e.chunk.chunk_id, e.position) for e in evidence]
    assert order == sorted(order, key=lambda o: ([c for c, _ in order].index(o[0]), o[1]))
    assert used == set(texts)
    again = select_evidence(ask, retriever=Shelf(ARCHIVE), preferred=["tuoyu"], used=used)
    assert not {e.text for e in again} & set(texts)  # a sentence serves one section only


def test_evidence_must_be_about_the_proposals_theme() -> None:
    shelf = Shelf(ARCHIVE)
    vocabulary = Vocabulary.of(shelf)
    on_theme = select_evidence(
        "向基层派驻专家", retriever=shelf, theme=["托育"], vocabulary=vocabulary, preferred=["tuoyu"]
    )
    assert on_theme == []  # the 医联体 reply answers the words of the ask, not a 托育 proposal
    anywhere = select_evidence("向基层派驻专家", retriever=shelf, vocabulary=vocabulary)
    assert [e.chunk.chunk_id for e in anywhere] == ["y1"]
