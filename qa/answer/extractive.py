"""The offline default answerer: picks and quotes the sentences of the retrieved passages that answer the question.

Deterministic and model-free. Sentences are scored by how much of the question they cover (jieba words weighted
by rarity among the candidate sentences, plus character bigrams), whether they hold the kind of value the
question asks for (a figure with the asked unit for 多少, a date for 何时, ...) and the retrieval rank. Metadata
questions (文号, 提案人, 经办人, 电话, 会议, 日期, 单位) are answered from the documents' DocMeta.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qa.answer.verify import MAX_QUOTE_CHARS, clause_window, normalize, split_sentences
from qa.index.tokenize import words
from qa.records import Chunk, DocMeta

# Words that say what kind of answer is wanted but not what it is about.
_QUESTION_WORDS_TEXT = """
多少 什么 哪些 哪个 哪位 哪里 哪儿 哪家 哪年 哪一年 如何 怎么 怎样 怎么样 是否 有没有 有无
吗 呢 吧 啊 请问 目前 现在 一下 介绍 主要 为什么 是 的 了 有 在 和 与 及 对 都 几 谁 我 我们 你们
这个 那个 那 那么 还有 具体 相关 方面 进行 开展 采取 做了 做 哪 几个 多大 何时 什么时候 时候
一共 共 总共 分别 给 被 把 从 到 了吗 呀 么 关于 其中 以及 能 可以 请 告诉 说说 讲讲 问 想 知道
提到 提出 答复 回复 中 里 上 下 名字 姓名 叫
"""
_QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())
# Everywhere in this corpus: they neither find nor rule out an answer.
_GENERIC_TEXT = """
工作 情况 建设 问题 服务 医疗 卫生 健康 机构 我区 全区 推进 加强 提升 开展 措施 举措 做法 内容
卫健 部门 单位 地区 地方 不足 短缺 缺乏 问题 办法 帮扶 帮助 支持 区里 市里 政府
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())
# Words people type and the words the documents use for them (colloquial → official, and variants).
_SYNONYMS = {
    "医联体": ("医疗联合体", "医共体", "医共同体"),
    "医共体": ("医联体", "医共同体", "医疗卫生共同体"),
    "托育": ("托位", "托幼", "婴幼儿照护"),
    "托管": ("托育", "照护"),
    "托儿所": ("托育", "托幼"),
    "电话": ("热线", "联系电话", "致电"),
    "心理": ("心理健康", "心理援助"),
    "人数": ("人", "名"),
    "抽烟": ("吸烟", "烟草", "控烟"),
    "吸烟": ("烟草", "控烟"),
    "看病": ("就医", "就诊", "诊疗", "医疗"),
    "拿药": ("取药", "配药", "药品"),
    "上门": ("家庭病床", "入户", "上门"),
    "小孩": ("儿童", "婴幼儿", "幼儿"),
    "孩子": ("儿童", "婴幼儿", "幼儿", "学生"),
    "老人": ("老年人", "老年"),
    "医生": ("医师", "医务人员", "医疗技术人员"),
    "监控": ("摄像头", "视频"),
    "花钱": ("资金", "费用", "投入"),
    "补贴": ("补助", "资金"),
    "倾诉": ("心理援助", "疏导", "热线"),
    "收费": ("托育费", "费用", "价格", "收取"),
    "上限": ("最高", "不超过"),
    "最多": ("最高", "不超过"),
    "接听": ("工作时间", "热线"),
    "病人": ("患者",),
    "查出": ("发现", "筛查"),
    "心电图": ("心电",),
    "写字楼": ("办公楼宇", "商务楼宇", "楼宇"),
    "大医院": ("上级医院", "三级医院"),
    "村医": ("乡村医生",),
    "宝宝": ("婴幼儿", "幼儿"),
    "没证": ("持证", "证书"),
    "量血压": ("血压",),
    "一个月": ("/月", "每月", "月/"),
    "每月": ("/月", "月/"),
    "牵头": ("龙头", "牵头医院", "牵头单位"),
    "龙头": ("牵头",),
    "压力": ("心理", "情绪"),
}
# Everyday words whose official counterparts are worth adding to the retrieval query itself.
_COLLOQUIAL_TEXT = (
    "托管 托儿所 抽烟 看病 拿药 上门 小孩 孩子 老人 监控 倾诉 收费 花钱 病人 查出 写字楼 大医院 村医 宝宝 没证 量血压"
)
_COLLOQUIAL = tuple(_COLLOQUIAL_TEXT.split())


