"""qa.draft.llm: the prompt, the sections parsed from a model's text, and the endpoint's failures as a result field.

The endpoint is either a scripted Generator (a fixed reply or a fixed failure) or the real OpenAIGenerator talking
HTTP to the local OpenAI-compatible server of conftest.ChatServer; the drafting code itself runs unchanged.
"""

from __future__ import annotations

import pytest
from conftest import SEEDS_DIR, ToyEmbedder

from qa.answer.generate import OpenAIGenerator
from qa.config import Settings
from qa.draft.llm import MAX_SOURCES, LLMDraft, build_prompt, gather_sources, llm_sections, parse_sections
from qa.draft.precedent import Vocabulary, find_precedents, proposal_theme
from qa.draft.profile import Profile
from qa.draft.proposal import group_asks, leaf_asks, make_proposal
from qa.errors import GeneratorError
from qa.records import Chunk, DocMeta, DraftSection

TUOYU = make_proposal(
    "关于扩大普惠托育服务供给的建议",
    "建议加大对幼儿园开设托班的补贴力度。建议加强托育从业人员保健培训和持证上岗管理。",
    proposers=["周敏"],
    kind="区政协提案",
)
META = DocMeta(agency="武汉市江夏区卫生健康局", title="关于优化区域幼儿托育机构", source="000.txt")
ONE = Chunk("c1", "000.txt#5", ("答复", "一、培训"), "组织保健医21名参加培训。", META)
TWO = Chunk("c2", "000.txt#5", ("答复", "二、补贴"), "每个托位补助2000元。", META)


