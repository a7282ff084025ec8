"""The naive pipeline the project is compared with: TextLoader → RecursiveCharacterTextSplitter(500, 100) →
langchain_community FAISS.from_documents, with the same embedder as ours. No cleaning, no structure, no BM25,
no incremental re-index: any change means a full rebuild."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_community.document_loaders import TextLoader
from langchain_core.documents import Document as LCDocument
from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.index.embed import Embedder, LangchainEmbeddings

CHUNK_SIZE, CHUNK_OVERLAP = 500, 100


def naive_split(paths: list[Path]) -> list[LCDocument]:
    """Load each file as-is and cut it into 500-character pieces with 100 characters of overlap."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    docs: list[LCDocument] = []
    for path in paths:
        docs.extend(splitter.split_documents(TextLoader(str(path), encoding="utf-8").load()))
    return docs


def warm_imports() -> None:
    """Import langchain_community's FAISS wrapper before timing (its import alone takes seconds)."""
    from langchain_community.vectorstores import FAISS  # noqa: F401


def naive_build(docs: list[LCDocument], embedder: Embedder) -> Any:
    """FAISS.from_documents over the pieces (embeds them all, flat inner-product index)."""
    from langchain_community.vectorstores import FAISS

    return FAISS.from_documents(docs, LangchainEmbeddings(embedder))


def naive_load(folder: Path, embedder: Embedder) -> Any:
    """Load a store saved with save_local (it pickles the docstore, hence the explicit opt-in)."""
    from langchain_community.vectorstores import FAISS

    return FAISS.load_local(str(folder), LangchainEmbeddings(embedder), allow_dangerous_deserialization=True)
