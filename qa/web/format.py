"""Pure formatting for the Gradio app: answers, citations, precedents and documents as HTML/Markdown/rows."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from qa.records import Answer, Chunk, Citation, DocMeta, Draft, Hit, Precedent
from qa.web.files import source_link

_MARKER = re.compile(r"\[(\d{1,3})\]")
# Placeholders a person still has to fill in: 〔…〕 as qa.draft.compose writes them, plus 【…】 and ＿＿＿ people type.
_PLACEHOLDER = re.compile(r"〔[^〔〕\n]{0,40}〕|【[^】\n]{0,40}】|[_＿]{3,}")

# ASCII punctuation with a meaning in Markdown, GFM (tables, strikethrough, autolinks: ':' '@' '.') or math ('$').
# '&' and ';' are left alone: html.escape has already turned every '&' of the text into '&amp;'.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:@$=^])")
# Indentation at the start of a line (four spaces make a Markdown code block); full-width spaces are not matched.
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)

DOC_COLUMNS = ["标题", "发文机关", "类别", "会议", "编号", "提出人", "日期", "来源文件"]
DOC_COLUMN_WIDTHS = ["30%", "14%", "7%", "12%", "7%", "10%", "8%", "12%"]
ALL = ""  # the filter value meaning "no restriction"
# Whether source cards link to the original file (qa.web.files' route): on once the app serves that route.
_OPEN_LINKS = {"on": False}


def enable_source_links(on: bool = True) -> None:
    """Make each source card link to its original file at the cited page (the app serves qa.web.files' route)."""
    _OPEN_LINKS["on"] = on


def escape_markdown(text: str) -> str:
    """Text from a document, a question or the model made inert for a Markdown message (the chatbot).

    HTML is escaped (``&``, ``<``, ``>``), then every ASCII punctuation mark Markdown or its extensions give a
    meaning to is backslash-escaped, so no link, image, autolink (``http://``, ``www.``, e-mail), emphasis,
    heading, list, table, code or math survives; leading indentation is dropped so no line becomes a code block.
    The page shows the same characters the text had.
    """
    return _escape_inline(_INDENT.sub("", text))


def _escape_inline(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def link_citations(text: str, numbers: Iterable[int]) -> str:
    """An answer as safe Markdown: its text escaped, its [n] markers turned into links to source n.

    Args:
        text: answer text with [n] markers, as the answer stage or the model wrote it (raw, unescaped).
        numbers: the citation numbers the answer really has (they need not be 1..len); other markers stay
            plain (escaped) text.

    Returns:
        Markdown/HTML for the chatbot: the only markup in it is the anchors ``#qa-src-n`` this function adds.
    """
    valid = set(numbers)
    text = _INDENT.sub("", text)
    out, pos = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in valid:
            continue
        out.append(_escape_inline(text[pos : m.start()]))
        out.append(f'<a class="qa-cite" href="#qa-src-{n}" title="查看来源 {n}">[{n}]</a>')
        pos = m.end()
    out.append(_escape_inline(text[pos:]))
    return "".join(out)


def question_markdown(question: str) -> str:
    """A person's question as the chatbot shows it: the text they typed, never markup."""
    return escape_markdown(question)


def partial_answer_markdown(text: str) -> str:
    """The answer as it streams in, before its citations are known: plain escaped text."""
    return escape_markdown(text)


def notice_markdown(message: str) -> str:
    """An error or interruption shown in place of an answer, in the refusal style.

    The message is kept on one line: a line starting with <div> opens an HTML block that Markdown leaves alone
    up to the first blank line, so escaped HTML is exactly right inside it and a blank line must not end it early.
    """
    return f'<div class="qa-refusal">{html.escape(" ".join(message.split()))}</div>'


def highlight(passage: str, quote: str) -> str:
    """HTML of a passage with the supporting quote wrapped in <mark>; escaped, never raw text.

    The quote is located in the raw text and each of the three pieces is escaped on its own, so the only markup
    in the result is the <mark> pair: no tag of the passage survives and no entity is ever cut in two.

    The quote is matched exactly first, then ignoring whitespace (the cleaner and the verifier may
    disagree on spaces between Chinese characters); if it still is not found the passage is shown plain.
    """
    quote = quote.strip()
    if not quote:
        return html.escape(passage)
    start = passage.find(quote)
    if start >= 0:
        end = start + len(quote)
    else:
        start, end = _find_ignoring_space(passage, quote)
        if start < 0:
            return html.escape(passage)
    return (
        html.escape(passage[:start])
        + "<mark>"
        + html.escape(passage[start:end])
        + "</mark>"
        + html.escape(passage[end:])
    )


def _find_ignoring_space(passage: str, quote: str) -> tuple[int, int]:
    """Span of ``quote`` in ``passage`` when whitespace is ignored on both sides, else (-1, -1)."""
    positions = [i for i, ch in enumerate(passage) if not ch.isspace()]
    squashed = "".join(passage[i] for i in positions)
    target = "".join(quote.split())
    at = squashed.find(target) if target else -1
    if at < 0:
        return -1, -1
    return positions[at], positions[at + len(target) - 1] + 1


def meta_line(meta: DocMeta) -> str:
    """One escaped line of a document's identity: agency, kind, meeting, number, proposers, date."""
    parts = []
    if meta.agency:
        parts.append(f"发文机关：{meta.agency}")
    if meta.kind:
        parts.append(meta.kind)
    if meta.meeting:
        parts.append(meta.meeting)
    if meta.proposal_no:
        parts.append(f"第{meta.proposal_no}号")
    if meta.doc_no:
        parts.append(meta.doc_no)
    if meta.proposers:
        parts.append("提出人：" + "、".join(meta.proposers))
    if meta.date:
        parts.append(meta.date)
    return " · ".join(html.escape(p) for p in parts)


def _crumb(chunk: Chunk) -> str:
    # The first breadcrumb element is the document's name, already shown as the card title.
    return html.escape(" › ".join(chunk.breadcrumb[1:]))


def _card(n: int | None, chunk: Chunk, body_html: str, extra_class: str = "", origin: str = "") -> str:
    meta = chunk.meta
    badge = f'<span class="qa-src-n">[{n}]</span> ' if n is not None else ""
    anchor = f' id="qa-src-{n}"' if n is not None else ""
    crumb = _crumb(chunk)
    return (
        f'<div class="qa-src {extra_class}"{anchor}>'
        f'<div class="qa-src-head">{badge}<span class="qa-src-title">{html.escape(meta.display_title)}</span></div>'
        f'<div class="qa-src-meta">{meta_line(meta)}</div>'
        + (f'<div class="qa-src-crumb">章节：{crumb}</div>' if crumb else "")
        + f'<div class="qa-src-text">{body_html}</div>'
        f'<div class="qa-src-file">来源文件：{html.escape(meta.source or chunk.doc_id)}{_where(chunk)}</div>'
        + (f'<div class="qa-src-origin">来源：{html.escape(origin)}</div>' if origin else "")
        + "</div>"
    )


def _where(chunk: Chunk) -> str:
    """· 第3页〔OCR识别〕 · 打开原文 — the page, the OCR mark and the link, each only where it applies."""
    out = f' · <span class="qa-src-page">{html.escape(chunk.location)}</span>' if chunk.location else ""
    if _OPEN_LINKS["on"]:
        href = html.escape(source_link(chunk), quote=True)
        label = f"打开原文第{chunk.page}页" if chunk.page > 0 else "打开原文"
        out += f' · <a class="qa-src-open" href="{href}" target="_blank" rel="noopener noreferrer">{label}</a>'
    return out


def citations_html(citations: Sequence[Citation], origins: dict[str, str] | None = None) -> str:
    """The sources panel for an answer: one card per citation, the quote highlighted, its origin (官方文件 /
    上传：张三 · 日期) when ``origins`` (doc_id → label, qa.web.guard.Guard.doc_origins) is given."""
    if not citations:
        return sources_placeholder("这条回答没有引用来源。")
    origins = origins or {}
    cards = [
        _card(c.n, c.chunk, highlight(c.chunk.text, c.quote), origin=origins.get(c.chunk.doc_id, "")) for c in citations
    ]
    return f'<div class="qa-sources"><div class="qa-sources-title">引用来源（{len(cards)}）</div>{"".join(cards)}</div>'


def nearest_html(hits: Sequence[Hit], limit: int = 3) -> str:
    """The sources panel for a refusal: the nearest passages, clearly marked as not supporting an answer."""
    if not hits:
        return sources_placeholder("文档库中没有找到相关文档。")
    cards = [_card(None, h.chunk, html.escape(_clip(h.chunk.text, 220)), "qa-src-near") for h in hits[:limit]]
    return (
        '<div class="qa-sources"><div class="qa-sources-title qa-refused">'
        "未找到可直接回答的依据，以下是最接近的文档：</div>" + "".join(cards) + "</div>"
    )


def answer_sources_html(answer: Answer, origins: dict[str, str] | None = None) -> str:
    """Sources panel for any answer: citations (with their origins), or nearest documents when it was refused."""
    return nearest_html(answer.hits) if answer.refused else citations_html(answer.citations, origins)


def sources_placeholder(
    message: str = "提问后，回答引用的原文会显示在这里。点击回答中的 [n] 可定位到对应来源。",
) -> str:
    return f'<div class="qa-sources qa-empty">{html.escape(message)}</div>'


def answer_markdown(answer: Answer) -> str:
    """The chatbot text of a finished answer: linked markers, a refusal banner and a grounding note."""
    if answer.refused:
        return f'<div class="qa-refusal">无法根据现有文档回答</div>\n\n{escape_markdown(answer.text)}'
    text = link_citations(answer.text, (c.n for c in answer.citations))
    notes = []
    if answer.unsupported:
        notes.append(f"有 {len(answer.unsupported)} 句未能在引用原文中核实，请对照来源确认。")
    if notes:
        text += "\n\n" + "\n".join(f'<span class="qa-note">{_escape_inline(n)}</span>' for n in notes)
    return text


def backend_name(backend: str) -> str:
    """A person's name for the backend that wrote an answer or draft."""
    if backend == "extractive":
        return "离线抽取式"
    if backend.startswith("extractive (fallback"):
        return f"离线抽取式（大模型接口出错后自动回退：{backend.partition(':')[2].rstrip(')').strip()}）"
    return f"大模型 {backend}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def precedents_html(precedents: Sequence[Precedent]) -> str:
    """The precedent list of the drafting page: score, identity and the passages that matched."""
    if not precedents:
        return '<div class="qa-empty">没有找到相似的既往答复。</div>'
    items = []
    for i, p in enumerate(precedents, 1):
        passages = "".join(
            f'<div class="qa-prec-passage"><span class="qa-src-crumb">章节：{_crumb(c) or "正文"}</span>'
            f"<div>{html.escape(_clip(c.text, 260))}</div></div>"
            for c in p.matched_passages
        )
        items.append(
            '<div class="qa-src qa-prec">'
            f'<div class="qa-src-head"><span class="qa-src-n">{i}</span> '
            f'<span class="qa-src-title">{html.escape(p.meta.display_title)}</span>'
            f'<span class="qa-score">匹配得分 {p.score:.2f}</span></div>'
            f'<div class="qa-src-meta">{meta_line(p.meta)}</div>{passages}</div>'
        )
    title = f'<div class="qa-sources-title">相似的既往答复（{len(items)}）</div>'
    return f'<div class="qa-sources">{title}{"".join(items)}</div>'


def placeholders_in(text: str) -> list[str]:
    """The placeholders still present in a (possibly edited) draft, in order, without repeats."""
    seen: dict[str, None] = {}
    for m in _PLACEHOLDER.finditer(text):
        seen.setdefault(m.group(0), None)
    return list(seen)


def draft_notes_markdown(draft: Draft, text: str | None = None) -> str:
    """What a person must still do with a draft: placeholders to fill and figures no source backs."""
    current = draft.text if text is None else text
    placeholders = placeholders_in(current) or list(draft.placeholders)
    lines = []
    if placeholders:
        # <code>, not backticks: a backtick inside a placeholder would end a code span early.
        lines.append("**待填写的占位符：** " + "　".join(f"<code>{_escape_inline(p)}</code>" for p in placeholders))
    if draft.unsupported:
        lines.append("**未能在既往答复中核实的句子（请核对数字与名称）：**")
        lines.extend(f"- {escape_markdown(s)}" for s in draft.unsupported)
    if draft.backend:
        lines.append(f"<small>生成方式：{_escape_inline(backend_name(draft.backend))}</small>")
    return "\n\n".join(lines) if lines else "草稿中没有待填写的占位符。"


def document_rows(documents: Iterable[tuple[str, DocMeta]]) -> list[list[str]]:
    """Rows of the library table, in DOC_COLUMNS order."""
    rows = []
    for doc_id, meta in documents:
        rows.append(
            [
                meta.display_title,
                meta.agency,
                meta.kind,
                meta.meeting,
                meta.proposal_no or meta.doc_no,
                "、".join(meta.proposers),
                meta.date,
                meta.source or doc_id,
            ]
        )
    return rows


def filter_choices(documents: Iterable[tuple[str, DocMeta]]) -> dict[str, list[str]]:
    """Distinct agencies, kinds and years of the indexed documents, for the filter dropdowns."""
    agencies: set[str] = set()
    kinds: set[str] = set()
    years: set[str] = set()
    for _doc_id, meta in documents:
        if meta.agency:
            agencies.add(meta.agency)
        if meta.kind:
            kinds.add(meta.kind)
        if meta.year:
            years.add(meta.year)
    return {"agency": sorted(agencies), "kind": sorted(kinds), "year": sorted(years, reverse=True)}


def dropdown_choices(everything: str, values: Iterable[str]) -> list[tuple[str, str]]:
    """(label, value) choices of a filter dropdown: ``everything`` (the value ALL) first, then each value."""
    return [(everything, ALL)] + [(v, v) for v in values]


def index_status_markdown(manifest: dict[str, Any], n_docs: int, n_chunks: int) -> str:
    """The library page's index status: documents, chunks, embedder, last build time."""
    embedder = manifest.get("embedder") or manifest.get("embedder_name") or "?"
    if isinstance(embedder, dict):
        embedder = f"{embedder.get('name', '?')}（{embedder.get('dim', '?')} 维）"
    built = str(manifest.get("built_at") or "?")
    with contextlib.suppress(ValueError):  # anything unparsable is shown as written
        built = datetime.fromisoformat(built).astimezone().strftime("%Y-%m-%d %H:%M")
    files = manifest.get("files")
    n_files = len(files) if isinstance(files, dict | list) else "?"
    return (
        f"**索引状态：** {n_docs} 篇文档 · {n_chunks} 个片段 · {n_files} 个文件 · "
        f"嵌入模型 <code>{_escape_inline(str(embedder))}</code> · 最近构建 {_escape_inline(built)}"
    )


# ---------------------------------------------------------------- page styling

CSS = """
.gradio-container { max-width: 1400px !important; }
#qa-header h1 { margin: 0; font-size: 1.6rem; }
#qa-header p { margin: .2rem 0 0; color: var(--body-text-color-subdued); }
#qa-status { font-size: .9rem; padding: .4rem .8rem; border-radius: 6px; background: var(--background-fill-secondary); }
.qa-sources { max-height: 640px; overflow-y: auto; padding-right: 4px; }
.qa-sources-title { font-weight: 600; margin-bottom: .5rem; }
.qa-src { border: 1px solid var(--border-color-primary); border-left: 4px solid #1d4ed8; border-radius: 6px;
          padding: .6rem .8rem; margin-bottom: .6rem; background: var(--background-fill-primary); }
.qa-src-near { border-left-color: #9ca3af; }
.qa-src.qa-flash { box-shadow: 0 0 0 3px #f59e0b; }
.qa-src-n { font-weight: 700; color: #1d4ed8; }
.qa-src-title { font-weight: 600; }
.qa-src-meta, .qa-src-file { font-size: .82rem; color: var(--body-text-color-subdued); margin-top: .15rem; }
.qa-src-origin { font-size: .82rem; color: #92400e; margin-top: .15rem; }
.qa-src-crumb { font-size: .82rem; color: #374151; margin-top: .15rem; }
.qa-src-text { margin-top: .4rem; line-height: 1.7; white-space: pre-wrap; }
.qa-src-text mark { background: #fde68a; padding: 0 2px; border-radius: 2px; }
.qa-score { float: right; font-size: .8rem; color: #047857; }
.qa-prec-passage { margin-top: .4rem; padding-top: .3rem; border-top: 1px dashed var(--border-color-primary);
                   font-size: .9rem; line-height: 1.6; }
.qa-refusal { color: #92400e; background: #fffbeb; border-left: 4px solid #f59e0b; padding: .3rem .6rem;
               font-weight: 600; border-radius: 4px; }
#qa-examples-label { margin: .2rem 0 -.4rem; font-size: .85rem; color: var(--body-text-color-subdued); }
.qa-refused { color: #b45309; }
.qa-empty { color: var(--body-text-color-subdued); padding: 1rem; }
a.qa-cite { text-decoration: none; font-weight: 600; color: #1d4ed8; padding: 0 1px; }
.qa-note { font-size: .85rem; color: #6b7280; }
#qa-draft textarea { font-size: 1rem; line-height: 1.8; }
"""

# [n] in an answer scrolls the sources panel to card n instead of following the link.
HEAD = """
<script>
document.addEventListener('click', function (e) {
  const a = e.target.closest && e.target.closest('a.qa-cite');
  if (!a) return;
  e.preventDefault();
  const id = (a.getAttribute('href') || '').slice(1);
  setTimeout(function () {
    const el = document.getElementById(id);
    if (!el) return;
    el.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    el.classList.add('qa-flash');
    setTimeout(function () { el.classList.remove('qa-flash'); }, 1600);
  }, 250);
}, true);
</script>
"""
