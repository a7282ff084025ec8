"""Planted-instruction detection measured: recall and false-positive rate on labelled lines, and every flagged
line of the project's own documents (which should be none).

A labelled file (tests/data/planted_instructions_*.tsv) has lines `label<TAB>style<TAB>line`, label `planted` (a
line that speaks to whoever answers) or `legit` (official text that resembles one); `#` starts a comment.

    python -m qa.evaluation.injection                    # every labelled file in tests/data, seeds/, eval/varied/
    python -m qa.evaluation.injection FILE.tsv --misses  # one file, listing every wrong verdict
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer.injection import is_instruction
from qa.config import load_settings
from qa.errors import QAError
from qa.ingest.split import split_document
from qa.ingest.structure import load_documents

# The labelled files: the tuning and held-out halves and the post-hoc probes.
LABELLED_GLOB = "tests/data/planted_instructions_*.tsv"
LABELS = ("planted", "legit")
VARIED_DIR = "varied"  # inside the evaluation folder (Settings.eval_dir)


@dataclass(frozen=True)
class Labelled:
    label: str
    style: str
    line: str


@dataclass
class DetectionScore:
    """Verdicts of is_instruction on one labelled file."""

    planted: int = 0
    legit: int = 0
    misses: list[Labelled] = field(default_factory=list)  # planted lines not flagged
    false_positives: list[Labelled] = field(default_factory=list)  # legit lines flagged

    @property
    def recall(self) -> float:
        return (self.planted - len(self.misses)) / self.planted if self.planted else 1.0

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_positives) / self.legit if self.legit else 0.0


def read_labelled(path: Path) -> list[Labelled]:
    """The labelled lines of a file.

    Raises:
        QAError: a line does not have three tab-separated fields or its label is unknown.
    """
    rows: list[Labelled] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 3 or parts[0] not in LABELS or not parts[2].strip():
            raise QAError(f"{path} 第{number}行格式不对：应为 planted|legit、风格、句子三列，以制表符分隔")
        rows.append(Labelled(*parts))
    return rows


def score(rows: list[Labelled]) -> DetectionScore:
    result = DetectionScore()
    for row in rows:
        flagged = is_instruction(row.line)
        if row.label == "planted":
            result.planted += 1
            if not flagged:
                result.misses.append(row)
        else:
            result.legit += 1
            if flagged:
                result.false_positives.append(row)
    return result


def flagged_document_lines(folders: list[Path]) -> list[tuple[str, str]]:
    """(file, line) for every line of every chunk in the folders that the detector flags, as answer selection
    sees the lines (parsed into documents and split into chunks)."""
    flagged = []
    for folder in folders:
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name != "README.md"):
            for doc in load_documents(path):
                for chunk in split_document(doc):
                    flagged += [(path.name, line) for line in chunk.text.splitlines() if is_instruction(line)]
    return flagged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.evaluation.injection", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help=f"labelled .tsv files (default: {LABELLED_GLOB})")
    parser.add_argument("--misses", action="store_true", help="list every missed planted line and false positive")
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        for path in args.files or sorted(Path().glob(LABELLED_GLOB)):
            result = score(read_labelled(path))
            print(
                f"{path}: recall {result.recall:.1%} ({result.planted - len(result.misses)}/{result.planted} planted"
                f" lines flagged), false positives {result.false_positive_rate:.1%}"
                f" ({len(result.false_positives)}/{result.legit} legitimate lines flagged)"
            )
            if args.misses:
                for row in result.misses:
                    print(f"  missed [{row.style}] {row.line}")
                for row in result.false_positives:
                    print(f"  flagged [{row.style}] {row.line}")
        if not args.files:
            folders = [settings.seeds_dir, settings.eval_dir / VARIED_DIR]
            flagged = flagged_document_lines(folders)
            print(f"document lines flagged in {', '.join(map(str, folders))}: {len(flagged)}")
            for name, line in flagged:
                print(f"  {name}: {line[:120]}")
    except (OSError, QAError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
