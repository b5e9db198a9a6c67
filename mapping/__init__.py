"""Mapping: embed passages, retrieve evidence for every practice, score coverage."""
