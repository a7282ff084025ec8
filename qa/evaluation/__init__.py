"""Measuring the assistant: retrieval, answers and precedent search scored on the project's gold sets.

In: the project's eval/ folder (Settings.eval_dir, ./eval of the working directory: gold.jsonl questions with
their evidence, drafts.jsonl proposals with the replies they should find, thresholds.json), a seeds folder, and
the configured embedder. Out: a report dict, eval/report.md and eval/report.json, and the gate's failures
(`qa eval --check` / `python -m eval --check` exits 1 on any).

Modules:

- metrics: the gold sets' loaders and the pure scoring functions (Recall@k, MRR, nDCG, keyword coverage, citation
  precision/recall, refusals, precedent Recall@1/@3).
- baseline: the naive pipeline scored beside ours (raw files, 500/100 character splits, langchain FAISS), also
  what bench/ times.
- report: the report as Markdown and as a terminal summary.
- runner: the run (index the seeds in a cache, score every system), the thresholds gate, and the CLI's entry.
"""
