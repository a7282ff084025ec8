"""Web pages: the visible text of a saved government page, block elements as lines, table cells tab-separated."""

from __future__ import annotations

import re

_LINE_MARK, _CELL_MARK = "\x1e", "\x1f"
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "header",
        "footer",
        "title",
        "pre",
        "blockquote",
        "dl",
        "dt",
        "dd",
    ]
)


def read_html(html: str) -> str:
    """Visible text of a page, one block element per line, table cells tab-separated, label/value cells paired."""
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(html, "html.parser")
    # The page title may be the only place a reply's heading is written (the body starts at the salutation).
    title = _own_title(" ".join(soup.title.get_text().split())) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    # Source line breaks inside a paragraph are insignificant, so block and cell boundaries are marked with
    # separator characters first and turned into newlines/tabs after the source whitespace is flattened.
    for tag in soup.find_all(list(_BLOCK_TAGS)):
        tag.insert_before(_LINE_MARK)
        tag.insert_after(_LINE_MARK)
    for tag in soup.find_all(["td", "th"]):
        tag.insert_before(_CELL_MARK)
    text = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", soup.get_text()).replace(_LINE_MARK, "\n").replace(_CELL_MARK, "\t")
    lines = []
    for line in text.split("\n"):
        # A metadata table row comes out as "\t名称:\t对…答复\t发布机构:\t…"; a label and its value belong on
        # one line, so cells are joined with spaces unless the row looks like a data table.
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if not cells:
            lines.append("")
        elif any(re.search(r"[:：]$", c) for c in cells):
            lines.append("  ".join(_pair_labels(cells)))
        else:
            lines.append("\t".join(cells))
    if title and title not in lines:
        lines.insert(0, title)
    return "\n".join(lines)


# Site titles append the column and the site after the page's own title: 标题_建议提案办理_某区人民政府门户网站,
# 标题 - 某市卫生健康委员会, 标题|某县人民政府.
_TITLE_SEPARATOR_RE = re.compile(r"\s*(?:_|\s-\s|\s—\s|\|)\s*")


def _own_title(title: str) -> str:
    """The page's own title without the column and site names a site appends to it."""
    return _TITLE_SEPARATOR_RE.split(title, maxsplit=1)[0].strip() if title else ""


def _pair_labels(cells: list[str]) -> list[str]:
    """["名称:", "对…答复", "文号:", "…"] → ["名称: 对…答复", "文号: …"]."""
    out: list[str] = []
    for cell in cells:
        if out and re.search(r"[:：]$", out[-1]) and not re.search(r"[:：]$", cell):
            out[-1] = f"{out[-1]} {cell}"
        else:
            out.append(cell)
    return out
