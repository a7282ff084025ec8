"""The evaluation runner: the thresholds gate, the run end to end on a small corpus, and the `qa eval` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.report import render_markdown
from qa.evaluation.runner import THRESHOLDS_NAME, RunOptions, check_report, eval_dir, load_thresholds, run_evaluation

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
EVAL_DIR = SEEDS_DIR.parent / "eval"


# --- thresholds and gate --------------------------------------------------------------------------------------


def test_check_report_names_each_failure() -> None:
    report = {"metrics": {"hybrid.mrr@10": 0.6, "dense.mrr@10": 0.7, "bm25.mrr@10": 0.5, "answers.latency_p95_ms": 900}}
    thresholds = {
        "min": {"hybrid.mrr@10": 0.65, "answers.citation_precision": 0.5},
        "max": {"answers.latency_p95_ms": 800},
    }
    failures = check_report(report, thresholds)
    assert any("hybrid.mrr@10 = 0.600 is below" in f for f in failures)
    assert any("answers.citation_precision: not measured" in f for f in failures)
    assert any("answers.latency_p95_ms = 900.000 is above" in f for f in failures)
    assert any("does not beat dense" in f for f in failures)
    assert not any("does not beat bm25" in f for f in failures)
    assert check_report({"metrics": {"hybrid.mrr@10": 0.9, "dense.mrr@10": 0.8}}, {"min": {"hybrid.mrr@10": 0.8}}) == []


def test_shipped_thresholds_are_valid() -> None:
    thresholds = load_thresholds(EVAL_DIR / THRESHOLDS_NAME)
    assert thresholds["min"], "the gate needs at least one floor"
    assert all(0 <= v <= 1 for k, v in thresholds["min"].items() if not k.endswith("_ms"))


def test_eval_folder_is_the_working_directorys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`qa eval` reads eval/ of the project it runs in; without one it says so before any slow work."""
    from qa.config import load_settings
    from qa.errors import ConfigError
    from qa.evaluation.runner import run_cli

    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    with pytest.raises(ConfigError, match=r"eval 处没有评测文件夹：请在项目根目录运行"):
        run_cli(RunOptions(seeds_dir=tmp_path), settings, check=True, write=False)
    (tmp_path / "eval").mkdir()
    assert eval_dir(settings) == tmp_path / "eval"
    assert eval_dir(load_settings(env={"QA_EVAL_DIR": str(EVAL_DIR)})) == EVAL_DIR


# --- the runner on a small corpus with the real embedder ---------------------------------------------------------


@pytest.mark.slow
def test_run_evaluation_end_to_end(tmp_path: Path) -> None:
    from qa.config import Settings

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    source = SEEDS_DIR / "003_7d96d5533ae081cc.txt"
    (seeds / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"id": "q1", "question": "武昌区依托京东健康平台为多少名确诊患者做了心理疏导？", "type": "number",
         "doc_ids": [source.name], "evidence": ["2866名确诊患者"], "answer_keywords": ["2866"], "answerable": True},
        {"id": "q2", "question": "洪山区组建了多少个医联体？", "type": "unanswerable", "doc_ids": [], "evidence": [],
         "answer_keywords": [], "answerable": False},
    ]  # fmt: skip
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    options = RunOptions(seeds_dir=seeds, cache_dir=tmp_path / "cache", gold_file=gold, progress=False)
    report = run_evaluation(Settings(), options)

    assert (tmp_path / "cache" / ".gitignore").read_text() == "*\n"
    assert report["gold"] == {"questions": 2, "answerable": 1, "unanswerable": 1, "sets": {"tuning-seeds": 2}}
    assert report["corpus"]["varied_files"] == 0  # a named gold file is asked on the seeds alone
    for system in ("hybrid", "dense", "bm25", "naive"):
        assert report["retrieval"][system]["overall"]["n"] == 1
        assert 0 <= report["metrics"][f"{system}.mrr@10"] <= 1
    assert report["retrieval"]["bm25"]["ranks"]["q1"] >= 1  # the exact figure is there for BM25 to find
    assert report["corpus"]["naive_chunks"] > report["corpus"]["documents"]
    markdown = render_markdown(report, [])
    assert "| hybrid |" in markdown and "| naive |" in markdown
    # the second run reuses the cached index and baseline embeddings and gives the same numbers
    again = run_evaluation(Settings(), options)
    assert {k: v for k, v in again["metrics"].items() if "latency" not in k} == {
        k: v for k, v in report["metrics"].items() if "latency" not in k
    }


def test_qa_eval_command_is_registered() -> None:
    from qa.cli import build_parser, cmd_eval
    from qa.evaluation.runner import DEFAULT_CACHE_DIR

    args = build_parser().parse_args(["eval", "--check", "--no-answers"])
    assert args.handler is cmd_eval
    assert args.check and args.no_answers and not args.no_precedents
    assert args.write is None  # --check alone does not rewrite the committed report
    assert args.cache_dir == DEFAULT_CACHE_DIR


@pytest.mark.slow
def test_cached_index_covers_exactly_the_seeds_asked_for(tmp_path: Path) -> None:
    from qa.config import Settings

    gold = tmp_path / "gold.jsonl"
    row = {"id": "q1", "question": "咸宁市已经组建了多少个家庭医生团队？", "type": "number", "doc_ids": [],
           "evidence": ["857个"], "answer_keywords": ["857"], "answerable": True}  # fmt: skip
    gold.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    documents = []
    for name in ("002_1f72599712e05cfe.txt", "001_884f6c705b95b4c7.txt"):
        seeds = tmp_path / name.split("_")[0]
        seeds.mkdir()
        (seeds / name).write_text((SEEDS_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
        cache = tmp_path / "cache"
        options = RunOptions(seeds, cache, gold, answers=False, precedents=False, progress=False)
        report = run_evaluation(Settings(), options)
        documents.append(report["corpus"]["documents"])
        found = report["retrieval"]["hybrid"]["ranks"]["q1"]
        assert (found >= 1) == name.startswith("002")  # the 001 run must not see 002 left in the cache
    assert documents == [1, 1]


def test_metadata_scores_reach_the_report_and_the_gate() -> None:
    """qa eval scores the parsed metadata of eval/varied and the seeds, renders it, and gates on it."""
    from qa.evaluation.metadata import score_corpora
    from qa.evaluation.report import _metadata_section
    from qa.evaluation.runner import _flat_metrics

    metadata = {k: v.to_dict() for k, v in score_corpora(EVAL_DIR, SEEDS_DIR).items()}
    assert set(metadata) == {"varied", "seeds"} and metadata["varied"]["documents_expected"] >= 40
    metrics = _flat_metrics({}, {}, {}, metadata)
    assert metrics["metadata.seeds.documents_found"] == 1.0 and 0 < metrics["metadata.varied.fields"] <= 1
    section = "\n".join(_metadata_section(metadata))
    assert "varied: documents found" in section and "| proposal_no |" in section
    floors = {"min": {"metadata.varied.fields": 1.01}, "max": {}}  # above any accuracy: the gate must fail
    assert any("metadata.varied.fields" in f for f in check_report({"metrics": metrics}, floors))
