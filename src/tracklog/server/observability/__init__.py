"""What operators watch: Prometheus metrics, structured logs and request ids.

* ``request_id`` -- the id of the request being served (a context variable), taken from a
  sane incoming ``X-Request-ID`` or generated;
* ``logs`` -- text and JSON log formatters that add the request id to every line, and the
  logging configuration ``tracklog server`` installs (``--log-format``, ``--access-log``);
* ``metrics`` -- the request counters and latency histograms, database-pool gauges and the
  ``/metrics`` exposition (multi-worker correct through prometheus_client's multiprocess mode);
* ``store_metrics`` and ``artifact_usage`` -- run, experiment and metric-row counts and artifact
  bytes per experiment, computed at scrape time with a time-to-live cache and bounded work;
* ``process`` -- the per-process setup ``tracklog server`` does before starting uvicorn.

The request-side work is done by ``tracklog.server.middleware.metrics``.
"""
