"""Errors raised while saving or loading models.

InvalidArgument
├── ModelIntegrityError     the file's bytes differ from the hash recorded at log time
└── UntrustedModelError     the file needs types (or pickle) the caller has not trusted
"""

from __future__ import annotations

from tracklog.exceptions import InvalidArgument

__all__ = ["ModelIntegrityError", "UntrustedModelError"]


class ModelIntegrityError(InvalidArgument):
    """A model file does not match the SHA-256 recorded in the tracking store when it was logged."""


class UntrustedModelError(InvalidArgument):
    """Loading would deserialize types the caller has not trusted; the message says how to opt in."""
