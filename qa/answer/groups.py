"""Groups, kinds and rows: whether a figure is of the group a question asks, or of another in its list.

A sentence often gives figures for several groups (其中小学生…、初中生…), kinds (学生 for 初中生), rates of one
list (听力筛查率…，遗传代谢性疾病筛查率…) or rows of a table. The checks here say when the asked one is not among
them, so that qa.answer.qualifier can call the figure a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answer.lexicon import GENERIC, figure_pattern, unit_alternatives
from qa.answer.question import NOUN_FLAGS, is_entity
from qa.answer.subject import document_frequency, present_or_abbreviated
from qa.text import normalize


def narrower_kind(words: Sequence[tuple[str, str]], held: str, whole: str, key: int) -> str:
    """A noun of the question naming a narrower kind of what the sentence counts (初中生 where it counts 学生: the
    same last character, the head of a Chinese compound, in a longer word) that the document names elsewhere: the
    figure is the whole kind's, or another kind's. "" when there is none."""
    from qa.index.tokenize import pos_tokenizer

    held_nouns = {w for w, f in pos_tokenizer().lcut(held) if f.startswith(NOUN_FLAGS) and len(w) >= 2}
    for word, flag in words:
        if not flag.startswith(NOUN_FLAGS) or len(word) < 3 or word in GENERIC or word in held:
            continue
        if not document_frequency(word, key) or word not in whole or present_or_abbreviated(word, held):
            continue
        for noun in held_nouns:
            shared = shared_start([noun[::-1], word[::-1]])
            # a whole suffix is the word's head standing for it (补贴机构 for 托育机构), an abbreviation the word
            # itself (社卫中心); and the words that narrow it (初中 of 初中生) must be nowhere near the figure
            # (科研项目 is 科研立项项目)
            if (
                0 < shared < len(noun) < len(word)
                and word[: len(word) - shared] not in held
                and not abbreviates(noun, word)
            ):
                return word
    return ""


def _names_group(word: str, flag: str) -> bool:
    """Whether a question word can name a group or kind (初中生, 中小学): a noun of two characters or more, not a
    word every reply uses, not a place or a proposal's number."""
    return flag.startswith(NOUN_FLAGS) and len(word) >= 2 and word not in GENERIC and not is_entity(word)


# A figure broken down by group: 其中小学生31.8%、初中生67.5%、高中生80.2% (labels, each with its own figure)
_BREAKDOWN_RE = re.compile(
    r"其中([\u4e00-\u9fa5]{1,8}\d[\d.]*[^，。；、]{0,3}(?:、[\u4e00-\u9fa5]{1,8}\d[\d.]*[^，。；、]{0,3})+)"
)


def outside_breakdown(words: Sequence[tuple[str, str]], sentence: str, held: str, whole: str, key: int) -> str:
    """A group the question names (幼儿园) that the reply speaks of elsewhere, when the figure's sentence breaks its
    figure down by groups (其中小学生…、初中生…、高中生…) without it: none of those figures is the asked group's."""
    if not _BREAKDOWN_RE.search(normalize(sentence)):
        return ""
    for word, flag in words:
        named = _names_group(word, flag) and document_frequency(word, key)
        if named and word in whole and not present_or_abbreviated(word, held):
            return word
    return ""


def other_unit_item(words: Sequence[tuple[str, str]], sentence: str, unit: str) -> str:
    """A kind the question names (口腔诊所) that the figure's sentence names only as one item of a breakdown counted
    in another unit (其中口腔诊所21家、体检机构5家), while the asked unit's figure stands in a clause of its own
    (放射工作人员共612人): that figure is the whole's, not the item's. "" when there is none."""
    if not unit:
        return ""
    in_unit = re.compile(figure_pattern(unit_alternatives(unit)))
    items: list[str] = []
    outside: list[str] = []
    for clause in re.split(r"[，,；;。]", normalize(sentence)):
        if clause.startswith("其中"):  # a breakdown of the whole just counted, not things done side by side
            items += [i for i in clause.split("、") if not in_unit.search(i)]
        else:
            outside.append(clause)
    if not items or not any(in_unit.search(c) for c in outside):
        return ""
    for word, flag in words:
        if _names_group(word, flag) and any(word in i for i in items) and not any(word in c for c in outside):
            return word
    return ""


def unlisted_group(words: Sequence[tuple[str, str]], sentence: str, held: str, key: int) -> str:
    """A group the question names (本科毕业生) when the figure's sentence lists figures for groups of its kind by
    name, each with its own (博士研究生…20万元、硕士研究生…8万元: two labels whose head, 生, the asked group shares),
    and not for it: none of the figures is the asked group's."""
    from qa.index.tokenize import pos_tokenizer

    heads: list[str] = []
    labels: list[str] = []
    for clause in re.split(r"[，,；;。]", normalize(sentence)):
        items = [i for i in clause.split("、") if re.search(r"\d", i)]
        if len(items) < 2:
            continue
        for item in items:  # the last characters of its nouns before its figure (生 of 研究生), once an item
            before = re.split(r"\d", item, maxsplit=1)[0]
            nouns = [w for w, f in pos_tokenizer().lcut(before) if f.startswith(NOUN_FLAGS) and len(w) >= 2]
            heads += list({w[-1] for w in nouns})
            labels += nouns
    for word, flag in words:
        # (中学生 covers 初中生 and 高中生: a label with its first character and its head is part of it)
        covers = any(word[0] in label and label[-1] == word[-1] for label in labels)
        listed_kind = _names_group(word, flag) and heads.count(word[-1]) >= 2 and not covers
        if listed_kind and document_frequency(word, key) and word not in held:
            return word
    return ""


