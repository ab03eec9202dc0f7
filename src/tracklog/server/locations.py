"""Which experiment artifact locations a client may choose.

A location must lie inside the server's default artifact root (``mlflow-artifacts:/``
when serving artifacts, else the configured root) and pass the artifact-URI checks
(no traversal in any component, no query, fragment or ``;``, known scheme), so
``file:///etc`` or ``http:///#/../../etc/`` are refused with 400.
"""

from __future__ import annotations

from tracklog.artifacts.uri import validate_artifact_location
from tracklog.server.artifact_access import PROXY_SCHEME
from tracklog.server.settings import Settings

__all__ = ["check_experiment_location"]


def check_experiment_location(settings: Settings, location: str) -> str:
    root = settings.default_artifact_root or ""
    roots = [root] if root else []
    schemes = _known_schemes() | {PROXY_SCHEME}
    return validate_artifact_location(location, roots, allowed_schemes=schemes)


def _known_schemes() -> set[str]:
    from tracklog.artifacts.registry import known_schemes

    return set(known_schemes()) | {"", "file"}
