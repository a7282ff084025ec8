"""Draft a reply to a new 提案/建议 in the official format, every fact taken from a cited precedent passage."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answer.verify import unsupported_facts
from qa.config import Settings, load_prompt
from qa.data import read_table
from qa.draft.docx import write_docx
from qa.draft.llm import llm_sections
from qa.draft.precedent import (
    Vocabulary,
    find_precedents,
    proposal_theme,
    select_evidence,
    themed_precedents,
)
from qa.draft.profile import Profile, home_place
from qa.draft.proposal import ProposalError, ask_heading, group_asks, leaf_asks, make_proposal, normalize_kind
from qa.draft.sources import PLACEHOLDER_RE, draft_sources, source_line, source_quotes
from qa.errors import QAError
from qa.records import Chunk, Draft, DraftSection, Precedent, Proposal

if TYPE_CHECKING:
    from qa.records import Filters

NUMERALS = "一二三四五六七八九十"
# A figure as a reply writes it: 2024年1月, 3-5, 11.84, 100%; adapted sentences show it as 〔待核实：…〕.
FIGURE_RE = re.compile(
    r"\d+(?:\.\d+)?(?:\s*(?:年|月|日)?\s*(?:至|-|—|～|~|年|月)\s*\d+(?:\.\d+)?)*\s*(?:%|％|年|月|日)?"
)
LOCAL_FIGURE = "〔待核实：本地数据，参考值"
# Spans a figure must not be taken out of: placeholders, and quoted names (《…2024年…通知》, “1+4+2+2”模式).
KEEP_RE = re.compile(r"(〔[^〔〕]*〕|《[^《》]*》|“[^“”]*”)")
# A place name followed closely by an institution word names that institution, which 我区 cannot replace.
INSTITUTION_AHEAD = r"(?![^，。；、]{0,8}?(?:" + "|".join(word for (word,) in read_table("institution_words")) + "))"
# (kind, level) → the committee a reply is copied to (抄送), from qa/data/cc_committees.tsv.
# A reply's year in its own words: the 文号 〔2023〕41号, or a signature date 2023年6月30日.
YEAR_IN_TEXT_RE = re.compile(r"[〔\[［(（](20\d{2})[〕\]］)）]\s*\d+\s*号|(20\d{2})年\d{1,2}月\d{1,2}日")
CC_COMMITTEES = {(kind, level): committee for kind, level, committee in read_table("cc_committees", fields=3)}


# --- adapting another agency's sentences ----------------------------------------------------------------------


def adapt_sentence(sentence: str, source_agency: str, home: str, *, stale: bool = False) -> tuple[str, bool]:
    """Make a sentence from another agency's (or another year's) reply usable now; returns (text, adapted).

    That agency's own place name becomes 我区/我市 as the home agency says it (unless it begins an institution's
    name) and each of its figures becomes a visible 〔待核实：…〕: those are another district's numbers, kept to
    show what to look up. A `stale` sentence (the reply is of another year) keeps its place but not its figures.
    Quoted names (《…》, “…”) stay verbatim: a document's title is a fact to cite, not to localise.
    """
    source = home_place(source_agency)
    same_place = bool(source) and source == home
    if same_place and not stale:
        return sentence, False

    def rewrite(part: str) -> str:
        if source and not same_place:
            part = re.sub(re.escape(source) + INSTITUTION_AHEAD, "我" + (home or source)[-1], part)
        return FIGURE_RE.sub(lambda m: f"{LOCAL_FIGURE}{m.group(0).strip()}〕", part)

    adapted = "".join(p if KEEP_RE.fullmatch(p) else rewrite(p) for p in KEEP_RE.split(sentence))
    return adapted, adapted != sentence or not same_place


def source_year(chunk: Chunk) -> str:
    """The year a passage's reply was written: its metadata's, else a 文号 〔2023〕 or a full date in its text."""
    if chunk.meta.year:
        return chunk.meta.year
    m = YEAR_IN_TEXT_RE.search(" ".join((*chunk.breadcrumb, chunk.text)))
    return next((g for g in m.groups() if g), "") if m else ""


# --- grounding ------------------------------------------------------------------------------------------------


def unsupported_sentences(paragraph: str, sources: Sequence[Chunk]) -> list[str]:
    """Sentences whose figures or 《》/“” names none of the cited passages holds (placeholders are not claims)."""
    out = []
    for sentence in re.findall(r"[^。！？!?]+[。！？!?]?", paragraph):
        claim = PLACEHOLDER_RE.sub("", sentence)
        if claim.strip() and unsupported_facts(claim, sources):
            out.append(sentence.strip())
    return out


# --- sections -------------------------------------------------------------------------------------------------


def _paragraphs(evidence: Sequence[Any], home: str, year: str = "") -> tuple[list[str], list[list[Chunk]], list[str]]:
    """Consecutive sentences of one passage form one paragraph; returns paragraphs, sources, adaptation notes.

    A sentence of another agency's reply, or of a reply from a year other than `year`, has its figures turned into
    〔待核实：本地数据，参考值…〕 (see adapt_sentence), and its paragraph gets a note saying so.
    """
    paragraphs: list[str] = []
    sources: list[list[Chunk]] = []
    notes: list[tuple[int, str, str]] = []
    last = ""
    for ev in evidence:
        written = source_year(ev.chunk)
        stale = bool(year and written and written != year)
        text, adapted = adapt_sentence(ev.text, ev.chunk.meta.agency, home, stale=stale)
        if ev.chunk.chunk_id == last:
            paragraphs[-1] += text
        else:
            paragraphs.append(text)
            sources.append([ev.chunk])
            last = ev.chunk.chunk_id
        if adapted:
            same = home_place(ev.chunk.meta.agency) == home and bool(home)
            notes.append((len(paragraphs), "" if same else ev.chunk.meta.agency or ev.chunk.meta.source, written))
    paragraphs = [p[:-1] + "。" if p.endswith(("；", ";", "，")) else p for p in paragraphs]
    messages = []
    for n, agency, written in dict.fromkeys(notes):
        figures = paragraphs[n - 1].count(LOCAL_FIGURE)
        if agency:
            which = f"，其中{figures}处数字为对方数据" if figures else ""
            messages.append(f"〔待核实：第{n}段借鉴{agency}的做法{which}，请按本单位实际改写〕")
        elif figures:
            messages.append(f"〔待核实：第{n}段取自{written}年的答复，其中{figures}处数字请更新为最新数据〕")
    return paragraphs, sources, messages


def missing_placeholder(ask: str) -> str:
    """What the drafter must supply for an ask no reply speaks to: the work, its figures and the next steps."""
    return f"〔待填写：本单位在“{ask_heading(ask, max_chars=24)}”方面已开展的工作、取得的成效（数据）和下一步安排〕"


def related_placeholder(ask: str) -> str:
    """The note after a paragraph of related (not closely matching) precedent sentences."""
    return f"〔待填写：上段摘自相近答复，请补充本单位在“{ask_heading(ask, max_chars=24)}”方面的具体做法和下一步安排〕"


def extractive_sections(
    groups: Sequence[tuple[str, list[str]]],
    *,
    retriever: Any,
    precedents: Sequence[Precedent],
    profile: Profile,
    filters: Filters | None = None,
    theme: Sequence[str] = (),
    year: str = "",
) -> tuple[list[DraftSection], list[str]]:
    """One numbered section per ask (see group_asks), built from the precedent sentences that support it.

    A group with several sub-asks becomes 一、 with （一）（二） sections below it, each with its own text. Every
    ask gets its section. Where no passage answers an ask closely (thin precedent), the section takes what the
    on-`theme` replies say on the ask's subject (select_evidence with `related`), each paragraph with its source,
    followed by a 〔待填写：…〕 naming what the drafter must add; with nothing related either, only that placeholder.
    Figures from another agency's reply, or from a reply of a year other than `year`, become placeholders that
    keep the reference value.

    Returns:
        The sections and the notes a person must act on (adapted paragraphs, asks no precedent covers).
    """
    preferred = [p.doc_id for p in precedents[:3]]
    themed = themed_precedents(precedents)
    leaves = leaf_asks(groups)
    used: set[str] = set()
    vocabulary = Vocabulary.of(retriever)
    sections: list[DraftSection] = []
    notes: list[str] = []

    def answer(heading: str, ask: str) -> DraftSection:
        others = [a for a in leaves if a != ask]
        options = {"retriever": retriever, "preferred": preferred, "filters": filters, "used": used, "theme": theme,
                   "vocabulary": vocabulary, "themed_docs": themed}  # fmt: skip
        evidence = select_evidence(ask, others=others, **options)
        related = not evidence
        if related:  # thin precedent: what the closest replies say on the ask's subject, for the drafter to build on
            evidence = select_evidence(ask, others=others, related=True, **options)
        paragraphs, sources, adapted = _paragraphs(evidence, profile.place, year)
        if related:
            paragraphs.append(related_placeholder(ask) if paragraphs else missing_placeholder(ask))
            sources.append([])
        notes.extend(n.replace("〔待核实：", f"〔待核实：{heading}，") for n in adapted)
        return DraftSection(heading, paragraphs, sources)

    for i, (head, subs) in enumerate(groups):
        heading = f"{NUMERALS[i] if i < 10 else i + 1}、{ask_heading(head)}"
        if len(subs) < 2:
            sections.append(answer(heading, f"{head}，{subs[0]}" if subs else head))
            continue
        sections.append(DraftSection(heading, [], []))
        sections += [
            answer(f"（{NUMERALS[j] if j < 10 else j + 1}）{ask_heading(sub)}", sub) for j, sub in enumerate(subs)
        ]
    return sections, notes


# --- the whole reply ------------------------------------------------------------------------------------------


def _frame(proposal: Proposal, profile: Profile) -> tuple[str, str, str]:
    """Header (agency, title line, salutation), opening and closing (thanks, contacts, 抄送) from qa/prompts/."""
    npc = proposal.kind == "人大建议"
    # 区 or 市 committees: from the meeting or kind as typed, else from the configured agency (never a precedent's).
    meeting_level = proposal.meeting[:1] if proposal.meeting[:1] in "区市" else ""
    level = meeting_level or proposal.level or ("市" if home_place(profile.agency).endswith("市") else "区")
    you = "你们" if len(proposal.proposers) > 1 else "您"
    values = {
        "agency": profile.agency,
        "meeting": proposal.meeting or "〔待填写：会议〕",
        "number": proposal.number or "〔待填写：编号〕",
        "kind_word": "建议" if npc else "提案",
        "proposers": "、".join(proposal.proposers) or "〔待填写：姓名〕",
        "title_word": "代表" if npc else "委员",
        "you": you,
        "title": proposal.title,
        "place": profile.we,
        "org": profile.org,
        "leader": profile.leader,
        "leader_phone": profile.leader_phone,
        "handler": profile.handler,
        "handler_phone": profile.handler_phone,
        "cc_committee": CC_COMMITTEES["人大建议" if npc else "政协提案", level],
        "cc_office": f"{level}政府办公室",
    }
    return tuple(load_prompt(f"draft_{part}.txt").format(**values) for part in ("header", "opening", "closing"))  # type: ignore[return-value]


def _lines(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip()]


def assemble(proposal: Proposal, profile: Profile, sections: Sequence[DraftSection]) -> str:
    """The clean official text: one line per paragraph, blank lines between, no source markers."""
    header, opening, closing = _frame(proposal, profile)
    lines = _lines(header) + _lines(opening)
    for section in sections:
        if section.heading:  # a model's text before its first heading has none
            lines.append(section.heading)
        lines += [p for p in section.paragraphs if p]
    lines += _lines(closing)
    return "\n\n".join(lines)


def draft_reply(
    proposal: Proposal,
    *,
    retriever: Any,
    generator: Any = None,
    settings: Settings | None = None,
    filters: Filters | None = None,
    k: int = 5,
    year: str | None = None,
) -> Draft:
    """Draft a reply: rank precedents, answer each ask from their passages, check every figure.

    Args:
        proposal: the new proposal (see make_proposal).
        retriever: qa.retrieve.Retriever (anything with `search(query, k, *, filters)`).
        generator: an OpenAI-compatible qa.answer.generate.Generator; None drafts offline from templates and extracts.
        settings: the agency profile (agency_name, agency_leader, …); None leaves every field a placeholder.
        filters: restrict precedents and passages, e.g. Filters(agency=…).
        k: how many precedents to report.
        year: the year the reply is written (default this year): figures of replies from other years become
            placeholders with the reference value.
    """
    settings = settings or Settings()
    year = str(date.today().year) if year is None else year
    precedents = find_precedents(proposal, retriever=retriever, k=k, filters=filters)
    groups = group_asks(proposal)
    profile = Profile.from_settings(settings, precedents)
    theme = proposal_theme(proposal, Vocabulary.of(retriever))
    if generator is None or getattr(generator, "name", "") == "extractive":  # the offline answerer writes no drafts
        sections, notes = extractive_sections(
            groups, retriever=retriever, precedents=precedents, profile=profile, filters=filters, theme=theme,
            year=year,
        )  # fmt: skip
        backend = "extractive"
    else:
        written = llm_sections(
            proposal, groups, retriever=retriever, precedents=precedents, profile=profile, generator=generator,
            filters=filters, theme=theme,
        )  # fmt: skip
        sections, notes = written.sections, []
        backend = str(getattr(generator, "name", type(generator).__name__))
        if written.failure:  # the endpoint gave no draft: draft offline, and say so first
            sections, notes = extractive_sections(
                groups, retriever=retriever, precedents=precedents, profile=profile, filters=filters, theme=theme,
                year=year,
            )  # fmt: skip
            notes = [f"〔待核实：LLM 不可用，已改用离线模板起草（{written.failure}）〕", *notes]
            backend = "extractive"
    text = assemble(proposal, profile, sections)
    unsupported = [
        s
        for sec in sections
        for p, src in zip(sec.paragraphs, sec.sources, strict=True)
        for s in unsupported_sentences(p, src)
    ]
    # Each adapted figure is summed up by its paragraph's note; listing every one would bury what to fill in.
    found = [p for p in PLACEHOLDER_RE.findall(text) if not p.startswith(LOCAL_FIGURE)]
    placeholders = list(dict.fromkeys(found + notes))
    return Draft(text, sections, precedents, placeholders, unsupported, backend)


# --- views ----------------------------------------------------------------------------------------------------


def render_markdown(draft: Draft) -> str:
    """The draft with 〔依据n〕 after each grounded paragraph, then the 依据 list and what is left to do."""
    number = {c.chunk_id: i for i, c in enumerate(draft_sources(draft), start=1)}
    quotes = source_quotes(draft)
    text, cursor = draft.text, 0
    for section in draft.sections:
        for paragraph, chunks in zip(section.paragraphs, section.sources, strict=True):
            at = text.find(paragraph, cursor)
            if at < 0 or not chunks:
                continue
            end = at + len(paragraph)
            mark = "〔依据" + ",".join(str(number[c.chunk_id]) for c in chunks) + "〕"
            text, cursor = text[:end] + mark + text[end:], end + len(mark)
    out = [text, "---", "依据（正式行文前删除本节）："]
    out += [f"{n}. {source_line(c, quotes.get(c.chunk_id, ''))}" for n, c in enumerate(draft_sources(draft), start=1)]
    if draft.precedents:
        out += ["相似的既往答复："] + [
            f"{i}. {p.meta.agency}《{p.meta.display_title}》（{p.doc_id}，得分 {p.score:.2f}）"
            for i, p in enumerate(draft.precedents, start=1)
        ]
    if draft.placeholders:
        out += ["待填写、待核实："] + [f"- {p}" for p in draft.placeholders]
    if draft.unsupported:
        out += ["数字或名称无依据的句子（请核实或删除）："] + [f"- {s}" for s in draft.unsupported]
    return "\n\n".join(out) + "\n"


def write_draft(draft: Draft, path: Path) -> Path:
    """Write the draft by suffix: .docx (official layout, see qa.draft.docx), .md (with 依据), else the clean text."""
    path = Path(path)
    if path.suffix.lower() == ".docx":
        return write_docx(draft, path)
    content = render_markdown(draft) if path.suffix.lower() == ".md" else draft.text + "\n"
    try:
        path.write_text(content, encoding="utf-8")
    except OSError as err:
        raise QAError(f"无法写入 {path}（{err}），请用 --out 指定一个可写的路径") from err
    return path


__all__ = [
    "Profile",
    "ProposalError",
    "adapt_sentence",
    "draft_reply",
    "draft_sources",
    "find_precedents",
    "make_proposal",
    "normalize_kind",
    "render_markdown",
    "unsupported_sentences",
    "write_docx",
    "write_draft",
]
