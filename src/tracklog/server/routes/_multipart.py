"""MLflow's multipart-upload and presigned-download calls on the artifacts destination.

The official client, for files of at least ``MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE``
(500 MB by default) when ``server-info`` says ``multipart_uploads_enabled`` (or
``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true``), calls::

    POST /api/2.0/mlflow-artifacts/mpu/create/<dir>    {"path": <local file>, "num_parts": N}
      -> {"upload_id": ..., "credentials": [{"url", "part_number", "headers"}, ...]}
    PUT  <each credential url>  (the part's bytes, straight to the store)
    POST /api/2.0/mlflow-artifacts/mpu/complete/<dir> {"path", "upload_id", "parts": [{"part_number", "etag", "url"}]}
    POST /api/2.0/mlflow-artifacts/mpu/abort/<dir>    {"path", "upload_id"}   (after any failure)

The destination file is ``<dir>/<basename of path>``. Only repositories that
implement :class:`~tracklog.artifacts.base.MultipartUploads` (S3) take part;
any other answers 501 with the exact message the client matches to fall back
to one streamed ``PUT``. Nothing is visible before ``complete`` (S3 publishes
the object only then) and ``abort`` drops the staged parts.

``GET /api/2.0/mlflow-artifacts/presigned/<path>`` answers ``{url, headers,
file_size}`` for repositories that implement
:class:`~tracklog.artifacts.base.PresignedUrls`, else 501 (the client then
downloads through the proxy).
"""

from __future__ import annotations

import os
from typing import Any

from tracklog.artifacts.base import ArtifactRepository, MultipartUploads, PresignedUrls
from tracklog.exceptions import InvalidArgument, NotFound, NotImplementedByServer
from tracklog.server.artifact_access import ArtifactScope
from tracklog.server.request import Params

__all__ = ["ACTIONS", "MAX_BODY", "handle", "multipart_uploads", "presigned_download", "presigned_downloads"]

ACTIONS = ("create", "complete", "abort")
MAX_BODY = 4 * 1024 * 1024  # 10,000 parts with presigned URLs stay far below this
MAX_PARTS = 10_000

# The official client falls back to a plain PUT / proxied GET only on these exact texts.
UNSUPPORTED_UPLOAD = "Multipart upload is not supported for the current artifact repository"
UNSUPPORTED_DOWNLOAD = "Multipart download is not supported for the current artifact repository"
DEFAULT_URL_TTL_S = 300


def multipart_uploads(repo: ArtifactRepository) -> bool:
    """Whether ``repo`` takes part in the multipart-upload protocol (what ``server-info`` advertises)."""
    return isinstance(repo, MultipartUploads)


def presigned_downloads(repo: ArtifactRepository) -> bool:
    return isinstance(repo, PresignedUrls)


def handle(scope: ArtifactScope, action: str, directory: str, p: Params) -> dict[str, Any]:
    """Run one ``mpu/<action>`` call; ``directory`` is the URL's path, ``p`` the JSON body."""
    target = scope.full_path(_join(directory, _file_name(p.req_str("path"))))
    repo = scope.repo
    if not isinstance(repo, MultipartUploads):
        raise NotImplementedByServer(UNSUPPORTED_UPLOAD)
    if action == "create":
        num_parts = p.opt_int("num_parts") or 1
        if not 1 <= num_parts <= MAX_PARTS:
            raise InvalidArgument(f"num_parts must be between 1 and {MAX_PARTS}")
        upload_id, credentials = repo.create_multipart_upload(target, num_parts)
        return {"upload_id": upload_id, "credentials": credentials}
    upload_id = p.req_str("upload_id")
    if action == "complete":
        parts = [part.raw_dict() for part in p.obj_list("parts")]
        if not parts:
            raise InvalidArgument("Missing value for required parameter 'parts'")
        repo.complete_multipart_upload(target, upload_id, parts)
    else:
        repo.abort_multipart_upload(target, upload_id)
    return {}


def presigned_download(scope: ArtifactScope, path: str) -> dict[str, Any]:
    repo = scope.repo
    if not isinstance(repo, PresignedUrls):
        raise NotImplementedByServer(UNSUPPORTED_DOWNLOAD)
    size = scope.file_size(path)
    if size is None:
        raise NotFound(f"Artifact '{path}' does not exist")
    url = repo.presigned_download_url(scope.full_path(path), _url_ttl())
    return {"url": url, "headers": {}, "file_size": size}


def _file_name(local_path: str) -> str:
    """The base name of the client's local file (POSIX or Windows spelling)."""
    name = local_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if name in ("", ".", ".."):
        raise InvalidArgument(f"Invalid value for parameter 'path': no file name in {local_path!r}")
    return name


def _join(directory: str, name: str) -> str:
    directory = directory.strip("/")
    return f"{directory}/{name}" if directory else name


def _url_ttl() -> int:
    raw = os.environ.get("MLFLOW_PRESIGNED_DOWNLOAD_URL_TTL_SECONDS", "")
    try:
        ttl = int(raw) if raw.strip() else DEFAULT_URL_TTL_S
    except ValueError:
        return DEFAULT_URL_TTL_S
    return min(max(ttl, 1), 604_800)
