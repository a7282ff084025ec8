"""Faithfulness checks: citations point at given sources, figures and names occur in them, and when to refuse."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qa.answer.lexicon import UNITS
from qa.ingest.normalize import CN_NUMERAL, cn_number
from qa.records import Chunk, Citation
from qa.text import DOC_NO_YEAR_RE, char_bigrams, normalize, split_sentences, table_pattern

CITE_RE = re.compile(r"\[(\d+)\]")
# A sentence of an answer: its body, its end punctuation, then any [n] markers written after the full stop.
_ANSWER_SENTENCE_RE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+)?(?:\s*\[\d+\])*")
_NUMBER_RE = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?")
_QUOTED_RE = re.compile(r"《([^》]{2,60})》|“([^”]{2,40})”|\"([^\"]{2,40})\"|「([^」]{2,40})」")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*年)")
_PERSON_RE = re.compile(r"([\u4e00-\u9fa5]{2,3})(?:委员|代表)")
_PROPOSAL_NO_RE = re.compile(r"第\s*(\d{3,8})\s*号|(?<!\d)(\d{3,8})\s*号(?:提案|建议)")
MAX_QUOTE_CHARS = 160
# An answer's opening 据《source》，/： (qa.answer.compose.arrange), or a numbered list item's "1. ".
SOURCE_NAME_RE = re.compile(r"^\s*(?:据《[^》]{0,80}》[，,：:]?\s*)?(?:\d{1,2}\.\s+)?")


def strip_citations(text: str) -> str:
    return CITE_RE.sub("", text)


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """The sentences of an answer with the source numbers each one cites."""
    out = []
    for m in _ANSWER_SENTENCE_RE.finditer(text):
        sentence = m.group(0).strip()
        if sentence and strip_citations(sentence).strip(" 。！？!?"):
            out.append((sentence, [int(n) for n in CITE_RE.findall(sentence)]))
    return out


def _numbers(text: str) -> set[str]:
    """Numbers as values: thousands separators dropped and leading zeros ignored (08 月 == 8 月)."""
    out = set()
    for raw in _NUMBER_RE.findall(text):
        value = raw.replace(",", "")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        out.add(value.lstrip("0") or "0")
    return out


def extract_facts(sentence: str) -> tuple[set[str], set[str]]:
    """The figures and quoted names a sentence asserts: (numbers, names)."""
    plain = normalize(strip_citations(sentence))
    names = {next(g for g in m.groups() if g) for m in _QUOTED_RE.finditer(plain)}
    return _numbers(plain), names


def source_text(chunk: Chunk) -> str:
    """Everything a source shows the reader: its metadata header and its passage."""
    meta = chunk.meta
    contacts = " ".join(" ".join(c) for c in meta.contacts)
    head = [meta.display_title, meta.agency, meta.doc_no, meta.meeting, meta.proposal_no, "、".join(meta.proposers)]
    return "\n".join([*head, meta.date, contacts, chunk.section, chunk.text])


def unsupported_facts(sentence: str, chunks: Sequence[Chunk]) -> list[str]:
    """Figures and names of the sentence that none of the chunks contains."""
    numbers, names = extract_facts(sentence)
    passage = normalize("\n".join(source_text(c) for c in chunks))
    found_numbers = _numbers(passage)
    missing = sorted(n for n in numbers if n not in found_numbers)
    missing += sorted(n for n in names if n not in passage)
    return missing


def clause_window(
    text: str, start: int, end: int, focus: Iterable[str], *, primary: Iterable[str] = ()
) -> tuple[int, int]:
    """Shrink a long sentence span to the clauses around its key clause.

    The key clause is the first holding a `primary` item (the asked figure), else the one holding most `focus`
    terms; neighbouring clauses are added while the span stays within MAX_QUOTE_CHARS.
    """
    if end - start <= MAX_QUOTE_CHARS:
        return start, end
    cuts = [start] + [i + 1 for i in range(start, end) if text[i] in "，,、：；;"] + [end]
    clauses = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1) if cuts[i + 1] > cuts[i]]
    pieces = [normalize(text[s:e]) for s, e in clauses]
    must = [p for p in primary if p]
    terms = [t for t in focus if t]
    best = next((i for i, piece in enumerate(pieces) if any(p in piece for p in must)), -1)
    if best < 0:
        counts = [sum(1 for t in terms if t in piece) for piece in pieces]
        best = counts.index(max(counts)) if counts else 0
    lo = hi = best
    while True:
        grown = False
        if hi + 1 < len(clauses) and clauses[hi + 1][1] - clauses[lo][0] <= MAX_QUOTE_CHARS:
            hi += 1
            grown = True
        if lo > 0 and clauses[hi][1] - clauses[lo - 1][0] <= MAX_QUOTE_CHARS:
            lo -= 1
            grown = True
        if not grown:
            break
    s, e = clauses[lo][0], clauses[hi][1]
    while s < e and text[s].isspace():
        s += 1
    return s, e


def find_quote(sentence: str, chunk: Chunk) -> str:
    """The exact span of the chunk that best supports the sentence: the one holding its figures, else most overlap."""
    numbers, names = extract_facts(sentence)
    # Years label a figure (2025年4.25); the figure itself decides the quote, not a table header of years.
    years = set(_YEAR_RE.findall(normalize(strip_citations(sentence))))
    figures = numbers - years or numbers
    grams = char_bigrams(normalize(strip_citations(sentence)), every_char=True)
    best, best_score = (0, 0), -1.0
    for s, e in split_sentences(chunk.text):
        piece = normalize(chunk.text[s:e])
        facts = sum(1 for n in figures if n in _numbers(piece)) + sum(1 for n in names if n in piece)
        overlap = len(grams & char_bigrams(piece, every_char=True)) / (len(grams) or 1)
        score = facts * 2 + overlap
        if score > best_score:
            best, best_score = (s, e), score
    if best == (0, 0):
        return ""
    s, e = clause_window(chunk.text, *best, focus=[*names], primary=[*numbers])
    return chunk.text[s:e]


@dataclass
class Verification:
    """An answer text with bad citations removed, the citations it keeps, and the sentences its sources do not back."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    unsupported: list[int] = field(default_factory=list)
    removed_markers: list[int] = field(default_factory=list)


