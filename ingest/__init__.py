"""Ingestion: documents of every common QMS format become cited passages."""
