"""tracklog.sklearn: save/log/load round trips, URIs, and the serialization-safety rules (embedded store)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression

import tracklog
import tracklog.pyfunc
import tracklog.sklearn
from tracklog.entities import LoggedModelStatus
from tracklog.exceptions import InvalidArgument
from tracklog.models import ModelIntegrityError, UntrustedModelError
from tracklog.models.hashing import SHA256_TAG, sha256_file

Data = tuple[np.ndarray, np.ndarray]


def _forest(data: Data) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(*data)


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
def test_log_and_load_round_trip(embedded: Path, regression_data: Data, fmt: str) -> None:
    X, _ = regression_data
    model = _forest(regression_data)
    with tracklog.start_run() as run:
        tracklog.log_param("n_estimators", 3)
        tracklog.log_metric("rmse", 0.25)
        info = tracklog.sklearn.log_model(model, "model", serialization_format=fmt, input_example=X[:4])
    assert info.model_uri == f"models:/{info.model_id}" and info.model_id.startswith("m-")
    assert info.run_id == run.info.run_id

    client = tracklog.TrackingClient()
    logged = client.store.get_logged_model(info.model_id)
    assert logged.status == LoggedModelStatus.READY
    assert logged.source_run_id == run.info.run_id and logged.name == "model"
    assert logged.params == {"n_estimators": "3"}
    assert logged.artifact_uri.endswith(f"/models/{info.model_id}/artifacts")
    tags = logged.tags
    model_file = "model.skops" if fmt == "skops" else "model.pkl"
    assert tags[SHA256_TAG] == sha256_file(Path(logged.artifact_uri) / model_file)
    outputs = client.get_run(run.info.run_id).outputs
    assert [o.model_id for o in outputs.model_outputs] == [info.model_id]

    files = sorted(p.name for p in Path(logged.artifact_uri).iterdir())
    assert files == sorted(
        [
            "MLmodel",
            model_file,
            "conda.yaml",
            "python_env.yaml",
            "requirements.txt",
            "input_example.json",
            "serving_input_example.json",
        ]
    )
    mlmodel = yaml.safe_load((Path(logged.artifact_uri) / "MLmodel").read_text())
    assert mlmodel["model_id"] == info.model_id and mlmodel["run_id"] == run.info.run_id
    assert mlmodel["artifact_path"] == "model"
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == fmt
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert json.loads(mlmodel["signature"]["inputs"])[0]["tensor-spec"]["shape"] == [-1, 3]
    requirements = (Path(logged.artifact_uri) / "requirements.txt").read_text().split()
    assert any(r.startswith("scikit-learn==") for r in requirements)
    assert any(r.startswith(f"{fmt}==") for r in requirements)

    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        loaded = tracklog.sklearn.load_model(uri)
        np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(tracklog.pyfunc.load_model(info.model_uri).predict(X), model.predict(X))


def test_name_keyword_and_no_active_run(embedded: Path, regression_data: Data) -> None:
    model = LinearRegression().fit(*regression_data)
    info = tracklog.sklearn.log_model(model, name="linear")
    assert info.run_id is None
    assert tracklog.sklearn.load_model(info.model_uri).coef_.tolist() == model.coef_.tolist()


def test_registered_model_name_is_a_clear_error(embedded: Path, regression_data: Data) -> None:
    with pytest.raises(InvalidArgument, match="no model registry"):
        tracklog.sklearn.log_model(LinearRegression().fit(*regression_data), "m", registered_model_name="prod")


def test_failed_upload_marks_the_model(embedded: Path, regression_data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.artifacts.local import LocalArtifactRepository

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LocalArtifactRepository, "log_artifacts", disk_full)
    with tracklog.start_run() as run, pytest.raises(OSError, match="disk full"):
        tracklog.sklearn.log_model(LinearRegression().fit(*regression_data), "model")
    client = tracklog.TrackingClient()
    (model,) = client.store.search_logged_models([run.info.experiment_id])
    assert model.status == LoggedModelStatus.UPLOAD_FAILED


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
def test_tampered_file_is_refused(embedded: Path, regression_data: Data, fmt: str) -> None:
    with tracklog.start_run():
        info = tracklog.sklearn.log_model(_forest(regression_data), "model", serialization_format=fmt)
    artifacts = Path(tracklog.TrackingClient().store.get_logged_model(info.model_id).artifact_uri)
    model_file = artifacts / ("model.skops" if fmt == "skops" else "model.pkl")
    replacement = LinearRegression().fit(*regression_data)
    model_file.unlink()
    tracklog.sklearn.save_model(replacement, artifacts / "other", serialization_format=fmt)
    (artifacts / "other" / model_file.name).rename(model_file)
    with pytest.raises(ModelIntegrityError, match="modified after logging"):
        tracklog.sklearn.load_model(info.model_uri)
    with pytest.raises(ModelIntegrityError):
        tracklog.pyfunc.load_model(info.model_uri)


def test_mlmodel_pointing_elsewhere_is_refused(embedded: Path, regression_data: Data) -> None:
    with tracklog.start_run():
        info = tracklog.sklearn.log_model(_forest(regression_data), "model")
    artifacts = Path(tracklog.TrackingClient().store.get_logged_model(info.model_id).artifact_uri)
    mlmodel = yaml.safe_load((artifacts / "MLmodel").read_text())
    mlmodel["flavors"]["sklearn"]["pickled_model"] = "../../../../evil.pkl"
    (artifacts / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(InvalidArgument, match="outside the model directory"):
        tracklog.sklearn.load_model(info.model_uri)


def test_python_tags_in_mlmodel_are_not_executed(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(InvalidArgument, match="plain YAML"):
        tracklog.sklearn.load_model(tmp_path)
    assert not (tmp_path / "pwned").exists()


def test_files_without_recorded_hash_need_an_opt_in(tmp_path: Path, regression_data: Data) -> None:
    X, _ = regression_data
    forest = _forest(regression_data)
    tracklog.sklearn.save_model(forest, tmp_path / "forest")
    with pytest.raises(UntrustedModelError, match=r"sklearn\.tree\._tree\.Tree.*trusted_types"):
        tracklog.sklearn.load_model(tmp_path / "forest")
    loaded = tracklog.sklearn.load_model(tmp_path / "forest", trusted_types=["sklearn.tree._tree.Tree"])
    np.testing.assert_allclose(loaded.predict(X), forest.predict(X))

    linear = LinearRegression().fit(*regression_data)  # only skops' default safe types
    tracklog.sklearn.save_model(linear, tmp_path / "linear")
    assert tracklog.sklearn.load_model(f"file://{tmp_path / 'linear'}").coef_.tolist() == linear.coef_.tolist()

    tracklog.sklearn.save_model(linear, tmp_path / "pickled", serialization_format="cloudpickle")
    with pytest.raises(UntrustedModelError, match="allow_pickle=True"):
        tracklog.sklearn.load_model(tmp_path / "pickled")
    assert tracklog.sklearn.load_model(tmp_path / "pickled", allow_pickle=True).coef_.tolist() == linear.coef_.tolist()


def test_uri_errors(embedded: Path) -> None:
    with pytest.raises(InvalidArgument, match="model registry"):
        tracklog.sklearn.load_model("models:/my-model/1")
    with pytest.raises(InvalidArgument, match="runs:/<run_id>/<model name>"):
        tracklog.sklearn.load_model("runs:/abc")
    with pytest.raises(InvalidArgument, match="serialization_format"):
        tracklog.sklearn.save_model(object(), embedded / "x", serialization_format="joblib")


def test_pyfunc_never_imports_a_loader_named_by_the_file(tmp_path: Path, regression_data: Data) -> None:
    tracklog.sklearn.save_model(LinearRegression().fit(*regression_data), tmp_path / "m")
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    mlmodel["flavors"]["python_function"]["loader_module"] = "os"
    (tmp_path / "m" / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(InvalidArgument, match="cannot load models with loader_module 'os'"):
        tracklog.pyfunc.load_model(tmp_path / "m")