def expand_query(question: str) -> str:
    """The question plus the official words for the everyday words in it, for retrieval (小孩 → 儿童 婴幼儿 …)."""
    extra = [w for key in _COLLOQUIAL if key in question for w in _SYNONYMS[key] if w not in question]
    return f"{question} {' '.join(dict.fromkeys(extra))}" if extra else question


_UNIT_RE = re.compile(
    r"(?:多少|几)(万元|亿元|人次|人份|平方米|分钟|小时|万|元|名|人|位|家|个|项|所|张|支|次|亩|岁|台|例|间|批|类|天|年|月|份|辆|床|场|户)"
)
# Measure words that answer for each other: 多少人 is answered by 1261名, 多少个中心 by 8个 or 8家.
_UNIT_ALIASES = {
    "人": "人|名|位",
    "名": "名|人|位",
    "位": "位|名|人",
    "个": "个|家|所|支|项",
    "家": "家|个|所",
    "所": "所|家|个",
    "张": "张|份",
    "份": "份|张",
    "元": "元|万元|亿元|万|亿",  # 投入不低于500万: a sum of money often drops its 元
    "万": "万",
}
_NUMBER_UNIT = r"\d[\d,.]*\s*(?:万|亿)?\s*(?:余|多)?\s*(?:{unit})"
_ANY_NUMBER = re.compile(r"\d")
_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*[:：]\s*\d{2}")
_PERCENT_RE = re.compile(r"\d\s*(?:%|‰|％)|百分之")

