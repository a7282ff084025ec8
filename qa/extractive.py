"""The offline default answerer: picks and quotes the sentences of the retrieved passages that answer the question.

Deterministic and model-free. Sentences are scored by how much of the question they cover (jieba words weighted
by rarity among the candidate sentences, plus character bigrams), whether they hold the kind of value the
question asks for (a figure with the asked unit for 多少, a date for 何时, ...) and the retrieval rank. Metadata
questions (文号, 提案人, 经办人, 电话, 会议, 日期, 单位) are answered from the documents' DocMeta.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qa.records import Chunk, DocMeta
from qa.tokenize import words
from qa.verify import MAX_QUOTE_CHARS, clause_window, normalize, split_sentences

# Words that say what kind of answer is wanted but not what it is about.
_QUESTION_WORDS_TEXT = """
多少 什么 哪些 哪个 哪位 哪里 哪儿 哪家 哪年 哪一年 如何 怎么 怎样 怎么样 是否 有没有 有无
吗 呢 吧 啊 请问 目前 现在 一下 介绍 主要 为什么 是 的 了 有 在 和 与 及 对 都 几 谁 我 我们 你们
这个 那个 那 那么 还有 具体 相关 方面 进行 开展 采取 做了 做 哪 几个 多大 何时 什么时候 时候
一共 共 总共 分别 给 被 把 从 到 了吗 呀 么 关于 其中 以及 能 可以 请 告诉 说说 讲讲 问 想 知道
提到 提出 答复 回复 中 里 上 下
"""
_QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())
# Everywhere in this corpus: they neither find nor rule out an answer.
_GENERIC_TEXT = """
工作 情况 建设 问题 服务 医疗 卫生 健康 机构 我区 全区 推进 加强 提升 开展 措施 举措 做法 内容
卫健 部门 单位 地区 地方
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())
_SYNONYMS = {
    "医联体": ("医疗联合体", "医共体", "医共同体"),
    "医共体": ("医联体", "医共同体", "医疗卫生共同体"),
    "托育": ("托位", "托幼", "婴幼儿照护"),
    "电话": ("热线", "联系电话"),
    "心理": ("心理健康", "心理援助"),
    "人数": ("人", "名"),
}
_UNIT_RE = re.compile(
    r"(?:多少|几)(?:个|位)?(万元|亿元|万|元|人次|名|人|家|个|项|所|张|支|次|亩|岁|台|例|平方米|间|批|类|支|天|年|月|分钟|小时)"
)
_NUMBER_UNIT = r"\d[\d,.]*\s*(?:万|亿)?\s*{unit}"
_ANY_NUMBER = re.compile(r"\d")
_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?")
_PERCENT_RE = re.compile(r"\d\s*(?:%|‰|％)|百分之")

