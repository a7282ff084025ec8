"""Domain knowledge kept as reviewable tables: one entry a line, fields separated by tabs, the reason last.

A table file `qa/data/<name>.tsv` holds lines `field<TAB>…<TAB>reason`; `#` starts a comment line. Every entry
must say why it is there, so a reviewer can judge the list without reading code; a line without a reason is a
packaging error and fails loudly.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def read_table(name: str, *, fields: int = 1) -> tuple[tuple[str, ...], ...]:
    """The entries of `qa/data/<name>.tsv`, each as its `fields` leading values (the reason column dropped).

    Args:
        name: the table's file name without `.tsv`.
        fields: how many values come before the reason on every line.

    Raises:
        ValueError: a line has the wrong number of columns (a missing reason included).
    """
    text = resources.files(__package__).joinpath(f"{name}.tsv").read_text(encoding="utf-8")
    rows: list[tuple[str, ...]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != fields + 1 or not parts[-1].strip():
            raise ValueError(f"qa/data/{name}.tsv line {number}: expected {fields} value(s) and a reason, got {line!r}")
        rows.append(tuple(p.strip() for p in parts[:fields]))
    return tuple(rows)


def word_set(name: str) -> frozenset[str]:
    """A one-column table as a set of words."""
    return frozenset(row[0] for row in read_table(name))


def word_map(name: str) -> dict[str, tuple[str, ...]]:
    """A two-column table `key<TAB>value value …<TAB>reason` as key → the space-separated values."""
    return {key: tuple(values.split()) for key, values in read_table(name, fields=2)}
