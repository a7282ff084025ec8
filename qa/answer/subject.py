"""What a figure question is about, and whether a passage and a sentence speak of that same thing.

A figure question names a subject (山坡中心卫生院, 家庭医生签约) and the quantity it wants (总投资, 签约率, 吸烟率).
The commonest wrong answers state a figure about something else: another project's investment, a count the
question itself gave (江汉区12家… → "12家"), a rate where a total was asked (每床日260元 for a total), a year
inside a 文号 (岭卫发〔2022〕7号 is no figure for 2022). These signals are general shapes of how people ask and how
replies state figures; the few words they need live in qa/data tables.

- `subject_terms` and `subject_coverage`: the question's content words that the documents use, weighted by how
  few documents use them; the passage that answers must hold most of that weight, and the most specific word.
- `figure_fits`: whether a sentence's figure is the asked quantity and not an echo, a rate or a 文号 year.

Words of the question that narrow what the figure counts (初中生, 城区, 金口中心卫生院) are checked in
qa.answer.qualifier, with the document frequencies kept here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.answer.lexicon import GENERIC, QUESTION_WORDS, SYNONYMS, UNITS, present, term_pattern, unit_alternatives
from qa.answer.question import NOUN_FLAGS, is_entity
from qa.data import word_set
from qa.text import DOC_NO_YEAR_RE, char_bigrams, normalize

# Words between the quantity and 多少 that only ask or frame: 吸烟率(现在)(是)多少, 总投资(一共)(有)多少.
_ASK_FILLERS = word_set("ask_fillers")
# A question that asks for a total: the answer is a sum, not a rate per bed-day or per person.
_TOTAL_Q_RE = re.compile(r"一共|总共|总计|合计|累计|总额|总数|总共|共计|总投资|总量")
# A rate as replies state it: 42.6%, 2.88‰, a table column （%）, 31.7/10万, 医护比1:1.14, 百分之九十.
_RATE_FIGURE_RE = re.compile(
    r"\d\s*[%‰％]|[（(]\s*[%‰％]\s*[）)]|\d\s*/\s*(?:10)?万|\d\s*[:：]\s*\d|百分之|[一二三四五六七八九]成"
)
# per entity (每个/每家/人均), not per time (每年/每月): a year's sum answers a question per year
_PER_UNIT_Q_RE = re.compile(r"每(?:个|家|所|名|位|人|户|床|次|例)|平均每|人均|户均|床均|单个")
# …and the measure it is per (每家 → 家, 人均 → 人), as a question asks it and as a sentence states it (每名, 每千人口,
# 元/人)
# (每个 is any unit's, and 每个月 a time's: neither names a measure)
_PER_ASKED_RE = re.compile(r"每一?(家|所|名|位|人|户|床|例)|([人户床])均")
_SO_MANY = r"(?:[\d.]+|[一两二三四五六七八九十百千万]+)?\s*(?:万|千|百)?\s*"  # the 3万 of 每3万人, the 千 of 每千人口
_PER_STATED_RE = re.compile(rf"每一?{_SO_MANY}(个|家|所|名|位|人|户|床|例)|([人户床])均|/(人|户|床)")
# What was added or bought (新增多少辆, 购置几台): a count of things, never a ratio to the population
_ADDED_RE = re.compile(r"新增|新建|新购|新招|购置|采购|购买|添置|买了")
# A figure per so many people (每3万人1辆, 每千人口4.5个托位): a ratio, no count of what was built or hired
_PER_POPULATION_RE = re.compile(rf"每\s*{_SO_MANY}(?:人口|人|户)[^\d，,。；;]{{0,8}}?(\d+(?:\.\d+)?)")
_RATE_RE = re.compile(r"每(?:人|床日|床|日|天|月|年|次|例|户|名|个|家|所|平方米|人次)[\u4e00-\u9fa5]{0,4}\d")
_FIGURE_RE = re.compile(r"\d+(?:\.\d+)?")
# A year inside a document number: 〔2022〕, [2022], （2022）.
_DOC_NO_RE = re.compile(rf"{DOC_NO_YEAR_RE.pattern}\s*\d*\s*号?")  # the whole number: 〔2022〕7号
# Words a quantity phrase may end with that say nothing of what is measured (数量, 情况) or only ask (多少).
QUANTITY_STOP = word_set("quantity_stopwords")
AREA_WORDS = word_set("area_words")


@dataclass(frozen=True)
class Quantity:
    """The quantity a figure question asks for: its phrase (签约覆盖率) and whether it asks for a total."""

    phrase: str = ""
    total: bool = False
    figures: tuple[str, ...] = ()  # the figures the question itself states (12家 → "12"): never the answer
    per_unit: bool = False  # 每个卫生院多少, 人均多少: a figure per unit, which a total does not give
    per: str = ""  # …and the measure it is per (户 of 平均每户): a figure per person is not one per household
    ratio: bool = True  # a ratio (每3万人1辆) may answer; not when the question counts what was added (新增多少辆)
    rate: bool = False  # 达标率是多少: a rate, which a count does not give


# The clause before a bare verb of spending (花了多少钱, 用了多少钱): what the money went on.
_SPENT_ON_RE = re.compile(r"([^，,。；;？?]{2,20}?)(?:一共|总共|共|大概|大约)?(?:花|用)了?(?:多少|几)")


def asked_quantity(question: str) -> Quantity:
    """The asked quantity of a 多少/几 question: the nouns right before the asking words (吸烟率是多少 → 吸烟率),
    none when 多少 counts the noun after it (多少个急救站点: see counted_noun) or a verb asks (拿出多少亩地)."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    q = normalize(question)
    pairs = [(w, f) for w, f in pos_tokenizer().lcut(q) if w.strip()]
    phrase = ""
    for i, (word, _flag) in enumerate(pairs):
        if word not in ("多少", "几"):
            continue
        after = pairs[i + 1] if i + 1 < len(pairs) else ("", "x")
        if (after[1] in ("q", "m") or after[0][:1] in UNITS) and after[0] != "钱":  # 多少个站点, 多少人: counted
            continue
        named = _noun_after(pairs, i + 1)
        if named:  # 给多少经费, 能拿多少运营补贴: the noun after 多少 names the quantity itself
            phrase = named
            continue
        j = i - 1
        # 吸烟率(目前)(是)多少: asking words and the time asked about stand between a quantity and 多少
        while j >= 0 and (pairs[j][0] in _ASK_FILLERS or pairs[j][1] == "t"):
            j -= 1
        nouns: list[str] = []
        # 市级奖励了多少钱: the sum of money a verb names (补助, 投入, 奖励) is the quantity, with its modifiers
        if after[0] == "钱" and j >= 0 and pairs[j + 1][0] == "了" and pairs[j][1] == "v" and len(pairs[j][0]) >= 2:
            nouns, j = [pairs[j][0]], j - 1
        while j >= 0 and (
            pairs[j][1].startswith(NOUN_FLAGS)
            or pairs[j][0].endswith("率")
            or (nouns and pairs[j][1] == "b")
            # 预约|率, 近视|比例: a rate or share is named by the word before it
            or (nouns in (["率"], ["比例"], ["占比"]) and len(pairs[j][0]) >= 2)
        ):
            if pairs[j][1] == "ns" or is_entity(pairs[j][0]):  # a place locates the question, it is not measured
                break
            nouns.insert(0, pairs[j][0])
            j -= 1
        while nouns and (nouns[-1] in QUANTITY_STOP or nouns[-1] in GENERIC):
            nouns.pop()  # 托位数的规划目标: 目标 says only that a target is asked
        if nouns and len("".join(nouns)) >= 2:
            phrase = "".join(nouns)
    spent = _SPENT_ON_RE.search(q)
    if not phrase and spent:
        # 采购疫苗花了多少钱: the sum is named by what it bought or built (采购), which its sentence must say
        verbs = [
            w
            for w, f in pos_tokenizer().lcut(spent.group(1))
            if f in ("v", "vn") and len(w) >= 2 and w not in QUANTITY_STOP
        ]
        phrase = verbs[-1] if verbs else ""
    # a figure inside quotes is part of a name (“1+1+12”医联体, “323”攻坚行动), not a figure the question gives
    unquoted = re.sub(r"“[^”]*”|\"[^\"]*\"", "", q)
    figures = tuple(dict.fromkeys(f for f in _FIGURE_RE.findall(unquoted) if not re.fullmatch(r"(?:19|20)\d{2}", f)))
    per_unit = bool(_PER_UNIT_Q_RE.search(q))
    per = next((m.group(1) or m.group(2) for m in _PER_ASKED_RE.finditer(q)), "")
    return Quantity(
        phrase, bool(_TOTAL_Q_RE.search(q)), figures, per_unit, per=per, ratio=asks_ratio(q), rate=phrase.endswith("率")
    )


