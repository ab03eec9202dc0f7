"""Bounds on what a search request may ask for.

Every limit exists so that one request cannot make the database (or the
parser) do unbounded work. Exceeding one raises ``InvalidArgument`` naming the
limit and its value.
"""

from __future__ import annotations

MAX_FILTER_LENGTH = 524_288
"""Characters in one filter string (512 KiB: room for a full ``IN`` list of 32-character run ids)."""

MAX_DEPTH = 64
"""Nesting of parentheses and ``NOT``."""

MAX_COMPARISONS = 256
"""Comparisons in one filter; each one becomes a (sub)query predicate."""

MAX_LIST_ITEMS = 10_000
"""Values in all ``IN`` / ``NOT IN`` lists of one filter, taken together."""

MAX_LIKE_PATTERN = 1_024
"""Characters in one ``LIKE`` / ``ILIKE`` pattern."""

MAX_LIKE_WILDCARDS = 16
"""``%`` wildcards in one pattern (after runs of ``%`` are collapsed into one)."""

MAX_ORDER_BY_KEYS = 32
"""Entries in one ``order_by`` list."""

MAX_ORDER_BY_LENGTH = 1_024
"""Characters in one ``order_by`` entry."""

MAX_DATASETS = 100
"""Entries in the ``datasets`` list of a logged-model search."""

ERROR_ECHO = 200
"""Characters of the offending input quoted back in an error message."""
