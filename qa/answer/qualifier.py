"""Near misses: words of a figure question that narrow what it counts, which the figure's sentence does not state.

A reply speaks of its topic in many sentences; the one holding a figure may count something larger or something
else than the question asks: every pupil where 初中生 were asked, all the county where 城区 was, another town's or
another institution's figure, a one-item share of a summed list, another rate of one list of rates. Each check
here finds the question's narrowing word and whether the figure's sentence, its paragraph and section state it;
the words and shares they rely on are those of qa.answer.subject, the checks of groups, kinds, rates and table
rows those of qa.answer.groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from qa.answer.groups import (
    abbreviates,
    listed_where,
    narrower_kind,
    other_row_asked,
    other_unit_item,
    outside_breakdown,
    unlisted_group,
    unnamed_sibling,
    with_parent_row,
)
from qa.answer.lexicon import GENERIC, QUESTION_WORDS, present, term_pattern
from qa.answer.question import NOUN_FLAGS, Intent, asks_something, classify, is_entity
from qa.answer.roles import is_enumerated
from qa.answer.select import Candidate, best_candidate
from qa.answer.subject import (
    AREA_WORDS,
    QUANTITY_STOP,
    corpus_size,
    document_frequency,
    names_one_thing,
    present_or_abbreviated,
)
from qa.answer.sums import sum_for_part
from qa.data import word_set
from qa.records import Chunk
from qa.text import join_levels, normalize, split_sentences

# A figure with a measure of age, time or size that a question gives as a qualifier (not a year).
_GIVEN_FIGURE_RE = re.compile(r"\d+(?:\.\d+)?(?=\s*(?:岁|周岁|小时|公里|分钟|平方米|张床))")
# A town, street or area below the county level, named with its level (漆园镇, 柳湾街道, 东坪片区).
# (街 alone is a 街道 in Wuhan-style names: 纸坊街, 乌龙泉街卫生院; not 街头, 街区, 街坊)
# Overlapping (a lookahead), as in 榆关县石岭镇 the town is 石岭镇, not 县石岭镇.
_TOWN_RE = re.compile(r"(?=(([\u4e00-\u9fa5]{2,3}?)(?:镇(?!级)|乡(?![镇村级下])|街道|街(?![头区坊巷道])|片区)))")
# characters of function words, levels and common words, never of a town's own name (各乡镇, 送医下乡, 城乡)
_NOT_TOWN_CHARS = re.compile(r"[全各每本该这那某哪几个县区市乡镇下送城农村在到和与及的了]")
# overlapping (a lookahead): in 榆关区石岭中心卫生院 the name is 石岭, not 区石岭
_INSTITUTION_RE = re.compile(r"(?=([\u4e00-\u9fa5]{2})(?:中心卫生院|卫生院|社区卫生服务(?:中心|站)|中心医院|医院))")
_WHOLE_PLACE_RE = re.compile(r"全(?:县|市|区|省)")
_QUOTED_RE = re.compile(r"[“「『\"][^”」』\"]*[”」』\"]")
# words pointing at the proposal or its proposer (提案, 代表, 界别)
_PROPOSAL_POINTERS = word_set("proposal_pointers")


def _points_at_proposal(clause: str) -> bool:
    return any(word in clause for word in _PROPOSAL_POINTERS)


QUALIFIER_SHARE = 0.15  # a word in at most this share of the documents qualifies what is counted (运营补贴, 续约)
_QUALIFIER_FLAGS = ("b", "vn")  # distinguishing words (省级, 民营) and verbal nouns (运营) qualify a counted thing


# A whole named first, then the part asked of it: 全县卫生院中，中心卫生院有几家 / 这笔经费中，村医补助是多少
# (答复里，… locates the reply the question is about: a document is no whole of parts)
_PART_OF_WHOLE_RE = re.compile(
    r"(?<!答复)(?<!回复)(?<!复函)(?<!提案)(?<!建议)(?<!议案)(?<!规划)(?<!文件)(?<!方案)(?<!报告)"
    r"(?:[里中]|其中|当中)[，,]\s*([^，,。；;？?]{2,24})[？?。]?$"
)


# One item asked alone (光是上门护理的运营补助, 单是药品费用): the figure must be that item's, not a sum it is part of
_ONLY_PART_RE = re.compile(
    r"(?:光是|光算|单是|单单|仅仅是?|只算|只是)([^，,。；;？?]{2,24}?)(?:[，,]|一共|共|总共|有|是|花了|发了|用了|$)"
)


def part_asked(question: str, frequency: Callable[[str], int] | None = None) -> list[str]:
    """The nouns of the part a question asks of a whole it names first (全县卫生院中，中心卫生院有几家 → [中心,
    卫生院]); [] when it asks no part. `frequency` (a word's document frequency) picks, of a part described as
    X的Y, the side with the rarer word."""
    from qa.index.tokenize import pos_tokenizer

    m = _PART_OF_WHOLE_RE.search(normalize(question)) or _ONLY_PART_RE.search(normalize(question))
    if not m:
        return []
    nouns = [
        [
            w
            for w, f in pos_tokenizer().lcut(phrase)
            if f.startswith(NOUN_FLAGS)
            and len(w) >= 2
            and not is_entity(w)
            and w not in GENERIC
            and w not in QUESTION_WORDS
            and w not in QUANTITY_STOP
        ]
        for phrase in m.group(1).split("的", 1)
    ]
    if len(nouns) == 2 and nouns[0] and nouns[1] and frequency is not None:
        # 持健康证的师傅 / 能下乡巡诊的流动医疗车: the side with the rarer word picks the part out; the other may be
        # everyday words for it (师傅 for 从业人员) or an explanation (能下乡巡诊 of 流动医疗车)
        def rarest(words: list[str]) -> int:
            return min((f for f in map(frequency, words) if f), default=10**9)

        return min(nouns, key=rarest)
    # without frequencies, what is said before 的 picks the part out
    return nouns[0] if len(nouns) == 2 and nouns[0] else [w for part in nouns for w in part]


def _in_summed_list(word: str, text: str) -> bool:
    """Whether the word's only figure is the sum of a list it is one item of (血压计、血糖仪共2400台)."""
    summed = own = False
    for clause in re.split(r"[，,。；;]", text):  # normalize() may have made a comma half-width
        if not re.search(term_pattern(word), clause):
            continue
        listed = bool(re.search(r"[、和及与]", clause))
        if re.search(r"\d", clause):
            if listed and _SUM_RE.search(clause):
                summed = True
            else:
                own = True  # 其中血压计1500台
        elif listed and _SUM_RE.search(text):
            summed = True  # 组建了A团队、B团队、C小分队，…共计1261名: the sum is in a later clause
    return summed and not own


_SUM_RE = re.compile(r"(?:共|合计|总计)\s*计?\s*\d")


def _named_towns(text: str) -> list[str]:
    """The towns and streets a text names with their level (漆园镇, 柳湾街道, 柳湾街), each in its shortest reading
    (龙泉街 of 乌龙泉街, two readings of one name: the shorter is found wherever the longer is)."""
    towns = [m.group(1) for m in _TOWN_RE.finditer(text) if not _NOT_TOWN_CHARS.search(m.group(2))]
    return [t for t in dict.fromkeys(towns) if not any(o != t and o in t for o in towns)]


def _town_name(town: str) -> str:
    """A town's name without its level (石湾 of 石湾街道: replies write 石湾街 too)."""
    return re.sub(r"(?:镇|乡|街道|街|片区)$", "", town)


def _towns_as_written(text: str, words: Sequence[tuple[str, str]]) -> list[str]:
    """The towns a text names (see _named_towns) whose name starts where a word of it starts and whose level is no
    verb's (回乡, 下乡): 青山镇 and 青苔片区, never 员返乡 of 人员返乡."""
    starts, verb_chars = {0}, set()
    at = 0
    for word, flag in words:
        if flag.startswith("v"):
            verb_chars.update(range(at, at + len(word)))
        at += len(word)
        starts.add(at)
    towns = []
    for town in _named_towns(text):
        name = _town_name(town)
        for m in re.finditer(re.escape(town), text):
            if m.start() in starts and m.start() + len(name) not in verb_chars:
                towns.append(town)
                break
    return towns


# An institution named with the level of its place: 区人民医院, 县中医院, 市妇幼保健院 (level, own name, kind)
_LEVELED_INSTITUTION_RE = re.compile(
    r"([区县市])((?:(?![区县市])[\u4e00-\u9fa5]){1,4}?)(保健院|中心卫生院|卫生院|中心医院|医院)"
)


def _leveled_institutions(text: str) -> list[tuple[str, str, str]]:
    return [m.groups() for m in _LEVELED_INSTITUTION_RE.finditer(text)]


def unstated_qualifier(
    question: str, sentence: str, context: str, document: str, doc_texts: Mapping[str, str], paragraph: str = ""
) -> str:
    """A word of the question that narrows what it counts (运营补贴 in 运营补贴发给了多少家机构) which the sentence
    holding the figure, its section path and title do not state, while a few other documents use it: the answering
    document speaks of it elsewhere, so that figure counts something else (备案托育机构213家), or, for a word very few
    documents use, it never speaks of it (民营 where it counts every hospital). "" when there is none.

    Words no document uses (colloquial) can rule nothing out; words many use (三级) say too little.
    """
    from qa.index.tokenize import pos_tokenizer

    if not doc_texts:
        return ""
    key, n_docs = corpus_size(doc_texts)
    # Nouns are left out: a sentence names the thing itself in its own words (急救反应时间 for 救护车多久到). A
    # Latin-letter name (HPV, AED, PICC) has no other words, so it is kept: 11.8万剂次 of the routine vaccines is
    # no count of HPV doses when the reply names HPV only in another sentence.
    asked = normalize(question)
    words = [(w, f) for w, f in pos_tokenizer().lcut(asked)]
    terms = [
        w
        for w, f in words
        if (f in _QUALIFIER_FLAGS or f == "eng") and len(w) >= 2 and w not in GENERIC and w not in QUESTION_WORDS
    ]
    held = join_levels(normalize(f"{context}{sentence}"))
    own = normalize(sentence)  # the figure's sentence alone
    whole = normalize(document)
    # the part a question picks out of a whole (卫生院中，中心卫生院有几家) must be named where the figure is: a
    # figure without it is the whole's, or another part's
    near = join_levels(normalize(context + paragraph + sentence))
    for word in part_asked(question, lambda w: document_frequency(w, key)):
        if not document_frequency(word, key):
            continue  # a word no document uses (colloquial) rules nothing out
        if not present_or_abbreviated(word, near) or _in_summed_list(word, own):
            return word
    # a figure the question gives to pick out what it counts (45岁以下的村医, 24小时接诊的门诊) must be the
    # figure sentence's own: without it the sentence counts a larger group
    # (a figure inside quotation marks is part of a programme's name: “15分钟健康服务圈”)
    for given in _GIVEN_FIGURE_RE.findall(_QUOTED_RE.sub("", asked)):
        if not re.search(rf"(?<![\d.]){re.escape(given)}(?![\d.])", held):  # (24 is no part of 2024年)
            return given
    # …and so must a town the question names (漆园镇): the reply's figure for another town is no answer. A clause
    # that only points at the proposal (经济和农业界别那件提案) names its proposer, not a part of the place.
    asking = "，".join(c for c in re.split(r"[，,；;]", asked) if asks_something(c) or not _points_at_proposal(c))
    towns = _named_towns(asking)
    # 城区, 农村: a part of the place, like a town (a word of its own: 乡村医生 names no part of the county)
    towns += [w for w, _ in pos_tokenizer().lcut(asking) if w in AREA_WORDS]
    # …and an institution's own name (石岭 of 石岭中心卫生院), a word few documents use: another institution's
    # date or figure (山坡中心卫生院's) is no answer
    for m in _INSTITUTION_RE.finditer(asked):
        name = m.group(1)
        df = document_frequency(name, key)
        if not _NOT_TOWN_CHARS.search(name) and df and names_one_thing(df, n_docs):
            towns.append(name)
    stated = normalize(f"{context}{paragraph or sentence}")
    counts_whole = bool(_WHOLE_PLACE_RE.search(own))
    for town in towns:
        # (a town named only before a sentence that counts the whole county is not what it counts)
        if town in whole and (town not in stated or (counts_whole and town not in own)):
            return town
        # a town other replies name, asked of a sentence that counts the whole county (全区147个…): no town's figure
        # (by its name without the level: 石湾街道 is written 石湾街 too)
        name = _town_name(town)
        if len(name) >= 2 and name not in whole and counts_whole and document_frequency(name, key):
            return town
    # a town the reply never names at all (青苔片区 where it gives two other areas' figures): none of its figures
    # is that town's
    for town in _towns_as_written(asking, pos_tokenizer().lcut(asking)):
        if _town_name(town) not in whole:
            return town
    # An institution of the place asked by its name (区人民医院), which the reply names, is no subject of a figure
    # sentence about another of the same level and kind (县中医医院…CT近3万人次): replies give each hospital's
    # figures in turn
    # (a sentence naming none goes on with the one before: 县人民医院开设夜间门诊。开诊以来共接诊患儿3860人次)
    sentence_own = _leveled_institutions(own) or _leveled_institutions(normalize(paragraph))
    for level, name, kind in _leveled_institutions(asked):
        # (妇幼保健院, 医院, 卫生院: hospitals all, named apart by what comes before)
        siblings = [n for lv, n, _ in sentence_own if lv == level and n != name]
        if siblings and f"{level}{name}{kind}" in whole and name not in own:
            return f"{level}{name}{kind}"
    name = _unstated_name(words, near, whole, key, n_docs)
    if name:
        return name
    narrower = (
        narrower_kind(words, held, whole, key)
        or outside_breakdown(words, sentence, held, whole, key)
        or unlisted_group(words, sentence, held, key)
        or other_unit_item(words, sentence, classify(question).unit)
        or listed_where(words, sentence)
    )
    if narrower:
        return narrower
    for term in terms:
        df = document_frequency(term, key)
        if not df or df > QUALIFIER_SHARE * n_docs or present_or_abbreviated(term, held):
            continue
        # the reply speaks of it, but not of this figure; or (a word very few documents use) it never speaks of it,
        # as when 民营 is asked and the reply counts every hospital
        if present(term, whole) or names_one_thing(df, n_docs):
            return term
    return ""


# Words that end a name in a question: numbers and measures, pronouns, particles, prepositions, conjunctions, places
# of 里/中, verbs (a name's own verbal nouns, 救助 of 医疗救助, are tagged vn), punctuation.
_NOT_IN_NAME_FLAGS = ("x", "m", "q", "r", "u", "p", "c", "f", "y", "e", "o", "z", "v")
_PLACE_FLAGS = ("ns", "nr", "ng")
MAX_NAME_WORDS = 5


def _unstated_name(words: Sequence[tuple[str, str]], near: str, whole: str, key: int, n_docs: int) -> str:
    """A name the question gives in consecutive words (长期护理保险试点: four characters or more) that the reply
    uses elsewhere and few documents use, while the figure's sentence, paragraph and section state neither it nor
    its last word, its head: the figure is of another thing the reply speaks of (a plan for 护理站 where a
    长期护理保险试点 was asked). "" when there is none.

    Not a name: one opening with a place (岚溪市公共场所 is 公共场所 there) or holding a word that points at the
    proposer (鄢代表); nor one whose head the sentence states (护理床位 in 床位30张: the same thing in its words)."""
    found: list[str] = []
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + MAX_NAME_WORDS) + 1):
            span = words[i:j]
            word, flag = span[-1]
            if (flag.startswith(_NOT_IN_NAME_FLAGS) and flag != "vn") or word in QUESTION_WORDS:
                break
            name = "".join(w for w, _ in span)
            place = span[0][1].startswith(_PLACE_FLAGS) or is_entity(span[0][0]) or is_entity(name)
            person = any(w in _PROPOSAL_POINTERS for w, _ in span)
            if len(name) >= 4 and not place and not person and name in whole and span[-1][0] not in near:
                found.append(name)
    for name in found:
        if any(name != other and name in other for other in found):
            continue  # the longest name the reply uses: 长期护理保险试点 rather than 护理保险
        df = document_frequency(name, key)
        # (科研立项项目 states 科研项目: its characters in order, a word or two between; 社卫中心 abbreviates
        # 社区卫生服务中心)
        spread = ".{0,3}".join(re.escape(ch) for ch in name)
        if (
            df
            and names_one_thing(df, n_docs)
            and not present_or_abbreviated(name, near)
            and not re.search(spread, near)
            and not _abbreviated_in(name, near)
        ):
            return name
    return ""


