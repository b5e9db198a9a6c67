"""The project's error hierarchy.

Every error a user can cause derives from :class:`QmsGapError` and carries a stable ``code``
(used by the HTTP layer and the CLI) and a message a person understands. The service turns these
into ``{"error": {"code", "message"}}`` answers in one exception handler; the CLI prints them.
"""

from __future__ import annotations


class QmsGapError(Exception):
    """Base class of every expected error. ``code`` is stable and machine-readable."""

    code = "qmsgap_error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(QmsGapError):
    """A setting is missing, contradictory or points at something that does not exist."""

    code = "configuration_error"
    http_status = 500


class ModelUnavailable(ConfigurationError):
    """The embedding model cannot be loaded from local disk (no download is ever attempted)."""

    code = "model_unavailable"


class MissingExtra(ConfigurationError):
    """An optional backend was selected but its extra is not installed."""

    code = "missing_extra"

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependencies: pip install 'qmsgap[{extra}]'"
        )
        self.extra = extra


class CatalogError(QmsGapError):
    """A clause catalog or crosswalk file is invalid; the message names the file and the id."""

    code = "catalog_error"
    http_status = 422


class NotFound(QmsGapError):
    """A named thing (catalog, practice, workspace, document ...) does not exist."""

    code = "not_found"
    http_status = 404


class DocumentError(QmsGapError):
    """A document could not be turned into passages. Subclasses say why."""

    code = "document_error"
    http_status = 422


class UnreadableFile(DocumentError):
    """The file cannot be opened or read (permissions, vanished, I/O error)."""

    code = "unreadable_file"


class UnsupportedDocument(DocumentError):
    """The content is not a format qmsgap reads (decided from the bytes, not the file name)."""

    code = "unsupported_document"
    http_status = 415


class CorruptDocument(DocumentError):
    """The file claims a supported format but its content is damaged or truncated."""

    code = "corrupt_document"


class EncryptedDocument(DocumentError):
    """The document is encrypted and the empty password does not open it."""

    code = "encrypted_document"


class DocumentTooLarge(DocumentError):
    """The document exceeds a configured limit (bytes, pages, expansion ratio ...)."""

    code = "document_too_large"
    http_status = 413


class ParseTimeout(DocumentError):
    """Parsing took longer than the configured limit and was stopped."""

    code = "parse_timeout"


class ParseResourceLimit(DocumentError):
    """Parsing needed more memory than the configured limit and was stopped."""

    code = "parse_resource_limit"


class GoldLabelError(QmsGapError):
    """An evaluation gold file is invalid; the message names the file and the line."""

    code = "gold_label_error"
    http_status = 422
