"""An answer to "which reply / which place said it" names the reply: its agency, proposal number and title."""

from __future__ import annotations

from qa.answer.compose import compose
from qa.records import Chunk, DocMeta

META = DocMeta(
    agency="桐岭市卫生健康委员会",
    kind="政协提案",
    meeting="市政协五届二次会议",
    proposal_no="117",
    title="关于加强罕见病诊疗保障的提案",
    heading="关于市政协五届二次会议第117号提案答复的函",
    source="tl.txt",
)
CHUNK = Chunk("tl", "tl.txt", (META.heading, "四、下一步工作"), "将遗传代谢病筛查病种由3种扩大到6种。", META, 0)


def test_which_reply_said_it_is_answered_with_the_reply_s_agency_number_and_title() -> None:
    answer = compose("有份答复说要把遗传代谢病筛查病种从3种扩到6种，这是哪个市、关于什么的提案？", [CHUNK])
    opening = "出自桐岭市卫生健康委员会对市政协五届二次会议第117号提案《关于加强罕见病诊疗保障的提案》的答复[1]。"
    assert answer.startswith(opening)
    assert "6种" in answer
    # a question that does not ask for the source is answered without the opening
    assert not compose("遗传代谢病筛查病种要扩大到几种？", [CHUNK]).startswith("出自")
