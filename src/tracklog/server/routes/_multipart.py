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
implement :class:`~tracklog.artifacts.base.MultipartUploads` and can sign URLs
now take part (S3: presigned ``UploadPart``; Azure with the account key: SAS
``Put Block`` URLs committed by ``Put Block List``); any other answers 501
with the exact message the client matches to fall back to one streamed
``PUT``. Nothing is visible before ``complete`` (S3 and Azure publish the
object only then) and ``abort`` drops the staged parts (Azure: leaves them to
its 7-day garbage collection).

``GET /api/2.0/mlflow-artifacts/presigned/<path>`` answers ``{url, headers,
file_size}`` for repositories that implement
:class:`~tracklog.artifacts.base.PresignedUrls`, else 501 (the client then
downloads through the proxy).

``POST /api/2.0/mlflow/artifacts/presigned-upload-url`` and
``presigned-download-url`` (``run_id``, ``path``, ``expiration``) do the same
for a run whose artifacts live directly in a store (not proxied).
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
UNSUPPORTED_PRESIGNED = "Presigned {} is not supported for the current artifact repository"
DEFAULT_URL_TTL_S = 300
MAX_URL_TTL_S = 604_800  # cloud providers cap signed-URL lifetimes at 7 days


def multipart_uploads(repo: ArtifactRepository) -> bool:
    """Whether ``repo`` takes part in the multipart-upload protocol (what ``server-info`` advertises)."""
    return isinstance(repo, MultipartUploads) and _can_sign(repo)


def presigned_downloads(repo: ArtifactRepository) -> bool:
    """Whether ``repo`` can hand out download URLs now (Azure and GCS need a key to sign with)."""
    return isinstance(repo, PresignedUrls) and _can_sign(repo)


def _can_sign(repo: object) -> bool:
    can_presign = getattr(repo, "can_presign", None)
    return bool(can_presign()) if callable(can_presign) else True


def handle(scope: ArtifactScope, action: str, directory: str, p: Params) -> dict[str, Any]:
    """Run one ``mpu/<action>`` call; ``directory`` is the URL's path, ``p`` the JSON body."""
    target = scope.full_path(_join(directory, _file_name(p.req_str("path"))))
    repo = scope.repo
    if not isinstance(repo, MultipartUploads) or not multipart_uploads(repo):
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
    if not isinstance(repo, PresignedUrls) or not presigned_downloads(repo):
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
    return min(max(ttl, 1), MAX_URL_TTL_S)


def run_presigned_url(scope: ArtifactScope, uri: str, p: Params, upload: bool) -> dict[str, Any]:
    """A presigned upload or download URL below a run's direct artifact root ``uri``."""
    kind = "upload" if upload else "download"
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme in ("http", "https", "mlflow-artifacts"):
        raise InvalidArgument(
            f"Presigned {kind} is not supported for runs with proxied artifact storage "
            f"(artifact URI scheme: {scheme}); it needs a direct cloud storage artifact URI."
        )
    expiration = p.opt_int("expiration")
    if expiration is None:
        expiration = 900 if upload else _url_ttl()
    if not 1 <= expiration <= MAX_URL_TTL_S:
        raise InvalidArgument(f"expiration must be between 1 and {MAX_URL_TTL_S} seconds (got {expiration}).")
    path = p.req_str("path")
    repo = scope.repo
    if not isinstance(repo, PresignedUrls) or not presigned_downloads(repo):
        raise NotImplementedByServer(UNSUPPORTED_PRESIGNED.format(kind))
    if upload:
        return {"presigned_url": repo.presigned_upload_url(scope.full_path(path), expiration), "headers": {}}
    size = scope.file_size(path)
    if size is None:
        raise NotFound(f"Artifact '{path}' does not exist")
    url = repo.presigned_download_url(scope.full_path(path), expiration)
    return {"presigned_url": url, "headers": {}, "file_size": size}
