"""A new 提案/建议 from what the user typed, and the requests (asks) it makes, in its own order and structure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.data import read_table
from qa.errors import QAError
from qa.records import Proposal
from qa.text import table_pattern

KIND_ALIASES = read_table("proposal_kinds", fields=3)  # (alias, kind, contains|exact) in the order they are tried
ASK_VERBS = tuple(verb for (verb,) in read_table("ask_verbs"))
VERB_AHEAD = "(?=" + "|".join(v for v in ASK_VERBS if len(v) > 1) + ")"
# A request often opens with whom or where it concerns before its verb: 对托育机构给予…、在各街道设立…、为老年人提供…
TARGET_RE = re.compile(r"^(?:对于|对|为|在|向|针对|围绕|面向|给)[^，,。；;：:]{1,16}?" + VERB_AHEAD)
ENUMERATOR_RE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]|"
    r"一方面|另一方面|同时|此外|另外|其次|首先|最后)[，,：:、\s]*"
)
# Whom a request is addressed to, as a proposal writes it before the request itself.
ADDRESSEES = r"我区|我市|政府|相关部门|有关部门|区政府|市政府"
ASK_PREFIX_RE = re.compile(rf"^(?:(?:建议|希望|恳请|要|应当|应该|应|需要|{ADDRESSEES})[：:，,]?)+")
SHORTCOMING_RE = table_pattern("shortcoming_words", literal=True)
# A clause that asks for something even when its verb is not in ASK_VERBS: 我区应当…、希望…、建议…
MODAL_RE = re.compile(
    rf"^(?:{ADDRESSEES})?"
    r"(?:建议|希望|恳请|要(?![求素])|应当|应该|应(?![对用急届])|需要)"  # not 要求、应对、应急
)
GROUP_HEADING_RE = re.compile(r"^\s*[一二三四五六七八九十]+、\s*([^。；;！？!?\n]{2,30}?)[。：:]?\s*$")
PROBLEM_RE = table_pattern("problem_headings", literal=True)
SENTENCE_RE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
TITLE_SUFFIXES = tuple(suffix for (suffix,) in read_table("title_suffixes"))  # removed in this order


class ProposalError(QAError):
    """A new proposal lacks what a draft needs, names an unknown kind, or asks for a bad option."""


# --- input ----------------------------------------------------------------------------------------------------


def normalize_kind(raw: str) -> str:
    """Map what users type (区政协提案, 市人大代表建议, 提案, 建议, 人大, 政协) to 政协提案 or 人大建议.

    The aliases are qa/data/proposal_kinds.tsv, tried in order.

    Raises:
        ProposalError: the text names neither kind.
    """
    text = raw.strip()
    for alias, kind, match in KIND_ALIASES:
        if (text == alias) if match == "exact" else (alias in text):
            return kind
    raise ProposalError(f"unknown proposal kind {raw!r}: use 政协提案 (提案/政协) or 人大建议 (建议/人大)")


def make_proposal(
    title: str,
    body: str = "",
    *,
    proposers: Sequence[str] = (),
    kind: str = "政协提案",
    meeting: str = "",
    number: str = "",
) -> Proposal:
    """A Proposal from user input: kind normalised, 《》 and 第…号 stripped, names split on 、,，.

    Raises:
        ProposalError: title and body are both empty, or the kind is unknown.
    """
    title = title.strip().strip("《》").strip()
    body = body.strip()
    if not title and not body:
        raise ProposalError("提案需要标题（--title）或正文（--body / --body-file），请至少提供一项")
    names = tuple(n for p in proposers for n in re.split(r"[、,，;；\s]+", p.strip()) if n)
    number = re.sub(r"\s+", "", number).removeprefix("第").removesuffix("号")
    level = kind.strip()[:1] if kind.strip()[:1] in ("区", "市") else ""
    return Proposal(title or body[:30], body, names, normalize_kind(kind), meeting.strip(), number, level)


def title_core(title: str) -> str:
    """What a proposal title is about: 关于优化托育的提案 → 优化托育 (quotes, brackets and the ending removed)."""
    core = re.sub(r"[《》“”\"\s（）()]", "", title).removeprefix("关于")
    for suffix in TITLE_SUFFIXES:
        core = core.removesuffix(suffix)
    return core


# --- the proposal's asks --------------------------------------------------------------------------------------


def _requests(text: str, *, suggesting: bool = False) -> list[str]:
    """The request clauses of a text, in order, without repeats (see split_asks)."""
    asks: list[str] = []
    text = re.sub(r"[一二三四五六七八九十]+是", lambda m: "\n" + m.group(0), text)
    for raw in SENTENCE_RE.findall(text):
        enumerated = bool(ENUMERATOR_RE.match(raw.strip()))
        clause = ENUMERATOR_RE.sub("", raw.strip()).strip("。；;！？!? ")
        core = ASK_PREFIX_RE.sub("", clause).strip("：:，, ")
        # 在推进分级诊疗中存在不足 also opens with a target and a verb: only after 建议, and never a shortcoming.
        targeted = suggesting and not SHORTCOMING_RE.search(core) and TARGET_RE.sub("", core).startswith(ASK_VERBS)
        verb_first = core.startswith(ASK_VERBS) or targeted
        is_ask = verb_first or MODAL_RE.match(clause) or (enumerated and suggesting)
        suggesting = suggesting or "建议" in raw
        if is_ask and len(core) >= 4 and core not in asks:
            asks.append(core)
    return asks


def split_asks(proposal: Proposal, *, limit: int = 6) -> list[str]:
    """The proposal's requests, one clause each, in the order it makes them.

    A clause is a request when it starts with an action verb (加强…、开展…、设立…), says 建议/希望/应当…, or is
    an enumerated item (一是…、1.…) after the body has said 建议. A body without any yields the title alone, so
    a draft always has one section.
    """
    return _requests(proposal.body)[:limit] or [ASK_PREFIX_RE.sub("", title_core(proposal.title)) or proposal.title]


def group_asks(proposal: Proposal, *, limit: int = 6) -> list[tuple[str, list[str]]]:
    """The asks under the proposal's own 一、二、 heading lines: (heading, sub-asks) pairs.

    A reply follows the proposal's structure, so a heading with several requests under it becomes a section
    with （一）（二） below. A body without such headings gives (ask, []) per ask. Headings of problem statements
    (存在的问题) holding no request are left out; the requests under a bare 建议/对策 heading stand on their own.
    """
    groups: list[tuple[str, list[str]]] = []
    for line in proposal.body.splitlines():
        m = GROUP_HEADING_RE.match(line)
        if m:
            groups.append((m.group(1).strip(), []))
        elif groups:
            groups[-1][1].append(line)
    if len(groups) < 2:
        return [(ask, []) for ask in split_asks(proposal, limit=limit)]
    out: list[tuple[str, list[str]]] = []
    for heading, lines in groups:
        subs = _requests("\n".join(lines), suggesting=True)
        if re.fullmatch(r"(?:几点|相关|意见和)?(?:建议|对策|措施|对策建议)", heading):
            out += [(ask, []) for ask in subs]
        elif subs or not PROBLEM_RE.search(heading):
            out.append((ASK_PREFIX_RE.sub("", heading), subs))
    return out[:limit] or [(ask, []) for ask in split_asks(proposal, limit=limit)]


def leaf_asks(groups: Sequence[tuple[str, list[str]]]) -> list[str]:
    """One ask per section that gets text: a group's sub-asks when it has several, else the group itself."""
    leaves: list[str] = []
    for heading, subs in groups:
        leaves += subs if len(subs) > 1 else [f"{heading}，{subs[0]}" if subs else heading]
    return leaves


def ask_heading(ask: str, *, max_chars: int = 30) -> str:
    """A section heading from an ask: the whole ask when short, else its first clause (cut only past 36 chars)."""
    head = re.split(r"[，,：:]", ask)[0] if len(ask) > max_chars else ask
    return head[:36].rstrip("的和与及、")
