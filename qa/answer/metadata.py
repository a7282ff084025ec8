"""Answers from the documents' metadata (DocMeta): 文号, the proposal's number and proposers, 题目, 会议, 答复单位,
日期, 经办人 and 电话, for one document or, listed, across the documents a question names; and the place a document
speaks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from qa.answer.lexicon import META_WORDS, present
from qa.answer.question import META_LIST_RE, is_entity, question_terms
from qa.ingest.cues import DOC_NO, doc_number, is_collective, phones_listed_with
from qa.ingest.normalize import parse_date
from qa.records import Chunk, DocMeta
from qa.retrieve import NAMED_NUMBER_RE, proposal_number_matches
from qa.text import PLACE_RE, normalize

# How a refusal names a DocMeta field the asked document does not state (该答复未写明联系人和电话).
FIELD_LABELS = {
    "contacts": "联系人和电话",
    "doc_no": "文号",
    "date": "日期",
    "proposers": "提出人",
    "proposal_no": "编号",
    "meeting": "会议届次",
    "agency": "答复单位",
    "title": "题目",
    "index_no": "索引号",
    "reply_class": "答复类别",
    "documents": "所问人员经办的答复",
}


def place_of(meta: DocMeta) -> str:
    """The district or city a document speaks for, e.g. 江夏区 from 武汉市江夏区卫生健康局."""
    for text in (meta.agency, meta.heading, meta.title):
        local = re.sub(r"^[\u4e00-\u9fa5]{2}[省市](?=[\u4e00-\u9fa5]{2,3}[区县])", "", text)
        m = re.match(r"([\u4e00-\u9fa5]{2,3}[区县])", local) or re.match(r"([\u4e00-\u9fa5]{2}市)", local)
        if m:
            return m.group(1)
    return ""


def _role_of(meta: DocMeta) -> str:
    return "代表" if meta.kind == "人大建议" or "建议" in meta.heading else "委员"


def _proposed_by(meta: DocMeta) -> str:
    """The proposers with their role (张**委员); a collective proposal's proposer is a body (农工党墨溪区委员会),
    which takes no 委员/代表 after it."""
    role = "" if all(is_collective(p) for p in meta.proposers) else _role_of(meta)
    return f"{'、'.join(meta.proposers)}{role}"


def meta_answer(field_name: str, question: str, chunk: Chunk, n: int, texts: Sequence[str] = ()) -> str:
    """A one-sentence answer from a document's metadata, or "" when the document does not state it; `texts`, the
    document's passages at hand, give its 文号 and date as printed."""
    meta = chunk.meta
    name = meta.display_title if (meta.heading or meta.title) else "该答复"  # not a file name
    q = normalize(question)
    if field_name == "doc_no" and meta.doc_no:
        return f"{name}的文号为{printed_doc_no(meta.doc_no, texts)}[{n}]。"
    if field_name == "proposal_no" and meta.proposal_no:
        kind = _kind_of(meta)
        return f"该{kind}为第{meta.proposal_no}号{kind}（{name}）[{n}]。"
    if field_name == "proposers" and meta.proposers:
        return f"{name}由{_proposed_by(meta)}提出[{n}]。"
    if field_name == "title" and meta.title:
        who = _proposed_by(meta) if meta.proposers else "该"
        return f"{who}的{_kind_of(meta)}是《{meta.title}》（{meta.heading}）[{n}]。"
    if field_name == "meeting" and meta.meeting:
        return f"{name}是{meta.meeting}上的{_kind_of(meta)}[{n}]。"
    plan = meta.kind == "规划"
    agency = meta.agency or (_agency_in_text(chunk.text) if field_name == "agency" else "")
    if field_name == "agency" and agency:
        return f"{name}由{agency}{'编制' if plan else '答复'}[{n}]。"
    if field_name == "date" and meta.date:
        return f"{name}的{'编制' if plan else '落款'}日期为{printed_date(meta.date, texts)}[{n}]。"
    if field_name == "index_no" and meta.index_no:
        return f"{name}的索引号为{meta.index_no}[{n}]。"
    if field_name == "reply_class":
        grade = meta.reply_class or _class_in_text(chunk.text)
        return f"{name}的答复类别为{grade}[{n}]。" if grade else ""
    if field_name == "contacts" and meta.contacts:
        wanted = [c for c in meta.contacts if c[0] and c[0][:2] in q]
        if wanted and _ASKS_PHONE_RE.search(q) and not any(phone for _, _, phone in wanted):
            # 谁签发的？电话多少: the signer has no phone; the contact who has one answers the second part
            wanted += [c for c in meta.contacts if c[2] and c not in wanted]
        wanted = wanted or list(meta.contacts)
        printed = "\n".join(texts)
        parts = [
            f"{role}{person}，联系电话{'、'.join(phones_listed_with(phone, printed))}" if phone else f"{role}{person}"
            for role, person, phone in wanted
        ]
        return f"{name}的{'；'.join(parts)}[{n}]。"
    return ""


