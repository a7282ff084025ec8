"""Find the past replies that answered proposals like a new one, and the sentences that support each ask."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jieba

from qa.data import read_table, word_set
from qa.draft.proposal import (
    ASK_PREFIX_RE,
    ASK_VERBS,
    ENUMERATOR_RE,
    SENTENCE_RE,
    ProposalError,
    split_asks,
    title_core,
)
from qa.index.tokenize import words
from qa.records import Chunk, Precedent, Proposal
from qa.text import BOILERPLATE_RE, char_bigrams, table_pattern

if TYPE_CHECKING:  # the retriever is another stage's; only the shape of search() matters here
    from qa.records import Filters

# DocMeta.kind of a reply to a proposal: it shows how the bureau answered and in what form.
REPLY_KINDS = ("政协提案", "人大建议")
# Words of a proposal that say how, not what, whatever their corpus share (a small corpus may lack them).
GENERIC_WORDS = word_set("theme_stopwords")
PLAN_RE = table_pattern("plan_words", literal=True)  # what the bureau will do
SHORTCOMING_SECTIONS = word_set("shortcoming_sections")  # headings whose passages state problems
# A passage's own words show a reply: 收悉, …委员：, or a heading ending as one (…第12号建议的协办答复).
REPLY_CUE_RE = re.compile(
    table_pattern("reply_cues").pattern
    + r"|(?:提案|建议|议案)(?:"
    + "|".join(re.escape(ending) for (ending,) in read_table("reply_endings"))
    + ")"
)
# A proposal's title as a reply quotes it: 《关于…》 or 关于…的提案/建议 in a heading or the acknowledgement.
QUOTED_TITLE_RE = re.compile(
    r"[（(](关于[^（）()]{2,60})[）)]"  # the heading's bracket: …第19号建议的答复（关于推进村卫生室标准化建设的建议）
    r"|《(关于[^《》]{2,60})》"  # the acknowledgement: 您提出的《关于…》收悉
    r"|(关于(?:(?!会议|第\s*\d)[^，。；：《》（）()\n]){2,50}?(?:提案|建议|议案))"  # bare, not 关于…会议第N号建议
)


# --- similarity -----------------------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return {w for w in jieba.lcut(text) if len(w) > 1 and re.search(r"[\u4e00-\u9fa5]", w)}


def title_similarity(a: str, b: str) -> float:
    """Mean of character-bigram Dice and jieba word Jaccard between two proposal titles, in [0, 1]."""
    a, b = title_core(a), title_core(b)
    ba, bb = char_bigrams(a), char_bigrams(b)
    wa, wb = _words(a), _words(b)
    dice = 2 * len(ba & bb) / (len(ba) + len(bb)) if ba and bb else 0.0
    jaccard = len(wa & wb) / len(wa | wb) if wa and wb else 0.0
    return (dice + jaccard) / 2


def _coverage(ask: str, sentence: str) -> float:
    """How much of the ask's vocabulary (bigrams) a sentence covers, in [0, 1].

    The denominator is capped at 16 bigrams: a long ask of two clauses is answered by a sentence matching one.
    """
    need = char_bigrams(ask)
    return min(1.0, len(need & char_bigrams(sentence)) / min(len(need), 16)) if need else 0.0


# --- what a proposal is about ---------------------------------------------------------------------------------


class Vocabulary:
    """How common a term is in the indexed passages: a word most passages hold (服务、建设、加强) names no topic."""

    def __init__(self, texts: Sequence[str], *, max_share: float = 0.2) -> None:
        """Args:
        texts: the corpus passages; none makes every content word count as specific.
        max_share: a word in more than this share of the passages is generic.
        """
        if not 0 < max_share <= 1:
            raise ValueError(f"max_share must be in (0, 1]. Currently, it is {max_share}")
        self.texts = list(texts)
        self.max_share = max_share
        self._shares: dict[str, float] = {}

    @classmethod
    def of(cls, retriever: Any) -> Vocabulary:
        """The vocabulary of a qa.retrieve.Retriever's index (empty for a retriever without one)."""
        chunks = getattr(getattr(retriever, "index", None), "chunks", None) or []
        return cls([f"{' '.join(c.breadcrumb)} {c.text}" for c in chunks])

    def share(self, term: str) -> float:
        """The share of passages holding the term as a substring (托育 in 托育机构 too)."""
        if term not in self._shares:
            hits = sum(term in t for t in self.texts)
            self._shares[term] = hits / len(self.texts) if self.texts else 0.0
        return self._shares[term]

    def weight(self, term: str) -> float:
        """The term's inverse passage frequency, log(n / (passages holding it + 1)) + 1: rarer says more."""
        n = len(self.texts)
        return math.log((n + 1) / (self.share(term) * n + 1)) + 1.0

    def terms(self, text: str, *, parts: bool = False) -> list[str]:
        """The specific content words of a text, rarest first; if it has none, its rarest content word."""
        words = [w for w in dict.fromkeys(_search_words(text, parts=parts)) if _is_content(w)]
        words.sort(key=self.share)
        specific = [w for w in words if self.share(w) <= self.max_share]
        return specific or words[:1]


