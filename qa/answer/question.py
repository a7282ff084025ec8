"""What a question asks: its answer type (Intent), its content terms, its parts, the noun it counts.

classify() reads the interrogative words: 多少 + a measure word asks for a figure in that unit, 何时 for a date,
哪些 for a list, 文号 / proposers / 经办人 … for a document's metadata, 哪些区 / 各地 for one answer per document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer.lexicon import COLLOQUIAL, DURATION, QUESTION_WORDS, SYNONYMS, UNITS
from qa.data import read_table
from qa.index.tokenize import words
from qa.text import normalize, table_pattern


def _field_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """DocMeta field → the regex of the ways people ask for it, fields in table order."""
    fragments: dict[str, list[str]] = {}
    for name, fragment in read_table("meta_questions", fields=2):
        fragments.setdefault(name, []).append(f"(?:{fragment})")
    return [(name, re.compile("|".join(parts))) for name, parts in fragments.items()]


# A 多少/几 question's measure word, longest first (万元 before 万): the unit the figure must be stated in.
_UNIT_RE = re.compile(rf"(?:多少|几)({'|'.join(map(re.escape, UNITS))})")
_META_PATTERNS = _field_patterns()
_CROSS_DOC_RE = table_pattern("cross_doc", literal=True)
# Which replies a person handled (经办人某某办了哪几份答复): the documents whose metadata names that person, asked by
# a handling role and a clause ending on "which documents". Not what a proposer proposed: 代表提了哪些建议 asks what
# the suggestions say.
_DOCUMENTS_ASKED_RE = re.compile(
    r"(?:哪几|哪些|哪两|哪三|几)[份个条件篇]?(?:提案|建议|议案)?的?(?:答复|回复|复函|提案|建议|议案|会办意见)"
    r"(?:[或和及](?:答复|回复|复函|会办意见))?(?=[？?，,。]|$)"
)
_PERSON_ROLE_RE = re.compile(r"联系人|经办人|承办人|经手|经办|承办|签发")
# Asking for the values of many documents: 主管领导有哪些, 分别是谁.
META_LIST_RE = re.compile(r"哪些|有哪|有谁|都有谁|都是谁|分别|各是|哪几")
_LIST_RE = re.compile(r"哪些|有什么|有哪|包括|措施|举措|做法|怎么|如何|怎样|哪几")
# 几个 and the like are found by _UNIT_RE.
_NUMBER_Q_RE = re.compile(r"多少|多大|比例|百分之|占比|比率|几成|数量|多高|多长|多少钱|多久|多不多|多吗")
# How long: answered by a figure in any unit of time (the 时长 row of units.tsv).
_DURATION_RE = re.compile(r"多久|多长时间|多少时间|多快")
# The time a question asks about: now (目前有几个) or the plan (2025年要达到多少). Sentences of the other kind
# state another figure about the same thing, the commonest wrong answer to a figure question.
_NOW_Q_RE = re.compile(r"现在|目前|现有|已经|已有|截至|如今|当前|现阶段|眼下|实际|(?:做|采取|开展|实施|落实|完成)了")
_PLAN_Q_RE = re.compile(
    r"要达到|目标|计划|打算|将要|下一步|未来|以后(?:要|打算|会|能)|今后|将来|规划|(?<![\d年])到(?:19|20)\d{2}年|预计"
)  # 2020到2023年 is a span, not a plan
# A document the question describes as issued or cited by others: 省卫健委印发的文件, 《…意见》, 文中提到的通知.
_CITED_DOCUMENT_RE = re.compile(
    r"印发|出台|下发|发布的|转发|联合发|《[^》]+》|提到的|引用的|依据的|根据的"
    r"|(?:省|国家|国务院|上级)[^，。？?]{0,20}(?:文件|通知|意见|方案)"  # 省里要求…的文件: another body's document
)
# …named as a document of its own kind, not the reply (这份答复是哪个单位印发的 asks the reply's agency)
_CITED_NOUN_RE = re.compile(r"^(?!.*(?:答复|回复|复函|这份|那份)).*(?:文件|通知|意见|方案|办法|规定|规划|《)")
DOC_NO = "文号"  # the unit of a name question that asks for a cited document's number
_SPAN_RE = re.compile(r"(?:这|近|前|最近|过去|头)几(?:年|天|个月|月|周)|几(?:年|天|个月|月|周)(?:以前|之前|前|来)")
_SEVERAL_RE = re.compile(r"[这那好]几(?=[个家所位名条项])")
_SEVERAL_OF_RE = re.compile(r"几(?=[个家所位名条项][\u4e00-\u9fa5]{1,6}的)")
_OTHER_ASK_RE = re.compile(r"哪(?:家|个|所|位|座|些|里)|什么|谁|多少")
_CLOCK_Q_RE = re.compile(r"几点|什么时间段|几时到|哪个时段")
CLOCK = "时刻"  # the unit of a date question that asks for a time of day
_DATE_Q_RE = re.compile(r"何时|什么时候|啥时候|哪年|哪一年|哪个月|几月|时间|日期|哪天")
_NAME_Q_RE = re.compile(r"叫什么|什么名字|名称是|叫啥|是什么系统|什么平台")
# Which document something rests on (依据哪个文件, 按什么规定): replies name documents in 《》, with their 文号
_WHICH_DOCUMENT_RE = re.compile(r"(?:哪个|哪份|哪一份|什么|啥)(?:文件|通知|办法|规定)")
DOCUMENT = "文件"  # the unit of a name question that asks which document
# The question asks which reply or place said it (这是哪个市的, 关于什么的提案, 哪份答复里说的)
_SOURCE_ASKED_RE = re.compile(
    r"哪(?:个|一个)?(?:市|区|县|地方|单位|部门)|哪(?:份|件|个|一份)(?:答复|回复|复函|提案|建议|文件)|"
    r"(?:什么|啥)(?:提案|建议)|关于什么的"
)
_PERSON_Q_RE = re.compile(r"谁|哪位|负责人|叫什么|名字|姓名")
_PERSON_WORDS_RE = table_pattern("person_questions", literal=True)
_PEOPLE = table_pattern("people_nouns", literal=True).pattern
_GROUPS = table_pattern("group_nouns", literal=True).pattern  # 家庭医生团队 counts teams, not doctors
# 几个人; 几个 / 多少个 + people, not a group of them (几个疾控技术人员, 多少个定向医学生; not 几个家庭医生团队);
# or people named first, ending their phrase, and the question ending on 多少个 with nothing counted after it
# (每千人口注册护士，要达到多少个; not 家庭医生团队有多少个, which counts teams)
_PEOPLE_COUNT_RE = re.compile(
    rf"(?:几|多少)个人(?![口次均])|(?:几|多少)个[^，。？?]{{0,10}}(?:{_PEOPLE})(?!{_GROUPS})"
    rf"|(?:{_PEOPLE})数?(?=[，,]|有|要|达|共|总|现|目前|到|能)[^。？?]{{0,16}}(?:几|多少)个[？?。]?$"
)
_MONEY_Q_RE = table_pattern("money_questions")
_VISITS_RE = table_pattern("visit_verbs", literal=True)
_PATIENTS = table_pattern("patient_nouns", literal=True).pattern
_PATIENTS_COUNT_RE = re.compile(rf"(?:几|多少)个[^，。？?]{{0,10}}(?:{_PATIENTS})")  # 接诊多少个小孩: visits
# In a cross-document question the noun after 哪些 names the kind of answer (区, 单位, 文件), not its topic.
_CROSS_FRAME_RE = re.compile(rf"(?:哪些|哪几个|哪几|各)(?:{table_pattern('cross_doc_nouns', literal=True).pattern})")
# A clause that asks something: a question word, or a yes-no question in the A-not-A form (能不能, 是不是, 有没有)
_ASKING_RE = re.compile(
    r"多少|几|什么|哪|谁|何时|如何|怎么|怎样|咋|啥|是否|吗|多久|多长|多大|多高|多远|多快|([\u4e00-\u9fa5])不\1|有没有"
)


@dataclass(frozen=True)
class Intent:
    """What kind of answer a question wants."""

    kind: str  # number | date | person | name | list | general | meta
    unit: str = ""  # for number questions: the measure word asked for, e.g. 名 in 多少名
    meta_field: str = ""  # for meta questions: the first DocMeta field asked for
    meta_fields: tuple[str, ...] = ()  # every DocMeta field asked for (哪个单位、哪天发的 → agency, date)
    cross_doc: bool = False  # wants one answer per document (哪些区 ...)


_CONJUNCTION = r"(?:和|与|及|跟|同|、)"
NOUN_FLAGS = ("n", "vn", "j", "eng")  # jieba tags of nouns, verbal nouns, abbreviations and Latin words


def short_places(question: str) -> list[str]:
    """Place names jieba reads in a question without their 区/县/市 (江夏, 咸宁), besides full ones."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    return [
        w for w, f in pos_tokenizer().lcut(normalize(question)) if f == "ns" and len(w) >= 2 and w[-1] not in "区县市"
    ]


