"""The 起草答复 tab: precedents and a reply draft for a new proposal, and the (edited) draft as a .docx."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import gradio as gr

from qa.errors import QAError
from qa.records import Draft
from qa.web import format as fmt
from qa.web.notify import info, warn
from qa.web.service import Service


def _docx_path(stem: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="qa-draft-"))
    clean = re.sub(r'[\\/:*?"<>|\s]+', "", stem)[:40] or "答复草稿"
    return folder / f"{clean}_答复草稿.docx"


def make_draft(service: Service):
    def draft(
        title: str, proposers: str, kind: str, meeting: str, number: str, body: str, request: gr.Request
    ) -> tuple[str, str, str, str | None, Draft | None]:
        """Find precedents and draft a reply; returns precedents HTML, draft text, notes, .docx path, state."""
        from qa.draft.compose import draft_reply, find_precedents, make_proposal, write_docx

        try:
            service.guard.check(request, "draft")
        except QAError as err:
            warn(str(err))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
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
            warn(f"请填写提案标题或正文（{err}）")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            retriever = service.retriever
            result = draft_reply(proposal, retriever=retriever, generator=service.generator, settings=service.settings)
            precedents = result.precedents or find_precedents(proposal, retriever=retriever, k=5)
            path = _docx_path(proposal.title)
            write_docx(result, path)
        except QAError as err:
            warn(str(err))
            return fmt.sources_placeholder(str(err)), "", "", None, None
        service.guard.record("draft", request, target=proposal.title[:200], detail=f"先例 {len(precedents)} 篇")
        return fmt.precedents_html(precedents), result.text, fmt.draft_notes_markdown(result), str(path), result

    return draft


def export_docx(text: str, state: Draft | None, title: str) -> tuple[str | None, str]:
    """Write the (edited) draft text to a fresh .docx; returns its path and the updated notes."""
    from qa.draft.compose import write_docx

    if not (text or "").strip():
        warn("草稿为空，请先生成草稿。")
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
        warn(str(err))
        return None, gr.skip()
    info("已按编辑后的内容生成 Word 文档。")
    return str(path), fmt.draft_notes_markdown(edited, text)
