"""The SQL of the PostgreSQL backend: schema, the three searches (pgvector, BM25, ts_rank) and filter clauses.

Tables (one set per database)::

    qa_meta(key, value)                 embedder, dim, tokenizer, source_version, generation, n_chunks, avg_terms
    qa_chunks(id, chunk_id, doc_id, agency, year, kind, text_key, n_terms, chunk jsonb, embedding vector, tsv)
    qa_terms(id, term, df)              the jieba terms (qa.index.tokenize) and their document frequencies
    qa_postings(term_id, chunk, tf, dl) one row per (term, chunk) with the chunk's term count: BM25, scored in SQL

`id` is the row order: chunks are numbered in index order when they are inserted, so a PostgresIndex's rows are
its chunks sorted by id. Vectors are unit vectors and the HNSW index uses cosine distance, so 1 - (a <=> b) is
the inner product FAISS returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.records import Filters

K1 = 1.5  # bm25s defaults (method "lucene"), so scores match the in-process BM25
B = 0.75
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
LOCK_KEY = 0x5141_1D3E  # pg_advisory_xact_lock key: one index sync at a time per database
TABLES = ("qa_postings", "qa_terms", "qa_chunks", "qa_meta")

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS qa_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE SEQUENCE IF NOT EXISTS qa_chunk_ids AS integer;
CREATE TABLE IF NOT EXISTS qa_chunks (
    id integer PRIMARY KEY,
    chunk_id text NOT NULL UNIQUE,
    doc_id text NOT NULL,
    agency text NOT NULL,
    year text NOT NULL,
    kind text NOT NULL,
    text_key text NOT NULL,
    n_terms integer NOT NULL,
    chunk jsonb NOT NULL,
    embedding vector({dim}),
    tsv tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS qa_chunks_doc ON qa_chunks (doc_id);
CREATE INDEX IF NOT EXISTS qa_chunks_year_kind ON qa_chunks (year, kind);
CREATE INDEX IF NOT EXISTS qa_chunks_tsv ON qa_chunks USING gin (tsv);
CREATE TABLE IF NOT EXISTS qa_terms (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    term text NOT NULL UNIQUE,
    df integer NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS qa_postings (
    term_id integer NOT NULL,
    chunk integer NOT NULL,
    tf smallint NOT NULL,
    dl smallint NOT NULL
);
"""

# Built after a bulk load (faster than row by row) and kept for incremental syncs. The postings key carries tf and
# the chunk's length, so BM25 reads a term's postings from the index alone (an index-only scan) in term order.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS qa_chunks_embedding ON qa_chunks USING hnsw (embedding vector_cosine_ops) "
    f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})",
    "CREATE UNIQUE INDEX IF NOT EXISTS qa_postings_term ON qa_postings (term_id, chunk) INCLUDE (tf, dl)",
    "CREATE INDEX IF NOT EXISTS qa_postings_chunk ON qa_postings (chunk)",
)
DROP_INDEXES = "DROP INDEX IF EXISTS qa_chunks_embedding, qa_postings_term, qa_postings_chunk"

DROP = "DROP TABLE IF EXISTS qa_postings, qa_terms, qa_chunks CASCADE; DROP SEQUENCE IF EXISTS qa_chunk_ids"

STATS = """
INSERT INTO qa_meta (key, value)
SELECT k, v FROM (
    SELECT count(*)::text AS n, coalesce(avg(n_terms), 0)::text AS a FROM qa_chunks
) s, LATERAL (VALUES ('n_chunks', s.n), ('avg_terms', s.a)) AS kv (k, v)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
"""

BUMP_GENERATION = """
INSERT INTO qa_meta (key, value) VALUES ('generation', '1')
ON CONFLICT (key) DO UPDATE SET value = (qa_meta.value::bigint + 1)::text
"""

SET_META = "INSERT INTO qa_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"

DF_DOWN = """
UPDATE qa_terms t SET df = t.df - x.n
FROM (SELECT term_id, count(*) AS n FROM qa_postings WHERE chunk = ANY(%s) GROUP BY term_id) x
WHERE t.id = x.term_id
"""

DF_UP = "UPDATE qa_terms t SET df = t.df + s.n FROM qa_stage_df s WHERE t.id = s.term_id"

