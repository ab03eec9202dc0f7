"""The official mlflow client against tracklog: artifacts through the proxy, models, autolog."""

from __future__ import annotations

import filecmp
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.compat

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_artifacts_roundtrip(mlflow_client: MlflowClient, tmp_path: Path, tracklog_server: Any) -> None:
    mlflow.set_experiment(_name("artifacts"))
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.json").write_text('{"b": 1}')
    (src / "sub" / "deeper" / "c.bin").write_bytes(os.urandom(4096))
    (src / "page.html").write_text("<script>alert(1)</script>")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(30 * 1024 * 1024))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src / "a.txt"))
        mlflow.log_artifacts(str(src), artifact_path="tree")
        mlflow.log_artifact(str(big), artifact_path="large")
        mlflow.log_text("some text", "notes/readme.md")
        mlflow.log_dict({"k": [1, 2]}, "config/params.json")
    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    top = {f.path: f.is_dir for f in mlflow_client.list_artifacts(run_id)}
    assert top == {"a.txt": False, "tree": True, "large": True, "notes": True, "config": True}
    nested = {f.path for f in mlflow_client.list_artifacts(run_id, "tree/sub")}
    assert nested == {"tree/sub/b.json", "tree/sub/deeper"}
    assert mlflow_client.list_artifacts(run_id, "does-not-exist") == []
    out = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree",
                                                   dst_path=str(tmp_path / "dl")))
    cmp = filecmp.dircmp(src, out)
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files
    assert _sha(out / "sub" / "deeper" / "c.bin") == _sha(src / "sub" / "deeper" / "c.bin")
    got_big = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="large/big.bin",
                                                       dst_path=str(tmp_path / "dl2")))
    assert got_big.stat().st_size == big.stat().st_size and _sha(got_big) == _sha(big)
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.md") == "some text"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {"k": [1, 2]}
    # stored under the artifacts destination, byte for byte
    rel = run.info.artifact_uri[len("mlflow-artifacts:/"):]
    stored = tracklog_server.folder / "artifacts" / rel / "large" / "big.bin"
    assert _sha(stored) == _sha(big)


def _iris() -> tuple[Any, Any]:
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_iris(return_X_y=True, as_frame=True)
    return x, y


def test_sklearn_log_and_load_model(mlflow_client: MlflowClient) -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    x, y = _iris()
    mlflow.set_experiment(_name("sklearn"))
    model = linear_model.LogisticRegression(max_iter=300).fit(x, y)
    with mlflow.start_run() as run:
        mlflow.log_metric("acc", float(model.score(x, y)))
        info = mlflow.sklearn.log_model(model, name="model", input_example=x.iloc[:2],
                                        serialization_format="cloudpickle")
    assert info.model_id.startswith("m-")
    logged = mlflow_client.get_logged_model(info.model_id)
    assert str(logged.status).endswith("READY")
    assert logged.artifact_location.endswith(f"/models/{info.model_id}/artifacts")
    assert logged.source_run_id == run.info.run_id
    expected = model.predict(x.iloc[:5])
    for uri in (f"runs:/{run.info.run_id}/model", f"models:/{info.model_id}"):
        loaded = mlflow.sklearn.load_model(uri)
        assert list(loaded.predict(x.iloc[:5])) == list(expected)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{info.model_id}")
    assert list(pyfunc.predict(x.iloc[:5])) == list(expected)
    run_outputs = mlflow_client.get_run(run.info.run_id).outputs
    assert run_outputs is not None
    assert [o.model_id for o in run_outputs.model_outputs] == [info.model_id]
    found = mlflow.search_logged_models(experiment_ids=[run.info.experiment_id], output_format="list")
    assert [m.model_id for m in found] == [info.model_id]


def test_sklearn_autolog(mlflow_client: MlflowClient) -> None:
    tree = pytest.importorskip("sklearn.tree")
    x, y = _iris()
    mlflow.set_experiment(_name("autolog"))
    mlflow.sklearn.autolog(log_models=True, serialization_format="cloudpickle")
    try:
        with mlflow.start_run() as run:
            tree.DecisionTreeClassifier(max_depth=3).fit(x, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    data = mlflow_client.get_run(run.info.run_id).data
    assert data.params["max_depth"] == "3"
    assert "training_accuracy_score" in data.metrics
    assert data.tags["estimator_name"] == "DecisionTreeClassifier"
    models = mlflow.search_logged_models(experiment_ids=[run.info.experiment_id], output_format="list")
    assert len(models) == 1
    loaded = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")
    assert loaded.predict(x.iloc[:3]).shape == (3,)


def test_sklearn_default_serialization(mlflow_client: MlflowClient) -> None:
    """The default (skops) format: the model must load back by models:/ and runs:/ URIs."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    pytest.importorskip("skops")
    x, y = _iris()
    mlflow.set_experiment(_name("skops"))
    model = linear_model.LogisticRegression(max_iter=300).fit(x, y)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model")
    for uri in (f"models:/{info.model_id}", f"runs:/{run.info.run_id}/model"):
        loaded = mlflow.sklearn.load_model(uri)
        assert list(loaded.predict(x.iloc[:3])) == list(model.predict(x.iloc[:3]))


def test_odd_file_names_roundtrip(mlflow_client: MlflowClient, tmp_path: Path) -> None:
    mlflow.set_experiment(_name("names"))
    src = tmp_path / "odd"
    src.mkdir()
    # (not "a%41.txt": the mlflow client puts file names into the URL unquoted, so any
    # server - MLflow's too - receives and stores "aA.txt")
    names = ["with space.txt", "ünïcode-名前.txt", "100%.txt", "semi;colon.txt", "plus+sign.txt"]
    for i, name in enumerate(names):
        (src / name).write_text(f"content {i}")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(src), artifact_path="odd")
    listed = sorted(f.path for f in mlflow_client.list_artifacts(run.info.run_id, "odd"))
    assert listed == sorted(f"odd/{n}" for n in names)
    out = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="odd",
                                                   dst_path=str(tmp_path / "dl")))
    for i, name in enumerate(names):
        assert (out / name).read_text() == f"content {i}"
