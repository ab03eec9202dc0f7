"""Moving runs in and out of tracklog: ``tracklog import mlflow``, ``tracklog export``.

A *source* (``sources``) reads experiments, runs, metric histories, logged models
and artifacts from somewhere (a running MLflow server, an MLflow SQL database, a
tracklog export directory, any tracklog store); a *sink* writes them: the importer
(``importer``) into a tracking store, the exporter (``exporter``) into the
versioned export format (``export_format``).
"""

from tracklog.transfer.exporter import export_to_dir
from tracklog.transfer.importer import Importer, ImportOptions
from tracklog.transfer.report import Summary
from tracklog.transfer.sources import (
    ExportDirSource,
    MlflowSqlSource,
    Source,
    StoreSource,
    open_mlflow_source,
)

__all__ = [
    "ExportDirSource",
    "ImportOptions",
    "Importer",
    "MlflowSqlSource",
    "Source",
    "StoreSource",
    "Summary",
    "export_to_dir",
    "open_mlflow_source",
]