def _search_words(text: str, *, parts: bool = False) -> list[str]:
    """Words of a text by the index's own tokenizer (its domain dictionary knows 托育、医共体), a leading 对/为/由…
    taken off (对托育 → 托育, 由疾控 → 疾控), Latin acronyms (CT) and, with `parts`, the ends of longer words
    (普惠托育 → 普惠, 托育): a theme term may be written shorter; an ask's own terms stay whole, or 服务中心 would
    stand for the whole ask.

    The global jieba would depend on what other code loaded into it; qa.index.tokenize gives the same words every run.
    """
    out: list[str] = []
    for word in words(text):
        if not re.fullmatch(r"[\u4e00-\u9fa5]+", word):
            continue
        word = re.sub(r"^[对为向给在把将由从与和及]", "", word) if len(word) > 2 else word
        out.append(word)
        if parts and len(word) > 2:  # 医共体 also as 医共 (医共同体), 家庭医生签约 as 家庭医生 and 签约
            out += [word[:2], word[-2:]] + ([word[:4], word[-4:]] if len(word) > 5 else [])
    return out + re.findall(r"[A-Za-z]{2,}", text)


def _is_content(word: str) -> bool:
    """A word that can name a topic: two or more CJK characters (or a Latin acronym: CT, DR), not an action verb or
    a request formula."""
    return (
        len(word) > 1
        and (re.fullmatch(r"[\u4e00-\u9fa5]+", word) is not None or re.fullmatch(r"[A-Za-z]{2,}", word) is not None)
        and word not in ASK_VERBS
        and not ASK_PREFIX_RE.fullmatch(word)
        and word not in GENERIC_WORDS
    )


def proposal_theme(proposal: Proposal, vocabulary: Vocabulary) -> list[str]:
    """The proposal's key content terms: the title's specific words and those its body repeats (托育、托位…)."""
    title = title_core(proposal.title)
    body_words = [w for w in _search_words(proposal.body) if _is_content(w)]  # whole words: 医共体内 is not 体内
    repeated = " ".join(w for w in dict.fromkeys(body_words) if body_words.count(w) > 1)
    # Only specific repeated words: the fallback to the rarest word is for the title, which always names a topic.
    from_body = [w for w in vocabulary.terms(repeated, parts=True) if vocabulary.share(w) <= vocabulary.max_share]
    return list(dict.fromkeys(vocabulary.terms(title, parts=True) + from_body))


# --- precedents -----------------------------------------------------------------------------------------------


def is_reply(meta: Any, chunks: Sequence[Chunk]) -> bool:
    """Whether a document is a reply to a proposal: its kind says so, or its passages' own words (REPLY_CUE_RE), so
    a reply whose metadata was not read still ranks as one."""
    if meta.kind in REPLY_KINDS:
        return True
    return any(REPLY_CUE_RE.search(" ".join((*c.breadcrumb, c.text))) for c in chunks)


