"""Time from `python app.py` to the first cited answer through the app's /ask endpoint, on an empty index.

    .venv/bin/python -m bench.first_answer                 # fresh clone: no index and no embedding cache
    .venv/bin/python -m bench.first_answer --keep-cache C   # with an embedding cache folder C (a restart)

The app gets a new empty index folder (and, unless --keep-cache, an empty embedding cache through
QA_EMBED_CACHE_DIR), so it must read the seeds and index their text before it can answer; the background
embedder starts meanwhile. The clock starts when the process is started and stops when /ask returns an answer
with at least one citation. Prints one JSON line; exits 1 when the bar (--bar seconds, default 30) is missed.
Then it uploads a new reply through /upload and times until /ask cites it, and keeps polling `/library` to report
when every chunk had its vector (--embed-wait seconds, 0 = skip).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.app_process import running_app, wait_for_vectors

QUESTION = "江夏区如何推进中医药文化进校园？"


def measure(work: Path, cache: Path | None, bar: float, embed_wait: float) -> dict:
    from gradio_client import Client

    result: dict = {"question": QUESTION, "load_before": os.getloadavg()}
    with running_app(work, cache or work / "embeddings") as app:
        client = None
        while time.perf_counter() - app.started < max(bar * 4, 120):
            if app.exited():
                raise SystemExit(f"app exited with {app.proc.returncode}: {app.log_tail()}")
            try:
                client = client or Client(app.url, verbose=False)
                answer = client.predict(QUESTION, "", "", "", api_name="/ask")
            except Exception:  # not up yet
                time.sleep(0.25)
                continue
            if answer.get("citations"):
                result["first_cited_answer_s"] = round(time.perf_counter() - app.started, 2)
                result["citations"] = len(answer["citations"])
                result["retrievers"] = sorted({r for c in answer["citations"] for r in c.get("retrievers", [])})
                break
            time.sleep(0.25)
        result["met_bar"] = result.get("first_cited_answer_s", 1e9) <= bar
        if client is not None:
            result.update(_upload(client, work))
        if embed_wait and client is not None:
            seconds = wait_for_vectors(app, embed_wait)
            if seconds is not None:
                result["all_vectors_s"] = round(seconds, 1)
        result["load_after"] = os.getloadavg()
    return result


UPLOAD_MARKER = "青藤湾社区夜间儿科诊室"


def _upload(client: object, work: Path) -> dict:
    """Upload a new reply and time until /ask cites it (BM25 at first; its vector follows in the background)."""
    from gradio_client import handle_file

    path = work / "关于青藤湾社区夜间儿科的答复.txt"
    path.write_text(
        "某区卫生健康局\n\n对区政协六届四次会议第20259901号提案的答复\n\n李四委员：\n\n"
        "您提出的关于增设夜间儿科门诊的提案收悉。现答复如下：\n\n一、工作进展\n\n"
        f"{UPLOAD_MARKER}已于2025年3月开诊，每晚18时至22时由两名儿科医师坐诊，年接诊量约一万二千人次。\n",
        encoding="utf-8",
    )
    began = time.perf_counter()
    client.predict([handle_file(str(path))], api_name="/upload")  # type: ignore[attr-defined]
    out = {"upload_call_s": round(time.perf_counter() - began, 2)}
    while time.perf_counter() - began < 60:
        answer = client.predict(f"{UPLOAD_MARKER}什么时候开诊？", "", "", "", api_name="/ask")  # type: ignore[attr-defined]
        if any(c.get("source") == path.name for c in answer.get("citations", [])):
            out["upload_cited_s"] = round(time.perf_counter() - began, 2)
            break
        time.sleep(0.2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_answer", description=__doc__)
    parser.add_argument("--keep-cache", type=Path, default=None, help="embedding cache folder to start from")
    parser.add_argument("--bar", type=float, default=30.0, help="seconds allowed (default 30)")
    parser.add_argument("--embed-wait", type=float, default=0.0, help="also wait this long for all vectors")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-first-answer-") as tmp:
        result = measure(Path(tmp), args.keep_cache, args.bar, args.embed_wait)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["met_bar"] else 1


if __name__ == "__main__":
    sys.exit(main())
