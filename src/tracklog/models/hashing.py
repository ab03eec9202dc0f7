"""SHA-256 of model files and the logged-model tags that record them.

At log time the model file's digest goes into the tracking store (a tag on the
logged model). At load time the downloaded file is hashed again and compared
with the store before any byte of it is deserialized.
"""

from __future__ import annotations

import hashlib
import hmac
import os

__all__ = ["FILE_TAG", "FORMAT_TAG", "SHA256_TAG", "digests_match", "sha256_file"]

SHA256_TAG = "tracklog.model.sha256"
FORMAT_TAG = "tracklog.model.serialization_format"
FILE_TAG = "tracklog.model.file"

_CHUNK = 1024 * 1024


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def digests_match(expected: str, actual: str) -> bool:
    return hmac.compare_digest(expected.strip().lower(), actual.strip().lower())
