"""What a Draft rests on: its cited passages in order of first use, the spans of them it quotes, one 依据 line each.

Both views of a draft list these: the Markdown (qa.draft.compose.render_markdown) and the .docx appendix
(qa.draft.docx).
"""

from __future__ import annotations

import re

from qa.answer.verify import find_quote
from qa.records import Chunk, Draft

# What a person still has to fill in or check: 〔待填写：单位名称〕, 〔待核实：…〕. Never a claim of the draft.
PLACEHOLDER_RE = re.compile(r"〔[^〔〕]*〕")


def draft_sources(draft: Draft) -> list[Chunk]:
    """Every passage the draft rests on, numbered by first use (依据1 is the first)."""
    seen: dict[str, Chunk] = {}
    for section in draft.sections:
        for chunks in section.sources:
            for chunk in chunks:
                seen.setdefault(chunk.chunk_id, chunk)
    return list(seen.values())


def source_quotes(draft: Draft) -> dict[str, str]:
    """For each cited passage, the exact spans of it that the draft's paragraphs rest on (joined with …)."""
    spans: dict[str, list[str]] = {}
    for section in draft.sections:
        for paragraph, chunks in zip(section.paragraphs, section.sources, strict=True):
            for chunk in chunks:
                quote = find_quote(PLACEHOLDER_RE.sub("", paragraph), chunk)
                if quote and quote not in spans.setdefault(chunk.chunk_id, []):
                    spans[chunk.chunk_id].append(quote)
    return {cid: "…".join(q) for cid, q in spans.items()}


def source_line(chunk: Chunk, quote: str = "") -> str:
    """One 依据 entry: agency, document, section path and the supporting quote (else the passage's start)."""
    where = "".join(f" › {h}" for h in chunk.breadcrumb[1:])
    text = quote or (chunk.text[:200] + ("…" if len(chunk.text) > 200 else ""))
    return f"{chunk.meta.agency or chunk.meta.source}《{chunk.meta.display_title}》{where}：{text}"
