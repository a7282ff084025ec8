"""Reply headings: `[agency]关于|对 [meeting] 第N号 提案|建议|议案 <reply ending>`, on one line or over up to three.

All patterns run on the matching copy of a line (`qa.ingest.normalize.for_matching`). The word lists (agency
suffixes, reply endings, kind words) are data: qa/data/*.tsv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from qa.data import word_map, word_set
from qa.ingest.markers import CJK, heading_kind
from qa.ingest.normalize import CN_NUMERAL, cn_number

_MAX_PART = 50  # a line longer than this is a sentence, not part of a heading split over lines
_MAX_HEADING = 130
_NAMES = rf"[{CJK}\*＊]"


def _alternation(words: frozenset[str] | set[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def kind_words() -> dict[str, str]:
    """提案 → 政协提案, 建议 → 人大建议, 委员 → 政协提案 …, from qa/data/document_kinds.tsv (`-`: no kind)."""
    return {word: kinds[0] for word, kinds in word_map("document_kinds").items() if kinds[0] != "-"}


@cache
def agency_pattern() -> re.Pattern[str]:
    """A line that is only the name of a body that can write a reply (…卫生健康局, …委员会)."""
    return re.compile(rf"^[{CJK}][{CJK}（）]{{0,29}}?(?:{_alternation(word_set('agency_suffixes'))})$")


@cache
def _heading_pattern() -> re.Pattern[str]:
    paper = "意见建议|提案|建议|议案"
    return re.compile(
        rf"^(?P<agency>[{CJK}][{CJK}（）]{{1,29}}?)?(?:关于对|关于|对)(?P<middle>[^。；：:！？]{{0,100}}?)"
        rf"(?P<paper>{paper})?(?P<ending>{_alternation(word_set('reply_endings'))})"
        # The heading ends where the line does (or a site name or salutation follows), so one ending inside a
        # longer one (办理情况的答复 in …办理情况的答复的报告) is not taken for the end.
        rf"(?=$|{_SITE_TAIL}|{_SALUTATION_TAIL})"
    )


# What may follow a heading on the same line: a web page title's site name (…的答复_某县人民政府).
_SITE_TAIL = r"\s*[_｜|\-—–]+.{1,40}$"  # compacted: "… - 某县人民政府" is "…-某县人民政府" here
_SALUTATION_TAIL = rf"(?:尊敬的)?[^：，。；]{{2,40}}?(?:委员|代表|同志)们?[：:]?|[{CJK}]{{2,30}}[：:]"
_SITE_SUFFIX = re.compile(rf"^{_SITE_TAIL}")
_SALUTATION_START = re.compile(rf"^(?:{_SALUTATION_TAIL})")
# A proposal number in digits (第118号, 第3-2-017号) or in Chinese numerals (第二十三号).
NUMBER_TEXT = rf"[0-9A-Za-z]+(?:\s*[\-－—–]\s*[0-9A-Za-z]+)*|{CN_NUMERAL}"
_NUMBER = re.compile(rf"(?:第|会议|^)\s*({NUMBER_TEXT})\s*号")
_QUOTED = re.compile(r"《[^》]*》|“[^”]*”")
# Greedy: 政治协商会议某县第十届委员会第二次会议 is one meeting. After a quoted title the meeting and number may
# stand in brackets (关于《…的提案》（县政协八届五次会议第72号）的答复): the bracket is not part of the meeting.
_MEETING = re.compile(r"^[（(]?(?P<meeting>.*会议)")


@dataclass(frozen=True)
class ReplyHeading:
    """A reply heading found at lines[start:end] (end exclusive) with what it states."""

    start: int
    end: int
    text: str  # the heading as written (lines joined, site suffix dropped)
    agency: str
    meeting: str
    proposal_no: str
    paper: str  # 提案 / 建议 / 意见建议 / 议案, or "" for a reply to something else (a 询问, a letter)
    rest: str = ""  # text glued after the heading on its last line (a salutation), for the caller to split off
    title: str = ""  # a proposal title quoted in the heading: 关于《关于…的提案》的答复

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.proposal_no, self.paper, self.meeting)


def normalize_number(text: str) -> str:
    """`3 - 2 - 017` → `3-2-017`; full-width dashes become ASCII; 二十三 → 23 (the number as digits)."""
    text = re.sub(r"\s+", "", re.sub(r"[－—–]", "-", text))
    return str(cn_number(text) or text) if re.fullmatch(CN_NUMERAL, text) else text


def match_heading(text: str, *, allow_rest: bool = False) -> ReplyHeading | None:
    """The reply heading `text` is (or starts with, when `allow_rest` and a salutation follows), else None."""
    compact = re.sub(r"\s+", "", text)
    if len(compact) > _MAX_HEADING and not allow_rest:
        return None
    m = _heading_pattern().match(compact)
    if m is None:
        return None
    rest = compact[m.end() :]
    if rest and not _SITE_SUFFIX.match(rest):
        if not (allow_rest and _SALUTATION_START.match(rest)):
            return None
    else:
        rest = ""
    agency = m.group("agency") or ""
    if agency and not agency_pattern().match(agency):
        return None
    middle = m.group("middle")
    bare = _QUOTED.sub("", middle)  # a quoted title (《关于…的建议》) says nothing about the paper's number or kind
    number = _NUMBER.search(bare)
    paper = m.group("paper") or next((w for w in ("意见建议", "提案", "建议", "议案") if w in bare), "")
    meeting = _MEETING.match(bare[: number.start()] if number else bare)
    said = meeting.group("meeting").rsplit("在", 1)[-1] if meeting else ""  # 王五代表在县…会议期间所提…
    return ReplyHeading(
        start=0,
        end=1,
        text=compact[: m.end()],
        agency=agency,
        meeting=said if len(said) <= 40 else "",
        proposal_no=normalize_number(number.group(1)) if number else "",
        paper=paper,
        rest=rest,
        title=next(iter(re.findall(r"《(关于[^》]{2,80})》", middle)), ""),
    )


def could_be_heading(line: str) -> bool:
    """Cheap test before the heading pattern: 关于 or 对 opens the line or follows an agency name (≤30 chars)."""
    return 0 <= line.find("关于") <= 32 or 0 <= line.find("对") <= 32


def _can_continue(line: str) -> bool:
    return len(line) <= _MAX_PART and not heading_kind(line) and not re.search(r"[。；！？：:]", line)


def find_headings(lines: list[str]) -> list[ReplyHeading]:
    """Every reply heading in the matching copy of a file's lines, in order.

    A heading may be split over two or three short lines; a line that is only an agency name stays a header
    line above the heading, as in most replies.
    """
    found: list[ReplyHeading] = []
    i = 0
    while i < len(lines):
        if not could_be_heading(lines[i]):
            i += 1  # every heading (and the first line of a split one) holds 关于 or 对 near its start
            continue
        hit = match_heading(lines[i], allow_rest=True)
        span = 1
        # A heading split over lines starts on the line holding 关于/对 (an agency-only line above it is a header).
        first = lines[i]
        if hit is None and _can_continue(first) and ("关于" in first or first.startswith("对")):
            for span_ in (2, 3):
                parts = lines[i : i + span_]
                if len(parts) < span_ or not all(_can_continue(p) for p in parts[:-1]):
                    break
                hit = match_heading("".join(parts), allow_rest=True)
                if hit is not None:
                    span = span_
                    break
        if hit is None:
            i += 1
            continue
        found.append(replace(hit, start=i, end=i + span))
        i += span
    return found