def answered_title(meta: Any, chunks: Sequence[Chunk]) -> str:
    """The title of the proposal a document answers: its metadata's, else as its headings or text quote it."""
    if meta.title:
        return meta.title
    for chunk in chunks:
        for text in (*chunk.breadcrumb, chunk.text[:400]):
            m = QUOTED_TITLE_RE.search(text)
            if m:
                return next(g for g in m.groups() if g)
    return ""


def _queries(proposal: Proposal, asks: list[str]) -> list[tuple[str, float]]:
    """(query, weight): the title, the title with the body's opening, and each ask sharing one weight."""
    head = f"{proposal.title} {proposal.body[:300]}".strip()
    queries = [(proposal.title, 1.0), (head, 1.0)]
    queries += [(ask, 1.0 / len(asks)) for ask in asks]
    return queries


def _document_rank_score(ranks: Sequence[int]) -> float:
    """A document's score for one query from its chunks' ranks: best 1/r, then halved weights for the next two.

    A plain sum of the top-3 reciprocal ranks let a reply with several so-so passages beat the one reply
    whose passage ranked first (eval/drafts.jsonl d08: 9/10 at rank 1 against 10/10 with the decay).
    """
    return sum(0.5**i / r for i, r in enumerate(sorted(ranks)[:3]))


def find_precedents(
    proposal: Proposal, *, retriever: Any, k: int = 5, filters: Filters | None = None, depth: int = 30
) -> list[Precedent]:
    """Rank past documents (not chunks) by how well they answer the proposal.

    For each query (the title, title+body, each ask) a document scores its top-3 reciprocal chunk ranks
    weighted 1, ½, ¼; the queries' scores are weighted and summed, plus twice the similarity of the proposal
    title it answers to the new title. Replies rank before the plan and other documents: a reply shows how the
    bureau answered and in what form, while the plan only supplies passages (it still does, through the per-ask
    evidence search). Neither depends on metadata that may be missing: a reply and the title it answers are
    also read from the retrieved passages' own words (is_reply, answered_title).

    Args:
        proposal: the new proposal.
        retriever: anything with `search(query, k, *, filters)` returning Hits (qa.retrieve.Retriever).
        k: how many precedents to return.
        filters: restrict precedents, e.g. to one agency.
        depth: chunks retrieved per query.
    """
    if k <= 0:
        raise ProposalError(f"k 应大于 0；现在是 {k}")
    ranks: dict[str, list[float]] = defaultdict(list)
    passages: dict[str, dict[str, tuple[int, Chunk]]] = defaultdict(dict)
    seen: dict[str, dict[str, Chunk]] = defaultdict(dict)
    metas = {}
    for query, weight in _queries(proposal, split_asks(proposal)):
        per_doc: dict[str, list[int]] = defaultdict(list)
        for hit in retriever.search(query, k=depth, filters=filters):
            doc_id = hit.chunk.doc_id
            per_doc[doc_id].append(hit.rank)
            metas[doc_id] = hit.chunk.meta
            seen[doc_id][hit.chunk.chunk_id] = hit.chunk
            best = passages[doc_id].get(hit.chunk.chunk_id)
            if best is None or hit.rank < best[0]:
                passages[doc_id][hit.chunk.chunk_id] = (hit.rank, hit.chunk)
        for doc_id, doc_ranks in per_doc.items():
            ranks[doc_id].append(weight * _document_rank_score(doc_ranks))
    scored = []
    for doc_id, parts in ranks.items():
        meta, chunks = metas[doc_id], list(seen[doc_id].values())
        score = sum(parts) + title_similarity(proposal.title, answered_title(meta, chunks)) * 2.0
        matched = tuple(c for _, c in sorted(passages[doc_id].values(), key=lambda rc: rc[0])[:3])
        scored.append((not is_reply(meta, chunks), -score, doc_id, Precedent(doc_id, meta, score, matched)))
    scored.sort(key=lambda t: t[:3])
    return [p for *_, p in scored[:k]]


