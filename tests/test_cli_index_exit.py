"""`qa index` exits non-zero when a path does not exist or a file cannot be read, after indexing the rest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SEEDS_DIR

from qa.cli import main

SEED = "002_1f72599712e05cfe.txt"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEEDS_DIR / SEED, folder / SEED)
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_EMBED_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.chdir(tmp_path)
    return folder


def test_a_missing_path_fails_the_command(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(corpus), str(corpus.parent / "no-such-folder"), "--no-wait", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no-such-folder" in err and "1 个文件或路径未能索引" in err


def test_an_unreadable_file_fails_the_command_but_the_good_one_is_indexed(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n not really a pdf \x00\x01")
    assert main(["index", str(corpus), "--no-wait", "--quiet"]) == 1
    assert "broken.pdf" in capsys.readouterr().err
    assert main(["docs", "--json"]) == 0
    assert SEED.removesuffix(".txt") in capsys.readouterr().out
    (corpus / "broken.pdf").unlink()
    assert main(["index", str(corpus), "--no-wait", "--quiet"]) == 0
