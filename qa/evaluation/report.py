"""The evaluation report: markdown (eval/report.md), JSON (eval/report.json) and the terminal summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.evaluation.metrics import QUESTION_TYPES, RETRIEVAL_METRICS, SYSTEMS
from qa.evaluation.splits import GOLD_SETS, TOTALS


def _pct(value: float) -> str:
    return f"{value * 100:.1f}"


def retrieval_table(report: dict[str, Any]) -> str:
    """Systems side by side on the retrieval metrics (percent), as a markdown table."""
    lines = ["| system | " + " | ".join(RETRIEVAL_METRICS) + " |", "|---" * (len(RETRIEVAL_METRICS) + 1) + "|"]
    for system in SYSTEMS:
        overall = report["retrieval"][system]["overall"]
        lines.append(f"| {system} | " + " | ".join(_pct(overall[m]) for m in RETRIEVAL_METRICS) + " |")
    return "\n".join(lines)


def by_type_table(report: dict[str, Any], metric: str) -> str:
    """One metric per question type, systems side by side."""
    types = [t for t in QUESTION_TYPES if t in report["retrieval"][SYSTEMS[0]]["by_type"]]
    lines = ["| type | n | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 2) + "|"]
    for t in types:
        n = report["retrieval"][SYSTEMS[0]]["by_type"][t]["n"]
        cells = [_pct(report["retrieval"][s]["by_type"][t][metric]) for s in SYSTEMS]
        lines.append(f"| {t} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _answers_section(answers: dict[str, Any]) -> list[str]:
    if "skipped" in answers:
        return [f"Not measured: {answers['skipped']}."]
    return [
        f"{answers['n_answerable']} answerable and {answers['n_unanswerable']} unanswerable questions.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| keyword coverage (answerable) | {_pct(answers['keyword_coverage'])}% |",
        f"| citation precision | {_pct(answers['citation_precision'])}% |",
        f"| citation recall | {_pct(answers['citation_recall'])}% |",
        f"| refusal accuracy (unanswerable) | {_pct(answers['refusal_accuracy'])}% |",
        f"| false-refusal rate (answerable) | {_pct(answers['false_refusal_rate'])}% |",
        f"| latency p50 | {answers['latency_p50_ms']:.0f} ms |",
        f"| latency p95 | {answers['latency_p95_ms']:.0f} ms |",
    ]


# Each total after its own sets, in the order GOLD_SETS lists them.
SPLIT_ORDER = tuple(name for total in TOTALS for name in (*(s.name for s in GOLD_SETS if s.total == total), total))


def split_tables(report: dict[str, Any]) -> list[str]:
    """Retrieval (hybrid) and answers per gold set and per total, as two markdown tables."""
    splits = report.get("splits", {})
    names = [n for n in SPLIT_ORDER if n in splits]
    if not names:
        return []
    lines = [
        "| set | answerable | hybrid Recall@1 | Recall@5 | MRR@10 | nDCG@10 | naive MRR@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        r = splits[name]["retrieval"]
        hybrid = r[SYSTEMS[0]]
        cells = [_pct(hybrid[m]) for m in RETRIEVAL_METRICS] + [_pct(r["naive"]["mrr@10"]) if "naive" in r else "-"]
        lines.append(f"| {name} | {hybrid['n']} | " + " | ".join(cells) + " |")
    if all("answers" in splits[n] for n in names):
        lines += [
            "",
            "| set | answerable / traps | all keywords | keyword coverage | evidence cited | citation P / R "
            "| false refusals | traps answered | p50 / p95 ms |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name in names:
            a = splits[name]["answers"]
            lines.append(
                f"| {name} | {a['n_answerable']} / {a['n_unanswerable']} | {_pct(a['all_keywords'])} | "
                f"{_pct(a['keyword_coverage'])} | {_pct(a['evidence_cited'])} | {_pct(a['citation_precision'])} / "
                f"{_pct(a['citation_recall'])} | {a['false_refusals']} | {a['traps_answered']} | "
                f"{a['latency_p50_ms']:.0f} / {a['latency_p95_ms']:.0f} |"
            )
    return lines


def _precedents_section(precedents: dict[str, Any]) -> list[str]:
    if "skipped" in precedents:
        return [f"Not measured: {precedents['skipped']}."]
    lines = [
        f"{precedents['n']} new proposals from eval/{precedents.get('file', 'drafts.jsonl')}. "
        f"Recall@1 {_pct(precedents['recall@1'])}%, Recall@3 {_pct(precedents['recall@3'])}%.",
        "",
        "| case | expected | ranked (top 3) |",
        "|---|---|---|",
    ]
    for row in precedents["cases"]:
        lines.append(f"| {row['id']} | {', '.join(row['expected'])} | {', '.join(row['ranked'][:3])} |")
    return lines


def _precedent_sets(report: dict[str, Any]) -> list[dict[str, Any]]:
    return list(report.get("precedent_sets", {}).values()) or [report["precedents"]]


def misses(report: dict[str, Any], cutoff: int = 5) -> list[dict[str, Any]]:
    """Answerable questions the hybrid does not bring up in its first `cutoff` hits, with every system's rank."""
    ranks = {s: report["retrieval"][s]["ranks"] for s in SYSTEMS}
    out = []
    for qid, rank in ranks[SYSTEMS[0]].items():
        if rank == 0 or rank > cutoff:
            out.append({"id": qid, **report["questions"][qid], **{s: ranks[s][qid] for s in SYSTEMS}})
    return out


