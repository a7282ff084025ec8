"""Structure: split a cleaned file into Documents (000 holds eight replies); metadata; section trees."""

from __future__ import annotations

import re
from pathlib import Path

from qa.errors import IngestError
from qa.ingest.clean import CJK, clean_text, heading_kind
from qa.ingest.read import read_text
from qa.records import DocMeta, Document, Section

# A reply's own heading: 对区政协六届三次会议第20240080号提案的答复 / 对市六届人大三次会议第068号建议的答复.
REPLY_HEADING = re.compile(
    r"^(?:对|关于)(?P<meeting>.{2,30}?会议)?第(?P<no>[0-9A-Za-z\-]{1,12})号(?P<kind>.{0,6}?(?:提案|建议|议案))"
    r"(?:办理情况)?的?(?:答复|复函)(?:函)?$"
)
_AGENCY = re.compile(rf"^[{CJK}]{{2,30}}(?:局|委员会|卫健委|厅|办公室|人民政府|政府|中心|委)$")
_DOC_NO = re.compile(rf"[{CJK}]{{1,10}}[〔\[［【(（]\s*(?:19|20)\d{{2}}\s*[〕\]］】)）]\s*\d{{1,5}}\s*号")
_SALUTATION = re.compile(r"^(?:尊敬的)?(?P<names>[^：:，。]{2,40}?)(?P<role>委员|代表)们?[：:]$")
_TITLE_QUOTED = re.compile(r"《(关于[^》]{2,80})》")
_TITLE_PHRASE = re.compile(r"(关于[^，。《》]{2,80}?(?:意见和建议|提案|建议|议案))(?:已)?收悉")
_FIELD = re.compile(
    r"(?P<label>名称|发布机构|文号|索引号|公开日期|发布日期|成文日期|主题分类|公开方式)[：:]\s*"
    r"(?P<value>.*?)(?=\s*(?:名称|发布机构|文号|索引号|公开日期|发布日期|成文日期|主题分类|公开方式)[：:]|$)"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[年.．/\-]\s*(\d{1,2})(?:\s*[月.．/\-]\s*(\d{1,2})\s*日?)?\s*月?")
_CONTACT = re.compile(
    r"(?P<role>主管领导|分管领导|经办人|联系人)(?:姓名)?[：:\s]*(?P<name>[^\s\d：:]{2,5}?)?\s*"
    r"(?:(?:联系)?电话[：:\s]*(?P<phone>\d[\d\-]{5,}))?$"
)
_PHONE_LINE = re.compile(r"^(?:联系)?电话[：:\s]*(?P<phone>\d[\d\-]{5,})$")
_CLOSING_CONTACT = re.compile(
    r"^(?:主管领导|分管领导|经办人|联系人|(?:联系)?电话[：:\s]*\d|邮政编码[：:\s]*\d|(?:抄送|主送)[：:])"
)
_CLOSING_THANKS = re.compile(
    r"^(?:最后|再次|衷心|诚挚)?[，,]?(?:感谢|谢谢)|^(?:再次|最后)|^请.{0,6}(?:多提|提出)|^希望"
)
# How the title of a plan, report or notice ends; a title page line ending so is the document's heading.
_PLAN_WORDS = re.compile(r"(?:规划|方案|计划|意见|办法|通知|报告|纲要|细则|指南|情况|总结|要点|说明|复函)$")

# Heading kinds from outermost to innermost: a heading closes every open heading of the same or a deeper rank.
_RANK = {"part": 0, "chapter": 1, "section": 2, "cn": 3, "paren": 4, "num": 5, "box": 6, "item": 7, "shi": 8}
# Section.level by marker (records.Section): 第X章 / 一、 = 1, 第X节 / （一） = 2, 1、 / 一是 / 专栏 = 3; a section
# is always at least one level below its parent (一、 under 第一章 is 2).
_LEVEL = {"part": 1, "chapter": 1, "section": 2, "cn": 1, "paren": 2, "num": 3, "box": 3, "item": 4, "shi": 3}
_MAX_HEADING = 40
CLOSING_HEADINGS = ("结语及联系方式", "联系方式", "结语")


def load_documents(path: Path) -> list[Document]:
    """Read, clean and parse one file.

    Args:
        path: a file of a supported type.

    Returns:
        One Document per reply in the file (most files hold one).

    Raises:
        IngestError: the file cannot be read, or nothing is left once page numbers and the like are removed.
    """
    path = Path(path)
    docs = parse_documents(clean_text(read_text(path)), path.name)
    if not docs:
        raise IngestError(f"{path.name}: no text left after removing page numbers and blank lines")
    return docs


def parse_documents(text: str, source: str) -> list[Document]:
    """Split the cleaned text of one file into Documents with metadata and section trees.

    Args:
        text: output of `qa.ingest.clean.clean_text`.
        source: the file name, stored as `DocMeta.source` and used for doc ids.

    Returns:
        The documents in file order; a file with several reply headings gives one document per reply.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    starts = _document_starts(lines)
    spans = [(s, e) for s, e in zip(starts, [*starts[1:], len(lines)], strict=True)]
    docs: list[Document] = []
    for ordinal, (start, end) in enumerate(spans):
        doc_lines = lines[start:end]
        meta = extract_meta(doc_lines, source)
        root = build_sections(doc_lines)
        doc_id = Document.make_id(source, ordinal, len(spans))
        docs.append(Document(doc_id=doc_id, meta=meta, root=root, text="\n".join(doc_lines)))
    return docs


def _document_starts(lines: list[str]) -> list[int]:
    """Where each reply starts: its header lines (agency, 文号) just above the `对…答复` heading."""
    headings: list[int] = []
    for i, line in enumerate(lines):
        if not REPLY_HEADING.match(line):
            continue
        # A web page may repeat its heading (page title, then body); a repeat with no body between is one reply.
        if headings and lines[headings[-1]] == line and i - headings[-1] <= 4:
            continue
        headings.append(i)
    if len(headings) < 2:
        return [0]
    starts: list[int] = []
    previous_end = 0
    for h in headings:
        start = h
        # Walk back over short header lines (agency, 文号, 予以公开), never into the previous reply's closing.
        while start - 1 >= previous_end and h - (start - 1) <= 4 and _is_header_line(lines[start - 1]):
            start -= 1
        starts.append(start)
        previous_end = h + 1
    starts[0] = 0
    return starts


def _is_header_line(line: str) -> bool:
    return (
        len(line) <= 30
        and not re.search(r"[。；：:]|份[)）]", line)
        and not _CLOSING_CONTACT.match(line)
        and not heading_kind(line)
        and not _DATE.fullmatch(line)  # the previous reply's signature date
    )


def extract_meta(lines: list[str], source: str) -> DocMeta:
    """Read what a document states about itself; anything it does not state stays empty.

    Args:
        lines: the cleaned lines of one document.
        source: the file name.
    """
    fields: dict[str, str] = {}
    for line in lines[:12]:
        for m in _FIELD.finditer(line):
            value = m.group("value").strip()
            if value and not fields.get(m.group("label")):
                fields[m.group("label")] = value

    heading_index = next((i for i, line in enumerate(lines) if REPLY_HEADING.match(line)), -1)
    preamble = lines[: heading_index + 1] if heading_index >= 0 else _plan_preamble(lines)
    heading, meeting, proposal_no, kind = "", "", "", ""
    if heading_index >= 0:
        heading = lines[heading_index]
        m = REPLY_HEADING.match(heading)
        assert m is not None
        meeting, proposal_no = m.group("meeting") or "", m.group("no")
        kind = _kind_of(heading)
    else:
        heading = _plan_title(preamble) or fields.get("名称", "")
        kind = "规划" if "规划" in heading else ("其他" if heading else "")

    agency = fields.get("发布机构", "") or next((x for x in preamble if _AGENCY.match(x)), "")
    doc_no = fields.get("文号", "") if _DOC_NO.fullmatch(fields.get("文号", "")) else ""
    if not doc_no:
        doc_no = next((x for x in preamble if _DOC_NO.fullmatch(x)), "")

    opening = lines[heading_index + 1 : heading_index + 6] if heading_index >= 0 else lines[:8]
    proposers: tuple[str, ...] = ()
    for line in opening:
        sm = _SALUTATION.match(line)
        if sm:
            proposers = tuple(n for n in re.split(r"[、，,\s]+", sm.group("names")) if n)
            if not kind:
                kind = "政协提案" if sm.group("role") == "委员" else "人大建议"
            break

    title = ""
    received = next((x for x in lines[: heading_index + 8] if "收悉" in x), "")
    if received:
        tm = _TITLE_QUOTED.search(received) or _TITLE_PHRASE.search(received)
        title = tm.group(1) if tm else ""

    return DocMeta(
        agency=agency,
        doc_no=doc_no,
        kind=kind or "其他",
        meeting=meeting,
        proposal_no=proposal_no,
        proposers=proposers,
        title=title,
        heading=heading,
        date=_find_date(fields, preamble, lines),
        index_no=fields.get("索引号", ""),
        contacts=_find_contacts(lines),
        source=source,
    )


def _kind_of(heading: str) -> str:
    if "政协" in heading or heading.endswith("提案的答复"):
        return "政协提案"
    if "人大" in heading or "建议" in heading or "议案" in heading:
        return "人大建议"
    return "其他"


def _plan_preamble(lines: list[str]) -> list[str]:
    """The title-page lines of a plan or other document: short lines before the first heading or sentence."""
    out: list[str] = []
    for line in lines[:10]:
        if heading_kind(line) or len(line) > 40 or line.endswith("。"):
            break
        out.append(line)
    return out


def _plan_title(preamble: list[str]) -> str:
    """`东西湖区“十四五”` + `卫生健康事业发展规划` → one title; only lines before the agency/date lines count."""
    parts: list[str] = []
    for line in preamble:
        if _AGENCY.match(line) or _DATE.fullmatch(line) or re.search(r"[：:]", line):
            if parts:
                break
            continue
        parts.append(line)
        if _PLAN_WORDS.search(line):
            return "".join(parts)
    return ""


def _find_date(fields: dict[str, str], preamble: list[str], lines: list[str]) -> str:
    """The document's own date: a date field, else a line that is only a date in the header or at the end."""
    candidates = [fields.get(k, "") for k in ("公开日期", "成文日期", "发布日期")]
    candidates += [x for x in (*preamble, *lines[-6:]) if _DATE.fullmatch(x.strip())]
    for value in candidates:
        m = _DATE.search(value)
        if m:
            year, month, day = m.group(1), int(m.group(2)), m.group(3)
            if not 1 <= month <= 12:
                continue
            return f"{year}-{month:02d}-{int(day):02d}" if day and 1 <= int(day) <= 31 else f"{year}-{month:02d}"
    return ""


def _find_contacts(lines: list[str]) -> tuple[tuple[str, str, str], ...]:
    """(role, name, phone) from `主管领导姓名 吴伟 联系电话87956021`, or with the phone on the next line."""
    contacts: list[tuple[str, str, str]] = []
    for i, line in enumerate(lines):
        m = _CONTACT.match(line)
        if not m or not m.group("name"):
            continue
        phone = m.group("phone") or ""
        if not phone and i + 1 < len(lines):
            pm = _PHONE_LINE.match(lines[i + 1])
            phone = pm.group("phone") if pm else ""
        contacts.append((m.group("role"), m.group("name"), phone))
    return tuple(contacts)


def build_sections(lines: list[str]) -> Section:
    """The section tree of one document.

    The opening (header, salutation, 收悉 paragraph) is the root's text; headings open sections by rank;
    the closing (thanks, contacts, 抄送) becomes a last top-level section so metadata questions can find it.
    """
    root = Section(heading="", level=0)
    closing_at = _closing_start(lines)
    body, closing = lines[:closing_at], lines[closing_at:]
    stack: list[tuple[int, Section]] = []
    current = root
    texts: dict[int, list[str]] = {}
    for line in body:
        split = split_heading(line)
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


def _closing_start(lines: list[str]) -> int:
    """Index of the first closing line (thanks before the contacts, contacts, 抄送) after the last heading."""
    last_heading = max((i for i, x in enumerate(lines) if heading_kind(x)), default=-1)
    contact = next((i for i in range(last_heading + 1, len(lines)) if _CLOSING_CONTACT.match(lines[i])), len(lines))
    start = contact
    thanks = next((i for i in range(last_heading + 1, contact) if _CLOSING_THANKS.match(lines[i])), None)
    if thanks is not None and "感谢" in "".join(lines[thanks:contact]):
        start = thanks
    return start if start > 0 else len(lines)
