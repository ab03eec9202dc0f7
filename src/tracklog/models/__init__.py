"""MLflow's model format: ``MLmodel``, signatures, environments, model URIs and integrity hashes.

Flavors (``tracklog.sklearn``) build on these pieces; ``tracklog.pyfunc`` loads
any model whose ``python_function`` flavor names a loader tracklog knows.
"""

from __future__ import annotations

from tracklog.models.environment import log_environment
from tracklog.models.errors import ModelIntegrityError, UntrustedModelError
from tracklog.models.mlmodel import MLmodel
from tracklog.models.publish import ModelInfo
from tracklog.models.signature import infer_signature
from tracklog.models.uri import ResolvedModel, resolve_model

__all__ = [
    "MLmodel",
    "ModelInfo",
    "ModelIntegrityError",
    "ResolvedModel",
    "UntrustedModelError",
    "infer_signature",
    "log_environment",
    "resolve_model",
]
