"""Metadata answers: every reply's metadata fields asked in everyday phrasings, each answer scored against the
metadata gold (eval/varied_meta.jsonl, eval/seeds_meta.jsonl).

qa.evaluation.metadata scores what the parser reads; this scores what a person asking gets. For every gold reply and
every field it states (文号, proposers, contacts, date, meeting, 答复类别, agency) one question is asked: the field's
phrasings (eval/meta_phrasings.tsv) and the ways of naming the reply (by topic, by number, by proposer) are taken in
turn by the reply's place in the gold file, so a run is deterministic and every phrasing and reference is used.
An answer holds the gold value when it prints it in any form the documents use: a date in any printed form, a 文号
with any brackets, the contact the question names (or, when it names none, any contact of the reply) with that
contact's phone, every proposer (one before 等N位). A refusal is a miss.

The phrasings were written while the answerer was being fixed, so this is a tuning measure, not a held-out one.

    python -m qa.evaluation.meta_answers            # over the eval index (.cache/eval-index/index, `python -m eval`)
    python -m qa.evaluation.meta_answers --misses   # and every miss: question and answer
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.evaluation.metadata import SEEDS_GOLD, VARIED_GOLD, load_gold
from qa.ingest.cues import DOC_NO, doc_number, is_collective
from qa.ingest.normalize import DATE, cn_date_to_digits, parse_date
from qa.records import Answer, DocMeta
from qa.text import normalize, to_simplified

FIELDS = ("doc_no", "proposers", "contacts", "date", "meeting", "reply_class", "agency")
PHRASINGS_NAME = "meta_phrasings.tsv"
CORPORA = (("varied", VARIED_GOLD), ("seeds", SEEDS_GOLD))
DEFAULT_INDEX = Path(".cache") / "eval-index" / "index"  # where `python -m eval` builds the evaluation index
# 等3位 / 等三人 after a name: the answer names the first proposer for all of them.
_AND_OTHERS = re.compile(r"等[\d一二三四五六七八九十]+(?:位|人|名)")
TOPIC_CHARS = 8  # a person recalls a few words of a title, not all of it
_PHONE_GAPS = re.compile(r"(?<=\d)[\s\-－—–]+(?=\d)")

AskFn = Callable[[str], Answer]


class PhrasingsError(ValueError):
    """eval/meta_phrasings.tsv has a malformed line."""


def load_phrasings(path: Path) -> dict[str, tuple[str, ...]]:
    """field → its phrasings, in file order. A line is `field<TAB>phrasing<TAB>reason`; `#` starts a comment.

    Raises:
        PhrasingsError: a line without three columns, an unknown field, a phrasing without {ref}, or a field of
            FIELDS without any phrasing.
    """
    found: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 3 or not all(parts):
            raise PhrasingsError(f"{path}:{number}: expected field, phrasing and reason separated by tabs: {line!r}")
        name, phrasing, _reason = parts
        if name not in FIELDS or "{ref}" not in phrasing:
            known = ", ".join(FIELDS)
            raise PhrasingsError(f"{path}:{number}: the field must be one of {known} and the phrasing hold {{ref}}")
        found.setdefault(name, []).append(phrasing)
    if missing := [name for name in FIELDS if name not in found]:
        raise PhrasingsError(f"{path}: no phrasing for {', '.join(missing)}")
    return {name: tuple(found[name]) for name in FIELDS}


# --- the questions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One question about one field of one gold reply."""

    doc_id: str
    field: str
    reference: str  # topic | number | proposer: how the question names the reply
    question: str


def _place(agency: str) -> str:
    from qa.answer.metadata import place_of  # the answer stage's own reading of 武汉市江夏区卫生健康局 → 江夏区

    return place_of(DocMeta(agency=to_simplified(agency)))


def _topic(title: str) -> str:
    """The words a person recalls a proposal by: the last whole words of its title (without 关于 and 的提案), 8
    characters at most, so a topic never starts in the middle of a word (疫苗 cut to 苗)."""
    from qa.index.tokenize import jieba_tokenizer

    bare = re.sub(r"^关于|的(?:提案|建议|议案|意见建议)$|[“”\"‘’「」、]", "", to_simplified(title))  # 招不来、留不住
    words = jieba_tokenizer().lcut(bare)
    topic = words.pop() if words else ""
    while words and len(words[-1]) + len(topic) <= TOPIC_CHARS:
        topic = words.pop() + topic
    return topic


