"""An extractive answer: the picked sentences of the sources, trimmed to the clauses that matter, each cited.

compose() answers metadata questions from DocMeta (qa.answer.metadata); otherwise it ranks the sentences
(qa.answer.select), picks the best one and others close to it (one per document for a cross-document question,
one per part for a many-part question) and renders each as an answer clause with its [n] marker.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from qa.answer.groups import parent_row
from qa.answer.lexicon import figure_pattern, present, unit_alternatives
from qa.answer.metadata import meta_source, metadata_answer, place_of
from qa.answer.qualifier import fitting_candidate
from qa.answer.question import (
    DOCUMENT,
    Intent,
    asks_source,
    classify,
    is_entity,
    joined_places,
    question_terms,
    sub_questions,
    time_frame,
)
from qa.answer.refusal import NOT_GIVEN
from qa.answer.roles import DECISION_ASKED_RE, PROBLEM_ASKED_RE, heads_problems, sentence_frame, states_shortcoming
from qa.answer.select import DOCUMENT_NAMED_RE, Candidate, best_candidate, is_heading, line_of, rank_sentences
from qa.answer.similar import Similarity
from qa.answer.verify import MAX_QUOTE_CHARS, clause_window, question_entities
from qa.records import Chunk
from qa.text import char_bigrams, normalize, split_sentences


def _similar(a: str, b: str) -> bool:
    """The same statement twice: mostly the same characters, and the figures of one all among the other's (服务中心
    均开展5类8项…；服务站开展3类5项… are two statements in parallel words)."""
    ga, gb = char_bigrams(a), char_bigrams(b)
    if not (ga and gb) or len(ga & gb) / min(len(ga), len(gb)) <= 0.6:
        return False
    fa, fb = set(re.findall(r"\d+(?:\.\d+)?", a)), set(re.findall(r"\d+(?:\.\d+)?", b))
    return fa <= fb or fb <= fa


def _trim(text: str) -> str:
    """A sentence as an answer clause: no trailing punctuation, no leading enumerator such as 一是 / （二）."""
    text = text.strip().rstrip("。；;，,：:")
    # an item's title on its own line, then what was done: 扩大筛查面：到2025年底…
    text = re.sub(r"(?<=[^。；;：:，,！？!?])\s*\n\s*", "：", text)
    text = re.sub(r"\s*\n\s*", "", text)
    return re.sub(r"^(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|[一二三四五六七八九十]+是)\s*", "", text)


def table_row(text: str, start: int, end: int) -> str:
    """A table row as "label：header value，header value", from the header row above it, or "" if it is not one.

    人均预期寿命（岁） 80.81 82.4 under 指标名称 2019年 2025年 (tab-separated) → 人均预期寿命（岁）：2019年80.81，
    2025年82.4. The header is the first tab-separated line of the passage; rows of a table cut from their header
    stay as they are.
    """
    row = line_of(text, start, end)  # the whole line: a sentence span drops the row's leading empty cell
    if "\t" not in row:
        return ""
    header_line = next((line for line in text[: text.rfind("\n", 0, start) + 1].split("\n") if "\t" in line), "")
    if not header_line:
        return ""
    header = [normalize(h) for h in header_line.split("\t")]
    cells = [cell.strip() for cell in row.split("\t")]
    if len(cells) != len(header):
        return ""
    value_cols = [i for i, h in enumerate(header) if h and i > 0 and re.search(r"\d", h)]
    if not value_cols:
        return ""
    label = next((cells[i] for i in range(value_cols[0] - 1, -1, -1) if cells[i]), "")
    values = [f"{header[i]}{cells[i]}" for i in value_cols if cells[i] and cells[i] not in "-—"]
    if not label or not values:
        return ""
    parent = parent_row(text, start, end)  # 其中：基层医疗卫生机构 under 每千人口医疗卫生机构床位数（张/千人）
    if parent:
        at = text.rfind(parent, 0, start)
        label = f"{table_row(text, at, at + len(parent)).split('：', 1)[0]}{label}"
    return f"{label}：{'，'.join(values)}"


def render(
    c: Candidate, intent: Intent, terms: list[str], sources: Sequence[Chunk], labelled: set[str] | None = None
) -> str:
    """A picked sentence as an answer sentence: trimmed to the clauses that matter, labelled, cited.

    Args:
        c: the sentence.
        intent: the question's answer type; a figure in the asked unit decides which clauses of a long sentence stay.
        terms: the question's content terms, longest first; the clauses holding most of them stay.
        sources: the retrieved chunks c.n counts over.
        labelled: for a cross-document answer, the places already named (updated).
    """
    text = sources[c.n - 1].text
    start, end = c.start, c.end
    # an item told with its title line (推进医保打包付费\n按照…): the title stays whole, only what follows is trimmed
    title = ""
    newline = text.find("\n", start, min(end, start + ITEM_TITLE + 2))
    if newline > 0 and end - start > MAX_QUOTE_CHARS:
        title, start = _trim(text[c.start : newline]), newline + 1
    if end - start > MAX_QUOTE_CHARS:
        primary: list[str] = []
        if intent.kind == "number" and intent.unit and intent.unit != "%":
            primary = re.findall(figure_pattern(unit_alternatives(intent.unit)), c.text)
        elif intent.kind == "name" and intent.unit == DOCUMENT:  # the clause naming the document stays
            primary = [m.group(0) for m in DOCUMENT_NAMED_RE.finditer(c.text)]
        start, end = clause_window(
            text, start, end, [normalize(f) for f in terms], primary=[normalize(p) for p in primary]
        )
    clause = table_row(text, start, end) or _trim(text[start:end])
    if title:
        clause = f"{title}：{clause}"
    if intent.cross_doc:
        # Each place is named once, before its first sentence: 江夏区：…[1]。…[2]。咸宁市：…[3]。
        place = place_of(sources[c.n - 1].meta)
        seen = labelled if labelled is not None else set()
        if place and place not in seen and place not in clause[:8]:
            clause = f"{place}：{clause}"
        seen.add(place)
    return f"{clause}[{c.n}]。"


LIST_ITEMS = 6  # at most this many items in a list answer


ITEM_TITLE = 16  # an enumerated item this short is a title (（一）落实监护补助。); its next sentence says what was done


def _with_body(c: Candidate, sources: Sequence[Chunk]) -> Candidate:
    """An enumerated item's title together with the sentence after it, so the list states the measure itself."""
    if len(c.text.strip()) >= ITEM_TITLE:
        return c
    text = sources[c.n - 1].text
    following = _next_sentence(text, c.end)
    if following is None:
        return c
    return dataclasses.replace(c, end=following[1], text=text[c.start : following[1]])


