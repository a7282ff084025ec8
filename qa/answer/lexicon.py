"""The answer stage's vocabulary, loaded from the reviewable tables in qa/data (each entry with its reason).

Question words, corpus-wide generic words, colloquial → official synonyms, measure words and the measure words
that answer for each other, and metadata words. The modules of qa.answer
read them from here; none keeps its own copy.
"""

from __future__ import annotations

import re

from qa.data import read_table, word_map, word_set

# Words that say what kind of answer is wanted but not what it is about (多少, 哪些, 请问, 的).
QUESTION_WORDS = word_set("question_words")
# Everywhere in this corpus (工作, 措施, 我区): they neither find nor rule out an answer.
GENERIC = word_set("generic")
# Words people type and the words the documents use for them (colloquial → official, and variants).
SYNONYMS = word_map("synonyms")
# Everyday words whose official counterparts are worth adding to the retrieval query itself, in table order.
COLLOQUIAL = tuple(word for (word,) in read_table("colloquial"))
# Measure word → the measure words that answer for it: 多少人 is answered by 1261名, 多少个中心 by 8个 or 8家.
UNITS = word_map("units")
# Words that name a metadata field or the kind of document, not a topic: 主管领导有哪些 asks about no topic.
META_WORDS = word_set("meta_words")

# A figure with its measure word: 20亩, 5-12个 (the 12个), 10万余张, 500万.
_NUMBER_UNIT = r"\d[\d,.]*\s*(?:万|亿)?\s*(?:余|多)?\s*(?:{unit})"


def present(term: str, text: str) -> bool:
    """Whether a text holds a question's term or one of the documents' words for it."""
    return term in text or any(s in text for s in SYNONYMS.get(term, ()))


def mentions(term: str, text: str) -> bool:
    """present, or a three-character term written out with a character or two more before its last (政府办 in
    政府举办, 护理站 in 护理服务站), or 平均 shortened to 均 (平均收入 in 人均收入): a question and a document
    shorten words the way Chinese abbreviates."""
    if present(term, text):
        return True
    if term.startswith("平均") and len(term) > 3 and f"均{term[2:]}" in text:
        return True  # 平均X is written 人均X or 户均X: 平均 shortens to 均 in a compound
    if len(term) != 3:
        return False
    written_out = f"{re.escape(term[:2])}[\u4e00-\u9fa5]{{1,2}}{re.escape(term[2])}"
    return re.search(written_out, text) is not None


def term_pattern(term: str) -> str:
    """A regex for a question's term as documents may write it: itself, a synonym, or, for a two-character term,
    the longer word it abbreviates (托班 for 托育班: first and last characters kept, the way Chinese shortens
    names)."""
    forms = [re.escape(term), *map(re.escape, SYNONYMS.get(term, ()))]
    if len(term) == 2:
        forms.append(f"{re.escape(term[0])}[\u4e00-\u9fa5]{{1,2}}{re.escape(term[1])}")
    return "|".join(forms)


# 多久 / 多长时间 ask for a duration (the pseudo-unit 时长), stated in any unit of time: 26分钟, 3个工作日, 2年.
DURATION = "时长"
DURATION_UNITS = ("分钟", "小时", "个工作日", "工作日", "天", "周", "个月", "月", "年", "日")


def unit_forms(unit: str) -> tuple[str, ...]:
    """The measure words (regex fragments, from units.tsv) that answer for `unit` (人 → 人, 名, 位)."""
    if unit == DURATION:
        return DURATION_UNITS
    return tuple(UNITS[unit]) if unit in UNITS else (re.escape(unit),)


def unit_alternatives(unit: str) -> str:
    """A regex alternation of the measure words that answer for `unit` (人 → 人|名|位)."""
    return "|".join(unit_forms(unit))


def figure_pattern(units: str) -> str:
    """A regex for a figure followed by one of `units` (a regex alternation, see unit_alternatives)."""
    return _NUMBER_UNIT.format(unit=units)
