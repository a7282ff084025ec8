"""A copy of the text for pattern matching: simplified characters, full-width punctuation, dates as numbers.

The document keeps its original text for display and quoting; metadata patterns run on this copy, so a page in
traditional characters (衛生健康局關於…答覆) or with half-width punctuation (联系人:何静,电话:…) reads like any other.
`for_matching` keeps the length of a line, so a position found in the copy is the same position in the original.
"""

from __future__ import annotations

import re

from qa.text import to_simplified

_PUNCT = str.maketrans(
    {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？", "「": "“", "」": "”"}
)
# A year in numerals is sometimes typed with a Latin O or a full-width zero for 〇 (二O二二年).
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "Ｏ": 0, "０": 0}
_CN_DIGIT |= {c: i for i, c in enumerate("一二三四五六七八九", 1)}
_HALF = re.compile(r"[,:;()!?「」]")
_CN_NUM = "一二三四五六七八九十"
# A number written in Chinese numerals (第二十三号, 第一百零五号): digits, 零/〇 and the units 十百千.
CN_NUMERAL = "[〇零一二三四五六七八九十百千]+"
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_DATE = re.compile(
    rf"([〇○零OoＯ０一二三四五六七八九]{{4}})\s*年\s*([{_CN_NUM}]{{1,3}})\s*月(?:\s*([{_CN_NUM}]{{1,3}})\s*日)?"
)
# 2022年7月8日, 2024年09月03日, 2022-07-08, 2022.7.8, 2022/7/8, 2021. 07 (a title page's month).
DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*"
    r"(?:年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?|[.．/\-－]\s*(\d{1,2})(?:\s*[.．/\-－]\s*(\d{1,2}))?)(?!\d)"
)


def for_matching(line: str) -> str:
    """The line as patterns expect it: simplified characters and full-width punctuation, same length."""
    line = to_simplified(line)
    return line.translate(_PUNCT) if _HALF.search(line) else line


def cn_number(numeral: str) -> int:
    """The value of a Chinese numeral: 七 → 7, 十二 → 12, 二十三 → 23, 一百零五 → 105, 三千 → 3000; 0 when the
    text is not one. A unit without a digit before it counts once (十二 is 12), 零 only holds a place; without
    units the numerals are digits read in order (一〇五 is 105, as in a year)."""
    if numeral and all(ch in _CN_DIGIT for ch in numeral):
        return int("".join(str(_CN_DIGIT[ch]) for ch in numeral))
    total, digit = 0, None
    for ch in numeral:
        if ch in _CN_UNIT:
            total += (1 if digit is None else digit) * _CN_UNIT[ch]
            digit = None
        elif ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        else:
            return 0
    return total + (digit or 0)


def cn_date_to_digits(text: str) -> str:
    """二〇二二年七月八日 → 2022年7月8日 (Chinese numerals in a date become digits); other text is unchanged."""

    def convert(m: re.Match[str]) -> str:
        year = "".join(str(_CN_DIGIT[c]) for c in m.group(1))
        day = f"{cn_number(m.group(3))}日" if m.group(3) else ""
        return f"{year}年{cn_number(m.group(2))}月{day}"

    return _CN_DATE.sub(convert, text) if "年" in text else text


def parse_date(text: str) -> str:
    """The first date in `text` as ISO, as precise as written (2022-07-08 or 2021-07), or ""."""
    for m in DATE.finditer(cn_date_to_digits(text)):
        year = m.group(1)
        month = m.group(2) or m.group(4)
        day = m.group(3) or m.group(5)
        if not month or not 1 <= int(month) <= 12:
            continue
        if day and 1 <= int(day) <= 31:
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return f"{year}-{int(month):02d}"
    return ""


def is_date_line(text: str) -> bool:
    """A line that is only a date (a signature or title-page date)."""
    stripped = cn_date_to_digits(text.strip())
    m = DATE.search(stripped)
    return bool(m) and not (stripped[: m.start()] + stripped[m.end() :]).strip(" 　。.")
