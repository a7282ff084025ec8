"""Document metadata chosen field by field from the cues that support it, each field recording its cue.

A field left empty is better than a wrong value: a field is only filled from a place that states it (the
heading, the header lines above it, an info table, the salutation, the acknowledgement sentence, the signature
block, the contact lines), in a fixed order of trust, and `DocMeta.cues` says which place gave it.
"""

from __future__ import annotations

import re

from qa.data import read_table
from qa.ingest import cues as cue
from qa.ingest.heading import ReplyHeading, agency_pattern, kind_words, match_heading, normalize_number
from qa.ingest.markers import heading_kind
from qa.ingest.normalize import CN_NUMERAL, for_matching, is_date_line, parse_date
from qa.records import DocMeta

_CLOSING_LINES = 12
_OPENING_LINES = 4
# How the title of a plan, report or notice ends; a title page line ending so is the document's heading.
_PLAN_WORDS = re.compile(r"(?:规划|方案|计划|意见|办法|通知|报告|纲要|细则|指南|情况|总结|要点|说明|复函)$")


def body_start(lines: list[str], heading: ReplyHeading | None) -> int:
    """Index of the first line of the letter itself (salutation, a sentence, a section heading) after the
    heading and the header/info lines; everything before it is the preamble."""
    for i in range(heading.end if heading else 0, len(lines)):
        line = lines[i]
        if cue.is_info_line(line):
            continue
        if cue.salutation(line) or heading_kind(line) or "。" in line or len(line) > 60:
            return i
    return len(lines)


def preamble_info(lines: list[str], heading: ReplyHeading | None) -> set[int]:
    """Indexes of the info-table lines of the preamble (metadata, kept out of the body), with the value line
    under a bare label line (`发布机构：` then `某县人民政府办公室`)."""
    out: set[int] = set()
    for i in range(body_start(lines, heading)):
        if cue.is_info_line(lines[i]):
            out.add(i)
            if cue.is_bare_label(lines[i]) and i + 1 < len(lines) and not cue.is_info_line(lines[i + 1]):
                out.add(i + 1)
    return out


