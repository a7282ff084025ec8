"""Question latency while an upload is processed: /ask p50/p95 before, during and after a big upload's job.

    .venv/bin/python -m bench.uploads                        # 2 users; a 1.9M-character upload (~4,400 chunks)
    .venv/bin/python -m bench.uploads --users 2 --interval 1 --chars 1900000 --baseline 40 --embed-seconds 30

Starts `python app.py` over a fresh index with the shared embedding cache (as bench.users does) and waits until
every seed chunk has its vector. Then `--users` users ask distinct questions through /ask, each starting one
every `--interval` seconds (or as soon as the previous answer came, if it took longer; 0: back to back):
first `--baseline` questions with nothing else going on; then, while a generated text of `--chars` characters
of distinct sentences (the issue's worst case, up to the QA_MAX_UPLOAD_CHARS limit) is uploaded through /upload
and its job is read, tokenised and swapped in, until /upload returns; then for `--embed-seconds` more while the
background embedder works on the new chunks. Questions come from the seed question sets of eval/ and are never
repeated, so no cache flatters a phase. Prints one JSON line: per phase the number of answers, p50/p95/max
seconds, and the app's CPU seconds; the upload's wall time and message; the load average before and after.

`--lock` measures instead, in this process on the seeds, how long the app's build lock is held to make the
same upload live: through the upload queue, and by the in-process re-index the page did before it.

To measure another checkout's app (e.g. the commit before the upload queue), copy this file and
bench/app_process.py into that checkout's bench/ and run it there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.app_process import ROOT, running_app, wait_for_vectors
from bench.users import http_user

QUESTION_SETS = ("gold.jsonl", "fresh_seeds.jsonl", "fresh2_seeds.jsonl", "tuning2_seeds.jsonl")


def _questions() -> list[str]:
    found: list[str] = []
    for name in QUESTION_SETS:
        path = ROOT / "eval" / name
        if path.is_file():
            rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
            found += [r["question"] for r in rows if r.get("question") and r.get("answerable", True)]
    return list(dict.fromkeys(found))


def big_text(chars: int, seed: int = 7) -> str:
    """Distinct sentences of health-bureau words with serial numbers, a line break every 20: ~450 chunks/200k."""
    rnd = random.Random(seed)
    words = ["卫生", "健康", "医疗", "社区", "服务", "基层", "中医药", "医院", "儿科", "托育", "疾控", "人才"]
    parts, size, i = [], 0, 0
    while size < chars:
        line = f"第{i}条：" + "".join(rnd.choice(words) for _ in range(12)) + f"，编号{rnd.randrange(10**9)}。"
        line += "\n" if i % 20 == 0 else ""
        parts.append(line)
        size, i = size + len(line), i + 1
    return "".join(parts)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(latencies: list[float], app_cpu: float | None) -> dict:
    if not latencies:
        return {"answers": 0}
    return {
        "answers": len(latencies),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(_pct(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
        "app_cpu_s": None if app_cpu is None else round(app_cpu, 1),
    }


class _Askers:
    """`users` threads asking the next unused question until told to stop (or the questions run out)."""

    def __init__(self, url: str, users: int, questions: list[str], interval: float) -> None:
        self.sessions = [http_user(url, "ask") for _ in range(users)]
        self.interval = interval
        self.questions = questions
        self.next = 0
        self.lock = threading.Lock()

    def _take(self) -> str | None:
        with self.lock:
            if self.next >= len(self.questions):
                return None
            self.next += 1
            return self.questions[self.next - 1]

    def run(self, until: threading.Event | None = None, count: int | None = None) -> list[float]:
        """Ask until `until` is set, or `count` questions in all; returns each answer's wall time."""
        latencies: list[float] = []
        left = [count]

        def user(ask) -> None:
            while not (until is not None and until.is_set()):
                with self.lock:
                    if left[0] is not None:
                        if left[0] <= 0:
                            return
                        left[0] -= 1
                question = self._take()
                if question is None:
                    return
                began = time.perf_counter()
                ask(question)
                took = time.perf_counter() - began
                with self.lock:
                    latencies.append(took)
                pause = self.interval - took
                if pause > 0 and until is not None:
                    until.wait(pause)
                elif pause > 0:
                    time.sleep(pause)

        threads = [threading.Thread(target=user, args=(s,)) for s in self.sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return latencies


def run(users: int, interval: float, chars: int, baseline: int, embed_seconds: float, work: Path) -> dict:
    from gradio_client import Client, handle_file

    cache = os.environ.get("QA_EMBED_CACHE_DIR") or ROOT / ".cache" / "embeddings"
    upload = work / "大文件上传测试.txt"
    upload.write_text(big_text(chars), encoding="utf-8")
    with running_app(work, cache) as app:
        if wait_for_vectors(app, 900) is None:
            raise SystemExit("the app did not finish embedding the seeds in 900 s")
        askers = _Askers(app.url, users, _questions(), interval)
        askers.run(count=2 * users)  # warm: connections, the answer stage's tables
        load_before = os.getloadavg()
        cpu = app.cpu_seconds()
        quiet = askers.run(count=baseline)
        cpu_quiet, cpu = (None if cpu is None else app.cpu_seconds() - cpu), app.cpu_seconds()

        done = threading.Event()
        outcome: dict = {}

        def send() -> None:
            began = time.perf_counter()
            try:
                client = Client(app.url, verbose=False, httpx_kwargs={"timeout": 3600})
                outcome["message"] = client.predict([handle_file(str(upload))], api_name="/upload")[0]
            except Exception as err:
                outcome["message"] = f"{type(err).__name__}: {err}"
            outcome["seconds"] = round(time.perf_counter() - began, 1)
            done.set()

        sender = threading.Thread(target=send)
        sender.start()
        during = askers.run(until=done)
        sender.join()
        cpu_during, cpu = (None if cpu is None else app.cpu_seconds() - cpu), app.cpu_seconds()

        stop = threading.Event()
        timer = threading.Timer(embed_seconds, stop.set)
        timer.start()
        after = askers.run(until=stop) if embed_seconds > 0 else []
        timer.cancel()
        cpu_after = None if cpu is None else app.cpu_seconds() - cpu
        return {
            "users": users,
            "interval_s": interval,
            "upload_chars": chars,
            "upload_bytes": upload.stat().st_size,
            "upload_seconds": outcome.get("seconds"),
            "upload_message": str(outcome.get("message", ""))[:300],
            "quiet": _summary(quiet, cpu_quiet),
            "during_upload": _summary(during, cpu_during),
            "while_embedding": {**_summary(after, cpu_after), "seconds": embed_seconds},
            "questions_left": len(askers.questions) - askers.next,
            "cores": os.cpu_count(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }


def lock_held(chars: int, work: Path) -> dict:
    """Seconds the app's build lock is held to make one big upload live: through the upload queue, and by the
    in-process re-index the page did before it (same file, renamed, copied into uploads/ and rebuilt)."""
    import shutil

    from qa.config import Settings
    from qa.web.auth import ANONYMOUS
    from qa.web.service import Service

    class NoEmbedder:  # as in the app: the build puts the text live and leaves vectors to the background embedder
        def kick(self) -> None:
            pass

    service = Service(Settings(index_dir=work / "index", seeds_dir=ROOT / "seeds", data_dir=work / "data"))
    service.embedder_worker = NoEmbedder()
    service.rebuild(progress=False)
    lock, held = service.build_lock, []

    class Timed:
        def __enter__(self) -> None:
            lock.acquire()
            self.began = time.perf_counter()

        def __exit__(self, *_exc: object) -> None:
            held.append(time.perf_counter() - self.began)
            lock.release()

    service.build_lock = Timed()  # type: ignore[assignment]
    text = big_text(chars)
    upload = work / "大文件上传测试.txt"
    upload.write_text(text, encoding="utf-8")
    began = time.perf_counter()
    job, _ = service.upload_queue.submit([str(upload)], ANONYMOUS)
    job = service.upload_queue.wait(job.id)
    queued = {"job_s": round(time.perf_counter() - began, 2), "lock_s": round(max(held), 2), "state": job.state}
    held.clear()
    inline = service.uploads_dir / "大文件上传测试（旧流程）.txt"
    inline.write_text(text.replace("第", "节"), encoding="utf-8")  # other text: nothing cached from the first
    began = time.perf_counter()
    service.rebuild(progress=False)
    old = {"rebuild_s": round(time.perf_counter() - began, 2), "lock_s": round(max(held), 2)}
    service.upload_queue.stop()
    shutil.rmtree(work / "index", ignore_errors=True)
    return {
        "upload_chars": chars,
        "queue": queued,
        "inline_rebuild": old,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.uploads", description=__doc__)
    parser.add_argument("--users", type=int, default=2, help="users asking one question after another")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one user's questions")
    parser.add_argument("--chars", type=int, default=1_900_000, help="characters of the uploaded text")
    parser.add_argument("--baseline", type=int, default=40, help="questions asked before the upload")
    parser.add_argument("--embed-seconds", type=float, default=30.0, help="asking after the upload went live")
    parser.add_argument("--lock", action="store_true", help="only measure how long the build lock is held")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-uploads-") as tmp:
        if args.lock:
            result = lock_held(args.chars, Path(tmp))
        else:
            result = run(args.users, args.interval, args.chars, args.baseline, args.embed_seconds, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
