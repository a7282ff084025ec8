"""The index: build from real seed files, incremental rebuilds, the embedding cache, atomic swap, bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS_DIR, SMALL_SEEDS, FailingEmbedder, ToyEmbedder

from qa.errors import IndexMismatchError, IndexMissingError
from qa.index.build import build_index, collect_files
from qa.index.store import (
    CACHE,
    POINTER,
    VERSIONS,
    check_embedder,
    current_version,
    load_index,
)
from qa.retrieve import Retriever


class OtherEmbedder(ToyEmbedder):
    name = "another-model"


def test_build_and_load_round_trip(corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder) -> None:
    report = build_index([corpus], tmp_path / "idx", toy_embedder)
    assert report.errors == []
    assert report.swapped and report.files == 2 and report.documents == 2
    assert report.chunks > 2 and report.embedded == report.chunks and report.cached == 0

    index = load_index(tmp_path / "idx")
    assert len(index.chunks) == report.chunks
    assert index.vectors.shape == (report.chunks, toy_embedder.dim)
    assert index.dense.ntotal == report.chunks
    assert {doc_id for doc_id, _ in index.documents()} == set(SMALL_SEEDS)
    manifest = index.manifest
    assert manifest["format"] == 1
    assert manifest["embedder"] == {"name": toy_embedder.name, "dim": toy_embedder.dim}
    assert manifest["chunk_count"] == report.chunks and manifest["document_count"] == 2
    assert manifest["dense"] == "flat" and manifest["built_at"]
    entry = manifest["files"][str((corpus / SMALL_SEEDS[0]).resolve())]
    assert len(entry["sha256"]) == 64 and entry["doc_ids"] == [SMALL_SEEDS[0]]
    # The chunk store holds Chunk.to_dict lines that load back to the same chunks.
    assert [c.chunk_id for c in index.chunks] == [
        json.loads(line)["chunk_id"] for line in (index.path / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def test_unchanged_files_are_not_reread_or_reembedded(corpus: Path, tmp_path: Path) -> None:
    build_index([corpus], tmp_path / "idx", ToyEmbedder())
    version = current_version(tmp_path / "idx")
    again = ToyEmbedder()
    report = build_index([corpus], tmp_path / "idx", again)
    assert again.calls == 0 and report.embedded == 0
    assert report.files_unchanged == 2 and not report.swapped
    assert current_version(tmp_path / "idx") == version


def test_a_no_change_reindex_reads_only_the_manifest(corpus: Path, tmp_path: Path) -> None:
    first = build_index([corpus], tmp_path / "idx", ToyEmbedder())
    index = load_index(tmp_path / "idx")
    # Were the chunk store parsed, this would fail to load; with nothing changed it must not even be read.
    (index.path / "chunks.jsonl").write_text("not json\n", encoding="utf-8")
    again = ToyEmbedder()
    report = build_index(iter([corpus]), tmp_path / "idx", again)
    assert not report.swapped and again.calls == 0 and report.errors == []
    assert (report.files, report.files_unchanged, report.documents) == (2, 2, 2)
    assert report.chunks == report.cached == first.chunks and report.dense_kind == "flat"


def test_what_the_manifest_alone_cannot_vouch_for_goes_through_a_full_build(corpus: Path, tmp_path: Path) -> None:
    build_index([corpus], tmp_path / "idx", ToyEmbedder())
    version = current_version(tmp_path / "idx")
    # Another dense kind is asked for: a new version with an HNSW index.
    report = build_index([corpus], tmp_path / "idx", ToyEmbedder(), hnsw_threshold=5)
    assert report.swapped and report.dense_kind == "hnsw" and current_version(tmp_path / "idx") != version
    # A file added to the folder is indexed.
    shutil.copy(SEEDS_DIR / "003_7d96d5533ae081cc.txt", corpus / "003_7d96d5533ae081cc.txt")
    report = build_index([corpus], tmp_path / "idx", ToyEmbedder(), hnsw_threshold=5)
    assert report.swapped and report.documents == 3


def test_a_changed_file_is_reembedded_alone(corpus: Path, tmp_path: Path) -> None:
    first = build_index([corpus], tmp_path / "idx", ToyEmbedder())
    changed = corpus / SMALL_SEEDS[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n新增：全面推进紧密型县域医共体建设。\n", "utf-8")
    report = build_index([corpus], tmp_path / "idx", ToyEmbedder())
    assert report.swapped and report.files_unchanged == 1
    # Only chunks whose text changed are embedded; the rest of the changed file comes from the cache.
    assert 0 < report.embedded < first.chunks
    assert any("新增" in c.text for c in load_index(tmp_path / "idx").chunks)


def test_a_removed_file_is_dropped(corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder) -> None:
    build_index([corpus], tmp_path / "idx", toy_embedder)
    (corpus / SMALL_SEEDS[0]).unlink()
    report = build_index([corpus], tmp_path / "idx", toy_embedder)
    assert report.files_removed == 1
    assert [d for d, _ in load_index(tmp_path / "idx").documents()] == [SMALL_SEEDS[1]]


def test_files_outside_the_named_paths_stay_indexed(corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder) -> None:
    build_index([corpus / SMALL_SEEDS[0]], tmp_path / "idx", toy_embedder)
    build_index([corpus / SMALL_SEEDS[1]], tmp_path / "idx", toy_embedder)
    assert {d for d, _ in load_index(tmp_path / "idx").documents()} == set(SMALL_SEEDS)


def test_rebuild_starts_over_but_uses_the_embedding_cache(corpus: Path, tmp_path: Path) -> None:
    build_index([corpus], tmp_path / "idx", ToyEmbedder())
    again = ToyEmbedder()
    report = build_index([corpus / SMALL_SEEDS[0]], tmp_path / "idx", again, rebuild=True)
    assert report.swapped and report.embedded == 0 and again.calls == 0
    assert report.cached == report.chunks
    assert [d for d, _ in load_index(tmp_path / "idx").documents()] == [SMALL_SEEDS[0]]
    assert (tmp_path / "idx" / CACHE).is_dir()


def test_missing_index_says_to_run_qa_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="qa index"):
        load_index(tmp_path / "nothing")


def test_another_embedder_is_a_mismatch(corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder) -> None:
    build_index([corpus], tmp_path / "idx", toy_embedder)
    index = load_index(tmp_path / "idx")
    with pytest.raises(IndexMismatchError, match="qa index --rebuild"):
        check_embedder(index, OtherEmbedder())
    with pytest.raises(IndexMismatchError, match="qa index --rebuild"):
        Retriever(index, OtherEmbedder())
    with pytest.raises(IndexMismatchError):
        build_index([corpus], tmp_path / "idx", OtherEmbedder())
    report = build_index([corpus], tmp_path / "idx", OtherEmbedder(), rebuild=True)
    assert report.swapped and load_index(tmp_path / "idx").manifest["embedder"]["name"] == "another-model"


def test_another_format_is_a_mismatch(corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder) -> None:
    build_index([corpus], tmp_path / "idx", toy_embedder)
    manifest_path = load_index(tmp_path / "idx").path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format": 0}), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="qa index --rebuild"):
        load_index(tmp_path / "idx")


def _top_chunk(index_dir: Path, query: str) -> str:
    embedder = ToyEmbedder()
    return Retriever(load_index(index_dir), embedder).search(query, 1)[0].chunk.chunk_id


def test_a_crash_mid_embedding_leaves_the_old_index_and_keeps_progress(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus / SMALL_SEEDS[0]], index_dir, ToyEmbedder())
    before = _top_chunk(index_dir, "紧密型医疗联合体")
    version = current_version(index_dir)

    with pytest.raises(RuntimeError, match="embedder died"):
        build_index([corpus], index_dir, FailingEmbedder(fail_on_call=3), batch_size=2)
    assert current_version(index_dir) == version
    assert _top_chunk(index_dir, "紧密型医疗联合体") == before

    # The two batches embedded before the crash were cached: the retry embeds only the rest.
    retry = build_index([corpus], index_dir, ToyEmbedder(), batch_size=2)
    new_file = str((corpus / SMALL_SEEDS[1]).resolve())
    assert retry.swapped and retry.embedded == load_index(index_dir).manifest["files"][new_file]["chunks"] - 4


def test_a_kill_at_the_commit_point_leaves_the_old_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus / SMALL_SEEDS[0]], index_dir, ToyEmbedder())
    version = current_version(index_dir)
    real_replace = os.replace

    def killed_at_pointer(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == POINTER:
            raise KeyboardInterrupt  # the process dies after the new version is written, before it goes live
        real_replace(src, dst)

    monkeypatch.setattr("qa.index.write.os.replace", killed_at_pointer)
    with pytest.raises(KeyboardInterrupt):
        build_index([corpus], index_dir, ToyEmbedder())
    monkeypatch.setattr("qa.index.write.os.replace", real_replace)

    assert current_version(index_dir) == version
    assert [d for d, _ in load_index(index_dir).documents()] == [SMALL_SEEDS[0]]
    # A half-written temp version from a killed build is ignored by readers and swept by the next build.
    (index_dir / VERSIONS / ".tmp-killed").mkdir()
    report = build_index([corpus], index_dir, ToyEmbedder())
    assert report.swapped and len(load_index(index_dir).documents()) == 2
    assert not (index_dir / VERSIONS / ".tmp-killed").exists()
    assert len([p for p in (index_dir / VERSIONS).iterdir()]) <= 2  # live + the one before it


def _bad_inputs(folder: Path) -> dict[str, bytes]:
    files = {
        "empty.txt": b"",
        "binary.txt": bytes(range(256)) * 8,
        "corrupt.pdf": b"%PDF-1.4\n this is not really a pdf \x00\x01",
        "notes.xyz": "对区政协第1号提案的答复".encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def test_bad_files_are_reported_and_the_rest_is_indexed(corpus: Path, tmp_path: Path) -> None:
    bad = _bad_inputs(corpus)
    report = build_index([corpus], tmp_path / "idx", ToyEmbedder())
    failed = {Path(path).name: reason for path, reason in report.errors}
    assert set(failed) == set(bad)
    assert all(reason and "\n" not in reason for reason in failed.values())
    assert {d for d, _ in load_index(tmp_path / "idx").documents()} == set(SMALL_SEEDS)


def test_a_file_that_turns_bad_keeps_its_previous_chunks(corpus: Path, tmp_path: Path) -> None:
    build_index([corpus], tmp_path / "idx", ToyEmbedder())
    (corpus / SMALL_SEEDS[0]).write_bytes(b"")
    report = build_index([corpus], tmp_path / "idx", ToyEmbedder())
    assert [Path(p).name for p, _ in report.errors] == [SMALL_SEEDS[0]]
    assert {d for d, _ in load_index(tmp_path / "idx").documents()} == set(SMALL_SEEDS)


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    files, errors = collect_files([tmp_path / "nope"])
    assert files == [] and errors == [(str(tmp_path / "nope"), "文件或文件夹不存在，请检查路径")]


def test_two_files_with_one_name_are_refused(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(corpus / SMALL_SEEDS[0], other / SMALL_SEEDS[0])
    report = build_index([corpus, other], tmp_path / "idx", ToyEmbedder())
    assert len(report.errors) == 1 and "改名" in report.errors[0][1]
    assert report.documents == 2


def test_a_thousand_small_files(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    topics = ["托育机构", "医联体", "家庭医生签约", "中医药进校园", "远程心电"]
    for i in range(1000):
        topic = topics[i % 5]
        text = f"对区政协会议第{i + 1}号提案的答复\n\n关于{topic}的建议收悉。我局将推进{topic}工作，编号{i}。\n"
        (folder / f"reply_{i:04d}.txt").write_text(text, encoding="utf-8")
    report = build_index([folder], tmp_path / "idx", ToyEmbedder(), batch_size=64)
    assert report.errors == [] and report.documents == 1000
    index = load_index(tmp_path / "idx")
    hits = Retriever(index, ToyEmbedder()).search("第731号提案", 1)
    assert hits[0].chunk.doc_id == "reply_0730.txt"


def test_hnsw_above_the_threshold_agrees_with_exact_search(corpus: Path, tmp_path: Path) -> None:
    flat = build_index([corpus], tmp_path / "flat", ToyEmbedder())
    hnsw = build_index([corpus], tmp_path / "hnsw", ToyEmbedder(), hnsw_threshold=5)
    assert (flat.dense_kind, hnsw.dense_kind) == ("flat", "hnsw")
    a, b = load_index(tmp_path / "flat"), load_index(tmp_path / "hnsw")
    query = ToyEmbedder().embed_query("紧密型医共体建设")
    exact = np.argsort(-(a.vectors @ query), kind="stable")[:5].tolist()
    assert [i for i, _ in a.dense_search(query, 5)] == exact
    assert [i for i, _ in b.dense_search(query, 5)][:3] == exact[:3]  # a graph this small is searched fully
    allowed = np.array([i for i, c in enumerate(b.chunks) if c.doc_id == SMALL_SEEDS[1]])
    assert {i for i, _ in b.dense_search(query, 3, allowed)} <= set(allowed.tolist())


def test_a_damaged_index_says_to_rebuild(corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder) -> None:
    build_index([corpus], tmp_path / "idx", toy_embedder)
    (load_index(tmp_path / "idx").path / "vectors.npy").unlink()
    with pytest.raises(IndexMismatchError, match=r"已损坏.*qa index --rebuild"):
        load_index(tmp_path / "idx")
    with pytest.raises(IndexMismatchError):
        build_index([corpus], tmp_path / "idx", toy_embedder)
    assert build_index([corpus], tmp_path / "idx", toy_embedder, rebuild=True).swapped
    assert len(load_index(tmp_path / "idx").documents()) == 2


def test_bm25_is_rebuilt_from_the_chunk_store_when_the_term_rules_changed(
    corpus: Path, tmp_path: Path, toy_embedder: ToyEmbedder
) -> None:
    build_index([corpus], tmp_path / "idx", toy_embedder)
    index = load_index(tmp_path / "idx")
    expected = index.bm25_search(["医联体"], 5)
    manifest_path = index.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "tokenizer": "older-rules"}), encoding="utf-8")
    shutil.rmtree(index.path / "bm25")
    assert expected and load_index(tmp_path / "idx").bm25_search(["医联体"], 5) == expected


def test_faiss_searches_on_one_thread_and_a_build_restores_it(corpus: Path, tmp_path: Path) -> None:
    import faiss

    assert os.environ.get("QA_FAISS_THREADS", "1") == "1"  # the default this test checks
    assert faiss.omp_get_max_threads() == 1
    build_index([corpus], tmp_path / "idx", ToyEmbedder(), hnsw_threshold=5)
    assert faiss.omp_get_max_threads() == 1


def _bm25_from_strings(chunks: list) -> object:
    """The reference: bm25s over term strings, as the index built BM25 before term ids were cached."""
    import bm25s

    from qa.index.tokenize import tokenize

    bm25 = bm25s.BM25()
    bm25.index([tokenize(c.indexed_text) for c in chunks], show_progress=False)
    return bm25


BM25_QUERIES = (
    "托育机构",
    "医联体建设",
    "家庭医生签约服务",
    "第20240182号",
    "流调队伍",
    "新增 县域医共体",
    "卫生健康局",
)


def test_an_incremental_build_ranks_bm25_as_a_full_rebuild_and_as_term_strings(corpus: Path, tmp_path: Path) -> None:
    from qa.index.tokenize import tokenize

    build_index([corpus], tmp_path / "inc", ToyEmbedder())
    changed = corpus / SMALL_SEEDS[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n新增：全面推进紧密型县域医共体建设。\n", "utf-8")
    shutil.copy(SEEDS_DIR / "003_7d96d5533ae081cc.txt", corpus / "003_7d96d5533ae081cc.txt")
    (corpus / SMALL_SEEDS[0]).unlink()
    assert build_index([corpus], tmp_path / "inc", ToyEmbedder()).swapped  # ids from the cache + new ones
    build_index([corpus], tmp_path / "full", ToyEmbedder(), rebuild=True)  # a cache of its own, from scratch
    inc, full = load_index(tmp_path / "inc"), load_index(tmp_path / "full")
    assert [c.chunk_id for c in inc.chunks] == [c.chunk_id for c in full.chunks]
    reference = _bm25_from_strings(inc.chunks)
    assert len(inc.bm25.vocab_dict) == len(reference.vocab_dict)  # terms of removed files are not carried
    for query in BM25_QUERIES:
        terms = tokenize(query)
        expected = np.asarray(reference.get_scores(terms), dtype=np.float32)
        assert expected.max() > 0, query
        np.testing.assert_allclose(inc.bm25.get_scores(terms), expected, rtol=1e-6)
        np.testing.assert_allclose(full.bm25.get_scores(terms), expected, rtol=1e-6)
        assert inc.bm25_search(terms, 10) == full.bm25_search(terms, 10)
