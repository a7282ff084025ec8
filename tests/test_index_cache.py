"""qa.index.cache: embedding vectors per text hash, per embedder, in shards that are whole or absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.index import cache as cache_module
from qa.index.cache import EmbeddingCache, text_key
from qa.records import Chunk, DocMeta


def _chunk(text: str, chunk_id: str = "c1", breadcrumb: tuple[str, ...] = ("答复", "一、托育")) -> Chunk:
    return Chunk(chunk_id=chunk_id, doc_id="d1", breadcrumb=breadcrumb, text=text, meta=DocMeta(source="s.txt"))


def _vector(seed: int, dim: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).random(dim).astype(np.float32)


def _shards(cache: EmbeddingCache) -> list[Path]:
    return sorted(cache.dir.glob("shard-*.npz"))


def test_the_key_is_a_hash_of_the_embedded_text_only() -> None:
    one = _chunk("托育机构建设", "c1")
    assert text_key(one) == text_key(_chunk("托育机构建设", "other-id"))  # same text, same vector
    assert text_key(one) != text_key(_chunk("托育机构建设。", "c1"))
    assert text_key(one) != text_key(_chunk("托育机构建设", "c1", ("答复", "二、医养结合")))  # the section is embedded
    assert len(text_key(one)) == 20


def test_vectors_survive_a_reload_and_only_pending_ones_are_written(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "toy", 4)
    cache.put("k1", _vector(1))
    cache.put("k2", _vector(2), persist=False)  # known for this build, not written
    assert cache.pending == 1 and "k2" in cache
    cache.flush()
    assert cache.pending == 0 and len(_shards(cache)) == 1
    cache.flush()  # nothing pending: no empty shard
    assert len(_shards(cache)) == 1
    again = EmbeddingCache(tmp_path, "toy", 4)
    assert len(again) == 1 and "k2" not in again
    np.testing.assert_array_equal(again.get("k1"), _vector(1))
    assert (again.dir / "embedder.txt").read_text(encoding="utf-8") == "toy"


def test_each_embedder_has_its_own_vectors(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "toy", 4)
    cache.put("k1", _vector(1))
    cache.flush()
    assert len(EmbeddingCache(tmp_path, "another-model", 4)) == 0
    assert len(EmbeddingCache(tmp_path, "toy", 8)) == 0  # vectors of another width are not served


def test_a_damaged_shard_costs_only_its_own_vectors(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "toy", 4)
    cache.put("k1", _vector(1))
    cache.flush()
    cache.put("k2", _vector(2))
    cache.flush()
    _, second = _shards(cache)
    second.write_bytes(second.read_bytes()[:30])  # a shard cut short
    again = EmbeddingCache(tmp_path, "toy", 4)
    assert "k1" in again and "k2" not in again


def test_many_shards_are_merged_into_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "CACHE_MAX_SHARDS", 3)
    cache = EmbeddingCache(tmp_path, "toy", 4)
    for i in range(5):
        cache.put(f"k{i}", _vector(i))
        cache.flush()
        assert len(_shards(cache)) <= 3
    again = EmbeddingCache(tmp_path, "toy", 4)
    assert len(again) == 5
    for i in range(5):
        np.testing.assert_array_equal(again.get(f"k{i}"), _vector(i))