def extract_meta(
    lines: list[str], source: str, heading: ReplyHeading | None = None, matching: list[str] | None = None
) -> DocMeta:
    """Read what a document states about itself; anything it does not state stays empty.

    Args:
        lines: the cleaned lines of one document (original text; a matching copy is made here).
        source: the file name.
        heading: the document's reply heading, positions relative to `lines`, when it has one.
        matching: the lines' matching copies when the caller has them.
    """
    m = matching if matching is not None else [for_matching(x) for x in lines]
    start = body_start(m, heading)
    head_lines = range(heading.start, heading.end) if heading else range(0)
    preamble = [x for i, x in enumerate(m[:start]) if i not in head_lines]
    info = cue.info_table(preamble)
    info_at = preamble_info(m, heading)
    header = [x for i, x in enumerate(m[:start]) if i not in head_lines and i not in info_at]  # not the table
    chosen: dict[str, tuple[object, str]] = {}

    def choose(field: str, *candidates: tuple[object, str]) -> None:
        for value, name in candidates:
            if value:
                chosen[field] = (value, name)
                return

    # The salutation and the acknowledgement sentence open the letter.
    opening = m[start : start + _OPENING_LINES]
    greeting = next((s for s in map(cue.salutation, opening[:2]) if s), None)
    names, role, org = greeting or ((), "", "")
    ack_at = next((i for i, x in enumerate(opening) if "收悉" in x or "提出" in x or "《" in x), None)
    ack = opening[ack_at] if ack_at is not None else ""
    if greeting and ack_at is None and opening and "：" in opening[0]:
        ack = opening[0].split("：", 1)[1]  # salutation and sentence on one flattened line
    ack_names, ack_role = cue.proposed_by(ack)
    ack_no, ack_paper = cue.acknowledged_number(ack)

    hd = heading or _info_heading(info.get("heading", ""))
    head = "heading" if heading else "info_table"  # the cue of what the heading states
    choose(
        "meeting",
        (hd.meeting, head),
        (info.get("meeting", ""), "info_table"),
        (cue.meeting_said(ack), "acknowledgement"),
    )
    meeting, meeting_cue = chosen.get("meeting", ("", ""))
    choose(
        "proposal_no",
        (hd.proposal_no, head),
        (_number_of(info.get("proposal_no", "")), "info_table"),
        (ack_no, "acknowledgement"),
    )
    choose(
        "kind",
        (kind_words().get(hd.paper, ""), head),
        (_kind_of_meeting(str(meeting)), meeting_cue),
        (kind_words().get(role, ""), "salutation"),
        (kind_words().get(ack_role, "") or kind_words().get(ack_paper, ""), "acknowledgement"),
        (_kind_of_labels(preamble), "info_table"),
    )
    # A 领衔/附议 list names every proposer, in the sentence or on header lines above the salutation.
    listed = cue.lead_and_seconders(" ".join([*preamble, *opening]))
    listed_at = "preamble" if cue.lead_and_seconders(" ".join(preamble)) else "acknowledgement"
    # A collective proposal's body is addressed (民进某市委员会：) or named as proposer in the sentence (when the
    # letter goes to the main handling body instead); a person named there comes first.
    collective = (org,) if org and cue.is_collective(org) and not ack_names else ()
    said_body = "" if ack_names else cue.collective_proposer(ack)
    choose(
        "proposers",
        (listed, listed_at),
        (names, "salutation"),
        (ack_names, "acknowledgement"),
        (cue.proposed_by(re.sub(r"^.*?(?:关于对|关于|对)", "，", hd.text, count=1))[0], head),
        (cue.split_names(info.get("proposers", "")), "info_table"),
        (collective, "salutation"),
        ((said_body,) if said_body else (), "acknowledgement"),
    )
    closing = m[max(start, len(m) - _CLOSING_LINES) :]
    signed_by, signed_on = cue.signature(closing)
    choose(
        "agency",
        (hd.agency, head),
        (_header_agency(m, heading, start), "header"),
        (signed_by, "signature"),
        (info.get("agency", ""), "info_table"),
        (_agency_of_publisher(info.get("publisher", "")), "info_table"),
        (_agency_of_publisher(info.get("source", "")), "info_table"),
    )
    choose(
        "doc_no",
        (next((cue.doc_number(x) for x in header if _own_number_line(x)), ""), "preamble"),
        (cue.doc_number(info.get("doc_no", "")), "info_table"),
        (next((cue.doc_number(x) for x in m[start:] if cue.is_doc_number_line(x)), ""), "doc_no_line"),
    )
    choose(
        "date",
        (signed_on, "signature"),
        (parse_date(info.get("written", "")), "info_table"),
        (next((parse_date(x) for x in header if is_date_line(x)), ""), "preamble"),
        (parse_date(info.get("published", "")), "info_table"),
    )
    choose(
        "reply_class",
        (cue.reply_class(info.get("reply_class", "")), "info_table"),
        (next((cue.reply_class(x) for x in header if cue.is_class_line(x)), ""), "preamble"),
    )
    near = max(start + _OPENING_LINES, (heading.end if heading else 0) + 8)  # a page may have a long preamble
    received = next((x for x in m[:near] if "收悉" in x), "") or ack
    choose(
        "title",
        (cue.quoted_title(received), "acknowledgement"),
        (hd.title, head),
        (info.get("title", ""), "info_table"),
        (cue.title_phrase(received), "acknowledgement"),
    )
    choose("contacts", (cue.contacts(m), "contacts"))
    choose("index_no", (info.get("index_no", ""), "info_table"))

    title_line = hd.text
    if heading is None:
        title_line = _plan_title(_plan_preamble(m)) or info.get("heading", "")
        if not chosen.get("kind"):
            choose("kind", ("规划" if "规划" in title_line else ("其他" if title_line else ""), "heading"))
    if title_line:
        chosen["heading"] = (title_line, "heading")
    if not chosen.get("agency") and heading is None:
        choose("agency", (next((x for x in _plan_preamble(m) if _is_agency(x)), ""), "header"))
    original = _restorer(lines, m)
    value = {field: _restore(field, v, original) for field, (v, _) in chosen.items()}
    return DocMeta(
        agency=str(value.get("agency", "")),
        doc_no=str(value.get("doc_no", "")),
        kind=str(value.get("kind", "")) or "其他",
        meeting=str(value.get("meeting", "")),
        proposal_no=str(value.get("proposal_no", "")),
        proposers=tuple(value.get("proposers", ())),  # type: ignore[arg-type]
        title=str(value.get("title", "")),
        heading=str(value.get("heading", "")),
        date=str(value.get("date", "")),
        index_no=str(value.get("index_no", "")),
        contacts=tuple(value.get("contacts", ())),  # type: ignore[arg-type]
        reply_class=str(value.get("reply_class", "")),
        cues=tuple((field, name) for field, (_, name) in chosen.items()),
        source=source,
    )


