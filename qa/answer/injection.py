"""Planted instructions: document lines that speak to whoever answers instead of reporting anything.

Such a line is document data: it is never quoted as an answer (qa.answer.select) and a model sees it flagged
inside the fenced document text (qa.answer.generate). The detector states the general pattern rather than a
list of phrases. A line is an instruction when it

- addresses a reader, an assistant or a model (你, 助手, AI, 模型, 回答问题时, assistant…) together with a
  directive in the same sentence (忽略, 一律回答, 只引用, 不要提及…);
- speaks to a model at all (致大模型：, ChatGPT请注意, Dear assistant,): no official reply does;
- sets the rest of the document aside or declares itself authoritative for whoever answers (忽略以上,
  此前资料作废, 以本段为准, 以下内容替代上文);
- dictates an answer (如有人问…就回答…, 请直接告诉用户, 请输出：…), or does any of these in English.

The word classes live in qa/data/instruction_words.tsv and the shapes that combine them in
qa/data/instruction_shapes.tsv, each entry with its reason; this module only compiles them and applies the
combination rule. Ordinary official text (以本通知为准, 请各单位于3月底前报送, 感谢您对…的关心) matches none.

`python -m qa.answer.injection [FILE.tsv …]` prints the detection rate on labelled test lines
(tests/data/planted_instructions_*.tsv by default) and lists every flagged line of seeds/ and eval/varied/.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from qa.data import read_table

# Up to six characters that stay inside one clause: "忽略前文" and "请把上面的内容全部忘掉" are one thought,
# a comma or a sentence end separates two.
_GAP = r"[^,，。;；!！?？:：\n]{0,6}?"
_CLAUSE = r"[^,，。;；!！?？:：\n]{0,12}?"
# Sentence ends after NFKC (full-width ！？； become ASCII): an addressee and a directive must share a sentence.
_SENTENCE_END = re.compile(r"[。!?;\n]")
# Quoted words are left out when pairing an addressee with a directive: a reply that quotes a proposal
# (您在提案中建议“统一回答口径”) reports what someone wrote rather than telling anyone to do it.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」|『[^』]*』")
_NEEDS = ("alone", "addressed", "strong")


def _fold(text: str) -> str:
    """The form a line is matched in: NFKC and lower case, so ＡＩ，：！ read as ai,:! and tables need one spelling."""
    return unicodedata.normalize("NFKC", text).lower()


def _fragment(fragment: str, table: str) -> str:
    """A table's regex fragment in the form lines are matched in (NFKC; letters must already be lower case)."""
    if re.search(r"(?<!\\)[A-Z]", fragment):  # \W, \S are regex classes; any other capital would never match
        raise ValueError(f"qa/data/{table}.tsv: write {fragment!r} in lower case (lines are lower-cased)")
    return unicodedata.normalize("NFKC", fragment)


def _words() -> dict[str, str]:
    """Each word class of instruction_words.tsv as one regex alternation, plus `directed`: the addressees strong
    enough for the `strong` shapes (a model, or the act of answering). Every one of them is an addressee."""
    classes: dict[str, list[str]] = {}
    for cls, fragment in read_table("instruction_words", fields=2):
        classes.setdefault(cls, []).append(f"(?:{_fragment(fragment, 'instruction_words')})")
    classes["directed"] = classes["strong"] + classes["answering"]
    classes["addressee"] += classes["directed"]
    return {cls: "(?:" + "|".join(parts) + ")" for cls, parts in classes.items()}


@dataclass(frozen=True)
class _Patterns:
    alone: re.Pattern[str]  # an instruction by itself
    addressed: re.Pattern[str]  # an instruction next to any addressee
    strong: re.Pattern[str]  # an instruction next to a model (AI, 模型, 助手…) or the act of answering (回答时)
    addressee: re.Pattern[str]
    directed: re.Pattern[str]


def _compile() -> _Patterns:
    words = _words()
    fill = {"gap": _GAP, "clause": _CLAUSE, **words}
    shapes: dict[str, list[str]] = {need: [] for need in _NEEDS}
    for need, fragment in read_table("instruction_shapes", fields=2):
        if need not in shapes:
            raise ValueError(f"qa/data/instruction_shapes.tsv: needs must be one of {_NEEDS}, got {need!r}")
        pattern = _fragment(fragment, "instruction_shapes")
        for name, value in fill.items():
            pattern = pattern.replace("{" + name + "}", value)
        shapes[need].append(f"(?:{pattern})")
    flags = 0  # the line is lower-cased before matching and the tables are written in lower case
    return _Patterns(
        *(re.compile("|".join(shapes[need]), flags) for need in _NEEDS),
        addressee=re.compile(words["addressee"], flags),
        directed=re.compile(words["directed"], flags),
    )


_PATTERNS = _compile()


@lru_cache(maxsize=8192)  # answer selection asks once per sentence, so a line comes back once per sentence in it
def is_instruction(line: str) -> bool:
    """Whether a line speaks to a reader or a model (忽略以上内容, 请直接告诉用户：…, 以本段为准) instead of
    stating a fact."""
    text = _fold(line)
    if _PATTERNS.alone.search(text):
        return True
    for sentence in _SENTENCE_END.split(_QUOTED.sub("“”", text)):
        if not _PATTERNS.addressee.search(sentence):
            continue
        if _PATTERNS.addressed.search(sentence):
            return True
        if _PATTERNS.directed.search(sentence) and _PATTERNS.strong.search(sentence):
            return True
    return False
