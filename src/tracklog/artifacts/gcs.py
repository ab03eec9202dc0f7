"""Artifacts in Google Cloud Storage: ``gs://bucket/prefix``.

Credentials come from Google's default chain (``GOOGLE_APPLICATION_CREDENTIALS``,
``gcloud auth application-default login``, the metadata server on GCP).
``STORAGE_EMULATOR_HOST`` (e.g. ``http://127.0.0.1:4443``) points the client at
an emulator and uses anonymous credentials there. ``GOOGLE_CLOUD_PROJECT``
names the project when the credentials do not.
"""

from __future__ import annotations

import os
from typing import Any

import gcsfs  # a missing 'gcs' extra must fail at import (the registry turns it into MissingExtra)
import gcsfs.core

from tracklog.artifacts._fsspec import FsspecArtifactRepository, split_bucket_uri

__all__ = ["GcsArtifactRepository", "gcs_filesystem"]


def gcs_filesystem(**overrides: Any) -> Any:
    """A ``gcsfs.GCSFileSystem`` configured from the environment; ``overrides`` win."""
    options: dict[str, Any] = {"use_listings_cache": False}  # instances are shared (fsspec cache)
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if project:
        options["project"] = project
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        options.update(token="anon", endpoint_url=emulator)
    options.update(overrides)
    endpoint = str(options.get("endpoint_url") or "")
    if endpoint and not endpoint.startswith("https://storage.googleapis.com"):
        # Emulators have no Storage Control API: gcsfs' bucket-type probe would stall on every call.
        return gcsfs.core.GCSFileSystem(**options)
    return gcsfs.GCSFileSystem(**options)


class GcsArtifactRepository(FsspecArtifactRepository):
    """Files below ``gs://bucket/prefix``."""

    write_block_size = 4 * 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require

    def __init__(self, root_uri: str, *, storage_options: dict[str, Any] | None = None) -> None:
        bucket, prefix = split_bucket_uri(root_uri, "gs")
        self.bucket = bucket
        self.prefix = prefix
        root = f"{bucket}/{prefix}" if prefix else bucket
        super().__init__(root_uri, gcs_filesystem(**(storage_options or {})), root)