_META_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("doc_no", re.compile(r"文号|发文字号|函号")),
    ("contacts", re.compile(r"经办人|主管领导|联系人|联系电话|联系方式|电话(?!.*热线)")),
    ("proposal_no", re.compile(r"提案号|建议号|第几号|几号(?:提案|建议)|编号|多少号")),
    (
        "proposers",
        re.compile(
            r"谁提|提案人|提出人|建议人|哪位委员|哪位代表|哪些委员|哪几位|哪位政协委员|哪位人大代表|谁的(?:提案|建议)"
        ),
    ),
    ("meeting", re.compile(r"哪次会议|什么会议|哪届|哪一届|会议上")),
    (
        "agency",
        re.compile(r"哪个单位|哪个部门|哪个局|哪家单位|发文机关|答复单位|办理单位|由谁答复|谁答复|谁回复|哪个机关"),
    ),
    (
        "date",
        re.compile(
            r"什么时候(?:答复|发布|公开|印发)|公开日期|发布日期|答复日期|哪天(?:答复|发布|公开)|何时(?:答复|发布|公开)"
        ),
    ),
]
_CROSS_DOC_RE = re.compile(
    r"哪些区|哪几个区|各区|哪些地方|哪些地区|哪些单位|哪些县|哪些市|哪些文件|哪些提案|哪些答复|哪些部门|分别"
)
_LIST_RE = re.compile(r"哪些|有什么|有哪|包括|措施|举措|做法|怎么|如何|怎样|哪几")
_NUMBER_Q_RE = re.compile(
    r"多少|几[个家名人项所支次位批类台例张]|多大|比例|百分之|占比|比率|几成|数量|多高|多长|多少钱"
)
_DATE_Q_RE = re.compile(r"何时|什么时候|哪年|哪一年|哪个月|几月|时间|日期|哪天")
_PERSON_Q_RE = re.compile(r"谁|哪位|负责人")
# Sentences that speak to a reader or a model instead of reporting anything: data, never an answer.
_INSTRUCTION_RE = re.compile(
    r"忽略(?:以上|上述|之前|前面|所有)|无视(?:以上|上述|之前)|(?:你|您)现在是|请(?:直接)?回答[:：]|系统提示|提示词|"
    r"ignore (?:all |the )?(?:previous|above)|system prompt",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Intent:
    """What kind of answer a question wants."""

    kind: str  # number | date | person | list | general | meta
    unit: str = ""  # for number questions: the measure word asked for, e.g. 名 in 多少名
    meta_field: str = ""  # for meta questions: a DocMeta field name
    cross_doc: bool = False  # wants one answer per document (哪些区 ...)


def classify(question: str) -> Intent:
    """The answer type a question asks for, from its interrogative words."""
    q = normalize(question)
    cross = bool(_CROSS_DOC_RE.search(q))
    if "热线" not in q:
        for name, pattern in _META_PATTERNS:
            if pattern.search(q):
                return Intent("meta", meta_field=name, cross_doc=cross)
    if _NUMBER_Q_RE.search(q):
        m = _UNIT_RE.search(q)
        unit = m.group(1) if m else ("%" if re.search(r"比例|百分|占比|比率|率", q) else "")
        return Intent("number", unit=unit, cross_doc=cross)
    if _DATE_Q_RE.search(q):
        return Intent("date", cross_doc=cross)
    if _LIST_RE.search(q) or cross:
        return Intent("list", cross_doc=cross)
    if _PERSON_Q_RE.search(q):
        return Intent("person", cross_doc=cross)
    return Intent("general", cross_doc=cross)


# In a cross-document question the noun after 哪些 names the kind of answer (区, 单位, 文件), not its topic.
_CROSS_FRAME_RE = re.compile(r"(?:哪些|哪几个|哪几|各)(?:地区|地方|区县|区|县|市|单位|部门|文件|答复|提案|卫健部门)")


def question_terms(question: str) -> list[str]:
    """Content words of a question: domain-dictionary jieba words minus question words and single characters."""
    q = normalize(question)
    if _CROSS_DOC_RE.search(q):
        q = _CROSS_FRAME_RE.sub(" ", q)
    out = []
    for w in words(q):
        if w in _QUESTION_WORDS or (len(w) < 2 and not w.isdigit()):
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\u4e00-\u9fa5A-Za-z0-9]", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)}


def _present(term: str, text: str) -> bool:
    return term in text or any(s in text for s in _SYNONYMS.get(term, ()))


@dataclass(frozen=True)
class Candidate:
    """A sentence of source n scored against the question."""

    n: int  # 1-based source number
    start: int
    end: int
    text: str  # chunk.text[start:end]
    score: float
    coverage: float  # weighted share of the question's terms in the sentence or its section path / title


def _context(chunk: Chunk) -> str:
    meta = chunk.meta
    return normalize(" ".join([chunk.section, meta.display_title, meta.agency, "、".join(meta.proposers)]))


def _type_bonus(intent: Intent, sentence: str) -> float:
    if intent.kind == "number":
        if intent.unit == "%":
            return 0.3 if _PERCENT_RE.search(sentence) else (0.1 if _ANY_NUMBER.search(sentence) else 0.0)
        if intent.unit and re.search(_NUMBER_UNIT.format(unit=re.escape(intent.unit)), sentence):
            return 0.3
        return 0.12 if _ANY_NUMBER.search(sentence) else 0.0
    if intent.kind == "date":
        return 0.25 if _DATE_RE.search(sentence) else 0.0
    return 0.0


