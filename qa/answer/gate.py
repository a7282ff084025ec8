"""The gate: whether the retrieved passages can answer a question, and why not (refusals that explain themselves).

The same decision serves the offline answerer and a configured model: a refusal is given before generating, and
the passages of the best sentences become the model's context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.answer.compose import table_row
from qa.answer.metadata import meta_source, metadata_answer
from qa.answer.qualifier import fitting_candidate
from qa.answer.question import absolute_years, asks_field, asks_source, classify, later_parts, sub_questions, time_frame
from qa.answer.refusal import NOT_GIVEN, near_miss
from qa.answer.roles import figure_frames, sentence_frame
from qa.answer.select import Candidate, best_candidate, count_noun, rank_sentences, states_count
from qa.answer.similar import Similarity
from qa.answer.subject import subject_check
from qa.answer.verify import RefusalPolicy, evidence_text, missing_entities, missing_figures, refusal_reason
from qa.records import Chunk, Hit
from qa.text import PLACE_RE, normalize


@dataclass(frozen=True)
class Gate:
    """The decision before generating: the sources to show, and why to refuse ("" = answer)."""

    sources: tuple[Chunk, ...]
    reason: str
    coverage: float
    near: Candidate | None = None  # on a refusal: a sentence about the asked subject, shown and cited
    context: tuple[Chunk, ...] = ()  # for a model: the sources holding the best sentences, best first
    unstated: str = ""  # on a refusal: the DocMeta field the asked document does not state (联系人, 文号 …)
    about: int = 0  # …and that document's source number (1-based)


CONTEXT_SENTENCES = 12  # a model sees the passages of the best sentences the offline answerer would weigh


_DOC_TEXTS: dict[int, tuple[object, dict[str, str]]] = {}


def document_texts(retriever: object) -> dict[str, str]:
    """doc_id → the full text of the document, from the retriever's index (built once per loaded index)."""
    index = getattr(retriever, "index", None)
    if index is None:
        return {}
    cached = _DOC_TEXTS.get(id(index))
    if cached is None or cached[0] is not index:
        texts: dict[str, str] = {}
        for chunk in index.chunks:
            texts[chunk.doc_id] = texts.get(chunk.doc_id, "") + "\n" + chunk.text
        if len(_DOC_TEXTS) > 4:  # rebuilt indexes replace old ones; keep only a few alive
            _DOC_TEXTS.clear()
        _DOC_TEXTS[id(index)] = (index, texts)
        cached = _DOC_TEXTS[id(index)]
    return cached[1]


def gate(
    question: str,
    hits: Sequence[Hit],
    policy: RefusalPolicy,
    doc_texts: Mapping[str, str] | None = None,
    similarity: Similarity | None = None,
) -> Gate:
    """Score the evidence and decide whether the question can be answered from it.

    Signals: a figure or date is asked for but no leading sentence states one; the question names a place,
    year, person or proposal number that the answering document never mentions; the question asks about a year
    and the answering sentence states other years; too little of the question is covered by the best sentences.
    A many-part question (a start date and a completion date) is answered when one of its parts can be: each
    part is judged on its own, and the answer states what each part found.
    """
    sources = tuple(h.chunk for h in hits)
    if not sources:
        return Gate(sources, "no passages retrieved", 0.0)
    whole = classify(question)  # metadata fields (联系人是谁，电话多少) are answered together from DocMeta
    parts = sub_questions(question) if not whole.cross_doc and whole.kind != "meta" else [question]
    if len(parts) == 1:
        return _gate(question, "", sources, policy, doc_texts or {}, similarity)
    refused: Gate | None = None
    for part in parts:
        judged = _gate(question, part, sources, policy, doc_texts or {}, similarity)
        if not judged.reason:
            return judged
        refused = refused or judged
    assert refused is not None
    return refused


# A level changed to a new value: 提高到, 增加至, 调整为 (the asked target, or the sentence stating the change).
_RAISED_TO_RE = re.compile(r"(?:提高|提升|增加|增至|上调|调整|降低|下降|缩短|扩大)(?:到|至|为)")


