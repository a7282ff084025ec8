"""The OpenAI-compatible API on a real server (uvicorn on 127.0.0.1, Gradio mounted beside it at "/") over a real
small index, called with the official openai client: answers with citations, streaming, /v1/models, /v1/search,
API keys, and clear errors for a wrong key and an over-long question."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace

import gradio as gr
import httpx
import openai
import pytest
import uvicorn
from conftest import SEEDS_DIR, ToyEmbedder

from qa.config import Settings
from qa.store import store_path
from qa.store.feedback import Stores
from qa.web.api import create_api, split_messages
from qa.web.service import Service

QUESTION = "江夏区如何推进中医药文化进校园？"
CITED = re.compile(r"\[\d+\]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    from qa.index.build import build_index

    root = tmp_path_factory.mktemp("api")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS_DIR / "000_ecc1ee3b3577c818.txt", corpus)
    toy = ToyEmbedder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("qa.retrieve.get_embedder", lambda _spec: toy)
        build_index([corpus], root / "index", toy)
        settings = Settings(index_dir=root / "index", data_dir=root / "data", max_question_chars=200)
        service = Service(settings)
        with gr.Blocks() as demo:
            gr.Markdown("问答")
        app = gr.mount_gradio_app(create_api(service), demo, path="/")
        port = _free_port()
        uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not uv.started:
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.05)
        try:
            yield SimpleNamespace(
                url=f"http://127.0.0.1:{port}", service=service, stores=Stores.at(store_path(settings))
            )
        finally:
            uv.should_exit = True
            thread.join(timeout=10)


def client(server: SimpleNamespace, key: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0, timeout=60)


def test_split_messages_takes_the_last_user_message_as_the_question() -> None:
    question, history = split_messages(
        [
            {"role": "system", "content": "你是助手"},
            {"role": "user", "content": "江夏区医联体建设情况如何？"},
            {"role": "assistant", "content": [{"type": "text", "text": "已建成[1]。"}]},
            {"role": "user", "content": " 那东西湖区呢？ "},
        ]
    )
    assert question == "那东西湖区呢？"
    assert history == [
        {"role": "user", "content": "江夏区医联体建设情况如何？"},
        {"role": "assistant", "content": "已建成[1]。"},
    ]


def test_gradio_and_the_api_share_one_server(server: SimpleNamespace) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=10) as page:
        assert page.status == 200 and "gradio" in page.read().decode("utf-8", "replace").lower()
    models = client(server).models.list()
    assert [m.id for m in models.data] == ["qa-library"]


def test_chat_completion_answers_with_citations(server: SimpleNamespace) -> None:
    reply = client(server).chat.completions.create(model="qa-library", messages=[{"role": "user", "content": QUESTION}])
    text = reply.choices[0].message.content
    data = reply.model_dump()
    assert reply.choices[0].finish_reason == "stop" and CITED.search(text) and "来源：" in text
    first = data["citations"][0]
    assert f"[{first['n']}]" in text and first["doc_id"].startswith("000_ecc1ee3b3577c818.txt")
    assert {"document", "doc_no", "proposal_no", "section", "page", "quote"} <= set(first) and first["quote"]
    assert data["refused"] is False and data["reviewed"] is False


def test_streaming_ends_with_the_citations_and_done(server: SimpleNamespace) -> None:
    stream = client(server).chat.completions.create(
        model="qa-library", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 3 and CITED.search(text) and "来源：" in text
    last = chunks[-1].model_dump()
    assert chunks[-1].choices[0].finish_reason == "stop" and last["citations"][0]["quote"]
    raw = httpx.post(
        server.url + "/v1/chat/completions",
        json={"model": "qa-library", "stream": True, "messages": [{"role": "user", "content": QUESTION}]},
        timeout=60,
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_follow_up_uses_the_earlier_turns(server: SimpleNamespace) -> None:
    first = client(server).chat.completions.create(model="qa-library", messages=[{"role": "user", "content": QUESTION}])
    messages = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "具体有哪些线上宣传？"},
    ]
    reply = client(server).chat.completions.create(model="qa-library", messages=messages)
    assert reply.choices[0].message.content


def test_over_long_and_empty_input_get_a_400(server: SimpleNamespace) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client(server).chat.completions.create(model="qa-library", messages=[{"role": "user", "content": "问" * 201}])
    assert err.value.status_code == 400 and "超过上限 200" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError):
        client(server).chat.completions.create(
            model="qa-library", messages=[{"role": "user", "content": "问" * 201}], stream=True
        )
    with pytest.raises(openai.BadRequestError, match="没有用户问题"):
        client(server).chat.completions.create(model="qa-library", messages=[{"role": "system", "content": "x"}])
    bad = httpx.post(server.url + "/v1/chat/completions", content=b"{not json", timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"


def test_search_returns_hits_and_checks_its_input(server: SimpleNamespace) -> None:
    http = client(server)
    found = http.post("/search", body={"query": "中医药文化进校园", "k": 3}, cast_to=httpx.Response)
    hits = found.json()["data"]
    assert 1 <= len(hits) <= 3 and hits[0]["rank"] == 1 and hits[0]["doc_id"].startswith("000_")
    filtered = http.post(
        "/search", body={"query": "中医药", "k": 3, "filters": {"year": "1999"}}, cast_to=httpx.Response
    ).json()
    assert filtered["data"] == []
    with pytest.raises(openai.BadRequestError, match="筛选条件"):
        http.post("/search", body={"query": "中医药", "filters": {"year": "去年"}}, cast_to=httpx.Response)
    with pytest.raises(openai.BadRequestError, match="k 应在"):
        http.post("/search", body={"query": "中医药", "k": 0}, cast_to=httpx.Response)


def test_keys_once_created_are_required_and_checked(server: SimpleNamespace) -> None:
    keys = server.stores.keys
    token = keys.create("张红")
    try:
        with pytest.raises(openai.AuthenticationError) as err:
            client(server, "qa-wrong").models.list()
        assert err.value.status_code == 401 and err.value.body["code"] == "invalid_api_key"
        missing = httpx.get(server.url + "/v1/models", timeout=10)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
        reply = client(server, token).chat.completions.create(
            model="qa-library", messages=[{"role": "user", "content": QUESTION}]
        )
        assert CITED.search(reply.choices[0].message.content)
    finally:
        keys.revoke("张红")
    assert client(server).models.list().data  # open again on localhost once no key is active


def test_a_reviewed_answer_is_served_and_marked(server: SimpleNamespace) -> None:
    from qa.answer.chain import ask

    fb = server.stores.feedback
    answer = ask("东西湖区如何推进中医药文化进校园？", retriever=server.service.retriever)
    fid = fb.add("张红", answer, -1, correction="请以区卫健局最新答复为准：开展中医药知识讲座[1]。")
    fb.make_reviewed(fid, "王审核")
    reply = client(server).chat.completions.create(
        model="qa-library", messages=[{"role": "user", "content": "东西湖区如何推进中医药文化进校园?"}]
    )
    data = reply.model_dump()
    assert data["reviewed"] is True and "已审核答复" in reply.choices[0].message.content
    assert data["citations"] == json.loads(json.dumps(data["citations"])) and len(data["citations"]) == len(
        answer.citations
    )


def test_only_this_machine_when_no_key_and_no_login(server: SimpleNamespace) -> None:
    """The rule for remote callers, checked in-process (the server above only has local clients)."""
    from fastapi.testclient import TestClient

    remote = TestClient(create_api(server.service), client=("10.0.0.9", 5000))
    refused = remote.get("/v1/models")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "local_only"
    login = TestClient(create_api(server.service, login_configured=True), client=("127.0.0.1", 5000))
    assert login.get("/v1/models").json()["error"]["code"] == "missing_api_key"
    token = server.stores.keys.create("停用者")
    try:
        barred = TestClient(create_api(server.service, can_ask=lambda user: user != "停用者"))
        refused = barred.get("/v1/models", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403 and refused.json()["error"]["type"] == "permission_error"
    finally:
        server.stores.keys.revoke("停用者")


def test_routes_added_to_a_launched_gradio_app(server: SimpleNamespace) -> None:
    """The other way to serve both: blocks.launch(prevent_thread_lock=True), then the routes on blocks.app —
    launch keeps its own options (login, share, theme), and /v1 answers beside the page."""
    with gr.Blocks() as demo:
        gr.Markdown("问答")
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        create_api(server.service, app=demo.app)
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/", timeout=10).status_code == 200
        models = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0).models.list()
        assert [m.id for m in models.data] == ["qa-library"]
        gradio_own = httpx.post(url + "/gradio_api/queue/join", content=b"{}", timeout=10)
        assert gradio_own.status_code == 422  # Gradio's own routes keep FastAPI's validation answer
    finally:
        demo.close()


def test_api_errors_keep_their_shape_on_a_launched_app(server: SimpleNamespace) -> None:
    """A launched app has built its middleware (and so its exception handlers) before the API routes are added:
    a refused call must still be the API's 401 JSON, not a 500."""
    with gr.Blocks() as demo:
        gr.Markdown("问答")
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/", timeout=10).status_code == 200  # the first request builds the middleware
        create_api(server.service, app=demo.app, login_configured=True)
        refused = httpx.get(url + "/v1/models", timeout=10)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "missing_api_key"
    finally:
        demo.close()
