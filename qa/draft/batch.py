"""Draft every open proposal of the register from precedent: resumable, one .docx each plus a zip, and what each
draft still needs (〔待填写…〕/〔待核实…〕)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.draft.compose import draft_reply, write_draft
from qa.draft.proposal import make_proposal
from qa.draft.sources import PLACEHOLDER_RE
from qa.errors import QAError
from qa.records import Draft, Proposal
from qa.store.register import OPEN_STATUSES, SYSTEM, Entry, Register, Revision

# Bump when drafting changes enough that stored generated drafts should be redone on the next batch.
DRAFT_VERSION = "2"
ZIP_NAME = "答复草稿.zip"
WRITTEN_FILE = ".written.json"  # in --out: file name → the revision it holds


def proposal_of(entry: Entry) -> Proposal:
    """The register entry as the drafting input (kind 政协提案 when the list named none)."""
    return make_proposal(
        entry.title, entry.body, proposers=[entry.proposers], kind=entry.kind or "政协提案", meeting=entry.meeting,
        number=entry.number,
    )  # fmt: skip


def input_hash(entry: Entry) -> str:
    """What a generated draft was made from: the proposal's text fields and the drafting version."""
    parts = [DRAFT_VERSION, entry.title, entry.body, entry.proposers, entry.kind, entry.meeting, entry.number]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def is_current(entry: Entry, revision: Revision | None) -> bool:
    """A draft needs no redoing when a person edited it (never overwritten) or it was made from this input."""
    return revision is not None and (revision.author != SYSTEM or revision.input_hash == input_hash(entry))


def placeholder_summary(text: str, notes: Iterable[str] = ()) -> dict[str, Any]:
    """The placeholders a draft still holds: counts of 待填写 and 待核实, and each distinct text once."""
    found = PLACEHOLDER_RE.findall(text) + [n for n in notes if n not in text]
    fill = [p for p in found if p.startswith("〔待填写")]
    check = [p for p in found if not p.startswith("〔待填写")]
    return {"待填写": len(fill), "待核实": len(check), "items": list(dict.fromkeys(found))}


def file_stem(entry: Entry) -> str:
    """A file name for the proposal's draft: register number, its own number, the title's start."""
    title = re.sub(r'[\\/:*?"<>|\s《》]+', "", entry.title)[:24] or "答复"
    number = re.sub(r"[^\w-]+", "", entry.number)
    return "_".join(p for p in (f"{entry.id:03d}", number, title) if p)


def stored_draft(revision: Revision) -> Draft:
    """A Draft from a stored revision's text, for writing it again (its notes kept as placeholders)."""
    notes = [n for n in revision.placeholders if n not in revision.text]
    return Draft(
        revision.text,
        placeholders=list(dict.fromkeys(PLACEHOLDER_RE.findall(revision.text) + notes)),
        unsupported=list(revision.detail.get("unsupported", [])),
        backend=revision.detail.get("backend", ""),
    )


def _write_atomic(draft: Draft, path: Path) -> Path:
    """Write the .docx beside its place and rename it in: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    write_draft(draft, tmp)
    os.replace(tmp, path)
    return path


def _read_written(folder: Path) -> dict[str, int]:
    """Which revision each .docx in the folder holds (WRITTEN_FILE), so a re-run keeps current files as they are."""
    try:
        data = json.loads((folder / WRITTEN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_written(folder: Path, written: dict[str, int]) -> None:
    tmp = folder / f".{WRITTEN_FILE}.tmp"
    try:
        tmp.write_text(json.dumps(written, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, folder / WRITTEN_FILE)
    except OSError as err:
        raise QAError(f"无法写入 {folder / WRITTEN_FILE}（{err}）：请换一个可写的 --out 文件夹") from err


def write_zip(files: Sequence[Path], path: Path) -> Path:
    """The files in one zip (flat names), written to a temporary file and renamed in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".zip-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, file.name)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise QAError(f"无法写入 {path}（{err}）：请换一个可写的 --out 文件夹") from err
    return path


