from qa.records import Chunk, DocMeta, Hit


def _meta() -> DocMeta:
    return DocMeta(
        agency="武汉市江夏区卫生健康局",
        kind="政协提案",
        meeting="区政协六届三次会议",
        proposal_no="20240181",
        proposers=("汤英", "宗小青"),
        title="关于优化区域幼儿托育机构",
        heading="对区政协六届三次会议第20240181号提案的答复",
        contacts=(("主管领导", "李萍", "87952508"),),
        source="000_ecc1ee3b3577c818.txt",
    )


def test_meta_round_trips_through_dict() -> None:
    meta = _meta()
    assert DocMeta.from_dict(meta.to_dict()) == meta


def test_year_comes_from_what_the_document_states() -> None:
    assert _meta().year == "2024"
    assert DocMeta(date="2021-08-31").year == "2021"
    assert DocMeta(doc_no="江卫函〔2024〕22号").year == "2024"
    assert DocMeta(proposal_no="068").year == ""


def test_the_people_a_reply_is_named_by_are_its_whole_named_proposers_and_contacts() -> None:
    meta = DocMeta(proposers=("王**", "秦月"), contacts=(("经办人", "冯雪", "0738-2216654"), ("联系人", "李", "")))
    assert meta.named_people == ("秦月", "冯雪")


def test_chunk_is_findable_by_its_metadata() -> None:
    meta = _meta()
    breadcrumb = (meta.display_title, "一、托育服务")
    chunk = Chunk(Chunk.make_id("d#5", breadcrumb, "正文"), "d#5", breadcrumb, "正文", meta)
    for term in ("第20240181号", "汤英、宗小青", "区政协六届三次会议", "一、托育服务", "正文"):
        assert term in chunk.indexed_text
    assert Chunk.from_dict(chunk.to_dict()) == chunk
    hit = Hit(chunk, 0.5, 1, ("dense", "bm25")).to_dict()
    assert hit["proposer"] == "汤英、宗小青"
    assert hit["section"].endswith("一、托育服务")


def test_chunk_id_changes_with_text() -> None:
    assert Chunk.make_id("d", ("a",), "x") != Chunk.make_id("d", ("a",), "y")
    assert Chunk.make_id("d", ("a",), "x") == Chunk.make_id("d", ("a",), "x")
