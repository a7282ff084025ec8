"""Metadata cues: each reads one place a reply states something about itself and returns what it found there.

The places are the info table of a web page or handling form, the header lines above the heading, the
salutation, the acknowledgement sentence (…提出的《…》收悉), the signature block and the contact lines.
`qa.ingest.meta` chooses among them field by field. All patterns run on the matching copy of the lines.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from qa.data import read_table, word_map, word_set
from qa.ingest.heading import NUMBER_TEXT, _alternation, agency_pattern, normalize_number
from qa.ingest.markers import CJK
from qa.ingest.normalize import cn_date_to_digits, is_date_line, parse_date

_NAME = rf"(?:[{CJK}]{{1,3}}[\*＊]{{1,3}}|[{CJK}]{{2,4}})"  # 王建国, 欧阳明月, masked 王** / 李*
_LAZY_NAME = rf"(?:[{CJK}]{{1,3}}[\*＊]{{1,3}}|[{CJK}]{{2,4}}?)"
_NAME_LIST = rf"{_NAME}(?:[、，,]{_NAME})*"
_COUNT = r"等[\d一二三四五六七八九十]+[位名个]?"
_ROLE = "委员|代表"
_SALUTED = "委员|代表|同志"  # 同志 names a person without saying which body they sit in
DOC_NO = re.compile(rf"[{CJK}]{{1,12}}\s*[〔\[［【（(]\s*((?:19|20)\d{{2}})\s*[〕\]］】）)]\s*第?\s*(\d{{1,5}})\s*号")
_SALUTATION = re.compile(
    rf"^(?:尊敬的)?(?P<names>{_NAME_LIST})(?:{_COUNT})?(?P<role>{_SALUTED})们?(?:[：:]|$)"
    rf"|^(?:尊敬的)?(?P<org>[{CJK}（）]{{2,30}})[：:]$"
)
# …在某会议期间所提出的《…》 / …提交的第N号… : what follows whoever made the proposal.
_PROPOSED_TAIL = r"(?:[在于][^，。；]{2,40}?(?:期间|上))?[所]?(?:提出|提交|领衔提出|提)的?(?=[《第关])"
_PROPOSED = re.compile(rf"(?:^|[。，；、：（])(?P<names>{_NAME_LIST})(?:{_COUNT})?(?P<role>{_ROLE}){_PROPOSED_TAIL}")
# A body named as the proposer: 民革某区委员会提出的《…》 (a collective proposal; is_collective decides).
_PROPOSED_BY_BODY = re.compile(rf"(?:^|[。，；、：（])(?P<org>[{CJK}（）]{{2,30}}?){_PROPOSED_TAIL}")
# A name ends before the next label even with no space between (领衔委员：庞志坚附议委员：…).
_LIST = re.compile(rf"(?P<which>领衔|附议)(?:{_ROLE}|人)?[：:]\s*(?P<names>{_NAME_LIST})(?=附议|[^{CJK}]|$)")
_MEETING_SAID = re.compile(r"在(?P<meeting>[^，。；《》]{2,40}会议)(?:期间|上)?(?:所)?(?:提出|提交)")
# The proposal's own title is the quoted one that was "提出" or "收悉"; another 《关于…》 in the sentence is cited.
_QUOTED_TITLE = re.compile(
    r"(?:提出|所提|提交|领衔)的?《(关于[^》]{2,80})》|《(关于[^》]{2,80})》\s*(?:[（(][^）)]{0,30}[）)])?\s*(?:已)?收悉"
)
_TITLE_PHRASE = re.compile(r"(关于[^，。《》]{2,80}?(?:意见和建议|意见建议|提案|建议|议案))(?:已)?收悉")
_ACK_NUMBER = re.compile(rf"(?:^|[（(《》\s的])第\s*({NUMBER_TEXT})\s*号\s*(提案|建议|议案)?")
_REPLY_CLASS = re.compile(r"([ABCＡＢＣ])\s*类")
_SEAL = re.compile(rf"^[（(]?(?P<agency>[{CJK}]{{2,30}}?)[（(]?(?:盖章|印章|公章)[）)]?[）)]?$")
# An extension after a switchboard number: 转3021, 分机8021, （分机8021）. It is part of the number one dials.
_EXTENSION = r"(?:\s*[（(]\s*(?:转|分机)\s*\d{1,5}\s*[）)]|\s*(?:转|分机)\s*\d{1,5})"
_PHONE = (  # (0731)8886666, 0731-8886666(-801), 0731 8886666, 138…, 8795602, 0736-7751816转3021
    r"(?:[（(]0\d{2,3}[）)]\s*\d{7,8}|0\d{2,3}\s*[\-－—]?\s*\d{7,8}(?:[\-－—]\d{1,4})?"
    rf"|\d{{3,4}}[\-－—]\d{{7,8}}|1\d{{10}}|\d{{7,8}}){_EXTENSION}?"
)
# A fax number (传真：0736-7751802) is no way to reach the contact by phone; one line that is both (电话/传真：…,
# 电话及传真) is.
_FAX = re.compile(rf"(?<![话/／、和及])传真(?:号码)?[：:\s]*{_PHONE}")
_PHONES = re.compile(rf"{_PHONE}(?:\s*[、，,/；;]\s*{_PHONE})*")
_PHONE_LABEL = re.compile(r"^[，,；;\s]*(?:联系|办公|手机)?(?:电话|手机|号码)(?:号码)?[：:\s]*")


@cache
def _info_labels() -> tuple[dict[str, str], re.Pattern[str], re.Pattern[str]]:
    labels = {label: field for label, field in read_table("info_labels", fields=2)}
    alt = _alternation(set(labels))
    fields = re.compile(rf"(?P<label>{alt})\s*[：:]\s*(?P<value>.*?)(?=\s*[|｜]?\s*(?:{alt})\s*[：:]|\s*[|｜]|$)")
    line_start = re.compile(rf"^[（(]?\s*(?:{alt})\s*(?:[：:\t]|$)")
    return labels, fields, line_start


def is_bare_label(line: str) -> bool:
    """A label alone on its line (`发布机构：`): its value is the next line."""
    return line.strip(" ：:\t（(") in _info_labels()[0]


def is_info_line(line: str) -> bool:
    """A line of an info table or handling form (索引号：…, 会议届次<TAB>…), which is metadata, not body."""
    return bool(_info_labels()[2].match(line))


def info_table(lines: list[str]) -> dict[str, str]:
    """Field → value from info-table lines: `label：value` pairs (several a line, | separated or not) and
    tab-separated `label<TAB>value` rows. The first value of a field wins; empty values are skipped."""
    labels, fields, _ = _info_labels()
    out: dict[str, str] = {}

    def put(label: str, value: str) -> None:
        field = labels.get(label.strip(" ：:"), "-")
        value = value.strip(" |｜\t")
        if field != "-" and value and field not in out:
            out[field] = value

    def is_label(cell: str) -> bool:
        return cell.strip(" ：:") in labels

    for i, line in enumerate(lines):
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            below = [c.strip() for c in after.split("\t")]
            if all(map(is_label, cells)) and len(below) == len(cells) and not any(map(is_label, below)):
                for label, value in zip(cells, below, strict=True):  # a header row over a value row
                    put(label, value)
                continue
            for label, value in itertools.pairwise(cells):
                if is_label(label):
                    put(label, value)
            continue
        if is_label(line) and after and not is_info_line(after):
            put(line, after)  # label and value in two elements of a page, one per line
            continue
        for m in fields.finditer(line):
            put(m.group("label"), m.group("value"))
    return out


def kind_of_word(word: str) -> str:
    """政协提案 / 人大建议 for a word that says it (提案, 建议, 委员, 政协 …), else ""."""
    from qa.ingest.heading import kind_words

    words = kind_words()
    for key in sorted(words, key=len, reverse=True):
        if key in word:
            return words[key]
    return ""


@cache
def _not_a_name() -> re.Pattern[str]:
    """Words that make a would-be name a group or an office (区人大代表, 各位委员): qa/data/not_names.tsv."""
    return re.compile(_alternation(word_set("not_names")))


def split_names(text: str) -> tuple[str, ...]:
    """`周蕾、钱伟` → ("周蕾", "钱伟"); a group word (区人大, 各位) is not a name."""
    names = tuple(n for n in re.split(r"[、，,\s]+", text) if n)
    if any(_not_a_name().search(n) for n in names):
        return ()
    return names


def salutation(line: str) -> tuple[tuple[str, ...], str, str] | None:
    """(names, role, organisation) of a salutation line: `王建国委员：`, `周蕾、钱伟委员：`, `谢芳等5位委员：`,
    `尊敬的陈立群代表：`, `邹明亮委员` (no colon), `农工党某区委员会：` (an organisation); else None."""
    m = _SALUTATION.match(re.sub(rf"(?:{_SALUTED})(?=[、，,]{_NAME})", "", line))  # 张三委员、李四委员：
    if m is None:
        return None
    if m.group("names"):
        names = split_names(m.group("names"))
        return (names, m.group("role"), "") if names else None
    return (), "", m.group("org")


def is_collective(org: str) -> bool:
    """An organisation that makes collective proposals (a democratic party committee, a sector group)."""
    return any(marker in org for marker in word_set("collective_proposers"))


def proposed_by(text: str) -> tuple[tuple[str, ...], str]:
    """Proposers named in a sentence: `唐丽华代表提出的《…》`, `何涛等5位委员提出的…` → (names, role)."""
    for m in _PROPOSED.finditer(text):
        names = split_names(m.group("names"))
        if names:
            return names, m.group("role")
    return (), ""


def collective_proposer(text: str) -> str:
    """The body that made a collective proposal named in a sentence: `民革某区委员会提出的《…》` → 民革某区委员会."""
    return next((m.group("org") for m in _PROPOSED_BY_BODY.finditer(text) if is_collective(m.group("org"))), "")


def lead_and_seconders(text: str) -> tuple[str, ...]:
    """The names of a `领衔代表：某某；附议代表：某某、某某` list, lead first."""
    names: list[str] = []
    for m in _LIST.finditer(text):
        names.extend(n for n in split_names(m.group("names")) if n not in names)
    return tuple(names)


def meeting_said(text: str) -> str:
    """The meeting of `您在县政协八届二次会议期间提出的…`."""
    m = _MEETING_SAID.search(text)
    return m.group("meeting") if m else ""


def quoted_title(text: str) -> str:
    """The proposal's title quoted in an acknowledgement sentence: 《关于…》."""
    m = _QUOTED_TITLE.search(text)
    return (m.group(1) or m.group(2)) if m else ""


