"""Concurrent app users: N officials ask at once through the running app's /ask (and /chat) endpoints.

    .venv/bin/python -m bench.users                  # 20 users, 3 rounds, on the seeds (vectors from the cache)
    .venv/bin/python -m bench.users --users 20 --rounds 3 --endpoint chat
    .venv/bin/python -m bench.users --client gradio  # the same through gradio_client sessions

Starts `python app.py` over a fresh index folder with the shared embedding cache (QA_EMBED_CACHE_DIR, default
.cache/embeddings; the seeds' vectors are computed once if it is empty) and waits until every chunk has its
vector, so the figures are for hybrid search. In every round all users send one distinct gold question at the
same moment, and each request's wall time (send → complete answer) is recorded. Rounds use new questions, so
neither the query-vector cache nor the answer cache flatters the result; `--repeat` asks round 1's questions
again to show the cached path.

The users run in this process, on the same 2 cores as the app. `--client http` (default) speaks Gradio's
plain HTTP API (POST /gradio_api/call/<name>, then read its event stream) with one httpx connection and one
Gradio session per user, as a browser page has, which costs the machine ~2 ms of CPU a request; `--client
gradio` uses gradio_client sessions, which cost ~60 ms of CPU a request here and so take CPU from the app they
measure. Prints one JSON line with p50/p95/max, the p50 of each round, the CPU seconds the client and the app
spent during the rounds, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.app_process import ROOT, running_app, wait_for_vectors

Ask = Callable[[str], bool]  # one user's request: question → whether the answer cites a source


def _questions() -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return list(dict.fromkeys(r["question"] for r in rows if r.get("answerable")))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _spent(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else round(after - before, 2)


def _cited(endpoint: str, output: list | dict) -> bool:
    if endpoint == "ask":
        return bool(output.get("citations"))  # type: ignore[union-attr]
    history = output[0]
    return "qa-cite" in json.dumps(history[-1], ensure_ascii=False)


def _inputs(endpoint: str, question: str) -> list:
    # /ask: question, agency, kind, year; /chat: question, chat history, agency, kind, year (its State is skipped)
    return [question, "", "", ""] if endpoint == "ask" else [question, [], "", "", ""]


def gradio_user(url: str, endpoint: str) -> Ask:
    from gradio_client import Client

    client = Client(url, verbose=False, httpx_kwargs={"timeout": 300})
    return lambda question: _cited(endpoint, client.predict(*_inputs(endpoint, question), api_name=f"/{endpoint}"))


def http_user(url: str, endpoint: str) -> Ask:
    import httpx

    client = httpx.Client(base_url=f"{url}gradio_api/call/", timeout=300)
    session = uuid.uuid4().hex  # one session a user, as a browser page has (a new one per request costs the app more)

    def ask(question: str) -> bool:
        body = {"data": _inputs(endpoint, question), "session_hash": session}
        event_id = client.post(endpoint, json=body).raise_for_status().json()
        event, data = "", ""
        with client.stream("GET", f"{endpoint}/{event_id['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = line[5:].strip()
                    break
        if event != "complete":
            raise RuntimeError(f"{endpoint} failed: {event} {data[:300]}")
        output = json.loads(data)
        return _cited(endpoint, output[0] if endpoint == "ask" else output)

    return ask


def run(users: int, rounds: int, endpoint: str, repeat: bool, client: str, work: Path) -> dict:
    cache = os.environ.get("QA_EMBED_CACHE_DIR") or ROOT / ".cache" / "embeddings"
    with running_app(work, cache) as app:
        if wait_for_vectors(app, 900) is None:
            raise SystemExit("the app did not finish embedding the seeds in 900 s")
        make_user = http_user if client == "http" else gradio_user
        sessions = [make_user(app.url, endpoint) for _ in range(users)]
        questions = _questions()

        def one(ask: Ask, question: str) -> tuple[float, bool]:
            began = time.perf_counter()
            cited = ask(question)
            return time.perf_counter() - began, cited

        load_before, cpu_before, app_cpu_before = os.getloadavg(), time.process_time(), app.cpu_seconds()
        latencies, round_p50, cited = [], [], 0
        for r in range(rounds):
            start = 0 if (repeat and r > 0) else r * users
            batch = [questions[(start + i) % len(questions)] for i in range(users)]
            with ThreadPoolExecutor(max_workers=users) as pool:
                results = list(pool.map(one, sessions, batch))
            latencies += [t for t, _ in results]
            round_p50.append(round(statistics.median(t for t, _ in results), 2))
            cited += sum(c for _, c in results)
        return {
            "users": users,
            "rounds": rounds,
            "endpoint": endpoint,
            "client": client,
            "repeat": repeat,
            "requests": len(latencies),
            "cited": cited,
            "p50_s": round(statistics.median(latencies), 2),
            "p95_s": round(_pct(latencies, 0.95), 2),
            "max_s": round(max(latencies), 2),
            "round_p50_s": round_p50,
            "client_cpu_s": round(time.process_time() - cpu_before, 2),
            "app_cpu_s": _spent(app_cpu_before, app.cpu_seconds()),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.users", description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoint", choices=("ask", "chat"), default="ask")
    parser.add_argument("--client", choices=("http", "gradio"), default="http", help="how the users connect")
    parser.add_argument("--repeat", action="store_true", help="later rounds repeat round 1's questions")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-users-") as tmp:
        result = run(args.users, args.rounds, args.endpoint, args.repeat, args.client, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
