"""The metadata-answers evaluation: its scoring on hand-made answers, its questions, and a run on the seeds index."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation.meta_answers import (
    FIELDS,
    PHRASINGS_NAME,
    PhrasingsError,
    evaluate,
    flat_metrics,
    holds_gold,
    load_phrasings,
    printed_dates,
    probes,
    references,
)
from qa.evaluation.metadata import SEEDS_GOLD, load_gold
from qa.records import Answer, Chunk, Citation, DocMeta

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
REPLY = {
    "doc_id": "v02_tuoyu.txt",
    "kind": "人大建议",
    "proposal_no": "47",
    "proposers": ["陈立群"],
    "agency": "梧桐市卫生健康委员会",
    "doc_no": "梧卫函〔2024〕56号",
    "date": "2024-09-03",
    "meeting": "市十七届人大三次会议",
    "title": "关于扩大普惠托育服务供给的建议",
    "contacts": [["主管领导", "吴伟", "87956021"], ["经办人", "钟磊", "0731-8862015"]],
    "reply_class": "B类",
}


def said(text: str, question: str = "梧桐市第47号建议的答复日期？", refused: bool = False) -> Answer:
    return Answer(question=question, text=text, refused=refused)


def test_a_date_counts_in_any_printed_form() -> None:
    forms = ("2024年9月3日", "2024年09月03日", "二〇二四年九月三日", "2024-09-03", "2024.9.3", "2024 年 9 月 3 日")
    for printed in forms:
        assert holds_gold("date", said(f"该答复的落款日期为{printed}[1]。"), REPLY), printed
    assert not holds_gold("date", said("该答复的落款日期为2024年9月30日[1]。"), REPLY)
    assert not holds_gold("date", said("落款日期为2023年9月3日[1]。"), REPLY)  # another year
    assert printed_dates("2024年6月、2024.9.3") == {"2024-06", "2024-09-03"}


def test_a_doc_no_counts_with_any_brackets_but_not_another_number() -> None:
    for printed in ("梧卫函〔2024〕56号", "梧卫函（2024）56号", "梧卫函【2024】56号", "梧卫函[2024]第56号"):
        assert holds_gold("doc_no", said(f"《梧桐市第47号建议的答复》的文号为{printed}[1]。"), REPLY), printed
    assert not holds_gold("doc_no", said("文号为梧卫函〔2024〕57号[1]。"), REPLY)
    assert not holds_gold("doc_no", said("文号为青卫函〔2024〕56号[1]。"), REPLY)  # another agency's
    assert not holds_gold("doc_no", said("文号为梧卫函〔2024〕56号。", refused=True), REPLY)  # a refusal is a miss


def test_the_contact_the_question_names_is_wanted_with_its_phone() -> None:
    asks_handler = "梧桐市第47号建议的经办人是谁，电话多少？"
    assert holds_gold("contacts", said("经办人为钟磊，电话0731－8862015[1]。", asks_handler), REPLY)
    assert holds_gold("contacts", said("经办人钟磊（0731 8862015）[1]。", asks_handler), REPLY)  # spaced phone
    # The reply's other contact is not the one asked, a name without the phone is half an answer, and the same
    # role in another reply (刘晓梅) does not count.
    assert not holds_gold("contacts", said("主管领导为吴伟，电话87956021[1]。", asks_handler), REPLY)
    assert not holds_gold("contacts", said("经办人为钟磊[1]。", asks_handler), REPLY)
    assert not holds_gold("contacts", said("经办人为刘晓梅，电话0736-5821234[1]。", asks_handler), REPLY)
    # No role of this reply named (有事找谁, or 联系人 where the reply has none): any of its contacts will do.
    for question in ("梧桐市第47号建议有事找谁？", "梧桐市第47号建议的联系人和电话？"):
        assert holds_gold("contacts", said("主管领导吴伟，电话87956021[1]。", question), REPLY)
        assert not holds_gold("contacts", said("联系人刘晓梅，电话0736-5821234[1]。", question), REPLY)


def test_every_proposer_is_wanted_or_the_first_with_deng_n_wei() -> None:
    three = {**REPLY, "proposers": ["张强", "陈翔", "王瑜"]}
    assert holds_gold("proposers", said("由张强、陈翔、王瑜委员提出[1]。"), three)
    assert holds_gold("proposers", said("由张强等3位委员提出[1]。"), three)
    assert holds_gold("proposers", said("由张强等三人提出[1]。"), three)
    assert not holds_gold("proposers", said("由张强、陈翔委员提出[1]。"), three)
    assert not holds_gold("proposers", said("由李丹等3位委员提出[1]。"), three)


def test_the_other_fields_are_found_as_the_gold_states_them() -> None:
    assert holds_gold("meeting", said("该建议是市十七届人大三次会议上的建议[1]。"), REPLY)
    assert holds_gold("reply_class", said("答复类别为Ｂ类[1]。"), REPLY)  # full-width letter
    assert not holds_gold("reply_class", said("答复类别为A类[1]。"), REPLY)
    assert holds_gold("agency", said("由梧桐市卫生健康委员会答复[1]。"), REPLY)
    assert not holds_gold("agency", said("现有资料中未找到相关内容。", refused=True), REPLY)


def test_a_value_only_in_the_quoted_reply_s_name_is_not_stated() -> None:
    heading = "梧桐市卫生健康委员会关于市十七届人大三次会议第47号建议的答复"
    meta = DocMeta(agency="梧桐市卫生健康委员会", heading=heading, title="关于扩大普惠托育服务供给的建议")
    chunk = Chunk("c1", REPLY["doc_id"], (heading,), "全市新增普惠托位1200个。", meta)
    cited = [Citation(1, chunk, "全市新增普惠托位1200个")]
    quoted = Answer("梧桐市第47号建议的答复是谁家出的？", f"据《{heading}》，全市新增普惠托位1200个[1]。", cited)
    assert not holds_gold("agency", quoted, REPLY) and not holds_gold("meeting", quoted, REPLY)
    stated = Answer(quoted.question, f"{meta.display_title}由梧桐市卫生健康委员会答复[1]。", cited)
    assert holds_gold("agency", stated, REPLY)


def test_the_shipped_phrasings_cover_every_field_and_a_bad_line_fails(tmp_path: Path) -> None:
    phrasings = load_phrasings(EVAL_DIR / PHRASINGS_NAME)
    assert set(phrasings) == set(FIELDS) and all(4 <= len(p) <= 6 for p in phrasings.values())
    bad = tmp_path / PHRASINGS_NAME
    bad.write_text("doc_no\t{ref}的文号？\n", encoding="utf-8")  # no reason
    with pytest.raises(PhrasingsError, match=":1:"):
        load_phrasings(bad)


def test_questions_take_phrasings_and_references_in_turn() -> None:
    phrasings = load_phrasings(EVAL_DIR / PHRASINGS_NAME)
    masked = {**REPLY, "doc_id": "masked", "proposers": ["王**"]}
    assert [kind for kind, _ in references(masked)] == ["topic", "number"]  # 王** names nobody to ask about
    assert references(REPLY)[2] == ("proposer", "陈立群代表那个建议")
    first, again = probes([REPLY, masked], phrasings), probes([REPLY, masked], phrasings)
    assert first == again and len(first) == 2 * len(FIELDS)  # deterministic, one question per field stated
    asked = [p for p in first if p.field == "proposers"]
    assert all("陈立群" not in p.question for p in asked)  # the question never holds its own answer
    second = next(p for p in first if p.doc_id == "masked" and p.field == "date")
    assert second.question.endswith(phrasings["date"][1].split("}")[-1])  # the second reply, the second phrasing
    assert len({p.reference for p in first}) == 3


def test_a_run_over_seed_replies_on_the_seeds_index(seeds_retriever) -> None:
    from qa.answer.chain import ask
    from qa.evaluation.report import _meta_answers_section

    wanted = ("001_884f6c705b95b4c7.txt", "000_ecc1ee3b3577c818.txt#1")  # a 文号 in 〔〕, two contacts
    rows = [r for r in load_gold(EVAL_DIR / SEEDS_GOLD) if r["doc_id"] in wanted]
    score = evaluate(rows, load_phrasings(EVAL_DIR / PHRASINGS_NAME), lambda q: ask(q, retriever=seeds_retriever))
    result = score.to_dict()
    assert result["asked"] == sum(len(probes([r], load_phrasings(EVAL_DIR / PHRASINGS_NAME))) for r in rows) > 6
    assert result["fields"]["doc_no"] == {"right": 1, "asked": 1}  # 江卫函〔2024〕22号, as the reply prints it
    assert result["right"] >= result["asked"] - 2
    assert all(m["question"] and "answer" in m for m in result["misses"])  # misses keep question and answer
    assert flat_metrics({"seeds": result}) == {"meta-answers.seeds": result["rate"]}
    assert "| doc_no |" in "\n".join(_meta_answers_section({"seeds": result}))
