"""What every session of the web app shares: settings, the live index's retriever, the generator, build locks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import IndexMismatchError, IndexMissingError, QAError
from qa.records import DocMeta


class Service:
    """What all sessions share: settings, the open retriever and generator, and one lock for index writes.

    Queries read ``self.retriever`` once and keep that object for the whole answer: a rebuild swaps a new
    index version in on disk, and only the next query opens it, so a running query never sees it change.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._build_lock = threading.Lock()
        self._generator: Any = None
        self.feedback_lock = threading.Lock()

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

    def rebuild(self, *, progress: bool = True) -> Any:
        """Re-index seeds plus uploads (incremental by file hash; deleted files drop out). One build at a time."""
        from qa.index.build import build_index
        from qa.index.embed import get_embedder

        with self._build_lock:
            return build_index(
                self.source_paths(), self.settings.index_dir, get_embedder(self.settings.embed_model), progress=progress
            )

    def warm_up(self) -> None:
        """Load the index and the embedder model now, so the first official's question does not wait for them."""
        self.retriever.search("卫生健康", k=1)

    def backend_label(self) -> str:
        s = self.settings
        if s.llm_configured:
            return f"大模型接口 `{s.llm_model or '默认模型'}` @ {s.llm_base_url}"
        return "离线抽取式（不调用大模型，只摘录原文）"

    def status_line(self) -> str:
        try:
            idx = self.index()
            size = f"{len(idx.documents())} 篇文档 · {len(idx.chunks)} 个片段"
        except QAError as err:
            size = f"索引不可用：{err}"
        return f"**生成方式：** {self.backend_label()}　｜　**索引：** {size}"


def ensure_index(service: Service) -> None:
    """Build the index (console progress bar) when none exists or it was built with another embedder/format."""
    from qa.index.build import build_index
    from qa.index.embed import get_embedder
    from qa.index.store import check_embedder, load_index

    settings = service.settings
    embedder = get_embedder(settings.embed_model)
    try:
        check_embedder(load_index(settings.index_dir), embedder)
        return
    except IndexMissingError:
        print(f"索引不存在：正在从 {settings.seeds_dir} 构建（首次约需 1–2 分钟）…", flush=True)
        rebuild = False
    except IndexMismatchError as err:
        print(f"索引与当前设置不一致（{err}），正在按当前嵌入模型重新构建…", flush=True)
        rebuild = True
    report = build_index(service.source_paths(), settings.index_dir, embedder, rebuild=rebuild, progress=True)
    for error in report.errors:
        print(f"跳过无法读取的文件：{error}", flush=True)
