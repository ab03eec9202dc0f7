"""Looking ahead in a stream of byte chunks (to pick one PUT or a multipart upload)."""

from __future__ import annotations

from collections.abc import Iterator


def take_head(chunks: Iterator[bytes], limit: int) -> tuple[list[bytes], int, bool]:
    """Read chunks until at least ``limit`` bytes or the end.

    Returns ``(head, size, ended)``: the chunks read, their total size, and whether the
    stream ended before reaching ``limit`` (then ``head`` is the whole content and the
    caller can send it in one request; otherwise it continues with ``chunks``).
    """
    head: list[bytes] = []
    size = 0
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size >= limit:
            return head, size, False
    return head, size, True