def title_phrase(text: str) -> str:
    """The proposal's title written without quotes: `您提出的关于…的建议收悉`."""
    m = _TITLE_PHRASE.search(text)
    return m.group(1) if m else ""


def acknowledged_number(text: str) -> tuple[str, str]:
    """(number, paper) of `(第52号提案)` or `《…》(第118号)` in an acknowledgement sentence."""
    m = _ACK_NUMBER.search(text)
    return (normalize_number(m.group(1)), m.group(2) or "") if m else ("", "")


def is_doc_number_line(text: str) -> bool:
    """A line that is only a 文号: the reply's own (a cited 文号 sits inside a sentence)."""
    if len(text) > 40 or "号" not in text:
        return False
    m = DOC_NO.search(text)
    return bool(m) and not (text[: m.start()] + text[m.end() :]).strip()


def doc_number(text: str) -> str:
    """The 文号 in `text` with its brackets as 〔〕: 梧卫函[2024]56号 → 梧卫函〔2024〕56号."""
    m = DOC_NO.search(text)
    if m is None:
        return ""
    prefix = text[m.start() : m.start(1)].rstrip(" 〔[［【（(").strip()
    # A heading glued before its 文号 (…的答复的报告葭卫报〔2025〕9号, a flattened page) is not part of it: the
    # 文号 starts after the reply ending; a code that itself ends so (某政复函) is kept whole.
    cut = max((prefix.rfind(w) + len(w) for w in word_set("reply_endings") if w in prefix), default=0)
    if 0 < cut <= len(prefix) - 2:
        prefix = prefix[cut:]
    return f"{prefix}〔{m.group(1)}〕{m.group(2)}号"


