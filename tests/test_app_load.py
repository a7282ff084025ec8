"""A bounded load test: 20 concurrent chat requests against the running app all complete without errors."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client

from qa.config import PROJECT_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the app launcher lives beside this file
from test_app import AppServer, message_text, running_app, seeds_index_dir

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
def test_twenty_concurrent_chats_complete(server: AppServer) -> None:
    def one(question: str) -> tuple[float, str]:
        client = Client(server.url, verbose=False)  # one session per simulated official
        started = time.perf_counter()
        history, _sources, _ = client.predict(question, [], "", "", "", api_name="/chat")
        elapsed = time.perf_counter() - started
        return elapsed, message_text(history[-1])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        results = list(pool.map(one, _questions(CONCURRENT)))
    wall = time.perf_counter() - started
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