_META_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("doc_no", re.compile(r"文号|发文字号|函号")),
    ("contacts", re.compile(r"经办人|主管领导|联系人|联系电话|联系方式|(?:答复|提案|建议)的?(?:电话|号码)")),
    ("proposal_no", re.compile(r"提案号|建议号|第几号|几号(?:提案|建议)|编号|多少号")),
    (
        "proposers",
        re.compile(
            r"谁提|提案人|提出人|建议人|哪位委员|哪位代表|哪些委员|哪几位|哪位政协委员|哪位人大代表|谁的(?:提案|建议)"
        ),
    ),
    (
        "title",
        re.compile(
            r"(?:提案|建议)(?:是|讲|说)?(?:关于|有关)什么|(?:提了|提的是|提出了)什么(?:提案|建议)|提案的?(?:题目|标题|名称)"
        ),
    ),
    ("meeting", re.compile(r"哪次会议|什么会议|哪届|哪一届|会议上")),
    (
        "agency",
        re.compile(
            r"(?:哪个|哪家|什么)(?:单位|部门|局|机关).{0,8}(?:答复|回复|办理|编|发文|印发|出台)|发文机关|答复单位|办理单位|"
            r"承办单位|由谁答复|谁答复|谁回复|谁编"
        ),
    ),
    (
        "date",
        re.compile(
            r"(?:什么时候|何时|哪天|哪一天|哪年)(?:答复|发布|公开|印发|编|制定|出台)|公开日期|发布日期|答复日期|编制日期"
        ),
    ),
]
_CROSS_DOC_RE = re.compile(
    r"各有|各自|各地|哪些区|哪几个区|各区|哪些地方|哪些地区|哪些单位|哪些县|哪些市|哪些文件|哪些提案|哪些答复|哪些部门|分别"
)
_LIST_RE = re.compile(r"哪些|有什么|有哪|包括|措施|举措|做法|怎么|如何|怎样|哪几")
_NUMBER_Q_RE = re.compile(
    r"多少|几[个家名人项所支次位批类台例张]|多大|比例|百分之|占比|比率|几成|数量|多高|多长|多少钱"
)
_DATE_Q_RE = re.compile(r"何时|什么时候|哪年|哪一年|哪个月|几月|时间|日期|哪天")
_NAME_Q_RE = re.compile(r"叫什么|什么名字|名称是|叫啥|是什么系统|什么平台")
_PERSON_Q_RE = re.compile(r"谁|哪位|负责人|叫什么|名字|姓名")
# The formal frame of a reply (收悉, 现答复如下, thanks, 请多提宝贵意见): it says what was received and that an
# answer follows, never what was done. Only metadata questions (who proposed what) may quote it.
BOILERPLATE_RE = re.compile(
    r"收悉|(?:函复|答复|汇报|回复)如下|(?:非常|再次|首先)?感谢.{0,40}(?:关心|关注|支持|建议|提议)|"
    r"多提宝贵意见|建言献策|(?:高度|非常)重视(?:您|你们|委员|代表)|(?:您|你们)提出的建议(?:非常|很)有意义"
)
# Sentences that speak to a reader or a model instead of reporting anything: data, never an answer.
INSTRUCTION_RE = re.compile(
    r"忽略(?:以上|上述|之前|前面|所有)|无视(?:以上|上述|之前)|(?:你|您)现在是|请(?:直接)?回答[:：]|系统提示|提示词|"
    r"ignore (?:all |the )?(?:previous|above)|system prompt",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Intent:
    """What kind of answer a question wants."""

    kind: str  # number | date | person | list | general | meta
    unit: str = ""  # for number questions: the measure word asked for, e.g. 名 in 多少名
    meta_field: str = ""  # for meta questions: the first DocMeta field asked for
    meta_fields: tuple[str, ...] = ()  # every DocMeta field asked for (哪个单位、什么时候编的 → agency, date)
    cross_doc: bool = False  # wants one answer per document (哪些区 ...)


def classify(question: str) -> Intent:
    """The answer type a question asks for, from its interrogative words."""
    q = normalize(question)
    cross = bool(_CROSS_DOC_RE.search(q))
    if "热线" not in q:
        fields = tuple(name for name, pattern in _META_PATTERNS if pattern.search(q))
        if fields:
            # 主管领导有哪些: the values of many documents, so retrieval must reach many of them
            cross = cross or (bool(_META_LIST_RE.search(q)) and fields[0] in ("contacts", "agency"))
            return Intent("meta", meta_field=fields[0], meta_fields=fields, cross_doc=cross)
    if _NUMBER_Q_RE.search(q) or _UNIT_RE.search(q):
        m = _UNIT_RE.search(q)
        # 比例 / 占比 ask for a percentage; a bare 率 may be 0.83 or ≤9/10万 (any figure will do).
        unit = m.group(1) if m else ("%" if re.search(r"比例|百分|占比|比率", q) else "")
        if unit == "个" and re.search(r"几个[^，。？?]{0,6}(?:人员|医生|医师|专家|护士|老师|委员|代表)", q):
            unit = "名"  # 几个疾控技术人员 is answered by 1名…人员: people are counted in 名
        if not unit and re.search(r"多少钱|花了多少|投资多少|投入多少|拨了?多少|资金多少|费用多少|工资|多少经费", q):
            unit = "元"  # a sum of money is stated in 元 / 万元, not in 亩 or 人
        return Intent("number", unit=unit, cross_doc=cross)
    if _DATE_Q_RE.search(q):
        return Intent("date", cross_doc=cross)
    if _LIST_RE.search(q) or cross:
        return Intent("list", cross_doc=cross)
    if _NAME_Q_RE.search(q) and not re.search(r"谁|哪位|院长|园长|校长|局长|主任|书记|负责人|姓名", q):
        return Intent("name", cross_doc=cross)
    if _PERSON_Q_RE.search(q):
        return Intent("person", cross_doc=cross)
    return Intent("general", cross_doc=cross)


# In a cross-document question the noun after 哪些 names the kind of answer (区, 单位, 文件), not its topic.
_CROSS_FRAME_RE = re.compile(r"(?:哪些|哪几个|哪几|各)(?:地区|地方|区县|区|县|市|单位|部门|文件|答复|提案|卫健部门)")


def question_terms(question: str) -> list[str]:
    """Content words of a question: domain-dictionary jieba words minus question words and single characters."""
    q = normalize(question)
    if _CROSS_DOC_RE.search(q):
        q = _CROSS_FRAME_RE.sub(" ", q)
    out = []
    for w in words(q):
        if w in _QUESTION_WORDS or (len(w) < 2 and not w.isdigit()):
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\u4e00-\u9fa5A-Za-z0-9]", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)}


def _present(term: str, text: str) -> bool:
    return term in text or any(s in text for s in _SYNONYMS.get(term, ()))


@dataclass(frozen=True)
class Candidate:
    """A sentence of source n scored against the question."""

    n: int  # 1-based source number
    start: int
    end: int
    text: str  # chunk.text[start:end]
    score: float
    coverage: float  # weighted share of the question's terms in the sentence or its section path / title
    sentence_coverage: float  # the same share in the sentence alone
    topic_coverage: float  # that share counting only topic words (not places, years or other numbers)
    typed: bool  # holds the kind of value asked for (see _typed)
    topics: frozenset[str] = frozenset()  # the question's content nouns it holds (托育, 心理), not 措施 or 不足
    boilerplate: bool = False  # the reply's formal frame (收悉, 现答复如下, thanks): no information


