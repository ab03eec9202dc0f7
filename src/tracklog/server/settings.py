"""The server's settings: one declarative table drives the CLI flags, env vars and docs.

Each ``Setting`` row names the ``Settings`` attribute, its flag, its type, its
default, the environment variables that set it (``TRACKLOG_*`` first, MLflow's
name as an alias) and its help text. ``tracklog server`` builds its click
options from ``SETTINGS``; ``docs/server.md`` embeds ``docs.render_settings_table()``
(see ``tracklog.server.docs``; a test fails when the page is stale); worker processes rebuild ``Settings``
from the environment with ``Settings.from_env()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "MLFLOW_ARTIFACTS_ROOT",
    "SETTINGS",
    "Setting",
    "Settings",
]

MLFLOW_ARTIFACTS_ROOT = "mlflow-artifacts:/"
DEFAULT_DATA_DIR = "mlruns"
DEFAULT_JSON_BODY_LIMIT = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings table."""

    name: str
    flags: tuple[str, ...]
    type: type
    default: Any
    default_doc: str
    env: tuple[str, ...]
    help: str
    is_list: bool = False
    bool_pair: bool = False

    @property
    def flag(self) -> str:
        return next(f for f in self.flags if f.startswith("--"))


SETTINGS: tuple[Setting, ...] = (
    Setting("host", ("-h", "--host"), str, "127.0.0.1", "`127.0.0.1`",
            ("TRACKLOG_HOST", "MLFLOW_HOST"),
            "Network address to listen on. Use 0.0.0.0 to listen on every interface "
            "(then also set --allowed-hosts)."),
    Setting("port", ("-p", "--port"), int, 5000, "`5000`", ("TRACKLOG_PORT", "MLFLOW_PORT"),
            "Port to listen on."),
    Setting("backend_store_uri", ("--backend-store-uri",), str, None,
            "`sqlite:///<cwd>/mlruns/tracklog.db`",
            ("TRACKLOG_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI"),
            "Database URI of the tracking store (sqlite:///, postgresql://, mysql://)."),
    Setting("default_artifact_root", ("--default-artifact-root",), str, None,
            "`mlflow-artifacts:/` when serving artifacts, else `./mlruns/artifacts`",
            ("TRACKLOG_DEFAULT_ARTIFACT_ROOT", "MLFLOW_DEFAULT_ARTIFACT_ROOT"),
            "Artifact location given to new experiments (<root>/<experiment_id>)."),
    Setting("serve_artifacts", ("--serve-artifacts/--no-serve-artifacts",), bool, True, "on",
            ("TRACKLOG_SERVE_ARTIFACTS", "MLFLOW_SERVE_ARTIFACTS"),
            "Proxy artifact uploads and downloads through the server (mlflow-artifacts:/ URIs). "
            "Off: clients read and write the artifact store directly.", bool_pair=True),
    Setting("artifacts_destination", ("--artifacts-destination",), str, None, "`./mlruns/artifacts`",
            ("TRACKLOG_ARTIFACTS_DESTINATION", "MLFLOW_ARTIFACTS_DESTINATION"),
            "Where proxied artifacts are stored (a local path or a storage URI)."),
    Setting("workers", ("-w", "--workers"), int, 1, "`1`", ("TRACKLOG_WORKERS", "MLFLOW_WORKERS"),
            "Number of uvicorn worker processes."),
    Setting("graceful_timeout", ("--graceful-timeout",), int, 30, "`30`", ("TRACKLOG_GRACEFUL_TIMEOUT",),
            "Seconds that requests in flight may take to finish after SIGTERM or Ctrl-C (new connections "
            "are refused meanwhile); longer ones are then cut off. Keep it below your process "
            "manager's stop timeout."),
    Setting("static_prefix", ("--static-prefix",), str, "", "none",
            ("TRACKLOG_STATIC_PREFIX", "MLFLOW_STATIC_PREFIX"),
            "Path prefix in front of every route, e.g. /mlflow."),
    Setting("allowed_hosts", ("--allowed-hosts",), str, (), "localhost, 127.0.0.1, [::1]",
            ("TRACKLOG_ALLOWED_HOSTS", "MLFLOW_SERVER_ALLOWED_HOSTS"),
            "Comma-separated extra Host header values to accept (port ignored): host globs such as "
            "*.example.com, IP addresses or CIDR networks such as 10.0.0.0/8. Others get 403.",
            is_list=True),
    Setting("cors_allowed_origins", ("--cors-allowed-origins",), str, (),
            "localhost origins on any port",
            ("TRACKLOG_CORS_ALLOWED_ORIGINS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"),
            "Comma-separated extra origins (scheme://host[:port], * globs per part) allowed to make "
            "state-changing cross-origin requests.", is_list=True),
    Setting("auth", ("--auth/--no-auth",), bool, False, "off", ("TRACKLOG_AUTH",),
            "Require authentication (HTTP Basic, access tokens or a trusted proxy header) and enforce "
            "per-experiment permissions; see docs/auth.md.", bool_pair=True),
    Setting("auth_default_permission", ("--auth-default-permission",), str, "NO_PERMISSIONS",
            "`NO_PERMISSIONS`", ("TRACKLOG_AUTH_DEFAULT_PERMISSION",),
            "With --auth: the permission of a user on an experiment without an explicit grant "
            "(NO_PERMISSIONS, READ, EDIT or MANAGE)."),
    Setting("auth_proxy_header", ("--auth-proxy-header",), str, None, "none",
            ("TRACKLOG_AUTH_PROXY_HEADER",),
            "With --auth: a header (e.g. X-Forwarded-User) naming the user, believed only from "
            "--auth-trusted-proxies."),
    Setting("auth_trusted_proxies", ("--auth-trusted-proxies",), str, (), "none",
            ("TRACKLOG_AUTH_TRUSTED_PROXIES",),
            "With --auth-proxy-header: comma-separated addresses or CIDR networks of the reverse "
            "proxies whose user header is believed.", is_list=True),
    Setting("auth_session_hours", ("--auth-session-hours",), int, 12, "`12`",
            ("TRACKLOG_AUTH_SESSION_HOURS",),
            "With --auth: lifetime of a web UI sign-in session, counted from sign-in (absolute)."),
    Setting("auth_secure_cookies", ("--auth-secure-cookies/--no-auth-secure-cookies",), bool, False, "off",
            ("TRACKLOG_AUTH_SECURE_COOKIES",),
            "With --auth: always mark the sign-in cookies Secure (they are anyway when the request "
            "arrives over https); turn on behind a TLS-terminating proxy.", bool_pair=True),
    Setting("log_format", ("--log-format",), str, "text", "`text`", ("TRACKLOG_LOG_FORMAT",),
            "Log line format: text, or json (one object per line with time, level, logger, message and "
            "the request id; see docs/deploy.md)."),
    Setting("access_log", ("--access-log/--no-access-log",), bool, False, "off", ("TRACKLOG_ACCESS_LOG",),
            "Log one line per request on tracklog.access: method, route template, status, duration, "
            "user and request id.", bool_pair=True),
    Setting("metrics_port", ("--metrics-port",), int, None, "none (served at /metrics)",
            ("TRACKLOG_METRICS_PORT",),
            "Serve Prometheus metrics on this port of --host (no authentication; keep it firewalled) "
            "instead of at /metrics on the main port (admins only with --auth)."),
)


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on", "y", "t"):
        return True
    if value in ("0", "false", "no", "off", "n", "f", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _split_list(text: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if text is None:
        return ()
    if isinstance(text, str):
        text = [text]
    out: list[str] = []
    for item in text:
        out.extend(part.strip() for part in item.split(",") if part.strip())
    return tuple(out)


def _local_to_uri(location: str) -> str:
    """Absolute ``file://`` URI for a local path; other URIs pass unchanged."""
    if "://" in location or (":" in location and not _looks_like_windows_path(location)):
        return location
    return Path(location).expanduser().resolve().as_uri()


def _looks_like_windows_path(location: str) -> bool:
    return len(location) > 1 and location[1] == ":" and location[0].isalpha()


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved server settings (see ``SETTINGS`` for the meaning of each field)."""

    host: str = "127.0.0.1"
    port: int = 5000
    backend_store_uri: str | None = None
    default_artifact_root: str | None = None
    serve_artifacts: bool = True
    artifacts_destination: str | None = None
    workers: int = 1
    graceful_timeout: int = 30
    static_prefix: str = ""
    allowed_hosts: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    auth: bool = False
    auth_default_permission: str = "NO_PERMISSIONS"
    auth_proxy_header: str | None = None
    auth_trusted_proxies: tuple[str, ...] = ()
    auth_session_hours: int = 12
    auth_secure_cookies: bool = False
    log_format: str = "text"
    access_log: bool = False
    metrics_port: int | None = None
    max_json_body_bytes: int = field(default=DEFAULT_JSON_BODY_LIMIT)

    def resolved(self, cwd: str | os.PathLike[str] | None = None) -> Settings:
        """Fill the computed defaults (absolute paths below ``<cwd>/mlruns``)."""
        base = Path(cwd if cwd is not None else os.getcwd()).resolve() / DEFAULT_DATA_DIR
        backend = self.backend_store_uri or f"sqlite:///{base / 'tracklog.db'}"
        destination = _local_to_uri(self.artifacts_destination or str(base / "artifacts"))
        root = self.default_artifact_root
        if not root:
            root = MLFLOW_ARTIFACTS_ROOT if self.serve_artifacts else _local_to_uri(str(base / "artifacts"))
        elif not root.startswith("mlflow-artifacts:"):
            root = _local_to_uri(root)
        prefix = self.static_prefix.strip()
        if prefix:
            prefix = "/" + prefix.strip("/")
        return replace(self, backend_store_uri=backend, artifacts_destination=destination,
                       default_artifact_root=root, static_prefix=prefix)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """Build from CLI values (``None`` means "not given": keep the default)."""
        kwargs: dict[str, Any] = {}
        for row in SETTINGS:
            value = values.get(row.name)
            if value is None:
                continue
            kwargs[row.name] = _split_list(value) if row.is_list else value
        return cls(**kwargs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from its env vars (the first one set wins, TRACKLOG_* first)."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        for row in SETTINGS:
            raw = next((env[name] for name in row.env if name in env), None)
            if raw is None:
                continue
            if row.is_list:
                kwargs[row.name] = _split_list(raw)
            elif row.type is bool:
                kwargs[row.name] = _parse_bool(raw)
            elif row.type is int:
                kwargs[row.name] = int(raw)
            else:
                kwargs[row.name] = raw
        return cls(**kwargs)

    def to_env(self) -> dict[str, str]:
        """The ``TRACKLOG_*`` variables that make ``from_env`` rebuild these settings."""
        out: dict[str, str] = {}
        for row in SETTINGS:
            value = getattr(self, row.name)
            if value is None:
                continue
            if row.is_list:
                out[row.env[0]] = ",".join(value)
            elif row.type is bool:
                out[row.env[0]] = "true" if value else "false"
            else:
                out[row.env[0]] = str(value)
        return out