class ScriptedGenerator:
    """A Generator whose endpoint answers with a fixed reply or fails with a fixed error; records each prompt."""

    name = "scripted"

    def __init__(self, reply: str = "", error: Exception | None = None) -> None:
        self.reply, self.error = reply, error
        self.prompts: list[str] = []

    def generate(self, question: str, _sources: list) -> str:
        self.prompts.append(question)
        if self.error is not None:
            raise self.error
        return self.reply

    def stream(self, question: str, sources: list):
        yield self.generate(question, sources)


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The real seeds indexed with the toy embedder, and what draft_reply hands to llm_sections for TUOYU."""
    from qa.index.build import build_index
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    embedder = ToyEmbedder()
    index_dir = tmp_path_factory.mktemp("llm_index")
    assert not build_index([SEEDS_DIR], index_dir, embedder).errors
    retriever = Retriever(load_index(index_dir), embedder)
    precedents = find_precedents(TUOYU, retriever=retriever)
    return {
        "retriever": retriever,
        "precedents": precedents,
        "profile": Profile.from_settings(Settings(agency_name="武汉市江夏区卫生健康局"), precedents),
        "theme": proposal_theme(TUOYU, Vocabulary.of(retriever)),
    }


def draft(setting: dict, generator: object) -> LLMDraft:
    return llm_sections(TUOYU, group_asks(TUOYU), generator=generator, **setting)


# --- parsing the model's text ---------------------------------------------------------------------------------


def test_parse_sections_splits_at_headings_and_maps_markers_to_sources() -> None:
    text = (
        "前言一句。〔依据2〕\n"
        "**一、加强托育从业人员培训**\n"
        "组织保健医21名参加培训。〔依据1〕\n"
        "\n"
        "（一）持证上岗\n"
        "两处都有。〔依据1，2〕\n"
        "编号越界。〔依据7〕\n"
        "二、加大补贴\n"
    )
    assert parse_sections(text, [ONE, TWO]) == [
        DraftSection("", ["前言一句。"], [[TWO]]),  # text before the first heading keeps no heading
        DraftSection("一、加强托育从业人员培训", ["组织保健医21名参加培训。"], [[ONE]]),
        DraftSection("（一）持证上岗", ["两处都有。", "编号越界。"], [[ONE, TWO], []]),  # 依据7 names no source
        DraftSection("二、加大补贴", [], []),
    ]
    assert parse_sections("", [ONE]) == []


def test_a_heading_line_with_a_marker_is_a_paragraph() -> None:
    (section,) = parse_sections("一、组织保健医21名参加培训〔依据1〕", [ONE])
    assert (section.heading, section.paragraphs, section.sources) == ("", ["一、组织保健医21名参加培训"], [[ONE]])


# --- the prompt -----------------------------------------------------------------------------------------------


def test_prompt_holds_the_proposal_its_asks_and_the_numbered_passages(setting: dict) -> None:
    asks = leaf_asks(group_asks(TUOYU))
    prompt = build_prompt(TUOYU, asks, [ONE, TWO], setting["profile"])
    assert "本单位：武汉市江夏区卫生健康局" in prompt and "（与本单位“江夏区”不同）" in prompt
    assert f"提案标题：{TUOYU.title}" in prompt and TUOYU.body in prompt
    assert "\n".join(f"{i}. {a}" for i, a in enumerate(asks, 1)) in prompt
    assert prompt.index("[1]") < prompt.index("组织保健医21名参加培训") < prompt.index("[2]") < prompt.index("2000元")
    assert "{" not in prompt  # every slot of qa/prompts/draft_llm.txt is filled


def test_gathered_sources_are_unique_and_bounded(setting: dict) -> None:
    asks = leaf_asks(group_asks(TUOYU))
    sources = gather_sources(
        asks, retriever=setting["retriever"], precedents=setting["precedents"], filters=None, theme=setting["theme"]
    )
    ids = [c.chunk_id for c in sources]
    assert 0 < len(ids) <= MAX_SOURCES and len(set(ids)) == len(ids)
    top = setting["precedents"][0].matched_passages[0]
    assert top.chunk_id in ids or len(ids) == MAX_SOURCES  # the best precedent's passage is offered when room is left


# --- the endpoint ---------------------------------------------------------------------------------------------


def test_a_reply_becomes_sections_and_the_prompt_is_the_question(setting: dict) -> None:
    generator = ScriptedGenerator("一、加强培训\n组织保健医21名参加培训。〔依据1〕")
    result = draft(setting, generator)
    assert result.failure == ""
    assert [s.heading for s in result.sections] == ["一、加强培训"]
    assert result.sections[0].paragraphs == ["组织保健医21名参加培训。"] and len(result.sections[0].sources[0]) == 1
    (prompt,) = generator.prompts
    assert prompt.startswith("你是卫生健康行政部门的公文起草人员") and TUOYU.title in prompt


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (
            GeneratorError("大模型服务 http://127.0.0.1:9/v1 无法连接，请确认服务已启动"),
            "大模型服务 http://127.0.0.1:9/v1",
        ),
        (ConnectionResetError("peer closed"), "ConnectionResetError: peer closed"),
    ],
)
def test_an_endpoint_failure_is_a_result_field_not_text(setting: dict, error: Exception, failure: str) -> None:
    result = draft(setting, ScriptedGenerator(error=error))
    assert result.sections == [] and result.failure.startswith(failure)


def test_without_a_theme_the_proposals_own_is_used(setting: dict) -> None:
    given = ScriptedGenerator("一、加强培训\n组织保健医21名参加培训。〔依据1〕")
    draft(setting, given)
    own = ScriptedGenerator(given.reply)
    llm_sections(TUOYU, group_asks(TUOYU), generator=own, **{**setting, "theme": None})
    assert own.prompts == given.prompts  # the same passages offered: setting["theme"] is proposal_theme's


def test_an_empty_reply_is_an_error_the_user_sees(setting: dict) -> None:
    with pytest.raises(GeneratorError, match="草稿为空"):
        draft(setting, ScriptedGenerator("  \n**\n"))


def test_openai_endpoint_gets_the_draft_prompt_as_one_message(setting: dict, chat_server, refused_url: str) -> None:
    """The real OpenAIGenerator over HTTP: its chat model gets the draft prompt itself, not the Q&A template."""
    chat_server.reply = "一、加强培训\n组织保健医21名参加培训。〔依据1〕"
    result = draft(setting, OpenAIGenerator(chat_server.base_url, "m", timeout=5))
    (request,) = chat_server.requests
    (message,) = request["messages"]
    assert message["role"] == "user" and message["content"].startswith("你是卫生健康行政部门的公文起草人员")
    assert result.failure == "" and result.sections[0].heading == "一、加强培训"
    down = draft(setting, OpenAIGenerator(refused_url, "m", timeout=2))
    assert down.sections == [] and "Connection" in down.failure  # the client's own error, named
