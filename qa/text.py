"""Text helpers every stage shares: normalisation for matching, sentence spans, character bigrams, places, and
the formal frame of a reply.

One definition each; stage modules import from here instead of keeping their own copies.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from qa.data import read_table

# CJK ideographs (basic, extension A, compatibility): the characters a Chinese word is made of.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
PLACE_LEVELS = "区县市"  # what ends a place name below a province; PLACE_RE and an agency's home place end in one
# A place name as documents write it before its level: 江夏区, 咸宁市, 青岚县.
PLACE_RE = re.compile(r"[\u4e00-\u9fa5]{2,4}?(?:区|县|市)")
# A calendar year as written before 年 (2024年, 2024 年): when something happened, never a count of years.
CALENDAR_YEAR_RE = re.compile(r"(?:19|20)\d{2}\s*年")
# A year inside a document number's brackets (岭卫基层发〔2022〕7号): it dates the document, it states no figure.
DOC_NO_YEAR_RE = re.compile(r"[〔\[（(【]\s*(?:19|20)\d{2}\s*[〕\]）)】]")
# Sentence ends inside source passages; "；" ends a clause that often carries one figure on its own.
SENTENCE_ENDS = "。！？!?；;\n"
_NOT_WORD_CHAR = re.compile(r"[^\u4e00-\u9fa5A-Za-z0-9]")


def table_pattern(name: str, *, literal: bool = False, flags: int = 0) -> re.Pattern[str]:
    """One regex matching any entry of the one-column table `qa/data/<name>.tsv`, tried in the table's order.

    Args:
        name: the table's file name without `.tsv`.
        literal: the entries are plain words (escaped), not regex fragments.
        flags: re flags for the compiled pattern.
    """
    parts = [re.escape(word) if literal else f"(?:{word})" for (word,) in read_table(name)]
    return re.compile("|".join(parts), flags)


# The formal frame of a reply (收悉, 现答复如下, thanks, 尊敬的…委员：): it says what was received and that an answer
# follows, never what was done. Answers to content questions never quote it; precedent extracts skip it.
BOILERPLATE_RE = table_pattern("boilerplate")


def normalize(text: str) -> str:
    """Full-width digits and letters to ASCII, traditional characters simplified, whitespace removed: the form
    figures, quotes and question words are compared in (素養 is the 素养 a question asks about)."""
    return re.sub(r"\s+", "", to_simplified(unicodedata.normalize("NFKC", text)))


@cache
def _converter():
    """OpenCC's traditional → simplified converter, or None when the package is missing (then text is kept)."""
    try:
        from opencc import OpenCC
    except ImportError:  # pragma: no cover - a declared dependency; degrade to no conversion rather than fail
        return None
    return OpenCC("t2s")


@cache
def _traditional_chars() -> frozenset[str]:
    """Characters that only traditional text uses: a line without any of them is left as is, at no cost."""
    try:
        import opencc
    except ImportError:  # pragma: no cover
        return frozenset()
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars: set[str] = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if key and values and key not in values.split():
            chars.add(key)
    return frozenset(chars)


# 省、市级 is how replies write 省市级 (provincial and city level): one modifier, not a list of two things
_LEVELS_LIST_RE = re.compile(r"(?<=[国省市县区乡镇村])、(?=[省市县区乡镇村]级)")


def join_levels(text: str) -> str:
    """The text with a list of administrative levels written as one modifier (省、市级 → 省市级)."""
    return _LEVELS_LIST_RE.sub("", text)


def to_simplified(text: str) -> str:
    """Traditional characters as simplified; text without any is returned as is (no conversion cost)."""
    if not text or _traditional_chars().isdisjoint(text):
        return text
    converter = _converter()
    if converter is None:  # pragma: no cover
        return text
    out = converter.convert(text)
    # Phrase tables may change a word's length; the copy must stay aligned with the original.
    if len(out) == len(text):
        return out
    return "".join(converter.convert(ch) or ch for ch in text)


def char_bigrams(text: str, *, every_char: bool = False) -> set[str]:
    """The character bigrams of a text's Chinese characters, letters and digits (punctuation and spaces dropped).

    every_char: keep punctuation and spaces too, as quote matching does on normalized text: there 9.0 and （天）
    are evidence that a table row, not its header, backs a figure.
    """
    chars = text if every_char else _NOT_WORD_CHAR.sub("", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def split_sentences(text: str, *, ends: str = SENTENCE_ENDS) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of a passage, surrounding whitespace excluded.

    Spans index the original text, so `text[start:end]` is an exact quote.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in ends:
            spans.append((start, i + 1 if ch != "\n" else i))
            start = i + 1
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= 2:
            out.append((s, e))
    return out