def verify_answer(text: str, sources: Sequence[Chunk], *, check_facts: bool = True) -> Verification:
    """Strip [n] markers that name no given source, quote each cited source, and list unbacked sentences.

    Args:
        text: the answer with [n] markers, n counting from 1 over `sources`.
        sources: the chunks shown to the generator, in order.
        check_facts: check every figure and quoted name of a cited sentence against its sources (for generated
            text; extractive answers are copied from the sources).

    Returns:
        The cleaned text, one Citation per cited source (in order of n), and the 0-based indexes of the sentences
        whose figures or names are not in the sources they cite (or that assert figures without citing anything).
    """
    removed: list[int] = []

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= len(sources):
            return m.group(0)
        removed.append(n)
        return ""

    cleaned = CITE_RE.sub(keep, text)
    # Per source, the quote backing the most figures: a source cited by two sentences is quoted where it
    # supports a number rather than where it merely gives context.
    quotes: dict[int, str] = {}
    quote_rank: dict[int, tuple[int, int]] = {}
    unsupported: list[int] = []
    for i, (said, cited) in enumerate(answer_sentences(cleaned)):
        sentence = SOURCE_NAME_RE.sub("", said)  # 据《…》 names the source; the quote is what follows
        chunks = [sources[n - 1] for n in dict.fromkeys(cited)]
        if check_facts:
            numbers, names = extract_facts(sentence)
            if (numbers or names) and (not chunks or unsupported_facts(sentence, chunks)):
                unsupported.append(i)
        numbers = extract_facts(sentence)[0]
        for n in dict.fromkeys(cited):
            quote = find_quote(sentence, sources[n - 1])
            rank = (len(numbers & _numbers(normalize(quote))), -i)
            if n not in quotes or rank > quote_rank[n]:
                quotes[n], quote_rank[n] = quote, rank
    citations = [Citation(n=n, chunk=sources[n - 1], quote=quotes[n]) for n in sorted(quotes)]
    return Verification(text=cleaned, citations=citations, unsupported=unsupported, removed_markers=removed)


# ---- refusal -------------------------------------------------------------------------------------------------