def asks_ratio(question: str) -> bool:
    """Whether a ratio (每3万人1辆) may answer the question: only what is added or bought is counted for sure
    (新增多少辆), unless the question asks per something (托位数要达到多少 may ask the ratio without 每千人口)."""
    q = normalize(question)
    return not _ADDED_RE.search(q) or bool(re.search(r"每|均|比|率|占|[千万]人", q))


def _noun_after(pairs: Sequence[tuple[str, str]], start: int) -> str:
    """The nouns right after 多少 that name a quantity (多少经费, 多少运营补贴), not a unit and not 钱; ""."""
    nouns = []
    for word, flag in pairs[start:]:
        if not (flag.startswith(NOUN_FLAGS) or (flag == "vn" and not nouns)) or word in QUESTION_WORDS:
            break
        nouns.append(word)
    phrase = "".join(nouns)
    return "" if len(phrase) < 2 or phrase in QUANTITY_STOP or phrase in GENERIC else phrase


def figure_fits(sentence: str, quantity: Quantity, unit_figures: Sequence[str] = (), *, unit: bool = False) -> bool:
    """Whether a sentence's figure can be the asked one.

    Args:
        sentence: the candidate sentence.
        quantity: asked_quantity of the question.
        unit_figures: the figures the sentence states in the asked unit (all its figures when no unit is asked).
        unit: the question asks for a figure in a unit (%, 元, 名): the figure is tied to the question by its unit,
            so the quantity need only be named in the sentence; without one any figure would do, so it must
            stand close to the name of the quantity (签约率为42.6%, not 签约率… “1+4+2+2”模式).
    """
    # normalize() reads 素養 as the 素养 a question asks about; a document number's digits (〔2022〕7号) are no figure
    text = _DOC_NO_RE.sub("", normalize(sentence))
    if quantity.phrase and not names_quantity(quantity.phrase, text, near_figure=not unit):
        return False
    if quantity.total and _RATE_RE.search(text) and not re.search(r"共|累计|合计|总", text):
        return False  # 每床日260元 is a rate; a total was asked
    if quantity.rate and not _RATE_FIGURE_RE.search(text):
        return False  # 达标率 asks a rate: 达标单位18家 counts, it states no rate
    # (每年安排100万元 is a yearly total, not a figure per person)
    if quantity.per_unit and not re.search(
        rf"每(?!年|月|季度|周|天|日)|平均|人均|户均|均为|/(?:人|户|床|次|年|月)|{_EACH_GETS}", text
    ):
        return False  # 全县约412吨 is a total; a figure per 卫生院 was asked
    stated_per = [next(g for g in m.groups() if g) for m in _PER_STATED_RE.finditer(text)]
    if quantity.per and stated_per and not any(re.fullmatch(unit_alternatives(quantity.per), p) for p in stated_per):
        return False  # 每名婴幼儿每月200元 is per child; a figure per institution (每家) was asked
    # the figures the question gives are no answer, each once: 0-3岁婴幼儿托位数 … 3 still states the target 3
    figures = Counter(unit_figures) - Counter(quantity.figures)
    if not quantity.ratio:  # 每3万人1辆 is a ratio: it counts no vehicles
        figures -= Counter(_PER_POPULATION_RE.findall(text))
    return bool(figures)  # a year alone (2023年下半年完成…) states no figure


