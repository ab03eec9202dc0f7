"""Writing and reading scikit-learn model files: skops (default), cloudpickle, pickle.

Trust rules on load (``verified`` means the file's SHA-256 matched the tracking store):

* skops, verified: the types the file lists are trusted (they are the types that
  were saved at log time, byte for byte);
* skops, not verified: only skops' default safe types, plus the ``trusted_types``
  the caller names; anything else raises ``UntrustedModelError`` listing the types;
* (cloud)pickle, verified: loaded;
* (cloud)pickle, not verified: refused unless the caller passes ``allow_pickle=True``.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import Any

from tracklog.exceptions import InvalidArgument, MissingExtra
from tracklog.models.errors import UntrustedModelError

__all__ = ["CLOUDPICKLE", "FILE_NAMES", "PICKLE", "SKOPS", "dump", "load", "untrusted_types"]

SKOPS = "skops"
CLOUDPICKLE = "cloudpickle"
PICKLE = "pickle"
WRITABLE = (SKOPS, CLOUDPICKLE)
READABLE = (SKOPS, CLOUDPICKLE, PICKLE)
FILE_NAMES = {SKOPS: "model.skops", CLOUDPICKLE: "model.pkl", PICKLE: "model.pkl"}


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:
        raise MissingExtra("sklearn", "Saving or loading skops models") from exc
    return sio


def check_writable(serialization_format: str) -> None:
    if serialization_format not in WRITABLE:
        raise InvalidArgument(
            f"Unknown serialization_format {serialization_format!r}; use 'skops' (the default, safe) "
            "or 'cloudpickle' (runs code on load; only for models skops cannot save)"
        )


def dump(model: Any, path: str | os.PathLike[str], serialization_format: str) -> None:
    check_writable(serialization_format)
    if serialization_format == SKOPS:
        _skops().dump(model, os.fspath(path))
        return
    try:
        import cloudpickle
    except ImportError as exc:
        raise MissingExtra("sklearn", "Saving cloudpickle models") from exc
    with open(path, "wb") as f:
        cloudpickle.dump(model, f)


def untrusted_types(path: str | os.PathLike[str]) -> list[str]:
    """Types in a skops file that skops does not trust by default."""
    return [str(t) for t in _skops().get_untrusted_types(file=os.fspath(path))]


def load(
    path: str | os.PathLike[str],
    serialization_format: str,
    *,
    verified: bool,
    trusted_types: Sequence[str] | None = None,
    allow_pickle: bool = False,
    source: str = "",
) -> Any:
    """Deserialize a model file under the trust rules of this module."""
    where = source or os.fspath(path)
    if serialization_format == SKOPS:
        return _load_skops(path, verified, trusted_types or (), where)
    if serialization_format not in READABLE:
        raise InvalidArgument(f"Unknown serialization_format {serialization_format!r} in the MLmodel of {where}")
    if not verified and not allow_pickle:
        raise UntrustedModelError(
            f"The model at {where} is a {serialization_format} file with no SHA-256 recorded in the tracking "
            "store, so tracklog cannot tell whether it was changed since it was saved, and unpickling runs "
            "arbitrary code. If you trust its source, load it with allow_pickle=True."
        )
    with open(path, "rb") as f:
        if serialization_format == CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(f)
        return pickle.load(f)  # noqa: S301 - verified or explicitly allowed above


def _load_skops(path: str | os.PathLike[str], verified: bool, trusted_types: Sequence[str], where: str) -> Any:
    sio = _skops()
    listed = untrusted_types(path)
    if not verified:
        missing = sorted(set(listed) - set(trusted_types))
        if missing:
            raise UntrustedModelError(
                f"The skops model at {where} needs types that skops does not trust by default: "
                f"{', '.join(missing)}. It has no SHA-256 recorded in the tracking store (it was not "
                "logged by tracklog, or was loaded from a path), so tracklog will not trust the file's own "
                "list. If you trust its source, pass trusted_types=[...] with these names."
            )
    return sio.load(os.fspath(path), trusted=listed)
