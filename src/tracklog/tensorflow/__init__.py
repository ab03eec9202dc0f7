"""``tracklog.tensorflow``: MLflow's name for the Keras integration (Keras 3 on the TensorFlow backend).

``tracklog.tensorflow.autolog()`` and ``tracklog.keras.autolog()`` are the same
switch; ``log_model``/``load_model`` handle ``keras.Model`` objects.
"""

from __future__ import annotations

from tracklog.keras import FLAVOR_NAME, ModelInfo, autolog, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "ModelInfo", "autolog", "load_model", "log_model", "save_model"]
