"""BM25 terms: real jieba with the domain dictionary, stop-words, number short forms and character bigrams."""

from __future__ import annotations

import pytest

from qa.index.tokenize import bigrams, fingerprint, number_variants, stopwords, tokenize, userdict, words

# Terms the issue names; each must survive jieba as one word.
DOMAIN_TERMS = [
    "医联体", "医共体", "托育", "托位", "基卫云", "银医通", "医防融合", "家庭医生", "十四五", "医养结合",
    "远程心电", "县域医共体", "紧密型", "三甲", "社卫中心", "流调", "中医药", "进校园",
]  # fmt: skip


@pytest.mark.parametrize("term", DOMAIN_TERMS)
def test_domain_terms_stay_whole(term: str) -> None:
    assert term in words(f"关于推进{term}建设的答复")


def test_every_issue_term_is_in_the_user_dictionary() -> None:
    listed = {word for word, _, _ in userdict()}
    assert set(DOMAIN_TERMS) <= listed


def test_the_user_dictionary_table_loads_as_jieba_load_userdict_would(tmp_path) -> None:
    """The reasoned table gives jieba the same words, frequencies and tags, in the same order, as a plain user
    dictionary file ("word freq tag" per line) read by jieba's own load_userdict."""
    import jieba
    import jieba.posseg

    from qa.index.tokenize import jieba_tokenizer, pos_tokenizer

    entries = userdict()
    assert entries and all(freq.isdigit() and tag.isalpha() for _, freq, tag in entries)
    assert len({word for word, _, _ in entries}) == len(entries)
    plain = tmp_path / "userdict.txt"
    plain.write_text("".join(f"{word} {freq} {tag}\n" for word, freq, tag in entries), encoding="utf-8")
    reference = jieba.Tokenizer()
    reference.load_userdict(str(plain))
    ours = jieba_tokenizer()
    assert ours.total == reference.total
    assert ours.FREQ == reference.FREQ
    text = "武汉市江夏区卫生健康局关于紧密型县域医共体、普惠托育和互联网+医疗健康的答复"
    assert ours.lcut(text) == reference.lcut(text)
    # POS tagging takes the user tags over from the tokenizer on first use (jieba.posseg moves them into its own
    # table), so the tags are compared where tagging reads them.
    reference_pos = jieba.posseg.POSTokenizer(reference)
    assert pos_tokenizer().lcut(text) == reference_pos.lcut(text)
    assert all(pos_tokenizer().word_tag_tab[word] == tag for word, _, tag in entries)


def test_stopwords_and_punctuation_are_dropped() -> None:
    terms = words("请问，江夏区的托育机构有哪些？")
    assert "江夏区" in terms and "托育机构" in terms
    assert not {"的", "请问", "哪些", "，", "？"} & set(terms)
    assert "的" in stopwords()


def test_proposal_numbers_get_their_short_forms() -> None:
    assert number_variants("20240182") == ["182"]
    assert number_variants("068") == ["68"]
    assert number_variants("3") == []
    assert number_variants("abc") == []
    doc_terms = words("对区政协六届三次会议第20240182号提案的答复")
    assert {"20240182", "182"} <= set(doc_terms)
    assert "68" in words("第068号建议")


def test_a_typed_short_number_meets_the_printed_long_one() -> None:
    query = set(tokenize("182号提案"))
    document = set(tokenize("第20240182号提案"))
    assert "182" in query & document


def test_bigrams_cover_runs_of_chinese_characters() -> None:
    assert bigrams("医联体") == ["医联", "联体"]
    assert bigrams("医联体 abc 托育") == ["医联", "联体", "托育"]
    assert bigrams("的") == []


def test_tokenize_is_words_plus_prefixed_bigrams() -> None:
    terms = tokenize("托育机构")
    assert "托育机构" in terms
    assert "#托育" in terms and "#机构" in terms
    assert "托育" not in terms  # a bigram never masquerades as a jieba word


def test_english_is_lowercased() -> None:
    assert "hiv" in words("HIV检测")


def test_fingerprint_is_stable() -> None:
    assert fingerprint() == fingerprint()
    assert len(fingerprint()) == 12


def test_importing_the_module_loads_no_jieba_and_no_langchain() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qa.index.tokenize, qa.retrieve, qa.index.embed; "
        "print(sorted(m for m in ('jieba', 'langchain_core') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_pos_tagging_shares_the_domain_dictionary_and_leaves_the_global_one_unloaded() -> None:
    from qa.index.tokenize import jieba_tokenizer, pos_tokenizer

    pos = pos_tokenizer()
    assert pos.tokenizer is jieba_tokenizer()
    tagged = [(w, f) for w, f in pos.lcut("武汉市江夏区卫生健康局关于东西湖区托育机构的答复")]
    assert ("卫生健康局", "n") in tagged and ("东西湖区", "ns") in tagged and ("江夏区", "ns") in tagged
    assert "托育机构" in [w for w, _ in tagged]  # a userdict word, whole


def test_pos_tagging_does_not_load_the_global_jieba_dictionary() -> None:
    import subprocess
    import sys

    code = (
        "import jieba, qa.index.tokenize; qa.index.tokenize.pos_tokenizer().lcut('江夏区托育机构'); "
        "print(jieba.dt.initialized)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_traditional_characters_are_matched_as_simplified() -> None:
    # a reply printed in traditional characters is found by a question typed in simplified ones
    assert words("汀蘭縣兒童齲齒患病率") == words("汀兰县儿童龋齿患病率")