def _abbreviated_in(word: str, text: str) -> bool:
    """Whether the text holds an abbreviation of the word that ends as it does (社卫中心 of 社区卫生服务中心)."""
    for m in re.finditer(re.escape(word[0]), text):
        for size in range(3, len(word)):
            short = text[m.start() : m.start() + size]
            if short.endswith(word[-1]) and abbreviates(short, word):
                return True
    return False


def narrowing_reason(
    question: str, part: str, candidate: Candidate, sources: Sequence[Chunk], texts: Mapping[str, str]
) -> str:
    """Why the candidate's figure is not the one asked, by a word of the question that narrows what is counted
    (unstated_qualifier) or another rate of its list (unnamed_sibling); "" when neither rules it out."""
    return _narrowing(question, part, candidate, sources, texts)[0]


def _narrowing(
    question: str, part: str, candidate: Candidate, sources: Sequence[Chunk], texts: Mapping[str, str]
) -> tuple[str, str]:
    """narrowing_reason, with the narrowing word the sentence lacks ("" when the reason is no word of it)."""
    held = sources[candidate.n - 1]
    context = f"{held.meta.agency}{held.section}{held.meta.display_title}{held.meta.heading}"
    # the sentence with the one before it: a town may open the account a figure ends (蔺桥镇…。…配置透析机8台);
    # not when the figure's sentence opens an item of an enumeration ((二)…, 二是…): the item before is another account
    opens_item = is_enumerated(held.text, candidate.start)
    before = [a for a, _ in split_sentences(held.text) if a < candidate.start and not opens_item]
    paragraph = held.text[before[-1] if before else candidate.start : candidate.end]
    document = texts.get(held.doc_id, "")
    # (a table's sub-row, 其中：…, is read with the label of the row it breaks down)
    sentence = with_parent_row(held.text, candidate.start, candidate.end)
    qualifier = unstated_qualifier(question, sentence, context, document, texts, paragraph)
    if qualifier:
        return f"the sentence with the figure says nothing of {qualifier}", qualifier
    row = other_row_asked(question, candidate.text, document)
    if row:
        return f"the question asks the table row {row}, the figure is another row's", ""
    summed = sum_for_part(part or question, candidate.text)
    if summed:
        return summed, ""
    siblings = unnamed_sibling(part or question, candidate.text)
    return (f"the sentence gives figures for {siblings}, none of them the one asked" if siblings else ""), ""


