"""docs/deploy.md: the configuration blocks marked *(tested)* are valid as written.

* systemd units: every ``ExecStart`` is a ``tracklog`` command line whose flags the command
  accepts (click parses it) and whose values tracklog accepts; ``systemd-analyze verify``
  finds no unknown keys (when systemd-analyze is installed);
* nginx files: pass ``nginx -t`` inside a minimal nginx.conf (with a throw-away certificate in
  place of the real paths; skipped without nginx, failed under CI=true);
* the Prometheus scrape configuration is YAML with the expected jobs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml
from tests.nginx import nginx_binary

from tracklog.cli.main import cli
from tracklog.server.observability.logs import logging_config
from tracklog.server.settings import SETTINGS, Settings

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def _tested_blocks() -> dict[str, str]:
    """``{file name: content}`` of every fenced block announced by ``\\`<path>\\` *(tested...)*``."""
    text = DEPLOY.read_text(encoding="utf-8")
    blocks = {}
    for match in re.finditer(r"`([^`]+)` \*\(tested[^)]*\)\*:?\s*\n+```[a-z]*\n(.*?)```", text, re.S):
        blocks[Path(match.group(1)).name] = match.group(2)
    return blocks


BLOCKS = _tested_blocks()


def test_the_page_announces_its_tested_blocks() -> None:
    assert set(BLOCKS) == {"tracklog.service", "tracklog.conf", "tracklog-sso.conf", "prometheus.yml",
                           "tracklog-gc.service", "tracklog-gc.timer"}


def _unit(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
        else:
            key, _, value = line.partition("=")
            sections[current][key] = value
    return sections


def _parse_command(exec_start: str) -> tuple[str, dict[str, object]]:
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/tracklog"), argv
    group_ctx = click.Context(cli)
    command = cli.get_command(group_ctx, argv[1])
    assert command is not None, argv[1]
    ctx = command.make_context(argv[1], argv[2:])  # raises on an unknown flag or a bad value
    return argv[1], ctx.params


@pytest.mark.parametrize("name", ["tracklog.service", "tracklog-gc.service"])
def test_systemd_units_parse(name: str) -> None:
    unit = _unit(BLOCKS[name])
    service = unit["Service"]
    command, params = _parse_command(service["ExecStart"])
    if command == "server":
        settings = Settings.from_values(params)
        logging_config(settings.log_format, settings.access_log)
        assert settings.auth and settings.workers > 1 and settings.host == "127.0.0.1"
        assert settings.metrics_port not in (None, settings.port)
        assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    else:
        assert command == "gc" and params["older_than"] == "30d" and not params["dry_run"]
    assert service["EnvironmentFile"] == "/etc/tracklog/tracklog.env"


def test_environment_file_names_real_variables() -> None:
    text = DEPLOY.read_text(encoding="utf-8")
    env_block = text.split("`/etc/tracklog/tracklog.env`", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    names = {line.lstrip("# ").split("=", 1)[0] for line in env_block.splitlines() if "=" in line}
    known = {env for row in SETTINGS for env in row.env} | {"AWS_REGION", "TRACKLOG_ADMIN_USERNAME",
                                                           "TRACKLOG_ADMIN_PASSWORD"}
    assert names and names <= known, names - known


def test_timer_starts_the_gc_service() -> None:
    timer = _unit(BLOCKS["tracklog-gc.timer"])
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    tracklog = shutil.which("tracklog") or str(Path(shutil.which("python") or "python").with_name("tracklog"))
    paths = []
    for name in ("tracklog.service", "tracklog-gc.service", "tracklog-gc.timer"):
        path = tmp_path / name
        path.write_text(BLOCKS[name].replace("/opt/tracklog/bin/tracklog", tracklog))
        paths.append(str(path))
    result = subprocess.run([analyze, "verify", "--man=no", *paths], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "Unknown" in line or "Invalid" in line or "Failed" in line or "bad" in line.lower()]
    assert not problems, result.stdout + result.stderr


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tracker.example.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("name", ["tracklog.conf", "tracklog-sso.conf"])
def test_nginx_configs_pass_nginx_t(name: str, tmp_path: Path) -> None:
    binary = nginx_binary()
    cert, key = _self_signed(tmp_path)
    site = (BLOCKS[name].replace("/etc/ssl/tracklog/fullchain.pem", str(cert))
            .replace("/etc/ssl/tracklog/privkey.pem", str(key)))
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events { worker_connections 64; }\n"
        f"http {{\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  access_log off;\n{site}\n}}\n")
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(conf), "-g",
                             f"pid {tmp_path}/nginx.pid; error_log stderr warn;"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_t_catches_a_broken_config(tmp_path: Path) -> None:
    """The check above can fail: a typo in a directive is refused."""
    binary = nginx_binary()
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n server { listen 127.0.0.1:1; proxy_pas http://x; }\n}\n")
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(conf), "-g",
                             f"pid {tmp_path}/nginx.pid; error_log stderr warn;"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


def test_prometheus_config() -> None:
    config = yaml.safe_load(BLOCKS["prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["tracklog"]["static_configs"][0]["targets"]
    assert jobs["tracklog-main-port"]["metrics_path"] == "/metrics"
