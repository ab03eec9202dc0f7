"""Artifacts in Google Cloud Storage: ``gs://bucket/prefix``.

Credentials come from Google's default chain (``GOOGLE_APPLICATION_CREDENTIALS``,
``gcloud auth application-default login``, the metadata server on GCP).
``STORAGE_EMULATOR_HOST`` (e.g. ``http://127.0.0.1:4443``) points the client at
an emulator and uses anonymous credentials there. ``GOOGLE_CLOUD_PROJECT``
names the project when the credentials do not.

V4 signed URLs (``PresignedUrls``: ``GET`` for downloads, ``PUT`` for
uploads) need credentials that can sign: a service-account key, taken from
``GOOGLE_APPLICATION_CREDENTIALS`` (also with an emulator, whose own requests
stay anonymous) or from a ``token`` storage option naming a key file; any other
default credentials only when they can sign locally (impersonated
credentials). :meth:`GcsArtifactRepository.can_presign` says whether they can.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import timedelta
from typing import Any

import gcsfs  # a missing 'gcs' extra must fail at import (the registry turns it into MissingExtra)
import gcsfs.core

from tracklog.artifacts._fsspec import FsspecArtifactRepository, split_bucket_uri
from tracklog.artifacts._obstore_stores import gcs_object_io, optional_object_io
from tracklog.exceptions import NotImplementedByServer

__all__ = ["GcsArtifactRepository", "gcs_filesystem", "gcs_options"]


def gcs_options(**overrides: Any) -> dict[str, Any]:
    """gcsfs options from the environment; ``overrides`` win."""
    options: dict[str, Any] = {"use_listings_cache": False}  # instances are shared (fsspec cache)
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if project:
        options["project"] = project
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        options.update(token="anon", endpoint_url=emulator)
    options.update(overrides)
    return options


def gcs_filesystem(**overrides: Any) -> Any:
    """A ``gcsfs.GCSFileSystem`` configured from the environment; ``overrides`` win."""
    options = gcs_options(**overrides)
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
        options = gcs_options(**(storage_options or {}))
        fast = optional_object_io(gcs_object_io, bucket, options)  # reads only (see _obstore.ObjectIO)
        super().__init__(root_uri, gcs_filesystem(**options), root, fast)
        self._options = options

    # -- PresignedUrls (V4 signed URLs; needs a key to sign with) --------------

    def can_presign(self) -> bool:
        return self._signer() is not None

    def presigned_download_url(self, path: str, expiration_s: int = 900) -> str:
        return self._signed_url(path, expiration_s, "GET")

    def presigned_upload_url(self, path: str, expiration_s: int = 900) -> str:
        return self._signed_url(path, expiration_s, "PUT")

    def _signed_url(self, path: str, expiration_s: int, method: str) -> str:
        from google.cloud import storage

        key = self._object_key(path)
        signer = self._signer()
        if signer is None:
            raise NotImplementedByServer("Presigned URLs on GCS need a service-account key to sign with")
        project = getattr(signer, "project_id", None) or self._options.get("project") or "unused"
        client = storage.Client(project=project, credentials=signer)  # no network call
        endpoint = str(self._options.get("endpoint_url") or "") or None
        url = (
            client.bucket(self.bucket)
            .blob(key)
            .generate_signed_url(
                version="v4",
                expiration=timedelta(seconds=expiration_s),
                method=method,
                api_access_endpoint=endpoint,
            )
        )
        return str(url)

    def _signer(self) -> Any | None:
        """Credentials that can sign URLs, or None."""
        token = self._options.get("token")
        key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or (
            token if isinstance(token, str) and os.path.isfile(token) else None
        )
        if key_file:
            return _service_account(key_file, os.stat(key_file).st_mtime_ns)
        if token not in (None, "google_default"):
            return None  # anonymous, or a token gcsfs handles that cannot sign
        return _default_signer()


@functools.lru_cache(maxsize=8)
def _service_account(path: str, _mtime_ns: int) -> Any | None:
    """The service account of a key file (cached until the file changes); None for other credential files."""
    from google.oauth2 import service_account

    with open(path, encoding="utf-8") as fh:
        info = json.load(fh)
    if info.get("type") != "service_account":
        return None
    return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        info, scopes=["https://www.googleapis.com/auth/devstorage.read_write"]
    )


@functools.cache
def _default_signer() -> Any | None:
    """Google's default credentials if they can sign locally (once per process)."""
    import google.auth
    from google.auth.credentials import Signing
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _project = google.auth.default()
    except DefaultCredentialsError:
        return None
    return credentials if isinstance(credentials, Signing) else None
