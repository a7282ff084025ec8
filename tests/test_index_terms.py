"""qa.index.terms: cached term ids (tokenise each text once, ids stable across runs) and BM25 built from them."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from qa.index import terms
from qa.index.terms import TermCache, build_bm25
from qa.index.tokenize import tokenize

CORPUS = {
    "a": "江夏区推进紧密型县域医共体建设，医共体内实行人员统一管理。",
    "b": "普惠托育服务：新增托育机构3家，托位数约500个。",
    "c": "家庭医生签约服务覆盖全区，重点人群签约率达到75%。",
    "d": "对区政协六届三次会议第20240182号提案的答复",
    "e": "发热门诊和预检分诊是疫情防控的哨点。",
}
QUERIES = ("托育机构", "医共体建设", "家庭医生签约", "182号提案", "预检分诊 发热门诊", "不在语料里的词")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text qa.index.terms hands to the tokenizer, in order."""
    seen: list[str] = []

    def counting(text: str) -> list[str]:
        seen.append(text)
        return tokenize(text)

    monkeypatch.setattr(terms.tokenize, "tokenize", counting)
    return seen


def _shards(root: Path) -> list[Path]:
    return sorted(root.glob("terms-*/shard-*.npz"))


def test_a_cache_hit_tokenises_nothing_new(tmp_path: Path, counted: list[str]) -> None:
    cache = TermCache(tmp_path)
    first = {key: cache.ids(key, text) for key, text in CORPUS.items()}
    assert counted == list(CORPUS.values())
    assert cache.ids("a", "another text under a known key is not looked at").tolist() == first["a"].tolist()
    assert len(counted) == len(CORPUS)  # a hit in memory
    cache.flush()
    shards = _shards(tmp_path)

    counted.clear()
    again = TermCache(tmp_path)
    vocabulary = dict(again.vocab)
    for key, text in CORPUS.items():
        assert again.ids(key, text).tolist() == first[key].tolist()
    assert counted == []  # hits on disk: jieba is not called at all
    again.flush()
    assert _shards(tmp_path) == shards and again.vocab == vocabulary  # and nothing new is written


def test_only_the_new_text_is_tokenised_and_old_ids_keep_their_numbers(tmp_path: Path, counted: list[str]) -> None:
    cache = TermCache(tmp_path)
    before = cache.ids("a", CORPUS["a"])
    cache.flush()
    counted.clear()

    again = TermCache(tmp_path)
    new = again.ids("b", CORPUS["b"])
    assert counted == [CORPUS["b"]]
    again.flush()
    reread = TermCache(tmp_path)
    assert reread.ids("a", "").tolist() == before.tolist() and reread.ids("b", "").tolist() == new.tolist()
    # The vocabulary only grows: a term keeps its id, and new terms take the next ones.
    id_of = reread.vocab
    assert [id_of[t] for t in tokenize(CORPUS["a"])] == before.tolist()
    assert [id_of[t] for t in tokenize(CORPUS["b"])] == new.tolist()
    assert sorted(id_of.values()) == list(range(len(id_of)))


def test_ids_are_the_same_on_disk_and_in_memory(tmp_path: Path) -> None:
    on_disk, in_memory = TermCache(tmp_path), TermCache(None)
    for key, text in CORPUS.items():
        assert on_disk.ids(key, text).tolist() == in_memory.ids(key, text).tolist()
        assert on_disk.ids(key, text).dtype == np.int32
    in_memory.flush()  # no folder: nothing to write, no error
    assert in_memory.dir is None


def test_a_text_without_terms_has_no_ids_and_is_still_cached(tmp_path: Path, counted: list[str]) -> None:
    cache = TermCache(tmp_path)
    cache.ids("a", CORPUS["a"])
    assert cache.ids("blank", "，。").tolist() == []
    cache.flush()
    counted.clear()
    again = TermCache(tmp_path)
    assert "blank" in again and again.ids("blank", "，。").tolist() == [] and counted == []


def _reference(texts: list[str]) -> bm25s.BM25:
    """bm25s over term strings: how BM25 was built before term ids were cached."""
    bm25 = bm25s.BM25()
    bm25.index([tokenize(t) for t in texts], show_progress=False)
    return bm25


def test_bm25_scores_equal_bm25s_over_term_strings(tmp_path: Path) -> None:
    bm25 = build_bm25(CORPUS.items(), TermCache(tmp_path))
    reference = _reference(list(CORPUS.values()))
    assert bm25.vocab_dict.keys() == reference.vocab_dict.keys()
    for query in QUERIES:
        expected = np.asarray(reference.get_scores(tokenize(query)), dtype=np.float32)
        np.testing.assert_allclose(bm25.get_scores(tokenize(query)), expected, rtol=1e-6)
    assert bm25.get_scores(tokenize("托育机构")).argmax() == list(CORPUS).index("b")


