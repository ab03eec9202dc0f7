"""Model signatures and input examples in MLflow's JSON shapes.

A numpy array becomes a tensor spec (``{"type": "tensor", "tensor-spec":
{"dtype": "float64", "shape": [-1, 2]}}``); a pandas DataFrame becomes column
specs (``{"type": "double", "name": "x", "required": true}``). Both are stored
in ``MLmodel`` as JSON strings, as MLflow does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracklog.models.mlmodel import MLmodel

__all__ = ["infer_signature", "save_input_example", "schema_of", "signature_dict"]

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"

# numpy dtype kind/name -> MLflow column type
_COLUMN_TYPES = {
    "float64": "double",
    "float32": "float",
    "int64": "long",
    "int32": "integer",
    "int16": "integer",
    "int8": "integer",
    "bool": "boolean",
    "object": "string",
    "str": "string",
    "string": "string",
    "datetime64[ns]": "datetime",
}


def _is_dataframe(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "dtypes") and hasattr(data, "columns")


def _as_array(data: Any) -> Any:
    import numpy as np

    if _is_dataframe(data) or type(data).__name__ == "Series":
        return data.to_numpy()
    return np.asarray(data)


def schema_of(data: Any) -> list[dict[str, Any]]:
    """The MLflow schema (list of specs) describing ``data``."""
    if _is_dataframe(data):
        return [
            {"type": _COLUMN_TYPES.get(str(dtype), "string"), "name": str(name), "required": True}
            for name, dtype in data.dtypes.items()
        ]
    array = _as_array(data)
    shape = [-1, *array.shape[1:]] if array.ndim else [-1]
    return [{"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": shape}}]


def infer_signature(model_input: Any, model_output: Any = None) -> dict[str, Any]:
    """The ``signature`` section of ``MLmodel``: JSON-encoded input/output schemas."""
    return {
        "inputs": json.dumps(schema_of(model_input)),
        "outputs": json.dumps(schema_of(model_output)) if model_output is not None else None,
        "params": None,
    }


def head(data: Any, rows: int = 5) -> Any:
    """The first ``rows`` rows of an array, DataFrame or list."""
    if _is_dataframe(data):
        return data.head(rows)
    return _as_array(data)[:rows]


def save_input_example(directory: str | os.PathLike[str], example: Any) -> dict[str, Any]:
    """Write ``input_example.json`` and ``serving_input_example.json``; return MLmodel's info section."""
    folder = Path(directory)
    if _is_dataframe(example):
        split = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        body: dict[str, Any] = {"columns": split["columns"], "data": split["data"]}
        serving: dict[str, Any] = {"dataframe_split": body}
        info = {"artifact_path": INPUT_EXAMPLE_FILE, "type": "dataframe", "pandas_orient": "split"}
        (folder / INPUT_EXAMPLE_FILE).write_text(json.dumps(body), encoding="utf-8")
    else:
        values = _as_array(example).tolist()
        serving = {"inputs": values}
        info = {"artifact_path": INPUT_EXAMPLE_FILE, "type": "ndarray"}
        (folder / INPUT_EXAMPLE_FILE).write_text(json.dumps(values), encoding="utf-8")
    (folder / SERVING_EXAMPLE_FILE).write_text(json.dumps(serving, indent=2), encoding="utf-8")
    info["serving_input_path"] = SERVING_EXAMPLE_FILE
    return info


def describe_inputs(meta: MLmodel, folder: Path, signature: Any, input_example: Any,
                    predict: Callable[[Any], Any]) -> None:
    """Save ``input_example`` (its first rows) into ``folder`` and set ``meta``'s signature: the given one,
    else inferred from the example and ``predict``'s answer (not with ``signature=False``; a model whose
    prediction fails is saved without one, with a warning)."""
    example = head(input_example) if input_example is not None else None
    if example is not None:
        meta.saved_input_example_info = save_input_example(folder, example)
    meta.signature = signature_dict(signature)
    if meta.signature is None and example is not None and signature is not False:
        try:
            meta.signature = infer_signature(example, predict(example))
        except Exception as exc:  # noqa: BLE001 - a signature is optional; the model is still saved
            import warnings

            warnings.warn(f"tracklog: could not infer a model signature: {exc}", stacklevel=4)


def signature_dict(signature: Any) -> dict[str, Any] | None:
    """A ``signature=`` argument of ``log_model`` as MLflow's dict (None/False: no signature)."""
    if signature is None or signature is False:
        return None
    if isinstance(signature, dict):
        return signature
    to_dict = getattr(signature, "to_dict", None)
    if callable(to_dict) and isinstance(value := to_dict(), dict):
        return value
    from tracklog.exceptions import InvalidArgument

    raise InvalidArgument("signature must be a dict in MLflow's shape or an object with to_dict()")
