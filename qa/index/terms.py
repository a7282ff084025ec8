"""BM25 terms as cached int32 ids, so a build tokenises only new text and never holds terms as Python strings.

jieba is the slow part of a build (~300 chunks per CPU-second), and a list of term strings per chunk costs ~70
bytes a term (5.6 GB at 100k chunks). The cache keys each chunk's term ids by the hash of its indexed text (the
key of the embedding cache) in one vocabulary, both tied to the tokenizer fingerprint, so changed rules start a
new cache. Layout under the index's cache folder::

    terms-<fingerprint>/vocab.jsonl     one JSON string per line; line i is term id i (append-only)
    terms-<fingerprint>/shard-*.npz     keys, lengths and the concatenated int32 ids of many chunks
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import bm25s
import numpy as np

from qa.index import tokenize

FLUSH_EVERY = 2_000  # chunks tokenised between shard writes, so a killed build keeps most of its work
MAX_SHARDS = 16


class TermCache:
    """Term ids per text key for the current tokenizer; in memory only when root is None."""

    def __init__(self, root: Path | None) -> None:
        self.dir = root / f"terms-{tokenize.fingerprint()}" if root is not None else None
        self.vocab: dict[str, int] = {}
        self._new_terms: list[str] = []
        self._ids: dict[str, np.ndarray] = {}
        self._pending: dict[str, np.ndarray] = {}
        if self.dir is not None:
            self._load()

    def _load(self) -> None:
        assert self.dir is not None
        vocab_file = self.dir / "vocab.jsonl"
        if not vocab_file.is_file():
            return
        raw = vocab_file.read_bytes()
        lines = raw.split(b"\n")[:-1]  # the part after the last newline is a line cut short by a killed build
        try:  # one parse for the whole file: per-line json.loads costs seconds at 100k chunks' vocabulary
            terms = json.loads(b"[" + b",".join(lines) + b"]")
        except ValueError:
            terms = None
        if not isinstance(terms, list) or len(set(terms)) != len(terms) or not all(isinstance(t, str) for t in terms):
            terms, seen = [], set()
            for line in lines:  # a damaged line: keep what precedes it
                try:
                    term = json.loads(line)
                except ValueError:
                    break
                if not isinstance(term, str) or term in seen:
                    break
                terms.append(term)
                seen.add(term)
        self.vocab = {term: i for i, term in enumerate(terms)}
        good = sum(len(line) + 1 for line in lines[: len(terms)])
        if good != len(raw):
            os.truncate(vocab_file, good)  # the build lock is held: no one else appends now
        for shard in sorted(self.dir.glob("shard-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as data:
                    keys, lengths, ids = data["keys"], data["lengths"], data["ids"]
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a cut or garbled file
                continue  # a damaged shard only costs re-tokenising its chunks
            if len(ids) and int(ids.max()) >= len(self.vocab):
                continue  # written after vocabulary lines that were lost
            for key, part in zip(keys.tolist(), np.split(ids, np.cumsum(lengths)[:-1]), strict=True):
                self._ids[key] = part

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self, key: str, text: str) -> np.ndarray:
        """The term ids of a text (tokenised and remembered the first time its key is seen)."""
        found = self._ids.get(key)
        if found is not None:
            return found
        ids = np.fromiter((self._term_id(t) for t in tokenize.tokenize(text)), dtype=np.int32)
        self._ids[key] = ids
        self._pending[key] = ids
        if self.dir is not None and len(self._pending) >= FLUSH_EVERY:
            self.flush()
        return ids

    def add(self, key: str, terms: Iterable[str]) -> None:
        """Remember the term ids of a text tokenised elsewhere (``tokenize.tokenize`` of the text whose key this
        is): an upload tokenises in its own low-priority process, so the build under the lock only looks it up.
        Like ``ids``, it must run under the build lock (new terms extend the shared vocabulary); flush to keep it."""
        if key in self._ids:
            return
        ids = np.fromiter((self._term_id(t) for t in terms), dtype=np.int32)
        self._ids[key] = self._pending[key] = ids
        if self.dir is not None and len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def _term_id(self, term: str) -> int:
        found = self.vocab.get(term)
        if found is None:
            found = self.vocab[term] = len(self.vocab)
            self._new_terms.append(term)
        return found

    def flush(self) -> None:
        """Append new terms to the vocabulary, then write pending ids as a shard (a shard is whole or absent)."""
        if self.dir is None or not self._pending:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if self._new_terms:  # before the shard that uses them
            with open(self.dir / "vocab.jsonl", "a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(t, ensure_ascii=False) + "\n" for t in self._new_terms)
            self._new_terms.clear()
        self._write_shard(self._pending)
        self._pending = {}
        shards = sorted(self.dir.glob("shard-*.npz"))
        if len(shards) > MAX_SHARDS:
            self._write_shard(self._ids)
            for shard in shards:  # only after the merged shard is in place
                shard.unlink(missing_ok=True)

    def _write_shard(self, entries: dict[str, np.ndarray]) -> None:
        assert self.dir is not None
        parts = list(entries.values())
        name = f"shard-{time.time_ns()}-{uuid.uuid4().hex[:6]}.npz"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                keys=np.array(list(entries), dtype=str),
                lengths=np.array([len(p) for p in parts], dtype=np.int64),
                ids=np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32),
            )
        os.replace(tmp, self.dir / name)


class _Docs(Sequence[list[int]]):
    """Each chunk's term ids as a list, made on demand from one flat int32 array (bm25s iterates it twice)."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray) -> None:
        self.flat = flat
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> list[int]:  # type: ignore[override]
        return self.flat[self.offsets[i] : self.offsets[i + 1]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for i in range(len(self)):
            yield self[i]


class _Tokenized:
    """What bm25s.BM25.index accepts as already-tokenised input: `ids` per document and the `vocab`."""

    def __init__(self, ids: _Docs, vocab: dict[str, int]) -> None:
        self.ids = ids
        self.vocab = vocab


def build_bm25(keyed_texts: Iterable[tuple[str, str]], cache: TermCache) -> bm25s.BM25:
    """BM25 over texts, in order, from cached term ids (tokenising only texts the cache has not seen).

    The ids are remapped to a vocabulary of only the terms these texts use, so the saved index is the size a
    build from term strings gives, and every document's scores are the same as from term strings.

    Args:
        keyed_texts: (text key, text) per document, in index row order.
        cache: the term cache (flushed before returning).
    """
    parts: list[np.ndarray] = []
    try:
        for key, text in keyed_texts:
            parts.append(cache.ids(key, text))
    finally:
        cache.flush()  # what was tokenised before a failure is kept for the next attempt
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    del parts  # the cache holds the same arrays; the flat copy is what bm25s reads
    used = np.unique(flat)
    remap = np.full(len(cache.vocab), -1, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    terms = np.empty(len(cache.vocab), dtype=object)
    for term, i in cache.vocab.items():
        terms[i] = term
    vocab = {str(t): i for i, t in enumerate(terms[used].tolist())}
    bm25 = bm25s.BM25()
    bm25.index(_Tokenized(_Docs(remap[flat], offsets), vocab), show_progress=False)
    return bm25
