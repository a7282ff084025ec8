"""Follow-up questions: made standalone from the conversation, and kept to the documents just discussed.

A follow-up (那东西湖区呢？ / 这些措施的经办人是谁？ / 还有呢) leans on the previous turn. Its words are resolved
against the previous question (rewrite_followup: keep the topic, swap in the new place or year), and unless it
names a new place it is answered from the documents the previous answer cited (conversation_filters), so "这些措施"
means the measures just quoted, not another reply's.

History turns are (question, answer) pairs — the answer a qa.records.Answer or its text — or role/content
messages as Gradio keeps them (an assistant message may carry "doc_ids").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from qa.answer.groups import shared_start
from qa.answer.question import NOUN_FLAGS, is_time_word, question_terms, sub_questions
from qa.data import word_set
from qa.records import Filters
from qa.text import CALENDAR_YEAR_RE, PLACE_LEVELS, PLACE_RE, normalize, table_pattern

History = Sequence[Any]  # (question, answer) pairs, or {"role", "content"} messages as Gradio keeps them

_FOLLOWUP_START = table_pattern("followup_starts", literal=True)
_PRONOUNS = table_pattern("followup_pronouns", literal=True)
_POINTERS = table_pattern("followup_pointers", literal=True)
_AREA_KINDS = word_set("area_kinds")  # 社区, 小区: no place, though 那社区 reads like one
MAX_FOLLOWUP = 20  # characters: a longer question is a follow-up only when it points back and names no place
# …or that opens the way only a follow-up opens (那要是…, 那南边的呢…, 还有…): 那 as "then", not the filler 那个
_LONG_OPENING = re.compile(rf"(?!那(?:个|份|件|位|家|种|样|里|儿))(?:{_FOLLOWUP_START.pattern})")
_ASKS_AGAIN = re.compile(r"多少|几|什么|哪")  # the follow-up asks its own question, not just 那2023年呢
_FOLLOWUP_STUB = re.compile(r"(?:那|那么)?(\w{2,10}?)(?:的情况)?呢")  # 那青岚呢: the one word is what changes


def user_questions(history: History) -> list[str]:
    """The user's earlier questions, oldest first, from (question, answer) pairs or role/content messages."""
    out = []
    for turn in history:
        if isinstance(turn, Mapping):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, Sequence) and not isinstance(turn, str) and turn and isinstance(turn[0], str):
            out.append(turn[0])
        elif isinstance(turn, str):
            out.append(turn)
    return [q for q in out if q.strip()]


def is_followup(question: str) -> bool:
    """Short questions that lean on the previous one (那东西湖区呢？ / 还有呢 / 它的电话是多少？), and longer ones
    that point back at it without naming a place of their own (那它们到2030年一共要在各个街道建成多少家？)."""
    q = normalize(question).rstrip("？?。！!")
    if len(q) > MAX_FOLLOWUP:
        return bool(_POINTERS.search(q) or _LONG_OPENING.match(q)) and not _places(q)
    return bool(_FOLLOWUP_START.match(q)) or q.endswith("呢") or bool(_PRONOUNS.search(q)) or _names_nothing(q)


def _names_nothing(question: str) -> bool:
    """A short question that names no thing at all (几点到几点有人接？): it asks about the previous one's subject."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    nouns = [w for w, f in pos_tokenizer().lcut(question) if f.startswith(NOUN_FLAGS) and len(w) >= 2]
    return len(question) <= 12 and not nouns


def _places(text: str) -> list[str]:
    """The places a question names. jieba's guess of "ns" for a word it does not know (托班) is trusted only when the
    word ends in a level (鹭汀区) or stands alone after 那 (那青岚呢): a known place is in its dictionary."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    tagger = pos_tokenizer()
    bare = _FOLLOWUP_STUB.fullmatch(text.rstrip("？?。！!"))
    words = [
        w
        for w, f in tagger.lcut(text)
        if f == "ns"
        and len(w) >= 2
        and w not in _AREA_KINDS  # (jieba's dictionary tags 山区 a place)
        and (w[-1] in PLACE_LEVELS or tagger.word_tag_tab.get(w) == "ns" or (bare and bare.group(1) == w))
    ]
    return words or [p for p in PLACE_RE.findall(text) if not any(p.endswith(kind) for kind in _AREA_KINDS)]


