"""get_store: scheme table, errors, caching of engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracklog.exceptions import InvalidArgument, MissingExtra
from tracklog.store.registry import get_store
from tracklog.store.sql.engine import dispose_engine, get_engine, normalize_url
from tracklog.store.sql.store import SqlStore


def test_sqlite_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'r.db'}"
    store = get_store(uri, str(tmp_path / "a"))
    try:
        assert isinstance(store, SqlStore)
        assert store.get_experiment("0").artifact_location == f"{tmp_path / 'a'}/0"
        assert get_engine(uri) is get_engine(uri)  # one engine per URI
        assert get_store(uri, str(tmp_path / "a"))._db.engine is store._db.engine  # type: ignore[attr-defined]
    finally:
        dispose_engine(uri)


@pytest.mark.parametrize(
    ("uri", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_url_normalization(uri: str, driver: str) -> None:
    url = normalize_url(uri)
    assert url.drivername == driver
    if driver.startswith("mysql"):
        assert url.query["charset"] == "utf8mb4"


def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(InvalidArgument) as info:
        get_store("mongodb://x/y")
    message = str(info.value)
    for scheme in ("sqlite", "postgresql", "mysql", "http", "https"):
        assert scheme in message
    assert "pip install 'tracklog[postgres]'" in message


def test_missing_driver_is_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy.dialects.mysql.pymysql as pymysql_dialect

    def boom() -> None:
        raise ModuleNotFoundError("No module named 'pymysql'")

    monkeypatch.setattr(pymysql_dialect.MySQLDialect_pymysql, "import_dbapi", classmethod(lambda cls: boom()))
    with pytest.raises(MissingExtra, match=r"tracklog\[mysql\]"):
        get_store("mysql://nobody@127.0.0.1:1/none")


def test_http_scheme_goes_to_rest_store(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    created: list[str] = []
    fake = types.ModuleType("tracklog.store.rest")

    class RestStore:
        def __init__(self, tracking_uri: str) -> None:
            created.append(tracking_uri)

    fake.RestStore = RestStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tracklog.store.rest", fake)
    get_store("https://tracking.example")
    assert created == ["https://tracking.example"]


def test_in_memory_sqlite_is_thread_safe() -> None:
    import threading

    from tracklog.entities import Metric

    store = get_store("sqlite://", "/tmp/tracklog-memory-artifacts")
    rid = store.create_run("0", "u", 0).info.run_id
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                store.log_batch(rid, metrics=[Metric("m", float(j), i, j)])
                store.get_run(rid)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.get_metric_history(rid, "m")) == 40


def test_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.store import registry

    made: list[tuple[str, str | None]] = []

    class FakeEntryPoint:
        name = "custom"

        def load(self) -> object:
            def factory(uri: str, root: str | None) -> object:
                made.append((uri, root))
                return "a store"

            return factory

    def fake_entry_points(group: str) -> list[FakeEntryPoint]:
        assert group == "tracklog.tracking_stores"
        return [FakeEntryPoint()]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    assert get_store("custom://x", "/root") == "a store"  # type: ignore[comparison-overlap]
    assert made == [("custom://x", "/root")]
    assert "custom" in registry.known_schemes()
