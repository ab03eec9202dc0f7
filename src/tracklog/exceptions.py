"""The one error hierarchy of tracklog.

Every error that crosses a boundary (store, server, client, CLI) is a
``TrackingError``. Each class carries MLflow's wire ``error_code`` and the HTTP
status the server answers with, so the server renders
``{"error_code", "message"}`` from any of them and the HTTP client raises the
same class again from that body.

    TrackingError                      INTERNAL_ERROR              500
    ├── InvalidArgument                INVALID_PARAMETER_VALUE     400
    │   └── BadRequest                 BAD_REQUEST                 400
    ├── AlreadyExists                  RESOURCE_ALREADY_EXISTS     400
    ├── NotFound                       RESOURCE_DOES_NOT_EXIST     404
    │   └── EndpointNotFound           ENDPOINT_NOT_FOUND          404
    ├── Conflict                       RESOURCE_CONFLICT           409
    ├── Unauthenticated                UNAUTHENTICATED             401
    ├── PermissionDenied               PERMISSION_DENIED           403
    ├── RequestTooLarge                REQUEST_LIMIT_EXCEEDED      413
    ├── RateLimited                    REQUEST_LIMIT_EXCEEDED      429
    ├── NotImplementedByServer         NOT_IMPLEMENTED             501
    ├── TemporarilyUnavailable         TEMPORARILY_UNAVAILABLE     503
    └── MissingExtra                   INTERNAL_ERROR              500

``MlflowException`` is an alias of ``TrackingError`` for code written against MLflow.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExists",
    "BadRequest",
    "Conflict",
    "EndpointNotFound",
    "InvalidArgument",
    "MissingExtra",
    "MlflowException",
    "NotFound",
    "NotImplementedByServer",
    "PermissionDenied",
    "RateLimited",
    "RequestTooLarge",
    "TemporarilyUnavailable",
    "TrackingError",
    "Unauthenticated",
    "error_from_code",
    "status_for_code",
]


class TrackingError(Exception):
    """Base of every tracklog error; carries MLflow's error code and HTTP status."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            # An instance may carry a more specific wire code than its class.
            self.error_code = error_code  # type: ignore[misc]

    def to_json(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}"


class InvalidArgument(TrackingError):
    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class BadRequest(InvalidArgument):
    error_code = "BAD_REQUEST"


class AlreadyExists(TrackingError):
    # MLflow answers RESOURCE_ALREADY_EXISTS with 400, not 409; its client relies on it.
    error_code = "RESOURCE_ALREADY_EXISTS"
    http_status = 400


class NotFound(TrackingError):
    error_code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class EndpointNotFound(NotFound):
    error_code = "ENDPOINT_NOT_FOUND"


class Conflict(TrackingError):
    error_code = "RESOURCE_CONFLICT"
    http_status = 409


class Unauthenticated(TrackingError):
    error_code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(TrackingError):
    error_code = "PERMISSION_DENIED"
    http_status = 403


class RequestTooLarge(TrackingError):
    error_code = "REQUEST_LIMIT_EXCEEDED"
    http_status = 413


class RateLimited(TrackingError):
    error_code = "REQUEST_LIMIT_EXCEEDED"
    http_status = 429


class NotImplementedByServer(TrackingError):
    error_code = "NOT_IMPLEMENTED"
    http_status = 501


class TemporarilyUnavailable(TrackingError):
    error_code = "TEMPORARILY_UNAVAILABLE"
    http_status = 503


class MissingExtra(TrackingError):
    """An optional dependency is not installed; the message names the install command."""

    def __init__(self, extra: str, what: str) -> None:
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'tracklog[{extra}]'")
        self.extra = extra


MlflowException = TrackingError

# Wire code -> (class, HTTP status), following MLflow's table in mlflow/exceptions.py.
_CODE_TABLE: dict[str, tuple[type[TrackingError], int]] = {
    "INVALID_PARAMETER_VALUE": (InvalidArgument, 400),
    "BAD_REQUEST": (BadRequest, 400),
    "INVALID_STATE": (TrackingError, 500),
    "RESOURCE_ALREADY_EXISTS": (AlreadyExists, 400),
    "RESOURCE_DOES_NOT_EXIST": (NotFound, 404),
    "NOT_FOUND": (NotFound, 404),
    "ENDPOINT_NOT_FOUND": (EndpointNotFound, 404),
    "RESOURCE_CONFLICT": (Conflict, 409),
    "ALREADY_EXISTS": (Conflict, 409),
    "ABORTED": (Conflict, 409),
    "UNAUTHENTICATED": (Unauthenticated, 401),
    "CUSTOMER_UNAUTHORIZED": (Unauthenticated, 401),
    "PERMISSION_DENIED": (PermissionDenied, 403),
    "REQUEST_LIMIT_EXCEEDED": (RateLimited, 429),
    "RESOURCE_EXHAUSTED": (RateLimited, 429),
    "CANCELLED": (TrackingError, 499),
    "NOT_IMPLEMENTED": (NotImplementedByServer, 501),
    "TEMPORARILY_UNAVAILABLE": (TemporarilyUnavailable, 503),
    "DEADLINE_EXCEEDED": (TemporarilyUnavailable, 504),
    "INTERNAL_ERROR": (TrackingError, 500),
    "DATA_LOSS": (TrackingError, 500),
}

_STATUS_FALLBACK: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    409: "RESOURCE_CONFLICT",
    413: "REQUEST_LIMIT_EXCEEDED",
    429: "REQUEST_LIMIT_EXCEEDED",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
}


def status_for_code(error_code: str) -> int:
    """HTTP status MLflow uses for ``error_code`` (500 for unknown codes)."""
    entry = _CODE_TABLE.get(error_code)
    return entry[1] if entry else 500


def error_from_code(error_code: str | None, message: str, http_status: int | None = None) -> TrackingError:
    """Rebuild the matching exception from a wire error body (or just a status)."""
    if not error_code and http_status is not None:
        error_code = _STATUS_FALLBACK.get(http_status, "INTERNAL_ERROR")
    code = error_code or "INTERNAL_ERROR"
    cls = _CODE_TABLE.get(code, (TrackingError, 500))[0]
    return cls(message, error_code=code)
