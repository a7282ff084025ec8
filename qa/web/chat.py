"""The 问答 tab: streamed answers with their sources, the sources of an earlier answer, feedback; and /ask."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import gradio as gr

from qa.errors import QAError
from qa.records import Answer, Filters
from qa.web import format as fmt
from qa.web.notify import info, warn
from qa.web.service import Service


def _filters(agency: str, kind: str, year: str) -> Filters:
    return Filters(agency=agency or "", year=year or "", kind=kind or "")


def _history_pairs(answers: dict[int, Answer]) -> list[tuple[str, Answer]]:
    # Follow-ups see the earlier questions and answers in order (with the documents each cited, so "这些措施"
    # stays in the reply just discussed); refusals carry no facts worth resolving.
    return [(a.question, a) for _, a in sorted(answers.items()) if not a.refused]


def _reviewed(service: Service, question: str, answers: dict[int, Answer]) -> Answer | None:
    """The reviewed answer (已审核答复) to this question, unless it is a follow-up that depends on the chat."""
    from qa.answer.followup import is_followup
    from qa.store import store_location
    from qa.store.feedback import Stores, reviewed_answer_for

    if _history_pairs(answers) and is_followup(question):
        return None
    return reviewed_answer_for(question, Stores.at(store_location(service.settings)).feedback)


def make_chat(service: Service):
    """The chat handler: streams the answer into the chatbot, then shows its sources beside it."""

    def respond(
        message: str,
        history: list[dict[str, Any]],
        answers: dict[int, Answer],
        agency: str,
        kind: str,
        year: str,
        request: gr.Request,
    ) -> Iterator[tuple[list[dict[str, Any]], str, str, dict[int, Answer]]]:
        from qa.web.answer_cache import cached_ask_stream

        question = (message or "").strip()
        history = list(history or [])
        answers = dict(answers or {})
        if not question:
            warn("请输入问题。")
            yield history, gr.skip(), message, answers
            return
        try:
            service.guard.check(request, "ask")  # a role may ask, and an open session of a disabled account may not
        except QAError as err:
            warn(str(err))
            yield history, gr.skip(), message, answers
            return
        history += [
            {"role": "user", "content": fmt.question_markdown(question)},
            {"role": "assistant", "content": "正在检索相关文档…"},
        ]
        slot = len(history) - 1
        yield history, fmt.sources_placeholder("正在检索相关文档…"), "", answers
        text, final = "", None
        try:
            reviewed = _reviewed(service, question, answers)  # an admin's reviewed answer to this question, if any
            retriever = service.retriever  # one snapshot for the whole answer
            stream = (
                iter([reviewed.text, reviewed])
                if reviewed
                else cached_ask_stream(
                    service.answer_cache,
                    question,
                    retriever=retriever,
                    history=_history_pairs(answers),
                    filters=_filters(agency, kind, year),
                    generator=service.generator,
                )
            )
            for piece in stream:
                if isinstance(piece, Answer):
                    final = piece
                    break
                text += piece
                history[slot] = {"role": "assistant", "content": fmt.partial_answer_markdown(text)}
                yield history, gr.skip(), "", answers
        except QAError as err:
            history[slot] = {"role": "assistant", "content": fmt.notice_markdown(str(err))}
            yield history, fmt.sources_placeholder(str(err)), "", answers
            return
        if final is None:  # a stream that ended without its Answer is a library bug; say so plainly
            history[slot] = {"role": "assistant", "content": fmt.notice_markdown("回答生成中断，请重试。")}
            yield history, gr.skip(), "", answers
            return
        answers[slot] = final
        history[slot] = {"role": "assistant", "content": fmt.answer_markdown(final)}
        service.guard.record("ask", request, target=question[:500],
                             detail="拒答" if final.refused else f"引用 {len(final.citations)} 处")  # fmt: skip
        cited = [c.chunk.doc_id for c in final.citations]
        origins = service.guard.doc_origins(getattr(retriever.index, "manifest", None), cited)
        yield history, fmt.answer_sources_html(final, origins), "", answers

    return respond


def show_sources(answers: dict[int, Answer], evt: gr.SelectData) -> str:
    """Clicking an earlier answer shows that answer's sources."""
    index = evt.index if isinstance(evt.index, int) else evt.index[0]
    answer = (answers or {}).get(index)
    return fmt.answer_sources_html(answer) if answer else gr.skip()


def make_feedback(service: Service):
    def on_like(answers: dict[int, Answer], evt: gr.LikeData, request: gr.Request) -> None:
        """Save a thumbs up/down with the question, answer and citations to data_dir/feedback.jsonl."""
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        answer = (answers or {}).get(index)
        if answer is None:
            return
        record = {
            "time": datetime.now().isoformat(timespec="seconds"),
            "liked": evt.liked,
            "user": getattr(request, "username", None) or "",
            **answer.to_dict(),
        }
        path = service.settings.data_dir / "feedback.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with service.feedback_lock, path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        info("感谢反馈，已记录。" if evt.liked is True else "已记录，我们会据此改进。")

    return on_like


def make_ask_api(service: Service):
    def ask_json(
        question: str, agency: str = "", kind: str = "", year: str = "", request: gr.Request = None
    ) -> dict[str, Any]:
        """Answer one question without chat history; returns the answer, citations and refusal as JSON."""
        from qa.web.answer_cache import cached_ask

        try:
            service.guard.check(request, "ask")
            answer = _reviewed(service, question, {}) or cached_ask(
                service.answer_cache,
                question,
                retriever=service.retriever,
                filters=_filters(agency, kind, year),
                generator=service.generator,
            )
        except QAError as err:
            return {"question": question, "error": str(err)}
        service.guard.record("ask", request, target=question[:500], detail="API /ask")
        return answer.to_dict()

    return ask_json
