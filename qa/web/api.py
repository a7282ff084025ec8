"""The OpenAI-compatible HTTP API, served beside the Gradio page in the same process (docs/api.md).

Routes: POST /v1/chat/completions (the last user message is the question, earlier turns the history; with
``stream: true`` server-sent events in the OpenAI chunk format ending with ``data: [DONE]``), GET /v1/models (the
library as one model, ``qa-library``) and POST /v1/search (query, k, filters → hits). Answers carry their [n]
citations in the text and as a structured ``citations`` field.

Access: ``Authorization: Bearer <key>`` with a key from ``qa keys create USER``. While no key exists and no login
is configured the API is open to requests from this machine (127.0.0.1 / ::1) only, with any key or none, as the
page is without login and bound to localhost; any other caller gets 401. Once a key exists (or a login is
configured) every request needs a valid key.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from qa.errors import QAError, QuestionError
from qa.records import Answer, Filters
from qa.store import store_location
from qa.store.feedback import Stores, reviewed_answer_for
from qa.web.export import source_fields, source_line

MODEL_ID = "qa-library"
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"})
MAX_K = 50
Audit = Callable[..., Any]  # qa.store.audit.AuditLog.record: (action, user, *, outcome, target, detail, ip)


class APIError(Exception):
    """An error the API answers with its status and an OpenAI-style body."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "param": None, "code": self.code or None}}
        return JSONResponse(body, status_code=self.status)


class FilterSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")
    agency: str = ""
    kind: str = ""
    year: str = ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, top_p … are accepted and have no effect
    model: str = MODEL_ID
    messages: list[dict[str, Any]]
    stream: bool = False
    filters: FilterSpec | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    query: str
    k: int = 5
    filters: FilterSpec | None = None
    mode: str = "hybrid"


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of an OpenAI content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def split_messages(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the history (the user/assistant turns before it)."""
    turns = [{"role": str(m.get("role", "")), "content": _text(m.get("content"))} for m in messages]
    last = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=-1)
    if last < 0 or not turns[last]["content"].strip():
        raise APIError(400, "messages 中没有用户问题：最后一条 user 消息即为问题", code="missing_question")
    history = [t for t in turns[:last] if t["role"] in ("user", "assistant") and t["content"].strip()]
    return turns[last]["content"].strip(), history


def citation_json(citation: Any) -> dict[str, Any]:
    """A citation as the API gives it: number, document, 文号, proposal number, section, page, quote."""
    chunk, meta = citation.chunk, citation.chunk.meta
    return {
        "n": citation.n,
        "document": meta.display_title or meta.source,
        "doc_id": chunk.doc_id,
        "source": meta.source,
        "agency": meta.agency,
        "doc_no": meta.doc_no,
        "proposal_no": meta.proposal_no,
        "section": " › ".join(chunk.breadcrumb[1:]) if len(chunk.breadcrumb) > 1 else "",
        "page": chunk.page,
        "ocr": chunk.ocr,
        "quote": citation.quote,
        "label": "；".join(f"{k}：{v}" for k, v in source_fields(citation)),
    }


def sources_text(answer: Answer) -> str:
    """The numbered sources appended to the message text, so any chat client shows where [n] points."""
    if not answer.citations:
        return ""
    return "\n\n来源：\n" + "\n".join(f"[{c.n}] {source_line(c)}" for c in answer.citations)


def _answer_extra(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [citation_json(c) for c in answer.citations],
        "refused": answer.refused,
        "reviewed": answer.backend == "reviewed",
        "backend": answer.backend,
    }


def _filters(spec: FilterSpec | None) -> Filters | None:
    if spec is None:
        return None
    try:
        return Filters(agency=spec.agency, kind=spec.kind, year=spec.year)
    except QuestionError as err:
        raise APIError(400, f"筛选条件有误：{err}", code="invalid_filters") from err


def create_api(
    service: Any,
    *,
    login_configured: bool | None = None,
    audit: Audit | None = None,
    can_ask: Callable[[str], bool] | None = None,
    app: FastAPI | None = None,
) -> FastAPI:
    """The API routes on `app` (a new FastAPI app when None), for `service` (qa.web.service.Service).

    Args:
        login_configured: whether the page has a login; None reads Settings.users (QA_USERS).
        audit: called as audit("ask", user, outcome=…, target="api", detail=question, ip=…) after each answer.
        can_ask: whether a key's user may ask (their role, an active account); a refusal is 403.
        app: an existing FastAPI app to add the routes to (before mounting Gradio at "/").
    """
    settings = service.settings
    stores = Stores.at(store_location(settings))
    has_login = bool(settings.users) if login_configured is None else login_configured
    app = app or FastAPI(title="卫生健康政务问答助手 API", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(APIError)
    async def _api_error(_request: Request, err: APIError) -> JSONResponse:
        return err.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Any:
        if not request.url.path.startswith("/v1/"):  # the host app's own routes keep FastAPI's answer
            return await request_validation_exception_handler(request, err)
        where = "、".join(".".join(str(p) for p in e.get("loc", ())[1:]) or "请求体" for e in err.errors()[:3])
        return APIError(
            400, f"请求格式不对（{where}）：请按 OpenAI 接口格式发送 JSON", code="invalid_request"
        ).response()

    def user_of(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        client = request.client.host if request.client else ""
        if not has_login and not stores.keys.any_active():  # open: this machine only, any key or none
            if client not in LOCAL_HOSTS:
                raise APIError(401, "未配置 API 密钥时只允许本机访问：请管理员用 qa keys create 创建密钥",
                               "authentication_error", "local_only")  # fmt: skip
            return "本机"
        if not header:
            raise APIError(401, "缺少 API 密钥：请在请求头加 Authorization: Bearer <密钥>", "authentication_error",
                           "missing_api_key")  # fmt: skip
        owner = stores.keys.verify(token.strip()) if scheme.lower() == "bearer" else None
        if owner is None:
            raise APIError(401, "API 密钥无效或已吊销", "authentication_error", "invalid_api_key")
        if can_ask is not None and not can_ask(owner):
            raise APIError(403, f"用户“{owner}”没有提问权限或账号已停用", "permission_error", "permission_denied")
        return owner

    def record(user: str, request: Request, outcome: str, detail: str) -> None:
        if audit is not None:
            with contextlib.suppress(Exception):  # the audit log must never take an answer down
                audit("ask", user, outcome=outcome, target="api", detail=detail,
                      ip=request.client.host if request.client else "")  # fmt: skip

    def check(question: str) -> str:
        if len(question) > settings.max_question_chars:
            raise APIError(400, f"问题有 {len(question)} 个字，超过上限 {settings.max_question_chars} 字"
                           "（QA_MAX_QUESTION_CHARS）", code="question_too_long")  # fmt: skip
        return question

    @app.get("/v1/models")
    def models(_user: str = Depends(user_of)) -> dict[str, Any]:
        card = {
            "id": MODEL_ID,
            "object": "model",
            "created": 0,
            "owned_by": "qa",
            "description": "文档库问答（带出处）",
        }
        return {"object": "list", "data": [card]}

    @app.post("/v1/search")
    def search(body: SearchRequest, _user: str = Depends(user_of)) -> dict[str, Any]:
        query = check(body.query.strip())
        if not 1 <= body.k <= MAX_K:
            raise APIError(400, f"k 应在 1 到 {MAX_K} 之间，现在是 {body.k}", code="invalid_k")
        if body.mode not in ("hybrid", "dense", "bm25"):
            raise APIError(400, "mode 只能是 hybrid、dense 或 bm25", code="invalid_mode")
        try:
            hits = service.retriever.search(query, body.k, filters=_filters(body.filters), mode=body.mode)
        except QuestionError as err:
            raise APIError(400, f"查询有误：{err}", code="invalid_query") from err
        except QAError as err:
            raise APIError(503, f"文档库暂不可用：{err}", "server_error", "index_unavailable") from err
        return {"object": "list", "query": query, "data": [h.to_dict() for h in hits]}

    @app.post("/v1/chat/completions", response_model=None)
    def chat(body: ChatRequest, request: Request, user: str = Depends(user_of)) -> Any:
        from qa.answer.followup import is_followup
        from qa.web.answer_cache import cached_ask, cached_ask_stream

        question, history = split_messages(body.messages)
        check(question)
        filters = _filters(body.filters)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": body.model or MODEL_ID}
        reviewed = reviewed_answer_for(question, stores.feedback) if not (history and is_followup(question)) else None
        kwargs = {"retriever": None, "history": history, "filters": filters, "generator": None}
        try:
            kwargs.update(retriever=service.retriever, generator=service.generator)
        except QAError as err:
            if reviewed is None:
                raise APIError(503, f"文档库暂不可用：{err}", "server_error", "index_unavailable") from err
        if not body.stream:
            try:
                answer = reviewed or cached_ask(service.answer_cache, question, **kwargs)
            except QuestionError as err:
                raise APIError(400, f"问题有误：{err}", code="invalid_question") from err
            except QAError as err:
                raise APIError(503, f"回答失败：{err}", "server_error", "answer_failed") from err
            record(user, request, "refused" if answer.refused else "ok", question)
            message = {"role": "assistant", "content": answer.text + sources_text(answer)}
            return {
                **head,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": len(question),
                    "completion_tokens": len(answer.text),
                    "total_tokens": len(question) + len(answer.text),
                },
                **_answer_extra(answer),
            }

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            data = {**head, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}  # fmt: skip
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            cache = service.answer_cache
            pieces = iter([reviewed.text, reviewed]) if reviewed else cached_ask_stream(cache, question, **kwargs)
            final: Answer | None = None
            try:
                for piece in pieces:
                    if isinstance(piece, Answer):
                        final = piece
                        break
                    yield chunk({"content": piece})
            except QAError as err:
                record(user, request, "failed", question)
                yield chunk({"content": f"\n\n回答失败：{err}"}, "stop", error={"message": str(err)})
                yield "data: [DONE]\n\n"
                return
            if final is None:
                yield chunk({"content": "\n\n回答生成中断，请重试。"}, "stop")
            else:
                record(user, request, "refused" if final.refused else "ok", question)
                if final.citations:
                    yield chunk({"content": sources_text(final)})
                yield chunk({}, "stop", **_answer_extra(final))
            yield "data: [DONE]\n\n"

        try:  # an empty or over-long question fails here, before the 200 and the stream start
            from qa.retrieve import check_question

            check_question(question, settings.max_question_chars)
        except QuestionError as err:
            raise APIError(400, f"问题有误：{err}", code="invalid_question") from err
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    # Starlette builds its middleware stack (exception handlers included) at the first request; a launched Gradio app
    # has served one already, so the stack is dropped here and rebuilt with the handlers above on the next request.
    app.middleware_stack = None
    return app
