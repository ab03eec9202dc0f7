"""Entities read and write MLflow's protobuf-JSON shape exactly."""

from __future__ import annotations

import math

import pytest

from tracklog.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklog.entities._wire import double_from_wire, double_to_wire, int_from_wire


@pytest.mark.parametrize(
    ("value", "wire"),
    [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (1.5, 1.5), (-0.0, -0.0),
     (5e-324, 5e-324)],
)
def test_double_round_trip(value: float, wire: object) -> None:
    encoded = double_to_wire(value)
    if isinstance(wire, str):
        assert encoded == wire
    decoded = double_from_wire(encoded)
    if math.isnan(value):
        assert math.isnan(decoded)
    else:
        assert decoded == value and math.copysign(1, decoded) == math.copysign(1, value)


def test_int64_accepts_numbers_and_strings() -> None:
    assert int_from_wire("9223372036854775807") == 2**63 - 1
    assert int_from_wire(12.0) == 12
    for bad in (True, 1.5, "x", None):
        with pytest.raises((ValueError, TypeError)):
            int_from_wire(bad)


def test_metric_round_trip_keeps_non_finite() -> None:
    m = Metric("loss", math.inf, 1700000000000, 3, model_id="m-1")
    wire = m.to_dict()
    assert wire == {
        "key": "loss", "value": "Infinity", "timestamp": 1700000000000, "step": 3, "model_id": "m-1"
    }
    assert Metric.from_dict(wire) == m


def test_enum_parsing_by_name_and_number() -> None:
    assert RunStatus.parse("FINISHED") is RunStatus.FINISHED
    assert RunStatus.parse(3) is RunStatus.FINISHED
    assert RunStatus.parse("finished") is RunStatus.FINISHED
    assert ViewType.parse("ALL") is ViewType.ALL and ViewType.parse(2) is ViewType.DELETED_ONLY
    assert LoggedModelStatus.parse("LOGGED_MODEL_READY") is LoggedModelStatus.READY
    assert LifecycleStage.parse("deleted") is LifecycleStage.DELETED
    with pytest.raises(ValueError, match="expected one of"):
        RunStatus.parse("DONE")
    with pytest.raises(ValueError):
        RunStatus.parse(True)


def test_run_wire_shape() -> None:
    run = Run(
        info=RunInfo("abc", "1", "name", "me", RunStatus.RUNNING, 10, None, "mlflow-artifacts:/1/abc/a"),
        data=RunData(metrics=(Metric("m", math.nan, 5, 0),), params=(Param("p", "1"),), tags=(RunTag("t", "v"),)),
        inputs=RunInputs(dataset_inputs=(DatasetInput(Dataset("d", "123", "code", "{}"),
                                                      (InputTag("mlflow.data.context", "train"),)),)),
        outputs=RunOutputs((LoggedModelOutput("m-1", 2),)),
    )
    wire = run.to_dict()
    assert wire["info"]["run_uuid"] == wire["info"]["run_id"] == "abc"
    assert "end_time" not in wire["info"]
    assert wire["data"]["metrics"][0]["value"] == "NaN"
    assert wire["outputs"] == {"model_outputs": [{"model_id": "m-1", "step": 2}]}
    back = Run.from_dict(wire)
    assert back.info == run.info and back.data.params == run.data.params
    assert back.inputs == run.inputs and back.outputs == run.outputs
    assert math.isnan(back.data.metric_list[0].value)


def test_empty_run_data_is_empty_object() -> None:
    assert RunData().to_dict() == {} and RunInputs().to_dict() == {} and RunOutputs().to_dict() == {}


def test_experiment_and_logged_model_round_trip() -> None:
    exp = Experiment("7", "a/b/c", "mlflow-artifacts:/7", LifecycleStage.ACTIVE, 1, 2, (ExperimentTag("k", "v"),))
    assert Experiment.from_dict(exp.to_dict()) == exp
    assert exp.tags_dict == {"k": "v"}
    model = LoggedModel("m-1", "7", "model", "mlflow-artifacts:/7/models/m-1/artifacts", 1, 2,
                        source_run_id="r", model_type="sklearn")
    assert LoggedModel.from_dict(model.to_dict()) == model
    assert model.model_uri == "models:/m-1"


def test_unknown_fields_are_ignored() -> None:
    exp = Experiment.from_dict({"experiment_id": "1", "name": "x", "artifact_location": "a", "workspace": "default"})
    assert exp.name == "x"