def _metadata_section(metadata: dict[str, Any]) -> list[str]:
    """Documents found and per-field accuracy of the parsed metadata (qa.evaluation.metadata), per corpus."""
    if not metadata:
        return []
    lines = [
        "## Document metadata (eval/varied against eval/varied_meta.jsonl; seeds against eval/seeds_meta.jsonl)",
        "",
    ]
    for corpus, result in metadata.items():
        fields = result["fields"]
        lines += [
            f"{corpus}: documents found {result['documents_found']}/{result['documents_expected']}, "
            f"fields right {_pct(result['overall'])}%",
            "",
            "| field | right | total |",
            "|---|---|---|",
            *[f"| {name} | {f['right']} | {f['total']} |" for name, f in fields.items()],
            "",
        ]
    return lines


def _meta_answers_section(results: dict[str, Any]) -> list[str]:
    """Metadata questions in everyday words answered with the gold value (qa.evaluation.meta_answers), per corpus
    and field, and the misses with the start of their answers."""
    if not results:
        return []
    from qa.evaluation.meta_answers import format_table  # only a run that asked them renders them

    lines = [
        "## Metadata answers (every reply's fields asked in eval/meta_phrasings.tsv's words; a tuning measure)",
        "",
        "Answers stating the gold value / questions asked.",
        "",
        *format_table(results),
        "",
    ]
    misses = [(corpus, m) for corpus, result in results.items() for m in result["misses"]]
    if misses:
        lines += ["| corpus | reply | field | question | answer |", "|---|---|---|---|---|"]
        for corpus, m in misses:
            answer = m["answer"].replace("|", "｜").replace("\n", " ")[:100]
            lines.append(f"| {corpus} | {m['doc_id']} | {m['field']} | {m['question']} | {answer} |")
        lines.append("")
    return lines


