"""The MLflow quickstart, unchanged except for the import line.

Runs log to ./mlruns by default. To log to a tracking server instead, start one
(``tracklog server``) and either uncomment the ``set_tracking_uri`` line or
export ``MLFLOW_TRACKING_URI=http://localhost:5000``.
"""

from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import train_test_split

import tracklog as mlflow

# mlflow.set_tracking_uri("http://localhost:5000")
mlflow.set_experiment("energy_forecasting")

X, y = make_regression(n_samples=500, n_features=8, noise=10.0, random_state=42)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

with mlflow.start_run(run_name="baseline-rf") as run:
    params = {"n_estimators": 200, "max_depth": 8}
    model = RandomForestRegressor(**params, random_state=42).fit(X_train, y_train)

    mlflow.log_params(params)
    rmse = root_mean_squared_error(y_test, model.predict(X_test))
    mlflow.log_metric("rmse", rmse)
    mlflow.sklearn.log_model(model, "model")

loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
assert (loaded.predict(X_test) == model.predict(X_test)).all()

print(f"run {run.info.run_id}: rmse={rmse:.3f} (tracking URI: {mlflow.get_tracking_uri()})")
