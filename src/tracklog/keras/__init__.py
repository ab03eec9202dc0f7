"""Keras 3 integration: ``save_model``, ``log_model``, ``load_model`` and ``autolog``.

Models are written in MLflow's ``tensorflow`` flavor layout (Keras' ``.keras``
file under ``data/``), so they load with ``mlflow.tensorflow.load_model`` too.
``tracklog.tensorflow`` is the same module under MLflow's other name.
See docs/models.md and docs/autolog.md.
"""

from __future__ import annotations

from tracklog.keras._autolog import autolog
from tracklog.keras._flavor import FLAVOR_NAME, load_model, log_model, save_model
from tracklog.models.publish import ModelInfo

__all__ = ["FLAVOR_NAME", "ModelInfo", "autolog", "load_model", "log_model", "save_model"]