def _next_sentence(text: str, end: int) -> tuple[int, int] | None:
    """The span of the sentence after position `end` of a passage, or None at its end."""
    return next(((s, e) for s, e in split_sentences(text) if s >= end), None)


def _planned(chunk: Chunk) -> bool:
    """A passage of the reply's plan: under a plan heading (二、下一步工作, 三、下步计划). The sentence alone says
    too little: 将…纳入 reports what was done as often as what will be."""
    return bool(chunk.breadcrumb) and sentence_frame(chunk.breadcrumb[-1]) == "plan"


def _titles_an_item(c: Candidate, chunk: Chunk) -> bool:
    """An enumerated title on its own line (（一）开展分级筛查) whose next sentence says what was done: an item of
    the list, told with that sentence. Not the section heading the passage sits under (一、工作开展情况)."""
    if any(normalize(c.text) == normalize(h) for h in chunk.breadcrumb):
        return False
    following = _next_sentence(chunk.text, c.end)
    return following is not None and not is_heading(chunk.text[following[0] : following[1]])


def _of_places(chunk: Chunk, places: Sequence[str]) -> bool:
    """Whether a chunk's document speaks for one of the places (江夏 for 武汉市江夏区卫生健康局's reply)."""
    where = normalize(f"{chunk.meta.agency}{chunk.meta.heading}{chunk.meta.title}{place_of(chunk.meta)}")
    return any(p in where or (len(p) > 2 and p[:-1] in where) for p in places)


