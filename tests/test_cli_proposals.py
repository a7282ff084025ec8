"""`qa proposals`: import a real .xlsx, list and filter, show, status, assign, draft --all (resumed) into a zip."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import SEEDS_DIR
from openpyxl import Workbook

from qa.cli import main

HEAD = ["序号", "案号", "标题", "提出人", "类别", "主办单位", "办理期限", "内容"]


@pytest.fixture(scope="module")
def text_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seed files indexed as text (BM25 and metadata, no vectors yet): drafting works at once."""
    index_dir = tmp_path_factory.mktemp("text_index")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_INDEX_DIR", str(index_dir))
        files = [str(SEEDS_DIR / "000_ecc1ee3b3577c818.txt"), str(SEEDS_DIR / "002_1f72599712e05cfe.txt")]
        assert main(["index", *files, "--no-wait", "--quiet"]) == 0
    return index_dir


@pytest.fixture
def env(tmp_path: Path, text_index: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QA_INDEX_DIR", str(text_index))
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QA_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("QA_CONFIG", raising=False)
    return tmp_path


def write_list(path: Path) -> Path:
    soon = date.today() + timedelta(days=3)
    book = Workbook()
    sheet = book.active
    for row in [
        HEAD,
        [1, "20250012", "关于扩大普惠托育服务供给的提案", "周敏", "政协提案", "区卫健局", soon,
         "建议加大对幼儿园开设托班的补贴力度。建议加强托育从业人员保健培训。"],
        [2, "20250013", "关于在中小学开展中医药文化教育的提案", "黄立", "提案", "区卫健局", "2099年1月1日",
         "建议在中小学开设中医药文化兴趣课。建议邀请中医专家进校园开展讲座。"],
        [3, "20250014", "关于某事的提案", "王五", "提案", "区卫健局", "下月底", "内容"],
    ]:  # fmt: skip
        sheet.append(row)
    book.save(path)
    return path


def test_import_preview_then_store(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xlsx = write_list(env / "清单.xlsx")
    assert main(["proposals", "import", str(xlsx), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "标题 ← “标题”" in out and "第4行" in out and "下月底" in out and "预览" in out
    assert not (env / "data" / "qa.sqlite3").exists()
    assert main(["proposals", "import", str(xlsx)]) == 1  # the bad row is reported; the rest are stored
    assert "新增 2 件" in capsys.readouterr().out
    assert main(["proposals", "import", str(xlsx)]) == 1
    assert "新增 0 件，更新 2 件" in capsys.readouterr().out


def test_list_show_status_assign(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["proposals", "import", str(write_list(env / "清单.xlsx"))])
    capsys.readouterr()
    assert main(["proposals", "list", "--due", "7d", "--json"]) == 0
    due = json.loads(capsys.readouterr().out)
    assert [(e["number"], e["days_left"]) for e in due] == [("20250012", 3)]
    assert main(["proposals", "assign", "20250013", "张红"]) == 0
    assert main(["proposals", "status", "1", "待审核"]) == 0
    capsys.readouterr()
    assert main(["proposals", "list", "--owner", "张红"]) == 0
    out = capsys.readouterr().out
    assert "20250013" in out and "20250012" not in out and "共 1 件" in out
    assert main(["proposals", "list", "--status", "待审核", "--json"]) == 0
    assert [e["number"] for e in json.loads(capsys.readouterr().out)] == ["20250012"]
    assert main(["proposals", "show", "20250013", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["owner"] == "张红" and shown["draft"] is None and shown["events"][-1]["action"] == "分派"
    assert main(["proposals", "status", "1", "完成"]) == 1
    assert main(["proposals", "show", "99"]) == 1
    assert main(["proposals", "list", "--due", "下周"]) == 1
    err = capsys.readouterr().err
    assert err.count("错误") == 3 and "Traceback" not in err


def test_draft_all_writes_docx_zip_and_resumes(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["proposals", "import", str(write_list(env / "清单.xlsx"))])
    out_dir = env / "out"
    assert main(["proposals", "draft"]) == 1  # says which proposals: --all or numbers
    capsys.readouterr()
    assert main(["proposals", "draft", "--all", "--out", str(out_dir), "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert "起草 2，已是最新而跳过 0" in summary and "〔待填写：单位名称〕" in summary and "待核实" in summary
    with zipfile.ZipFile(out_dir / "答复草稿.zip") as archive:
        assert sorted(archive.namelist()) == sorted(p.name for p in out_dir.glob("*.docx"))
        assert len(archive.namelist()) == 2
    assert main(["proposals", "draft", "--all", "--out", str(out_dir), "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"] == {"起草": 0, "跳过": 2, "失败": 0}
    assert main(["proposals", "show", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "起草中" and shown["precedents"] and shown["draft"]["revision"] == 1


def test_pasted_table_from_stdin(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("编号\t标题\t办理期限\n7\t关于托育的提案\t2025/3/31\n"))
    assert main(["proposals", "import", "-"]) == 0
    assert "新增 1 件" in capsys.readouterr().out
    assert main(["proposals", "import", str(env / "none.xlsx")]) == 1
    assert "文件不存在" in capsys.readouterr().err
