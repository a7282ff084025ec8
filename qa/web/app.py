"""The Gradio app officials use: chat with citations, reply drafting and the document library, in Chinese.

This module lays out the page and wires its events to the handlers of qa.web.chat, qa.web.draft and
qa.web.library; it also parses the login users and serves the app (``python app.py`` / ``qa serve``).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence

import gradio as gr

from qa.config import Settings, load_settings
from qa.errors import QAError
from qa.ingest.read import SUPPORTED_SUFFIXES
from qa.web import add_serve_arguments
from qa.web import format as fmt
from qa.web.admin import make_admin_tab
from qa.web.chat import make_ask_api, make_chat, show_sources
from qa.web.conversations import make_conversation_panel
from qa.web.draft import export_docx, make_draft
from qa.web.feedback_admin import make_feedback_form, make_feedback_tab
from qa.web.files import source_route
from qa.web.library import STATE_COLUMN, make_library, make_queue_panel
from qa.web.register import make_register_tab
from qa.web.service import Service, ensure_index

EXAMPLES = [
    "江夏区如何推进中医药文化进校园？",
    "针对幼儿托育机构不足，区卫生健康局采取了哪些措施？",
    "东西湖区“十四五”期间每千人口执业（助理）医师数的目标是多少？",
    "如何提升基层医疗机构应对呼吸道感染疾病的能力？",
]


# Questions answered at once; the page's chat and /ask share these slots (concurrency_id "chat"), the rest
# queue. Offline answers are CPU work on 2 cores: 20 users at once answered with 2, 4 or 8 slots had the same
# p50 within the noise of a shared machine (docs/performance.md), so 4 stays. A model's answer mostly waits on
# its endpoint: with a 1-s stand-in endpoint, 16 slots answered 20 users at p50 ~2.0 s where 4 took ~3.7 s.
OFFLINE_ANSWER_SLOTS = 4
LLM_ANSWER_SLOTS = 16


def answer_slots(settings: Settings) -> int:
    """How many questions the app answers at once with this generator."""
    return LLM_ANSWER_SLOTS if settings.llm_configured else OFFLINE_ANSWER_SLOTS


# ---------------------------------------------------------------- layout

THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
    font_mono=["Noto Sans Mono CJK SC", "monospace"],
)


def build_app(service: Service) -> gr.Blocks:
    """The whole page: status line, then the 问答, 起草答复 and 文档库 tabs."""
    view, upload, delete, _uploaded_names, progress_view = make_library(service)
    answer_queue = {"concurrency_limit": answer_slots(service.settings), "concurrency_id": "chat"}
    try:  # the filters start with the index's own values, so API clients can use them too
        initial = fmt.filter_choices(service.documents())
    except QAError:
        initial = {"agency": [], "kind": [], "year": []}
    # delete_cache: gradio's copies of uploaded and generated files older than a day are removed every hour
    with gr.Blocks(title="卫生健康政务问答助手", delete_cache=(3600, 86400)) as demo:
        with gr.Column(elem_id="qa-header"):
            gr.Markdown(
                "# 卫生健康政务问答助手\n依据已公开的建议提案答复与规划文件回答问题、起草答复；每条回答标注出处。"
            )
        status = gr.Markdown(elem_id="qa-status")

        with gr.Tab("问答", id="chat"):
            with gr.Row():
                agency = gr.Dropdown(
                    label="发文机关",
                    choices=fmt.dropdown_choices("全部机关", initial["agency"]),
                    value=fmt.ALL,
                    scale=2,
                )
                kind = gr.Dropdown(label="类别", choices=fmt.dropdown_choices("全部类别", initial["kind"]), scale=1)
                year = gr.Dropdown(label="年份", choices=fmt.dropdown_choices("全部年份", initial["year"]), scale=1)
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
            feedback_form = make_feedback_form(service)  # hidden until a 👎: reason and correct passage
            conversations = make_conversation_panel(service, chatbot, answers, sources)

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

        with gr.Tab("办理台账", id="register"):
            make_register_tab(service)
        with gr.Tab("文档库", id="library"):
            lib_status = gr.Markdown()
            table = gr.Dataframe(
                headers=[*fmt.DOC_COLUMNS, "来源", STATE_COLUMN],
                column_widths=[*fmt.DOC_COLUMN_WIDTHS, "14%", "10%"],
                interactive=False,
                wrap=True,
                label="已索引文档",
                elem_id="qa-library",
            )
            with gr.Row(equal_height=False):
                with gr.Column():
                    files = gr.File(
                        label=f"上传文件（文本、网页、PDF、Word、图片，每个 ≤ {service.settings.upload_max_mb} MB）",
                        file_count="multiple",
                        file_types=list(SUPPORTED_SUFFIXES),
                        type="filepath",
                        elem_id="qa-upload",
                    )
                    up_btn = gr.Button("上传并索引", variant="primary")
                with gr.Column():
                    # Custom values allowed: another session may have uploaded the file; delete() checks the name.
                    del_choice = gr.Dropdown(
                        label="我可删除的上传文件", choices=[], value=None, allow_custom_value=True
                    )
                    del_btn = gr.Button("删除所选文件", variant="stop")
                    refresh = gr.Button("刷新")
            lib_msg = gr.Textbox(label="操作结果", interactive=False, lines=3)
            make_queue_panel(service)  # each upload's job: uploader, state, cancel

        with gr.Tab("反馈", id="feedback"):  # actions for admins only
            make_feedback_tab(service, is_admin=lambda request: service.guard.user(request).can("manage_users"))

        with gr.Tab("管理", id="admin"):
            admin = make_admin_tab(service)

        # ------------------------------------------------------------ events
        view_outputs = [table, lib_status, del_choice, agency, kind, year, status]
        demo.load(view, None, view_outputs, api_name="library")
        demo.load(admin["load"], None, admin["outputs"], api_visibility="private")
        demo.load(
            conversations["load"], [conversations["current"]], conversations["load_outputs"], api_visibility="private"
        )
        refresh.click(view, None, view_outputs, api_visibility="private")
        # While vectors are being computed the table's 状态 column and the status line follow them.
        shown = gr.State(None)  # the index version whose table this page shows
        gr.Timer(5.0).tick(
            progress_view, [shown], [table, lib_status, status, shown], api_visibility="private", queue=False
        )

        chat_io = ([question, chatbot, answers, agency, kind, year], [chatbot, sources, question, answers])
        respond = make_chat(service)
        saved = conversations["current"]
        persist = (conversations["persist"], [saved, answers], [saved, conversations["list"]])
        # Saving the turn is one SQLite write: it runs at once (queue=False), not behind other users' questions, so a
        # page reloaded right after the answer still finds its conversation under 我的对话.
        save = {"api_visibility": "private", "queue": False}
        question.submit(respond, *chat_io, api_name="chat", **answer_queue).then(*persist, **save)
        send.click(respond, *chat_io, api_visibility="private", **answer_queue).then(*persist, **save)
        for button, text in zip(example_buttons, EXAMPLES, strict=True):
            button.click(lambda t=text: t, None, question, api_visibility="private", queue=False).then(
                respond, *chat_io, api_visibility="private", **answer_queue
            ).then(*persist, **save)
        new_chat.click(
            lambda: ([], fmt.sources_placeholder(), "", {}),
            None,
            [chatbot, sources, question, answers],
            api_name="new_chat",
            queue=False,
        ).then(
            conversations["reset"], None, saved, api_visibility="private", queue=False
        )  # the next answer opens a new one
        chatbot.clear(lambda: (fmt.sources_placeholder(), {}), None, [sources, answers], api_visibility="private").then(
            conversations["reset"], None, saved, api_visibility="private", queue=False
        )
        chatbot.select(show_sources, [answers], sources, api_visibility="private")
        chatbot.like(
            feedback_form["on_like"],
            [answers],
            [feedback_form["box"], feedback_form["pending"]],
            api_visibility="private",
        )

        d_go.click(
            make_draft(service),
            [d_title, d_proposers, d_kind, d_meeting, d_number, d_body],
            [d_prec, d_text, d_notes, d_file, d_state],
            api_name="draft",
        )
        d_export.click(export_docx, [d_text, d_state, d_title], [d_file, d_notes], api_name="export_docx")

        # An upload waits for its job in the upload queue, which bounds and orders them (QA_UPLOAD_QUEUE_MAX); a
        # deletion does not wait behind it (the queue holds the build lock only for its swap).
        up_btn.click(upload, [files], [lib_msg, files, *view_outputs], api_name="upload", concurrency_id="upload",
                     concurrency_limit=service.settings.upload_queue_max + 1)  # fmt: skip
        del_btn.click(delete, [del_choice], [lib_msg, *view_outputs], api_name="delete", concurrency_id="index")
        gr.api(make_ask_api(service), api_name="ask", **answer_queue)
    return demo


# ---------------------------------------------------------------- running


def parse_users(users: str) -> list[tuple[str, str]] | None:
    """QA_USERS=user:pass[:role],… → (user, password) pairs; None when empty (roles: qa.web.auth.parse_users).

    Raises:
        ConfigError: for an entry without a colon or with an unknown role.
    """
    from qa.web.auth import parse_users as parse_accounts

    return [(name, password) for name, password, _role in parse_accounts(users)] or None


def serve(host: str = "127.0.0.1", port: int = 7860, share: bool = False, settings: Settings | None = None) -> int:
    """Build the index if needed, load it once, and serve the app until interrupted."""
    from starlette.middleware import Middleware

    from qa.web.limits import start_cleaner
    from qa.web.upload_limit import UploadLimitMessage, toast_script

    settings = settings or load_settings()
    service = Service(settings)
    login = service.guard.launch_options(host, share)  # throttled, audited login; warns on an open bind
    start_cleaner(settings)  # old drafts/exports in the temp folders, hourly
    started = time.perf_counter()
    ensure_index(service)  # text first: seconds, whatever the size of the archive's embedding backlog
    service.start_embedder()  # vectors for what has none, on a background thread, swapped in as they come
    service.warm_up()
    threading.Thread(target=service.warm_answers, args=(EXAMPLES,), name="qa-warm", daemon=True).start()
    print(service.status_line().replace("**", ""), flush=True)
    demo = build_app(service)
    # Gradio recomputes its monitoring summary (a pandas table of up to 10,000 past events) after every event:
    # 2–3.5 ms of app CPU a request (cached /ask: 6.3–8.5 → 4.0–4.9 ms), more as events pile up. The app shows
    # no monitoring page, so every 1,000 events is plenty.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    demo.queue(default_concurrency_limit=2)
    print(f"启动用时 {time.perf_counter() - started:.1f} 秒；打开 http://{host}:{port}", flush=True)
    fmt.enable_source_links()
    middleware = [
        *login["app_kwargs"].get("middleware", []),
        Middleware(UploadLimitMessage, limit_mb=settings.upload_max_mb),
    ]
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=login["auth"],
        auth_message=login["auth_message"],
        max_file_size=f"{settings.upload_max_mb}mb",
        theme=THEME,
        css=fmt.CSS,
        head=fmt.HEAD + toast_script(settings.upload_max_mb),  # gradio's file-size toast, in Chinese
        show_error=False,
        footer_links=[],
        prevent_thread_lock=True,
        # the cited-file route (qa/web/files.py), the middleware that gives the login check each client's address,
        # and the one that turns gradio's English HTTP 413 for a file over max_file_size into Chinese
        app_kwargs={"routes": [source_route(service)], **login["app_kwargs"], "middleware": middleware},
    )
    from qa.web.api import create_api

    guard = service.guard
    create_api(
        service,
        app=demo.app,
        login_configured=guard.login_on,
        audit=guard.audit.record,
        can_ask=lambda name: guard.authenticator.role_of(name).can("ask"),
    )  # /v1/chat/completions, /v1/models, /v1/search beside the page (docs/api.md)
    demo.block_thread()
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
