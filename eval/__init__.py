"""Gold sets, thresholds and reports; `python -m eval` runs qa.evaluate on them."""