def _line_of(text: str, start: int, end: int) -> str:
    """The whole line a span sits in: an injected instruction taints every clause of its line."""
    stop = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : stop if stop >= 0 else len(text)]


def rank_sentences(question: str, sources: Sequence[Chunk], intent: Intent | None = None) -> list[Candidate]:
    """Every sentence of every source, best first."""
    intent = intent or classify(question)
    terms = question_terms(question)
    spans = [
        (n, s, e)
        for n, chunk in enumerate(sources, 1)
        for s, e in split_sentences(chunk.text)
        if not _INSTRUCTION_RE.search(_line_of(chunk.text, s, e))
    ]
    texts = [normalize(sources[n - 1].text[s:e]) for n, s, e in spans]
    contexts = [_context(c) for c in sources]
    total = len(texts) + 1
    weights = {}
    for t in terms:
        df = sum(1 for x in texts if _present(t, x))
        weight = 1.0 + math.log(total / (df + 1))
        weights[t] = weight * (0.35 if t in _GENERIC else 1.0)
    weight_sum = sum(weights.values()) or 1.0
    q_grams = _bigrams(normalize(question)) - {g for w in _QUESTION_WORDS if len(w) == 2 for g in [w]}
    out = []
    for (n, s, e), text in zip(spans, texts, strict=True):
        ctx = contexts[n - 1]
        in_sentence = sum(w for t, w in weights.items() if _present(t, text))
        in_context = sum(w for t, w in weights.items() if _present(t, text) or _present(t, ctx))
        grams = len(q_grams & _bigrams(text)) / (len(q_grams) or 1)
        coverage = in_context / weight_sum
        # Headings and fragments (short, no full stop) name a topic but rarely answer anything.
        short = 0.12 if len(text) < 20 and not text.endswith(("。", "；", ";")) else 0.0
        score = (
            0.45 * in_sentence / weight_sum
            + 0.25 * coverage
            + 0.2 * grams
            + _type_bonus(intent, text)
            + 0.08 / n
            - short
        )
        out.append(Candidate(n, s, e, sources[n - 1].text[s:e], score, coverage))
    out.sort(key=lambda c: (-c.score, c.n, c.start))
    return out


def _similar(a: str, b: str) -> bool:
    ga, gb = _bigrams(a), _bigrams(b)
    return bool(ga and gb) and len(ga & gb) / min(len(ga), len(gb)) > 0.6


def _trim(text: str) -> str:
    """A sentence as an answer clause: no trailing punctuation, no leading enumerator such as 一是 / （二）."""
    text = text.strip().rstrip("。；;，,：:")
    return re.sub(r"^(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|[一二三四五六七八九十]+是)\s*", "", text)


def place_of(meta: DocMeta) -> str:
    """The district or city a document speaks for, e.g. 江夏区 from 武汉市江夏区卫生健康局."""
    for text in (meta.agency, meta.heading, meta.title):
        local = re.sub(r"^[\u4e00-\u9fa5]{2}[省市](?=[\u4e00-\u9fa5]{2,3}[区县])", "", text)
        m = re.match(r"([\u4e00-\u9fa5]{2,3}[区县])", local) or re.match(r"([\u4e00-\u9fa5]{2}市)", local)
        if m:
            return m.group(1)
    return ""


def _role_of(meta: DocMeta) -> str:
    return "代表" if meta.kind == "人大建议" or "建议" in meta.heading else "委员"


