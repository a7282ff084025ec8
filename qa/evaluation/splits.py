"""The gold sets of an evaluation run: which questions belong to which split, and the corpus they are asked on.

Fifty sets, scored separately and as two totals:

- tuning-seeds (eval/gold.jsonl), tuning-varied (eval/varied_tuning.jsonl), and tuning2-* / tuning3-* / tuning4-*
  (eval/tuning2_*.jsonl … eval/tuning4_*.jsonl, written later by people who read only the documents): the code may
  be read against and tuned on these; tuning5-traps (eval/tuning5_traps.jsonl) pairs near-miss traps with the
  answerable question closest to each, on the seeds and the varied corpus; tuning6-varied asks about the newest
  replies (v33–v38); tuning7-* (eval/tuning7_*.jsonl) is one more pair written from the documents only, and
  tuning8-varied asks mostly about v39–v44; tuning9 asks metadata in everyday wording and colloquial questions on
  both corpora; tuning10-* (eval/tuning10_*.jsonl) stresses two-part questions, everyday words for figures,
  umbrella terms a reply breaks down and near-miss traps; tuning11-* asks about the less obvious parts of
  replies (middle sections, enumerations, declined asks) with many near-miss traps; tuning12-* and tuning13-* are
  two more pairs written from the documents only, to find failures the code was never shaped by (tuning13 stresses
  everyday words, qualified figures and traps naming another town, group or year); tuning14-* stresses yes/no,
  why and deadline questions and sub-items of lists, tuning15-* near-miss traps, tuning16-* totals asked per unit
  or per year, plans against results and three-turn conversations, and tuning17-* the same hard kinds with more
  near-miss traps (sub-groups and institutions a reply does not break out) and everyday words for official terms;
- fresh-seeds / fresh-varied (eval/fresh_*.jsonl), fresh2-* … fresh10-* (eval/fresh2_*.jsonl …
  eval/fresh10_*.jsonl): each pair committed before the changes it measures and never edited; only their
  aggregate numbers are looked at.

The evaluation index holds the seeds folder plus the varied corpus (eval/varied/v*.txt and v*.html — not its
README), so every question competes with every document. Precedent search is scored on eval/drafts.jsonl and
eval/drafts_varied.jsonl.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation.metrics import GoldItem, load_gold

VARIED_DIR = "varied"
VARIED_SUFFIXES = (".txt", ".html", ".docx", ".pdf")


@dataclass(frozen=True)
class GoldSet:
    name: str  # tuning-seeds, …, fresh2-varied
    file: str  # in the eval folder
    total: str  # tuning | fresh


GOLD_SETS = (
    GoldSet("tuning-seeds", "gold.jsonl", "tuning"),
    GoldSet("tuning-varied", "varied_tuning.jsonl", "tuning"),
    GoldSet("fresh-seeds", "fresh_seeds.jsonl", "fresh"),
    GoldSet("fresh-varied", "fresh_varied.jsonl", "fresh"),
    GoldSet("tuning2-seeds", "tuning2_seeds.jsonl", "tuning"),
    GoldSet("tuning2-varied", "tuning2_varied.jsonl", "tuning"),
    GoldSet("tuning3-seeds", "tuning3_seeds.jsonl", "tuning"),
    GoldSet("tuning3-varied", "tuning3_varied.jsonl", "tuning"),
    GoldSet("fresh2-seeds", "fresh2_seeds.jsonl", "fresh"),
    GoldSet("fresh2-varied", "fresh2_varied.jsonl", "fresh"),
    GoldSet("tuning4-seeds", "tuning4_seeds.jsonl", "tuning"),
    GoldSet("tuning4-varied", "tuning4_varied.jsonl", "tuning"),
    GoldSet("tuning5-traps", "tuning5_traps.jsonl", "tuning"),
    GoldSet("tuning6-varied", "tuning6_varied.jsonl", "tuning"),
    GoldSet("fresh3-seeds", "fresh3_seeds.jsonl", "fresh"),
    GoldSet("fresh3-varied", "fresh3_varied.jsonl", "fresh"),
    GoldSet("tuning7-seeds", "tuning7_seeds.jsonl", "tuning"),
    GoldSet("tuning7-varied", "tuning7_varied.jsonl", "tuning"),
    GoldSet("fresh4-seeds", "fresh4_seeds.jsonl", "fresh"),
    GoldSet("fresh4-varied", "fresh4_varied.jsonl", "fresh"),
    GoldSet("tuning8-varied", "tuning8_varied.jsonl", "tuning"),
    GoldSet("tuning9", "tuning9.jsonl", "tuning"),
    GoldSet("fresh5-seeds", "fresh5_seeds.jsonl", "fresh"),
    GoldSet("fresh5-varied", "fresh5_varied.jsonl", "fresh"),
    GoldSet("tuning10-seeds", "tuning10_seeds.jsonl", "tuning"),
    GoldSet("tuning10-varied", "tuning10_varied.jsonl", "tuning"),
    GoldSet("fresh6-seeds", "fresh6_seeds.jsonl", "fresh"),
    GoldSet("fresh6-varied", "fresh6_varied.jsonl", "fresh"),
    GoldSet("tuning11-seeds", "tuning11_seeds.jsonl", "tuning"),
    GoldSet("tuning11-varied", "tuning11_varied.jsonl", "tuning"),
    GoldSet("fresh7-seeds", "fresh7_seeds.jsonl", "fresh"),
    GoldSet("fresh7-varied", "fresh7_varied.jsonl", "fresh"),
    GoldSet("tuning12-seeds", "tuning12_seeds.jsonl", "tuning"),
    GoldSet("tuning12-varied", "tuning12_varied.jsonl", "tuning"),
    GoldSet("tuning13-seeds", "tuning13_seeds.jsonl", "tuning"),
    GoldSet("tuning13-varied", "tuning13_varied.jsonl", "tuning"),
    GoldSet("fresh8-seeds", "fresh8_seeds.jsonl", "fresh"),
    GoldSet("fresh8-varied", "fresh8_varied.jsonl", "fresh"),
    GoldSet("tuning14-seeds", "tuning14_seeds.jsonl", "tuning"),
    GoldSet("tuning14-varied", "tuning14_varied.jsonl", "tuning"),
    GoldSet("tuning15-seeds", "tuning15_seeds.jsonl", "tuning"),
    GoldSet("tuning15-varied", "tuning15_varied.jsonl", "tuning"),
    GoldSet("fresh9-seeds", "fresh9_seeds.jsonl", "fresh"),
    GoldSet("fresh9-varied", "fresh9_varied.jsonl", "fresh"),
    GoldSet("tuning16-seeds", "tuning16_seeds.jsonl", "tuning"),
    GoldSet("tuning16-varied", "tuning16_varied.jsonl", "tuning"),
    GoldSet("fresh10-seeds", "fresh10_seeds.jsonl", "fresh"),
    GoldSet("fresh10-varied", "fresh10_varied.jsonl", "fresh"),
    GoldSet("tuning17-seeds", "tuning17_seeds.jsonl", "tuning"),
    GoldSet("tuning17-varied", "tuning17_varied.jsonl", "tuning"),
)
TOTALS = ("tuning", "fresh")
# Metric-key prefix of each precedent set; "precedents" keeps its meaning from before the varied corpus.
PRECEDENT_SETS = (("precedents", "drafts.jsonl"), ("precedents-varied", "drafts_varied.jsonl"))
FRESH = frozenset(s.name for s in GOLD_SETS if s.total == "fresh")


def varied_files(eval_folder: Path) -> list[Path]:
    """The varied corpus's documents (v*.txt, v*.html), sorted; [] when the folder is absent."""
    folder = eval_folder / VARIED_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith("v") and p.suffix in VARIED_SUFFIXES)


