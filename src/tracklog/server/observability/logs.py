"""Log formatting: ``--log-format text|json``, with the request id on every line.

``JsonFormatter`` writes one JSON object per line: ``time`` (UTC, ISO 8601 with
milliseconds), ``level``, ``logger``, ``message``, ``pid`` (the worker process),
``request_id`` (inside a request), the fields a record carries in its ``fields`` extra (the
access log's ``method``, ``route``, ``status``, ``duration_ms``, ``user``...) and
``exception`` (the formatted traceback).
``TextFormatter`` writes ``time level logger [request id] message``.

``logging_config(log_format, access_log)`` is the ``logging.config.dictConfig`` dictionary
``tracklog server`` gives uvicorn (applied in every worker process): tracklog's and uvicorn's
loggers write to stderr through the chosen formatter; ``tracklog.access`` is on only with
``--access-log`` (uvicorn's own access log stays off: tracklog's carries more).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from tracklog.server.observability.request_id import REQUEST_ID

__all__ = ["ACCESS_LOGGER", "LOG_FORMATS", "JsonFormatter", "TextFormatter", "logging_config"]

ACCESS_LOGGER = "tracklog.access"
LOG_FORMATS = ("text", "json")


def _timestamp(record: logging.LogRecord) -> str:
    when = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module doc for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            out["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-01-01T00:00:00.000Z INFO tracklog.server [<request id>] message``."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = REQUEST_ID.get()
        rid = f" [{request_id}]" if request_id is not None else ""
        line = f"{_timestamp(record)} {record.levelname} {record.name}{rid} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def logging_config(log_format: str = "text", access_log: bool = False) -> dict[str, Any]:
    """The dictConfig for ``tracklog server`` (uvicorn applies it in each worker)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"--log-format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    handler = {"class": "logging.StreamHandler", "formatter": "tracklog", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"tracklog": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"tracklog": handler},
        "loggers": {
            "tracklog": {"handlers": ["tracklog"], "level": "INFO", "propagate": False},
            ACCESS_LOGGER: {"handlers": ["tracklog"], "level": "INFO" if access_log else "WARNING",
                            "propagate": False},
            "uvicorn": {"handlers": ["tracklog"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
