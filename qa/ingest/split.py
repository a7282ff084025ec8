"""Split: a Document's section tree → Chunks with breadcrumbs, one per leaf section that fits, within one document."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from qa.ingest.structure import CLOSING_HEADINGS
from qa.records import Chunk, Document, Section

TARGET_CHARS = 500  # a long section is cut into pieces of about this size
MAX_CHARS = 600  # a section (or group of small sections) up to this size stays one chunk
MIN_CHARS = 150  # pieces smaller than this are merged with a neighbour under the same parent
OVERLAP_MAX_CHARS = 120  # the sentence repeated at the start of the next piece is at most this long

_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")


@dataclass
class _Block:
    path: tuple[str, ...]  # section headings, outermost first
    lines: list[str]
    alone: bool = False  # the opening and the closing stay chunks of their own: metadata questions target them

    @property
    def size(self) -> int:
        return sum(len(x) for x in self.lines)


def split_document(doc: Document) -> list[Chunk]:
    """Cut one document into retrievable chunks in reading order.

    Args:
        doc: a parsed document.

    Returns:
        Chunks whose breadcrumb starts with the document's display name; ordinal is the position in the document;
        page the page the chunk starts on when the document is paged (Document.pages), else 0.
    """
    blocks = _section_blocks(doc.root, ())
    name = doc.meta.display_title or doc.doc_id
    chunks: list[Chunk] = []
    page_of = _PageFinder(doc)
    for block in blocks:
        breadcrumb = (name, *block.path)
        for text in _pieces(block.lines):
            chunks.append(
                Chunk(
                    chunk_id=Chunk.make_id(doc.doc_id, breadcrumb, text),
                    doc_id=doc.doc_id,
                    breadcrumb=breadcrumb,
                    text=text,
                    meta=doc.meta,
                    ordinal=len(chunks),
                    page=(page := page_of(text)),
                    ocr=doc.is_ocr(page),
                )
            )
    return chunks


class _PageFinder:
    """The page a chunk starts on: where its first line is in the document text, searched forward from the
    previous chunk's start (chunks come in reading order; a chunk's lines are the document's lines, a heading cut
    from its sentence, or a sentence of one). A piece that repeats its table's header starts at its first row."""

    KEY_CHARS = 30
    WINDOW = 20 * MAX_CHARS  # the next chunk starts within the previous one's text: never scan a whole long file

    def __init__(self, doc: Document) -> None:
        self.text = doc.text
        lines = doc.text.split("\n")
        self.pages = list(doc.pages) if len(doc.pages) == len(lines) and any(doc.pages) else []
        self.starts: list[int] = []
        at = 0
        for line in lines:
            self.starts.append(at)
            at += len(line) + 1
        self.cursor = 0

    def __call__(self, chunk_text: str) -> int:
        if not self.pages:
            return 0
        lines = [x.strip() for x in chunk_text.split("\n") if x.strip()]
        keys = lines[:2] if len(lines) > 1 and "\t" in lines[0] else lines[:1]
        end = self.cursor + self.WINDOW
        found = [self.text.find(key[: self.KEY_CHARS], self.cursor, end) for key in keys]
        found = [at for at in found if at >= 0]
        if found:
            self.cursor = min(found)
        return self.pages[bisect_right(self.starts, self.cursor) - 1]


def _own_lines(section: Section) -> list[str]:
    # The closing's heading is a name the parser gave it, not the document's words: breadcrumb only.
    synthetic = section.level == 1 and section.heading in CLOSING_HEADINGS
    lines = [section.heading] if section.heading and not synthetic else []
    return lines + [x for x in section.text.split("\n") if x.strip()]


def _subtree_lines(section: Section) -> list[str]:
    lines = _own_lines(section)
    for child in section.children:
        lines.extend(_subtree_lines(child))
    return lines


