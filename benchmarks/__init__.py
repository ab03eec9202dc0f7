"""Side-by-side benchmarks of tracklog against ``mlflow server``.

Run ``scripts/bench.sh --scale quick`` (or ``python -m benchmarks --help``). The
package is cut by concept:

- ``scales``      how big each workload is in each scale mode
- ``benchvenv``   the separate virtualenv holding the official ``mlflow`` package
- ``databases``   throw-away SQLite files and PostgreSQL databases
- ``servers``     starting, health-checking, measuring and stopping servers
- ``rest``        the raw-REST client both servers are driven with
- ``workloads/``  one module per workload, each ``run(ctx) -> list[Measurement]``
- ``mlflow_client_driver``  the official-client workloads (runs inside the bench venv)
- ``report``      the rich table and the JSON file
"""
