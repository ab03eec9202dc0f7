"""Artifacts in Azure Blob Storage / ADLS Gen2.

URI forms (the account comes from the host)::

    wasbs://<container>@<account>.blob.core.windows.net/<path>
    abfss://<container>@<account>.dfs.core.windows.net/<path>
    az://<container>/<path>          (account from AZURE_STORAGE_ACCOUNT_NAME or the connection string)

Credentials, first match wins: ``storage_options``, then
``AZURE_STORAGE_CONNECTION_STRING``, then an account key
(``AZURE_STORAGE_ACCESS_KEY`` or ``AZURE_STORAGE_KEY``), then
``AZURE_STORAGE_SAS_TOKEN``, then ``DefaultAzureCredential`` (environment,
workload/managed identity, Azure CLI). ADLS Gen2 accounts are reached through
their blob endpoint, which serves hierarchical-namespace accounts too.

With an account key (in the connection string or the environment) the
repository also hands out SAS URLs (``PresignedUrls``): read-only for
downloads, create/write for uploads. Without one (token credentials) it
cannot sign, and :meth:`AzureArtifactRepository.can_presign` says so.
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import urlsplit

import adlfs  # a missing 'azure' extra must fail at import (the registry turns it into MissingExtra)

from tracklog.artifacts._fsspec import FsspecArtifactRepository, root_prefix
from tracklog.artifacts.paths import invalid_path, safe_relpath
from tracklog.exceptions import InvalidArgument, NotImplementedByServer

__all__ = ["AzureArtifactRepository", "azure_filesystem", "parse_azure_uri"]

_HOST_SUFFIXES = (".blob.core.windows.net", ".dfs.core.windows.net")


def parse_azure_uri(uri: str) -> tuple[str, str | None, str]:
    """``(container, account or None, prefix)`` of a ``wasbs``/``abfss``/``az`` URI."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise InvalidArgument("Invalid artifact URI: queries and fragments are not allowed")
    if scheme in ("wasbs", "wasb", "abfss", "abfs"):
        container, at, host = parts.netloc.partition("@")
        host = host.lower()
        suffix = next((s for s in _HOST_SUFFIXES if host.endswith(s)), None)
        account = host[: -len(suffix)] if suffix else ""
        if not at or not container or not account or "." in account:
            raise InvalidArgument(
                f"Invalid artifact URI '{uri}': expected {scheme}://<container>@<account>{_HOST_SUFFIXES[0]}/<path>"
            )
        return container, account, root_prefix(parts.path)
    if scheme == "az" and parts.netloc:
        return parts.netloc, None, root_prefix(parts.path)
    raise InvalidArgument(f"Invalid artifact URI '{uri}': expected wasbs://, abfss:// or az://")


def azure_filesystem(account: str | None, **overrides: Any) -> Any:
    """An ``adlfs.AzureBlobFileSystem`` with credentials from ``overrides`` or the environment."""
    options: dict[str, Any] = {"use_listings_cache": False}  # instances are shared (fsspec cache)
    if account:
        options["account_name"] = account
    if not _has_credentials(overrides):
        options.update(_credentials_from_env())
    options.update(overrides)
    return adlfs.AzureBlobFileSystem(**options)


def _has_credentials(options: dict[str, Any]) -> bool:
    return any(options.get(k) for k in ("connection_string", "account_key", "sas_token", "credential", "anon"))


def _credentials_from_env() -> dict[str, Any]:
    env = os.environ
    if env.get("AZURE_STORAGE_CONNECTION_STRING"):
        return {"connection_string": env["AZURE_STORAGE_CONNECTION_STRING"]}
    key = env.get("AZURE_STORAGE_ACCESS_KEY") or env.get("AZURE_STORAGE_KEY")
    if key:
        return {"account_key": key}
    if env.get("AZURE_STORAGE_SAS_TOKEN"):
        return {"sas_token": env["AZURE_STORAGE_SAS_TOKEN"]}
    return {"credential": _default_credential(), "anon": False}


@functools.cache
def _default_credential() -> Any:
    """One ``DefaultAzureCredential`` per process (it caches tokens; fsspec then reuses the filesystem)."""
    from azure.identity.aio import DefaultAzureCredential  # adlfs' async client wants an async credential

    return DefaultAzureCredential()


class AzureArtifactRepository(FsspecArtifactRepository):
    """Files below one container path of an Azure storage account."""

    def __init__(self, root_uri: str, *, storage_options: dict[str, Any] | None = None) -> None:
        container, account, prefix = parse_azure_uri(root_uri)
        self.container = container
        self.account = account
        self.prefix = prefix
        fs = azure_filesystem(account, **(storage_options or {}))
        super().__init__(root_uri, fs, f"{container}/{prefix}" if prefix else container)

    # -- PresignedUrls (SAS, needs the account key) ---------------------------

    def can_presign(self) -> bool:
        return self._signing_key() is not None

    def presigned_download_url(self, path: str, expiration_s: int = 900) -> str:
        return self._sas_url(path, expiration_s, read=True)

    def presigned_upload_url(self, path: str, expiration_s: int = 900) -> str:
        return self._sas_url(path, expiration_s, create=True, write=True)

    def _signing_key(self) -> tuple[str, str] | None:
        """(account name, account key) from the connection string or the filesystem, if any."""
        connection_string = getattr(self.fs, "connection_string", None)
        if connection_string:
            fields = dict(
                part.split("=", 1) for part in str(connection_string).split(";") if "=" in part
            )
            name, key = fields.get("AccountName"), fields.get("AccountKey")
            return (name, key) if name and key else None
        key = getattr(self.fs, "account_key", None)
        name = getattr(self.fs, "account_name", None)
        return (str(name), str(key)) if key and name else None

    def _sas_url(self, path: str, expiration_s: int, **permissions: bool) -> str:
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        rel = safe_relpath(path)
        if not rel:
            raise invalid_path("a file name is required")
        signing = self._signing_key()
        if signing is None:
            raise NotImplementedByServer("Presigned URLs on Azure need the storage account key")
        blob = self._key(rel).split("/", 1)[1]
        sas = generate_blob_sas(
            account_name=signing[0],
            container_name=self.container,
            blob_name=blob,
            account_key=signing[1],
            permission=BlobSasPermissions(**permissions),
            expiry=datetime.now(UTC) + timedelta(seconds=expiration_s),
        )
        url = self.fs.service_client.get_blob_client(self.container, blob).url
        return f"{url}?{sas}"
