"""A sentence's role in a reply: what the bureau did or has (now), what it will do (plan), the proposer's complaint
or own words restated, an item of the reply's enumeration, a decision on an ask, a statement of how things stand.

Ranking (qa.answer.select) and composing (qa.answer.compose) weigh sentences by these roles: a which-measures
question is answered by the bureau's measures, never by the complaint; a plan question by the plan.
"""

from __future__ import annotations

import re

from qa.answer.lexicon import figure_pattern, unit_alternatives
from qa.text import table_pattern

# A sentence that states a plan or target (到2025年底…达到, 计划, 力争) rather than what has been done.
_PLAN_RE = re.compile(r"到\s*(?:19|20)\d{2}\s*年|计划|力争|预计|下一步|将(?:于|在|进一步|继续)?|目标|拟")
_DONE_RE = re.compile(r"截至|截止|已(?:经)?|现有|目前|共有|累计|建成")


_PROBLEM_RE = re.compile(
    f"{table_pattern('shortcoming_words', literal=True).pattern}|{table_pattern('problem_words', literal=True).pattern}"
)
_ACTION_RE = table_pattern("action_words", literal=True)
# A question about the problems themselves (存在哪些问题, 困难是什么), which problem sentences do answer.
PROBLEM_ASKED_RE = re.compile(
    r"(?:问题|困难|不足|短板|原因|难点)(?:是什么|有哪些|在哪)|(?:哪些|什么)(?:问题|困难|不足|短板|原因|难点)"
)


DECISION_ASKED_RE = re.compile(r"(?:同意|答应|采纳|批准|接受)了?(?:吗|没有|没|不)")
DECISION_RE = table_pattern("decision_words", literal=True)


# The proposer's own voice, which a reply restates before answering: 提案反映…, 您在提案中提出…, 你们建议将…
# (after a label such as 关于…的建议：). 关于您提出的…，经研究… opens the bureau's answer instead.
_PROPOSER_VOICE_RE = re.compile(
    r"^(?:[^，,。：:]{0,24}[：:])?\s*(?!针对|关于|对于|根据|按照|就|对)(?:该|此|本|您的?|你们的?)?(?:提案|建议|议案|您|你们|[\u4e00-\u9fa5]{0,3}(?:委员|代表))"
    r"(?:在(?:提案|建议|议案)中)?(?:反映|提出|建议|指出|认为|希望|呼吁)"
)


def heads_problems(heading: str) -> bool:
    """Whether a section heading announces the reply's own account of problems (二、存在的问题, 面临的困难)."""
    return bool(_PROBLEM_RE.search(heading)) and len(heading) <= 16


def states_problem(sentence: str) -> bool:
    """A sentence that states a problem (the proposal's complaint) and reports no measure taken about it, or
    that restates the proposal in its proposer's voice."""
    return bool(_PROPOSER_VOICE_RE.search(sentence.strip())) or states_shortcoming(sentence)


def states_shortcoming(sentence: str) -> bool:
    """A sentence that states a shortcoming (在岗时间不足, 设备条件有限) and reports no measure taken about it."""
    return bool(_PROBLEM_RE.search(sentence)) and not _ACTION_RE.search(sentence)


# An item of the reply's own enumeration of what it did: （一）…, 一是…, 1.…
_ENUMERATED_RE = re.compile(
    r"(?:[（(][一二三四五六七八九十\d]{1,2}[）)]|[一二三四五六七八九十]{1,2}是|[一二三四五六七八九十]{1,2}、|\d{1,2}[.、．])"
)
# How things stand (全市现有…户, 在册…人) rather than what was done.
TOTAL_RE = re.compile(r"共有|共计|累计|合计|总计|全市共|全区共|全县共")
_STATUS_RE = re.compile(r"现有|在册|共有|总数|总人口")


def is_enumerated(passage: str, start: int) -> bool:
    """Whether the sentence at `start` opens an item of the reply's enumeration (（一）…, 一是…, 1.…)."""
    return bool(_ENUMERATED_RE.match(passage[start : start + 6].lstrip()))


def measure_shape(enumerated: bool, text: str) -> float:
    """For a which-measures question: an item the reply enumerates is likely a measure (+), a sentence that only
    says how things stand is background (-)."""
    status = bool(_STATUS_RE.search(text)) and not _ACTION_RE.search(text)
    return (0.08 if enumerated else 0.0) - (0.1 if status else 0.0)


def sentence_frame(sentence: str) -> str:
    """ "plan" for a target or plan, "now" for what stands or was done, "" when it says neither."""
    # The opening clause sets the frame: 到2024年底，力争…建成… is a target although it says 建成.
    opening = re.split(r"[，,；;：:]", sentence, maxsplit=1)[0]
    if _PLAN_RE.search(opening) and not _DONE_RE.search(opening):
        return "plan"
    plan, done = bool(_PLAN_RE.search(sentence)), bool(_DONE_RE.search(sentence))
    return "" if plan == done else ("plan" if plan else "now")


def figure_frames(sentence: str, unit: str) -> set[str]:
    """The time frame of each figure of the sentence in the asked unit, read from the sentence up to the end of the
    figure's clause: 全区147个团队，…，将服务延伸到家庭 states 147 as it stands, although the sentence goes on with
    a plan; 现有9家，到2025年将达到15家 states one figure of each. The whole sentence's frame when it has none."""
    figure = re.compile(figure_pattern(unit_alternatives(unit)) if unit else r"\d")
    frames = set()
    at = 0
    for clause in re.split(r"(?<=[，,；;。])", sentence):
        at += len(clause)
        if figure.search(clause):
            frames.add(sentence_frame(sentence[:at]))
    return frames or {sentence_frame(sentence)}