def reply_class(text: str) -> str:
    """A/B/C of `答复类别：A类` (the value of the label), or of the class's standard wording when the label's value
    is written out (所提问题已经解决或采纳 → A类; qa/data/reply_class_words.tsv)."""
    m = _REPLY_CLASS.search(text) or re.match(r"\s*([ABC])(?![A-Za-z0-9])", text)
    if m:
        return m.group(1).translate(str.maketrans("ＡＢＣ", "ABC")) + "类"
    return next((grade for words, grade in _class_words() if words in text), "")


@cache
def _class_words() -> tuple[tuple[str, str], ...]:
    """(wording, class) pairs, the longest wording first so a short form inside a longer one never decides."""
    return tuple(sorted(read_table("reply_class_words", fields=2), key=lambda row: -len(row[0])))  # type: ignore[arg-type]


def is_class_line(line: str) -> bool:
    """A line that only states the class: `A类`, `（B类）`."""
    return bool(re.fullmatch(r"\s*[（(【\[]?\s*[ABCＡＢＣ]\s*类\s*[）)】\]]?\s*", line))


def agency_name(line: str) -> str:
    """The agency a line names: the whole line, or the line less a trailing date (`某局 2023年8月10日`)."""
    line = line.strip()
    if agency_pattern().match(line):
        return line
    head = re.split(r"\s+|(?=(?:19|20)\d{2}\s*年)|(?=[〇○零一二三四五六七八九]{4}年)", line, maxsplit=1)[0]
    if head != line and agency_pattern().match(head) and is_date_line(line[len(head) :]):
        return head
    return ""


def seal_agency(line: str) -> str:
    """The agency of a seal line `（某市卫生健康委员会盖章）`."""
    m = _SEAL.match(line.strip())
    return m.group("agency") if m and agency_pattern().match(m.group("agency")) else ""