def _context(chunk: Chunk) -> str:
    meta = chunk.meta
    return normalize(" ".join([chunk.section, meta.display_title, meta.agency, "、".join(meta.proposers)]))


def _typed(intent: Intent, sentence: str) -> bool:
    """Whether a sentence holds the kind of value asked for: a figure in the asked unit, a date."""
    if intent.kind == "number":
        if not _ANY_NUMBER.search(sentence):
            return False
        if intent.unit == "%":
            return bool(_PERCENT_RE.search(sentence) or re.search(r"[（(]\s*[%‰％]", sentence))
        if intent.unit:
            # 20亩 / 5-12个 / 10万余张, or a table row whose header names the unit: 平均住院日（天） 8
            units = _UNIT_ALIASES.get(intent.unit, re.escape(intent.unit))
            return bool(
                re.search(_NUMBER_UNIT.format(unit=units), sentence)
                or re.search(rf"[（(][^）)]*(?:{units})[^）)]*[）)]", sentence)
            )
        return True
    if intent.kind == "date":
        return bool(_DATE_RE.search(sentence))
    if intent.kind == "name":  # 叫什么: names are quoted in these documents (“银医通”系统, 《…方案》)
        return bool(re.search(r"“[^”]{2,20}”|《[^》]{2,40}》", sentence))
    return True


def counted_noun(question: str) -> tuple[str, ...]:
    """The words of the noun a 多少/几 + measure word question counts: 多少家三甲医院 → (三甲医院,), or ()."""
    from qa.index.tokenize import pos_tokenizer  # shares the domain dictionary already loaded for retrieval

    pairs = [(w, f) for w, f in pos_tokenizer().lcut(normalize(question)) if w.strip()]
    for i in range(len(pairs) - 2):
        if pairs[i][0] in ("多少", "几") and pairs[i + 1][1] == "q":
            noun: list[str] = []
            for w, f in pairs[i + 2 :]:
                if not f.startswith(("n", "a", "b", "j")) or f == "nr" or w in _QUESTION_WORDS:
                    break
                noun.append(w)
            return tuple(noun)
    return ()


def states_count(sentence: str, noun: Sequence[str], unit: str) -> bool:
    """Whether the sentence gives a count of that noun: 3家三甲医院, not 1家部省属或市级三甲医院帮扶 (which counts
    helpers per 医共体). The noun's first or last word must follow the figure and its measure word closely."""
    if not noun or "\t" in sentence:  # a table row's figure belongs to its label
        return True
    units = _UNIT_ALIASES.get(unit, re.escape(unit)) if unit else r"[\u4e00-\u9fa5]"
    text = normalize(sentence)
    heads = {noun[0], noun[-1], *(_SYNONYMS.get(noun[-1], ()))}
    words = "|".join(map(re.escape, heads))
    figure = _NUMBER_UNIT.format(unit=units)
    # 3家三甲医院 (figure, noun) or 组建家庭医生团队857个 (noun, figure)
    # A figure counts a noun it closely precedes, or one it follows within the same phrase (新增…达标单位18家).
    whole = re.escape("".join(noun))  # before the figure only the whole noun: 区人民医院成立了1个… counts no 民营医院
    return bool(re.search(rf"{figure}[\u4e00-\u9fa5]{{0,2}}(?:{words})|{whole}[\u4e00-\u9fa5]{{0,8}}{figure}", text))


def _type_bonus(intent: Intent, sentence: str) -> float:
    if intent.kind == "number":
        if _typed(intent, sentence):
            return 0.3 if intent.unit else 0.15
        return 0.05 if _ANY_NUMBER.search(sentence) else 0.0
    if intent.kind in ("date", "name"):
        return 0.25 if _typed(intent, sentence) else 0.0
    return 0.0


def _is_entity(term: str) -> bool:
    """Places and numbers: they locate a question, the other words say what it is about."""
    return bool(re.fullmatch(r"[\d.]+|[\u4e00-\u9fa5]{2,}[区县市省]", term))


def _line_of(text: str, start: int, end: int) -> str:
    """The whole line a span sits in: an injected instruction taints every clause of its line."""
    stop = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : stop if stop >= 0 else len(text)]


