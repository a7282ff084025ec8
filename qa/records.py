"""The plain records that flow between stages; each is defined here once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

from qa.errors import QuestionError

KINDS = ("政协提案", "人大建议", "规划", "其他")


@dataclass(frozen=True)
class DocMeta:
    """What a document says about itself. A field the text does not state stays empty."""

    agency: str = ""  # 发文机关, e.g. 武汉市江夏区卫生健康局
    doc_no: str = ""  # 文号, e.g. 江卫函〔2024〕22号
    kind: str = ""  # one of KINDS
    meeting: str = ""  # e.g. 区政协六届三次会议
    proposal_no: str = ""  # as printed, spaces removed, e.g. 20240080 / 068 / 3
    proposers: tuple[str, ...] = ()  # e.g. ("汤英", "宗小青")
    title: str = ""  # the proposal's own title, e.g. 关于优化区域幼儿托育机构
    heading: str = ""  # the document's heading line, e.g. 对区政协六届三次会议第20240080号提案的答复
    date: str = ""  # ISO date as precise as stated: 2021-08-31 / 2021-07
    index_no: str = ""  # 索引号 of a government web page
    contacts: tuple[tuple[str, str, str], ...] = ()  # (role, name, phone), e.g. ("主管领导", "吴伟", "87956021")
    source: str = ""  # file name the document came from
    reply_class: str = ""  # 答复类别: A类 (solved/adopted), B类 (planned), C类 (kept for reference)
    # Where each filled field was read: (field, cue), cue one of heading, header, info_table, salutation,
    # acknowledgement, signature, preamble, contacts.
    cues: tuple[tuple[str, str], ...] = ()

    @property
    def display_title(self) -> str:
        """A one-line name for people: heading plus the proposal title when both exist."""
        if self.title and self.heading and self.title not in self.heading:
            return f"{self.heading}（{self.title}）"
        return self.heading or self.title or self.source

    @property
    def year(self) -> str:
        """The four-digit year the document belongs to, from its date, 文号 or proposal number."""
        for candidate in (self.date, self.doc_no, self.proposal_no):
            for i in range(len(candidate) - 3):
                chunk = candidate[i : i + 4]
                if chunk.isdigit() and chunk.startswith("20"):
                    return chunk
        return ""

    @property
    def named_people(self) -> tuple[str, ...]:
        """The people a reader may name the reply by: its proposers and contact persons, whole names only (a masked
        王** or a one-character fragment names nobody)."""
        people = (*self.proposers, *(person for _role, person, _phone in self.contacts))
        return tuple(p for p in people if len(p) >= 2 and "*" not in p)

    def to_dict(self) -> dict[str, Any]:
        # Fields are flat strings and tuples: a shallow read is enough, and dataclasses.asdict's recursive deep
        # copy was a fifth of a 100k-chunk re-index (writing every chunk's metadata).
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["proposers"] = list(self.proposers)
        data["contacts"] = [list(c) for c in self.contacts]
        data["cues"] = dict(self.cues)
        data["display_title"] = self.display_title
        data["year"] = self.year
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocMeta:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["proposers"] = tuple(values.get("proposers", ()))
        values["contacts"] = tuple(tuple(c) for c in values.get("contacts", ()))
        cues = values.get("cues", ())
        values["cues"] = tuple((str(k), str(v)) for k, v in (cues.items() if isinstance(cues, dict) else cues))
        return cls(**values)


@dataclass
class Section:
    """A node of a document's section tree; the root's children are the top-level sections."""

    heading: str  # e.g. 一、健全基层健康治理体系 ("" for text before the first heading)
    level: int  # 0 = document root, 1 = 第X章 / 一、, 2 = （一）, 3 = 1、 / 一是 ...
    text: str = ""  # the body directly under this heading, before any child section
    children: list[Section] = field(default_factory=list)

    def walk(self, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Section]]:
        """Every section below this one in reading order, with its heading path."""
        out: list[tuple[tuple[str, ...], Section]] = []
        for child in self.children:
            child_path = (*path, child.heading) if child.heading else path
            out.append((child_path, child))
            out.extend(child.walk(child_path))
        return out


@dataclass
class Document:
    """One reply, plan or other document, cleaned, with its metadata and section tree."""

    doc_id: str  # stable: source file name, plus #n when one file holds several documents
    meta: DocMeta
    root: Section  # level-0 section holding the tree
    text: str  # the cleaned full text of this document
    pages: tuple[int, ...] = ()  # the page each line of `text` starts on (1-based; empty or 0: not paged)
    ocr: bool = False  # the text was read by OCR from a scan or an image
    ocr_pages: tuple[int, ...] = ()  # with ocr: only these pages were (scans in a typed PDF); empty: all of it

    def is_ocr(self, page: int) -> bool:
        """Whether the text on a page (0: anywhere) was read by OCR."""
        return self.ocr and (not self.ocr_pages or page in self.ocr_pages)

    @staticmethod
    def make_id(source: str, ordinal: int, count: int) -> str:
        return source if count == 1 else f"{source}#{ordinal + 1}"


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: part of one section of one document, never more than one document."""

    chunk_id: str
    doc_id: str
    breadcrumb: tuple[str, ...]  # document name, then section headings, outermost first
    text: str  # the passage itself, as shown and quoted
    meta: DocMeta
    ordinal: int = 0  # position of the chunk within its document
    page: int = 0  # the PDF page the chunk starts on, 1-based; 0 when unknown or not paged
    ocr: bool = False  # the text was read by OCR (a scanned PDF or an image): cite it as such

    @staticmethod
    def make_id(doc_id: str, breadcrumb: tuple[str, ...], text: str) -> str:
        digest = hashlib.sha1("\x1f".join((doc_id, *breadcrumb, text)).encode("utf-8"))
        return digest.hexdigest()[:16]

    @property
    def section(self) -> str:
        return " › ".join(self.breadcrumb)

    @property
    def location(self) -> str:
        """Where in the file, for a citation: "第3页", "第3页〔OCR识别〕", "〔OCR识别〕" or ""."""
        return (f"第{self.page}页" if self.page > 0 else "") + ("〔OCR识别〕" if self.ocr else "")

    @property
    def indexed_text(self) -> str:
        """What the embedder and BM25 see: the section path and title make a chunk findable by its topic."""
        head = " › ".join(self.breadcrumb)
        meta = self.meta
        number = f"第{meta.proposal_no}号" if meta.proposal_no else ""
        proposers = "、".join(meta.proposers)
        extra = [x for x in (meta.agency, meta.meeting, number, proposers, meta.title) if x and x not in head]
        return "\n".join([" ".join(extra), head, self.text]) if extra else "\n".join([head, self.text])

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "breadcrumb": list(self.breadcrumb),
            "text": self.text,
            "meta": self.meta.to_dict(),
            "ordinal": self.ordinal,
            "page": self.page,
            "ocr": self.ocr,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            chunk_id=data["chunk_id"],
            doc_id=data["doc_id"],
            breadcrumb=tuple(data["breadcrumb"]),
            text=data["text"],
            meta=DocMeta.from_dict(data["meta"]),
            ordinal=data.get("ordinal", 0),
            page=int(data.get("page", 0) or 0),  # index files written before pages were kept have none
            ocr=bool(data.get("ocr", False)),
        )


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a retriever, with its fused score and which retrievers found it."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    retrievers: tuple[str, ...] = ()  # e.g. ("dense", "bm25")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape `qa search --json` prints."""
        meta = self.chunk.meta
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "chunk_id": self.chunk.chunk_id,
            "doc_id": self.chunk.doc_id,
            "source": meta.source,
            "title": meta.display_title,
            "agency": meta.agency,
            "proposal_no": meta.proposal_no,
            "proposer": "、".join(meta.proposers),
            "section": self.chunk.section,
            "page": self.chunk.page,
            "ocr": self.chunk.ocr,
            "text": self.chunk.text,
            "retrievers": list(self.retrievers),
        }


