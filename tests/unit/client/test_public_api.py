"""`import tracklog` stays light, and its public API is pinned."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import tracklog

PUBLIC_API = [
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "TrackingClient",
    "TrackingError",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "log_environment",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

HEAVY = ["pandas", "sqlalchemy", "httpx", "numpy", "alembic", "rich", "yaml", "matplotlib", "PIL"]


def test_all_is_pinned() -> None:
    assert tracklog.__all__ == PUBLIC_API


def test_every_public_name_resolves() -> None:
    for name in tracklog.__all__:
        assert getattr(tracklog, name) is not None, name
    assert set(tracklog.__all__) <= set(dir(tracklog))


def test_mlflow_client_is_the_tracking_client() -> None:
    assert tracklog.MlflowClient is tracklog.TrackingClient
    assert tracklog.MlflowException is tracklog.TrackingError


def test_subpackages_are_attributes() -> None:
    assert tracklog.entities.Metric.__name__ == "Metric"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        _ = tracklog.no_such_thing
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_is_light_and_fast() -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        t0 = time.perf_counter()
        import tracklog
        elapsed = time.perf_counter() - t0
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        print(repr((elapsed, heavy)))
        """
    )
    best = None
    for _ in range(3):  # the first import may pay for cold disk caches
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        elapsed, heavy = eval(out.stdout.strip())  # noqa: S307 - our own subprocess output
        assert heavy == [], f"import tracklog pulled in {heavy}"
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None and best < 0.15, f"import tracklog took {best:.3f}s"


def test_fluent_module_import_does_not_pull_heavy_modules() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import tracklog
        tracklog.start_run, tracklog.TrackingClient, tracklog.get_tracking_uri
        print([m for m in {HEAVY!r} if m in sys.modules])
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_mlflow_tracking_spelling() -> None:
    assert tracklog.tracking.MlflowClient is tracklog.TrackingClient
    assert tracklog.exceptions.MlflowException is tracklog.TrackingError


def test_flavor_modules_are_attributes() -> None:
    script = textwrap.dedent(
        """
        import sys
        import tracklog as mlflow
        assert "sklearn" not in sys.modules
        assert callable(mlflow.sklearn.log_model) and callable(mlflow.pyfunc.load_model)
        assert callable(mlflow.autolog)
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
