"""Artifacts in Amazon S3 or any S3-compatible store (MinIO, Ceph, R2, moto): ``s3://bucket/prefix``.

Credentials come from the standard AWS chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, config
files, web identity, instance metadata). The endpoint is
``MLFLOW_S3_ENDPOINT_URL`` if set, else whatever botocore resolves
(``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``, then AWS itself).
``MLFLOW_S3_IGNORE_TLS=true`` turns off certificate checks for private
endpoints. Custom endpoints use path-style addressing unless
``MLFLOW_S3_ADDRESSING_STYLE`` says otherwise.

Besides the base interface this repository offers presigned GET/PUT URLs and
client-side multipart uploads with presigned part URLs (the shape of MLflow's
``mpu/create`` response).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import s3fs  # noqa: F401 - a missing 's3' extra must fail at import (the registry turns it into MissingExtra)

from tracklog.artifacts._fsspec import FsspecArtifactRepository, split_bucket_uri
from tracklog.artifacts._obstore_stores import optional_object_io, s3_object_io
from tracklog.exceptions import InvalidArgument, NotFound

__all__ = ["S3ArtifactRepository", "s3_filesystem"]

MAX_PARTS = 10_000  # S3's limit on parts per upload
# Part size of streamed uploads starts at S3's minimum (every part but the last must be
# >= 5 MiB) and grows by that much every 1,000 parts, so 10,000 parts reach ~268 GiB.
PART_SIZE = 5 * 1024 * 1024


def part_size(number: int) -> int:
    """Size of part ``number`` (1-based) of a streamed upload."""
    return PART_SIZE * (1 + (number - 1) // 1000)


def _drain(pending: list[bytes]) -> bytes:
    """Join and release the buffered chunks (so only the joined copy stays alive)."""
    data = b"".join(pending)
    pending.clear()
    return data


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def s3_filesystem(**overrides: Any) -> Any:
    """An ``s3fs.S3FileSystem`` configured from the environment; ``overrides`` win.

    fsspec caches instances by their arguments, so repositories built per request
    share one client (building a botocore client costs far more than a request).
    Listing caches are off: other writers change the bucket behind our back.
    """
    options: dict[str, Any] = {
        "use_listings_cache": False,
        "config_kwargs": {"signature_version": "s3v4"},
    }
    endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL") or overrides.get("endpoint_url")
    if endpoint:
        options["endpoint_url"] = endpoint
    if endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
        style = os.environ.get("MLFLOW_S3_ADDRESSING_STYLE", "path")
        # Third-party S3 servers often reject botocore's default flexible checksums (aws-chunked
        # trailers); send them only where an operation requires one.
        options["config_kwargs"] = {
            **options["config_kwargs"],
            "s3": {"addressing_style": style},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
    if _truthy("MLFLOW_S3_IGNORE_TLS"):
        options["client_kwargs"] = {"verify": False}
    options.update(overrides)
    return s3fs.S3FileSystem(**options)


class S3ArtifactRepository(FsspecArtifactRepository):
    """Files below ``s3://bucket/prefix``."""

    def __init__(self, root_uri: str, *, storage_options: dict[str, Any] | None = None) -> None:
        bucket, prefix = split_bucket_uri(root_uri, "s3")
        self.bucket = bucket
        self.prefix = prefix
        root = f"{bucket}/{prefix}" if prefix else bucket
        options = storage_options or {}
        fast = optional_object_io(s3_object_io, bucket, options)
        super().__init__(root_uri, s3_filesystem(**options), root, fast)
        self.fs.connect()  # build the botocore client now (once per cached filesystem), not mid-upload

    # -- streaming writes -----------------------------------------------------

    def write_stream(self, path: str, chunks: Iterator[bytes]) -> int:
        """One PutObject for small files, else a multipart upload.

        At most one part is buffered, so memory stays near twice the part size
        (the part, and botocore's copy while sending it) whatever the file size.
        The object appears only when the single PUT or ``CompleteMultipartUpload``
        succeeds; any error (including the caller's stream failing) aborts the
        multipart upload so no parts are left behind. With obstore the same
        happens there (10 MiB parts, 3 in flight).
        """
        if self.fast is not None:
            return self.fast.write(self._object_key(path), chunks)
        key = self._object_key(path)
        pending: list[bytes] = []
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, object]] = []
        total = 0
        try:
            for chunk in chunks:
                pending.append(chunk)
                size += len(chunk)
                total += len(chunk)
                if size >= part_size(len(parts) + 1):
                    if upload_id is None:
                        upload_id = self._start_upload(key)
                    parts.append(self._upload_part(key, upload_id, len(parts) + 1, _drain(pending)))
                    size = 0
            if upload_id is None:
                self.fs.call_s3("put_object", Bucket=self.bucket, Key=key, Body=_drain(pending))
                return total
            if pending:
                parts.append(self._upload_part(key, upload_id, len(parts) + 1, _drain(pending)))
            self.fs.call_s3(
                "complete_multipart_upload",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            if upload_id is not None:
                with suppress(Exception):
                    self.fs.call_s3("abort_multipart_upload", Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        return total

    def _start_upload(self, key: str) -> str:
        return str(self.fs.call_s3("create_multipart_upload", Bucket=self.bucket, Key=key)["UploadId"])

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> dict[str, object]:
        if number > MAX_PARTS:
            raise InvalidArgument(f"File too large: more than {MAX_PARTS} parts")
        response = self.fs.call_s3(
            "upload_part", Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": response["ETag"]}

    # -- PresignedUrls --------------------------------------------------------

    def presigned_download_url(self, path: str, expiration_s: int = 900) -> str:
        key = self._object_key(path)
        return str(self.fs.url(f"{self.bucket}/{key}", expires=expiration_s))

    def presigned_upload_url(self, path: str, expiration_s: int = 900) -> str:
        key = self._object_key(path)
        return str(self.fs.url(f"{self.bucket}/{key}", expires=expiration_s, client_method="put_object"))

    # -- MultipartUploads -----------------------------------------------------

    def create_multipart_upload(
        self, path: str, num_parts: int, expiration_s: int = 3600
    ) -> tuple[str, list[dict[str, object]]]:
        """Start an upload; return its id and one presigned ``PUT`` URL per part (1-based)."""
        if not 1 <= num_parts <= MAX_PARTS:
            raise InvalidArgument(f"num_parts must be between 1 and {MAX_PARTS}")
        key = self._object_key(path)
        response = self.fs.call_s3("create_multipart_upload", Bucket=self.bucket, Key=key)
        upload_id = str(response["UploadId"])
        credentials: list[dict[str, object]] = []
        for number in range(1, num_parts + 1):
            url = self.fs.url(
                f"{self.bucket}/{key}",
                expires=expiration_s,
                client_method="upload_part",
                UploadId=upload_id,
                PartNumber=number,
            )
            credentials.append({"url": str(url), "part_number": number, "headers": {}})
        return upload_id, credentials

    def complete_multipart_upload(self, path: str, upload_id: str, parts: list[dict[str, object]]) -> None:
        """Publish the object from its parts (``part_number`` + ``etag``, MLflow's or boto's spelling)."""
        key = self._object_key(path)
        listed = sorted((_part_number(part), _etag(part)) for part in parts)
        if not listed:
            raise InvalidArgument("At least one part is required")
        try:
            self.fs.call_s3(
                "complete_multipart_upload",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in listed]},
            )
        except FileNotFoundError:
            raise NotFound(f"Multipart upload '{upload_id}' does not exist") from None

    def abort_multipart_upload(self, path: str, upload_id: str) -> None:
        key = self._object_key(path)
        try:
            self.fs.call_s3("abort_multipart_upload", Bucket=self.bucket, Key=key, UploadId=upload_id)
        except FileNotFoundError:
            raise NotFound(f"Multipart upload '{upload_id}' does not exist") from None


def _part_number(part: dict[str, object]) -> int:
    value = part.get("part_number", part.get("PartNumber"))
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidArgument("Each part needs an integer part_number")
    try:
        number = int(value)
    except ValueError:
        raise InvalidArgument("Each part needs an integer part_number") from None
    if not 1 <= number <= MAX_PARTS:
        raise InvalidArgument(f"part_number must be between 1 and {MAX_PARTS}")
    return number


def _etag(part: dict[str, object]) -> str:
    value = part.get("etag", part.get("ETag"))
    if not isinstance(value, str) or not value:
        raise InvalidArgument("Each part needs its etag")
    return value
