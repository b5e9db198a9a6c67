"""Evaluation: gold labels, metrics, baselines and benchmarks, measured as a user would."""