def joined_places(question: str) -> list[str]:
    """Places a question joins with 和 / 与 / 、 (江夏和咸宁…各做了多少, 澄湾市和珂川区的答复里…): each is answered
    from its own document. One place inside another's name (武汉市江夏区) is one place, not two."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    q = normalize(question)
    short = sorted({w for w, f in pos_tokenizer().lcut(q) if f == "ns" and len(w) >= 2}, key=len, reverse=True)
    names = "|".join([r"[\u4e00-\u9fa5]{2,3}?[区县市]", *map(re.escape, short)])
    joined: list[str] = []
    for m in re.finditer(_CONJUNCTION, q):
        before = re.search(rf"(?:{names})$", q[: m.start()])
        after = re.match(rf"(?:{names})", q[m.end() :])
        if before and after:
            joined += [before.group(0), after.group(0)]
    return list(dict.fromkeys(joined))


# 分别是哪些 asks the items of one list (这次新增的服务项目分别是哪些), not one answer from each of several documents
_ITEMS_EACH_RE = re.compile(r"分别(?:是|有|为|在|放在|设在)?(?=哪些|哪几)")


def classify(question: str) -> Intent:
    """The answer type a question asks for, from its interrogative words."""
    q = normalize(question)
    cross = bool(_CROSS_DOC_RE.search(_ITEMS_EACH_RE.sub("", q))) or len(joined_places(q)) >= 2
    if _DOCUMENTS_ASKED_RE.search(q) and _PERSON_ROLE_RE.search(q):
        return Intent("meta", meta_field="documents", meta_fields=("documents",), cross_doc=True)
    if "热线" not in q:
        fields = tuple(name for name, pattern in _META_PATTERNS if pattern.search(q))
        if fields == ("doc_no",) and _CITED_DOCUMENT_RE.search(q):
            # the 文号 of a document the reply cites (…联合印发的那个文件, 《…意见》) is in its text, not its metadata
            return Intent("name", unit=DOC_NO, cross_doc=cross)
        if fields == ("agency",) and _CITED_DOCUMENT_RE.search(q) and _CITED_NOUN_RE.search(q):
            # the body that issued a document the reply cites (依据的文件是哪个单位印发的) is named in its text
            return Intent("name", cross_doc=cross)
        if fields:
            # 主管领导有哪些: the values of many documents, so retrieval must reach many of them
            cross = cross or (bool(META_LIST_RE.search(q)) and fields[0] in ("contacts", "agency"))
            return Intent("meta", meta_field=fields[0], meta_fields=fields, cross_doc=cross)
    if _CLOCK_Q_RE.search(q):  # 几点到几点有人接: a time of day, stated as 8:00-11:00 or 22时
        return Intent("date", unit=CLOCK, cross_doc=cross)
    # 这几年 / 近几个月 / 几年前 say when (these last years, years ago), they do not ask how many
    q = _SPAN_RE.sub("", q)
    q = without_several(q)
    # 哪几类 / 哪几个方面 ask which ones (a list), not how many
    which = bool(re.search(r"哪几", q)) and not _NUMBER_Q_RE.search(q)
    if (_NUMBER_Q_RE.search(q) or _UNIT_RE.search(q)) and not which:
        m = _UNIT_RE.search(q)
        # 比例 / 占比 ask for a percentage; a bare 率 may be 0.83 or ≤9/10万 (any figure will do).
        unit = m.group(1) if m else ("%" if re.search(r"比例|百分|占比|比率", q) else "")
        if not m and _DURATION_RE.search(q):
            unit = DURATION
        if unit in ("个", "人", "名") and _VISITS_RE.search(q) and (unit != "个" or _PATIENTS_COUNT_RE.search(q)):
            unit = "人次"  # 一天接诊多少个小孩: patients seen are counted in person-times
        elif unit == "个" and _PEOPLE_COUNT_RE.search(q):
            unit = "名"  # 几个疾控技术人员 is answered by 1名…人员: people are counted in 名
        if not unit and _MONEY_Q_RE.search(q):
            unit = "元"  # a sum of money is stated in 元 / 万元, not in 亩 or 人
        return Intent("number", unit=unit, cross_doc=cross)
    if _DATE_Q_RE.search(q):
        return Intent("date", cross_doc=cross)
    if _LIST_RE.search(q) or cross:
        return Intent("list", cross_doc=cross)
    if _WHICH_DOCUMENT_RE.search(q) and _CITED_NOUN_RE.search(q):
        return Intent("name", unit=DOCUMENT, cross_doc=cross)
    if _NAME_Q_RE.search(q) and not _PERSON_WORDS_RE.search(q):
        return Intent("name", cross_doc=cross)
    if _PERSON_Q_RE.search(q):
        return Intent("person", cross_doc=cross)
    return Intent("general", cross_doc=cross)


_RELATIVE_YEARS = {word: int(offset) for word, offset in read_table("relative_years", fields=2)}
_RELATIVE_YEAR_RE = re.compile("|".join(map(re.escape, _RELATIVE_YEARS)))


def absolute_years(text: str, year: str, *, this_year: bool = False) -> str:
    """The text with 去年 / 明年 … as years counted from a document's year (去年 + 2024 → 2023年); with this_year
    (a document's own sentence) 今年 too, since the document counts it from its own date."""
    if not re.fullmatch(r"(?:19|20)\d{2}", year):
        return text
    text = _RELATIVE_YEAR_RE.sub(lambda m: f"{int(year) + _RELATIVE_YEARS[m.group(0)]}年", text)
    return text.replace("今年", f"{year}年") if this_year else text


def asks_source(question: str) -> bool:
    """Whether the question asks which reply, document or place said something (the content it quotes is how
    it names what it looks for)."""
    return bool(_SOURCE_ASKED_RE.search(normalize(question)))


def time_frame(question: str) -> str:
    """ "now" when a question asks how things stand, "plan" when it asks for a target or plan, else ""."""
    q = normalize(question)
    plan, now = bool(_PLAN_Q_RE.search(q)), bool(_NOW_Q_RE.search(q))
    return "" if plan == now else ("plan" if plan else "now")


def asks_field(field: str, text: str) -> bool:
    """Whether a text speaks of a metadata field the way questions name it (联系人, 文号, 签发人 …)."""
    return any(name == field and pattern.search(normalize(text)) for name, pattern in _META_PATTERNS)


def is_time_word(term: str) -> bool:
    """A number, a year or a word of the time a question asks about (现在, 目前, 到2025年, 年底)."""
    return bool(re.fullmatch(r"[\d.]+|年[底末初]", term) or _NOW_Q_RE.search(term) or _PLAN_Q_RE.search(term))


def question_terms(question: str) -> list[str]:
    """Content words of a question: domain-dictionary jieba words minus question words and single characters."""
    q = normalize(question)
    if _CROSS_DOC_RE.search(q):
        q = _CROSS_FRAME_RE.sub(" ", q)
    out = []
    for w in words(q):
        if w in QUESTION_WORDS or (len(w) < 2 and not w.isdigit()):
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def is_entity(term: str) -> bool:
    """Places and numbers: they locate a question, the other words say what it is about."""
    return bool(re.fullmatch(r"[\d.]+|[\u4e00-\u9fa5]{2,}[区县市省]", term))


def expand_query(question: str) -> str:
    """The question plus the official words for the everyday words in it, for retrieval (小孩 → 儿童 婴幼儿 …)."""
    extra = [w for key in COLLOQUIAL if key in question for w in SYNONYMS[key] if w not in question]
    return f"{question} {' '.join(dict.fromkeys(extra))}" if extra else question


def counted_noun(question: str) -> tuple[str, ...]:
    """The words of the noun a 多少/几 + measure word question counts: 多少家三甲医院 → (三甲医院,), or ()."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    pairs: list[tuple[str, str]] = []
    for w, f in pos_tokenizer().lcut(normalize(question)):
        ask = re.fullmatch(r"(多少|几)(.+)", w)
        if ask and ask.group(2) in UNITS:  # jieba keeps 几家 / 多少个 as one word: the asking word, then the measure
            pairs += [(ask.group(1), "m"), (ask.group(2), "q")]
        elif w.strip():
            pairs.append((w, f))
    for i in range(len(pairs) - 2):
        if pairs[i][0] in ("多少", "几") and pairs[i + 1][1] == "q":
            noun: list[str] = []
            rest = pairs[i + 2 :]
            for w, f in rest:
                if not f.startswith(("n", "a", "b", "j")) or f == "nr" or w in QUESTION_WORDS:
                    break
                noun.append(w)
            # 几个疫苗接种的点: the words before a verb and 的 describe the counted thing, which comes after 的
            after = rest[len(noun) :]
            if noun and after and after[0][1].startswith("v"):
                tail = next((after[j + 1 :] for j, (w, _) in enumerate(after[:4]) if w == "的"), None)
                if tail is not None:
                    head = [w for w, f in tail if re.fullmatch(r"[\u4e00-\u9fa5]+", w) and w not in QUESTION_WORDS]
                    return (head[0],) if len(head) == 1 else ()
            return tuple(noun)
    return ()


def without_several(question: str) -> str:
    """The question without the 几 that says "several" rather than asking how many: 这几家 / 好几个, and 几个街道的
    居民 in a question that asks something else (…建的是哪家卫生院)."""
    question = _SEVERAL_RE.sub("", question)
    return _SEVERAL_OF_RE.sub("", question) if _OTHER_ASK_RE.search(question) else question


def asks_something(clause: str) -> bool:
    """Whether a clause asks something: a question word, or a yes-no question in the A-not-A form."""
    return bool(_ASKING_RE.search(clause))


def sub_questions(question: str) -> list[str]:
    """The parts of a many-part question that each ask something, or [question] when it asks one thing."""
    split = re.compile(r"[，,；;？?。、]")  # …多少人次、省了多少钱
    # (without_several only drops characters between the marks: the parts of both readings pair up)
    readings = zip(split.split(question), split.split(without_several(question)), strict=True)
    pairs = [(p, plain) for p, plain in readings if p.strip()]
    asking: list[str] = []
    for p, plain in pairs:
        if asking and _ON_THE_ANSWER_RE.match(p.strip()):
            asking[-1] = f"{asking[-1]}？{p}"  # 会建吗？不建的话怎么办: asked on the first part's answer
        elif asks_something(plain):
            asking.append(p)
    if len(asking) < 2:
        return [question]
    # 2021年新建了几个站，当年投入多少: a part's 当年 is the year an earlier part named
    for i in range(1, len(asking)):
        earlier = [y for p in asking[:i] for y in re.findall(r"(?:19|20)\d{2}年", p)]
        if earlier and not re.search(r"(?:19|20)\d{2}年", asking[i]):
            asking[i] = _SAME_YEAR_RE.sub(earlier[-1], asking[i], count=1)
    return asking


_SAME_YEAR_RE = re.compile(r"当年|同年|那一?年|这一年|同一年")
# A part asked on the answer to the one before: 不建的话…, 如果不行…, 否则…, 要是没有…
_ON_THE_ANSWER_RE = re.compile(
    r"(?:如果|要是|若|假如)?(?:不|没)[\u4e00-\u9fa5]{0,4}的话|(?:如果|要是|若)(?:不|没)|否则|不然"
)


def _split_at(question: str, part: str) -> tuple[list[str], list[str]]:
    """The parts of a many-part question up to and including `part`, and those asked after it (both [] when `part`
    is no part of it)."""
    parts = sub_questions(question)
    if not part or part not in parts:
        return [], []
    at = parts.index(part) + 1
    return parts[:at], parts[at:]


def later_parts(question: str, part: str) -> list[str]:
    """The parts of a many-part question asked after `part` ([] when it is no part of it). A question names its
    subject first and the later parts refer back to it (城区有几家，分别在哪): their words are not the earlier
    parts' subject."""
    return _split_at(question, part)[1]


def later_parts_terms(question: str, part: str) -> set[str]:
    """The words of the parts asked after `part` that no part up to it uses; set() for no part."""
    so_far, later = _split_at(question, part)
    return {t for p in later for t in question_terms(p)} - {t for p in so_far for t in question_terms(p)}


def event_words(question: str) -> set[str]:
    """The verbs of a question (竣工, 挂牌, 上线): what a date question asks the date of. Only the asking clause's
    when it has others: 迁建后的新址，哪年建成 asks when it is built, the move only names the new site."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    clauses = re.split(r"[，,；;]", normalize(question))
    asking = "，".join(c for c in clauses if asks_something(c)) or normalize(question)
    return {w for w, f in pos_tokenizer().lcut(asking) if f in ("v", "vn") and len(w) >= 2}


def events_stated(verbs: set[str], texts: Sequence[str]) -> list[str]:
    """The asked events as the passages write them: the verb itself, or else its first synonym they use (完工 →
    竣工: the table lists the official word first; a looser one, 完成, would match every step of a project)."""
    events = []
    for verb in verbs:
        for form in (verb, *SYNONYMS.get(verb, ())):
            if any(form in x for x in texts):
                events.append(form)
                break
    return events