def _is_noun_phrase(text: str) -> bool:
    """Whether a follow-up's one phrase names a thing (重点人群), not an act (还有)."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    return any(f.startswith(NOUN_FLAGS) for _, f in pos_tokenizer().lcut(text))


def _asks_on_its_own(rest: str) -> bool:
    """A follow-up that asks its own question about its own thing (那新增了多少张床位？), not a stub (那重点人群呢)
    or a pointer (这些措施的经办人是谁): it keeps the previous question's place but not its topic words."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    if not _ASKS_AGAIN.search(rest) or rest.endswith("呢") or _PRONOUNS.search(rest):
        return False
    nouns = [w for w, f in pos_tokenizer().lcut(rest) if f.startswith(NOUN_FLAGS) and len(w) >= 2]
    return len(nouns) >= 2


def _sibling_in(word: str, previous: str) -> str:
    """The noun of the previous question that the follow-up's one word stands beside, another of its kind: the two
    share their first two characters or their last two (社区卫生服务站 of 社区卫生服务中心), the most shared first;
    "" when none does."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    def shared(noun: str) -> int:
        start, end = shared_start([noun, word]), shared_start([noun[::-1], word[::-1]])
        return (start if start >= 2 else 0) + (end if end >= 2 else 0)

    nouns = [w for w, f in pos_tokenizer().lcut(previous) if f.startswith(NOUN_FLAGS) and len(w) >= 3 and w != word]
    best = max(nouns, key=shared, default="")
    return best if best and shared(best) >= 2 and word not in previous else ""


def _rewrite(question: str, previous: str) -> str:
    """One follow-up made standalone against the (already standalone) previous question."""
    prev = re.sub(r"\s+", "", previous)
    q = re.sub(r"\s+", "", question)
    new_places = _places(q)
    new_years = CALENDAR_YEAR_RE.findall(q)
    rewritten = prev
    if new_places:
        old = _places(prev)
        rewritten = rewritten.replace(old[0], new_places[0], 1) if old else new_places[0] + rewritten
    # the subject a follow-up leans on is the one the previous question's first part names: its later parts narrow
    # it (其中民办的有几家) or ask another fact of it
    subject = sub_questions(prev)[0]
    rest_with_pronouns = re.sub(rf"^(?:{_FOLLOWUP_START.pattern})", "", q)
    rest = _PRONOUNS.sub("", rest_with_pronouns)
    if not new_places and _asks_on_its_own(rest_with_pronouns):
        return "".join(_places(prev)) + rest
    if new_years and not new_places and _ASKS_AGAIN.search(rest):
        # a new year's target asked after a question about now: the previous topic without its time, asked anew
        topic = "".join(t for t in question_terms(subject) if not is_time_word(t))
        return f"{topic}{rest}"
    if new_years:
        old_years = CALENDAR_YEAR_RE.findall(rewritten)
        rewritten = rewritten.replace(old_years[0], new_years[0], 1) if old_years else new_years[0] + rewritten
    if new_places or new_years:
        return rewritten
    stub = _FOLLOWUP_STUB.fullmatch(q.rstrip("？?。！!"))
    sibling = _sibling_in(stub.group(1), prev) if stub else ""
    if sibling:
        # 那社区卫生服务站呢 after a question about 社区卫生服务中心: the same question about the other of the kind
        return prev.replace(sibling, stub.group(1), 1)
    if stub and _is_noun_phrase(stub.group(1)):
        # 那重点人群呢: the same question about that group, so the group joins the previous question after its place
        place = next((p for p in _places(prev) if p in prev), "")
        at = prev.index(place) + len(place) if place else 0
        return f"{prev[:at]}{stub.group(1)}{prev[at:]}"
    # No entity to swap (还有哪些措施？/ 它的电话呢？): ask the new question about the previous topic.
    topic = "".join(question_terms(subject))
    return f"{topic}{rest}"


def rewrite_followup(question: str, history: History) -> str:
    """The follow-up as a standalone question, without a model: keep the previous topic, swap in the new entity.

    "那B区呢？" after "A区医联体建设情况如何？" → "B区医联体建设情况如何？". Earlier follow-ups are
    resolved first, so "那武昌区呢？" after them still knows the topic. After a which-one question (建的是哪家卫生院),
    "它" is the one the answer named: "它是哪天开工的？" → "柳溪中心卫生院是哪天开工的？".
    """
    resolved = ""
    for earlier in user_questions(history):
        resolved = _rewrite(earlier, resolved) if resolved and is_followup(earlier) else earlier
    if not resolved or not is_followup(question):
        return question
    q = re.sub(r"\s+", "", question)
    name = _named_in_answer(resolved, last_answer(history))
    if name and _PRONOUNS.search(q) and not _places(q):
        places = "".join(p for p in _places(resolved) if p not in name)
        return places + _PRONOUNS.sub(name, q, count=1)
    return _rewrite(question, resolved)


# A question asking which one (建的是哪家卫生院): its answer names that one
_WHICH_ONE_RE = re.compile(r"哪(?:一)?(?:家|个|所|座|位)([\u4e00-\u9fa5]{1,8})")
_NAME_FLAGS = ("n", "j")  # nouns (of places, organisations, people too) and abbreviations make up a name


def _named_in_answer(previous: str, answer: str) -> str:
    """The name the answer gave to a which-one question: the words before the asked noun that make up a name
    (加快建设柳溪中心卫生院 → 柳溪中心卫生院); "" when the question asked no which-one or the answer names none."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    m = _WHICH_ONE_RE.search(normalize(previous))
    if not m or not answer:
        return ""
    tagged = [(w, f) for w, f in pos_tokenizer().lcut(m.group(1))]
    noun = tagged[0][0] if tagged and tagged[0][1].startswith(_NAME_FLAGS) else ""
    body = re.sub(r"^据《[^》]*》[，,：:]?", "", answer)
    words = [(w, f) for w, f in pos_tokenizer().lcut(body)]
    for i, (word, _) in enumerate(words):
        if not noun or not word.endswith(noun):
            continue
        start = i
        while start > 0 and words[start - 1][1].startswith(_NAME_FLAGS) and words[start - 1][0] != noun:
            start -= 1
        name = "".join(w for w, _ in words[start : i + 1])
        if len(name) > len(noun):
            return name
    return ""


