"""The naive retrieval baseline: raw files, langchain's RecursiveCharacterTextSplitter and FAISS store.

What a first attempt looks like, with the same embedder as ours: no cleaning, no structure, no metadata, no BM25,
no incremental re-index (any change means a full rebuild). The evaluation scores it (build_naive_baseline) and the
benchmarks time it (naive_pieces, naive_store, load_naive_store).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from qa.evaluation.metrics import DEPTH, EvalError, Passage
from qa.records import Chunk
from qa.text import normalize

NAIVE_CHUNK_SIZE = 500
NAIVE_CHUNK_OVERLAP = 100
NAIVE_SHINGLE = 8  # characters per window when deciding which document a naive chunk came from
NAIVE_MIN_SHARE = 0.3  # a naive chunk belongs to every document holding this share of its windows


def _shingles(text: str) -> set[str]:
    return {text[i : i + NAIVE_SHINGLE] for i in range(max(1, len(text) - NAIVE_SHINGLE + 1))}


def assign_documents(text: str, documents: dict[str, set[str]]) -> tuple[str, ...]:
    """The documents a raw chunk came from: every one holding NAIVE_MIN_SHARE of its character windows
    (a chunk straddling two replies belongs to both), else the one holding most.

    Args:
        text: the chunk, normalised.
        documents: doc_id → the character windows of that document's normalised text (one file's documents).
    """
    if not documents:
        return ()
    windows = _shingles(text)
    shares = {doc_id: len(windows & doc_windows) / len(windows) for doc_id, doc_windows in documents.items()}
    chosen = tuple(d for d, share in shares.items() if share >= NAIVE_MIN_SHARE)
    return chosen or (max(shares, key=lambda d: shares[d]),)


class NaiveBaseline:
    """What a first attempt looks like: raw files, RecursiveCharacterTextSplitter(500, 100), the same embedder,
    langchain's FAISS store. No cleaning, no structure, no metadata, no BM25."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def search(self, query: str, k: int = DEPTH) -> list[Passage]:
        docs = self.store.similarity_search(query, k=k)
        return [Passage(d.metadata["normalised"], tuple(d.metadata["doc_ids"])) for d in docs]


def naive_pieces(files: Sequence[Path], documents: dict[str, dict[str, str]] | None = None) -> list[Any]:
    """Each file's raw text (qa.ingest.read.read_text) cut into 500-character pieces with 100 characters of overlap.

    Args:
        files: the files, as they are.
        documents: file name → {doc_id: normalised document text}: label each piece with its normalised text and
            the documents it came from (see assign_documents), as the evaluation needs. None leaves only the source
            file's name, as the benchmarks time it.

    Returns:
        langchain `Document`s, in file order.
    """
    from langchain_core.documents import Document as LcDocument
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from qa.ingest.read import read_text

    splitter = RecursiveCharacterTextSplitter(chunk_size=NAIVE_CHUNK_SIZE, chunk_overlap=NAIVE_CHUNK_OVERLAP)
    pieces: list[LcDocument] = []
    for path in files:
        texts = splitter.split_text(read_text(path))
        if documents is None:
            pieces += [LcDocument(page_content=text, metadata={"source": path.name}) for text in texts]
            continue
        windows = {doc_id: _shingles(text) for doc_id, text in documents.get(path.name, {}).items()}
        for text in texts:
            norm = normalize(text)
            doc_ids = assign_documents(norm, windows) if windows else (path.name,)
            meta = {"source": path.name, "doc_ids": list(doc_ids), "normalised": norm}
            pieces.append(LcDocument(page_content=text, metadata=meta))
    return pieces


def naive_store(pieces: Sequence[Any], embeddings: Any) -> Any:
    """langchain_community's FAISS.from_documents over the pieces: embeds them all into a flat inner-product index.

    Args:
        pieces: from naive_pieces.
        embeddings: a langchain `Embeddings` (qa.index.embed.LangchainEmbeddings, or cached_embeddings).
    """
    from langchain_community.vectorstores import FAISS

    return FAISS.from_documents(list(pieces), embeddings)


def load_naive_store(folder: Path, embeddings: Any) -> Any:
    """A store saved with `save_local` (it pickles the docstore, hence the explicit opt-in: we wrote it ourselves)."""
    from langchain_community.vectorstores import FAISS

    return FAISS.load_local(str(folder), embeddings, allow_dangerous_deserialization=True)


def warm_imports() -> None:
    """Import the langchain modules the baseline uses before timing it (FAISS's wrapper alone takes seconds)."""
    from langchain_community.vectorstores import FAISS  # noqa: F401
    from langchain_core.documents import Document  # noqa: F401
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: F401


def build_naive_baseline(
    files: Sequence[Path], embeddings: Any, documents: dict[str, dict[str, str]]
) -> tuple[NaiveBaseline, int]:
    """Split the raw files, label each piece with its documents, and put the pieces in a langchain FAISS store.

    Args:
        files: the seed files.
        embeddings: a langchain `Embeddings` (the project's embedder, possibly cache-backed).
        documents: file name → {doc_id: normalised document text}, to say which document a piece belongs to.

    Returns:
        The baseline and how many pieces it holds.
    """
    pieces = naive_pieces(files, documents)
    if not pieces:
        raise EvalError(f"{'、'.join(str(f) for f in files)} 中没有文字，朴素基线无可索引的内容")
    return NaiveBaseline(naive_store(pieces, embeddings)), len(pieces)


def cached_embeddings(embedder: Any, cache_dir: Path) -> Any:
    """The project's embedder as langchain `Embeddings`, caching passage vectors on disk by text hash, so
    the baseline is embedded once per machine rather than once per run."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import LocalFileStore

    from qa.index.embed import LangchainEmbeddings

    store = LocalFileStore(str(cache_dir / "naive-embeddings"))
    return CacheBackedEmbeddings.from_bytes_store(
        LangchainEmbeddings(embedder), store, namespace=embedder.name, key_encoder="sha256"
    )


def document_texts(chunks: Iterable[Chunk]) -> dict[str, dict[str, str]]:
    """file name → {doc_id: normalised text} from the project's own index, for `build_naive_baseline` to say
    which document a raw piece belongs to."""
    documents: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for chunk in chunks:
        documents[chunk.doc_id.split("#")[0]][chunk.doc_id].append(chunk.text)
    return {f: {d: normalize("".join(parts)) for d, parts in docs.items()} for f, docs in documents.items()}
