"""Serve first, embed after: a text-only build goes live at once, the background embedder swaps vectors in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL_SEEDS, FailingEmbedder, ToyEmbedder

from qa.index.build import build_index
from qa.index.sentences import index_sentences, sentence_vectors
from qa.index.store import POINTER, STATUS_FILE, current_version, embedding_cache_root, load_index
from qa.index.worker import BackgroundEmbedder, describe_status, embed_pending, file_progress, read_status
from qa.retrieve import Retriever


def test_a_text_only_build_is_searchable_by_bm25_before_any_vector(corpus: Path, tmp_path: Path) -> None:
    embedder = ToyEmbedder()
    report = build_index([corpus], tmp_path / "idx", embedder, embed=False)
    assert report.swapped and report.pending == report.chunks > 0 and embedder.calls == 0
    index = load_index(tmp_path / "idx")
    assert index.embedded_count == 0 and index.manifest["embedded_count"] == 0
    retriever = Retriever(index, embedder)
    assert retriever.search("紧密型医疗联合体", 3, mode="dense") == []
    hits = retriever.search("紧密型医疗联合体", 3)  # hybrid: BM25 alone until vectors come
    assert hits and all(h.retrievers == ("bm25",) or "number" in h.retrievers for h in hits)
    status = read_status(tmp_path / "idx")
    assert (status["embedded"], status["total"], status["state"]) == (0, report.chunks, "idle")
    assert "向量化未在运行" in describe_status(status)


def test_embedding_after_serving_gives_the_index_a_full_build_gives(corpus: Path, tmp_path: Path) -> None:
    build_index([corpus], tmp_path / "full", ToyEmbedder())
    build_index([corpus], tmp_path / "late", ToyEmbedder(), embed=False)
    done = embed_pending(tmp_path / "late", ToyEmbedder(), batch_size=3)
    full, late = load_index(tmp_path / "full"), load_index(tmp_path / "late")
    assert done == len(late.chunks) and late.embedded is None and late.embedded_count == len(late.chunks)
    assert [c.chunk_id for c in full.chunks] == [c.chunk_id for c in late.chunks]
    np.testing.assert_allclose(full.vectors, late.vectors)
    query = ToyEmbedder().embed_query("社区卫生服务中心")
    assert full.dense_search(query, 5) == late.dense_search(query, 5)
    status = read_status(tmp_path / "late")
    assert status["state"] == "done" and status["embedded"] == status["total"]
    # With every vector in, a build with embed=True has nothing to do and a text-only build neither.
    assert not build_index([corpus], tmp_path / "late", ToyEmbedder()).swapped
    assert not build_index([corpus], tmp_path / "late", ToyEmbedder(), embed=False).swapped


def test_dense_search_covers_only_the_rows_that_have_vectors(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus / SMALL_SEEDS[0]], index_dir, ToyEmbedder())  # the first file's vectors are cached
    build_index([corpus], index_dir, ToyEmbedder(), embed=False)
    index = load_index(index_dir)
    assert 0 < index.embedded_count < len(index.chunks)
    rows = np.flatnonzero(index.embedded)
    query = ToyEmbedder().embed_query("医疗联合体 卫生")
    expected = rows[np.argsort(-(index.vectors[rows] @ query), kind="stable")][:5]
    assert [r for r, _ in index.dense_search(query, 5)] == expected.tolist()
    every = np.arange(len(index.chunks))
    assert {r for r, _ in index.dense_search(query, 100, every)} <= set(rows.tolist())
    progress = file_progress(index)
    first, second = (str((corpus / n).resolve()) for n in SMALL_SEEDS)
    assert progress[first][0] == progress[first][1] > 0 and progress[second][0] == 0 < progress[second][1]


def test_a_crash_mid_embedding_keeps_the_served_index_and_resumes_from_the_cache(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus], index_dir, ToyEmbedder(), embed=False)
    total = len(load_index(index_dir).chunks)
    with pytest.raises(RuntimeError, match="embedder died"):
        embed_pending(index_dir, FailingEmbedder(fail_on_call=3), batch_size=2)
    assert load_index(index_dir).embedded_count == 0  # nothing swapped in; the text-only version still serves
    status = json.loads((index_dir / STATUS_FILE).read_text(encoding="utf-8"))
    assert status["state"] == "failed" and "embedder died" in status["error"]
    assert read_status(index_dir)["state"] == "failed"
    resumed = ToyEmbedder()
    assert embed_pending(index_dir, resumed, batch_size=2) == total - 4  # two batches of 2 were cached
    assert load_index(index_dir).embedded_count == total


def test_a_kill_at_the_vector_swap_leaves_the_text_only_version_live(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus], index_dir, ToyEmbedder(), embed=False)
    version = current_version(index_dir)
    real_replace = os.replace

    def killed_at_pointer(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == POINTER:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr("qa.index.write.os.replace", killed_at_pointer)
    with pytest.raises(KeyboardInterrupt):
        embed_pending(index_dir, ToyEmbedder())
    monkeypatch.setattr("qa.index.write.os.replace", real_replace)
    assert current_version(index_dir) == version and load_index(index_dir).embedded_count == 0
    restarted = ToyEmbedder()
    assert embed_pending(index_dir, restarted) == 0 and restarted.calls == 0  # all in the cache already
    assert load_index(index_dir).embedded is None


def test_the_background_thread_embeds_what_each_build_adds(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus / SMALL_SEEDS[0]], index_dir, ToyEmbedder(), embed=False)
    worker = BackgroundEmbedder(index_dir, ToyEmbedder).start()
    try:
        assert worker.wait_idle(60)
        assert load_index(index_dir).embedded is None
        build_index([corpus], index_dir, ToyEmbedder(), embed=False)  # an upload: text first
        assert load_index(index_dir).embedded is not None
        worker.kick()
        assert worker.wait_idle(60)
        index = load_index(index_dir)
        assert index.embedded is None and len(index.documents()) == 2
        # then the sentences the answer stage compares with questions, into the same cache folder
        store = sentence_vectors(embedding_cache_root(index_dir), ToyEmbedder.name, ToyEmbedder.dim)
        assert len(store) > 0 and store.missing(index_sentences(index.chunks)) == []
    finally:
        worker.stop()


def test_a_chunk_waiting_for_its_vector_is_not_outranked_for_lacking_one(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus / SMALL_SEEDS[0]], index_dir, ToyEmbedder())
    build_index([corpus], index_dir, ToyEmbedder(), embed=False)  # the second file is BM25-only for now
    retriever = Retriever(load_index(index_dir), ToyEmbedder(), match_numbers=False)
    bm25_top = retriever.search("咸宁市卫生健康委员会 许国欣代表", 1, mode="bm25")[0]
    assert bm25_top.chunk.doc_id == SMALL_SEEDS[1]
    hybrid_top = retriever.search("咸宁市卫生健康委员会 许国欣代表", 1)[0]
    assert hybrid_top.chunk.chunk_id == bm25_top.chunk.chunk_id and hybrid_top.retrievers == ("bm25",)


@pytest.mark.parametrize("hnsw_threshold", [0, 50_000])
def test_faiss_search_over_a_partly_embedded_index_maps_ids_back_to_rows(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hnsw_threshold: int
) -> None:
    index_dir = tmp_path / "idx"
    build_index([corpus / SMALL_SEEDS[0]], index_dir, ToyEmbedder(), hnsw_threshold=hnsw_threshold)
    build_index([corpus], index_dir, ToyEmbedder(), embed=False, hnsw_threshold=hnsw_threshold)
    index = load_index(index_dir)
    assert index.manifest["dense"] == ("hnsw" if hnsw_threshold == 0 else "flat")
    monkeypatch.setattr("qa.index.store.SMALL_FILTER", 0)  # through FAISS (ids of embedded rows only), not numpy
    rows = np.flatnonzero(index.embedded)
    query = ToyEmbedder().embed_query("医疗联合体 卫生")
    expected = rows[np.argsort(-(index.vectors[rows] @ query), kind="stable")][:5].tolist()
    assert [r for r, _ in index.dense_search(query, 5)] == expected
    every_other = np.arange(0, len(index.chunks), 2)
    allowed = sorted(set(every_other.tolist()) & set(rows.tolist()))
    want = sorted(allowed, key=lambda r: -float(index.vectors[r] @ query))[:3]
    assert [r for r, _ in index.dense_search(query, 3, every_other)] == want