def rank_sentences(
    question: str, sources: Sequence[Chunk], intent: Intent | None = None, *, focus: str = ""
) -> list[Candidate]:
    """Every sentence of every source, best first.

    Args:
        question: the question.
        sources: the retrieved chunks; Candidate.n counts from 1 over them.
        intent: the answer type (default: classify(question)).
        focus: one part of a many-part question; its words weigh more (…几分钟急救圈，负压型救护车占比多少).
    """
    intent = intent or classify(question)
    terms = question_terms(question)
    focus_terms = set(question_terms(focus)) if focus else set()
    terms += [t for t in focus_terms if t not in terms]
    spans = [
        (n, s, e)
        for n, chunk in enumerate(sources, 1)
        for s, e in split_sentences(chunk.text)
        if not INSTRUCTION_RE.search(_line_of(chunk.text, s, e))
    ]
    texts = [normalize(sources[n - 1].text[s:e]) for n, s, e in spans]
    contexts = [_context(c) for c in sources]
    total = len(texts) + 1
    weights = {}
    for t in terms:
        df = sum(1 for x in texts if _present(t, x))
        weight = 1.0 + math.log(total / (df + 1))
        weights[t] = weight * (0.35 if t in _GENERIC else 1.0) * (2.5 if t in focus_terms else 1.0)
    weight_sum = sum(weights.values()) or 1.0
    topic_weights = {t: w for t, w in weights.items() if not _is_entity(t)}
    topic_sum = sum(topic_weights.values()) or 1.0
    q_grams = _bigrams(normalize(question)) - {w for w in _QUESTION_WORDS if len(w) == 2}  # 多少, 什么 say nothing
    # A figure asked for a year is the one whose passage states that year (2025年 target, not the 2019 value).
    years = re.findall(r"(?:19|20)\d{2}(?=\s*年)", normalize(question))
    dated = [all(y in normalize(c.text) or f"{y[2:]}年" in normalize(c.text) for y in years) for c in sources]
    # A question about one place is answered by that place's documents: 江汉区的医联体 is not 东西湖's.
    places = [t for t in terms if re.fullmatch(r"[\u4e00-\u9fa5]{2,}[区县市]", t)]
    elsewhere = [
        bool(places) and not all(t in ctx or t[:-1] in ctx for t in places)
        for ctx in (normalize(f"{c.meta.agency}{c.meta.title}{c.meta.heading}{c.text}") for c in sources)
    ]
    content = {t for t in topic_weights if t not in _GENERIC}
    out = []
    for (n, s, e), text in zip(spans, texts, strict=True):
        ctx = contexts[n - 1]
        year_bonus = (0.1 if dated[n - 1] else 0.0) + (0.05 if years and all(y in text for y in years) else 0.0)
        in_sentence = sum(w for t, w in weights.items() if _present(t, text))
        in_context = sum(w for t, w in weights.items() if _present(t, text) or _present(t, ctx))
        grams = len(q_grams & _bigrams(text)) / (len(q_grams) or 1)
        coverage = in_context / weight_sum
        # Headings and fragments (short, no full stop) name a topic but rarely answer anything.
        short = 0.12 if _is_heading(text) else 0.0
        frame = intent.kind != "meta" and bool(BOILERPLATE_RE.search(text))
        score = (
            0.45 * in_sentence / weight_sum
            + 0.25 * coverage
            + 0.2 * grams
            + _type_bonus(intent, text)
            + 0.08 / n
            + year_bonus
            - short
            - (0.6 if frame else 0.0)
            - (0.25 if elsewhere[n - 1] else 0.0)
        )
        typed = _typed(intent, text)
        topic = sum(w for t, w in topic_weights.items() if _present(t, text)) / topic_sum
        held = frozenset(t for t in content if _present(t, text))
        out.append(
            Candidate(
                n, s, e, sources[n - 1].text[s:e], score, coverage, in_sentence / weight_sum, topic, typed, held, frame
            )
        )
    out.sort(key=lambda c: (-c.score, c.n, c.start))
    return out


