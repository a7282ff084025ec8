"""Retrieval: question checks, filters, fusion, number rules, references (numpy, rank_bm25) and the real seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS_DIR, ToyEmbedder
from langchain_core.retrievers import BaseRetriever
from rank_bm25 import BM25Okapi

from qa.config import Settings
from qa.errors import QuestionError
from qa.index.build import build_index
from qa.index.store import load_index
from qa.index.tokenize import tokenize
from qa.records import Chunk, DocMeta
from qa.retrieve import (
    Filters,
    HybridRetriever,
    Retriever,
    check_question,
    document_to_hit,
    open_retriever,
    proposal_number_matches,
    rrf,
)

# ------------------------------------------------------------------------------------------------ pure functions


def test_check_question_strips_and_limits() -> None:
    assert check_question("  托育机构有哪些？ \n") == "托育机构有哪些？"
    with pytest.raises(QuestionError, match="问题为空"):
        check_question("   ")
    with pytest.raises(QuestionError, match=r"10000 个字.*2000"):
        check_question("问" * 10_000, 2000)
    assert check_question("问" * 50, 50) == "问" * 50


def test_filters_validate_their_values() -> None:
    with pytest.raises(QuestionError, match="四位数字"):
        Filters(year="24")
    with pytest.raises(QuestionError, match="政协提案"):
        Filters(kind="通知")
    assert Filters().empty and not Filters(agency="江夏").empty
    assert Filters(doc_ids=["a"]).doc_ids == ("a",)


def test_filters_match_on_metadata() -> None:
    meta = DocMeta(agency="武汉市江夏区卫生健康局", kind="政协提案", date="2024-06-01")
    chunk = Chunk("c1", "d1", ("d",), "text", meta)
    assert Filters(agency="江夏", year="2024", kind="政协提案", doc_ids=("d1",)).matches(chunk)
    assert not Filters(agency="江汉").matches(chunk)
    assert not Filters(year="2021").matches(chunk)
    assert not Filters(kind="人大建议").matches(chunk)
    assert not Filters(doc_ids=("d2",)).matches(chunk)


def test_each_retrievers_best_stay_among_the_fused_hits() -> None:
    from qa.retrieve import _keep_each_legs_best

    # row 9 is BM25's second and missing from dense: fusion ranks it below rows both legs found
    lists = {
        "dense": [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)],
        "bm25": [(1, 9.0), (9, 8.0), (2, 7.0), (3, 6.0), (4, 5.0)],
    }
    fused = rrf(lists, weights={"dense": 1.0, "bm25": 1.5})
    assert 9 not in [i for i, _, _ in fused[:3]]
    kept = _keep_each_legs_best(fused, lists, 3)
    assert [i for i, _, _ in kept[:3]] == [1, 2, 9] and sorted(i for i, _, _ in kept) == sorted(i for i, _, _ in fused)
    assert _keep_each_legs_best(fused, lists, 5) == fused  # already among the first 5
    assert _keep_each_legs_best(fused, lists, 2) == fused  # too few places to give one up


def test_rrf_adds_reciprocal_ranks() -> None:
    fused = rrf({"dense": [(1, 0.9), (2, 0.8)], "bm25": [(2, 7.0), (3, 5.0)]}, k=60)
    assert [row for row, _, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[0][2] == ("dense", "bm25") and fused[1][2] == ("dense",)
    weighted = rrf({"dense": [(1, 0.9)], "bm25": [(3, 5.0)]}, weights={"bm25": 2.0}, k=60)
    assert [row for row, _, _ in weighted] == [3, 1]


@pytest.mark.parametrize(
    ("asked", "printed", "expected"),
    [
        ("182", "20240182", True),
        ("20240182", "20240182", True),
        ("68", "068", True),
        ("068", "068", True),
        ("3", "3", True),
        ("18", "20240182", False),
        ("2024", "20240182", False),
        ("3-2-017", "3-2-017", True),  # a number with dashes, as written
        ("3-2-017", "20240182", False),
        ("17", "3-2-017", False),
        ("182", "", False),
    ],
)
def test_proposal_number_matches(asked: str, printed: str, expected: bool) -> None:
    assert proposal_number_matches(asked, printed) is expected


# ------------------------------------------------------------------------------------------------ toy index


@pytest.fixture
def toy_retriever(tmp_path: Path) -> Retriever:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("001_884f6c705b95b4c7.txt", "002_1f72599712e05cfe.txt", "003_7d96d5533ae081cc.txt"):
        shutil.copy(SEEDS_DIR / name, folder / name)
    build_index([folder], tmp_path / "idx", ToyEmbedder())
    return Retriever(load_index(tmp_path / "idx"), ToyEmbedder())


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filters_apply_before_the_top_k_cut(toy_retriever: Retriever, mode: str) -> None:
    # 流调 is about 003 (武昌); restricted to 001 (江汉) we still get k hits, all from 001.
    hits = toy_retriever.search("流调队伍", 3, filters=Filters(agency="江汉"), mode=mode)
    # BM25 drops chunks that share no term with the query; dense always fills k.
    assert 1 <= len(hits) <= 3 and (mode == "bm25" or len(hits) == 3)
    assert {h.chunk.doc_id for h in hits} == {"001_884f6c705b95b4c7.txt"}
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_unfiltered_search_finds_the_topic(toy_retriever: Retriever) -> None:
    hits = toy_retriever.search("精准流调队伍", 3)
    assert hits[0].chunk.doc_id == "003_7d96d5533ae081cc.txt"
    assert "bm25" in hits[0].retrievers and "dense" in hits[0].retrievers


def test_search_rejects_bad_arguments(toy_retriever: Retriever) -> None:
    with pytest.raises(QuestionError):
        toy_retriever.search("")
    with pytest.raises(QuestionError, match="上限 2000"):
        toy_retriever.search("问" * 10_000)
    with pytest.raises(ValueError, match="k must be"):
        toy_retriever.search("托育", 0)
    with pytest.raises(ValueError, match="mode"):
        toy_retriever.search("托育", mode="sparse")


def test_a_filter_nothing_matches_gives_no_hits(toy_retriever: Retriever) -> None:
    assert toy_retriever.search("托育", 5, filters=Filters(agency="不存在的机关")) == []


def _named_by_scan(index: object, query: str) -> list[str]:
    """named_documents as it was before its table was precomputed: a pass over index.documents() per query."""
    from qa.retrieve import NAMED_NUMBER_RE, _norm_doc_no

    q = _norm_doc_no(query)
    named: list[str] = []
    for doc_id, meta in index.documents():  # type: ignore[attr-defined]
        if meta.doc_no and _norm_doc_no(meta.doc_no) in q:
            named.append(doc_id)
            q = q.replace(_norm_doc_no(meta.doc_no), " ")
    numbers = NAMED_NUMBER_RE.findall(q)
    for doc_id, meta in index.documents() if numbers else []:  # type: ignore[attr-defined]
        if doc_id not in named and any(proposal_number_matches(n, meta.proposal_no) for n in numbers):
            named.append(doc_id)
    for doc_id, meta in index.documents():  # type: ignore[attr-defined]
        people = [*meta.proposers, *(person for _, person, _ in meta.contacts)]
        if doc_id not in named and any(len(p) >= 2 and "*" not in p and p in query for p in people):
            named.append(doc_id)
    return named


def test_named_documents_table_agrees_with_a_scan_of_every_document(toy_retriever: Retriever) -> None:
    docs = toy_retriever.index.documents()
    queries = ["托育机构有哪些", "6月30号的会议", "第 3 号", "第999号提案"]
    for _, meta in docs:
        if meta.doc_no:
            queries += [meta.doc_no, f"{meta.doc_no}的答复", meta.doc_no.replace("〔", "[").replace("〕", "]")]
        if meta.proposal_no:
            queries += [f"第{meta.proposal_no}号", f"{int(meta.proposal_no[-4:])}号提案说了什么"]
        queries += [f"{p}委员那个提案的文号" for p in meta.proposers]
    assert any(meta.doc_no for _, meta in docs) and any(meta.proposal_no for _, meta in docs)
    named_any = 0
    for query in queries:
        expected = _named_by_scan(toy_retriever.index, query)
        assert toy_retriever.named_documents(query) == expected, query
        named_any += bool(expected)
    assert named_any >= 3  # the queries did name documents, so the comparison covered the matching paths


def test_open_retriever_caches_until_the_index_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toy = ToyEmbedder()
    monkeypatch.setattr("qa.retrieve.get_embedder", lambda _spec: toy)
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEEDS_DIR / "002_1f72599712e05cfe.txt", folder)
    build_index([folder], tmp_path / "idx", toy)
    settings = Settings(index_dir=tmp_path / "idx", max_question_chars=30)
    first = open_retriever(settings)
    assert open_retriever(settings) is first
    with pytest.raises(QuestionError, match="上限 30"):
        first.search("问" * 31)
    shutil.copy(SEEDS_DIR / "001_884f6c705b95b4c7.txt", folder)
    build_index([folder], tmp_path / "idx", toy)
    second = open_retriever(settings)
    assert second is not first and len(second.index.documents()) == 2
    assert len(first.index.documents()) == 1  # a reader holding the old one keeps it


def test_open_retriever_searches_through_the_backend_the_settings_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("qdrant_client")
    from qa.config import load_settings
    from qa.errors import ConfigError
    from qa.index.backends import BackendIndex

    toy = ToyEmbedder()
    monkeypatch.setattr("qa.retrieve.get_embedder", lambda _spec: toy)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("001_884f6c705b95b4c7.txt", "002_1f72599712e05cfe.txt"):
        shutil.copy(SEEDS_DIR / name, folder)
    build_index([folder], tmp_path / "idx", toy)
    plain = open_retriever(Settings(index_dir=tmp_path / "idx"))
    env = {"QA_INDEX_DIR": str(tmp_path / "idx"), "QA_VECTOR_BACKEND": "qdrant"}
    settings = load_settings(config_file=tmp_path / "none.toml", env=env)
    assert settings.vector_backend == "qdrant"
    backed = open_retriever(settings)
    assert isinstance(backed.index, BackendIndex) and backed.index.backend.name == "qdrant"
    assert not isinstance(plain.index, BackendIndex)
    for query in ("医联体建设", "068号建议的答复"):
        for mode in ("dense", "hybrid"):
            expected = [h.chunk.chunk_id for h in plain.search(query, 5, mode=mode)]
            assert [h.chunk.chunk_id for h in backed.search(query, 5, mode=mode)] == expected
    with pytest.raises(ConfigError, match=r"QA_VECTOR_BACKEND.*'pinecone'"):
        load_settings(config_file=tmp_path / "none.toml", env={**env, "QA_VECTOR_BACKEND": "pinecone"})


# ------------------------------------------------------------------------------------------------ real seeds


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "doc_id"),
    [
        ("第20240182号提案的答复", "000_ecc1ee3b3577c818.txt#6"),
        ("182号提案说了什么", "000_ecc1ee3b3577c818.txt#6"),
        ("80号提案是谁提的", "000_ecc1ee3b3577c818.txt#1"),
        ("068号建议的答复", "002_1f72599712e05cfe.txt"),
        ("江卫函〔2024〕22号", "001_884f6c705b95b4c7.txt"),
        ("第154号提案", "003_7d96d5533ae081cc.txt"),
        ("严西委员那个提案是哪天答复的", "000_ecc1ee3b3577c818.txt#1"),  # by its proposer
        ("李玥经办的那份答复讲了什么", "000_ecc1ee3b3577c818.txt#5"),  # by its contact person
    ],
)
def test_a_query_naming_a_number_or_person_finds_that_document(
    seeds_retriever: Retriever, query: str, doc_id: str
) -> None:
    hits = seeds_retriever.search(query, 3)
    assert [h.chunk.doc_id for h in hits] == [doc_id] * 3


@pytest.mark.slow
def test_paraphrased_question_finds_the_passage(seeds_retriever: Retriever) -> None:
    hits = seeds_retriever.search("学生觉得中医的书太枯燥看不进去，有什么办法？", 5)
    assert any("手抄报" in h.chunk.text for h in hits)
    assert len({h.chunk.chunk_id for h in hits}) == 5


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_finds_the_childcare_reply(seeds_retriever: Retriever, mode: str) -> None:
    hits = seeds_retriever.search("托育机构 托位 不足", 5, mode=mode)
    assert hits and hits[0].chunk.doc_id == "000_ecc1ee3b3577c818.txt#5"
    assert all(h.retrievers[0] == mode for h in hits) or mode == "hybrid"


@pytest.mark.slow
def test_real_filters(seeds_retriever: Retriever) -> None:
    hits = seeds_retriever.search("医联体建设", 5, filters=Filters(kind="人大建议"))
    assert hits and {h.chunk.doc_id for h in hits} == {"002_1f72599712e05cfe.txt"}
    hits = seeds_retriever.search("医联体建设", 5, filters=Filters(year="2021"))
    assert hits and all(h.chunk.meta.year == "2021" for h in hits)
    hits = seeds_retriever.search("医联体建设", 5, filters=Filters(agency="江夏"))
    assert hits and all("江夏" in h.chunk.meta.agency for h in hits)


QUERIES = ["托育机构建设", "紧密型县域医共体", "中医药文化进校园", "家庭医生签约服务", "流调队伍", "心理健康干预"]


@pytest.mark.slow
def test_faiss_matches_brute_force_cosine(seeds_retriever: Retriever) -> None:
    index = seeds_retriever.index
    for query in QUERIES:
        q = seeds_retriever.embedder.embed_query(query)
        cosine = index.vectors @ q / np.linalg.norm(index.vectors, axis=1) / np.linalg.norm(q)
        expected = np.argsort(-cosine, kind="stable")[:10]
        got = index.dense_search(q, 10)
        assert [i for i, _ in got] == expected.tolist()
        np.testing.assert_allclose([s for _, s in got], cosine[expected], atol=1e-5)


@pytest.mark.slow
def test_bm25_agrees_with_rank_bm25(seeds_retriever: Retriever) -> None:
    index = seeds_retriever.index
    reference = BM25Okapi([tokenize(c.indexed_text) for c in index.chunks], k1=1.5, b=0.75)
    for query in QUERIES:
        terms = tokenize(query)
        ours = [i for i, _ in index.bm25_search(terms, 5)]
        theirs = np.argsort(-reference.get_scores(terms), kind="stable")[:5].tolist()
        # bm25s uses Lucene's IDF, rank_bm25 Robertson's: the same top hit, nearly the same top five.
        assert ours[0] == theirs[0], query
        assert len(set(ours) & set(theirs)) >= 4, query


@pytest.mark.slow
def test_langchain_retriever(seeds_retriever: Retriever) -> None:
    lc = HybridRetriever(retriever=seeds_retriever, k=4, filters=Filters(agency="咸宁"))
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("医联体体系建设")
    assert len(docs) == 4 and all(d.metadata["agency"] == "咸宁市卫生健康委员会" for d in docs)
    hit = document_to_hit(docs[0])
    assert hit.rank == 1 and hit.chunk.text == docs[0].page_content
    assert hit == seeds_retriever.search("医联体体系建设", 1, filters=Filters(agency="咸宁"))[0]


def test_a_repeated_question_is_embedded_once() -> None:
    from qa.retrieve import clear_query_vectors, query_vector

    class CountingEmbedder(ToyEmbedder):
        name = "counting-toy"

        def __init__(self) -> None:
            super().__init__()
            self.queries = 0

        def embed_query(self, text: str) -> np.ndarray:
            self.queries += 1
            return super().embed_query(text)

    clear_query_vectors()
    embedder = CountingEmbedder()
    first = query_vector(embedder, "托育机构 不足")
    again = query_vector(embedder, "  托育机构   不足 ")  # the same question, spaced differently
    assert embedder.queries == 1 and again is first and not first.flags.writeable
    query_vector(embedder, "另一个问题")
    assert embedder.queries == 2
