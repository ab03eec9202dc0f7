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
downloads, create/write for uploads; and takes part in MLflow's multipart
upload (``MultipartUploads``): ``create`` returns one SAS ``Put Block`` URL per
part, the client ``PUT``s each part there, ``complete`` commits the blocks with
``Put Block List`` (only then is the blob visible or replaced), ``abort``
leaves the uncommitted blocks to Azure's garbage collection (7 days; there is
no call that deletes them). Without an account key (token credentials) it
cannot sign, and :meth:`AzureArtifactRepository.can_presign` says so.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import secrets
from typing import Any
from urllib.parse import quote, urlsplit

import adlfs  # a missing 'azure' extra must fail at import (the registry turns it into MissingExtra)

from tracklog.artifacts._fsspec import FsspecArtifactRepository, root_prefix
from tracklog.artifacts._obstore_stores import azure_object_io, optional_object_io
from tracklog.exceptions import InvalidArgument, NotFound, NotImplementedByServer

__all__ = ["AzureArtifactRepository", "azure_filesystem", "azure_options", "parse_azure_uri"]

_HOST_SUFFIXES = (".blob.core.windows.net", ".dfs.core.windows.net")
MAX_BLOCKS = 50_000  # Azure's limit on blocks per blob
MPU_URL_TTL_S = 3600
_UPLOAD_ID = re.compile(r"[0-9a-f]{24}")


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


def azure_options(account: str | None, **overrides: Any) -> dict[str, Any]:
    """adlfs options: credentials from ``overrides`` or the environment."""
    options: dict[str, Any] = {"use_listings_cache": False}  # instances are shared (fsspec cache)
    if account:
        options["account_name"] = account
    if not _has_credentials(overrides):
        options.update(_credentials_from_env())
    options.update(overrides)
    return options


def azure_filesystem(account: str | None, **overrides: Any) -> Any:
    """An ``adlfs.AzureBlobFileSystem`` with credentials from ``overrides`` or the environment."""
    return adlfs.AzureBlobFileSystem(**azure_options(account, **overrides))


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
        options = azure_options(account, **(storage_options or {}))
        fast = optional_object_io(azure_object_io, container, options.get("account_name"), options)
        fs = adlfs.AzureBlobFileSystem(**options)
        super().__init__(root_uri, fs, f"{container}/{prefix}" if prefix else container, fast)

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
            fields = dict(part.split("=", 1) for part in str(connection_string).split(";") if "=" in part)
            name, key = fields.get("AccountName"), fields.get("AccountKey")
            return (name, key) if name and key else None
        key = getattr(self.fs, "account_key", None)
        name = getattr(self.fs, "account_name", None)
        return (str(name), str(key)) if key and name else None

    def _sas_url(self, path: str, expiration_s: int, **permissions: bool) -> str:
        blob = self._object_key(path)
        return f"{self._blob_url(blob)}?{self._sas(blob, expiration_s, **permissions)}"

    def _blob_url(self, blob: str) -> str:
        return str(self.fs.service_client.get_blob_client(self.container, blob).url)

    def _sas(self, blob: str, expiration_s: int, **permissions: bool) -> str:
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        signing = self._signing_key()
        if signing is None:
            raise NotImplementedByServer("Presigned URLs on Azure need the storage account key")
        return generate_blob_sas(
            account_name=signing[0],
            container_name=self.container,
            blob_name=blob,
            account_key=signing[1],
            permission=BlobSasPermissions(**permissions),
            expiry=datetime.now(UTC) + timedelta(seconds=expiration_s),
        )

    # -- MultipartUploads (staged blocks through SAS URLs) ---------------------

    def create_multipart_upload(
        self, path: str, num_parts: int, expiration_s: int = MPU_URL_TTL_S
    ) -> tuple[str, list[dict[str, object]]]:
        """A new upload id and one SAS ``Put Block`` URL per part (1-based), MLflow's ``mpu/create`` shape."""
        if not 1 <= num_parts <= MAX_BLOCKS:
            raise InvalidArgument(f"num_parts must be between 1 and {MAX_BLOCKS}")
        blob = self._object_key(path)
        upload_id = secrets.token_hex(12)
        base = f"{self._blob_url(blob)}?{self._sas(blob, expiration_s, write=True)}"
        credentials: list[dict[str, object]] = []
        for number in range(1, num_parts + 1):
            block = quote(base64.b64encode(_block_id(upload_id, number).encode()).decode(), safe="")
            credentials.append({"url": f"{base}&comp=block&blockid={block}", "part_number": number, "headers": {}})
        return upload_id, credentials

    def complete_multipart_upload(self, path: str, upload_id: str, parts: list[dict[str, object]]) -> None:
        """Commit the listed parts' blocks (``Put Block List``): the blob appears or is replaced only now."""
        from azure.core.exceptions import HttpResponseError

        blob = self._object_key(path)
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise NotFound(f"Multipart upload '{upload_id[:64]}' does not exist")
        numbers = sorted({_part_number(part) for part in parts})
        if not numbers:
            raise InvalidArgument("At least one part is required")
        client = self._sync_blob_client(blob)
        wanted = [_block_id(upload_id, n) for n in numbers]
        try:
            _committed, staged = client.get_block_list("uncommitted")
        except HttpResponseError as exc:
            if exc.status_code != 404:
                raise
            staged = []
        staged_ids = {block.id for block in staged}
        missing = [n for n, block in zip(numbers, wanted, strict=True) if block not in staged_ids]
        if len(missing) == len(wanted):
            raise NotFound(f"Multipart upload '{upload_id}' does not exist (no staged parts)")
        if missing:
            raise InvalidArgument(f"Parts {missing[:10]} of upload '{upload_id}' were not uploaded")
        client.commit_block_list(wanted)

    def abort_multipart_upload(self, path: str, upload_id: str) -> None:
        """Nothing to delete: Azure drops uncommitted blocks after 7 days (and on the next commit of this blob)."""
        self._object_key(path)  # the path is still validated

    def _sync_blob_client(self, blob: str) -> Any:
        from azure.storage.blob import BlobClient

        signing = self._signing_key()
        if signing is None:
            raise NotImplementedByServer("Multipart uploads on Azure need the storage account key")
        credential = {"account_name": signing[0], "account_key": signing[1]}
        return BlobClient.from_blob_url(self._blob_url(blob), credential=credential)


def _block_id(upload_id: str, number: int) -> str:
    """Block id before base64 (which the SDK adds); all of a blob's ids have one length, the upload id keeps
    concurrent uploads of one blob apart."""
    return f"{upload_id}-{number:05d}"


def _part_number(part: dict[str, object]) -> int:
    value = part.get("part_number", part.get("PartNumber"))
    try:
        number = int(value) if isinstance(value, int | str) and not isinstance(value, bool) else 0
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_BLOCKS:
        raise InvalidArgument(f"Each part needs a part_number between 1 and {MAX_BLOCKS}")
    return number
