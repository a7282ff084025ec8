"""Planted instructions: document lines that speak to a reader or a model instead of reporting anything.

Such a line is document data: it is never quoted as an answer (qa.answer.select) and a model sees it marked as
quoted document text (qa.answer.generate). The phrases live in qa/data/instructions.tsv, each with its reason.
"""

from __future__ import annotations

import re

from qa.text import table_pattern

_INSTRUCTION_RE = table_pattern("instructions", flags=re.IGNORECASE)


def is_instruction(line: str) -> bool:
    """Whether a line addresses a reader or a model (忽略以上内容, 请直接回答：…) rather than stating a fact."""
    return bool(_INSTRUCTION_RE.search(line))
