"""The error hierarchy: codes, statuses and round trips through the wire body."""

from __future__ import annotations

import pytest

from tracklog import exceptions as exc


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (exc.InvalidArgument, "INVALID_PARAMETER_VALUE", 400),
        (exc.BadRequest, "BAD_REQUEST", 400),
        (exc.AlreadyExists, "RESOURCE_ALREADY_EXISTS", 400),
        (exc.NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
        (exc.EndpointNotFound, "ENDPOINT_NOT_FOUND", 404),
        (exc.Conflict, "RESOURCE_CONFLICT", 409),
        (exc.Unauthenticated, "UNAUTHENTICATED", 401),
        (exc.PermissionDenied, "PERMISSION_DENIED", 403),
        (exc.RateLimited, "REQUEST_LIMIT_EXCEEDED", 429),
        (exc.NotImplementedByServer, "NOT_IMPLEMENTED", 501),
        (exc.TemporarilyUnavailable, "TEMPORARILY_UNAVAILABLE", 503),
        (exc.TrackingError, "INTERNAL_ERROR", 500),
    ],
)
def test_class_carries_code_and_status(cls: type[exc.TrackingError], code: str, status: int) -> None:
    err = cls("boom")
    assert err.error_code == code
    assert err.http_status == status
    assert err.to_json() == {"error_code": code, "message": "boom"}
    assert isinstance(err, exc.TrackingError)


@pytest.mark.parametrize(
    "code",
    ["INVALID_PARAMETER_VALUE", "RESOURCE_ALREADY_EXISTS", "RESOURCE_DOES_NOT_EXIST", "PERMISSION_DENIED",
     "NOT_IMPLEMENTED", "TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR", "ENDPOINT_NOT_FOUND"],
)
def test_error_from_code_round_trips(code: str) -> None:
    err = exc.error_from_code(code, "msg")
    assert err.error_code == code
    assert exc.status_for_code(code) == err.http_status
    rebuilt = exc.error_from_code(**{"error_code": err.to_json()["error_code"], "message": "msg"})
    assert type(rebuilt) is type(err)


def test_specific_wire_code_kept_on_instance() -> None:
    err = exc.error_from_code("NOT_FOUND", "gone")
    assert isinstance(err, exc.NotFound)
    assert err.error_code == "NOT_FOUND"
    assert exc.NotFound("x").error_code == "RESOURCE_DOES_NOT_EXIST"  # class default untouched


@pytest.mark.parametrize(("status", "cls"), [(400, exc.BadRequest), (404, exc.EndpointNotFound),
                                             (503, exc.TemporarilyUnavailable), (502, exc.TrackingError)])
def test_error_from_status_only(status: int, cls: type[exc.TrackingError]) -> None:
    assert type(exc.error_from_code(None, "no body", status)) is cls


def test_unknown_code_is_internal() -> None:
    err = exc.error_from_code("SOMETHING_NEW", "x")
    assert type(err) is exc.TrackingError
    assert err.error_code == "SOMETHING_NEW"
    assert exc.status_for_code("SOMETHING_NEW") == 500


def test_missing_extra_names_install_command() -> None:
    err = exc.MissingExtra("s3", "The s3:// artifact store")
    assert "pip install 'tracklog[s3]'" in err.message


def test_mlflow_alias() -> None:
    assert exc.MlflowException is exc.TrackingError
