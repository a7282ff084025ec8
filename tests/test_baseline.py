"""The naive baseline: which document a raw piece belongs to."""

from __future__ import annotations

from qa.evaluation.baseline import assign_documents


def test_assign_documents_splits_straddling_pieces() -> None:
    first = "".join(chr(0x4E00 + i) for i in range(40))
    second = "".join(chr(0x5E00 + i) for i in range(40))
    windows = {d: {t[i : i + 8] for i in range(len(t) - 7)} for d, t in (("f#1", first), ("f#2", second))}
    assert assign_documents(first[5:25], windows) == ("f#1",)
    assert set(assign_documents(first[-15:] + second[:15], windows)) == {"f#1", "f#2"}
    assert assign_documents(first[-3:] + second[:25], windows) == ("f#2",)  # a sliver of f#1 does not count
