"""Catch every exception that escapes a handler or an inner middleware and render the envelope.

``TrackingError`` keeps its code and status; anything else is logged with its
traceback and answered with a generic 500 INTERNAL_ERROR (no exception text).
If the response had already started, the connection is simply ended.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.server.errors import error_response

logger = logging.getLogger("tracklog.server")


class ErrorEnvelopeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - this is the last line of defence
            if started:
                logger.error("Error after the response started", exc_info=exc)
                return
            await error_response(exc)(scope, receive, send)