# The lucene BM25 of bm25s: idf = ln(1 + (N - df + .5) / (df + .5)), tf part = tf / (tf + k1 (1 - b + b dl / avgdl)),
# summed over the query's terms (a term asked twice counts twice, as bm25s counts it). Float8 throughout (numeric
# literals would make it numeric arithmetic, several times slower); the idf is computed once per query term.
BM25 = f"""
WITH s AS (
    SELECT (SELECT value::float8 FROM qa_meta WHERE key = 'n_chunks') AS n,
           (SELECT value::float8 FROM qa_meta WHERE key = 'avg_terms') AS avgdl
), q AS (
    SELECT t.id, count(*) * ln(1::float8 + (s.n - t.df + 0.5::float8) / (t.df + 0.5::float8)) AS w
    FROM unnest(%(terms)s::text[]) AS u (term) JOIN qa_terms t ON t.term = u.term CROSS JOIN s
    WHERE t.df > 0
    GROUP BY t.id, t.df, s.n
), k AS (
    SELECT {K1}::float8 * (1 - {B}::float8) AS k0, {K1}::float8 * {B}::float8 / s.avgdl AS kd FROM s
)
SELECT p.chunk, sum(q.w * p.tf / (p.tf + k.k0 + k.kd * p.dl)) AS score
FROM q JOIN qa_postings p ON p.term_id = q.id CROSS JOIN k
{{join_where}}
GROUP BY p.chunk
ORDER BY score DESC, p.chunk
LIMIT %(n)s
"""

# PostgreSQL's own full-text ranking over the same terms: the query's terms OR-ed, ranked by ts_rank.
TSRANK = """
WITH q AS (
    SELECT (SELECT string_agg(quote_literal(l), ' | ')
            FROM unnest(tsvector_to_array(to_tsvector('simple', %(text)s))) AS l)::tsquery AS q
)
SELECT c.id, ts_rank(c.tsv, q.q) AS score
FROM qa_chunks c, q
WHERE c.tsv @@ q.q {and_where}
ORDER BY score DESC, c.id
LIMIT %(n)s
"""

# Unfiltered: the HNSW index (approximate, ef_search as FAISS's HNSW_EF_SEARCH). Filtered: an exact scan of the
# matching rows, so filtering happens before the top-n cut (pgvector 0.6 filters HNSW results after the cut).
DENSE = """
SELECT c.id, 1 - (c.embedding <=> %(q)s::vector) AS score
FROM qa_chunks c
WHERE c.embedding IS NOT NULL
ORDER BY c.embedding <=> %(q)s::vector
LIMIT %(n)s
"""

DENSE_FILTERED = """
WITH c AS MATERIALIZED (SELECT c.id, c.embedding FROM qa_chunks c WHERE c.embedding IS NOT NULL AND {where})
SELECT c.id, 1 - (c.embedding <=> %(q)s::vector) AS score
FROM c
ORDER BY c.embedding <=> %(q)s::vector, c.id
LIMIT %(n)s
"""


def meta(conn: Any) -> dict[str, str]:
    """The qa_meta table as a dict ({} before the first sync created it)."""
    if conn.execute("SELECT to_regclass('qa_meta')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("SELECT key, value FROM qa_meta").fetchall())


def filter_clause(filters: Filters | None, ids: Any = None) -> tuple[str, dict[str, Any]]:
    """The WHERE conditions (on alias c = qa_chunks) for Filters and an optional list of allowed ids.

    Same semantics as Filters.matches: agency is a substring, year and kind are equal, doc_ids is a set.
    Returns ("", {}) when nothing filters.
    """
    conds: list[str] = []
    params: dict[str, Any] = {}
    if filters is not None:
        if filters.agency:
            conds.append("strpos(c.agency, %(agency)s) > 0")
            params["agency"] = filters.agency
        if filters.year:
            conds.append("c.year = %(year)s")
            params["year"] = filters.year
        if filters.kind:
            conds.append("c.kind = %(kind)s")
            params["kind"] = filters.kind
        if filters.doc_ids:
            conds.append("c.doc_id = ANY(%(doc_ids)s)")
            params["doc_ids"] = list(filters.doc_ids)
    if ids is not None:
        conds.append("c.id = ANY(%(ids)s)")
        params["ids"] = [int(i) for i in ids]
    return " AND ".join(conds), params


def vector_text(vector: Any) -> str:
    """A float32 vector as pgvector's text input ('[0.1,0.2,...]'); 9 significant digits round-trip float32."""
    values = vector.tolist()
    return "[" + ",".join(["%.9g"] * len(values)) % tuple(values) + "]"
