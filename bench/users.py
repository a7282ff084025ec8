"""Concurrent app users: N officials ask at once through the running app's /ask (and /chat) endpoints.

    .venv/bin/python -m bench.users                  # 20 users, 3 rounds, on the seeds (vectors from the cache)
    .venv/bin/python -m bench.users --users 20 --rounds 3 --endpoint chat

Starts `python app.py` over a fresh index folder with the shared embedding cache (QA_EMBED_CACHE_DIR, default
.cache/embeddings; the seeds' vectors are computed once if it is empty) and waits until every chunk has its
vector, so the figures are for hybrid search. Each user is a gradio_client session opened beforehand; in every
round all users send one distinct gold question at the same moment, and each request's wall time (send →
complete answer) is recorded. Rounds use new questions, so the query-vector cache does not flatter the result;
`--repeat` asks round 1's questions again to show the cached path. Prints one JSON line with p50/p95/max and
the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.first_answer import _free_port

ROOT = Path(__file__).resolve().parent.parent


def _questions() -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return list(dict.fromkeys(r["question"] for r in rows if r.get("answerable")))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(users: int, rounds: int, endpoint: str, repeat: bool, work: Path) -> dict:
    from gradio_client import Client

    port = _free_port()
    cache = os.environ.get("QA_EMBED_CACHE_DIR") or str(ROOT / ".cache" / "embeddings")
    env = {**os.environ, "QA_INDEX_DIR": str(work / "index"), "QA_DATA_DIR": str(work / "data")}
    env.update({"QA_EMBED_CACHE_DIR": cache, "QA_USERS": ""})
    log = (work / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=log)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 900
        while True:
            try:
                status = Client(url, verbose=False).predict(api_name="/library")[1]
                if "全部完成" in status:
                    break
            except Exception:
                if proc.poll() is not None:
                    raise SystemExit((work / "app.log").read_text()[-2000:]) from None
            if time.monotonic() > deadline:
                raise SystemExit("the app did not finish embedding the seeds in 900 s")
            time.sleep(2)
        clients = [Client(url, verbose=False, httpx_kwargs={"timeout": 300}) for _ in range(users)]
        questions = _questions()

        def one(client: Client, question: str) -> tuple[float, bool]:
            began = time.perf_counter()
            if endpoint == "ask":
                answer = client.predict(question, "", "", "", api_name="/ask")
                cited = bool(answer.get("citations"))
            else:
                history, _sources, _ = client.predict(question, [], "", "", "", api_name="/chat")
                cited = "qa-cite" in json.dumps(history[-1], ensure_ascii=False)
            return time.perf_counter() - began, cited

        load_before = os.getloadavg()
        latencies, cited = [], 0
        for r in range(rounds):
            start = 0 if (repeat and r > 0) else r * users
            batch = [questions[(start + i) % len(questions)] for i in range(users)]
            with ThreadPoolExecutor(max_workers=users) as pool:
                results = list(pool.map(one, clients, batch))
            latencies += [t for t, _ in results]
            cited += sum(c for _, c in results)
        return {
            "users": users,
            "rounds": rounds,
            "endpoint": endpoint,
            "repeat": repeat,
            "requests": len(latencies),
            "cited": cited,
            "p50_s": round(statistics.median(latencies), 2),
            "p95_s": round(_pct(latencies, 0.95), 2),
            "max_s": round(max(latencies), 2),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.users", description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoint", choices=("ask", "chat"), default="ask")
    parser.add_argument("--repeat", action="store_true", help="later rounds repeat round 1's questions")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-users-") as tmp:
        result = run(args.users, args.rounds, args.endpoint, args.repeat, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
