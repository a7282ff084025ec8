"""Refusals that explain themselves: when the documents speak of the asked subject but never state the asked
figure, date or person, say what they do hold and cite it (资料提到…，但未给出具体数字).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from qa.answer.question import Intent
from qa.answer.select import Candidate, is_heading
from qa.answer.verify import MAX_QUOTE_CHARS, evidence_text, missing_entities
from qa.records import Chunk

# What a figure, date or person question did not get.
NOT_GIVEN = {"number": "具体数字", "date": "具体日期", "person": "具体人员"}
NEAR_TOPIC = 0.25  # share of the question's topic words (rarity-weighted) a sentence holds to be about the subject


def near_miss(
    question: str,
    ranked: Sequence[Candidate],
    intent: Intent,
    sources: Sequence[Chunk],
    doc_texts: Mapping[str, str],
    *,
    window: int = 6,
) -> Candidate | None:
    """The sentence about the question's subject to show with a refusal of a figure, date or person question;
    None for other questions, or when no leading sentence is about the subject in a document of the asked place
    and year (another district's figure is not a near miss)."""
    if intent.kind not in NOT_GIVEN or intent.cross_doc:
        return None
    for c in ranked[:window]:
        if c.boilerplate or is_heading(c.text) or not c.topics or c.topic_coverage < NEAR_TOPIC:
            continue
        chunk = sources[c.n - 1]
        if missing_entities(question, f"{evidence_text([chunk])}\n{doc_texts.get(chunk.doc_id, '')}"):
            continue
        return c
    return None


def near_miss_text(c: Candidate, intent: Intent, refusal: str) -> str:
    """The refusal with what the documents do say: 现有资料中未找到相关内容。资料提到：“…”[1]，但未给出具体数字。
    The quoted sentence is source [1] of the answer."""
    quote = re.sub(r"\s+", " ", c.text.strip()).rstrip("。；;，,：:")  # a table row's cells, one space apart
    if len(quote) > MAX_QUOTE_CHARS:
        quote = quote[:MAX_QUOTE_CHARS] + "…"
    return f"{refusal}资料提到：“{quote}”[1]，但未给出所问的{NOT_GIVEN[intent.kind]}。"
