"""Evaluate: metrics, the held-out harness, retrieval evaluation and the promotion gate."""