# 各 before a verb of giving says each unit got the figure: 89家卫生院各配置肺功能仪1台 gives one per 卫生院
_EACH_GETS = "各(?:配置|配备|配发|设置|设立|建设|建成|建|设|有|安排|派驻|招聘|补助|奖励)"

NEAR = 12  # characters between a quantity's name and its figure: 吸烟率为23.8%, 总投资2800万元, 23.8%的吸烟率


def names_quantity(phrase: str, text: str, *, near_figure: bool = False) -> bool:
    """The sentence names the quantity (the phrase or a synonym, or a two-character part of it that is not one of
    the words every reply uses: 签约覆盖率 → 签约率 shares 签约), with near_figure a figure within NEAR characters."""
    names = [phrase, *SYNONYMS.get(phrase, ())]
    names += [g for g in char_bigrams(phrase) if g not in GENERIC and g not in QUESTION_WORDS]
    for name in names:
        if not near_figure and name in text:
            return True
        for m in re.finditer(re.escape(name), text):
            if re.search(r"\d", text[max(0, m.start() - NEAR) : m.end() + NEAR]):
                return True
            # 按每人每月300元标准向在岗乡村医生发放岗位补贴: the figure is the standard of what the clause pays
            clause = re.split(r"[，,。；;]", text[: m.start()])[-1]
            if _STANDARD_RE.search(clause):
                return True
    return False


# A payment's figure given as its standard, before the thing paid: 按每人每年600元的标准给予…补助
_STANDARD_RE = re.compile(r"按[^，,。；;]{0,12}?\d[^，,。；;]{0,8}?标准")


# ---- the subject ------------------------------------------------------------------------------------------------


_PROPER_FLAGS = ("ns", "nt", "nz", "nr", "eng")  # places, organisations, other proper names, Latin words


