"""Benchmarks: corpus scaler, ingest/build/re-index/retrieval/ask/cold-start timings, report writer."""