def references(row: dict[str, Any]) -> list[tuple[str, str]]:
    """The ways of naming the gold reply's proposal a person would use: (kind, words), kind topic/number/proposer.

    A masked (王**) or collective proposer names nobody one would ask about; a reply without a title or number
    has no topic or number to be named by."""
    place = _place(row.get("agency", ""))
    kind = "建议" if row.get("kind") == "人大建议" else "提案"
    out = []
    if place and row.get("title"):
        out.append(("topic", f"{place}{_topic(row['title'])}的那个{kind}"))
    if place and row.get("proposal_no"):
        out.append(("number", f"{place}第{row['proposal_no']}号{kind}"))
    first = (row.get("proposers") or [""])[0]
    if first and "*" not in first and not is_collective(first) and out:
        role = ("代表" if kind == "建议" else "委员") if len(first) <= 3 else ""
        out.append(("proposer", f"{first}{role}那个{kind}"))
    return out


def _asked_fields(row: dict[str, Any]) -> list[str]:
    return [name for name in FIELDS if row.get(name)]


def probes(rows: Sequence[dict[str, Any]], phrasings: dict[str, tuple[str, ...]]) -> list[Probe]:
    """One question per gold reply and field it states. The reply's place in the file picks the phrasing and the
    reference in turn (the n-th field of the i-th reply takes reference i + n), so every one gets used."""
    out = []
    for i, row in enumerate(rows):
        refs = references(row)
        for n, name in enumerate(_asked_fields(row)):
            usable = [r for r in refs if not (name == "proposers" and r[0] == "proposer")]  # never names the answer
            if not usable:
                continue
            kind, words = usable[(i + n) % len(usable)]
            phrasing = phrasings[name][i % len(phrasings[name])]
            contacts = row.get("contacts") or [["", "", ""]]
            role = contacts[i % len(contacts)][0] or "联系人"
            out.append(Probe(row["doc_id"], name, kind, phrasing.format(ref=words, role=role)))
    return out


# --- scoring -------------------------------------------------------------------------------------------------


def printed_dates(text: str) -> set[str]:
    """Every date the text prints, as ISO (2024-09-03): 2024年9月3日, 2024年09月03日, 二〇二四年九月三日, 2024-09-03
    and 2024.9.3 all read the same."""
    digits = cn_date_to_digits(normalize(text))
    return {iso for m in DATE.finditer(digits) if (iso := parse_date(m.group(0)))}


def printed_doc_nos(text: str) -> set[str]:
    """Every 文号 the text prints with its brackets as 〔〕; a match may carry words glued before it (的文号为…)."""
    flat = normalize(text)
    return {doc_number(m.group(0)) for m in DOC_NO.finditer(flat)}


def holds_doc_no(text: str, gold: str) -> bool:
    """The answer prints the gold 文号 with any brackets (〔〕 ［］ 【】 （）) or a 第 before its number."""
    want = doc_number(normalize(gold)) or normalize(gold)
    return any(found.endswith(want) for found in printed_doc_nos(text))


def _digits(text: str) -> str:
    return _PHONE_GAPS.sub("", normalize(text))


def holds_contact(text: str, contacts: Sequence[Sequence[str]], question: str) -> bool:
    """The answer names the contact whose role the question names, or any contact when it names none of the
    reply's roles, with that contact's phone when the reply gives one."""
    named = [c for c in contacts if c[0] and c[0] in question]
    flat, digits = normalize(text), _digits(text)
    return any(
        normalize(name) in flat and (not phone or _digits(phone) in digits) for _role, name, phone in named or contacts
    )


def holds_proposers(text: str, proposers: Sequence[str]) -> bool:
    """Every proposer is named, or the first ones with 等N位 for the rest."""
    flat = normalize(text)
    named = [normalize(p) in flat for p in proposers]
    return all(named) or (any(named) and bool(_AND_OTHERS.search(flat)))


def stated_text(answer: Answer) -> str:
    """The answer without the names of the documents it cites: 据《青岚县卫生健康局关于县政协…会议第12号提案的
    答复》 names the agency and the meeting whatever the answer then says, so a value counts only when the answer
    states it, not when it only names the reply it quotes."""
    text = answer.text
    names = {n for c in answer.citations for n in (c.chunk.meta.display_title, c.chunk.meta.heading) if n}
    for name in sorted(names, key=len, reverse=True):  # the display title holds the heading: it goes first
        text = text.replace(name, "")
    return text


def holds_gold(name: str, answer: Answer, row: dict[str, Any]) -> bool:
    """Does the answer state the gold value of field `name`? A refusal never does."""
    if answer.refused:
        return False
    gold, text = row[name], stated_text(answer)
    if name == "date":
        return normalize(gold) in printed_dates(text)
    if name == "doc_no":
        return holds_doc_no(text, gold)
    if name == "contacts":
        return holds_contact(text, gold, normalize(answer.question))
    if name == "proposers":
        return holds_proposers(text, gold)
    return normalize(gold) in normalize(text)  # meeting, reply_class, agency: as the gold states them