def best_candidate(ranked: Sequence[Candidate], intent: Intent, *, window: int = 5) -> Candidate | None:
    """The sentence an answer leads with: for figures and dates the best one that holds one, else the best.

    None when a figure or date is asked for and none of the leading sentences holds one.
    """
    informative = [c for c in ranked if not c.boilerplate] or list(ranked)
    if intent.kind in ("number", "date"):
        return next((c for c in informative[:window] if c.typed), None)
    if not informative:
        return None
    # Lead with a sentence about the question's subject (托育), not one sharing only its frame (不足, 措施).
    return next((c for c in informative[: 2 * window] if c.topics), informative[0])


def _is_heading(text: str) -> bool:
    """A heading line (二是推动检查检验结果互认): it names a topic; the sentences under it say what was done."""
    if "\t" in text or re.search(r"\d", text[2:]):  # a table row or a line with a figure is content
        return False
    return len(text) < 24 and not text.rstrip().endswith(("。", "；", ";", "！", "？"))


def _similar(a: str, b: str) -> bool:
    ga, gb = _bigrams(a), _bigrams(b)
    return bool(ga and gb) and len(ga & gb) / min(len(ga), len(gb)) > 0.6


def _trim(text: str) -> str:
    """A sentence as an answer clause: no trailing punctuation, no leading enumerator such as 一是 / （二）."""
    text = text.strip().rstrip("。；;，,：:")
    return re.sub(r"^(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|[一二三四五六七八九十]+是)\s*", "", text)


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


def meta_answer(field_name: str, question: str, chunk: Chunk, n: int) -> str:
    """A one-sentence answer from a document's metadata, or "" when the document does not state it."""
    meta = chunk.meta
    name = meta.display_title
    q = normalize(question)
    if field_name == "doc_no" and meta.doc_no:
        return f"{name}的文号为{meta.doc_no}[{n}]。"
    if field_name == "proposal_no" and meta.proposal_no:
        kind = "建议" if _role_of(meta) == "代表" else "提案"
        return f"该{kind}为第{meta.proposal_no}号{kind}（{name}）[{n}]。"
    if field_name == "proposers" and meta.proposers:
        return f"{name}由{'、'.join(meta.proposers)}{_role_of(meta)}提出[{n}]。"
    if field_name == "title" and meta.title:
        who = f"{'、'.join(meta.proposers)}{_role_of(meta)}" if meta.proposers else "该"
        kind = "建议" if _role_of(meta) == "代表" else "提案"
        return f"{who}的{kind}是《{meta.title}》（{meta.heading}）[{n}]。"
    if field_name == "meeting" and meta.meeting:
        return f"{name}是{meta.meeting}上的{'建议' if _role_of(meta) == '代表' else '提案'}[{n}]。"
    plan = meta.kind == "规划"
    if field_name == "agency" and meta.agency:
        return f"{name}由{meta.agency}{'编制' if plan else '答复'}[{n}]。"
    if field_name == "date" and meta.date:
        return f"{name}的{'编制' if plan else '公开'}日期为{meta.date}[{n}]。"
    if field_name == "contacts" and meta.contacts:
        wanted = [c for c in meta.contacts if c[0] and c[0][:2] in q] or list(meta.contacts)
        parts = [f"{role}{person}，联系电话{phone}" if phone else f"{role}{person}" for role, person, phone in wanted]
        return f"{name}的{'；'.join(parts)}[{n}]。"
    return ""


def _meta_source(question: str, sources: Sequence[Chunk]) -> int:
    """The source (1-based) whose document the metadata question is about: most question terms in its chunk."""
    terms = question_terms(question)
    best, best_score = 1, -1.0
    for n, chunk in enumerate(sources, 1):
        text = normalize(chunk.indexed_text + " " + chunk.meta.display_title + " " + chunk.meta.doc_no)
        score = sum(len(t) for t in terms if _present(t, text)) + 0.5 / n
        if score > best_score:
            best, best_score = n, score
    return best


_META_LIST_RE = re.compile(r"哪些|有哪|有谁|都有谁|都是谁|分别|各是|哪几")
# Words that name a metadata field or the kind of document, not a topic: 主管领导有哪些 asks about no topic.
_META_WORDS_TEXT = """
主管 领导 主管领导 经办人 经办 联系人 联系 电话 号码 联系电话 委员 代表 提案 建议 答复 回复
卫健局 卫健委 卫生健康局 文号 编号 单位 部门 局 政协 人大 会议
"""
_META_WORDS = frozenset(_META_WORDS_TEXT.split())