_LEAD_PLACE_RE = re.compile(r"^(?:请问|那么?|我想问)?([\u4e00-\u9fa5]{2}[区县市])")
# Characters of question and function words, never of a place's name: 在社区, 哪些区, 各个县, 这个市.
_NOT_PLACE_CHARS = re.compile(r"[在到去从给对把和与及哪些各某全我本该这那每个几多少什么城社郊辖]")
_NOT_PLACES = {"全", "我", "本", "城", "社", "该", "各", "郊", "市", "县", "区", "辖", "全市", "城市", "社区", "郊区"}


def question_entities(question: str) -> list[str]:
    """Places (…区/县/市), years (20xx年), people (…委员/代表) and proposal numbers (第182号) a question names."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    q = normalize(question)
    found: list[str] = [m.group(1) for m in _YEAR_RE.finditer(q)]
    for word, flag in pos_tokenizer().lcut(q):
        if flag == "ns" and len(word) >= 2 and word[-1] in "区县市省":
            # jieba may read two joined places as one (楠山市和棣江区): each is a place of its own
            parts = re.split(r"(?<=[区县市省])(?:和|与|及|、|跟)", word)
            found += [p for p in parts if len(p) >= 2 and p[-1] in "区县市省"]
    # A place the dictionary does not know (梧桐市, 青岚县) where questions name it: at the start.
    lead = _LEAD_PLACE_RE.match(q)
    if lead and lead.group(1)[:-1] not in _NOT_PLACES and not _NOT_PLACE_CHARS.search(lead.group(1)[:-1]):
        place = lead.group(1)
        if not any(place in f for f in found):  # 青岚县 read as 岚县: the whole name replaces its tail
            found = [f for f in found if f not in place] + [place]
    found += [m.group(1) for m in _PERSON_RE.finditer(q) if not re.search(r"[哪几各位些的是该这那名]", m.group(1))]
    found += [m.group(1) or m.group(2) for m in _PROPOSAL_NO_RE.finditer(q)]
    return list(dict.fromkeys(found))


_ROLE_RE = table_pattern("posts", literal=True)


def names_a_person(sentence: str) -> bool:
    """Whether a sentence names someone (jieba tags a person name): 院长是谁 needs a name, not 业务副院长."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    return any(flag == "nr" and len(word) >= 2 for word, flag in pos_tokenizer().lcut(normalize(sentence)))


def person_missing(question: str, sentence: str) -> bool:
    """The question asks who holds a post (院长是谁) and the answering sentence names nobody."""
    return bool(_ROLE_RE.search(normalize(question))) and not names_a_person(sentence)


def _entity_forms(entity: str) -> list[str]:
    """An entity and its short forms: 东西湖区 is found as 东西湖, 武汉市 as 武汉, 由王一 as 王一."""
    if len(entity) >= 3 and entity[-1] in "区县市省":
        return [entity, entity[:-1]]
    if len(entity) == 4 and entity.isdigit():  # a year: 2023 is also written 23年 (20年-23年)
        return [entity, f"{entity[2:]}年"]
    if len(entity) == 3 and not entity.isdigit():  # a name caught with the character before it (由王一委员)
        return [entity, entity[1:]]
    return [entity]


def evidence_text(chunks: Sequence[Chunk]) -> str:
    """What an answer could rest on, for entity checks: passages, section paths, metadata and years."""
    return "\n".join(source_text(c) + "\n" + c.meta.year for c in chunks)


def missing_entities(question: str, evidence: str | Sequence[Chunk]) -> list[str]:
    """Entities of the question that the evidence (a text, or chunks with their metadata) never mentions."""
    # normalize() simplifies: 汀蘭縣 is the 汀兰县 a question names
    text = normalize(evidence if isinstance(evidence, str) else evidence_text(evidence))
    return [e for e in question_entities(question) if not any(f in text for f in _entity_forms(e))]


# A figure as a question quotes it (由5个增至9个, 覆盖12个乡镇): digits and a measure word; years and months
# (2024年, 3月) are times, and digits before other words are names (120急救, 12345热线).
_MEASURES = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True) if u not in ("年", "月"))
_QUOTED_FIGURE_RE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s*({_MEASURES})")
# …and any number a document states (also in Chinese numerals: 增至九个), with the words after it
_STATED_NUMBER_RE = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?|{CN_NUMERAL})\s*(?=(\S{{1,4}}))")


