"""Reading a handling list: a real .xlsx written by openpyxl, CSV in UTF-8 and GBK, a pasted table, attachments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from docx import Document as new_docx
from openpyxl import Workbook

from qa.draft.handling import HandlingListError, map_headings, parse_date, read_handling_list

HEAD = ["序号", "提案号", "案由", "提案人", "类别", "会议", "主办单位", "协办单位", "办理期限", "提案内容", "附件"]


def write_xlsx(path: Path, rows: list[list[object]], *, title: str | None = "2025年区政协提案交办清单") -> Path:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])  # a list's own title line above the headings
    for row in [HEAD, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def write_docx(path: Path, *lines: str) -> Path:
    document = new_docx()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)
    return path


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2025-03-31", "2025-03-31"),
        ("2025/3/31", "2025-03-31"),
        ("2025.3.31", "2025-03-31"),
        ("2025年3月31日", "2025-03-31"),
        ("2025年3月31日前", "2025-03-31"),
        ("20250331", "2025-03-31"),
        ("二〇二五年三月三十一日", "2025-03-31"),
        (datetime(2025, 3, 31, 0, 0), "2025-03-31"),
        (45747, "2025-03-31"),  # an Excel serial date, as a CSV export writes it
        ("45747", "2025-03-31"),
        ("", ""),
        (None, ""),
    ],
)
def test_dates_in_any_common_form(value: object, iso: str) -> None:
    assert parse_date(value) == iso


@pytest.mark.parametrize("bad", ["下月底", "2025-02-30", "3月31日"])
def test_a_bad_date_says_what_it_got(bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        parse_date(bad)


def test_headings_map_by_the_table_and_prefer_the_proposal_number() -> None:
    found = map_headings(["序号", "建议号", "建议名称", "领衔代表", "承办单位", "会办单位", "办结时限", "建议内容"])
    assert found == {"number": 1, "title": 2, "proposers": 3, "lead_unit": 4, "assist_units": 5, "deadline": 6,
                     "body": 7}  # fmt: skip
    assert map_headings(["序号", "标题"])["number"] == 0  # a bare running number is better than none


def test_xlsx_with_attachments_and_a_bad_row(tmp_path: Path) -> None:
    (tmp_path / "附件").mkdir()
    write_docx(
        tmp_path / "附件" / "p3.docx", "关于加强社区心理健康服务的提案", "建议在社区卫生服务中心设立心理咨询室。"
    )
    rows = [
        [1, "20250012", "关于扩大普惠托育服务供给的提案", "周敏、李华", "医疗卫生", "区政协六届四次会议", "区卫健局",
         "区教育局", datetime(2025, 6, 30), "建议加大托班补贴。", None],
        [2, "第20250013号", "关于开展中医药文化教育的建议", "黄立", "", "", "区卫健局", "", "2025年7月15日",
         "建议开设兴趣课。", None],
        [3, "20250014", "关于某事的提案", "王五", "政协提案", "", "区卫健局", "", "下月底", "内容", None],
        [None] * len(HEAD),  # a blank line is not a row
        [4, "20250015", "关于心理健康的提案", "赵六", "提案", "", "区卫健局", "", 45747, "", "附件/p3.docx"],
        [5, "20250016", "关于缺附件的提案", "钱七", "提案", "", "区卫健局", "", "", "", "不存在.pdf"],
        [6, "", "", "钱八", "", "", "", "", "", "", None],
    ]  # fmt: skip
    listing = read_handling_list(write_xlsx(tmp_path / "清单.xlsx", rows))
    assert listing.mapping["number"] == "提案号" and listing.mapping["title"] == "案由"
    assert "序号" in listing.unused
    assert [r.row for r in listing.rows] == [3, 4, 7]
    assert [row for row, _ in listing.errors] == [5, 8, 9]
    why = dict(listing.errors)
    assert "下月底" in why[5] and "不存在.pdf" in why[8] and "没有标题" in why[9]
    first, second, third = (r.values for r in listing.rows)
    assert (first["kind"], first["category"], first["deadline"]) == ("政协提案", "医疗卫生", "2025-06-30")
    assert first["proposers"] == "周敏、李华" and first["meeting"] == "区政协六届四次会议"
    assert (second["number"], second["kind"]) == ("20250013", "人大建议")  # 第…号 taken off; kind from the title
    assert "心理咨询室" in third["body"] and third["deadline"] == "2025-03-31"
    assert "正文取自附件 p3.docx" in listing.rows[2].notes
    preview = listing.preview()
    assert "编号 ← “提案号”" in preview and "第5行" in preview and "可导入 3 行，无法读取 3 行" in preview


def test_the_sheet_with_the_headings_is_read(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["填表说明：请按时办理"])  # a cover sheet first
    sheet = book.create_sheet("清单")
    sheet.append(["编号", "建议标题", "领衔代表", "办理\n期限"])  # a heading broken over two lines in its cell
    sheet.append(["12", "关于加强疫苗接种的建议", "孙八", 20250501])
    book.save(tmp_path / "list.xlsx")
    [row] = read_handling_list(tmp_path / "list.xlsx").rows
    assert (row.values["title"], row.values["proposers"], row.values["deadline"]) == (
        "关于加强疫苗接种的建议",
        "孙八",
        "2025-05-01",
    )


def test_csv_in_gbk_and_a_pasted_table(tmp_path: Path) -> None:
    text = "编号,标题,提出人,办理期限\n1,关于加强疫苗接种的建议,孙八,2025/5/1\n"
    (tmp_path / "list.csv").write_bytes(text.encode("gb18030"))
    listing = read_handling_list(tmp_path / "list.csv")
    assert listing.rows[0].values["title"] == "关于加强疫苗接种的建议" and listing.rows[0].values["kind"] == "人大建议"
    pasted = read_handling_list(text="编号\t标题\t内容\n7\t关于托育的提案\t建议增加托位，扩大普惠\n")
    assert pasted.rows[0].values == {**pasted.rows[0].values, "number": "7", "body": "建议增加托位，扩大普惠"}
    assert pasted.source == "粘贴的表格"


def test_a_list_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HandlingListError, match="文件不存在"):
        read_handling_list(tmp_path / "none.xlsx")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(HandlingListError, match="Excel 工作簿"):
        read_handling_list(tmp_path / "bad.xlsx")
    (tmp_path / "list.doc").write_bytes(b"x")
    with pytest.raises(HandlingListError, match="交办清单应为"):
        read_handling_list(tmp_path / "list.doc")
    with pytest.raises(HandlingListError, match="找不到表头行"):
        read_handling_list(text="甲\t乙\n1\t2\n")
