"""The draft body written by an OpenAI-compatible LLM from the same asks and precedent passages.

llm_sections returns an LLMDraft: the sections the model wrote, or why the endpoint gave none (`failure`), for
qa.draft.compose to draft offline instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.answer.generate import format_context
from qa.config import load_prompt
from qa.draft.precedent import Vocabulary, proposal_theme, select_evidence, themed_precedents
from qa.draft.profile import Profile
from qa.draft.proposal import leaf_asks
from qa.errors import GeneratorError
from qa.records import Chunk, DraftSection, Precedent, Proposal

if TYPE_CHECKING:
    from qa.records import Filters

MARK_RE = re.compile(r"\s*〔依据([\d,，、\s]+)〕")
HEADING_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]).{1,60}$")
MAX_SOURCES = 12


def gather_sources(
    asks: Sequence[str],
    *,
    retriever: Any,
    precedents: Sequence[Precedent],
    filters: Filters | None,
    theme: Sequence[str] = (),
) -> list[Chunk]:
    """The passages the model may use: each ask's on-theme evidence first (or, for an ask nothing answers closely,
    what the closest replies say on its subject), then the precedents' matched passages."""
    preferred = [p.doc_id for p in precedents[:3]]
    vocabulary = Vocabulary.of(retriever)
    seen: dict[str, Chunk] = {}
    themed = themed_precedents(precedents)
    for ask in asks:
        options = {"retriever": retriever, "preferred": preferred, "filters": filters, "max_sentences": 3,
                   "theme": theme, "vocabulary": vocabulary, "themed_docs": themed}  # fmt: skip
        # An ask nothing answers closely still gets what the closest replies say on its subject (thin precedent).
        evidence = select_evidence(ask, **options) or select_evidence(ask, related=True, **options)
        for ev in evidence:
            seen.setdefault(ev.chunk.chunk_id, ev.chunk)
    for precedent in precedents[:3]:
        for chunk in precedent.matched_passages:
            seen.setdefault(chunk.chunk_id, chunk)
    return list(seen.values())[:MAX_SOURCES]


def build_prompt(proposal: Proposal, asks: Sequence[str], sources: Sequence[Chunk], profile: Profile) -> str:
    """qa/prompts/draft_llm.txt filled with the proposal, its asks and the numbered passages."""
    return load_prompt("draft_llm").format(
        place=profile.place or "本地",
        agency=profile.agency,
        kind=proposal.kind,
        title=proposal.title,
        body=proposal.body or "（无正文）",
        asks="\n".join(f"{i}. {a}" for i, a in enumerate(asks, 1)),
        sources=format_context(sources),
    )


def parse_sections(text: str, sources: Sequence[Chunk]) -> list[DraftSection]:
    """Split the model's text into sections at 一、/（一） headings; 〔依据n〕 markers become each paragraph's sources.

    Markers naming no given source are dropped, so a paragraph citing only those counts as unsourced.
    """
    sections: list[DraftSection] = []
    for raw in text.splitlines():
        line = raw.strip().strip("*#").strip()
        if not line:
            continue
        if HEADING_RE.match(line) and not MARK_RE.search(line):
            sections.append(DraftSection(line, [], []))
            continue
        cited = [int(n) for m in MARK_RE.finditer(line) for n in re.findall(r"\d+", m.group(1))]
        chunks = list({id(sources[n - 1]): sources[n - 1] for n in cited if 1 <= n <= len(sources)}.values())
        if not sections:
            sections.append(DraftSection("", [], []))
        sections[-1].paragraphs.append(MARK_RE.sub("", line))
        sections[-1].sources.append(chunks)
    return [s for s in sections if s.paragraphs or s.heading]


@dataclass(frozen=True)
class LLMDraft:
    """What the model wrote: its sections, or why the endpoint gave no draft (then `sections` is empty)."""

    sections: list[DraftSection]
    failure: str = ""  # the endpoint's error as a user reads it; "" when the model answered


def llm_sections(
    proposal: Proposal,
    groups: Sequence[tuple[str, list[str]]],
    *,
    retriever: Any,
    precedents: Sequence[Precedent],
    profile: Profile,
    generator: Any,
    filters: Filters | None = None,
    theme: Sequence[str] | None = None,
) -> LLMDraft:
    """Ask the model for the body from the asks and the on-`theme` passages (None: the proposal's, proposal_theme).

    A generator with a langchain chat model (`.llm`, as qa.answer.generate.OpenAIGenerator has) gets the draft prompt
    directly; any other Generator gets it as the question of `generate(question, sources)`. An endpoint that fails
    (GeneratorError or any client error) gives an LLMDraft with `failure` set: the caller drafts offline instead.

    Raises:
        GeneratorError: the model answered with no section text at all.
    """
    asks = leaf_asks(groups)
    if theme is None:
        theme = proposal_theme(proposal, Vocabulary.of(retriever))
    sources = gather_sources(asks, retriever=retriever, precedents=precedents, filters=filters, theme=theme)
    prompt = build_prompt(proposal, asks, sources, profile)
    try:
        chat = getattr(generator, "llm", None)
        if chat is not None:
            from langchain_core.output_parsers import StrOutputParser  # langchain loads only when a model is used

            text = (chat | StrOutputParser()).invoke(prompt)
        else:
            text = generator.generate(prompt, sources)
    except Exception as err:  # GeneratorError or any client error: the endpoint gave no draft
        why = str(err) if isinstance(err, GeneratorError) else f"{type(err).__name__}: {str(err)[:200]}"
        return LLMDraft([], failure=why)
    sections = parse_sections(text, sources)
    if not sections:
        raise GeneratorError("大模型返回的草稿为空；请检查 QA_LLM_MODEL，或改用离线起草（取消设置 QA_LLM_BASE_URL）")
    return LLMDraft(sections)
