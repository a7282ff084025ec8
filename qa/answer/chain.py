"""Cited answers: a langchain runnable chain of condense → retrieve → gate → generate → verify → Answer."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableBranch, RunnableLambda, RunnablePassthrough

from qa.answer.compose import source_name
from qa.answer.extractive import ExtractiveGenerator
from qa.answer.followup import (
    History,
    answer_text,
    conversation_filters,
    is_followup,
    refers_to_document,
    rewrite_followup,
    user_questions,
)
from qa.answer.gate import Gate, document_texts, gate
from qa.answer.generate import Generator, refusal_text
from qa.answer.metadata import FIELD_LABELS
from qa.answer.question import absolute_years, classify, expand_query
from qa.answer.refusal import NOT_GIVEN, near_miss_text
from qa.answer.similar import sentence_similarity
from qa.answer.verify import RefusalPolicy, verify_answer
from qa.errors import GeneratorError
from qa.records import Answer, Chunk, Citation, Filters, Hit
from qa.retrieve import HybridRetriever, Retriever, check_question, document_to_hit

DEFAULT_K = 6
CROSS_DOC_K = 10
__all__ = ["ask", "ask_stream", "condense_question", "format_answer", "gate", "is_followup", "rewrite_followup"]


def condense_question(question: str, history: History, generator: Generator | None = None) -> str:
    """A standalone question for retrieval: the LLM's condense prompt when one is configured, else the rule."""
    if not user_questions(history) or not is_followup(question):
        return question
    condense = getattr(generator, "condense", None)
    if callable(condense):
        lines = []
        for turn in history:
            if isinstance(turn, Mapping):
                lines.append(f"{turn.get('role')}: {turn.get('content')}")
            elif isinstance(turn, Sequence) and not isinstance(turn, str):
                said = answer_text(turn[1]) if len(turn) > 1 else ""
                lines += [f"user: {turn[0]}"] + ([f"assistant: {said}"] if said else [])
        try:
            text = str(condense("\n".join(lines[-8:]), question)).strip()
            if text:
                return text.splitlines()[0]
        except GeneratorError:
            pass  # the rule below still gives retrieval a usable question
    return rewrite_followup(question, history)


# ---- the chain -----------------------------------------------------------------------------------------------


def _retrieve_step(retriever: Retriever, k: int, filters: Filters | None) -> Runnable:
    """Standalone question → hits, through the langchain retriever so the chain composes like any other.

    Cross-document questions (哪些区…, 各地…) retrieve more passages so that each document can be heard.
    """
    narrow = HybridRetriever(retriever=retriever, k=k, filters=filters)
    wide = HybridRetriever(retriever=retriever, k=max(k, CROSS_DOC_K), filters=filters)
    choose = RunnableBranch((lambda query: classify(query).cross_doc, wide), narrow)
    to_hits = RunnableLambda(lambda docs: [document_to_hit(d) for d in docs])
    return RunnableLambda(lambda state: expand_query(state["standalone"])) | choose | to_hits


def _dated(question: str, hits: list[Hit]) -> str:
    """去年 / 明年 read at the year of the document that answers (the best hit's): 去年 asked of a reply of 2024 is
    2023, which the answering passage must then state (as 2023年, or as its own 去年: see the gate)."""
    return absolute_years(question, hits[0].chunk.meta.year) if hits else question


def build_chain(
    retriever: Retriever,
    generator: Generator,
    *,
    filters: Filters | None = None,
    k: int = DEFAULT_K,
    policy: RefusalPolicy | None = None,
) -> Runnable:
    """The runnable that prepares an answer: {"question", "history"} → state with standalone, hits, gate.

    Generation is left to the caller so one chain serves ask() (invoke) and ask_stream() (token stream).
    """
    policy = policy or RefusalPolicy()
    texts = document_texts(retriever)
    similarity = sentence_similarity(retriever)
    condense = RunnableLambda(lambda s: condense_question(s["question"], s.get("history", ()), generator))
    return (
        RunnablePassthrough.assign(standalone=condense)
        | RunnablePassthrough.assign(hits=_retrieve_step(retriever, k, filters))
        | RunnablePassthrough.assign(standalone=lambda s: _dated(s["standalone"], s["hits"]))
        | RunnablePassthrough.assign(
            gate=RunnableLambda(lambda s: gate(s["standalone"], s["hits"], policy, texts, similarity))
        )
    )


