"""Ingestion: documents of every common QMS format become cited passages.

Entry points:

- :func:`discover` lists the document files under given paths;
- :func:`ingest_file` / :func:`ingest_bytes` / :func:`ingest_text` parse one document in this
  process;
- :class:`Ingestor` parses many in sandboxed worker processes (time and memory limits);
- :class:`Chunker` with :func:`load_counter` cuts sections into passages (mapping tests).
"""

from qmsgap.ingest.chunking import Chunker, TokenCounter, WordPieceCounter, load_counter
from qmsgap.ingest.discover import discover
from qmsgap.ingest.pipeline import DocumentParser, ingest_bytes, ingest_file, ingest_text
from qmsgap.ingest.sandbox import Ingestor
from qmsgap.ingest.sections import Section, build_sections

__all__ = [
    "Chunker",
    "DocumentParser",
    "Ingestor",
    "Section",
    "TokenCounter",
    "WordPieceCounter",
    "build_sections",
    "discover",
    "ingest_bytes",
    "ingest_file",
    "ingest_text",
    "load_counter",
]