TRIED = 3  # leading figure sentences of the answering reply tried before a near miss is declared


def fitting_candidate(
    question: str,
    part: str,
    best: Candidate,
    ranked: Sequence[Candidate],
    intent: Intent,
    frame: str,
    sources: Sequence[Chunk],
    texts: Mapping[str, str],
) -> tuple[Candidate, str]:
    """The figure sentence to answer with: the leading one, or when a narrowing word rules it out (筛查学生6.37万人
    for 初中生), the next of the same reply that states the asked group (其中…初中生67.5%). With the reason when
    none of the first few does (the leading one is then a near miss)."""
    reason, lacking = _narrowing(question, part, best, sources, texts)
    if not reason:
        return best, ""
    doc = sources[best.n - 1].doc_id
    # (the same sentence from another passage of the reply is no other sentence)
    rest = [c for c in ranked if sources[c.n - 1].doc_id == doc and c.text.strip() != best.text.strip()]
    # a figure sentence of the reply that states the lacking word (其中实行24小时接诊的有9家), ranked lower
    stating = [c for c in rest if c.typed and lacking and lacking in normalize(c.text)]
    for other in stating[:TRIED]:
        if not narrowing_reason(question, part, other, sources, texts):
            return other, ""
    for _ in range(TRIED - 1):
        other = best_candidate(rest, intent, frame=frame)
        if other is None:
            break
        # …about the subject at least as much: a sentence naming 城区 but stating its response time is no count
        if other.topic_coverage >= best.topic_coverage and not narrowing_reason(question, part, other, sources, texts):
            return other, ""
        rest = [c for c in rest if c is not other]
    return best, reason