_ASKS_PHONE_RE = re.compile(r"电话|号码|找谁|联系")
_ISO_DATE_RE = re.compile(r"((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})")
_CLASS_RE = re.compile(r"(?:答复|办理)?类[别型]\s*[：:]?\s*([ABC])\s*类")


# A date as replies print it: 2021年08月31日, 2024.5.20, 2023-07-08, 二〇二四年八月十二日.
_PRINTED_DATE_RE = re.compile(
    r"(?:(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*[年.\-/]\s*[\d一二三四五六七八九十]{1,3}\s*[月.\-/]"
    r"\s*[\d一二三四五六七八九十]{1,3}\s*日?"
)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _printed_doc_nos(text: str) -> Iterator[tuple[str, str]]:
    """Each 文号 a text prints (葭卫报【2025】9号, 蕙卫函〔２０２５〕８２号), with the form the metadata keeps
    (the ingest's own reading: qa.ingest.cues.doc_number, normalised)."""
    ascii_digits = text.translate(_FULL_WIDTH_DIGITS)  # the same length: a match's span is the printed text's
    for m in DOC_NO.finditer(ascii_digits):
        yield text[m.start() : m.end()], normalize(doc_number(m.group(0)))


def printed_doc_no(doc_no: str, texts: Sequence[str]) -> str:
    """A 文号 as the document prints it (its brackets and digits), found in its passages; as stored otherwise."""
    wanted = normalize(doc_no)
    for text in texts:
        for printed, kept in _printed_doc_nos(text):
            if kept.endswith(wanted):
                printed = re.sub(r"\s+", "", printed)[-len(re.sub(r"\s+", "", doc_no)) :]
                # [2024] would read as a citation marker in the answer: that form keeps 〔〕
                return doc_no if "[" in printed else printed
    return doc_no


def printed_date(date: str, texts: Sequence[str]) -> str:
    """An ISO date as the document prints it (2021年08月31日), found in its passages; a date in Chinese numerals
    also in digits; chinese_date(date) when no passage at hand prints it."""
    for text in texts:
        for m in _PRINTED_DATE_RE.finditer(text):
            printed = re.sub(r"\s+", "", m.group(0))
            if parse_date(printed) == date:
                return printed if re.search(r"\d", printed) else f"{printed}（{chinese_date(date)}）"
    return chinese_date(date)


def chinese_date(date: str) -> str:
    """2023-08-10 → 2023年8月10日, the way replies write their dates; other forms stay as they are."""
    m = _ISO_DATE_RE.fullmatch(date.strip())
    return f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日" if m else date


# A health or insurance bureau named in a passage (its heading or signature line), simplified or traditional.
_AGENCY_RE = re.compile(
    r"[\u4e00-\u9fff]{2,10}?(?:卫生健康|衛生健康)(?:委员会|委員會|局)|[\u4e00-\u9fff]{2,10}?(?:医疗保障|醫療保障)局"
)


def _agency_in_text(text: str) -> str:
    """The replying bureau as a passage names it, when the metadata does not: the first bureau named at the start
    of a line (a heading or signature line), not one mentioned mid-sentence."""
    for line in text.splitlines():
        m = _AGENCY_RE.match(line.strip())
        if m:
            return m.group(0)
    return ""


