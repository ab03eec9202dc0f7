"""Fill an MLflow server with the official client (run as a subprocess, MLFLOW_TRACKING_URI set).

Prints a JSON object of facts the tests check independently of any reader.
"""

from __future__ import annotations

import json
import math
import os
import tempfile

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric
from sklearn.linear_model import LogisticRegression

LOSS_POINTS = 300
NAN_STEPS = {7, 150, 299}


def artifact_tree(root: str) -> None:
    os.makedirs(os.path.join(root, "plots", "deep"), exist_ok=True)
    with open(os.path.join(root, "notes.txt"), "w") as f:
        f.write("hello from mlflow\n")
    with open(os.path.join(root, "plots", "curve.bin"), "wb") as f:
        f.write(bytes(range(256)) * 40)
    with open(os.path.join(root, "plots", "deep", "conf.json"), "w") as f:
        json.dump({"a": 1, "b": [1, 2, 3]}, f)


def main() -> None:
    client = MlflowClient()
    alpha = client.create_experiment("alpha", tags={"team": "vision", "mlflow.note.content": "first"})
    beta = client.create_experiment("beta", tags={"team": "nlp"})
    gamma = client.create_experiment("gamma")

    mlflow.set_experiment(experiment_id=alpha)
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"lr": "0.1", "epochs": "3"})
        mlflow.set_tags({"stage": "dev", "owner": "ana"})
        with mlflow.start_run(run_name="child-train", nested=True) as child:
            mlflow.log_param("depth", 4)
            base = 1_700_000_000_000
            points = [
                Metric("loss", math.nan if step in NAN_STEPS else 1.0 / (step + 1), base + step * 10, step)
                for step in range(LOSS_POINTS)
            ]
            client.log_batch(child.info.run_id, metrics=points)
            for step in range(5):
                mlflow.log_metric("acc", 0.5 + step / 10, step=step, timestamp=base + step)
            frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]})
            dataset = mlflow.data.from_pandas(frame, name="toy", targets="y")  # type: ignore[attr-defined]
            mlflow.log_input(dataset, context="training")
            with tempfile.TemporaryDirectory() as tmp:
                artifact_tree(tmp)
                mlflow.log_artifacts(tmp)
            model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
            mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle")
        with mlflow.start_run(run_name="child-eval", nested=True):
            mlflow.log_metric("f1", 0.8)
    with mlflow.start_run(experiment_id=beta, run_name="failed-run") as failed:
        mlflow.log_param("k", "v")
    client.set_terminated(failed.info.run_id, status="FAILED")
    with mlflow.start_run(experiment_id=beta, run_name="deleted-run") as gone:
        mlflow.log_metric("m", 1.0)
    client.delete_run(gone.info.run_id)
    with mlflow.start_run(experiment_id=gamma, run_name="in-deleted-exp"):
        mlflow.log_param("p", "1")
    client.delete_experiment(gamma)
    print(json.dumps({"parent_run_id": parent.info.run_id, "alpha": alpha, "beta": beta, "gamma": gamma}))


if __name__ == "__main__":
    main()
