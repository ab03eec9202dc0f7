"""Keras 3 (TensorFlow backend): autolog on real small fits, the model flavor, and cross-loading with mlflow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.integrations.conftest import env_without_tracking

import tracklog
import tracklog.keras
import tracklog.pyfunc
import tracklog.tensorflow
from tracklog.exceptions import InvalidArgument
from tracklog.models import ModelIntegrityError


def _keras() -> Any:
    """Keras, imported on first use: collection on every worker must not pay for TensorFlow's import."""
    import keras  # a dev dependency (the tensorflow extra): never skipped

    return keras

# one worker imports TensorFlow (seconds and ~0.5 GB); the others never do
pytestmark = pytest.mark.xdist_group("tensorflow")

Data = tuple[np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def data() -> Data:
    rng = np.random.default_rng(0)
    X = rng.random((64, 4)).astype("float32")
    return X, (X.sum(axis=1) > 2.0).astype("float32")


def _model(seed: int = 0) -> Any:
    _keras().utils.set_random_seed(seed)
    model = _keras().Sequential([_keras().Input((4,)), _keras().layers.Dense(8, activation="relu"),
                              _keras().layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=_keras().optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture
def autologging() -> Any:
    tracklog.keras.autolog()
    yield
    tracklog.keras.autolog(disable=True)


def _history(client: tracklog.TrackingClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_autolog_logs_params_epoch_metrics_summary_and_model(embedded: Path, data: Data, autologging: Any) -> None:
    X, y = data
    model = _model()
    history = model.fit(X, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    run = tracklog.last_active_run()
    assert run is not None
    client = tracklog.TrackingClient()
    full = client.get_run(run.info.run_id)
    assert full.info.status.value == "FINISHED"  # autolog started the run, so it ended it
    params = full.data.param_dict
    assert params["epochs"] == "2"
    assert params["batch_size"] == "16"
    assert params["validation_split"] == "0.25"
    assert params["opt_name"] == "adam"
    assert float(params["opt_learning_rate"]) == pytest.approx(0.01)
    assert "x" not in params and "callbacks" not in params and "verbose" not in params
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        logged = _history(client, run.info.run_id, key)
        assert [step for step, _ in logged] == [0, 1], key
        np.testing.assert_allclose([v for _, v in logged], history.history[key], rtol=1e-6)
    summary = Path(client.download_artifacts(run.info.run_id, "model_summary.txt")).read_text()
    assert "dense" in summary.lower() and "Total params" in summary
    outputs = full.outputs.model_outputs if full.outputs else ()
    assert len(outputs) == 1
    loaded = tracklog.keras.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    by_id = tracklog.keras.load_model(f"models:/{outputs[0].model_id}")
    np.testing.assert_allclose(by_id.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_autolog_inside_an_active_run_keeps_it_open(embedded: Path, data: Data, autologging: Any) -> None:
    with tracklog.start_run() as run:
        _model().fit(*data, epochs=1, verbose=0)
        assert tracklog.active_run() is not None
        assert tracklog.get_run(run.info.run_id).info.status.value == "RUNNING"
    client = tracklog.TrackingClient()
    assert _history(client, run.info.run_id, "loss")[0][0] == 0


def test_early_stopping_params_and_metrics(embedded: Path, data: Data, autologging: Any) -> None:
    X, y = data
    # min_delta this large means no epoch ever "improves": training stops after patience+1 epochs
    stop = _keras().callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0, restore_best_weights=True)
    history = _model().fit(X, y, epochs=10, callbacks=[stop], verbose=0)
    run = tracklog.last_active_run()
    assert run is not None
    client = tracklog.TrackingClient()
    full = client.get_run(run.info.run_id)
    assert full.data.param_dict["monitor"] == "loss"
    assert full.data.param_dict["patience"] == "1"
    assert full.data.param_dict["restore_best_weights"] == "True"
    assert len(history.epoch) == 2
    assert _history(client, run.info.run_id, "stopped_epoch") == [(0, float(stop.stopped_epoch))]
    assert stop.stopped_epoch == 1
    assert _history(client, run.info.run_id, "restored_epoch") == [(0, 0.0)]
    # the restored epoch's metrics are logged again after the last epoch
    assert _history(client, run.info.run_id, "loss")[-1] == (2, pytest.approx(history.history["loss"][0]))


def test_log_every_n_steps(embedded: Path, data: Data) -> None:
    tracklog.keras.autolog(log_every_epoch=False, log_every_n_steps=2, log_models=False)
    try:
        _model().fit(*data, epochs=1, batch_size=16, verbose=0)  # 4 batches
    finally:
        tracklog.keras.autolog(disable=True)
    run = tracklog.last_active_run()
    assert run is not None
    assert [s for s, _ in _history(tracklog.TrackingClient(), run.info.run_id, "loss")] == [2, 4]
    with pytest.raises(InvalidArgument):
        tracklog.keras.autolog(log_every_epoch=True, log_every_n_steps=3)


def test_failed_fit_marks_the_run_failed_and_propagates(embedded: Path, autologging: Any) -> None:
    with pytest.raises(ValueError):
        _model().fit(np.zeros((4, 7), dtype="float32"), np.zeros(4), epochs=1, verbose=0)  # wrong input width
    run = tracklog.last_active_run()
    assert run is not None
    assert tracklog.get_run(run.info.run_id).info.status.value == "FAILED"
    assert tracklog.active_run() is None


def test_disable_restores_keras_untouched(embedded: Path) -> None:
    before = dict(_keras().Model.__dict__)
    original = _keras().Model.fit
    tracklog.tensorflow.autolog()  # MLflow's other name for the same switch
    assert _keras().Model.fit is not original
    tracklog.autolog(disable=True)
    assert _keras().Model.fit is original
    assert dict(_keras().Model.__dict__).keys() == before.keys()
    assert all(_keras().Model.__dict__[k] is before[k] for k in before)


def test_autolog_before_import_patches_when_keras_is_imported(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import tracklog
        tracklog.autolog()
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules, "autolog imported keras"
        import keras
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.zeros((8, 2), "float32"), np.zeros(8, "float32"), epochs=2, verbose=0)
        run = tracklog.last_active_run()
        history = tracklog.TrackingClient().get_metric_history(run.info.run_id, "loss")
        print("STEPS", [m.step for m in history])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env_without_tracking(),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "STEPS [0, 1]" in done.stdout


def test_save_load_and_pyfunc(tmp_path: Path, data: Data) -> None:
    X, y = data
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    meta = tracklog.keras.save_model(model, tmp_path / "m", input_example=X[:3])
    assert meta.flavor("tensorflow")["model_type"] == "keras"
    assert (tmp_path / "m" / "data" / "model.keras").is_file()
    assert (tmp_path / "m" / "data" / "keras_module.txt").read_text() == "tensorflow.keras"
    assert any(line.startswith("keras==") for line in (tmp_path / "m" / "requirements.txt").read_text().split())
    assert meta.signature is not None
    loaded = tracklog.keras.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    pyfunc = tracklog.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(pyfunc.predict(X.tolist()), model.predict(X, verbose=0), rtol=1e-6)
    assert pyfunc.get_raw_model().__class__.__name__ == "Sequential"
    with pytest.raises(InvalidArgument):
        tracklog.keras.save_model(object(), tmp_path / "other")


def test_tampered_model_is_refused(embedded: Path, data: Data) -> None:
    model = _model()
    with tracklog.start_run():
        info = tracklog.keras.log_model(model, name="model")
    store_file = next(Path(embedded).rglob("data/model.keras"))
    with zipfile.ZipFile(store_file, "a") as archive:
        archive.writestr("extra.txt", "tampered")
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        tracklog.keras.load_model(info.model_uri)


def test_lambda_layers_are_refused_by_safe_mode(tmp_path: Path) -> None:
    inputs = _keras().Input((2,))
    model = _keras().Model(inputs, _keras().layers.Lambda(lambda t: t * 2)(inputs))
    tracklog.keras.save_model(model, tmp_path / "lambda")
    with pytest.raises(ValueError, match="(?i)unsafe|safe_mode"):
        tracklog.keras.load_model(str(tmp_path / "lambda"))


@pytest.mark.compat
def test_models_cross_load_with_the_official_client(remote: str, official_mlflow: Any, data: Data,
                                                    tmp_path: Path) -> None:
    X, y = data
    ours = _model(1)
    ours.fit(X, y, epochs=1, verbose=0)
    with tracklog.start_run():
        info = tracklog.keras.log_model(ours, name="model")
    mlflow: Any = official_mlflow
    theirs_loaded = mlflow.tensorflow.load_model(info.model_uri)
    np.testing.assert_allclose(theirs_loaded.predict(X, verbose=0), ours.predict(X, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(mlflow.pyfunc.load_model(info.model_uri).predict(X)).reshape(-1),
                               ours.predict(X, verbose=0).reshape(-1), rtol=1e-6)

    theirs = _model(2)
    theirs.fit(X, y, epochs=1, verbose=0)
    with mlflow.start_run() as run:
        logged = mlflow.tensorflow.log_model(theirs, name="model")
    for uri in (logged.model_uri, f"runs:/{run.info.run_id}/model"):
        loaded = tracklog.keras.load_model(uri)
        np.testing.assert_allclose(loaded.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-6)