def _refused(
    question: str, hits: list[Hit], backend: str, started: float, g: Gate | None = None, standalone: str = ""
) -> Answer:
    """A refusal; with a near miss (g.near) it also says what the documents do state about the subject, cited."""
    text, citations = refusal_text(), []
    if g is not None and g.unstated and g.about:
        # a metadata field the asked reply does not state: say which document was read and what it lacks, cited
        chunk = g.sources[g.about - 1]
        name = source_name(chunk) or "该答复"
        text = f"{text}《{name}》未写明{FIELD_LABELS.get(g.unstated, g.unstated)}[1]。"
        citations = [Citation(1, chunk, name)]
    elif g is not None and g.near is not None:
        intent = classify(standalone or question)
        if intent.kind in NOT_GIVEN:
            text = near_miss_text(g.near, intent, text)
            citations = [Citation(1, g.sources[g.near.n - 1], g.near.text.strip())]
    return Answer(
        question=question,
        text=text,
        citations=citations,
        refused=True,
        backend=backend,
        latency_ms=(time.perf_counter() - started) * 1000,
        hits=hits,
    )


def _finish(
    question: str, text: str, state: dict[str, Any], backend: str, started: float, *, llm: bool, sources: list[Chunk]
) -> Answer:
    """Verify a generated text against the sources it was given and wrap it as an Answer (a refusal if nothing
    survives); a model's text has every figure and quoted name checked against the sources it cites."""
    hits: list[Hit] = state["hits"]
    refusal = refusal_text().rstrip("。")
    if not text.strip() or refusal in text:
        return _refused(question, hits, backend, started)
    checked = verify_answer(text, sources, check_facts=llm)
    if not checked.citations:
        return _refused(question, hits, backend, started)
    return Answer(
        question=question,
        text=checked.text.strip(),
        citations=checked.citations,
        unsupported=checked.unsupported,
        backend=backend,
        latency_ms=(time.perf_counter() - started) * 1000,
        hits=hits,
    )


def _offline(retriever: Retriever) -> ExtractiveGenerator:
    """The offline answerer with what the retriever's index gives it: its embedder, its documents' texts."""
    return ExtractiveGenerator(sentence_similarity(retriever), document_texts(retriever))


def _with_similarity(generator: Generator | None, retriever: Retriever) -> Generator:
    """The generator to use: the offline one chooses sentences by meaning too, with the retriever's embedder."""
    if generator is None or (isinstance(generator, ExtractiveGenerator) and generator.similarity is None):
        return _offline(retriever)
    return generator


def _prepare(
    question: str, retriever: Retriever, history: History, filters: Filters | None, generator: Generator, k: int
) -> dict[str, Any]:
    """Condense, retrieve and gate. A follow-up is first answered from the documents the previous answer cited;
    when they cannot answer it, from the whole index, unless it asks about that document itself (its contact, its
    date)."""
    question = check_question(question, retriever.max_question_chars)
    narrowed = conversation_filters(question, history, filters)
    state = build_chain(retriever, generator, filters=narrowed, k=k).invoke(
        {"question": question, "history": list(history)}
    )
    if narrowed is not filters and state["gate"].reason and not refers_to_document(question):
        state = build_chain(retriever, generator, filters=filters, k=k).invoke(
            {"question": question, "history": list(history)}
        )
    return state