_AS_WRITTEN = ("agency", "doc_no", "meeting", "title", "heading", "proposers", "contacts")


def _restorer(lines: list[str], m: list[str]) -> dict[str, str]:
    """Simplified → the traditional character this document wrote, from the aligned original and matching
    lines: values are read on the matching copy and shown as the document prints them (蘅溪縣衛生健康局)."""
    table: dict[str, str] = {}
    for line, copy in zip(lines, m, strict=True):
        if line != copy and len(line) == len(copy):
            for a, b in zip(line, copy, strict=True):
                if a != b and b not in table and "\u3400" <= a <= "\u9fff":
                    table[b] = a
    return table


def _restore(field: str, value: object, table: dict[str, str]) -> object:
    if not table or field not in _AS_WRITTEN:
        return value
    if field == "proposers":
        return tuple(str(p).translate(str.maketrans(table)) for p in value)  # type: ignore[attr-defined]
    if field == "contacts":
        return tuple((r, n.translate(str.maketrans(table)), p) for r, n, p in value)  # type: ignore[attr-defined]
    return str(value).translate(str.maketrans(table))


def _own_number_line(line: str) -> bool:
    """A header line holding the reply's 文号 (not a sentence citing one, not an info-table row)."""
    return bool(cue.doc_number(line)) and "。" not in line and not cue.is_info_line(line)


def _info_heading(text: str) -> ReplyHeading:
    """The info table's 名称/标题 read as a heading when the body has none (its cues are then the heading's)."""
    found = match_heading(for_matching(text)) if text else None
    return found or ReplyHeading(0, 0, "", "", "", "", "")


def _number_of(text: str) -> str:
    """The number of a table cell: `第36号提案`, `3-2-017`, `第二十三号` (digits first: a cell may name a meeting)."""
    m = re.search(r"([0-9A-Za-z]+(?:[\-－—–][0-9A-Za-z]+)*)", text) or re.search(rf"({CN_NUMERAL})\s*号", text)
    return normalize_number(m.group(1)) if m else ""


def _kind_of_meeting(meeting: str) -> str:
    """县政协十届二次会议 → 政协提案; 市十七届人大三次会议, 县第十七届人民代表大会第三次会议 → 人大建议."""
    return cue.kind_of_word(meeting) if meeting else ""


def _kind_of_labels(preamble: list[str]) -> str:
    """A handling form's labels say what it handles: 建议编号 / 领衔代表 → 人大建议, 提案编号 → 政协提案."""
    for line in preamble:
        label = re.match(r"^(建议|意见建议|议案|提案)(?:编号|名称)|^领衔(代表|委员)", line)
        if label:
            return kind_words().get(label.group(1) or label.group(2), "")
    return ""


def _is_agency(line: str) -> bool:
    return bool(agency_pattern().match(line))


def _header_agency(m: list[str], heading: ReplyHeading | None, start: int) -> str:
    """An agency line just above the heading (or below it, before the letter starts)."""
    if heading is None:
        return ""
    info = preamble_info(m, heading)
    above = [m[i] for i in range(max(0, heading.start - 3), heading.start) if i not in info]
    below = m[heading.end : start]
    # A letterhead names the agency with 文件 after it (某县卫生健康局文件).
    candidates = [x[:-2] if x.endswith("文件") else x for x in (*reversed(above), *below)]
    return next((x for x in candidates if _is_agency(x)), "")


def _agency_of_publisher(publisher: str) -> str:
    """A page's 发布机构 counts only when it is a body that writes replies, not a government office or portal."""
    if not publisher or not _is_agency(publisher):
        return ""
    for word, where in read_table("publishers", fields=2):
        if publisher.endswith(word) or (where == "part" and word in publisher):
            return ""
    return publisher


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
        if _is_agency(line) or is_date_line(line) or re.search(r"[：:]", line):
            if parts:
                break
            continue
        parts.append(line)
        if _PLAN_WORDS.search(line):
            return "".join(parts)
    return ""