def missing_figures(question: str, evidence: str) -> list[str]:
    """Figures the question quotes that the evidence never states with the same measure word (8种 is stated as 8种
    or 八种; 8个 is another figure: a figure that names a reply is quoted as the reply writes it, and a long
    document holds some 8个 or other)."""
    stated: dict[str, list[str]] = {}
    for number, after in _STATED_NUMBER_RE.findall(normalize(evidence)):
        stated.setdefault(number if number[0].isdigit() else str(cn_number(number)), []).append(after)
    missing = []
    for number, unit in _QUOTED_FIGURE_RE.findall(normalize(question)):
        if not any(after.startswith(unit) for after in stated.get(number.lstrip("0") or "0", [])):
            missing.append(f"{number}{unit}")
    return missing


# The half of a year a figure covers, as replies write it: 上半年 / 1至6月 / 1-6月, 下半年 / 7至12月.
_HALVES = (
    ("上半年", re.compile(r"上半年|(?<!\d)1月?(?:至|到|-|—|~)6月")),
    ("下半年", re.compile(r"下半年|(?<!\d)7月?(?:至|到|-|—|~)12月")),
)


def _halves(text: str) -> set[str]:
    return {name for name, pattern in _HALVES if pattern.search(text)}


_COMPARED_YEAR_RE = re.compile(r"(?:比|较|同比|相比|与)\s*(?:19|20)\d{2}\s*年(?:同期|底|末)?")


def year_conflict(question: str, sentence: str) -> str:
    """A year (or half year) the question asks about when the answering sentence states other ones instead,
    else ""."""
    q, s = normalize(question), normalize(sentence)
    # 比2023年提高3.1个百分点: a year a figure is compared with is not the year the figure is for
    asked, stated = set(_YEAR_RE.findall(q)), set(_YEAR_RE.findall(_COMPARED_YEAR_RE.sub("", s)))
    if asked and stated and not asked & stated:
        return "、".join(sorted(asked))
    asked_half, stated_half = _halves(q), _halves(s)
    if asked_half and stated_half and not asked_half & stated_half:
        return "、".join(sorted(asked_half))  # 下半年 asked, 上半年 stated: another period's figure
    return ""


@dataclass(frozen=True)
class RefusalPolicy:
    """Thresholds below which the answer is refused; calibrated on eval/gold.jsonl (see README of qa.answer.chain)."""

    min_coverage: float = 0.12  # share of the question's content terms in the best sentences with their context
    min_figure_coverage: float = 0.23  # for 多少/何时: share of its topic words in the sentence holding the figure
    # …or share of its subject (rarity-weighted, words the documents use) in the passage holding the figure
    min_subject_coverage: float = 0.6


def refusal_reason(
    question: str,
    *,
    evidence: str,
    sentence: str,
    coverage: float,
    topic_coverage: float,
    figure: bool,
    policy: RefusalPolicy,
    local_evidence: str = "",
) -> str:
    """Why the evidence cannot answer the question, or "" when it may.

    Args:
        question: the standalone question.
        evidence: text of the documents the answer would quote (see evidence_text).
        local_evidence: text of the passage holding `sentence`; for figures, asked years must occur here.
        sentence: the sentence the answer would lead with.
        coverage: share of the question's content terms found in the best sentences and their section paths.
        topic_coverage: the share of the question's topic words (not places or numbers) in `sentence` itself.
        figure: the question asks for a figure or date, so `sentence` must be about exactly that.
        policy: the thresholds.
    """
    missing = missing_entities(question, evidence)
    if figure and not missing and local_evidence:
        # A figure belongs to the year its own passage states: a year elsewhere in the document does not count.
        years = {m.group(1) for m in _YEAR_RE.finditer(normalize(question))}
        # …and not only inside a document number (岭卫基层发〔2022〕7号 states no figure for 2022)
        local = DOC_NO_YEAR_RE.sub("", local_evidence)
        missing = [e for e in missing_entities(question, local) if e in years]
    if missing:
        return f"question names {'、'.join(missing)}, which the documents that would answer it never mention"
    if figure:
        conflict = year_conflict(question, sentence)
        if conflict:
            return f"question asks about {conflict}, the passage states figures for other years"
        if person_missing(question, sentence):
            return "the question asks who holds a post; the passage names nobody"
        if topic_coverage < policy.min_figure_coverage:
            return f"the sentence with the figure covers {topic_coverage:.2f} of what the question is about"
    if coverage < policy.min_coverage:
        return f"best evidence covers {coverage:.2f} of the question (< {policy.min_coverage})"
    return ""