def subject_terms(question: str) -> list[tuple[str, bool]]:
    """The nouns that say what the question is about, each with whether it is a proper name (山坡, 银医通): no
    places of the 区/县/市 kind, years or other numbers (checked as entities), no generic or asking words."""
    from qa.index.tokenize import pos_tokenizer

    out: dict[str, bool] = {}
    pairs = pos_tokenizer().lcut(normalize(question))
    for word, flag in pairs:
        if len(word) < 2 or not flag.startswith(NOUN_FLAGS) or is_entity(word) or word.isdigit():
            continue
        if word in GENERIC or word in QUESTION_WORDS or word in QUANTITY_STOP:
            continue
        out[word] = out.get(word, False) or flag.startswith(_PROPER_FLAGS)
    # a run of single characters jieba could not make a word of (慢/阻/肺) is a name it does not know: kept whole,
    # as a proper name (subject_check weighs it only if some document uses it)
    for run in _single_character_runs(pairs):
        out.setdefault(run, True)
    return list(out.items())


# tags of single characters that carry content (nouns, verbs, adjectives), not numbers, particles or pronouns
_CONTENT_CHAR_FLAGS = ("n", "v", "a", "ng", "vg", "ag")


def _single_character_runs(pairs: Sequence[tuple[str, str]]) -> list[str]:
    runs: list[str] = []
    current = ""
    for word, flag in [*pairs, ("", "x")]:
        if len(word) == 1 and re.fullmatch(r"[\u4e00-\u9fa5]", word) and flag in _CONTENT_CHAR_FLAGS:
            current += word
            continue
        if len(current) >= 3:
            runs.append(current)
        current = ""
    return runs


@lru_cache(maxsize=4096)
def document_frequency(term: str, corpus_key: int) -> int:
    held = _CORPORA.get(corpus_key)
    return sum(1 for text in held[1] if present(term, text)) if held else 0


# id(doc_texts) → (doc_texts, its normalised texts). The mapping itself is held, so its id cannot be reused by a
# newer index's texts while the entry (and the document frequencies cached under its key) still stands.
_CORPORA: dict[int, tuple[Mapping[str, str], tuple[str, ...]]] = {}


def _corpus_key(doc_texts: Mapping[str, str]) -> int:
    key = id(doc_texts)
    held = _CORPORA.get(key)
    if held is None or held[0] is not doc_texts:
        if len(_CORPORA) > 4 or held is not None:  # indexes replaced by newer builds: keep only a few corpora
            _CORPORA.clear()
            document_frequency.cache_clear()
        _CORPORA[key] = (doc_texts, tuple(normalize(t) for t in doc_texts.values()))
    return key


def corpus_size(doc_texts: Mapping[str, str]) -> tuple[int, int]:
    """The corpus key for document_frequency and the number of documents."""
    key = _corpus_key(doc_texts)
    return key, len(_CORPORA[key][1])


def present_or_abbreviated(term: str, text: str) -> bool:
    """The term, a synonym, or the longer word a two-character term abbreviates (see lexicon.term_pattern)."""
    return re.search(term_pattern(term), text) is not None


@dataclass(frozen=True)
class SubjectCheck:
    """How much of the question's subject a passage holds (0–1, weighted by rarity) and the most specific word
    it lacks ("" when it holds every word that names something few documents speak of)."""

    coverage: float
    missing_specific: str


SPECIFIC_SHARE = 0.1  # a word in at most this share of the documents (and at most 3) names one specific thing


def names_one_thing(df: int, n_docs: int) -> bool:
    """Whether a word found in df of n_docs documents is rare enough to name one specific thing (SPECIFIC_SHARE)."""
    return df <= max(1, min(3, SPECIFIC_SHARE * n_docs))


def subject_check(question: str, passage: str, document: str, doc_texts: Mapping[str, str]) -> SubjectCheck:
    """How far a passage (with its section path and title) is about the question's subject, and the most
    specific subject word its whole document lacks.

    Words no document uses (colloquial words, typing slips) carry no weight: they can neither find nor rule out an
    answer. The rarer a word among the documents, the more it weighs.
    """
    if not doc_texts:
        return SubjectCheck(1.0, "")
    key, n_docs = corpus_size(doc_texts)
    text = normalize(passage)
    weights: dict[str, float] = {}
    specific: list[tuple[int, str]] = []
    for term, proper in subject_terms(question):
        df = document_frequency(term, key)
        if df == 0:
            continue
        weights[term] = math.log((n_docs + 1) / df)
        if proper and names_one_thing(df, n_docs) and term not in SYNONYMS:
            specific.append((df, term))
    total = sum(weights.values())
    if not total:
        return SubjectCheck(1.0, "")
    held = sum(w for t, w in weights.items() if present(t, text))
    whole = normalize(document) + text
    missing = next((t for _, t in sorted(specific) if not present_or_abbreviated(t, whole)), "")
    return SubjectCheck(held / total, missing)