def signature(lines: list[str]) -> tuple[str, str]:
    """(agency, date) of the signature block: the last agency line (or seal line) near the end, the first of
    several stacked ones, and the date line after it; a date alone at the end counts when no agency precedes it."""
    agency, date = "", ""
    # A distribution list (抄送：…, one body a line) follows the signature and names other bodies.
    cut = next((i for i, x in enumerate(lines) if x.startswith(("抄送", "抄报", "主送", "分送"))), len(lines))
    lines = lines[:cut]
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        name = agency_name(line) or seal_agency(line)
        if name:
            agency = name
            rest = cn_date_to_digits(line[len(name) :]) if agency_name(line) else ""
            date = parse_date(rest) or date
            if not date:
                after = next((x for x in lines[i + 1 : i + 3] if is_date_line(x)), "")
                date = parse_date(after)
            while i > 0 and agency_pattern().match(lines[i - 1]):
                i -= 1
                agency = lines[i]  # a block signed by several bodies: the lead signs first
            break
    if not date:
        date = next((parse_date(x) for x in reversed(lines) if is_date_line(x)), "")
    return agency, date


_LATER_LABEL = re.compile(r"(?:\s|[；;，,）)])((?:联系人|承办人|经办人|分管领导|主管领导|签发人|办理人)[：:\s])")


@cache
def _contact_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    roles = {label: role for label, role in read_table("contact_labels", fields=2)}
    labels = _alternation(set(roles))
    pattern = re.compile(
        rf"(?P<label>{labels})(?:姓名)?\s*[：:]?\s*(?P<name>{_LAZY_NAME})?(?=[^{CJK}]|联系|电话|手机|$)"
        rf"(?P<tail>.*?)(?=(?:{labels})(?:姓名)?\s*[：:]?\s*{_NAME}|$)"
    )
    return pattern, roles


def contacts(lines: list[str]) -> tuple[tuple[str, str, str], ...]:
    """(role, name, phone) from contact lines: `联系人：某某，联系电话：0736-5821234`, `(联系人：某某，…)`,
    `联系人及电话：某某 0731-…`, `主管领导姓名 某某 联系电话 8795…`, or the phone on the next line."""
    pattern, roles = _contact_pattern()
    out: list[tuple[str, str, str]] = []
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith(("（", "(")):  # a contact line in brackets loses one pair: a phone's （分机8021） stays
            line = line[1:].strip()
            line = line[:-1] if line.endswith(("）", ")")) else line
        if not line.startswith(tuple(roles)):
            # A contact after other fields of a short line: `某卫函〔2022〕31号 签发人：张三`, `联系单位：…；联系人：…`.
            at = _LATER_LABEL.search(line) if len(line) <= 100 else None
            if at is None or not line[at.start(1) :].startswith(tuple(roles)):
                continue
            line = line[at.start(1) :]
        for m in pattern.finditer(line):
            name = m.group("name") or ""
            if not name or _not_a_name().search(name):
                continue
            phone = _phones(m.group("tail"))
            if not phone and i + 1 < len(lines):
                nxt = lines[i + 1].strip()
                label = _PHONE_LABEL.match(nxt)
                if label and label.group():
                    phone = _phones(nxt[label.end() :])
            out.append((roles[m.group("label")], name, phone))
    return tuple(out)


def _phones(text: str) -> str:
    """The first phone number of `電話：0738-2216654、138…` (a contact record holds one), dashes as ASCII, an
    extension kept without brackets (0766-8853021（分机8021） → 0766-8853021分机8021); a fax number is skipped."""
    m = _PHONES.search(_FAX.sub("", text))
    if m is None:
        return ""
    phone = re.match(_PHONE, m.group()).group()  # type: ignore[union-attr]
    extension = re.search(_EXTENSION + "$", phone)
    tail = re.sub(r"[\s（()）]", "", extension.group()) if extension else ""
    phone = phone[: extension.start()] if extension else phone
    area = re.fullmatch(r"[（(]?(0\d{2,3})[）)]?\s*[\-－—]?\s*(\d{7,8}(?:[\-－—]\d{1,4})?)", phone)
    main = f"{area.group(1)}-{area.group(2)}".replace("－", "-").replace("—", "-") if area else phone
    return main + tail


def phones_listed_with(phone: str, text: str) -> list[str]:
    """Every number of the printed list that holds a contact's phone (电话:0738-2216654、13874510022 → both), each
    read as _phones reads one; [phone] when no list holds it. A contact record keeps the first; a reader asking
    for the numbers left wants them all."""
    for m in _PHONES.finditer(_FAX.sub("", text)):
        numbers = [_phones(n) for n in re.split(r"\s*[、，,/；;]\s*", m.group())]
        if phone in numbers:
            return [n for n in numbers if n]
    return [phone]


def kind_map() -> dict[str, tuple[str, ...]]:
    return word_map("document_kinds")