def themed_precedents(precedents: Sequence[Precedent], *, top: int = 3, ratio: float = 0.4) -> list[str]:
    """The doc_ids of the top precedents scoring at least `ratio` of the best: replies to the same topic.

    A distant second (武昌's 0.60 against 江夏's 托育 reply at 3.80) shares words, not the topic.
    """
    best = max((p.score for p in precedents[:top]), default=0.0)
    return [p.doc_id for p in precedents[:top] if best > 0 and p.score >= ratio * best]


# --- evidence for each ask ------------------------------------------------------------------------------------


def _ask_terms(ask: str, theme: Sequence[str], vocabulary: Vocabulary) -> list[str]:
    """The ask's own topic words: its specific words other than the theme's (运营、补贴 in 对托育机构给予运营补贴),
    or the theme's when it says nothing more (加强托育服务)."""
    terms = vocabulary.terms(ask)
    own = [w for w in terms if not any(w in t or t in w for t in theme)]
    return own or terms


def _clause_terms(ask: str, vocabulary: Vocabulary) -> list[list[str]]:
    """The specific words of each clause of the ask: 完善双向转诊机制，畅通上转下转通道 is answered by a sentence on
    either."""
    clauses = [c for c in re.split(r"[，,；;]", ask) if c.strip()]
    # Theme words count here (流调 in 组建流调队伍 when the body repeats 流调); _ask_terms decides membership.
    return [t for t in (vocabulary.terms(c) for c in clauses) if t]


def _term_coverage(terms: Sequence[str], sentence: str, vocabulary: Vocabulary | None) -> float:
    """The weighted share of the ask's topic words a sentence holds, in [0, 1]."""
    if not terms or vocabulary is None:
        return 0.0
    total = sum(vocabulary.weight(t) for t in terms)
    return sum(vocabulary.weight(t) for t in terms if t in sentence) / total


def _better_for(other: tuple[str, list[str]], sentence: str, coverage: float) -> bool:
    """Whether a sentence answers another ask (with its topic words) clearly better than this one; only then is it
    left for that ask's section, else a sentence that ask would reject anyway is lost to both."""
    ask, terms = other
    return _coverage(ask, sentence) > coverage * 1.2 and (not terms or any(t in sentence for t in terms))


@dataclass(frozen=True)
class Evidence:
    """One precedent sentence chosen for a section, with the passage it comes from."""

    text: str
    chunk: Chunk
    position: int  # sentence index within the chunk, to keep reading order
    score: float


def _sentences(text: str) -> list[str]:
    """Whole sentences of a passage, enumerators (一是、同时，) removed.

    A fragment without end punctuation is where the splitter cut a sentence, and the reply's own opening and
    thanks (收悉、现答复如下、感谢) are boilerplate, not facts: neither can stand in a new draft.
    """
    out = []
    for raw in SENTENCE_RE.findall(text):  # cleaned text keeps a newline only between paragraphs
        sentence = ENUMERATOR_RE.sub("", raw.strip()).strip()
        if len(sentence) >= 12 and sentence[-1] in "。；;！？!?" and not BOILERPLATE_RE.search(sentence):
            out.append(sentence)
    return out