def _pick(
    question: str,
    intent: Intent,
    ranked: list[Candidate],
    sources: Sequence[Chunk],
    most: int,
    documents: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """The sentences an answer quotes: the best one, then others close to it (one per document if cross-document).
    With the index's document texts, a figure sentence that a narrowing word of the question rules out gives way
    to the next one stating it, as the gate decided (qa.answer.qualifier.fitting_candidate)."""
    frame = time_frame(question)
    top = best_candidate(ranked, intent, frame=frame) or ranked[0]
    if documents and intent.kind in NOT_GIVEN and not intent.cross_doc and top.typed:
        top = fitting_candidate(question, "", top, ranked, intent, frame, sources, documents)[0]
    picks: list[Candidate] = [top]
    if intent.cross_doc:
        seen_docs = {sources[top.n - 1].doc_id}
        named = joined_places(question)
        for c in ranked:
            doc = sources[c.n - 1].doc_id
            if named and not _of_places(sources[c.n - 1], named):
                continue  # 江夏和咸宁…各: only the places named answer
            wanted = (
                (c.typed or intent.kind not in ("number", "date"))
                and not is_heading(c.text)
                and not c.boilerplate
                and (c.topics or not top.topics)
            )
            if doc not in seen_docs and wanted and c.score >= 0.4 * top.score and c.coverage >= 0.5 * top.coverage:
                picks.append(c)
                seen_docs.add(doc)
            if len(picks) >= most + 1:
                break
        return picks
    # A list is as long as the reply's own enumeration of measures, within reason.
    limit = {"number": 2, "date": 2, "person": 2, "meta": 2, "list": max(most, LIST_ITEMS)}.get(intent.kind, 3)
    ratio = 0.6 if intent.kind == "list" else 0.8
    places = [e for e in question_entities(question) if e[-1] in "区县市"]
    top_doc = sources[top.n - 1].doc_id
    items = [
        c
        for c in ranked
        if c.enumerated
        and sources[c.n - 1].doc_id == top_doc
        and (not is_heading(c.text) or _titles_an_item(c, sources[c.n - 1]))
    ]
    if intent.kind == "list" and PROBLEM_ASKED_RE.search(normalize(question)):
        # 存在哪些问题: the problems the reply states (in its own section 二、存在的问题, or in sentences of their
        # own), in reading order; not its measures
        stated = [
            c
            for c in ranked
            if sources[c.n - 1].doc_id == top_doc
            and not is_heading(c.text)
            and not c.boilerplate
            and (states_shortcoming(c.text) or any(heads_problems(h) for h in sources[c.n - 1].breadcrumb[-1:]))
        ]
        if len(stated) >= 2:
            stated.sort(key=lambda c: (sources[c.n - 1].ordinal, c.start))
            return _without_repeats(stated)[:limit]
    if intent.kind == "list" and len(items) >= 3:
        # The reply enumerates its measures (（一）…（二）…): the list is those items, the leading one first.
        listed = [_with_body(c, sources) for c in items if not c.problem]
        now = time_frame(question) == "now"
        if now:  # 目前开展了哪些: the plan's items (二、下一步工作 / 到2025年底…) are not what was done
            listed = [c for c in listed if not _planned(sources[c.n - 1])] or listed
        # the leading sentence may be an item's body (（一）整治环境。每月…): that item leads, and once
        holder = next((c for c in listed if c.n == top.n and c.start <= top.start and top.end <= c.end), None)
        lead = holder or _with_body(top, sources)
        if now and not holder and _planned(sources[lead.n - 1]):
            lead = listed[0]
        return _without_repeats([lead, *[c for c in listed if (c.n, c.start) != (lead.n, lead.start)]])[:limit]
    if DECISION_ASKED_RE.search(normalize(question)):
        # 同意了吗: the decision, then what the reply says it will do instead, in the sentence right after it
        after = next((c for c in ranked if c.n == top.n and top.end <= c.start <= top.end + 2), None)
        if after is not None and not after.boilerplate and sentence_frame(after.text) == "plan":
            picks.append(after)
    for c in ranked:
        if len(picks) >= limit:
            break
        if (
            c is top
            or c.score < ratio * top.score
            or c.problem
            or is_heading(c.text)
            or any(_similar(c.text, p.text) for p in picks)
        ):
            continue
        if intent.kind in ("number", "date") and (not c.typed or not c.topics >= top.topics):
            continue
        # Each added sentence must be about the question's subject, not merely share its generic words; another
        # document's sentence only when it is about that subject at least as much as the leading one.
        if c.boilerplate or (top.topics and not c.topics):
            continue
        other_doc = sources[c.n - 1].doc_id != sources[top.n - 1].doc_id
        if other_doc and places and not _of_places(sources[c.n - 1], places):
            continue  # 岚溪市…做了哪些工作: another place's plan is not 岚溪市's work
        close = c.topics >= top.topics or c.topic_coverage >= top.topic_coverage or c.score >= 0.85 * top.score
        if other_doc and not (top.topics and close):
            continue
        # A figure asked about one place comes from one document; a figure from another would mislead.
        if intent.kind in ("number", "date", "person", "meta") and sources[c.n - 1].doc_id != sources[top.n - 1].doc_id:
            continue
        picks.append(c)
    return picks


def _without_repeats(items: list[Candidate]) -> list[Candidate]:
    """A list with each sentence once: the same sentence may come from two passages of one reply, once with its
    item's title (学校结核病防控措施：（一）按照…) and once without; the fuller one keeps the earlier place."""
    kept: list[Candidate] = []
    for c in items:
        twin = next((i for i, k in enumerate(kept) if _similar(c.text, k.text)), None)
        if twin is None:
            kept.append(c)
        elif len(c.text) > len(kept[twin].text):
            kept[twin] = c
    return kept


def _many_parts(
    question: str, subs: list[str], terms: list[str], sources: Sequence[Chunk], similarity: Similarity | None
) -> list[tuple[Candidate, str]]:
    """A many-part question: the best sentence for each part, in the order the parts were asked, rendered."""
    parts: list[tuple[Candidate, str]] = []
    seen: set[tuple[int, int]] = set()
    for sub in subs:
        sub_intent = classify(sub)
        if sub_intent.kind == "meta":
            sub_intent = Intent("general")
        sub_ranked = rank_sentences(question, sources, sub_intent, focus=sub, similarity=similarity)
        if parts and not [e for e in question_entities(sub) if not e.isdigit()]:
            # A later part that names no place of its own asks about what the first part was about: its answer
            # comes from the documents already quoted when they hold one (a completion date after a start date).
            quoted = {sources[c.n - 1].doc_id for c, _ in parts}
            same = [c for c in sub_ranked if sources[c.n - 1].doc_id in quoted]
            if best_candidate(same, sub_intent) is not None:
                sub_ranked = same
        best = best_candidate(sub_ranked, sub_intent, frame=time_frame(sub))
        if best is not None and (best.n, best.start) in seen:
            # Already quoted for an earlier part: take the next sentence that speaks to this part, if any.
            own = [t for t in question_terms(sub) if not is_entity(t)]
            best = next(
                (
                    c
                    for c in sub_ranked[:8]
                    if (c.n, c.start) not in seen
                    and (c.typed or sub_intent.kind not in ("number", "date"))
                    and any(present(t, normalize(c.text)) for t in own)
                ),
                None,
            )
        if best is not None:
            seen.add((best.n, best.start))
            parts.append((best, render(best, sub_intent, [*question_terms(sub), *terms], sources)))
    return parts


def compose(
    question: str,
    sources: Sequence[Chunk],
    *,
    max_sentences: int = 4,
    similarity: Similarity | None = None,
    documents: Mapping[str, str] | None = None,
) -> str:
    """A short answer with [n] markers built from the sources' own sentences ("" when there are no sources)."""
    if not sources:
        return ""
    intent = classify(question)
    if intent.kind == "meta":
        text = metadata_answer(question, intent.meta_fields, sources, documents)
        if text:
            if not asks_source(question):
                return text
            # 哪个地方、第几号提案: the number alone does not say whose reply it is
            n = meta_source(question, sources)
            agency = sources[n - 1].meta.agency
            if agency and agency not in text:
                opening = _source_opening(sources[n - 1], n)
                # (the opening states the number and the title itself)
                return opening if set(intent.meta_fields) <= {"proposal_no", "title"} else opening + text
            return text
    ranked = rank_sentences(question, sources, intent, similarity=similarity)
    if not ranked:
        return ""
    terms = sorted(question_terms(question), key=len, reverse=True)
    subs = sub_questions(question) if not intent.cross_doc else [question]
    if len(subs) == 1:
        picks = _pick(question, intent, ranked, sources, max_sentences, documents)
        if intent.cross_doc:  # sentences of one place together, in the order places first appear
            order = list(dict.fromkeys(place_of(sources[c.n - 1].meta) for c in picks))
            picks.sort(key=lambda c: order.index(place_of(sources[c.n - 1].meta)))
        labelled: set[str] = set()
        rendered = [(c, render(c, intent, terms, sources, labelled)) for c in picks]
        if intent.cross_doc:  # each place already names itself
            return "".join(text for _, text in rendered)
        return _identified(question, rendered, sources, arrange(rendered, sources, numbered=intent.kind == "list"))
    parts = _many_parts(question, subs, terms, sources, similarity)[:max_sentences]
    if not parts:
        return render(ranked[0], intent, terms, sources)
    # the parts in the order they were asked
    return _identified(question, parts, sources, arrange(parts, sources, numbered=False, reorder=False))


def _identified(question: str, rendered: Sequence[tuple[Candidate, str]], sources: Sequence[Chunk], text: str) -> str:
    """The answer, opened with the reply its first sentence is from when the question asks which reply or place
    said it: its agency, the proposal's number and title (出自榕屿市卫生健康委员会对市政协七届三次会议第203号提案
    《关于加强罕见病诊疗保障的提案》的答复[1]). The heading alone may name neither place nor topic."""
    if not rendered or not asks_source(question):
        return text
    c = rendered[0][0]
    return _source_opening(sources[c.n - 1], c.n) + text


def _source_opening(chunk: Chunk, n: int) -> str:
    """出自<agency>对<meeting>第N号提案《title》的答复[n]。 — or, for a plan or a notice, which answers no proposal,
    出自《its name》（issuer）[n]。; "" when the source names neither."""
    meta = chunk.meta
    if not meta.proposal_no:
        name = source_name(chunk)
        if not name:
            return ""
        issuer = f"（{meta.agency}）" if meta.agency and meta.agency not in name else ""
        return f"出自《{name}》{issuer}[{n}]。"
    kind = meta.kind[-2:] if meta.kind else ""  # 提案 of 政协提案, 建议 of 人大建议
    title = f"《{meta.title}》" if meta.title else ""
    return f"出自{meta.agency}对{meta.meeting}第{meta.proposal_no}号{kind}{title}的答复[{n}]。"


def source_name(chunk: Chunk) -> str:
    """How an answer names its source: the reply's heading (对…第N号提案的答复), else its title; "" if neither."""
    return chunk.meta.heading or chunk.meta.title


def arrange(
    rendered: Sequence[tuple[Candidate, str]], sources: Sequence[Chunk], *, numbered: bool, reorder: bool = True
) -> str:
    """The answer sentences grouped by source document, each group opened with 据《source》: the direct answer
    (the first sentence) first, then the rest of its document in reading order, then the other documents in the
    order they first appear. A list answer of several sentences is numbered, one item a line."""
    groups: dict[str, list[tuple[Candidate, str]]] = {}
    for c, text in rendered:
        groups.setdefault(sources[c.n - 1].doc_id, []).append((c, text))
    numbered = numbered and len(rendered) > 1
    out: list[str] = []
    item = 0
    for members in groups.values():
        if reorder:
            lead, rest = members[0], members[1:]
            members = [lead, *sorted(rest, key=lambda m: (sources[m[0].n - 1].ordinal, m[0].start))]
        name = source_name(sources[members[0][0].n - 1])
        opener = f"据《{name}》" if name else ""
        if numbered:
            lines = []
            for _, text in members:
                item += 1
                lines.append(f"{item}. {text}")
            out.append("\n".join([f"{opener}：" if opener else "", *lines]).strip("\n"))
        else:
            out.append((f"{opener}，" if opener else "") + "".join(text for _, text in members))
    return "\n".join(out) if numbered else "".join(out)