def frame_mismatch(question: str, sentence: str) -> str:
    """Why a figure sentence states another time than the question asks ("" when it does not): the question asks
    how things stand and the sentence states a target, or it asks a year's target and the sentence states neither
    a target nor that year."""
    asked, frames = time_frame(question), figure_frames(sentence, classify(question).unit)
    if asked and "" not in frames and asked not in frames:
        return f"the question asks for the {asked} figure, the sentence states the {frames.pop()} one"
    said = sentence_frame(sentence)
    if (
        asked == "plan"
        and not said
        and _RAISED_TO_RE.search(normalize(question))
        and not _RAISED_TO_RE.search(sentence)
    ):
        return "the question asks what a level will be raised to, the sentence states the level as it is"
    years = re.findall(r"(?:19|20)\d{2}(?=\s*年)", normalize(question))
    if asked == "plan" and years and said != "plan" and not any(y in normalize(sentence) for y in years):
        return f"the question asks for the {'、'.join(years)} target, the sentence states no target for it"
    return ""


def _part_question(question: str, part: str) -> str:
    """The question as one part asks it: the years and places only the other parts name are left out (…2019年是
    多少，规划2025年要到多少: the first part's figure need not belong to 2025; 咸宁市…几个？江汉区…几家？: the
    first part is not about 江汉区)."""
    own = set(re.findall(r"(?:19|20)\d{2}(?=\s*年)", part))
    question = re.sub(r"(?:19|20)\d{2}\s*年", lambda m: m.group(0) if m.group(0)[:4] in own else "", question)
    places = PLACE_RE.findall(part)
    if not places:  # a part without a place of its own asks about the question's place
        return question
    return PLACE_RE.sub(lambda m: m.group(0) if m.group(0) in places else "", question)


def _without_later_parts(question: str, part: str, whole: str) -> str:
    """The question without the parts asked after this one ("" part: the question itself); see later_parts."""
    for later in later_parts(whole, part):
        question = question.replace(later, "")
    return question


