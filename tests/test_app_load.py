"""A bounded load test: 20 concurrent chat requests against the running app all complete without errors."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from test_app import AppServer, message_text, running_app, seeds_index_dir

from qa.config import PROJECT_ROOT

CONCURRENT = 20


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with running_app(seeds_index_dir(request, tmp_path_factory), tmp_path_factory.mktemp("load_app")) as running:
        yield running


def _questions(n: int) -> list[str]:
    lines = (PROJECT_ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    gold = [item["question"] for item in map(json.loads, lines) if item["answerable"]]
    return [gold[i % len(gold)] for i in range(n)]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@pytest.mark.slow
def test_twenty_concurrent_chats_complete_while_a_file_is_indexed(server: AppServer, tmp_path: Path) -> None:
    # One session per simulated official, opened beforehand: the test measures questions, not page loads.
    clients = [Client(server.url, verbose=False, httpx_kwargs={"timeout": 120}) for _ in range(CONCURRENT + 1)]

    def one(client: Client, question: str) -> tuple[float, str]:
        started = time.perf_counter()
        history, _sources, _ = client.predict(question, [], "", "", "", api_name="/chat")
        elapsed = time.perf_counter() - started
        return elapsed, message_text(history[-1])

    upload = tmp_path / "并发上传测试.txt"
    upload.write_text(
        "某区卫生健康局\n\n关于并发上传测试的答复\n\n月亮湾社区卫生服务站已开通夜间门诊。\n", encoding="utf-8"
    )

    def index_one_file() -> str:
        # Indexing swaps in a new index version while the chats run; none of them may fail because of it.
        return clients[-1].predict([handle_file(str(upload))], api_name="/upload")[0]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENT + 1) as pool:
        futures = [pool.submit(one, c, q) for c, q in zip(clients, _questions(CONCURRENT), strict=False)]
        uploaded = pool.submit(index_one_file)
        results = [f.result() for f in futures]
        upload_message = uploaded.result()
    wall = time.perf_counter() - started
    assert "已上传并索引" in upload_message, upload_message
    latencies = [elapsed for elapsed, _ in results]
    replies = [reply for _, reply in results]
    print(
        f"\n{CONCURRENT} concurrent chats: p50 {statistics.median(latencies):.2f} s, "
        f"p95 {_percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s, wall {wall:.2f} s"
    )
    assert len(replies) == CONCURRENT
    for reply in replies:
        assert reply and "回答生成中断" not in reply and "Traceback" not in reply, reply
    cited = sum('class="qa-cite"' in reply for reply in replies)
    assert cited >= CONCURRENT // 2, f"only {cited} of {CONCURRENT} answers carried citations"