def meta_list_answer(field_name: str, question: str, sources: Sequence[Chunk]) -> str:
    """The distinct values of one metadata field across the documents a question names (江夏区卫健局的主管领导有哪些),
    each cited; "" when the question is about one document's topic or the field has fewer than two values."""
    q = normalize(question)
    if field_name not in ("contacts", "proposers", "agency") or not _META_LIST_RE.search(q):
        return ""
    terms = question_terms(question)
    if any(t not in _META_WORDS and not _is_entity(t) for t in terms):
        return ""  # 托育那个提案是哪几位委员提的: one document's answer, from meta_answer
    places = [t for t in terms if _is_entity(t) and not t.isdigit()]
    values: dict[str, list[int]] = {}
    label = ""
    for n, chunk in enumerate(sources, 1):
        meta = chunk.meta
        where = normalize(f"{meta.agency}{meta.heading}{meta.title}")
        if places and not all(p in where or p[:-1] in where for p in places):
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


_ASKING_RE = re.compile(r"多少|几|什么|哪|谁|何时|如何|怎么|怎样|是否|吗")


def sub_questions(question: str) -> list[str]:
    """The parts of a many-part question that each ask something, or [question] when it asks one thing."""
    parts = [p for p in re.split(r"[，,；;？?。]", question) if p.strip()]
    asking = [p for p in parts if _ASKING_RE.search(p)]
    return asking if len(asking) >= 2 else [question]


def table_row(text: str, start: int, end: int) -> str:
    """A table row as "label：header value，header value", from the header row above it, or "" if it is not one.

    人均预期寿命（岁） 80.81 82.4 under 指标名称 2019年 2025年 (tab-separated) → 人均预期寿命（岁）：2019年80.81，
    2025年82.4. The header is the first tab-separated line of the passage; rows of a table cut from their header
    stay as they are.
    """
    row = _line_of(text, start, end)  # the whole line: a sentence span drops the row's leading empty cell
    if "\t" not in row:
        return ""
    header_line = next((line for line in text[: text.rfind("\n", 0, start) + 1].split("\n") if "\t" in line), "")
    if not header_line:
        return ""
    header = [normalize(h) for h in header_line.split("\t")]
    cells = [cell.strip() for cell in row.split("\t")]
    if len(cells) != len(header):
        return ""
    value_cols = [i for i, h in enumerate(header) if h and i > 0 and re.search(r"\d", h)]
    if not value_cols:
        return ""
    label = next((cells[i] for i in range(value_cols[0] - 1, -1, -1) if cells[i]), "")
    values = [f"{header[i]}{cells[i]}" for i in value_cols if cells[i] and cells[i] not in "-—"]
    if not label or not values:
        return ""
    return f"{label}：{'，'.join(values)}"


def _render(
    c: Candidate, intent: Intent, terms: list[str], sources: Sequence[Chunk], labelled: set[str] | None = None
) -> str:
    """A picked sentence as an answer sentence: trimmed to the clauses that matter, labelled, cited."""
    text = sources[c.n - 1].text
    start, end = c.start, c.end
    if end - start > MAX_QUOTE_CHARS:
        primary: list[str] = []
        if intent.kind == "number" and intent.unit and intent.unit != "%":
            units = _UNIT_ALIASES.get(intent.unit, re.escape(intent.unit))
            primary = re.findall(_NUMBER_UNIT.format(unit=units), c.text)
        start, end = clause_window(
            text, start, end, [normalize(f) for f in terms], primary=[normalize(p) for p in primary]
        )
    clause = table_row(text, start, end) or _trim(text[start:end])
    if intent.cross_doc:
        # Each place is named once, before its first sentence: 江夏区：…[1]。…[2]。咸宁市：…[3]。
        place = place_of(sources[c.n - 1].meta)
        seen = labelled if labelled is not None else set()
        if place and place not in seen and place not in clause[:8]:
            clause = f"{place}：{clause}"
        seen.add(place)
    return f"{clause}[{c.n}]。"