def _section_blocks(section: Section, path: tuple[str, ...]) -> list[_Block]:
    """A whole subtree when it fits; otherwise its own text and each child's blocks, small neighbours merged."""
    whole = _Block(path, _subtree_lines(section))
    if whole.size <= MAX_CHARS or not section.children:
        return [whole] if whole.lines else []
    blocks: list[_Block] = []
    own = _own_lines(section)
    if own:
        blocks.append(_Block(path, own, alone=section.level == 0))
    for child in section.children:
        child_path = (*path, child.heading) if child.heading else path
        child_blocks = _section_blocks(child, child_path)
        if section.level == 0 and child.heading in CLOSING_HEADINGS:
            child_blocks = [_Block(b.path, b.lines, alone=True) for b in child_blocks]
        blocks.extend(child_blocks)
    return _merge_small(blocks)


def _merge_small(blocks: list[_Block]) -> list[_Block]:
    """Merge a small block into its neighbour when together they fit; the breadcrumb becomes their common parent."""
    out: list[_Block] = []
    for block in blocks:
        if out and not out[-1].alone and not block.alone:
            last = out[-1]
            heading_only = len(last.lines) == 1 and block.path[: len(last.path)] == last.path
            if heading_only:
                # A bare parent heading (e.g. 四、规划目标) goes with its first child, under the child's breadcrumb.
                out[-1] = _Block(block.path, last.lines + block.lines)
                continue
            if (last.size < MIN_CHARS or block.size < MIN_CHARS) and last.size + block.size <= MAX_CHARS:
                out[-1] = _Block(_common_prefix(last.path, block.path), last.lines + block.lines)
                continue
        out.append(block)
    return out


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _pieces(lines: list[str]) -> list[str]:
    """Cut a block into chunk texts: at sentence ends, one sentence of overlap, table header repeated per piece."""
    text = "\n".join(lines)
    if len(text) <= MAX_CHARS:
        return [text]
    units = _units(lines)  # (text, table header or None)
    pieces: list[str] = []
    current: list[tuple[str, str | None]] = []
    size = 0
    for unit, header in units:
        if current and size + len(unit) > TARGET_CHARS:
            pieces.append(_render(current))
            last_text, last_header = current[-1]
            current, size = [], 0
            if header is not None and header != unit:
                current, size = [(header, header)], len(header)
            elif (
                header is None
                and last_header is None
                and len(last_text) <= OVERLAP_MAX_CHARS
                and len(last_text) + len(unit) <= MAX_CHARS
                and not last_text.endswith("\n")
            ):
                current, size = [(last_text, None)], len(last_text)
        current.append((unit, header))
        size += len(unit)
    if current:
        pieces.append(_render(current))
    return pieces


def _render(units: list[tuple[str, str | None]]) -> str:
    out = ""
    for text, header in units:
        if header is not None and out and not out.endswith("\n"):
            out += "\n"
        out += text
        if header is not None:
            out += "\n"
    return out.strip()


def _units(lines: list[str]) -> list[tuple[str, str | None]]:
    """Sentences of prose lines (a line end is kept on the last sentence) and whole table rows with their header."""
    units: list[tuple[str, str | None]] = []
    header: str | None = None
    for line in lines:
        if "\t" in line:
            header = header or line
            units.append((line, header))
            continue
        header = None
        sentences = [s for s in _SENTENCE.findall(line) if s]
        for k, sentence in enumerate(sentences):
            last = k == len(sentences) - 1
            for part in _hard_split(sentence):
                units.append((part, None))
            if last:
                text, _ = units[-1]
                units[-1] = (text + "\n", None)
    return units


def _hard_split(sentence: str) -> list[str]:
    """A sentence longer than MAX_CHARS is cut at commas, or at MAX_CHARS as a last resort."""
    if len(sentence) <= MAX_CHARS:
        return [sentence]
    parts: list[str] = []
    current = ""
    for clause in re.findall(r"[^，,、]*[，,、]?", sentence):
        if current and len(current) + len(clause) > TARGET_CHARS:
            parts.append(current)
            current = ""
        current += clause
    if current:
        parts.append(current)
    return [p[i : i + MAX_CHARS] for p in parts for i in range(0, len(p), MAX_CHARS)]
