"""Clean: rejoin sentences split by page breaks, drop page letters/numbers and the TOC, normalise spaces/punctuation.

The output has one paragraph per line, table rows as tab-separated lines kept in order, and no blank lines.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from qa.data import read_table
from qa.ingest.heading import agency_pattern, match_heading
from qa.ingest.markers import CJK, CJK_PUNCT, HEADING_MARKS, heading_kind
from qa.ingest.normalize import for_matching, to_simplified

_TERMINAL = tuple("。！？；：!?;…")
_CLOSE_QUOTES = tuple("”’」』")
_SOFT_END = tuple("，、,（(“《-—")
_PAGE_NUMBER = re.compile(
    r"^(?:[-－—–]\s*\d{1,4}\s*[-－—–]|\d{1,3}|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$"
)
_PAGE_LETTER = re.compile(r"^[A-Za-z]$")
_TOC_TITLE = re.compile(r"^目\s*录$")
_DOT_LEADER = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|-{4,})\s*[-－—–]?\s*\d{1,4}\s*[-－—–]?\s*$")
_PAGE_REF = re.compile(r"[-－—–]\s*\d{1,4}\s*[-－—–]\s*$")
_TAB_PAGE_REF = re.compile(r"\t\s*[-－—–]?\s*\d{1,4}\s*[-－—–]?\s*$")
_TOC_TAIL = re.compile(r"(?:[-－—–]\s*\d*|\D\d{1,3})$")
_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
# Lines that stand alone in a reply: document fields, contacts, distribution list (labels: qa/data tables).
_STANDALONE_WORDS = ("联系电话", "电话", "邮政编码", "抄送", "主送", "附件")
# A masked name (王**委员, 张**、李**代表, 吕**、桑晓东委员: a list may mask only some; or a label's value,
# 领衔委员：庞**附议委员：蒲**、冼**) keeps its stars; other ** are markdown bold marks.
_MASKED_NAME = re.compile(
    rf"[{CJK}]\*{{1,3}}(?=(?:[、，,][{CJK}]{{1,4}}\*{{0,3}})*(?:委[员員]|代表|同志|等))"
    rf"|(?<=[：:、，,])[{CJK}]{{1,3}}\*{{1,3}}(?=[^{CJK}*]|附议|$)"
)
# A 文号 line (某卫函〔2023〕27号, with any brackets) opens the header of a reply: never joined to the next line.
_DOC_NO_START = re.compile(rf"^[{CJK}]{{1,12}}\s*[〔\[［【（(]\s*(?:19|20)\d{{2}}\s*[〕\]］】）)]\s*\d{{1,5}}\s*[号號]")
_BREADCRUMB = re.compile(r"^(?:[^>»｜|]{1,16}\s*[>»｜|]\s*){2,}[^>»｜|]{1,16}$")
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# "第20240080号" after its inner spaces are gone: a number with at most one character either side.
_NUMBER_TOKEN = re.compile(rf"^[{CJK}]?\d[\d.,]*[{CJK}]?$")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_FULLWIDTH_ALNUM = str.maketrans(
    {0xFF10 + i: 0x30 + i for i in range(10)}
    | {0xFF21 + i: 0x41 + i for i in range(26)}
    | {0xFF41 + i: 0x61 + i for i in range(26)}
)
_FULLWIDTH_ALNUM_RE = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_MD_BULLET = re.compile(rf"^\s*[-*+]\s+(?=0\d[.．]|[{CJK}])")  # markdown bullets, not page numbers "- 12 -"
_HALF_PARENS = re.compile(rf"\(([^()]*[{CJK}][^()]*)\)")
_BEFORE, _AFTER = f"[{CJK}）」』”]", f"[{CJK}（「『“]"
_HALF_PUNCT = tuple(
    (half, re.compile(rf"(?<={_BEFORE})\s*{re.escape(half)}\s*|{re.escape(half)}\s*(?={_AFTER})"), full)
    for half, full in ((",", "，"), (";", "；"), ("?", "？"), ("!", "！"), (":", "："))
)
_CJK_PUNCT_RE = re.compile(f"[{CJK_PUNCT}]")


def clean_text(raw: str) -> str:
    """Turn raw extracted text into clean paragraphs.

    Args:
        raw: text as read by `qa.ingest.read.read_text`.

    Returns:
        One paragraph per line (table rows as tab-separated lines), no blank lines, no page artifacts or TOC.
    """
    return "\n".join(clean_pages(raw)[0])


def clean_pages(raw: str, *, paged: bool = False) -> tuple[list[str], list[int]]:
    """`clean_text`'s paragraphs as a list, and the page each one starts on.

    Args:
        raw: text as read by `qa.ingest.read`; a form feed (\\f) starts a new page.
        paged: the text comes from a paged file (PDF): pages count from 1. Otherwise every page number is 0.

    Returns:
        (paragraphs, pages), aligned; a paragraph rejoined across a page break has the page it starts on.
    """
    text = _ZERO_WIDTH.sub("", raw).replace("\r\n", "\n").replace("\r", "\n")
    if "\f" in text:
        sheets = text.split("\f")
        text = _drop_running_lines(sheets)  # pages joined by \n: line k of the result is a line of one page
        pages = [n + 1 if paged else 0 for n, sheet in enumerate(sheets) for _ in range(sheet.count("\n") + 1)]
    else:
        pages = [1 if paged else 0] * (text.count("\n") + 1)
    # Full-width ASCII letters and digits become half-width; full-width punctuation stays (it is the norm).
    text = _FULLWIDTH_ALNUM_RE.sub(lambda m: m.group().translate(_FULLWIDTH_ALNUM), text)
    lines = [normalize_line(line) for line in text.split("\n")]
    kept = _drop_artifacts(lines)
    return _rejoin([lines[i] for i in kept], [pages[i] for i in kept])


def _drop_running_lines(pages: list[str]) -> str:
    """Drop running headers/footers: a short line at the top or bottom of most pages (PDF page breaks are \\f)."""
    edges: list[list[int]] = []
    lines_per_page = [page.split("\n") for page in pages]
    counts: dict[str, int] = {}
    for lines in lines_per_page:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        at_edge = sorted(set(filled[:2] + filled[-2:]))
        edges.append(at_edge)
        for key in {" ".join(lines[i].split()) for i in at_edge}:
            counts[key] = counts.get(key, 0) + 1
    threshold = max(3, (len(pages) + 1) // 2)
    running = {key for key, n in counts.items() if n >= threshold and len(key) <= 40}
    if len(pages) == 2:
        running |= _two_page_header(lines_per_page, edges)
    for lines, at_edge in zip(lines_per_page, edges, strict=True):
        for i in at_edge:
            if " ".join(lines[i].split()) in running:
                lines[i] = ""
    return "\n".join("\n".join(lines) for lines in lines_per_page)


def _two_page_header(lines_per_page: list[list[str]], edges: list[list[int]]) -> set[str]:
    """The running header of a two-page PDF, which the most-pages count cannot tell from chance: a line among the
    top two of both pages, when both pages also print a page number at an edge (第 1 页 共 2 页, — 1 —). A bound
    file of two one-page replies repeats lines a reply needs at its top (the agency alone, a whole heading): never."""
    tops: list[set[str]] = []
    for lines, at_edge in zip(lines_per_page, edges, strict=True):
        keys = [" ".join(lines[i].split()) for i in at_edge]
        if not any(_PAGE_NUMBER.match(key) for key in keys):
            return set()
        filled = [i for i, line in enumerate(lines) if line.strip()]
        tops.append({" ".join(lines[i].split()) for i in filled[:2]})
    shared = tops[0] & tops[1]
    return {
        key
        for key in shared
        if len(key) <= 40 and not _PAGE_NUMBER.match(key) and not _is_agency_line(key) and not is_reply_heading(key)
    }


def _is_agency_line(line: str) -> bool:
    return bool(agency_pattern().match("".join(for_matching(line).split())))


def normalize_line(line: str) -> str:
    """Normalise one line: punctuation next to Chinese, stray spaces, markdown marks."""
    is_table = "\t" in line.strip(" \u3000\u00a0")
    line = line.rstrip()
    if "**" in line:
        line = _strip_bold(line)
    if line[:1] in ("#", "-", "*", "+", " "):
        line = _MD_HEADING.sub("", line)
        line = _MD_BULLET.sub("", line)
    if is_table:
        cells = [_normalize_inline(c) for c in line.split("\t")]
        return "\t".join(cells).rstrip("\t") if any(cells) else ""
    return _normalize_inline(line)


def _strip_bold(line: str) -> str:
    protected = _MASKED_NAME.sub(lambda m: m.group().replace("*", "\x00"), line)
    return protected.replace("**", "").replace("\x00", "*")


@cache
def _standalone() -> re.Pattern[str]:
    labels = {row[0] for name in ("info_labels", "contact_labels") for row in read_table(name, fields=2)}
    words = sorted({*labels, *_STANDALONE_WORDS}, key=len, reverse=True)
    return re.compile(rf"^[（(]?\s*(?:{'|'.join(map(re.escape, words))})")


@cache
def _web_words() -> dict[str, str]:
    return {word: kind for word, kind in read_table("web_residue", fields=2)}


@cache
def _web_marker() -> re.Pattern[str]:
    words = sorted((w for w in _web_words() if len(w) > 1), key=len, reverse=True)
    return re.compile("|".join([*map(re.escape, words), "[>»|｜]", "[打關关扫掃]"]))


def is_web_residue(line: str) -> bool:
    """A line of a web page's frame, not of the document: share/print/close buttons, a breadcrumb
    (首页 > 政务公开 > …, or any three short parts joined by > or |), a lone menu item 首页."""
    if "\t" in line or len(line) > 200 or not _web_marker().search(line):
        return False  # a table row, a paragraph, or no button word and no > | separator
    words = _web_words()
    line = to_simplified(line)
    tokens = [t for t in re.split(r"[\s|｜>»【】\[\]：:，,/]+", line) if t]
    # One short button word is residue only as a label its icons follow (分享到：); alone it may be text (打印).
    single = len(tokens) == 1 and (len(tokens[0]) >= 4 or line.rstrip().endswith(("：", ":")))
    if tokens and all(words.get(t) == "trailer" for t in tokens) and (len(tokens) > 1 or single):
        return True
    if _BREADCRUMB.match(line) and (">" in line or "»" in line or any(words.get(t) == "nav" for t in tokens)):
        return True
    return bool(tokens) and words.get(tokens[0]) == "nav" and (len(tokens) == 1 or _BREADCRUMB.match(line) is not None)


def _normalize_inline(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return ""
    # Half-width punctuation next to a Chinese character becomes full-width, so "(一)" and "；" are recognised.
    if "(" in text:
        text = _HALF_PARENS.sub(r"（\1）", text)
    for half, pattern, full in _HALF_PUNCT:
        if half in text:
            text = pattern.sub(full, text)
    return _drop_spaces(text) if " " in text else text


def _drop_spaces(text: str) -> str:
    """Remove spaces that typesetting put between Chinese text and numbers or single characters.

    `第 20240080 号` → `第20240080号`, `答 复` → `答复`, `名  称` → `名称`; a space between two words of
    several characters each (`主管领导 吴伟`) is kept, because there it separates fields.
    """
    if " " not in text:
        return text
    tokens = [t for t in text.split(" ") if t]
    out = tokens[0]
    for prev_token, token in itertools.pairwise(tokens):
        left, right = out[-1], token[0]
        left_cjk = _is_cjk(left) or _is_cjk_punct(left)
        right_cjk = _is_cjk(right) or _is_cjk_punct(right)
        short = len(prev_token) == 1 or len(token) == 1 or bool(_NUMBER_TOKEN.match(prev_token))
        if (
            (left_cjk and right_cjk and short)
            or _is_cjk_punct(left)
            or _is_cjk_punct(right)
            or (left_cjk and right.isascii() and right.isalnum())
            or (right_cjk and left.isascii() and left.isalnum())
        ):
            out += token
        else:
            out += " " + token
    return out


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _is_cjk_punct(ch: str) -> bool:
    return bool(_CJK_PUNCT_RE.match(ch))


def is_pure_heading(line: str) -> bool:
    """A short heading line with no sentence after it, e.g. `一、基本情况` (never joined with the next line)."""
    if is_reply_heading(line):
        return True
    kind = heading_kind(line)
    return bool(kind) and kind != "shi" and len(line) <= 60 and not re.search(r"[。；！？]", line[:-1])


def is_reply_heading(line: str) -> bool:
    """A whole reply heading on one line (qa.ingest.heading), in any script or punctuation width."""
    if len(line) > 100 or not ("关于" in line or "对" in line or "關於" in line):
        return False
    return match_heading(for_matching(line)) is not None


def is_table_row(line: str) -> bool:
    return "\t" in line


def _is_toc_entry(line: str) -> bool:
    return bool(_DOT_LEADER.search(line) or (_PAGE_REF.search(line) and not _PAGE_NUMBER.match(line)))


def _drop_artifacts(lines: list[str]) -> list[int]:
    """The indexes of the lines left once page numbers, lone page letters and the table of contents are dropped."""
    out: list[int] = []
    in_toc = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _PAGE_NUMBER.match(stripped) or _PAGE_LETTER.match(stripped) or is_web_residue(stripped):
            continue
        if _TOC_TITLE.match(stripped):
            in_toc = True
            continue
        if _is_toc_entry(stripped) or (in_toc and _TAB_PAGE_REF.search(line)):
            in_toc = True
            continue
        if in_toc and heading_kind(stripped) and len(stripped) <= 60 and _TOC_TAIL.search(stripped):
            continue  # "…新挑战-" (page number ran onto the next line) or "一、总则 1" without leaders
        in_toc = False
        out.append(i)
    return out


def _is_doc_number_line(line: str) -> bool:
    """A line that is only a 文号 stands alone: it never continues the heading above it (a heading the pattern
    does not know would otherwise swallow it). A 文号 opening a wrapped sentence line (…〕3号）要求…) is text."""
    m = _DOC_NO_START.match(line)
    return bool(m) and not line[m.end() :].strip()


def _joinable_end(line: str) -> bool:
    """Whether a line looks cut off mid-sentence (by a page or column break)."""
    if line.startswith(tuple(HEADING_MARKS)):
        return False  # a heading a .docx styled as one
    if is_table_row(line) or is_pure_heading(line) or _standalone().match(to_simplified(line)) or _FOOTNOTE.match(line):
        return False
    if _DOC_NO_START.match(line):
        return False
    if line.endswith(_TERMINAL):
        return False
    if line.endswith(_CLOSE_QUOTES):
        # 。” ends a sentence; 以“1+4+2+2” at a page end is the middle of one.
        return len(line) >= 20 and not line[:-1].endswith(_TERMINAL)
    # Short lines without final punctuation are titles, names and signatures, not broken sentences.
    return len(line) >= 20 or line.endswith(_SOFT_END)


def _starts_paragraph(line: str) -> bool:
    return (
        is_table_row(line)
        or line.startswith(tuple(HEADING_MARKS))
        or bool(heading_kind(line))
        or bool(_standalone().match(to_simplified(line)))
        or is_reply_heading(line)
        or _is_doc_number_line(line)
        or line.startswith(("——", "专栏"))
    )


def _rejoin(lines: list[str], pages: list[int]) -> tuple[list[str], list[int]]:
    """Join a line cut off by a page break with its continuation; footnotes in between move after it.

    Returns the paragraphs and the page of each one's first line.
    """
    paragraphs = [line for line in lines if line.strip()]
    page_of = [page for line, page in zip(lines, pages, strict=True) if line.strip()]
    out: list[str] = []
    out_pages: list[int] = []
    pending_notes: list[tuple[str, int]] = []
    i = 0
    while i < len(paragraphs):
        current, page = paragraphs[i], page_of[i]
        i += 1
        while _joinable_end(current):
            j = i
            notes: list[str] = []
            while j < len(paragraphs) and _FOOTNOTE.match(paragraphs[j]):
                notes.append(paragraphs[j])
                j += 1
            if j >= len(paragraphs) or _starts_paragraph(paragraphs[j]):
                break
            current = _glue(current, paragraphs[j])
            pending_notes.extend((note, page_of[i + k]) for k, note in enumerate(notes))
            i = j + 1
        out.append(current)
        out_pages.append(page)
        out.extend(note for note, _ in pending_notes)
        out_pages.extend(note_page for _, note_page in pending_notes)
        pending_notes = []
    return out, out_pages


def _glue(left: str, right: str) -> str:
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right
