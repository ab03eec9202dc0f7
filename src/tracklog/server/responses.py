"""JSON responses serialized with orjson (entities already encode NaN/Infinity as strings)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["JSONResponse", "json_response"]


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(content: Any, status_code: int = 200) -> Response:
    return JSONResponse(content, status_code=status_code)