def load_sets(eval_folder: Path, gold_file: Path | None = None) -> list[GoldItem]:
    """Every question of the sets, each marked with its split; only `gold_file` (as tuning-seeds) if given.

    Raises:
        EvalError: a set is missing or malformed, or two sets share a question id.
    """
    from qa.evaluation.metrics import EvalError

    if gold_file is not None:
        return [dataclasses.replace(i, split=GOLD_SETS[0].name) for i in load_gold(gold_file)]
    items: list[GoldItem] = []
    seen: set[str] = set()
    for gold_set in GOLD_SETS:
        for item in load_gold(eval_folder / gold_set.file):
            if item.id in seen:
                raise EvalError(f"{gold_set.file}：编号 {item.id!r} 已被另一个标准答案集使用；编号不能重复")
            seen.add(item.id)
            items.append(dataclasses.replace(item, split=gold_set.name))
    return items


def groups(items: Sequence[GoldItem]) -> dict[str, list[GoldItem]]:
    """Split name → its items, then total name → the items of its splits; splits with no items are left out."""
    out: dict[str, list[GoldItem]] = {}
    for gold_set in GOLD_SETS:
        chosen = [i for i in items if i.split == gold_set.name]
        if chosen:
            out[gold_set.name] = chosen
    for total in TOTALS:
        names = [s.name for s in GOLD_SETS if s.total == total]
        chosen = [i for i in items if i.split in names]
        if chosen and sum(1 for n in names if n in out) > 1:
            out[total] = chosen
    return out


def standalone_queries(items: Sequence[GoldItem], rewrite: Callable[[str, list[str]], str]) -> dict[str, str]:
    """Question id → what retrieval is asked: a conversation's later turns made standalone from its earlier
    questions by `rewrite(question, earlier questions)` (the answer stage's own rule), other questions as written."""
    from qa.evaluation.answers import asking_order

    earlier: dict[str, list[str]] = {}
    out = {}
    for item in asking_order(items):
        if not item.conversation:
            out[item.id] = item.question
            continue
        before = earlier.setdefault(item.conversation, [])
        out[item.id] = rewrite(item.question, list(before)) if before else item.question
        before.append(item.question)
    return out