@dataclass(frozen=True)
class Citation:
    """Source n of an answer and the exact span of it that supports the answer."""

    n: int
    chunk: Chunk
    quote: str

    def to_dict(self) -> dict[str, Any]:
        meta = self.chunk.meta
        return {
            "n": self.n,
            "chunk_id": self.chunk.chunk_id,
            "doc_id": self.chunk.doc_id,
            "source": meta.source,
            "title": meta.display_title,
            "agency": meta.agency,
            "proposal_no": meta.proposal_no,
            "section": self.chunk.section,
            "page": self.chunk.page,
            "ocr": self.chunk.ocr,
            "text": self.chunk.text,
            "quote": self.quote,
        }


@dataclass
class Answer:
    """An answer with [n] markers, the citations they point to, and how far it can be trusted."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    unsupported: list[int] = field(default_factory=list)  # indexes of sentences not backed by their sources
    backend: str = ""
    latency_ms: float = 0.0
    hits: list[Hit] = field(default_factory=list)  # everything retrieved; the nearest documents on refusal

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "unsupported": list(self.unsupported),
            "backend": self.backend,
            "latency_ms": round(self.latency_ms, 1),
            "nearest": [h.to_dict() for h in self.hits[:3]] if self.refused else [],
        }


@dataclass(frozen=True)
class Proposal:
    """A new 提案/建议 to be answered."""

    title: str
    body: str
    proposers: tuple[str, ...] = ()
    kind: str = "政协提案"  # 政协提案 or 人大建议
    meeting: str = ""
    number: str = ""
    level: str = ""  # 区 or 市 when the user said so (区政协提案, 市人大代表建议); picks the 抄送 committees


@dataclass(frozen=True)
class Precedent:
    """A past reply ranked as similar to a new proposal, with the passages that matched."""

    doc_id: str
    meta: DocMeta
    score: float
    matched_passages: tuple[Chunk, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.meta.display_title,
            "proposal_no": self.meta.proposal_no,
            "proposer": "、".join(self.meta.proposers),
            "score": round(self.score, 6),
            "matched_passages": [
                {"chunk_id": c.chunk_id, "section": c.section, "text": c.text} for c in self.matched_passages
            ],
        }


@dataclass
class DraftSection:
    """One numbered section of a draft reply and the precedent passages each paragraph rests on."""

    heading: str
    paragraphs: list[str]
    sources: list[list[Chunk]]  # sources[i] backs paragraphs[i]


@dataclass
class Draft:
    """A draft reply in the official format, its grounding, and what a person still has to fill in."""

    text: str
    sections: list[DraftSection] = field(default_factory=list)
    precedents: list[Precedent] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # sentences whose figures no source backs
    backend: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "draft": self.text,
            "sections": [
                {
                    "heading": s.heading,
                    "paragraphs": s.paragraphs,
                    "sources": [
                        [{"chunk_id": c.chunk_id, "doc_id": c.doc_id, "section": c.section} for c in src]
                        for src in s.sources
                    ],
                }
                for s in self.sections
            ],
            "precedents": [p.to_dict() for p in self.precedents],
            "placeholders": list(self.placeholders),
            "unsupported": list(self.unsupported),
            "backend": self.backend,
        }


@dataclass(frozen=True)
class Filters:
    """Metadata a hit must have. Empty fields do not filter."""

    agency: str = ""  # substring of DocMeta.agency, e.g. 江夏
    year: str = ""  # four digits, compared with DocMeta.year
    kind: str = ""  # one of records.KINDS
    doc_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.year and not (len(self.year) == 4 and self.year.isdigit()):
            raise QuestionError(f"年份筛选应为四位数字，如 2024；现在是 {self.year!r}，请改正或留空")
        if self.kind and self.kind not in KINDS:
            raise QuestionError(f"类型筛选应为 {'、'.join(KINDS)} 之一；现在是 {self.kind!r}，请改正或留空")
        object.__setattr__(self, "doc_ids", tuple(self.doc_ids))

    @property
    def empty(self) -> bool:
        return not (self.agency or self.year or self.kind or self.doc_ids)

    def matches(self, chunk: Chunk) -> bool:
        meta = chunk.meta
        return (
            (not self.agency or self.agency in meta.agency)
            and (not self.year or meta.year == self.year)
            and (not self.kind or meta.kind == self.kind)
            and (not self.doc_ids or chunk.doc_id in self.doc_ids)
        )