def render_markdown(report: dict[str, Any], failures: Sequence[str]) -> str:
    """eval/report.md: how it was run, the tables, the gate result and the hybrid's misses."""
    m = report["machine"]
    c = report["corpus"]
    g = report["gold"]
    lines = [
        "# Evaluation report",
        "",
        f"- command: `{report['command']}`",
        f"- date: {report['date']}",
        f"- machine: {m['cores']} cores, {m['processor']}, {m['platform']}, Python {m['python']}",
        f"- embedder: {report['embedder']['name']} (dim {report['embedder']['dim']})",
        f"- corpus: {c['files']} files, {c['documents']} documents, {c['chunks']} chunks "
        f"(naive baseline: {c['naive_chunks']} raw pieces)",
        f"- gold: {g['questions']} questions ({g['answerable']} answerable, {g['unanswerable']} unanswerable)",
        f"- run time: {report['seconds']} s",
        "",
        "## By gold set (percent; tuning = gold + varied_tuning, fresh = fresh_seeds + fresh_varied)",
        "",
        *split_tables(report),
        "",
        "## Retrieval on tuning-seeds (eval/gold.jsonl; answerable questions, percent)",
        "",
        retrieval_table(report),
        "",
        "### MRR@10 by question type",
        "",
        by_type_table(report, "mrr@10"),
        "",
        "### Recall@5 by question type",
        "",
        by_type_table(report, "recall@5"),
        "",
        "## Answers on tuning-seeds",
        "",
        *_answers_section(report["answers"]),
        "",
        "## Precedent search",
        "",
        *[line for result in _precedent_sets(report) for line in [*_precedents_section(result), ""]],
        *_metadata_section(report.get("metadata", {})),
        *_meta_answers_section(report.get("meta_answers", {})),
        "## Gate (eval/thresholds.json)",
        "",
        *([f"- FAIL: {f}" for f in failures] or ["All thresholds met; the hybrid beats every other system on MRR@10."]),
        "",
    ]
    missed = misses(report)
    lines += ["## Questions the hybrid misses in its top 5", ""]
    if missed:
        lines += ["Rank of the first relevant passage per system (0 = not in the top 10).", ""]
        lines += ["| id | type | question | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 3) + "|"]
        for row in missed:
            ranks = " | ".join(str(row[s]) for s in SYSTEMS)
            lines.append(f"| {row['id']} | {row['type']} | {row['question']} | {ranks} |")
    else:
        lines.append("None.")
    if report["notes"]:
        lines += ["", "## Notes", "", *[f"- {n}" for n in report["notes"]]]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], failures: Sequence[str], md_path: Path, json_path: Path) -> None:
    """Write the markdown and JSON reports."""
    md_path.write_text(render_markdown(report, failures), encoding="utf-8")
    payload = {**report, "gate_failures": list(failures)}
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def summary(report: dict[str, Any]) -> str:
    """What the terminal shows: the side-by-side retrieval table and the answer/precedent headline numbers."""
    lines = ["tuning-seeds (eval/gold.jsonl):", retrieval_table(report), ""]
    answers, precedents = report["answers"], report["precedents"]
    if "skipped" in answers:
        lines.append(f"answers: not measured ({answers['skipped']})")
    else:
        lines.append(
            f"answers (tuning-seeds): keywords {_pct(answers['keyword_coverage'])}%, citation P/R "
            f"{_pct(answers['citation_precision'])}/{_pct(answers['citation_recall'])}%, refusal accuracy "
            f"{_pct(answers['refusal_accuracy'])}%, false refusals {_pct(answers['false_refusal_rate'])}%, "
            f"p50/p95 {answers['latency_p50_ms']:.0f}/{answers['latency_p95_ms']:.0f} ms"
        )
    if "skipped" in precedents:
        lines.append(f"precedents: not measured ({precedents['skipped']})")
    for result in _precedent_sets(report):
        if "skipped" not in result:
            lines.append(
                f"precedents ({result.get('file', 'drafts.jsonl')}): Recall@1 {_pct(result['recall@1'])}%, "
                f"Recall@3 {_pct(result['recall@3'])}%"
            )
    meta = report.get("meta_answers", {})
    if meta:
        shown = ", ".join(f"{corpus} {r['right']}/{r['asked']}" for corpus, r in meta.items())
        lines.append(f"metadata answers with the gold value: {shown}")
    tables = split_tables(report)
    return "\n".join([*lines, *(["", *tables] if tables else [])])