# --- the run -------------------------------------------------------------------------------------------------


@dataclass
class MetaAnswerScore:
    """Answers holding the gold value, per field, over one gold file; the misses with question and answer."""

    right: dict[str, int] = field(default_factory=dict)
    asked: dict[str, int] = field(default_factory=dict)
    by_reference: dict[str, list[int]] = field(default_factory=dict)  # reference → [right, asked]
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        total = sum(self.asked.values())
        return sum(self.right.values()) / total if total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "right": sum(self.right.values()),
            "asked": sum(self.asked.values()),
            "rate": round(self.rate, 4),
            "fields": {n: {"right": self.right.get(n, 0), "asked": self.asked[n]} for n in FIELDS if n in self.asked},
            "references": {k: {"right": r, "asked": a} for k, (r, a) in sorted(self.by_reference.items())},
            "misses": self.misses,
        }


def evaluate(rows: Sequence[dict[str, Any]], phrasings: dict[str, tuple[str, ...]], ask: AskFn) -> MetaAnswerScore:
    """Ask every probe of the gold rows and score the answers."""
    by_id = {row["doc_id"]: row for row in rows}
    result = MetaAnswerScore()
    for probe in probes(rows, phrasings):
        row = by_id[probe.doc_id]
        answer = ask(probe.question)
        hit = holds_gold(probe.field, answer, row)
        result.asked[probe.field] = result.asked.get(probe.field, 0) + 1
        result.right[probe.field] = result.right.get(probe.field, 0) + hit
        counts = result.by_reference.setdefault(probe.reference, [0, 0])
        counts[0] += hit
        counts[1] += 1
        if not hit:
            result.misses.append(
                {"doc_id": probe.doc_id, "field": probe.field, "reference": probe.reference,
                 "question": probe.question, "gold": row[probe.field], "refused": answer.refused,
                 "answer": answer.text}
            )  # fmt: skip
    return result


def evaluate_corpora(eval_folder: Path, ask: AskFn) -> dict[str, MetaAnswerScore]:
    """The varied corpus and the seeds, each against its metadata gold file; a missing gold file is skipped."""
    if not (eval_folder / PHRASINGS_NAME).is_file():
        return {}  # an evaluation folder of another project, without phrasings: nothing to ask
    phrasings = load_phrasings(eval_folder / PHRASINGS_NAME)
    return {
        corpus: evaluate(load_gold(eval_folder / gold), phrasings, ask)
        for corpus, gold in CORPORA
        if (eval_folder / gold).is_file()
    }


def flat_metrics(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The gate's keys: meta-answers.varied, meta-answers.seeds (share of questions answered with the gold value)."""
    return {f"meta-answers.{corpus}": result["rate"] for corpus, result in results.items()}


def format_table(results: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown: per corpus and field, answers holding the gold value over questions asked."""
    corpora = list(results)
    lines = ["| field | " + " | ".join(corpora) + " |", "|---" * (len(corpora) + 1) + "|"]
    for name in FIELDS:
        cells = [results[c]["fields"].get(name) for c in corpora]
        if any(cells):
            shown = [f"{x['right']} / {x['asked']}" if x else "-" for x in cells]
            lines.append(f"| {name} | " + " | ".join(shown) + " |")
    totals = [f"**{r['right']} / {r['asked']}** ({r['rate'] * 100:.1f}%)" for r in results.values()]
    lines.append("| **all** | " + " | ".join(totals) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    from qa.answer.chain import ask
    from qa.config import load_settings
    from qa.errors import QAError
    from qa.index.embed import get_embedder
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    parser = argparse.ArgumentParser(prog="python -m qa.evaluation.meta_answers", description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help=f"the eval index (default {DEFAULT_INDEX})")
    parser.add_argument("--misses", action="store_true", help="print every miss: question, gold value and answer")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        retriever = Retriever(load_index(args.index), get_embedder(settings.embed_model))
        scores = evaluate_corpora(settings.eval_dir, lambda q: ask(q, retriever=retriever))
    except (OSError, QAError, PhrasingsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    results = {corpus: score.to_dict() for corpus, score in scores.items()}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    print("\n".join(format_table(results)))
    for corpus, result in results.items() if args.misses else ():
        for miss in result["misses"]:
            print(f"\n--- {corpus} {miss['doc_id']} {miss['field']} ({miss['reference']}); gold {miss['gold']}")
            print(f"Q: {miss['question']}\nA: {miss['answer']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