# Where the counted things are, told after their figure as a list: 主要分布在火车站、体育场馆和部分中小学
_WHERE_LIST_RE = re.compile(r"\d[^。；;]*?(?:分布在|分布于|包括|涵盖|覆盖)([^。；;]*[、和及][^。；;]*)")


def listed_where(words: Sequence[tuple[str, str]], sentence: str) -> str:
    """A place or kind the question names (中小学) that the figure's sentence names only as one item of where the
    counted things are, listed after the figure (AED486台，主要分布在火车站、…和部分中小学): the figure is the
    whole's, not that item's. "" when there is none."""
    text = normalize(sentence)
    m = _WHERE_LIST_RE.search(text)
    if not m or len(re.split(r"[、和及]", m.group(1))) < 3:
        return ""
    outside = text[: m.start(1)] + text[m.end(1) :]
    for word, flag in words:
        if _names_group(word, flag) and word in m.group(1) and word not in outside:
            return word
    return ""


def abbreviates(short: str, word: str) -> bool:
    """Whether a word is the abbreviation of a longer one: its first character, then others in order (社卫中心 of
    社区卫生服务中心)."""
    rest = iter(word[1:])
    return short[0] == word[0] and all(ch in rest for ch in short[1:])


# A rate's label in its clause: 2023年全市听力筛查率为98.6% → 听力筛查率 (the end of a date, 其中, 全市 dropped).
_LEADING_RE = re.compile(r"^(?:[年月日底末]|其中|分别|全市|全县|全区|全省|累计|共)+")


def shared_start(words: Sequence[str]) -> int:
    """How many leading characters all the words share."""
    n = 0
    while all(len(w) > n for w in words) and len({w[n] for w in words}) == 1:
        n += 1
    return n


def unnamed_sibling(question: str, sentence: str) -> str:
    """A rate question whose figure sentence states several rates of one kind, each under its own label
    (听力筛查率为98.6%，遗传代谢性疾病筛查率为99.2%) must name one of them: what tells the labels apart (听力,
    遗传代谢性疾病 — their shared start and end removed), or its first two characters. Returns the labels joined with
    、 when it names none (another item of the list was asked: 先天性心脏病筛查率), else "".
    """
    q = normalize(question)
    if "率" not in q:
        return ""
    labels: list[str] = []
    for clause in re.split(r"[，、；,;。]", normalize(sentence)):
        m = re.search(r"([\u4e00-\u9fa5]{2,16}?率)(?:为|达到|达|是)?\s*\d[\d.]*\s*(?:[%‰％]|/\s*(?:10)?万)", clause)
        label = _LEADING_RE.sub("", m.group(1)) if m else ""
        if len(label) >= 3 and label not in labels:
            labels.append(label)
    if len(labels) < 2:
        return ""
    head, tail = shared_start(labels), shared_start([label[::-1] for label in labels])
    parts = [label[head : len(label) - tail] for label in labels]
    if tail < 2 or any(len(p) < 2 for p in parts):
        return ""  # rates of different kinds (签约率, 满意度), or labels not told apart by a word
    return "" if any(p[:2] in q for p in parts) else "、".join(labels)


# A table cell that labels its row: words first, its unit in brackets at the end (每千人口执业(助理)医师数(人/千人)).
_UNIT_SUFFIX_RE = re.compile(r"\s*\([^()]*\)\s*$")


def _row_label(row: str) -> str:
    """The label of a table row (its longest cell with words and no digit, without its unit), "" for no row."""
    cells = [_UNIT_SUFFIX_RE.sub("", normalize(c)) for c in row.split("\t")] if "\t" in row else []
    labels = [c for c in cells if re.search(r"[\u4e00-\u9fa5]{2}", c) and not re.search(r"\d", c)]
    return max(labels, key=len, default="")


def parent_row(text: str, start: int, end: int) -> str:
    """The row a table's sub-row (其中：基层医疗卫生机构\t0.83\t1.15) breaks down, as its line stands in the text
    (每千人口医疗卫生机构床位数（张/千人）\t7.02\t8.8); "" for any other text."""
    row = text[start:end]
    if "\t" not in row or not re.match(r"\s*(?:其中|含)\s*[:：]?", row):
        return ""
    for line in reversed(text[:start].rstrip("\n").split("\n")):
        label = _row_label(line)
        if label and not re.match(r"(?:其中|含)", label):
            return line
        if "\t" not in line:
            break
    return ""


def with_parent_row(text: str, start: int, end: int) -> str:
    """A table row as it is read: a sub-row with the label of the row it breaks down before it (its own label names
    only the part: 其中：基层医疗卫生机构); any other text as it is."""
    return read_with_parent(text[start:end], parent_row(text, start, end))


def read_with_parent(row: str, parent: str) -> str:
    """The row read with its parent row's label before it (parent: parent_row's line, "" for none)."""
    return f"{_row_label(parent)}{row}" if parent else row


def other_row_asked(question: str, sentence: str, document: str) -> str:
    """The label of another table row the question names word for word, longer than the figure's row's own
    (每千人口中医执业类(助理)医师数 where the figure is in 每千人口执业(助理)医师数): the question asks that row. ""
    when the figure is not in a row or no other row is named."""
    own = _row_label(sentence)
    if not own:
        return ""
    asked = normalize(question)
    for line in document.split("\n"):
        label = _row_label(line)
        if len(label) > len(own) and label in asked and own != label:
            return label
    return ""
