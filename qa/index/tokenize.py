"""BM25 terms for Chinese text: jieba words with a domain dictionary, minus stop-words, plus character bigrams."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from functools import cache
from typing import TYPE_CHECKING

from qa.data import read_table, word_set
from qa.text import to_simplified

if TYPE_CHECKING:
    import jieba

# Bump when the term rules change, so a saved BM25 state built with the old rules is rebuilt at load.
TOKENIZER_VERSION = "3"  # 3: traditional characters are matched as simplified

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[\w+]+")  # a term must hold a letter, digit or CJK character; punctuation alone is noise
_DIGITS = re.compile(r"\d+")


# Building a tokenizer or tagger twice at once (the warm-up thread and a first question) left the process's tagger
# without the domain words' tags; @cache alone lets both threads build, so the first build is serialised.
_BUILD_LOCK = threading.RLock()


def jieba_tokenizer() -> jieba.Tokenizer:
    """The process's one jieba tokenizer with our domain dictionary, loaded on first use (~1.5 s of CPU)."""
    with _BUILD_LOCK:
        return _jieba_tokenizer()


def pos_tokenizer() -> jieba.posseg.POSTokenizer:
    """Part-of-speech tagging (`pos_tokenizer().lcut(text)` → (word, flag) pairs) over jieba_tokenizer()."""
    with _BUILD_LOCK:
        return _pos_tokenizer()


@cache
def _jieba_tokenizer() -> jieba.Tokenizer:
    """The process's one jieba tokenizer with our domain dictionary, loaded on first use (~1.5 s of CPU).

    Private (not jieba's global one), so other users of the global jieba are unaffected. Part-of-speech tagging
    should reuse it rather than load jieba's global dictionary a second time:
    `jieba.posseg.POSTokenizer(jieba_tokenizer())` — its tags then also see the domain words.
    """
    import jieba  # here, not at the top: importing qa.index.tokenize (every CLI command) must not cost jieba's load

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary-loading chatter at INFO
    tokenizer = jieba.Tokenizer()
    tokenizer.check_initialized()  # as load_userdict does before its first word
    for word, freq, tag in userdict():  # in file order, with the file's frequency and tag: load_userdict's calls
        tokenizer.add_word(word, int(freq), tag)
    return tokenizer


@cache
def _pos_tokenizer() -> jieba.posseg.POSTokenizer:
    """Part-of-speech tagging (`pos_tokenizer().lcut(text)` → (word, flag) pairs) over jieba_tokenizer().

    jieba.posseg's module functions load jieba's global dictionary, a second ~1.6 s load; this one shares the
    dictionary already loaded for BM25, domain words included (卫生健康局 stays one word).
    """
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_jieba_tokenizer())


def userdict() -> tuple[tuple[str, str, str], ...]:
    """The domain dictionary (qa/data/userdict.tsv) as (word, frequency, jieba tag), in file order."""
    return tuple((word, freq, tag) for word, freq, tag in read_table("userdict", fields=3))


@cache
def stopwords() -> frozenset[str]:
    """The stop-words (qa/data/stopwords.tsv): function words and question words that say nothing about a topic."""
    return word_set("stopwords")


@cache
def fingerprint() -> str:
    """A short hash of the term rules and word lists; a saved BM25 state is only valid for the same one.

    The lists are hashed as the entries alone, written the way the former userdict.txt / stopwords.txt held them
    ("word freq tag" and "word", one a line): a changed reason rebuilds nothing, and indexes built before the
    lists became reasoned tables stay valid.
    """
    digest = hashlib.sha1(TOKENIZER_VERSION.encode())
    digest.update("".join(f"{word} {freq} {tag}\n" for word, freq, tag in userdict()).encode("utf-8"))
    digest.update("".join(f"{row[0]}\n" for row in read_table("stopwords")).encode("utf-8"))
    return digest.hexdigest()[:12]


def number_variants(token: str) -> list[str]:
    """Short forms a person types for a number: 20240182 → 182, 068 → 68.

    Proposal numbers are printed as year + serial (第20240182号) but asked about as 182号; 建议 numbers carry
    leading zeros (第068号). Emitting the short form on both the document and the query side lets them meet.
    """
    if not token.isdigit():
        return []
    out = []
    if len(token) == 8 and token.startswith("20"):
        out.append(str(int(token[4:])))
    stripped = str(int(token))
    if stripped != token:
        out.append(stripped)
    return [v for v in dict.fromkeys(out) if v != token]


def words(text: str) -> list[str]:
    """jieba words, lower-cased, without stop-words and punctuation, with short forms of numbers added."""
    stop = stopwords()
    out: list[str] = []
    # A reply printed in traditional characters (汀蘭縣) is found by a question typed in simplified ones.
    for raw in jieba_tokenizer().lcut(to_simplified(text)):
        word = raw.strip().lower()
        if not word or word in stop or not _WORD.search(word):
            continue
        out.append(word)
        for digits in _DIGITS.findall(word):
            out.extend(number_variants(digits))
    return out


def bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of each run of Chinese characters (a one-character run is kept as is)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            continue  # single characters are mostly particles; jieba already keeps the meaningful ones
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def tokenize(text: str) -> list[str]:
    """BM25 terms of a text: jieba words plus character bigrams (bigrams prefixed so they never equal a word)."""
    return words(text) + ["#" + b for b in bigrams(text)]