def _gate(
    whole: str,
    part: str,
    sources: tuple[Chunk, ...],
    policy: RefusalPolicy,
    texts: Mapping[str, str],
    similarity: Similarity | None,
) -> Gate:
    """The gate for a question, or for one part of a many-part one (part: that part's words)."""
    question = _part_question(whole, part) if part else whole
    intent = classify(part or whole)  # a metadata question is never split into parts (see gate)
    ranked = rank_sentences(whole, sources, intent, focus=part, similarity=similarity)
    if not ranked:
        return Gate(sources, "the passages have no sentences", 0.0)
    coverage = max(c.coverage for c in ranked[:3])

    def refuse(reason: str) -> Gate:
        return Gate(sources, reason, coverage, near_miss(question, ranked, intent, sources, texts))

    # No document's metadata states the asked field: only a passage line that names it (联系人：…) may answer.
    if (
        intent.kind == "meta"
        and not metadata_answer(question, intent.meta_fields, sources)
        and not any(asks_field(intent.meta_field, c.text) for c in ranked[:5] if not c.boilerplate)
    ):
        about = meta_source(question, sources)
        # name the reply that lacks the field only when it is the one asked about: a question naming a place or a
        # number that reply never mentions is about a reply the library does not hold
        # …and never for which replies a person handled: no one reply fails to state that
        if missing_entities(question, [sources[about - 1]]) or intent.meta_field == "documents":
            about = 0
        return Gate(
            sources,
            f"no retrieved document states its {intent.meta_field}",
            coverage,
            unstated=intent.meta_field,
            about=about,
        )
    best = best_candidate(ranked, intent, frame=time_frame(part or question))
    if best is None:
        return refuse(f"no retrieved sentence states the {intent.kind} asked for")
    if intent.kind in NOT_GIVEN and not intent.cross_doc:
        # a word of the question narrowing what is counted (初中生, 城区, 金口中心卫生院) must be the figure's own:
        # the next figure sentence of the reply answers when it names it, else this is a near miss
        # (the words only a later part asks about — the agency in 哪天报给市卫健委的 — narrow that part's figure)
        best, narrowing = fitting_candidate(
            _without_later_parts(question, part, whole),
            part,
            best,
            ranked,
            intent,
            time_frame(part or question),
            sources,
            texts,
        )
        if narrowing:
            return refuse(narrowing)
    # A target is no answer to how things stand, nor a current figure to a target (到2025年要提高到多少 → 现配备19名).
    if intent.kind in ("number", "date") and not intent.cross_doc:
        held = sources[best.n - 1]
        mismatch = frame_mismatch(part or question, table_row(held.text, best.start, best.end) or best.text)
        if mismatch:
            return refuse(mismatch)
    # The documents the answer would quote must carry the question's entities; cross-document and metadata
    # questions may find them in any retrieved document.
    chunks = list(sources) if intent.cross_doc or intent.kind == "meta" else [sources[best.n - 1]]
    evidence = evidence_text(chunks) + "".join(texts.get(d, "") for d in dict.fromkeys(c.doc_id for c in chunks))
    # Which reply says …, who proposed the one that …: the figures the question quotes are how it names the
    # reply it asks about, so the passage it is answered from must state them (not only somewhere in a long plan)
    if asks_source(whole) or intent.kind == "meta":
        named = sources[(meta_source(question, sources) if intent.kind == "meta" else best.n) - 1]
        quoted = missing_figures(question, evidence_text([named]))
        if quoted:
            return refuse(f"the question quotes {'、'.join(quoted)}, which the answering document never states")
    noun = count_noun(part or question, intent)
    if noun and not any(states_count(c.text, noun, intent.unit) for c in ranked[:5] if c.typed and c.n == best.n):
        return refuse(f"no retrieved sentence counts {''.join(noun)}")
    # A figure in a specific unit (分钟, 万人次, %) in the sentence closest in meaning to the question answers it
    # even when it shares no word with it (救护车到乡下要多长时间 → 农村地区平均N分钟).
    # Not when another leading sentence of the asked type is more about the question's subject: that one would
    # answer, and if it does not, this one cannot either.
    closest = (
        best.semantic > 0
        and best.semantic >= max(c.semantic for c in ranked)
        and best.topic_coverage >= max((c.topic_coverage for c in ranked[:5] if c.typed), default=0.0)
    )
    # (when the question counts a noun, the sentence itself must count it: 2家企业 does not count 托育机构).
    specific = (
        intent.kind == "number"
        and intent.unit not in ("", "个")
        and (not noun or states_count(best.text, noun, intent.unit))
    )
    topic = max(best.topic_coverage, policy.min_figure_coverage) if closest and specific else best.topic_coverage
    if intent.kind in NOT_GIVEN and not intent.cross_doc:
        # A figure answers when its passage is about the question's subject, even in other words than the
        # question's (the sentence itself was checked to state the asked quantity: see qa.answer.subject).
        held = sources[best.n - 1]
        about = subject_check(
            question,
            f"{held.meta.agency}{held.section}{held.meta.display_title}{held.text}",
            texts.get(held.doc_id, ""),
            texts,
        )
        if about.missing_specific:
            return refuse(f"the answering document never mentions {about.missing_specific}")
        if about.coverage >= policy.min_subject_coverage:
            topic = max(topic, policy.min_figure_coverage)
    # A table row states the years of its filled columns only: 报告及时率 with 2019 blank gives no 2019 figure.
    held_text = sources[best.n - 1].text
    row = table_row(held_text, best.start, best.end)
    # the reply's 今年 / 去年 are years counted from its own date: 今年1至6月 in a reply of 2024 states 2024
    year = sources[best.n - 1].meta.year
    reason = refusal_reason(
        question,
        evidence=evidence if intent.cross_doc else absolute_years(evidence, year, this_year=True),
        sentence=absolute_years(row or best.text, year, this_year=True),
        coverage=coverage,
        topic_coverage=topic,
        figure=intent.kind in ("number", "date", "person") and not intent.cross_doc,
        policy=policy,
        local_evidence=absolute_years(evidence_text([sources[best.n - 1]]), year, this_year=True),
    )
    if reason:
        return refuse(reason)
    # The same selection feeds a model: the passages holding the best sentences, best first (at least two).
    best_sources = list(dict.fromkeys(sources[c.n - 1] for c in ranked[:CONTEXT_SENTENCES] if not c.boilerplate))
    context = tuple(best_sources + [c for c in sources if c not in best_sources][: max(0, 2 - len(best_sources))])
    return Gate(sources, "", coverage, context=context)
