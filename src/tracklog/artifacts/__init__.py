"""Artifact storage: one repository per backend, chosen by URI scheme.

    from tracklog.artifacts import get_repository
    repo = get_repository("file:///data/mlruns/1/abc/artifacts")
    repo.log_artifact("model.pkl", "model")

Every path argument goes through :func:`tracklog.artifacts.paths.safe_relpath`.
"""

from tracklog.artifacts.base import ArtifactRepository, MultipartUploads, PresignedUrls
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.artifacts.paths import contained, safe_relpath
from tracklog.artifacts.registry import get_repository, known_schemes, register_scheme
from tracklog.artifacts.uri import append_path, is_local_uri, local_path_from_uri, validate_artifact_location

__all__ = [
    "ArtifactRepository",
    "LocalArtifactRepository",
    "MultipartUploads",
    "PresignedUrls",
    "append_path",
    "contained",
    "get_repository",
    "is_local_uri",
    "known_schemes",
    "local_path_from_uri",
    "register_scheme",
    "safe_relpath",
    "validate_artifact_location",
]
