"""tracklog's entities: the same fields and semantics as MLflow's, as frozen dataclasses."""

from tracklog.entities.dataset import (
    Dataset,
    DatasetInput,
    LoggedModelInput,
    LoggedModelOutput,
    RunInputs,
    RunOutputs,
)
from tracklog.entities.enums import LifecycleStage, LoggedModelStatus, RunStatus, ViewType
from tracklog.entities.experiment import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, Experiment
from tracklog.entities.file_info import FileInfo
from tracklog.entities.logged_model import LoggedModel
from tracklog.entities.metric import Metric
from tracklog.entities.page import PagedList
from tracklog.entities.param import LoggedModelParameter, Param
from tracklog.entities.run import Run, RunData, RunInfo
from tracklog.entities.tag import ExperimentTag, InputTag, LoggedModelTag, RunTag

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelOutput",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
    "Metric",
    "PagedList",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]