def meta_answer(field_name: str, question: str, chunk: Chunk, n: int) -> str:
    """A one-sentence answer from a document's metadata, or "" when the document does not state it."""
    meta = chunk.meta
    name = meta.display_title
    q = normalize(question)
    if field_name == "doc_no" and meta.doc_no:
        return f"{name}的文号为{meta.doc_no}[{n}]。"
    if field_name == "proposal_no" and meta.proposal_no:
        kind = "建议" if _role_of(meta) == "代表" else "提案"
        return f"该{kind}为第{meta.proposal_no}号{kind}（{name}）[{n}]。"
    if field_name == "proposers" and meta.proposers:
        return f"{name}由{'、'.join(meta.proposers)}{_role_of(meta)}提出[{n}]。"
    if field_name == "meeting" and meta.meeting:
        return f"{name}是{meta.meeting}上的{'建议' if _role_of(meta) == '代表' else '提案'}[{n}]。"
    if field_name == "agency" and meta.agency:
        return f"{name}由{meta.agency}答复[{n}]。"
    if field_name == "date" and meta.date:
        return f"{name}的日期为{meta.date}[{n}]。"
    if field_name == "contacts" and meta.contacts:
        wanted = [c for c in meta.contacts if c[0] and c[0][:2] in q] or list(meta.contacts)
        parts = [f"{role}{person}，联系电话{phone}" if phone else f"{role}{person}" for role, person, phone in wanted]
        return f"{name}的{'；'.join(parts)}[{n}]。"
    return ""


def _meta_source(question: str, sources: Sequence[Chunk]) -> int:
    """The source (1-based) whose document the metadata question is about: most question terms in its chunk."""
    terms = question_terms(question)
    best, best_score = 1, -1.0
    for n, chunk in enumerate(sources, 1):
        text = normalize(chunk.indexed_text + " " + chunk.meta.display_title + " " + chunk.meta.doc_no)
        score = sum(len(t) for t in terms if _present(t, text)) + 0.5 / n
        if score > best_score:
            best, best_score = n, score
    return best


def compose(question: str, sources: Sequence[Chunk], *, max_sentences: int = 4) -> str:
    """A short answer with [n] markers built from the sources' own sentences ("" when there are no sources)."""
    if not sources:
        return ""
    intent = classify(question)
    if intent.kind == "meta":
        n = _meta_source(question, sources)
        text = meta_answer(intent.meta_field, question, sources[n - 1], n)
        if text:
            return text
    ranked = rank_sentences(question, sources, intent)
    if not ranked:
        return ""
    top = ranked[0]
    picks: list[Candidate] = [top]
    if intent.cross_doc:
        seen_docs = {sources[top.n - 1].doc_id}
        for c in ranked[1:]:
            doc = sources[c.n - 1].doc_id
            if doc not in seen_docs and c.score >= 0.4 * top.score and c.coverage >= 0.5 * top.coverage:
                picks.append(c)
                seen_docs.add(doc)
            if len(picks) >= max_sentences + 1:
                break
    else:
        limit = {"number": 2, "date": 2, "person": 2, "meta": 2, "list": max_sentences}.get(intent.kind, 3)
        ratio = 0.6 if intent.kind == "list" else 0.8
        for c in ranked[1:]:
            if len(picks) >= limit:
                break
            if c.score < ratio * top.score or any(_similar(c.text, p.text) for p in picks):
                continue
            if intent.kind == "number" and _type_bonus(intent, c.text) < _type_bonus(intent, top.text):
                continue
            picks.append(c)
    parts = []
    terms = sorted(question_terms(question), key=len, reverse=True)
    for c in picks:
        text = sources[c.n - 1].text
        start, end = c.start, c.end
        if end - start > MAX_QUOTE_CHARS:
            focus = terms
            if intent.kind == "number" and intent.unit and intent.unit != "%":
                focus = re.findall(_NUMBER_UNIT.format(unit=re.escape(intent.unit)), c.text) + terms
            start, end = clause_window(text, start, end, [normalize(f) for f in focus])
        clause = _trim(text[start:end])
        if intent.cross_doc:
            place = place_of(sources[c.n - 1].meta)
            clause = f"{place}：{clause}" if place and place not in clause[:8] else clause
        parts.append(f"{clause}[{c.n}]。")
    return "".join(parts)


class ExtractiveGenerator:
    """Generator protocol, offline: quotes the best sentences of the sources, cited. No model, deterministic."""

    name = "extractive"

    def generate(self, question: str, sources: Sequence[Chunk]) -> str:
        return compose(question, sources)

    def stream(self, question: str, sources: Sequence[Chunk]) -> Iterator[str]:
        text = compose(question, sources)
        # One piece per sentence, so a UI shows the answer growing just as with a streaming model.
        yield from (m.group(0) for m in re.finditer(r"[^。]+。?", text))
