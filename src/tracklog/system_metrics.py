"""System metrics of the training machine, sampled on a daemon thread and logged to a run.

    monitor = attach(run_id, client)        # start sampling every 10 s
    ...
    monitor.stop()                          # bounded join; safe to call twice

Metric names are MLflow's (``system/cpu_utilization_percentage``,
``system/system_memory_usage_megabytes``, ``system/gpu_0_utilization_percentage``, ...);
each sample is one log_batch at step = sample index. GPUs are read through
``pynvml`` when it is installed and finds devices. Sampling and logging errors
are swallowed (counted in ``errors``): monitoring never raises into training.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any

from tracklog.entities import Metric
from tracklog.exceptions import MissingExtra

if TYPE_CHECKING:
    from tracklog.client.tracking import TrackingClient

__all__ = ["SystemMetricsMonitor", "attach", "sample"]

_MB = 1024.0 * 1024.0
PREFIX = "system/"


def _psutil() -> Any:
    try:
        import psutil
    except ImportError as exc:
        raise MissingExtra("system", "System metrics") from exc
    return psutil


class _Gpus:
    """NVML handles, or none when pynvml is missing or finds no device."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self._nvml: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except Exception:  # noqa: BLE001 - no driver, no GPU, no pynvml: no GPU metrics
            self.handles = []

    def sample(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for index, handle in enumerate(self.handles):
            try:
                util = self._nvml.nvmlDeviceGetUtilizationRates(handle)
                memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
            except Exception:  # noqa: BLE001
                continue
            out[f"gpu_{index}_utilization_percentage"] = float(util.gpu)
            out[f"gpu_{index}_memory_usage_megabytes"] = memory.used / _MB
            out[f"gpu_{index}_memory_usage_percentage"] = 100.0 * memory.used / memory.total if memory.total else 0.0
        return out

    def close(self) -> None:
        if self._nvml is not None and self.handles:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()


def sample(disk_path: str = "/", gpus: _Gpus | None = None) -> dict[str, float]:
    """One reading, keyed by MLflow's metric names without the ``system/`` prefix."""
    psutil = _psutil()
    memory = psutil.virtual_memory()
    disk = psutil.disk_usage(disk_path)
    net = psutil.net_io_counters()
    values = {
        "cpu_utilization_percentage": float(psutil.cpu_percent(interval=None)),
        "system_memory_usage_megabytes": (memory.total - memory.available) / _MB,
        "system_memory_usage_percentage": float(memory.percent),
        "disk_usage_percentage": float(disk.percent),
        "disk_usage_megabytes": disk.used / _MB,
        "disk_available_megabytes": disk.free / _MB,
        "network_receive_megabytes": net.bytes_recv / _MB if net else 0.0,
        "network_transmit_megabytes": net.bytes_sent / _MB if net else 0.0,
    }
    if gpus is not None:
        values.update(gpus.sample())
    return values


class SystemMetricsMonitor:
    """Samples system metrics every ``interval_s`` seconds and logs them to ``run_id``."""

    def __init__(self, run_id: str, client: TrackingClient, interval_s: float = 10.0, disk_path: str = "/") -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        _psutil()  # fail at construction, not in the thread, when psutil is missing
        self.run_id = run_id
        self.client = client
        self.interval_s = float(interval_s)
        self.disk_path = disk_path
        self.samples = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SystemMetricsMonitor:
        if self._thread is None:
            _psutil().cpu_percent(interval=None)  # prime: the first call has no interval to measure
            self._thread = threading.Thread(
                target=self._loop, name=f"tracklog-system-metrics-{self.run_id[:8]}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop sampling and wait (at most ``timeout_s``) for the thread to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        gpus = _Gpus()
        try:
            while not self._stop.wait(self.interval_s):
                self._log_one(gpus)
        finally:
            gpus.close()

    def _log_one(self, gpus: _Gpus) -> None:
        try:
            values = sample(self.disk_path, gpus)
            now = int(time.time() * 1000)
            metrics = [Metric(PREFIX + k, v, now, self.samples) for k, v in values.items()]
            self.client.log_batch(self.run_id, metrics=metrics)
            self.samples += 1
        except Exception:  # noqa: BLE001 - monitoring never raises into training
            self.errors += 1

    def __enter__(self) -> SystemMetricsMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def attach(run_id: str, client: TrackingClient, interval_s: float = 10.0) -> SystemMetricsMonitor:
    """Start a monitor for ``run_id`` (what ``start_run(log_system_metrics=True)`` calls)."""
    return SystemMetricsMonitor(run_id, client, interval_s).start()