def _pick(intent: Intent, ranked: list[Candidate], sources: Sequence[Chunk], most: int) -> list[Candidate]:
    """The sentences an answer quotes: the best one, then others close to it (one per document if cross-document)."""
    top = best_candidate(ranked, intent) or ranked[0]
    picks: list[Candidate] = [top]
    if intent.cross_doc:
        seen_docs = {sources[top.n - 1].doc_id}
        for c in ranked:
            doc = sources[c.n - 1].doc_id
            wanted = (
                (c.typed or intent.kind not in ("number", "date"))
                and not _is_heading(c.text)
                and not c.boilerplate
                and (c.topics or not top.topics)
            )
            if doc not in seen_docs and wanted and c.score >= 0.4 * top.score and c.coverage >= 0.5 * top.coverage:
                picks.append(c)
                seen_docs.add(doc)
            if len(picks) >= most + 1:
                break
        return picks
    limit = {"number": 2, "date": 2, "person": 2, "meta": 2, "list": most}.get(intent.kind, 3)
    ratio = 0.6 if intent.kind == "list" else 0.8
    for c in ranked:
        if len(picks) >= limit:
            break
        if (
            c is top
            or c.score < ratio * top.score
            or _is_heading(c.text)
            or any(_similar(c.text, p.text) for p in picks)
        ):
            continue
        if intent.kind in ("number", "date") and (not c.typed or not c.topics >= top.topics):
            continue
        # Each added sentence must be about the question's subject, not merely share its generic words; another
        # document's sentence only when it is about that subject at least as much as the leading one.
        if c.boilerplate or (top.topics and not c.topics):
            continue
        other_doc = sources[c.n - 1].doc_id != sources[top.n - 1].doc_id
        close = c.topics >= top.topics or c.topic_coverage >= top.topic_coverage or c.score >= 0.85 * top.score
        if other_doc and not (top.topics and close):
            continue
        # A figure asked about one place comes from one document; a figure from another would mislead.
        if intent.kind in ("number", "date", "person") and sources[c.n - 1].doc_id != sources[top.n - 1].doc_id:
            continue
        picks.append(c)
    return picks


def compose(question: str, sources: Sequence[Chunk], *, max_sentences: int = 4) -> str:
    """A short answer with [n] markers built from the sources' own sentences ("" when there are no sources)."""
    if not sources:
        return ""
    intent = classify(question)
    if intent.kind == "meta":
        listed = meta_list_answer(intent.meta_field, question, sources)
        if listed:
            return listed
        n = _meta_source(question, sources)
        text = "".join(meta_answer(f, question, sources[n - 1], n) for f in intent.meta_fields)
        if text:
            return text
    ranked = rank_sentences(question, sources, intent)
    if not ranked:
        return ""
    terms = sorted(question_terms(question), key=len, reverse=True)
    subs = sub_questions(question) if not intent.cross_doc else [question]
    if len(subs) == 1:
        picks = _pick(intent, ranked, sources, max_sentences)
        if intent.cross_doc:  # sentences of one place together, in the order places first appear
            order = list(dict.fromkeys(place_of(sources[c.n - 1].meta) for c in picks))
            picks.sort(key=lambda c: order.index(place_of(sources[c.n - 1].meta)))
        labelled: set[str] = set()
        return "".join(_render(c, intent, terms, sources, labelled) for c in picks)
    # A many-part question: the best sentence for each part, in the order the parts were asked.
    parts: list[str] = []
    seen: set[tuple[int, int]] = set()
    for sub in subs:
        sub_intent = classify(sub)
        if sub_intent.kind == "meta":
            sub_intent = Intent("general")
        sub_ranked = rank_sentences(question, sources, sub_intent, focus=sub)
        best = best_candidate(sub_ranked, sub_intent)
        if best is not None and (best.n, best.start) in seen:
            # Already quoted for an earlier part: take the next sentence that speaks to this part, if any.
            own = [t for t in question_terms(sub) if not _is_entity(t)]
            best = next(
                (
                    c
                    for c in sub_ranked[:8]
                    if (c.n, c.start) not in seen
                    and (c.typed or sub_intent.kind not in ("number", "date"))
                    and any(_present(t, normalize(c.text)) for t in own)
                ),
                None,
            )
        if best is not None:
            seen.add((best.n, best.start))
            parts.append(_render(best, sub_intent, [*question_terms(sub), *terms], sources))
    return "".join(parts[:max_sentences]) or _render(ranked[0], intent, terms, sources)


class ExtractiveGenerator:
    """Generator protocol, offline: quotes the best sentences of the sources, cited. No model, deterministic."""

    name = "extractive"

    def generate(self, question: str, sources: Sequence[Chunk]) -> str:
        return compose(question, sources)

    def stream(self, question: str, sources: Sequence[Chunk]) -> Iterator[str]:
        text = compose(question, sources)
        # One piece per sentence, so a UI shows the answer growing just as with a streaming model.
        yield from (m.group(0) for m in re.finditer(r"[^。]+。?", text))
