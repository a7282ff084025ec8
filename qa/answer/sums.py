"""Sums and parts: a figure its sentence gives for all of several units or years, asked of one of them.

Replies give totals: what 2 hospitals sent together (累计派驻医师57人), what 4 firms delivered (4家配送企业…配送金额
8640万元), what three years achieved (近三年累计完成…70人). A question about each one (各派驻了多少名, 每家) or
about one year (2024年全年) asks a part the reply does not break down; the total is no answer to it.
"""

from __future__ import annotations

import re

from qa.answer.lexicon import unit_forms
from qa.answer.question import classify
from qa.text import normalize

# The question asks one unit's figure: 各 right after a count of units (2家三级医院各派驻了多少名; 各 after a
# list, 影像和心电各做了多少, is "respectively"), 每 before a measure (每家, 每人), an average (平均, 人均), a price
# of one (多少钱一盒). Not 各 before a noun (各乡镇卫生院有多少医生 may ask all of them).
_EACH_ASKED_RE = re.compile(
    r"[\d一二两三四五六七八九十几]+[家个所位名支座][^，,。？?各]{0,12}各(?=[\u4e00-\u9fa5]{0,3}?(?:了|多少|几))"
    r"|每一?[家个所位名人户次针剂间张台辆座支]|平均|人均|户均|多少钱一"
)
# …or one year's: a year alone (2024年全年), or 全年 / 每年 / 年均
_ONE_YEAR_ASKED_RE = re.compile(r"一年|全年|每年|年均|当年")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}(?=年)")
# words that ask the sum itself (一共, 加起来, 累计) or several years (这几年, 2021到2023年): no part asked
_TOTAL_ASKED_RE = re.compile(r"一共|总共|共计|合计|总计|累计|加起来|总数|总额")
_YEARS_ASKED_RE = re.compile(
    r"这几年|近[两二三四五六七八九十\d]+年|以来|历年|(?:19|20)\d{2}年?\s*[至到~～—-]\s*(?:19|20)?\d{2}"
)
# A figure the clause marks as a total of units (累计, 共计, 合计, 总额) …
_SUM_MARK_RE = re.compile(r"累计|共计|合计|总计|总额|总量|总数|共[\d一二两三四五六七八九十]")
# …or a sum over years (近三年, 五年来, 2021年以来, 2021—2023年)
_YEARS_SUM_RE = re.compile(
    r"近[两二三四五六七八九十\d]+年|[两二三四五六七八九十]+年(?:来|间|累计)|(?:19|20)\d{2}年以来|(?:19|20)\d{2}\s*[至到~～—-]\s*(?:19|20)?\d{2}年"
)
# a clause giving one unit's figure (每家, 各, 均, 元/人): no sum of parts
_PER_UNIT_RE = re.compile(r"每|各|均|/|分别")
# a count of units with its measure (2家, 4家, 11个)
_UNIT_COUNT_RE = re.compile(r"\d+[家个所名位支座]")


def _figure_clause(question: str, sentence: str, counts: list[str]) -> str:
    """The clause of the sentence holding a figure (not only a year or a count of units the question names; in
    the asked unit when the question asks one: 多少钱 → 1260万元, not 1台) that shares most of the question's pairs
    of characters: the one the figure asked for stands in."""
    pairs = {question[i : i + 2] for i in range(len(question) - 1)}
    unit = classify(question).unit
    in_unit = re.compile(rf"\d\s*(?:{'|'.join(unit_forms(unit))})") if unit else re.compile(r"\d")
    best, best_shared = "", -1
    for clause in re.split(r"[，,；;。]", sentence):
        rest = _YEAR_RE.sub("", clause)
        for count in counts:
            rest = rest.replace(count, "")
        if not in_unit.search(rest):
            continue
        shared = sum(clause[i : i + 2] in pairs for i in range(len(clause) - 1))
        if shared > best_shared:
            best, best_shared = clause, shared
    return best


def sum_for_part(question: str, sentence: str) -> str:
    """Why the sentence's figure is a sum where the question asks a part of it (one unit's: 各派驻了多少名 of
    累计派驻57人 or of what 4家 did together; one year's: 2024年 of 近三年累计), "" when it is not."""
    asked, text = normalize(question), normalize(sentence)
    counts = [c for c in _UNIT_COUNT_RE.findall(asked) if c in text]
    clause = _figure_clause(asked, text, counts)
    if not clause or _PER_UNIT_RE.search(clause) or _TOTAL_ASKED_RE.search(asked):
        return ""
    if _EACH_ASKED_RE.search(asked) and (_SUM_MARK_RE.search(clause) or counts):
        return "the figure is the total of several, the question asks each one's"
    years = set(_YEAR_RE.findall(asked))
    one_year = (len(years) == 1 or _ONE_YEAR_ASKED_RE.search(asked)) and not _YEARS_ASKED_RE.search(asked)
    if one_year and _YEARS_SUM_RE.search(clause) and not any(y in clause for y in years):
        return "the figure is a sum over several years, the question asks one year's"
    return ""
