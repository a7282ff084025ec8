"""Metadata accuracy: parse a folder of replies and compare every document's DocMeta with a gold file.

A gold file has one JSON object a line: `doc_id` and the expected value of each field it states (kind,
proposal_no, proposers, agency, doc_no, date, meeting, title, contacts [[role, name, phone]], reply_class).
A field a row leaves out is not scored for that row, so a gold row may state only what a test already
checks. Proposers compare as a set, contacts as a set of (role, name, phone); strings without spaces.

    python -m qa.evaluation.metadata                       # eval/varied against eval/varied_meta.jsonl, and the seeds
    python -m qa.evaluation.metadata --dir seeds --gold eval/seeds_meta.jsonl --errors

`qa eval` reports the same scores (score_corpora) beside the answer metrics and gates on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.config import load_settings
from qa.errors import QAError
from qa.records import DocMeta

FIELDS = ("kind", "proposal_no", "proposers", "agency", "doc_no", "date", "meeting", "title", "contacts", "reply_class")
# Inside the evaluation folder (Settings.eval_dir, eval/ of the project the user runs in).
VARIED_DIR = "varied"
VARIED_GOLD = "varied_meta.jsonl"
SEEDS_GOLD = "seeds_meta.jsonl"


@dataclass
class MetaScore:
    """Documents found and per-field counts over one gold file."""

    expected: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)  # gold doc_ids the parser did not produce
    extra: list[str] = field(default_factory=list)  # parsed doc_ids the gold file does not name
    right: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # (doc_id, field, expected, got)

    def accuracy(self, name: str) -> float:
        return self.right.get(name, 0) / self.total[name] if self.total.get(name) else 1.0

    @property
    def overall(self) -> float:
        total = sum(self.total.values())
        return sum(self.right.values()) / total if total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents_expected": self.expected,
            "documents_found": self.found,
            "missing": self.missing,
            "extra": self.extra,
            "fields": {f: {"right": self.right.get(f, 0), "total": self.total[f]} for f in FIELDS if f in self.total},
            "overall": round(self.overall, 4),
            "errors": [{"doc_id": d, "field": f, "expected": e, "got": g} for d, f, e, g in self.errors],
        }


def normalized(name: str, value: Any) -> Any:
    """The comparable form of a field value (gold JSON or DocMeta)."""
    if name == "proposers":
        return frozenset("".join(str(p).split()) for p in value or ())
    if name == "contacts":
        return frozenset(tuple("".join(str(x).split()) for x in c) for c in value or ())
    return "".join(str(value or "").split())


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The rows of a gold file; a row without doc_id is an error naming the line."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not row.get("doc_id"):
            raise QAError(f"{path}:{number}：标准答案行缺少 doc_id，请补上")
        rows.append(row)
    return rows


def parse_folder(folder: Path) -> dict[str, DocMeta]:
    """doc_id → metadata of every document in the folder's supported files."""
    from qa.ingest.read import SUPPORTED_SUFFIXES
    from qa.ingest.structure import load_documents

    metas: dict[str, DocMeta] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in SUPPORTED_SUFFIXES and path.name.lower() != "readme.md":
            for doc in load_documents(path):
                metas[doc.doc_id] = doc.meta
    return metas


def score(gold: Iterable[dict[str, Any]], metas: dict[str, DocMeta]) -> MetaScore:
    """Compare each gold row with the parsed document of its doc_id (a missing document gets every field wrong)."""
    result = MetaScore()
    named: set[str] = set()
    for row in gold:
        doc_id = row["doc_id"]
        named.add(doc_id)
        result.expected += 1
        meta = metas.get(doc_id)
        if meta is None:
            result.missing.append(doc_id)
        else:
            result.found += 1
        for name in FIELDS:
            if name not in row:
                continue
            result.total[name] = result.total.get(name, 0) + 1
            want = normalized(name, row[name])
            got = normalized(name, getattr(meta, name)) if meta is not None else None
            if got == want:
                result.right[name] = result.right.get(name, 0) + 1
            else:
                shown = getattr(meta, name) if meta is not None else None
                result.errors.append((doc_id, name, row[name], shown))
    result.extra = sorted(set(metas) - named)
    return result


def evaluate(folder: Path, gold_file: Path) -> MetaScore:
    """Parse `folder` and score it against `gold_file`."""
    return score(load_gold(gold_file), parse_folder(folder))


def score_corpora(eval_folder: Path, seeds_dir: Path) -> dict[str, MetaScore]:
    """The varied corpus (eval/varied against eval/varied_meta.jsonl) and, where its gold file exists, the seeds."""
    results = {"varied": evaluate(eval_folder / VARIED_DIR, eval_folder / VARIED_GOLD)}
    if (eval_folder / SEEDS_GOLD).is_file():
        results["seeds"] = evaluate(seeds_dir, eval_folder / SEEDS_GOLD)
    return results


def format_table(result: MetaScore, title: str) -> str:
    lines = [
        f"{title}: documents found {result.found}/{result.expected}"
        + (f" (missing: {', '.join(result.missing)})" if result.missing else "")
        + (f" (extra: {', '.join(result.extra)})" if result.extra else ""),
        "| field | right | total | accuracy |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in FIELDS:
        if name in result.total:
            right = result.right.get(name, 0)
            lines.append(f"| {name} | {right} | {result.total[name]} | {result.accuracy(name):.1%} |")
    right, total = sum(result.right.values()), sum(result.total.values())
    lines.append(f"| **all fields** | {right} | {total} | {result.overall:.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.evaluation.metadata", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=None, help=f"folder of documents (default eval/{VARIED_DIR})")
    parser.add_argument("--gold", type=Path, default=None, help=f"expected metadata (default eval/{VARIED_GOLD})")
    parser.add_argument("--errors", action="store_true", help="list every wrong field")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        if args.dir is None and args.gold is None:
            results = list(score_corpora(settings.eval_dir, settings.seeds_dir).items())
        else:
            folder = args.dir or settings.eval_dir / VARIED_DIR
            results = [("documents", evaluate(folder, args.gold or settings.eval_dir / VARIED_GOLD))]
    except (OSError, QAError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({name: r.to_dict() for name, r in results}, ensure_ascii=False, indent=2))
        return 0
    for name, result in results:
        print(format_table(result, name))
        if args.errors:
            for doc_id, f, want, got in result.errors:
                print(f"  {doc_id} {f}: expected {want!r}, got {got!r}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