def _last_reply(history: History) -> Any:
    """The last answer of the history: an assistant message (a mapping) or the answer of a (question, answer)
    pair; None when the history holds none."""
    for turn in reversed(history):
        if isinstance(turn, Mapping):
            if turn.get("role") == "assistant":
                return turn
            continue
        if isinstance(turn, Sequence) and not isinstance(turn, str) and len(turn) > 1:
            return turn[1]
        return None
    return None


def last_answer(history: History) -> str:
    """The text of the last answer in the history, "" when there is none."""
    reply = _last_reply(history)
    return str(reply.get("content") or "") if isinstance(reply, Mapping) else answer_text(reply)


def answer_text(answer: Any) -> str:
    """The text of an answer kept in the history: an Answer's .text, or the string itself."""
    return str(getattr(answer, "text", answer) or "")


def previous_documents(history: History) -> tuple[str, ...]:
    """The documents the last answer cited, in citation order; () when it cited none or is not known."""
    reply = _last_reply(history)
    if isinstance(reply, Mapping):
        return tuple(reply.get("doc_ids") or ())
    citations = getattr(reply, "citations", None) or ()
    return tuple(dict.fromkeys(c.chunk.doc_id for c in citations))


# A follow-up that points at the document itself (this reply, the said proposal): only that document may answer it.
_THIS_DOCUMENT_RE = re.compile(
    r"(?:这|该|此|那)(?:份|件|篇|个)?(?:答复|回复|复函|提案|建议|文件|规划|意见)|这份|该份|这件"
)


def refers_to_document(question: str) -> bool:
    """Whether a follow-up asks about the document just discussed (its contact person), not about its topic."""
    return bool(_THIS_DOCUMENT_RE.search(normalize(question)))


def conversation_filters(question: str, history: History, filters: Filters | None) -> Filters | None:
    """The filters for a follow-up: the previous answer's documents, unless the follow-up names a new place
    (那咸宁市呢？ asks about another document) or the caller already chose documents."""
    docs = previous_documents(history)
    earlier = user_questions(history)
    if not docs or not earlier or not is_followup(question) or (filters is not None and filters.doc_ids):
        return filters
    q = re.sub(r"\s+", "", question)
    if any(p not in earlier[-1] for p in _places(q)):
        return filters
    return dataclasses.replace(filters or Filters(), doc_ids=docs)
