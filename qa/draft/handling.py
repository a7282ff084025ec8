"""Read a handling list (交办清单) from .xlsx, .csv or a pasted tab-separated table into register rows.

Column headings are mapped to fields by qa/data/handling_columns.tsv; dates in any common form become YYYY-MM-DD;
proposal texts are read from the .docx/.pdf files its 附件 column names (relative to the list's folder). A row
that cannot be read is reported with its row number and why, and the rest are read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from qa.data import read_table
from qa.draft.proposal import ProposalError, normalize_kind
from qa.errors import QAError

COLUMNS = read_table("handling_columns", fields=2)  # (alias, field) in order of preference
FIELDS = ("number", "title", "proposers", "kind", "meeting", "lead_unit", "assist_units", "deadline", "body",
          "attachments")  # fmt: skip
FIELD_NAMES = {
    "number": "编号", "title": "标题", "proposers": "提出人", "kind": "类别", "meeting": "会议",
    "lead_unit": "主办单位", "assist_units": "协办单位", "deadline": "办理期限", "body": "内容", "attachments": "附件",
}  # fmt: skip
TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt")
CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
EXCEL_EPOCH = date(1899, 12, 30)


class HandlingListError(QAError):
    """A handling list cannot be read at all (missing, unsupported, corrupt, or no heading row that names a title)."""


@dataclass
class ListRow:
    """One readable row: its row number in the list and the field values (strings; deadline as YYYY-MM-DD)."""

    row: int
    values: dict[str, str]
    notes: list[str] = field(default_factory=list)  # what was read from where, for the preview


@dataclass
class HandlingList:
    """What a list gave: the heading → field mapping, headings left unused, the rows, and the unreadable rows."""

    source: str
    mapping: dict[str, str]  # field → the heading it came from
    unused: list[str]
    rows: list[ListRow]
    errors: list[tuple[int, str]]  # (row number, why)

    def preview(self) -> str:
        """The mapping and counts as a person checks them before importing (Chinese, one line per item)."""
        lines = [f"清单 {self.source}：列的对应关系"]
        lines += [f"  {FIELD_NAMES[f]} ← “{self.mapping[f]}”" for f in FIELDS if f in self.mapping]
        missing = [FIELD_NAMES[f] for f in FIELDS if f not in self.mapping]
        if missing:
            lines.append(f"  未找到的列：{'、'.join(missing)}")
        if self.unused:
            lines.append(f"  未使用的列：{'、'.join(self.unused)}")
        lines.append(f"可导入 {len(self.rows)} 行，无法读取 {len(self.errors)} 行")
        lines += [f"  第{row}行：{why}" for row, why in self.errors]
        return "\n".join(lines)


# --- cells ----------------------------------------------------------------------------------------------------


def _heading_key(text: str) -> str:
    return re.sub(r"[\s*＊:：（）()\[\]【】]", "", str(text or ""))


def map_headings(headings: list[str]) -> dict[str, int]:
    """field → column index, by qa/data/handling_columns.tsv: exact matches first, then containment, table order."""
    keys = [_heading_key(h) for h in headings]
    found: dict[str, int] = {}
    for exact in (True, False):
        for alias, name in COLUMNS:
            if name in found:
                continue
            for i, key in enumerate(keys):
                if key and i not in found.values() and (key == alias if exact else alias in key):
                    found[name] = i
                    break
    return found


def parse_date(value: Any) -> str:
    """YYYY-MM-DD from a date cell, an Excel serial number or text (2025-03-31, 2025/3/31, 2025.3.31, 20250331,
    2025年3月31日, 二〇二五年三月三十一日; a trailing 前/之前 is ignored); "" for an empty cell.

    Raises:
        ValueError: the value is not a date.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel serial date (1954-2119)
            return (EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
        value = str(int(value))
    text = re.sub(r"\s+", "", str(value)).removesuffix("之前").removesuffix("前").removesuffix("止")
    if re.fullmatch(r"\d{5}(?:\.0)?", text):
        return parse_date(float(text))
    text = _cn_numerals(text)
    m = re.fullmatch(
        r"(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))(?:T?\d{1,2}:\d{2}(?::\d{2})?)?", text
    )
    if not m:
        raise ValueError(f"“{value}”不是日期（可写作 2025-03-31、2025/3/31 或 2025年3月31日）")
    year, month, day = int(m.group(1)), int(m.group(2) or m.group(4)), int(m.group(3) or m.group(5))
    try:
        return date(year, month, day).isoformat()
    except ValueError as err:
        raise ValueError(f"“{value}”不是有效日期") from err


def _cn_numerals(text: str) -> str:
    """二〇二五年三月三十一日 → 2025年3月31日 (digit by digit for the year, 十 for month and day)."""
    if not re.search(r"[〇○零一二三四五六七八九十]", text):
        return text

    def number(m: re.Match[str]) -> str:
        s = m.group(0)
        if "十" not in s:
            return "".join(CN_DIGITS.get(c, c) for c in s)
        tens, _, ones = s.partition("十")
        return str(int(CN_DIGITS.get(tens, "1") if tens else 1) * 10 + (int(CN_DIGITS[ones]) if ones else 0))

    return re.sub(r"[〇○零一二三四五六七八九十]+", number, text)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- tables ---------------------------------------------------------------------------------------------------


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError and its own errors for a bad file
        raise HandlingListError(
            f"无法按 Excel 工作簿读取 {path}（{type(err).__name__}: {err}）：请用 Excel/WPS 另存为 .xlsx"
        ) from err
    try:  # the first sheet with a heading row: a workbook may open with a cover or instructions sheet
        sheets = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    finally:
        book.close()
    return next((rows for rows in sheets if _find_header(rows) is not None), sheets[0] if sheets else [])


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in Chinese saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HandlingListError(f"{path} 既不是 UTF-8 也不是 GBK 文本：请另存为 .xlsx 或 UTF-8 CSV")


def text_rows(text: str) -> list[list[str]]:
    """Rows of a pasted table (tab-separated, as copied from Excel or WPS) or of CSV text."""
    lines = [line for line in text.splitlines() if line.strip()]
    sample = "\n".join(lines[:5])
    delimiter = "\t" if sample.count("\t") >= sample.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]