def test_bm25_over_part_of_a_larger_cache_uses_only_its_own_terms(tmp_path: Path) -> None:
    cache = TermCache(tmp_path)
    for key, text in CORPUS.items():  # the cache has seen every document; the index holds three
        cache.ids(key, text)
    kept = ["e", "c", "a"]  # in row order, not the order the cache saw them
    bm25 = build_bm25(((k, CORPUS[k]) for k in kept), cache)
    reference = _reference([CORPUS[k] for k in kept])
    assert len(bm25.vocab_dict) == len(reference.vocab_dict) < len(cache.vocab)
    for query in QUERIES:
        expected = np.asarray(reference.get_scores(tokenize(query)), dtype=np.float32)
        np.testing.assert_allclose(bm25.get_scores(tokenize(query)), expected, rtol=1e-6)


def test_build_bm25_flushes_what_it_tokenised(tmp_path: Path) -> None:
    build_bm25(CORPUS.items(), TermCache(tmp_path))
    assert set(CORPUS) <= {k for k in CORPUS if k in TermCache(tmp_path)}


def test_a_failure_mid_build_keeps_what_was_tokenised(tmp_path: Path) -> None:
    def texts():
        yield "a", CORPUS["a"]
        yield "b", CORPUS["b"]
        raise RuntimeError("reading the chunk store failed")

    with pytest.raises(RuntimeError):
        build_bm25(texts(), TermCache(tmp_path))
    again = TermCache(tmp_path)
    assert "a" in again and "b" in again and len(again) == 2


def test_shards_are_written_as_it_goes_and_merged_when_there_are_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terms, "FLUSH_EVERY", 1)
    monkeypatch.setattr(terms, "MAX_SHARDS", 3)
    cache = TermCache(tmp_path)
    for key, text in CORPUS.items():
        cache.ids(key, text)  # each new text is flushed at once
        assert len(_shards(tmp_path)) <= 3
    assert len(_shards(tmp_path)) < len(CORPUS)  # merged at least once
    reread = TermCache(tmp_path)
    assert len(reread) == len(CORPUS)
    assert all(reread.ids(k, "").tolist() == cache.ids(k, "").tolist() for k in CORPUS)


def test_the_term_cache_survives_a_cut_vocabulary_line_and_tokenises_only_new_text(tmp_path: Path) -> None:
    cache = TermCache(tmp_path)
    first = cache.ids("a", "社区托育机构建设")
    cache.flush()
    vocab_file = next(tmp_path.glob("terms-*/vocab.jsonl"))
    with open(vocab_file, "a", encoding="utf-8") as fh:
        fh.write('"half a lin')  # a build killed while appending
    again = TermCache(tmp_path)
    assert "a" in again and again.ids("a", "ignored: the key is cached").tolist() == first.tolist()
    second = again.ids("b", "家庭医生签约服务")
    again.flush()
    reread = TermCache(tmp_path)
    assert len(reread) == 2 and reread.ids("b", "").tolist() == second.tolist()
    assert [t for t in reread.vocab] == [json.loads(line) for line in vocab_file.read_text("utf-8").splitlines()]


def test_a_garbled_vocabulary_line_drops_the_terms_after_it_and_the_shards_that_use_them(tmp_path: Path) -> None:
    cache = TermCache(tmp_path)
    cache.ids("a", "社区托育机构建设")
    cache.flush()
    vocab_file = next(tmp_path.glob("terms-*/vocab.jsonl"))
    lines = vocab_file.read_text("utf-8").splitlines()
    vocab_file.write_text("\n".join([*lines[:2], "{garbled", *lines[3:]]) + "\n", "utf-8")
    again = TermCache(tmp_path)
    assert list(again.vocab) == [json.loads(line) for line in lines[:2]]
    assert "a" not in again  # its shard names term ids that were lost: re-tokenised when next asked for
    assert vocab_file.read_text("utf-8").splitlines() == lines[:2]


def test_a_repeated_vocabulary_line_is_treated_as_damage(tmp_path: Path) -> None:
    cache = TermCache(tmp_path)
    cache.ids("a", "社区托育机构建设")
    cache.flush()
    vocab_file = next(tmp_path.glob("terms-*/vocab.jsonl"))
    lines = vocab_file.read_text("utf-8").splitlines()
    vocab_file.write_text("\n".join([*lines, lines[0]]) + "\n", "utf-8")  # one term, two ids: ambiguous
    again = TermCache(tmp_path)
    assert list(again.vocab) == [json.loads(line) for line in lines]
    assert again.ids("a", "").tolist() == cache.ids("a", "").tolist()


def test_a_damaged_shard_costs_only_its_own_texts(tmp_path: Path, counted: list[str]) -> None:
    cache = TermCache(tmp_path)
    cache.ids("a", CORPUS["a"])
    cache.flush()
    cache.ids("b", CORPUS["b"])
    cache.flush()
    first, second = _shards(tmp_path)
    second.write_bytes(second.read_bytes()[:20])  # cut short
    counted.clear()
    again = TermCache(tmp_path)
    assert "a" in again and "b" not in again
    assert again.ids("b", CORPUS["b"]).tolist() == cache.ids("b", "").tolist() and counted == [CORPUS["b"]]
    assert first.exists()