@dataclass
class BatchItem:
    """What happened to one proposal in a batch."""

    id: int
    number: str
    title: str
    outcome: str  # 起草 (drafted now), 跳过 (current draft kept), 失败 (with error)
    file: str = ""
    revision: int = 0
    placeholders: dict[str, Any] = field(default_factory=dict)
    precedent: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BatchReport:
    items: list[BatchItem]
    zip_path: str = ""

    def counts(self) -> dict[str, int]:
        out = {"起草": 0, "跳过": 0, "失败": 0}
        for item in self.items:
            out[item.outcome] += 1
        return out

    def summary(self) -> str:
        """Chinese lines: the counts, then per proposal the placeholders it still needs."""
        c = self.counts()
        lines = [f"共 {len(self.items)} 件：起草 {c['起草']}，已是最新而跳过 {c['跳过']}，失败 {c['失败']}"]
        for item in self.items:
            head = f"#{item.id} {item.number or '-'} {item.title}（{item.outcome}）"
            if item.error:
                lines.append(f"{head}：{item.error}")
                continue
            p = item.placeholders
            lines.append(f"{head}：待填写 {p.get('待填写', 0)} 处，待核实 {p.get('待核实', 0)} 处")
            lines += [f"    {text}" for text in p.get("items", [])]
        if self.zip_path:
            lines.append(f"压缩包：{self.zip_path}")
        return "\n".join(lines)


def draft_all(
    register: Register,
    *,
    retriever: Any,
    settings: Settings | None = None,
    generator: Any = None,
    out_dir: Path | None = None,
    ids: Sequence[int] | None = None,
    force: bool = False,
    progress: bool = True,
    note: str = "批量起草",
) -> BatchReport:
    """Find precedents and draft every open proposal (or `ids`), skipping those whose draft is current.

    Each draft is saved as a new revision with its precedents; with `out_dir`, every proposal's current draft is
    written as a .docx there and all of them zipped (ZIP_NAME). One proposal failing does not stop the batch.
    """
    from tqdm import tqdm

    entries = [register.get(i) for i in ids] if ids else register.entries(status=OPEN_STATUSES)
    items: list[BatchItem] = []
    files: list[Path] = []
    written = _read_written(Path(out_dir)) if out_dir is not None else {}
    for entry in tqdm(entries, desc="起草答复", unit="件", disable=not progress):
        item = BatchItem(entry.id, entry.number, entry.title, "跳过")
        revision = register.current_draft(entry.id)
        draft: Draft | None = None
        try:
            if force or not is_current(entry, revision):
                draft = draft_reply(proposal_of(entry), retriever=retriever, generator=generator, settings=settings)
                register.set_precedents(entry.id, [_precedent_row(p) for p in draft.precedents])
                detail = {"backend": draft.backend, "unsupported": draft.unsupported}
                revision = register.save_draft(
                    entry.id, draft.text, author=SYSTEM, note=note, input_hash=input_hash(entry),
                    placeholders=draft.placeholders, detail=detail,
                )  # fmt: skip
                item.outcome = "起草"
            assert revision is not None
            item.revision = revision.revision
            item.placeholders = placeholder_summary(revision.text, revision.placeholders)
            top = register.precedents(entry.id)[:1]
            item.precedent = top[0]["doc_id"] if top else ""
            if out_dir is not None:
                path = Path(out_dir) / f"{file_stem(entry)}.docx"
                # A file already holding this revision is kept: written with the draft, it has the 依据 page.
                if draft is not None or written.get(path.name) != revision.revision or not path.is_file():
                    _write_atomic(draft or stored_draft(revision), path)
                    written[path.name] = revision.revision
                files.append(path)
                item.file = str(path)
        except QAError as err:
            item.outcome, item.error = "失败", str(err)
        items.append(item)
    report = BatchReport(items)
    if out_dir is not None and files:
        _save_written(Path(out_dir), written)
        report.zip_path = str(write_zip(files, Path(out_dir) / ZIP_NAME))
    return report


def _precedent_row(precedent: Any) -> dict[str, Any]:
    meta = precedent.meta
    return {"doc_id": precedent.doc_id, "title": meta.display_title, "agency": meta.agency,
            "proposal_no": meta.proposal_no, "score": precedent.score}  # fmt: skip


def export_zip(register: Register, ids: Sequence[int], path: Path) -> Path:
    """The current drafts of the given proposals as .docx files in one zip (proposals without a draft skipped).

    Raises:
        QAError: none of them has a draft.
    """
    folder = Path(tempfile.mkdtemp(prefix="qa-export-"))
    files = []
    for i in ids:
        entry = register.get(i)
        revision = register.current_draft(entry.id)
        if revision is not None:
            files.append(_write_atomic(stored_draft(revision), folder / f"{file_stem(entry)}.docx"))
    if not files:
        raise QAError("所选提案都还没有草稿：请先起草")
    return write_zip(files, Path(path))
