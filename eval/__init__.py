"""Gold sets, thresholds and reports; `python -m eval` runs qa.evaluation.runner on them."""
