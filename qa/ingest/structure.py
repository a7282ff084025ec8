"""Structure: split a cleaned file into Documents (000 holds eight replies); metadata; section trees."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from qa.config import Settings
from qa.errors import IngestError
from qa.ingest.clean import clean_pages
from qa.ingest.cues import salutation
from qa.ingest.heading import ReplyHeading, agency_pattern, could_be_heading, find_headings, match_heading
from qa.ingest.markers import HEADING_MARKS, heading_kind
from qa.ingest.meta import extract_meta, preamble_info
from qa.ingest.normalize import for_matching, is_date_line
from qa.ingest.read import read_raw
from qa.records import Document, Section

_DATE = re.compile(r"((?:19|20)\d{2})\s*[年.．/\-]\s*(\d{1,2})(?:\s*[月.．/\-]\s*(\d{1,2})\s*日?)?\s*月?")
_CLOSING_CONTACT = re.compile(
    r"^(?:主管领导|分管领导|经办人|联系人|承办人|签发人|(?:联系)?电话[：:\s]*\d|邮政编码[：:\s]*\d|(?:抄送|主送)[：:])"
)
_CLOSING_THANKS = re.compile(
    r"^(?:最后|再次|衷心|诚挚)?[，,]?(?:感谢|谢谢)|^(?:再次|最后)|^请.{0,6}(?:多提|提出)|^希望"
)
# A line that only separates two replies in one file: dashes, equals signs, asterisks.
_SEPARATOR = re.compile(r"^[\-—－=＝_*·~～.。\s]{3,}$")

# Heading kinds from outermost to innermost: a heading closes every open heading of the same or a deeper rank.
_RANK = {"part": 0, "chapter": 1, "section": 2, "cn": 3, "paren": 4, "num": 5, "box": 6, "item": 7, "shi": 8}
# Section.level by marker (records.Section): 第X章 / 一、 = 1, 第X节 / （一） = 2, 1、 / 一是 / 专栏 = 3; a section
# is always at least one level below its parent (一、 under 第一章 is 2).
_LEVEL = {"part": 1, "chapter": 1, "section": 2, "cn": 1, "paren": 2, "num": 3, "box": 3, "item": 4, "shi": 3}
# A .docx heading style without a marker in its text ranks as the marker of its level would: 一、 （一） 1.
_STYLED = ("cn", "paren", "num")
_MAX_HEADING = 40
CLOSING_HEADINGS = ("结语及联系方式", "联系方式", "结语")


def load_documents(path: Path, *, settings: Settings | None = None) -> list[Document]:
    """Read, clean and parse one file.

    Args:
        path: a file of a supported type.
        settings: the resource limits to read it under (qa.ingest.read.read_raw; default: Settings' defaults).

    Returns:
        One Document per reply in the file (most files hold one).

    Raises:
        IngestError: the file cannot be read, or nothing is left once page numbers and the like are removed.
    """
    path = Path(path)
    raw = read_raw(path, settings=settings)
    lines, pages = clean_pages(raw.text, paged=raw.paged)
    docs = parse_documents("\n".join(lines), path.name, pages=pages, ocr=raw.ocr, ocr_pages=raw.ocr_pages)
    if not docs:
        raise IngestError(f"{path.name}：去掉页码和空行后没有文字，请检查文件内容")
    return docs


def parse_documents(
    text: str, source: str, *, pages: list[int] | None = None, ocr: bool = False, ocr_pages: tuple[int, ...] = ()
) -> list[Document]:
    """Split the cleaned text of one file into Documents with metadata and section trees.

    Args:
        text: output of `qa.ingest.clean.clean_text`.
        source: the file name, stored as `DocMeta.source` and used for doc ids.
        pages: the page of each line of `text` (`qa.ingest.clean.clean_pages`), kept as `Document.pages`.
        ocr: the text was read by OCR (`Document.ocr`); ocr_pages: only these pages were, when not all.

    Returns:
        The documents in file order; a file with several reply headings gives one document per reply.
    """
    raw_lines = text.split("\n")
    raw_pages = pages if pages is not None and len(pages) == len(raw_lines) else [0] * len(raw_lines)
    kept = [i for i, line in enumerate(raw_lines) if line.strip()]
    lines, matching, page_of, levels = _prepare([raw_lines[i] for i in kept], [raw_pages[i] for i in kept])
    if not lines:
        return []
    headings = _own_headings(matching)
    starts = _document_starts(matching, headings)
    spans = [(s, e) for s, e in zip(starts, [*starts[1:], len(lines)], strict=True)]
    docs: list[Document] = []
    for ordinal, (start, end) in enumerate(spans):
        heading = next((h for h in headings if start <= h.start < end), None)
        if heading is not None:
            heading = replace(heading, start=heading.start - start, end=heading.end - start)
        doc_lines = lines[start:end]
        match = matching[start:end]
        meta = extract_meta(doc_lines, source, heading, match)
        info = preamble_info(match, heading)
        body_at = [i for i in range(start, end) if i - start not in info]
        body = [lines[i] for i in body_at]
        root = build_sections(body, [levels[i] for i in body_at])
        doc_id = Document.make_id(source, ordinal, len(spans))
        body_pages = tuple(page_of[i] for i in body_at) if any(page_of) else ()
        docs.append(Document(doc_id, meta, root, "\n".join(body), pages=body_pages, ocr=ocr, ocr_pages=ocr_pages))
    return docs


def _prepare(lines: list[str], pages: list[int]) -> tuple[list[str], list[str], list[int], list[int]]:
    """Drop separator lines between replies; split a heading glued to its salutation by flattened HTML; take off
    the heading mark of a .docx heading style (a reply heading so styled stays a reply heading, not a section).

    Returns the lines, their matching copies (`for_matching`), their pages and heading-style levels (0: none).
    """
    out: list[str] = []
    copies: list[str] = []
    out_pages: list[int] = []
    levels: list[int] = []
    for line, page in zip(lines, pages, strict=True):
        level = HEADING_MARKS.find(line[0]) + 1
        line = line[1:] if level else line
        if _SEPARATOR.match(line):
            continue
        copy = for_matching(line)
        hit = match_heading(copy, allow_rest=True) if could_be_heading(copy) else None
        if hit is not None:
            level = 0
        if hit is not None and hit.rest:
            cut = len(line) - len(hit.rest)
            if cut > 0 and for_matching(line[cut:]).replace(" ", "") == hit.rest:
                out.extend([line[:cut].rstrip(), line[cut:].lstrip()])
                copies.extend([for_matching(x) for x in out[-2:]])
                out_pages.extend([page, page])
                levels.extend([0, 0])
                continue
        out.append(line)
        copies.append(copy)
        out_pages.append(page)
        levels.append(level)
    return out, copies, out_pages, levels


def _own_headings(matching: list[str]) -> list[ReplyHeading]:
    """The reply headings of a file, less repeats of one reply's heading: a page title or info-table 名称 before
    the letter, or a running page header inside it (same number, paper and meeting, same or no agency)."""
    out: list[ReplyHeading] = []
    for h in find_headings(matching):
        if out and out[-1].key == h.key and not _letter_between(matching, out[-1].end, h.start):
            continue
        if any(_same_reply(h, seen) for seen in out):
            continue
        weak = not (h.proposal_no or h.meeting or h.agency)
        if weak and not _ends_a_reply(matching, h.start) and _letter_between(matching, 0, h.start):
            continue  # `关于第一条建议的答复` inside a letter is a sub-heading, not the start of a reply
        out.append(h)
    return out


def _ends_a_reply(lines: list[str], i: int) -> bool:
    """Whether the line before lines[i] can end a reply: a date, a contact, an agency, a closer or a rule."""
    before = lines[i - 1] if i > 0 else ""
    return (
        not before
        or is_date_line(before)
        or bool(_CLOSING_CONTACT.match(before.lstrip("（(")))
        or bool(agency_pattern().match(before))
        or before.startswith(("此复", "特此", "（此件", "此件"))
    )


def _same_reply(a: ReplyHeading, b: ReplyHeading) -> bool:
    if a.text == b.text:
        return True
    return bool(a.proposal_no) and a.key == b.key and (a.agency == b.agency or not (a.agency and b.agency))


def _letter_between(lines: list[str], start: int, end: int) -> bool:
    return any("。" in x or salutation(x) for x in lines[start:end])


def _document_starts(lines: list[str], headings: list[ReplyHeading]) -> list[int]:
    """Where each reply starts: its header lines (agency, 文号) just above its heading."""
    if len(headings) < 2:
        return [0]
    starts: list[int] = []
    previous_end = 0
    for h in headings:
        start = h.start
        # Walk back over short header lines (agency, 文号, 予以公开), never into the previous reply's closing.
        while start - 1 >= previous_end and h.start - (start - 1) <= 4 and _is_header_line(lines, start - 1):
            start -= 1
        starts.append(start)
        previous_end = h.end
    starts[0] = 0
    return starts


def _is_header_line(lines: list[str], i: int) -> bool:
    line = lines[i]
    if i > 0 and lines[i - 1].endswith(("。", "！")) and agency_pattern().match(line):
        return False  # an agency line right after the last sentence signs the previous reply
    return (
        len(line) <= 30
        and not re.search(r"[。；：:]|份[)）]", line)
        and not _CLOSING_CONTACT.match(line)
        and not heading_kind(line)
        and not is_date_line(line)  # the previous reply's signature date
    )


def build_sections(lines: list[str], styled: list[int] | None = None) -> Section:
    """The section tree of one document.

    The opening (header, salutation, 收悉 paragraph) is the root's text; headings open sections by rank;
    the closing (thanks, contacts, 抄送) becomes a last top-level section so metadata questions can find it.
    `styled` gives a line's .docx heading-style level (1-3; 0 for none): such a line is a heading of that rank.
    """
    styled = styled if styled is not None and len(styled) == len(lines) else [0] * len(lines)
    root = Section(heading="", level=0)
    closing_at = _closing_start(lines, styled)
    body, closing = lines[:closing_at], lines[closing_at:]
    stack: list[tuple[int, Section]] = []
    current = root
    texts: dict[int, list[str]] = {}
    for line, level in zip(body, styled, strict=False):
        split = (_STYLED[level - 1], line.rstrip("。；"), "") if level else split_heading(line)
        if split is None:
            texts.setdefault(id(current), []).append(line)
            continue
        kind, heading, rest = split
        rank = _RANK[kind]
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent = stack[-1][1] if stack else root
        section = Section(heading=heading, level=max(_LEVEL[kind], parent.level + 1))
        parent.children.append(section)
        stack.append((rank, section))
        current = section
        if rest:
            texts.setdefault(id(current), []).append(rest)
    if closing:
        has_contacts = any(_CLOSING_CONTACT.match(x) for x in closing)
        has_thanks = not _CLOSING_CONTACT.match(closing[0])
        name = CLOSING_HEADINGS[0] if has_contacts and has_thanks else CLOSING_HEADINGS[1 if has_contacts else 2]
        root.children.append(Section(heading=name, level=1, text="\n".join(closing)))
    for node in [root, *(s for _, s in root.walk())]:
        if id(node) in texts:
            node.text = "\n".join(texts[id(node)])
    return root


def split_heading(line: str) -> tuple[str, str, str] | None:
    """(kind, heading, rest) when a line opens a section; `一、加强城乡联动机制。每个…` splits at the first 。

    A line starting with 一是/二是 opens an item only with a short lead phrase; otherwise it is a paragraph.
    """
    kind = heading_kind(line)
    if not kind:
        return None
    if len(line) <= _MAX_HEADING and not re.search(r"[。；！？]", line[:-1]):
        return kind, line.rstrip("。；"), ""
    for stop, limit in (("。", _MAX_HEADING), ("；", _MAX_HEADING), ("：", 30), ("，", 24)):
        pos = line.find(stop)
        if 0 < pos <= limit:
            return kind, line[:pos], line[pos + 1 :].strip()
    if kind in ("shi", "num", "item"):
        return None  # a long enumerated sentence: keep it as a paragraph of its parent
    return kind, line[:_MAX_HEADING], line[_MAX_HEADING:]


def _closing_start(lines: list[str], styled: list[int]) -> int:
    """Index of the first closing line (thanks before the contacts, contacts, 抄送) after the last heading."""
    last_heading = max((i for i, x in enumerate(lines) if heading_kind(x) or styled[i]), default=-1)
    contact = next((i for i in range(last_heading + 1, len(lines)) if _CLOSING_CONTACT.match(lines[i])), len(lines))
    start = contact
    thanks = next((i for i in range(last_heading + 1, contact) if _CLOSING_THANKS.match(lines[i])), None)
    if thanks is not None and "感谢" in "".join(lines[thanks:contact]):
        start = thanks
    return start if start > 0 else len(lines)
