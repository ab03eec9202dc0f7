"""The no-op server of the ``floor`` workload: uvicorn answering ``{}`` to every request.

``python -m benchmarks.noop_server --port N`` runs a bare ASGI callable on the same
uvicorn stack and options as ``tracklog server`` (``uvicorn.run(app, ...)`` with the
automatic choices -- httptools and uvloop when installed, as they are with tracklog's
``server`` extra -- no proxy headers, the same keep-alive timeout, no access log). It
reads the whole request body and does nothing else, so the raw-REST client's latency
and the server's CPU per request against it are what HTTP on loopback costs by itself:
the floor under any Python ASGI server's figure.
"""

from __future__ import annotations

import argparse

from starlette.types import Receive, Scope, Send

KEEP_ALIVE_S = 75  # tracklog.cli.server.KEEP_ALIVE_S
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"2")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:  # consume the body, as any real endpoint must
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": b"{}"})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=False, timeout_keep_alive=KEEP_ALIVE_S,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
