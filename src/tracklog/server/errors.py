"""The one error handler: every failure becomes ``{"error_code", "message"}``.

``TrackingError`` subclasses carry their wire code and HTTP status. Starlette's
``HTTPException`` (unknown route, wrong method) is mapped onto the same shape.
Anything else is a bug: it is logged here with its traceback and answered with
a generic 500 INTERNAL_ERROR that never contains exception text.
"""

from __future__ import annotations

import logging

import orjson
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tracklog.exceptions import TrackingError, status_for_code

__all__ = ["error_response", "json_error"]

logger = logging.getLogger("tracklog.server")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    413: "REQUEST_LIMIT_EXCEEDED",
    415: "INVALID_PARAMETER_VALUE",
}


def json_error(status: int, error_code: str, message: str) -> Response:
    body = orjson.dumps({"error_code": error_code, "message": message})
    return Response(body, status_code=status, media_type="application/json")


def error_response(exc: BaseException) -> Response:
    """Render any exception as the wire error envelope."""
    if isinstance(exc, TrackingError):
        # An instance may carry a more specific code than its class (e.g. DEADLINE_EXCEEDED).
        status = exc.http_status if exc.error_code == type(exc).error_code else status_for_code(exc.error_code)
        return json_error(status, exc.error_code, exc.message)
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return json_error(404, "ENDPOINT_NOT_FOUND", "No API endpoint at this path")
        if exc.status_code == 405:
            return json_error(405, "ENDPOINT_NOT_FOUND", "Method not allowed on this endpoint")
        code = _HTTP_CODES.get(exc.status_code, "INTERNAL_ERROR")
        return json_error(exc.status_code, code, str(exc.detail))
    logger.error("Unhandled error while serving a request", exc_info=exc)
    return json_error(500, "INTERNAL_ERROR", "Internal server error")
