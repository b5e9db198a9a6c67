"""OpenAPI error responses shared by the routers (every error has the same body)."""

from __future__ import annotations

from typing import Any

from qmsgap.service.schemas import ErrorResponse


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the given HTTP statuses, all with :class:`ErrorResponse`."""
    described = {
        400: "Bad request.",
        401: "Missing, invalid or expired bearer token.",
        403: "The role of the user does not allow this action.",
        404: "Not found, or not visible to this user (other organisation, not a member).",
        409: "Conflicts with the current state (for example an analysis is running).",
        413: "Too large (file, request or number of files).",
        415: "The content is not a document format qmsgap reads.",
        422: "The request is invalid; the message says why.",
        503: "Not ready.",
    }
    return {
        status: {"model": ErrorResponse, "description": described.get(status, "Error.")}
        for status in statuses
    }


AUTHED = errors(401, 422)
IN_WORKSPACE = errors(401, 404, 422)
