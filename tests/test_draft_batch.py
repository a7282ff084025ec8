"""Batch drafting of the register: every open proposal drafted once, resumed, one .docx each and a zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, ToyEmbedder

from qa.draft.batch import ZIP_NAME, draft_all, export_zip, input_hash, placeholder_summary
from qa.draft.docx import docx_text
from qa.errors import QAError
from qa.store.register import open_register

TUOYU = {"number": "20250012", "title": "关于扩大普惠托育服务供给的提案", "kind": "政协提案", "proposers": "周敏",
         "body": "建议加大对幼儿园开设托班的补贴力度。建议加强托育从业人员保健培训和持证上岗管理。"}  # fmt: skip
ZHONGYI = {"number": "20250013", "title": "关于在中小学开展中医药文化教育的建议", "kind": "人大建议",
           "proposers": "黄立", "body": "建议在中小学开设中医药文化兴趣课。建议邀请中医专家进校园讲课。"}  # fmt: skip


@pytest.fixture(scope="module")
def toy_retriever(tmp_path_factory: pytest.TempPathFactory):
    from qa.index.build import build_index
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    embedder = ToyEmbedder()
    index_dir = tmp_path_factory.mktemp("toy_index")
    build_index([SEEDS_DIR], index_dir, embedder)
    return Retriever(load_index(index_dir), embedder)


def test_placeholder_summary_counts_and_lists() -> None:
    summary = placeholder_summary(
        "甲〔待填写：会议〕乙〔待核实：本地数据，参考值3〕丙〔待填写：会议〕", ["〔待核实：第1段〕"]
    )
    assert (summary["待填写"], summary["待核实"]) == (2, 2)
    assert summary["items"] == ["〔待填写：会议〕", "〔待核实：本地数据，参考值3〕", "〔待核实：第1段〕"]


def test_draft_all_resumes_and_zips(toy_retriever, tmp_path: Path) -> None:
    register = open_register(tmp_path / "qa.sqlite3")
    a, _ = register.upsert(TUOYU)
    b, _ = register.upsert(ZHONGYI)
    done, _ = register.upsert({**TUOYU, "number": "9", "title": "关于已经答复的提案"})
    register.set_status(done, "已答复")
    out = tmp_path / "out"
    report = draft_all(register, retriever=toy_retriever, out_dir=out, progress=False)
    assert [(i.id, i.outcome) for i in report.items] == [(a, "起草"), (b, "起草")]  # 已答复 is not drafted
    assert register.get(a).status == "起草中" and register.precedents(a)[0]["doc_id"]
    with zipfile.ZipFile(out / ZIP_NAME) as archive:
        names = sorted(archive.namelist())
    assert names == sorted(Path(i.file).name for i in report.items) and all(n.endswith(".docx") for n in names)
    assert names[0].startswith(f"{a:03d}_20250012_")
    lines = docx_text(Path(report.items[0].file))
    assert lines[2] == "周敏委员：" and any("20250012" in line for line in lines)
    assert report.items[0].placeholders["待填写"] >= 1 and "待填写" in report.summary()

    # a person edits one draft; the list changes the other's text: only that one is redrafted
    register.save_draft(a, "人工修改后的答复〔待填写：会议〕", author="张红")
    register.upsert({**ZHONGYI, "body": ZHONGYI["body"] + "建议建设中药材种植园。"})
    again = draft_all(register, retriever=toy_retriever, out_dir=out, progress=False)
    assert [(i.id, i.outcome) for i in again.items] == [(a, "跳过"), (b, "起草")]
    assert [r.author for r in register.revisions(a)] == ["系统", "张红"]
    assert register.current_draft(b).input_hash == input_hash(register.get(b)) and len(register.revisions(b)) == 2
    assert docx_text(out / Path(again.items[0].file).name)[0] == "人工修改后的答复〔待填写：会议〕"
    kept = Path(again.items[1].file).stat().st_mtime_ns
    third = draft_all(register, retriever=toy_retriever, out_dir=out, progress=False)
    assert third.counts() == {"起草": 0, "跳过": 2, "失败": 0}
    assert Path(third.items[1].file).stat().st_mtime_ns == kept  # a current file is kept, with its 依据 page
    with zipfile.ZipFile(out / ZIP_NAME) as archive:
        assert len(archive.namelist()) == 2


def test_export_selection_as_zip(toy_retriever, tmp_path: Path) -> None:
    register = open_register(tmp_path / "qa.sqlite3")
    a, _ = register.upsert(TUOYU)
    b, _ = register.upsert(ZHONGYI)
    with pytest.raises(QAError, match="都还没有草稿"):
        export_zip(register, [a, b], tmp_path / "x.zip")
    draft_all(register, retriever=toy_retriever, ids=[a], progress=False)
    path = export_zip(register, [a, b], tmp_path / "sel.zip")
    with zipfile.ZipFile(path) as archive:
        assert [n.split("_")[0] for n in archive.namelist()] == [f"{a:03d}"]
