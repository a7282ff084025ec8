"""Benchmarks at one corpus size, run in a subprocess of their own so each reports its own peak RSS.

`python -m bench.scale build  --files LIST --work DIR --out JSON` — ingest, build, re-index (ours and naive).
`python -m bench.scale search --work DIR --queries JSON --out JSON` — load + retrieval latency (ours and naive).
Both use bench.hashembed.HashEmbedder, so the numbers are about parsing, FAISS, BM25 and fusion, not embedding.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
from pathlib import Path
from typing import Any

from bench.hashembed import HashEmbedder
from bench.measure import dir_breakdown_mb, dir_size_mb, latencies_ms, peak_rss_mb, summarize, timer
from qa.evaluation.baseline import load_naive_store, naive_pieces, naive_store, warm_imports
from qa.index.embed import LangchainEmbeddings

MODES = ("hybrid", "dense", "bm25")
ADDENDUM = "\n\n特此补充：以上工作将于年底前完成评估。\n"  # what an edit to 1% of the files appends


def _our_chunks(files: list[Path]) -> tuple[int, int]:
    """Parse + clean + structure + split every file; returns (documents, chunks)."""
    from qa.ingest.split import split_document
    from qa.ingest.structure import load_documents

    docs = chunks = 0
    for path in files:
        for doc in load_documents(path):
            docs += 1
            chunks += len(split_document(doc))
    return docs, chunks


def _touch_one_percent(files: list[Path]) -> dict[Path, bytes]:
    """Change 1% of the files (at least one) the way an edited reply changes: one more sentence at the end."""
    step = max(1, len(files) // max(1, len(files) // 100))
    chosen = files[::step][: max(1, len(files) // 100)]
    originals = {}
    for path in chosen:
        originals[path] = path.read_bytes()
        path.write_text(path.read_text(encoding="utf-8") + ADDENDUM, encoding="utf-8")
    return originals


def _report_dict(report: Any) -> dict[str, Any]:
    return {
        "seconds": report.seconds,
        "files": report.files,
        "unchanged": report.files_unchanged,
        "chunks": report.chunks,
        "documents": report.documents,
        "embedded": report.embedded,
        "cached": report.cached,
        "errors": len(report.errors),
        "dense_kind": report.dense_kind,
    }


def run_build(files: list[Path], work: Path, *, one_percent: bool = True, profile: bool = False) -> dict[str, Any]:
    """Ingest throughput, full build, re-index (no change, 1% changed), sizes on disk — ours vs naive.

    Args:
        files: the corpus files.
        work: folder for the indexes.
        one_percent: measure the re-index after 1% of the files changed (off only to fit a time budget).
        profile: cProfile the 1% re-index and keep the top functions.
    """
    from qa.index.build import build_index

    embedder = HashEmbedder()
    out: dict[str, Any] = {"files": len(files), "chars": sum(len(p.read_text(encoding="utf-8")) for p in files)}

    with timer() as t:
        docs, chunks = _our_chunks(files)
    out["ingest"] = {"seconds": t["s"], "cpu_s": t["cpu_s"], "documents": docs, "chunks": chunks,
                     "chunks_per_s": chunks / t["s"]}  # fmt: skip
    warm_imports()
    with timer() as t:
        naive_docs = naive_pieces(files)
    out["naive_ingest"] = {"seconds": t["s"], "chunks": len(naive_docs), "chunks_per_s": len(naive_docs) / t["s"]}

    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    with timer() as t:
        report = build_index(files, index_dir, embedder, rebuild=True)
    out["build"] = {**_report_dict(report), "wall_s": t["s"], "cpu_s": t["cpu_s"]}
    out["index_mb"] = dir_size_mb(index_dir)
    out["index_breakdown_mb"] = dir_breakdown_mb(index_dir)
    version = next((p for p in (index_dir / "versions").iterdir() if not p.name.startswith(".")), None)
    if version is not None:
        out["version_breakdown_mb"] = dir_breakdown_mb(version)

    with timer() as t:
        report = build_index(files, index_dir, embedder)
    out["reindex_nochange"] = {**_report_dict(report), "wall_s": t["s"], "cpu_s": t["cpu_s"]}

    if one_percent:
        originals = _touch_one_percent(files)
        prof = cProfile.Profile() if profile else None
        try:
            with timer() as t:
                if prof:
                    prof.enable()
                report = build_index(files, index_dir, embedder)
                if prof:
                    prof.disable()
            out["reindex_1pct"] = {
                **_report_dict(report),
                "wall_s": t["s"],
                "cpu_s": t["cpu_s"],
                "changed_files": len(originals),
            }
            if prof:
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(22)
                out["reindex_1pct"]["profile"] = buf.getvalue()
        finally:
            for path, data in originals.items():
                path.write_bytes(data)
    else:
        out["reindex_1pct"] = {"skipped": "not run at this size to fit the time budget (--reindex-max)"}

    with timer() as t:
        store = naive_store(naive_docs, LangchainEmbeddings(embedder))
    naive_dir = work / "naive"
    shutil.rmtree(naive_dir, ignore_errors=True)
    store.save_local(str(naive_dir))
    out["naive_build"] = {"seconds": t["s"], "chunks": len(naive_docs), "index_mb": dir_size_mb(naive_dir)}
    out["naive_full_s"] = out["naive_ingest"]["seconds"] + t["s"]  # naive has no incremental path: any change
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _profile(fn: Any, queries: list[str]) -> str:
    """Top functions by cumulative time over the queries, as pstats prints them."""
    prof = cProfile.Profile()
    prof.enable()
    for q in queries:
        fn(q)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(18)
    return buf.getvalue()


def run_search(work: Path, queries: list[str], *, k: int = 5, profile: bool = False) -> dict[str, Any]:
    """Load time, single-query and batch-of-100 latency per mode, naive dense latency, serving peak RSS."""
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    embedder = HashEmbedder()
    out: dict[str, Any] = {"queries": len(queries), "k": k}
    with timer() as t:
        index = load_index(work / "index")
        retriever = Retriever(index, embedder)
    out["load_s"] = t["s"]
    out["chunks"] = len(index.chunks)
    out["dense_kind"] = index.manifest.get("dense", "")
    out["rss_after_load_mb"] = peak_rss_mb()
    batch = queries[:100]
    # Past 50k chunks (HNSW) a query costs tens of ms of Python per mode: fewer repetitions keep `make bench`
    # inside its time budget; the counts used are recorded with the results.
    large = len(index.chunks) > 50_000
    reps, n_profile = (1, 20) if large else (3, 50)
    if large:
        queries = queries[:100]
    out["queries"], out["batch_repetitions"] = len(queries), reps
    for mode in MODES:
        search = lambda q, m=mode: retriever.search(q, k=k, mode=m)  # noqa: E731
        latencies_ms(search, queries[:5])  # warm caches (jieba dictionary, FAISS threads)
        single = summarize(latencies_ms(search, queries))
        batches = [sum(latencies_ms(search, batch)) for _ in range(reps)]
        out[mode] = {"single": single, "batch100_ms": summarize(batches)}
        if profile:
            out[mode]["profile"] = _profile(search, queries[:n_profile])
    # Where the time goes, without the profiler's overhead: number/文号 matching runs on every query, and FAISS
    # alone with its default OpenMP threads versus one thread (a single query gains nothing from a thread team).
    out["named_documents_ms"] = summarize(latencies_ms(retriever.named_documents, queries))
    vectors = [embedder.embed_query(q).reshape(1, -1) for q in queries]
    n = min(50, len(index.chunks))
    faiss_default = summarize(latencies_ms(lambda v: index.dense.search(v, n), vectors))
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    out["faiss_only_ms"] = {
        "threads_default": threads,
        "default": faiss_default,
        "one_thread": summarize(latencies_ms(lambda v: index.dense.search(v, n), vectors)),
    }
    faiss.omp_set_num_threads(threads)
    warm_imports()
    store = load_naive_store(work / "naive", LangchainEmbeddings(embedder))
    naive_search = lambda q: store.similarity_search(q, k=k)  # noqa: E731
    latencies_ms(naive_search, queries[:5])
    out["naive_dense"] = {
        "single": summarize(latencies_ms(naive_search, queries)),
        "batch100_ms": summarize([sum(latencies_ms(naive_search, batch)) for _ in range(reps)]),
    }
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phase", choices=("build", "search"))
    parser.add_argument("--files", type=Path, help="JSON list of corpus files (build)")
    parser.add_argument("--queries", type=Path, help="JSON list of queries (search)")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--profile", action="store_true", help="cProfile searches (search) / the 1% re-index (build)")
    parser.add_argument("--skip-1pct", action="store_true", help="build: skip the 1%-changed re-index")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.phase == "build":
        files = [Path(p) for p in json.loads(args.files.read_text(encoding="utf-8"))]
        result = run_build(files, args.work, one_percent=not args.skip_1pct, profile=args.profile)
    else:
        queries = json.loads(args.queries.read_text(encoding="utf-8"))
        result = run_search(args.work, queries, profile=args.profile)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
