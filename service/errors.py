"""Errors only the web service raises. Like every :class:`~qmsgap.errors.QmsGapError` they carry
a stable ``code`` and an HTTP status, and the one exception handler of the app turns them into
``{"error": {"code", "message"}}``."""

from __future__ import annotations

from qmsgap.errors import QmsGapError


class Unauthorized(QmsGapError):
    """No valid bearer token (missing, unknown, expired, revoked, or the user is disabled)."""

    code = "unauthorized"
    http_status = 401


class Forbidden(QmsGapError):
    """The user may see the resource but their role does not allow this action."""

    code = "forbidden"
    http_status = 403


class Conflict(QmsGapError):
    """The request contradicts the current state (a running analysis, a duplicate name ...)."""

    code = "conflict"
    http_status = 409


class InvalidRequest(QmsGapError):
    """A well-formed request asks for something that cannot be done as stated."""

    code = "invalid_request"
    http_status = 422


class RequestTooLarge(QmsGapError):
    """The request body is larger than allowed (checked before and while reading it)."""

    code = "request_too_large"
    http_status = 413


class TooManyFiles(QmsGapError):
    code = "too_many_files"
    http_status = 413


class JobInterrupted(Exception):
    """Raised inside an analysis when it was cancelled or the server is stopping."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