def _class_in_text(text: str) -> str:
    """答复类别 stated in a passage (答复类别：C类) when the metadata does not carry it."""
    m = _CLASS_RE.search(text)
    return f"{m.group(1)}类" if m else ""


def meta_source(question: str, sources: Sequence[Chunk]) -> int:
    """The source (1-based) whose document the metadata question is about.

    The place, the proposal number and the people (proposer, contact) the question names pick the document first
    (蓼川县第7号提案 is not another county's 第7号, nor the reply whose contact block shares the words 经办人/电话);
    then the most question terms in its chunk. Metadata words (经办人, 文号) say which field is asked, not which
    document.
    """
    q = normalize(question)
    terms = [t for t in question_terms(question) if t not in META_WORDS]
    places = PLACE_RE.findall(q)
    numbers = set(re.findall(r"第\s*([0-9][0-9\-]*)\s*号", q) + NAMED_NUMBER_RE.findall(q))  # 第3-2-017号, 182号
    best, best_score = 1, -1.0
    for n, chunk in enumerate(sources, 1):
        meta = chunk.meta
        text = normalize(f"{chunk.indexed_text} {meta.display_title} {meta.doc_no}")
        where = normalize(f"{meta.agency}{meta.heading}{meta.title}")
        score = sum(len(t) for t in terms if present(t, text)) + 0.5 / n
        if places and all(p in where or p[:-1] in where for p in places):
            score += 100
        if meta.proposal_no in numbers or any(proposal_number_matches(n, meta.proposal_no) for n in numbers):
            score += 50  # the retriever's reading: 182号 names 第20240182号
        if any(normalize(p) in q for p in meta.named_people):
            score += 50  # 鄢国华代表那个建议: the reply of the person named
        if score > best_score:
            best, best_score = n, score
    return best


def _places_in(terms: Sequence[str]) -> list[str]:
    """The places among a question's terms (江夏区, 岚溪市)."""
    return [t for t in terms if is_entity(t) and not t.isdigit()]


def _speaks_for(meta: DocMeta, places: Sequence[str]) -> bool:
    """Whether a document is one of the places' own (its agency, heading or title names each, 区/县/市 or not)."""
    where = normalize(f"{meta.agency}{meta.heading}{meta.title}")
    return all(p in where or p[:-1] in where for p in places)


def meta_list_answer(field_name: str, question: str, sources: Sequence[Chunk]) -> str:
    """The distinct values of one metadata field across the documents a question names (江夏区卫健局的主管领导有哪些),
    each cited; "" when the question is about one document's topic or the field has fewer than two values."""
    q = normalize(question)
    if field_name not in ("contacts", "proposers", "agency") or not META_LIST_RE.search(q):
        return ""
    terms = question_terms(question)
    if any(t not in META_WORDS and not is_entity(t) for t in terms):
        return ""  # 托育那个提案是哪几位委员提的: one document's answer, from meta_answer
    places = _places_in(terms)
    values: dict[str, list[int]] = {}
    label = ""
    for n, chunk in enumerate(sources, 1):
        meta = chunk.meta
        if not _speaks_for(meta, places):
            continue
        if field_name == "contacts":
            wanted = [c for c in meta.contacts if c[0] and c[0][:2] in q]
            label = wanted[0][0] if wanted else label
            found = [person for _role, person, _phone in wanted]
        elif field_name == "proposers":
            label, found = f"提出{_role_of(meta)}", list(meta.proposers)
        else:
            label, found = "答复单位", [meta.agency] if meta.agency else []
        for value in found:
            cited = values.setdefault(value, [])
            if n not in cited:
                cited.append(n)
    if len(values) < 2:
        return ""
    parts = "、".join(f"{value}{''.join(f'[{n}]' for n in cited[:2])}" for value, cited in values.items())
    return f"{label}有：{parts}。"