def _find_header(rows: list[list[Any]]) -> int | None:
    """The first of the first 10 rows that names a title column and one other known column."""
    for i, row in enumerate(rows[:10]):
        found = map_headings([_cell_text(c) for c in row])
        if "title" in found and len(found) >= 2:
            return i
    return None


def _header_row(rows: list[list[Any]]) -> int:
    found = _find_header(rows)
    if found is not None:
        return found
    raise HandlingListError("找不到表头行：清单的前几行需要有“标题/案由”列和另一个已知列（如 编号/提出人/办理期限）")


def read_handling_list(path: Path | None = None, *, text: str | None = None, base: Path | None = None) -> HandlingList:
    """Read a list from a file (.xlsx, .csv, .tsv/.txt tab-separated) or from pasted `text`.

    Args:
        path: the list file.
        text: a pasted table instead of a file.
        base: the folder attachments are named relative to (default: the list's folder, or the working folder).

    Raises:
        HandlingListError: the file is missing or unsupported, or no heading row can be found.
    """
    if text is None:
        if path is None:
            raise HandlingListError("请给出交办清单文件（.xlsx/.csv/.tsv）或粘贴表格")
        path = Path(path)
        if not path.is_file():
            raise HandlingListError(f"文件不存在：{path}")
        suffix = path.suffix.lower()
        if suffix not in TABLE_SUFFIXES:
            raise HandlingListError(
                f"{path}：交办清单应为 {'/'.join(TABLE_SUFFIXES)} 文件，而不是 {suffix or '无后缀'}"
                + ("；请用 Excel/WPS 另存为 .xlsx" if suffix in (".xls", ".et", ".ods") else "")
            )
        rows = _xlsx_rows(path) if suffix in (".xlsx", ".xlsm") else text_rows(_decode(path.read_bytes(), path))
        base = base or path.parent
        source = path.name
    else:
        rows, base, source = text_rows(text), base or Path.cwd(), "粘贴的表格"
    start = _header_row(rows)
    headings = [_cell_text(c) for c in rows[start]]
    columns = map_headings(headings)
    result = HandlingList(
        source, {f: headings[i] for f, i in columns.items()}, [h for i, h in enumerate(headings)
        if h and i not in columns.values()], [], []
    )  # fmt: skip
    for offset, raw in enumerate(rows[start + 1 :], start=start + 2):
        cells = {f: raw[i] if i < len(raw) else None for f, i in columns.items()}
        if not any(_cell_text(v) for v in cells.values()):
            continue  # blank line, or a merged-cell remainder
        try:
            result.rows.append(read_row(offset, cells, base))
        except (ValueError, QAError) as err:
            result.errors.append((offset, str(err)))
    return result


def read_row(number: int, cells: dict[str, Any], base: Path) -> ListRow:
    """One row's values: kind normalised (a topic class kept as category), deadline as a date, attachments read.

    Raises:
        ValueError: the row has no title or text, a date that is not one, or an attachment that cannot be read.
    """
    from qa.ingest.clean import clean_text
    from qa.ingest.read import read_text

    values = {f: _cell_text(v) for f, v in cells.items() if f != "deadline"}
    values["deadline"] = parse_date(cells.get("deadline"))
    notes: list[str] = []
    kind_text = values.get("kind", "")
    kind = _kind(kind_text, values.get("meeting", ""), values.get("title", ""))
    values["kind"], values["category"] = kind, "" if names_kind(kind_text) else kind_text
    values["number"] = re.sub(r"\s+", "", values.get("number", "")).removeprefix("第").removesuffix("号")
    texts = []
    for name in re.split(r"[、;；,，\n]+", values.get("attachments", "")):
        if not name.strip():
            continue
        file = Path(name.strip())
        file = file if file.is_absolute() else base / file
        if not file.is_file():
            raise ValueError(f"附件 {name.strip()} 不存在（按清单所在文件夹 {base} 查找）")
        try:
            texts.append(clean_text(read_text(file)))
        except QAError as err:
            raise ValueError(f"附件 {name.strip()} 无法读取：{err}") from err
        notes.append(f"正文取自附件 {file.name}")
    attached = "\n".join(texts)
    if len(attached) > len(values.get("body", "")):
        values["body"] = attached
    if not values.get("title"):
        first = values.get("body", "").strip().splitlines()[:1]
        if not first:
            raise ValueError("没有标题，也没有内容或附件")
        values["title"] = first[0][:40]
        notes.append("标题取自正文首行")
    return ListRow(number, values, notes)


def names_kind(text: str) -> bool:
    """Whether a 类别 or 会议 cell names the kind (政协/人大/提案/建议), not a topic class."""
    try:
        return bool(text) and bool(normalize_kind(text))
    except ProposalError:
        return False


def _kind(kind: str, meeting: str, title: str) -> str:
    """政协提案 or 人大建议 from the 类别 cell, else the meeting (人大/政协), else the title's ending; "" if none."""
    for text in (kind, meeting):
        if names_kind(text):
            return normalize_kind(text)
    if re.search(r"(?:建议|议案)\s*$", title):
        return "人大建议"
    if re.search(r"提案\s*$", title):
        return "政协提案"
    return ""
