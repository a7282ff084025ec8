"""Section-heading markers of official documents (第X章, 一、, （一）, 1., 一是 …) and the character classes they use.

The lowest ingest module: cleaning, reply-heading recognition and structure all ask it what a line starts with.
"""

from __future__ import annotations

import re

from qa.text import CJK

# Full-width punctuation and quotes that sit between Chinese characters.
CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65“”‘’…—·"
CN_NUM = "一二三四五六七八九十百零〇两"
# Private-use characters that start a .docx paragraph styled Heading 1/2/3 (标题 1/2/3) without a marker of its own:
# set by qa.ingest.read, kept by cleaning as a paragraph of its own, taken off by qa.ingest.structure.
HEADING_MARKS = "\ue001\ue002\ue003"

# Heading markers, from outermost to innermost. A line is a heading when it starts with one of them.
HEADING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("part", re.compile(rf"^第[{CN_NUM}\d]+[篇部](?:分)?(?=\s|[{CJK}“])")),
    ("chapter", re.compile(rf"^第[{CN_NUM}\d]+章")),
    ("section", re.compile(rf"^第[{CN_NUM}\d]+节")),
    ("cn", re.compile(rf"^[{CN_NUM}]+、")),
    ("paren", re.compile(rf"^（[{CN_NUM}]+）")),
    ("box", re.compile(r"^专栏\s*\d+")),
    ("num", re.compile(r"^[1-9]\d?(?:、|[.．](?!\d))")),
    ("item", re.compile(r"^0\d[.．、](?!\d)")),
    ("shi", re.compile(rf"^[{CN_NUM}]+是(?=[{CJK}“])")),
)


def heading_kind(line: str) -> str:
    """The kind of heading marker a line starts with ("chapter", "cn", "paren", ...), or "" for none."""
    if "\t" in line:
        return ""
    for kind, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return kind
    return ""