def ask(
    question: str,
    *,
    retriever: Retriever,
    history: History = (),
    filters: Filters | None = None,
    generator: Generator | None = None,
    k: int = DEFAULT_K,
) -> Answer:
    """Answer a question from the indexed documents, with [n] citations, or refuse.

    Args:
        question: the user's question (a follow-up is rewritten with `history`).
        retriever: the hybrid retriever over the index.
        history: earlier turns, as (question, answer) pairs or role/content messages.
        filters: metadata filters for retrieval (agency, year, kind, doc_ids).
        generator: the answer generator; default the offline extractive answerer. If an LLM endpoint fails,
            the extractive answerer answers instead and Answer.backend says so.
        k: how many passages to retrieve and show the generator.

    Raises:
        QuestionError: the question is empty or too long.
    """
    started = time.perf_counter()
    generator = _with_similarity(generator, retriever)
    state = _prepare(question, retriever, history, filters, generator, k)
    question = state["question"]
    if state["gate"].reason:
        return _refused(question, state["hits"], generator.name, started, state["gate"], state["standalone"])
    backend, llm = generator.name, not isinstance(generator, ExtractiveGenerator)
    sources = list((llm and state["gate"].context) or state["gate"].sources)
    try:
        text = generator.generate(state["standalone"], sources)
    except GeneratorError as err:
        backend, llm = f"extractive (fallback: {err})", False
        sources = list(state["gate"].sources)
        text = _offline(retriever).generate(state["standalone"], sources)
    return _finish(question, text, state, backend, started, llm=llm, sources=sources)


def ask_stream(
    question: str,
    *,
    retriever: Retriever,
    history: History = (),
    filters: Filters | None = None,
    generator: Generator | None = None,
    k: int = DEFAULT_K,
) -> Iterator[str | Answer]:
    """Like ask(), but yields the answer text in pieces as the generator produces them, then the final Answer.

    The final Answer is authoritative: its text has invalid citations removed, and it may be a refusal.
    """
    started = time.perf_counter()
    generator = _with_similarity(generator, retriever)
    state = _prepare(question, retriever, history, filters, generator, k)
    question = state["question"]
    if state["gate"].reason:
        answer = _refused(question, state["hits"], generator.name, started, state["gate"], state["standalone"])
        yield answer.text
        yield answer
        return
    backend, llm = generator.name, not isinstance(generator, ExtractiveGenerator)
    sources = list((llm and state["gate"].context) or state["gate"].sources)
    pieces: list[str] = []
    try:
        for piece in generator.stream(state["standalone"], sources):
            pieces.append(piece)
            yield piece
    except GeneratorError as err:
        backend, llm = f"extractive (fallback: {err})", False
        sources = list(state["gate"].sources)
        pieces = []
        for piece in _offline(retriever).stream(state["standalone"], sources):
            pieces.append(piece)
            yield piece
    yield _finish(question, "".join(pieces), state, backend, started, llm=llm, sources=sources)


def format_answer(answer: Answer) -> str:
    """The answer for a terminal: the text, then the numbered sources (title, proposal number, section, quote)."""
    lines = [answer.text, ""]
    if answer.refused:
        if answer.hits:
            lines.append("最相近的资料：")
            for hit in answer.hits[:3]:
                meta = hit.chunk.meta
                number = f"（第{meta.proposal_no}号）" if meta.proposal_no else ""
                where = f"（{hit.chunk.location}）" if hit.chunk.location else ""
                lines.append(f"  - {meta.display_title}{number} › {hit.chunk.section}{where}")
        return "\n".join(lines).rstrip()
    lines.append("来源：")
    for c in answer.citations:
        meta = c.chunk.meta
        number = f"（第{meta.proposal_no}号）" if meta.proposal_no else ""
        lines.append(f"[{c.n}] {meta.display_title}{number}")
        lines.append(f"    章节：{c.chunk.section}" + (f"（{c.chunk.location}）" if c.chunk.location else ""))
        lines.append(f"    原文：“{c.quote}”")
    if answer.unsupported:
        lines.append(
            f"注意：第 {'、'.join(str(i + 1) for i in answer.unsupported)} 句的数字或名称在所引来源中找不到，请核对。"
        )
    lines.append(f"（{answer.backend}，{answer.latency_ms:.0f} ms）")
    return "\n".join(lines)
