"""scikit-learn integration: ``save_model``, ``log_model``, ``load_model`` and ``autolog``.

Works as MLflow's ``mlflow.sklearn`` does, with safe defaults: models are saved
with skops, and loading verifies the file against the SHA-256 recorded in the
tracking store at log time (see docs/models.md).
"""

from __future__ import annotations

from tracklog.models.publish import ModelInfo
from tracklog.sklearn._autolog import autolog
from tracklog.sklearn._flavor import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "ModelInfo", "autolog", "load_model", "log_model", "save_model"]
