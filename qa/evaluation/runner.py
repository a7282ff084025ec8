"""The evaluation run: build the seeds index, score every system on the gold sets, and gate on the thresholds.

The metrics live in qa.evaluation.metrics, the naive baseline in qa.evaluation.baseline, the report rendering
in qa.evaluation.report. Gold sets, thresholds and reports are in the eval/ folder of the project being evaluated
(Settings.eval_dir: ./eval of the working directory unless QA_EVAL_DIR says otherwise).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import ConfigError
from qa.evaluation.answers import evaluate_answers, summarize
from qa.evaluation.baseline import build_naive_baseline, cached_embeddings, document_texts
from qa.evaluation.metadata import score_corpora
from qa.evaluation.metrics import (
    DEPTH,
    DRAFTS_NAME,
    GOLD_NAME,
    RETRIEVAL_METRICS,
    SYSTEMS,
    EvalError,
    SearchFn,
    chunk_passage,
    evaluate_precedents,
    evaluate_retrieval,
    load_drafts,
)
from qa.evaluation.report import summary, write_report
from qa.evaluation.splits import (
    FRESH,
    GOLD_SETS,
    PRECEDENT_SETS,
    TOTALS,
    groups,
    load_sets,
    standalone_queries,
    varied_files,
)

THRESHOLDS_NAME = "thresholds.json"
REPORT_NAMES = ("report.md", "report.json")
DEFAULT_CACHE_DIR = Path(".cache") / "eval-index"  # in the working directory, like eval/


def eval_dir(settings: Settings) -> Path:
    """The folder holding the gold sets and thresholds, where the reports are written (Settings.eval_dir).

    Raises:
        ConfigError: there is no such folder.
    """
    folder = settings.eval_dir
    if not folder.is_dir():
        raise ConfigError(
            f"{folder} 处没有评测文件夹：请在项目根目录运行（其 eval/ 中有 {GOLD_NAME}、"
            f"{DRAFTS_NAME} 和 {THRESHOLDS_NAME}），或设置 QA_EVAL_DIR"
        )
    return folder


# --- the run --------------------------------------------------------------------------------------------------


@dataclass
class RunOptions:
    """What `python -m eval` / `qa eval` was asked to do."""

    seeds_dir: Path
    cache_dir: Path = DEFAULT_CACHE_DIR
    gold_file: Path | None = None  # None: eval_dir/gold.jsonl
    drafts_file: Path | None = None  # None: eval_dir/drafts.jsonl
    answers: bool = True
    precedents: bool = True
    rebuild: bool = False
    progress: bool = True
    command: str = "python -m eval"
    notes: list[str] = field(default_factory=list)


def _say(message: str, options: RunOptions) -> None:
    if options.progress:
        print(message, file=sys.stderr, flush=True)


def prepare_index(options: RunOptions, embedder: Any, extra: Sequence[Path] = ()) -> Any:
    """Build (incrementally) and load the evaluation index (the seeds plus `extra` files) in the cache directory."""
    from qa.index.build import build_index
    from qa.index.store import load_index

    options.cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = options.cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")  # the cache must never show up in `git status`
    index_dir = options.cache_dir / "index"
    paths = [options.seeds_dir, *extra]
    report = build_index(paths, index_dir, embedder, rebuild=options.rebuild, progress=options.progress)
    index = load_index(index_dir)
    wanted = {p.name for p in options.seeds_dir.iterdir() if p.is_file()} | {p.name for p in extra}
    if {c.doc_id.split("#")[0] for c in index.chunks} - wanted:
        # An incremental build keeps files indexed by an earlier run on another folder; the scores must cover
        # exactly the documents asked for. Rebuilding costs little: embeddings come from the cache.
        report = build_index(paths, index_dir, embedder, rebuild=True, progress=options.progress)
        index = load_index(index_dir)
    _say(f"index: {report.summary()}", options)
    for name, reason in report.errors:
        options.notes.append(f"file not indexed: {name}: {reason}")
    return index


def machine_info() -> dict[str, Any]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": cores,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


ANSWER_KEYS = (
    "keyword_coverage",
    "all_keywords",
    "evidence_cited",
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "false_refusal_rate",
    "false_refusals",
    "traps_answered",
    "latency_p50_ms",
    "latency_p95_ms",
)


def _flat_metrics(
    retrieval: dict[str, Any], splits: dict[str, Any], precedents: dict[str, Any], metadata: dict[str, Any]
) -> dict[str, float]:
    """The flat map thresholds refer to. Unprefixed keys (hybrid.mrr@10, answers.keyword_coverage, precedents.…)
    are the tuning-seeds set (eval/gold.jsonl) and eval/drafts.jsonl, as before the other sets existed; every
    split and total also has its own: fresh-varied.answers.all_keywords, tuning.hybrid.recall@5, …"""
    metrics: dict[str, float] = {}
    for system, result in retrieval.items():
        metrics.update({f"{system}.{m}": result["overall"][m] for m in RETRIEVAL_METRICS})
    for name, split in splits.items():
        for system, overall in split["retrieval"].items():
            metrics.update({f"{name}.{system}.{m}": overall[m] for m in RETRIEVAL_METRICS})
        answers = split.get("answers", {})
        metrics.update({f"{name}.answers.{k}": answers[k] for k in ANSWER_KEYS if k in answers})
    first = splits.get(GOLD_SETS[0].name, {}).get("answers", {})
    metrics.update({f"answers.{k}": first[k] for k in ANSWER_KEYS if k in first})
    for prefix, result in precedents.items():
        metrics.update({f"{prefix}.{k}": result[k] for k in ("recall@1", "recall@3") if k in result})
    for corpus, result in metadata.items():  # metadata.varied.fields, metadata.varied.documents_found
        metrics[f"metadata.{corpus}.fields"] = result["overall"]
        found = result["documents_found"] / result["documents_expected"] if result["documents_expected"] else 1.0
        metrics[f"metadata.{corpus}.documents_found"] = round(found, 4)
    return metrics


def run_evaluation(settings: Settings, options: RunOptions) -> dict[str, Any]:
    """Evaluate retrieval (hybrid, dense, BM25, naive), answers and precedents on the gold sets.

    Args:
        settings: the effective settings (embedder, eval_dir for the gold sets options do not name).
        options: paths and what to run. With options.gold_file only that file is asked (as tuning-seeds) on the
            seeds alone; otherwise every set of qa.evaluation.splits on the seeds plus the varied corpus.

    Returns:
        The report: run facts, per-system retrieval results on tuning-seeds, every split's retrieval and answer
        metrics, precedent metrics, and a flat "metrics" map that thresholds refer to.
    """
    # Imported here, not at the top: `qa --help` imports this module for its defaults and must stay fast.
    from qa.answer.chain import ask, rewrite_followup
    from qa.draft.precedent import find_precedents
    from qa.index.embed import get_embedder
    from qa.retrieve import Retriever

    single = options.gold_file is not None
    folder = None if single else eval_dir(settings)
    items = load_sets(folder or Path("."), options.gold_file)
    extra = [] if folder is None else varied_files(folder)
    started = time.perf_counter()
    embedder = get_embedder(settings.embed_model)
    index = prepare_index(options, embedder, extra)
    retriever = Retriever(index, embedder)

    seeds = sorted(p for p in options.seeds_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    files = [*seeds, *extra]
    _say(f"naive baseline: splitting and embedding {len(files)} raw files (cached after the first run)", options)
    naive, naive_chunks = build_naive_baseline(
        files, cached_embeddings(embedder, options.cache_dir), document_texts(index.chunks)
    )

    queries = standalone_queries(items, lambda q, before: rewrite_followup(q, before))
    searches: dict[str, SearchFn] = {
        mode: (lambda q, m=mode: [chunk_passage(h.chunk) for h in retriever.search(q, k=DEPTH, mode=m)])
        for mode in ("hybrid", "dense", "bm25")
    }
    searches["naive"] = naive.search
    grouped = groups(items)
    retrieval_by: dict[str, dict[str, Any]] = {name: {} for name in grouped}
    for system in SYSTEMS:
        _say(f"retrieval: {system}", options)
        memo: dict[str, list[Any]] = {}  # the totals re-score the splits' questions: search each once

        def search(query: str, s: str = system, memo: dict[str, list[Any]] = memo) -> list[Any]:
            if query not in memo:
                memo[query] = searches[s](query)
            return memo[query]

        for name, chosen in grouped.items():
            retrieval_by[name][system] = evaluate_retrieval(chosen, search, queries)
    retrieval = retrieval_by.get(GOLD_SETS[0].name, {})
    splits: dict[str, dict[str, Any]] = {
        name: {"retrieval": {s: r["overall"] for s, r in by_system.items()}, "n": len(grouped[name])}
        for name, by_system in retrieval_by.items()
    }

    if options.answers:
        _say(f"answers: asking {len(items)} questions", options)
        rows: dict[str, list[dict[str, Any]]] = {}
        for gold_set in GOLD_SETS:
            chosen = grouped.get(gold_set.name)
            if chosen:
                result = evaluate_answers(chosen, lambda q, history: ask(q, retriever=retriever, history=history))
                rows[gold_set.name] = result.pop("questions")
                splits[gold_set.name]["answers"] = result
        for total in TOTALS:
            if total in splits:
                members = [r for s in GOLD_SETS if s.total == total for r in rows.get(s.name, [])]
                splits[total]["answers"] = summarize(members)
        answers: dict[str, Any] = {**splits[GOLD_SETS[0].name]["answers"], "questions": rows}
    else:
        answers = {"skipped": "--no-answers"}

    precedents: dict[str, Any] = {}
    if options.precedents:
        for prefix, name in PRECEDENT_SETS[: 1 if single else None]:
            path = options.drafts_file if (options.drafts_file and prefix == "precedents") else None
            path = path or (folder or eval_dir(settings)) / name
            if prefix != "precedents" and not path.is_file():
                continue
            cases = load_drafts(path)
            _say(f"{prefix}: {len(cases)} proposals", options)
            found = evaluate_precedents(cases, lambda p: find_precedents(p, retriever=retriever, k=5))
            precedents[prefix] = {**found, "file": name}
    # Document metadata on the varied corpus and the seeds: parsing only (~0.1 s), no index or embedder involved.
    metadata = {} if single else {k: v.to_dict() for k, v in score_corpora(folder, options.seeds_dir).items()}
    metrics = _flat_metrics(retrieval, splits, precedents, metadata)
    meta_answers: dict[str, Any] = {}
    if options.answers and folder is not None:  # every reply's metadata asked in everyday words: ~400 asks, ~20 s
        from qa.evaluation.meta_answers import evaluate_corpora, flat_metrics

        _say("meta-answers: asking every reply's metadata fields", options)
        found = evaluate_corpora(folder, lambda q: ask(q, retriever=retriever))
        meta_answers = {corpus: score.to_dict() for corpus, score in found.items()}
        metrics.update(flat_metrics(meta_answers))  # meta-answers.varied, meta-answers.seeds
    return {
        "command": options.command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "corpus": {
            "files": len(files),
            "seed_files": len(seeds),
            "varied_files": len(extra),
            "documents": len(index.documents()),
            "chunks": len(index.chunks),
            "naive_chunks": naive_chunks,
        },
        "gold": {
            "questions": len(items),
            "answerable": sum(i.answerable for i in items),
            "unanswerable": sum(not i.answerable for i in items),
            "sets": {name: len(chosen) for name, chosen in grouped.items() if name not in TOTALS},
        },
        "seconds": round(time.perf_counter() - started, 1),
        "retrieval": retrieval,
        "splits": splits,
        "answers": answers,
        "precedents": precedents.get("precedents", {"skipped": "--no-precedents"}),
        "precedent_sets": precedents,
        "metadata": metadata,
        "meta_answers": meta_answers,
        "metrics": metrics,
        "notes": options.notes,
        # Fresh questions are reported by id and type only: nobody tunes on what they do not read.
        "questions": {
            i.id: {"type": i.type, "split": i.split, **({} if i.split in FRESH else {"question": i.question})}
            for i in items
        },
    }


# --- thresholds -----------------------------------------------------------------------------------------------


def load_thresholds(path: Path) -> dict[str, dict[str, float]]:
    """{"min": {metric: floor}, "max": {metric: ceiling}} from eval/thresholds.json."""
    if not path.is_file():
        raise EvalError(f"找不到 {path}：它随项目提供（eval/），请用 git 恢复")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise EvalError(f"{path} 不是有效的 JSON（第 {err.lineno} 行：{err.msg}），请修正") from err
    if not isinstance(data, dict) or set(data) - {"min", "max", "comment"}:
        raise EvalError(f"{path} 应为含 'min' 和/或 'max' 的对象，各自把指标名映射到数值")
    out: dict[str, dict[str, float]] = {}
    for side in ("min", "max"):
        values = data.get(side, {})
        if not isinstance(values, dict) or not all(isinstance(v, int | float) for v in values.values()):
            raise EvalError(f"{path}：{side!r} 应把指标名映射到数值")
        out[side] = {k: float(v) for k, v in values.items()}
    return out


def check_report(report: dict[str, Any], thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Every way the report misses the bar: metrics below their floor or above their ceiling, metrics the
    thresholds name but the run did not measure, and the hybrid not beating each other system on MRR@10."""
    metrics = report["metrics"]
    failures = []
    for side, worse in (("min", lambda v, t: v < t), ("max", lambda v, t: v > t)):
        for key, bound in sorted(thresholds.get(side, {}).items()):
            value = metrics.get(key)
            if value is None:
                failures.append(f"{key}: not measured (threshold {bound:g})")
            elif worse(value, bound):
                word = "below" if side == "min" else "above"
                failures.append(f"{key} = {value:.3f} is {word} its threshold {bound:.3f}")
    ours = metrics.get(f"{SYSTEMS[0]}.mrr@10")
    for other in SYSTEMS[1:]:
        theirs = metrics.get(f"{other}.mrr@10")
        if ours is not None and theirs is not None and ours <= theirs:
            failures.append(f"hybrid MRR@10 = {ours:.3f} does not beat {other} MRR@10 = {theirs:.3f}")
    return failures


def run_cli(options: RunOptions, settings: Settings, *, check: bool, write: bool) -> int:
    """Run, print, write the reports, compare with the thresholds; 1 when --check and anything fails."""
    folder = eval_dir(settings)
    thresholds = load_thresholds(folder / THRESHOLDS_NAME)  # before the slow part: a broken file should fail at once
    report = run_evaluation(settings, options)
    failures = check_report(report, thresholds)
    print(summary(report))
    if write:
        md, js = (folder / name for name in REPORT_NAMES)
        write_report(report, failures, md, js)
        shown = [p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p for p in (md, js)]
        print(f"wrote {shown[0]} and {shown[1]}")
    for failure in failures:
        print(f"{'FAIL' if check else 'below threshold'}: {failure}", file=sys.stderr)
    if not failures:
        print("all thresholds met")
    return 1 if check and failures else 0
