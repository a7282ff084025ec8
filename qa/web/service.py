"""What every session of the web app shares: settings, the live index's retriever, the generator, build locks,
and the background embedder that gives new text its vectors while the app already answers from BM25."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import IndexMismatchError, IndexMissingError, QAError
from qa.records import DocMeta
from qa.web.answer_cache import AnswerCache


class Service:
    """What all sessions share: settings, the open retriever and generator, and one lock for index writes.

    Queries read ``self.retriever`` once and keep that object for the whole answer: a rebuild swaps a new
    index version in on disk, and only the next query opens it, so a running query never sees it change.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.build_lock = threading.RLock()  # index writes of this process; the upload queue holds it around its swap
        self._generator: Any = None
        self.feedback_lock = threading.Lock()
        self.embedder_worker: Any = None  # qa.index.worker.BackgroundEmbedder once start_embedder ran
        self._guard: Any = None  # qa.web.guard.Guard, opened on first use
        self.answer_cache = AnswerCache()  # repeated questions, per index version (qa.web.answer_cache)
        self._upload_queue: Any = None  # qa.web.queue.UploadQueue, started on first use

    @property
    def guard(self) -> Any:
        """Users, roles, upload review and the audit log (qa.web.guard.Guard) over data_dir/qa.sqlite3."""
        if self._guard is None:
            from qa.web.guard import Guard

            self._guard = Guard(self.settings)
        return self._guard

    @property
    def upload_queue(self) -> Any:
        """The upload queue (qa.web.queue.UploadQueue): uploads become jobs run one at a time on its thread."""
        if self._upload_queue is None:
            from qa.web.queue import UploadQueue

            self._upload_queue = UploadQueue(self)
        return self._upload_queue

    @property
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    @property
    def retriever(self) -> Any:
        """The retriever of the live index version; open_retriever loads each version once per process."""
        from qa.retrieve import open_retriever

        return open_retriever(self.settings)

    @property
    def generator(self) -> Any:
        if self._generator is None:
            from qa.answer.generate import get_generator

            self._generator = get_generator(self.settings)
        return self._generator

    def index(self) -> Any:
        return self.retriever.index

    def documents(self) -> list[tuple[str, DocMeta]]:
        return list(self.index().documents())

    def source_paths(self) -> list[Path]:
        paths = [self.settings.seeds_dir]
        if self.uploads_dir.is_dir():
            paths.append(self.uploads_dir)
        return paths

    def rebuild(self, *, progress: bool = True, load_chunks: Any = None) -> Any:
        """Re-index seeds plus uploads (incremental by file hash; deleted files drop out). One build at a time.

        With the background embedder running, the new text goes live at once (BM25 and metadata) and the
        embedder is woken to add its vectors; without it, the build embeds before it swaps, as before.
        ``load_chunks`` (file → chunks) replaces the ingest pipeline: the upload queue passes the chunks it read.
        """
        from qa.index.build import build_index
        from qa.index.embed import get_embedder

        background = self.embedder_worker is not None
        with self.build_lock:
            report = build_index(
                self.source_paths(),
                self.settings.index_dir,
                get_embedder(self.settings.embed_model),
                progress=progress,
                embed=not background,
                **({"load_chunks": load_chunks} if load_chunks else {}),
            )
        if background and report.pending:
            self.embedder_worker.kick()
        return report

    def start_embedder(self, log: Any = print) -> Any:
        """Start the background embedder thread (idempotent); it embeds whatever the live index lacks."""
        from qa.index.embed import new_embedder
        from qa.index.worker import BackgroundEmbedder

        if self.embedder_worker is None:
            spec = self.settings.embed_model
            self.embedder_worker = BackgroundEmbedder(
                self.settings.index_dir, lambda: new_embedder(spec), log=lambda m: log(m, flush=True)
            ).start()
        return self.embedder_worker

    def embedding_status(self, manifest: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Embedded/total chunks, rate and time left (qa.index.worker.read_status); None without an index."""
        from qa.index.worker import read_status

        try:
            return read_status(self.settings.index_dir, manifest)
        except (QAError, OSError, ValueError):
            return None

    def warm_up(self) -> None:
        """Load the index, the embedder model and the part-of-speech tagger now, before any question and before
        the warm-up thread, so the first official's question does not wait for them.

        The tagger must be built here, on one thread: two threads building it at once (the warm-up thread and
        the first question) left the tagger the process kept without the domain words' tags (jieba moves them
        into the first tagger that runs), so 托位 was tagged x and an out-of-scope question was answered.
        """
        from qa.index.tokenize import pos_tokenizer

        self.retriever.search("卫生健康", k=1)
        pos_tokenizer().lcut("托位")  # the first lcut takes the domain words' tags into the tagger kept

    def warm_answers(self, questions: list[str]) -> None:
        """Answer the page's example questions once (on a background thread at start): the answer stage's tables
        load, and the examples' answers are cached, so clicking one answers in milliseconds.

        With a model configured the offline answerer does the warming (a model's answers would cost tokens): the
        first questions then wait only for the model (cold, 20 users at once each took ~8 s instead of ~1.5 s).
        """
        from qa.answer.chain import ask
        from qa.web.answer_cache import cached_ask

        for question in questions:
            try:
                if self.settings.llm_configured:
                    ask(question, retriever=self.retriever)
                else:
                    cached_ask(self.answer_cache, question, retriever=self.retriever, generator=self.generator)
            except Exception:  # warming is best effort; a real question reports its own error
                return

    def backend_label(self) -> str:
        s = self.settings
        if s.llm_configured:
            return f"大模型接口 `{s.llm_model or '默认模型'}` @ {s.llm_base_url}"
        return "离线抽取式（不调用大模型，只摘录原文）"

    def status_line(self) -> str:
        try:
            idx = self.index()
            size = f"{len(idx.documents())} 篇文档 · {len(idx.chunks)} 个片段"
            if idx.embedded_count < len(idx.chunks):
                size += f" · 向量 {idx.embedded_count}/{len(idx.chunks)}（其余先按关键词检索）"
        except QAError as err:
            size = f"索引不可用：{err}"
        return f"**生成方式：** {self.backend_label()}　｜　**索引：** {size}"


def ensure_index(service: Service) -> None:
    """Bring the index up to date with the seeds and uploads, text first: no embedding happens here.

    A missing index is built from the text in seconds (BM25 and metadata); one built with another embedder or
    format is rebuilt the same way. Chunks without a cached vector are left to the background embedder
    (Service.start_embedder), so the app serves at once.
    """
    from qa.index.build import build_index
    from qa.index.embed import get_embedder
    from qa.index.store import current_version

    settings = service.settings
    embedder = get_embedder(settings.embed_model)
    try:
        current_version(settings.index_dir)
    except IndexMissingError:
        print(f"索引不存在：正在从 {settings.seeds_dir} 读取文本并建立关键词索引（向量在后台计算）…", flush=True)
    try:
        report = build_index(service.source_paths(), settings.index_dir, embedder, progress=True, embed=False)
    except IndexMismatchError as err:
        print(f"索引与当前设置不一致（{err}），正在按当前嵌入模型重新构建…", flush=True)
        report = build_index(
            service.source_paths(), settings.index_dir, embedder, rebuild=True, progress=True, embed=False
        )
    for error in report.errors:
        print(f"跳过无法读取的文件：{error}", flush=True)
    if report.pending:
        print(f"{report.pending} 个片段尚无向量：先按关键词检索，后台向量化完成后自动切换为混合检索。", flush=True)