def select_evidence(
    ask: str,
    *,
    retriever: Any,
    preferred: Sequence[str] = (),
    filters: Filters | None = None,
    used: set[str] | None = None,
    others: Sequence[str] = (),
    max_sentences: int = 4,
    min_coverage: float = 0.25,
    theme: Sequence[str] = (),
    vocabulary: Vocabulary | None = None,
    min_relative: float = 0.5,
    min_terms: float = 0.3,
    themed_docs: Sequence[str] = (),
    related: bool = False,
) -> list[Evidence]:
    """Sentences from retrieved passages that support one ask, best first, then put in reading order.

    Passages of the preferred (top precedent) documents get a bonus; passages under a 问题/困难 heading
    describe shortcomings, not what the bureau did, and are skipped. Sentences in `used` are not repeated, and
    a sentence that answers one of the `others` asks clearly better is left for that ask's section.

    A sentence must be about the ask and about the proposal: it holds one of the ask's specific words (beyond the
    theme, see Vocabulary.terms), and it, its section headings or its document's title hold a `theme` term
    (proposal_theme), or it comes from one of `themed_docs` (the precedents that answered a proposal like this
    one, see themed_precedents: a reply may say 医共体 where the proposal says 医联体). Shared generic words
    (从业人员、培训) put a 疫情监测 sentence under a 托育培训 ask before.
    A sentence scoring under `min_relative` of the best one, or holding less than `min_terms` of the topic words
    (weighted by rarity) of every clause of the ask, is left out: one good paragraph beats three loose ones.

    With `related`, for an ask nothing answers that closely (thin precedent): what the closest replies
    (`themed_docs`) say on the ask's subject — a sentence of theirs holding any of the ask's content words, the
    theme's included, with a lower coverage floor and no share of the ask's rarer words; at most two sentences,
    for the drafter to build on.
    """
    used = set() if used is None else used
    if related:
        min_coverage, min_terms, max_sentences = min_coverage * 0.6, 0.0, min(max_sentences, 2)
    ask_terms = (
        (vocabulary.terms(ask) if related else _ask_terms(ask, theme, vocabulary)) if vocabulary is not None else []
    )
    clause_terms = _clause_terms(ask, vocabulary) if vocabulary is not None else []
    other_terms = {o: _ask_terms(o, theme, vocabulary) if vocabulary is not None else [] for o in others}
    candidates: list[Evidence] = []
    for hit in retriever.search(ask, k=12, filters=filters):
        chunk = hit.chunk
        if any(w in h for h in chunk.breadcrumb[1:] for w in SHORTCOMING_SECTIONS):
            continue
        if related and chunk.doc_id not in themed_docs:
            continue
        context = " ".join([*chunk.breadcrumb, chunk.meta.title])
        themed_context = chunk.doc_id in themed_docs or any(t in context for t in theme)
        weight = 1.0 / math.sqrt(hit.rank) + (0.5 if chunk.doc_id in preferred else 0.0)
        for position, sentence in enumerate(_sentences(chunk.text)):
            if sentence in used or (ask_terms and not any(t in sentence for t in ask_terms)):
                continue
            if theme and not themed_context and not any(t in sentence for t in theme):
                continue
            # Plans (将…, 下一步…) answer "what will you do", which every section of a reply needs.
            plan = 0.1 if PLAN_RE.search(sentence) else 0.0
            coverage = _coverage(ask, sentence)
            # Another document's passage must match more closely than a top precedent's: off-topic passages
            # (the plan's 精神卫生 section for a 托育培训 ask) share only words such as 加强…培训…管理.
            floor = min_coverage if chunk.doc_id in preferred else min_coverage + 0.1
            if coverage >= floor and not any(_better_for(o, sentence, coverage) for o in other_terms.items()):
                # The ask's rarer words count more: 流感 matters more than 接种 in 做好流感疫苗接种工作.
                terms = max((_term_coverage(c, sentence, vocabulary) for c in clause_terms), default=0.0)
                if ask_terms and terms < min_terms:
                    continue
                relevance = (coverage + terms) / 2 if ask_terms else coverage
                candidates.append(Evidence(sentence, chunk, position, relevance * weight + plan))
    candidates.sort(key=lambda e: -e.score)
    candidates = [e for e in candidates if e.score >= min_relative * candidates[0].score]
    chosen: list[Evidence] = []
    for ev in candidates:
        if (
            ev.text not in {c.text for c in chosen}
            and len({c.chunk.chunk_id for c in chosen} | {ev.chunk.chunk_id}) <= 2
        ):
            chosen.append(ev)
        if len(chosen) == max_sentences:
            break
    # A reply says what was done and what will be done: without a plan sentence, take the best one available.
    plans = [e for e in candidates if PLAN_RE.search(e.text) and e.text not in {c.text for c in chosen}]
    if chosen and plans and not any(PLAN_RE.search(c.text) for c in chosen):
        chosen = [*chosen[: max_sentences - 1], plans[0]]
    used.update(c.text for c in chosen)
    first_seen = {cid: i for i, cid in enumerate(dict.fromkeys(c.chunk.chunk_id for c in chosen))}
    return sorted(chosen, key=lambda e: (first_seen[e.chunk.chunk_id], e.position))
