"""A page of results plus the opaque token of the next page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class PagedList(list[T], Generic[T]):
    """A list with ``token``: the next page's token, or None on the last page."""

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token
