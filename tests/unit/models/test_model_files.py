"""What every flavor's save_model shares: the input example and signature, and MLmodel's closing fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tracklog import __version__
from tracklog.models.mlmodel import MLmodel
from tracklog.models.signature import describe_inputs


def _described(tmp_path: Path, signature: Any, example: Any, predict: Any) -> MLmodel:
    meta = MLmodel()
    describe_inputs(meta, tmp_path, signature, example, predict)
    return meta


def test_signature_is_inferred_from_the_first_rows(tmp_path: Path) -> None:
    seen: list[int] = []

    def predict(x: Any) -> Any:
        seen.append(len(x))
        return x.sum(axis=1)

    meta = _described(tmp_path, None, np.ones((20, 3)), predict)
    assert seen == [5]
    assert meta.signature is not None and json.loads(meta.signature["inputs"])
    assert meta.saved_input_example_info is not None
    assert len(json.loads((tmp_path / meta.saved_input_example_info["artifact_path"]).read_text())) == 5


def test_given_or_refused_signature_is_not_inferred(tmp_path: Path) -> None:
    def never(x: Any) -> Any:
        raise AssertionError("not called")

    given = {"inputs": "[]", "outputs": None, "params": None}
    assert _described(tmp_path, given, np.ones((2, 2)), never).signature == given
    refused = _described(tmp_path, False, np.ones((2, 2)), never)
    assert refused.signature is None and refused.saved_input_example_info is not None
    nothing = _described(tmp_path / "none", None, None, never)
    assert nothing.signature is None and nothing.saved_input_example_info is None


def test_failed_prediction_saves_without_a_signature(tmp_path: Path) -> None:
    def broken(x: Any) -> Any:
        raise ValueError("no predict here")

    with pytest.warns(UserWarning, match="could not infer a model signature: no predict here"):
        meta = _described(tmp_path, None, np.ones((2, 2)), broken)
    assert meta.signature is None and meta.saved_input_example_info is not None


def test_finish_records_version_size_and_metadata(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "model.bin").write_bytes(b"x" * 100)
    meta = MLmodel()
    meta.add_flavor("python_function", loader_module="m")
    meta.finish(tmp_path, {"owner": "me"})
    loaded = MLmodel.load(tmp_path)
    assert loaded.extra["tracklog_version"] == __version__ and loaded.extra["metadata"] == {"owner": "me"}
    assert loaded.model_size_bytes == 100
    MLmodel().finish(tmp_path / "data")
    assert "metadata" not in MLmodel.load(tmp_path / "data").extra