def documents_of_person(question: str, sources: Sequence[Chunk]) -> str:
    """The replies whose metadata names a person the question names, as contact or proposer (经办人某某办了哪几份答复),
    numbered in retrieval order with their titles, each cited; "" when no retrieved document names one."""
    q = normalize(question)
    # the place the question names (岚溪市卫健委的联系人…) is the replies' own: a namesake elsewhere is someone else
    places = _places_in(question_terms(question))
    lead = ""
    found: dict[str, tuple[str, list[int]]] = {}  # doc_id → (its name for people, the sources citing it)
    for n, chunk in enumerate(sources, 1):
        meta = chunk.meta
        if not _speaks_for(meta, places):
            continue
        # (role, person, how the answer says what they did)
        named = [(role, person, f"{role}为{person}的答复") for role, person, _phone in meta.contacts]
        named += [(_role_of(meta), person, f"{person}提出的{_kind_of(meta)}") for person in meta.proposers]
        hit = [said for _role, person, said in named if len(person) >= 2 and normalize(person) in q]
        if not hit or not (meta.heading or meta.title):
            continue
        lead = lead or hit[0]
        cited = found.setdefault(chunk.doc_id, (meta.display_title, []))[1]
        if n not in cited:
            cited.append(n)
    if not found:
        return ""
    items = [f"{i}. {name}{''.join(f'[{n}]' for n in cited[:2])}" for i, (name, cited) in enumerate(found.values(), 1)]
    return f"{lead}共{len(found)}份：\n" + "\n".join(items)


def _kind_of(meta: DocMeta) -> str:
    return "建议" if _role_of(meta) == "代表" else "提案"


def metadata_answer(
    question: str, fields: Sequence[str], sources: Sequence[Chunk], documents: Mapping[str, str] | None = None
) -> str:
    """The answer to a metadata question: the field's values across documents when it lists them, else the asked
    fields of the one document the question is about; "" when the documents do not state them."""
    if fields[0] == "documents":
        return documents_of_person(question, sources)
    listed = meta_list_answer(fields[0], question, sources)
    if listed:
        return listed
    # two replies described and joined by 和, one field asked of each: each document, in the order described
    named = [meta_source(part, sources) for part in _DOCUMENT_JOIN_RE.split(normalize(question))]
    chosen = list(dict.fromkeys(named)) if len(named) > 1 else [meta_source(question, sources)]
    answers = []
    for n in chosen:
        doc_id = sources[n - 1].doc_id
        # the passages at hand first, then the whole reply (its signature prints the date) when the index gave it
        texts = [c.text for c in sources if c.doc_id == doc_id] + [(documents or {}).get(doc_id, "")]
        for field_name in fields:
            k = _printing_source(field_name, n, sources)
            answers.append(meta_answer(field_name, question, sources[k - 1], k, texts))
    return "".join(answers)


def _printing_source(field_name: str, n: int, sources: Sequence[Chunk]) -> int:
    """The source (1-based) to cite for a field of source n's document: a passage of that document that prints
    the field's value (the contact block for 经办人, the salutation for the proposers), else source n itself."""
    meta = sources[n - 1].meta
    values = {
        "contacts": [person for _role, person, _phone in meta.contacts],
        "proposers": list(meta.proposers),
        "doc_no": [meta.doc_no],
        "reply_class": [meta.reply_class],
    }.get(field_name, [])
    values = [normalize(v) for v in values if v]
    if not values:
        return n
    same_document = [k for k, c in enumerate(sources, 1) if c.doc_id == sources[n - 1].doc_id]
    for k in sorted(same_document, key=lambda k: k != n):  # source n first when it prints the value too
        text = sources[k - 1].text
        # 葭卫报【2025】9号 prints the 葭卫报〔2025〕9号 of the metadata
        held = normalize(text) + "".join(kept for _, kept in _printed_doc_nos(text))
        if any(v in held for v in values):
            return k
    return n


# Two documents described and joined: …那份答复和…那份答复 / …的回复与…的建议.
_DOCUMENT_JOIN_RE = re.compile(r"(?<=答复|回复|复函|提案|建议|意见|文件)(?:和|与|及|跟|、)")
