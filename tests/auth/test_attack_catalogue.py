"""Attack catalogue item 33: a malicious pickle and MLmodel are uploaded, then every read endpoint
(and the searches) is hit; the server never deserializes a model, so the canary never fires.

Items 30-32 are covered by test_route_walk.py, test_permissions.py, test_credentials.py and
test_sessions.py (see docs/auth.md, "Attack catalogue").
"""

from __future__ import annotations

import builtins
import pickle
from pathlib import Path
from typing import Any

from tests.auth.helpers import AuthWorld
from tests.auth.test_route_walk import _fields, _request

from tracklog.server.routing import all_routes

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


class _Canary:
    """Unpickling this opens (creates) ``path``: proof that something deserialized it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return builtins.open, (str(self.path), "w")


def _mlmodel(loader: str) -> bytes:
    return (f"artifact_path: model\nflavors:\n  python_function:\n    loader_module: {loader}\n"
            "    python_model: python_model.pkl\n    env:\n      virtualenv: python_env.yaml\n"
            "  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n").encode()


def test_uploaded_pickles_and_mlmodels_are_never_loaded(world: AuthWorld, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    payload = pickle.dumps(_Canary(canary))
    exp = world.experiment("admin", "evil")
    run = world.run("admin", exp)
    model = world.ok("admin", "POST", "logged-models", {"experiment_id": exp, "name": "evil-model",
                                                         "source_run_id": run})["model"]["info"]
    model_root = model["artifact_uri"].split("mlflow-artifacts:/", 1)[1].strip("/")
    files = {"model/MLmodel": _mlmodel("os"), "model/python_model.pkl": payload, "model/model.pkl": payload,
             "data.pkl": payload, "model.joblib": payload}
    for name, data in files.items():
        for root in (f"{exp}/{run}/artifacts", model_root):
            assert world.status("admin", "PUT", f"{PROXY}/{root}/{name}", content=data) == 200
    # what mlflow's log_model records on the run (the UI reads it as text only)
    history = '[{"artifact_path": "model", "flavors": {"python_function": {"loader_module": "os"}}}]'
    world.ok("admin", "POST", "runs/set-tag", {"run_id": run, "key": "mlflow.log-model.history", "value": history})

    statuses: dict[str, int] = {}
    walk = {"exp": exp, "run": run, "model": model["model_id"], "name": "evil",
            "artifact": f"{exp}/{run}/artifacts/model/python_model.pkl"}
    for route in all_routes():
        searches = route.method == "POST" and route.path.endswith(("/search", "/search-datasets"))
        if route.method != "GET" and not searches:
            continue
        for path in route.paths:
            statuses[f"{route.method} {path}"] = _request(world, "admin", route, path, walk).status_code
    for name in files:
        for url, params in ((f"{PROXY}/{exp}/{run}/artifacts/{name}", None),
                            ("/get-artifact", {"run_uuid": run, "path": name}),
                            (f"/ajax-api/2.0/mlflow/logged-models/{model['model_id']}/artifacts/files",
                             {"artifact_file_path": name})):
            statuses[f"GET {url} {name}"] = world.call("admin", "GET", url, params=params).status_code
    # 501: presigned downloads exist only on object stores (the official client falls back)
    failed = {key: code for key, code in statuses.items() if code >= 500 and code != 501}
    assert len(statuses) > 40 and failed == {}, failed
    assert statuses[f"GET {PROXY}/{exp}/{run}/artifacts/data.pkl data.pkl"] == 200  # served, as bytes
    assert not canary.exists(), "the server deserialized an uploaded pickle"

    # the payload is live: loading it does fire the canary (so the test above can fail)
    pickle.loads(payload).close()  # noqa: S301 - the point of this check
    assert canary.exists()


def test_fields_cover_the_walk() -> None:
    assert {"run_id", "model_id", "experiment_id", "path"} <= set(_fields({"exp": "1", "run": "r", "model": "m",
                                                                          "name": "n", "artifact": "a"}))
