"""The on/off switch every autolog integration shares: outermost-only logging, the fit's run, warnings."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.unit.client.conftest import embedded  # noqa: F401 - fixture

import tracklog
from tracklog.autolog._switch import Switch, fit_run, refuse_registered_model_name, string_tags, warn
from tracklog.exceptions import InvalidArgument


@dataclass(frozen=True)
class Settings:
    silent: bool = False
    label: str = ""


class Model:
    def fit(self, depth: int = 0) -> list[str]:
        return [] if depth == 0 else self.fit(depth - 1)


def _patched(switch: Switch[Settings], seen: list[tuple[str, int]]) -> Any:
    def autologged(settings: Settings, original: Any, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        seen.append((settings.label, switch.depth))
        return original(model, *args, **kwargs)

    return switch.outermost(Model.fit, autologged)


def test_only_the_outermost_call_while_on_is_autologged() -> None:
    switch: Switch[Settings] = Switch()
    seen: list[tuple[str, int]] = []
    fit = _patched(switch, seen)
    assert fit.__tracklog_original__ is Model.fit and fit.__name__ == "fit"
    fit(Model(), 0)
    assert seen == [] and not switch.enabled  # off: the original runs
    switch.turn_on(Settings(label="a"), lambda: None)
    original_fit = Model.fit
    try:
        Model.fit = fit  # type: ignore[method-assign]
        Model().fit(3)  # recursion: the inner calls go straight to the original
        assert seen == [("a", 1)]
        switch.turn_on(Settings(label="b"), lambda: None)  # on again: new settings
        Model().fit()
        assert seen == [("a", 1), ("b", 1)]
    finally:
        Model.fit = original_fit  # type: ignore[method-assign]
    assert switch.depth == 0


def _try_lock(switch: Switch[Settings]) -> bool:
    got = switch.lock.acquire(blocking=False)
    if got:
        switch.lock.release()
    return got


def test_turn_on_and_off_run_the_patch_and_restore_under_the_lock() -> None:
    switch: Switch[Settings] = Switch()
    calls: list[str] = []

    def record(what: str) -> Any:
        def step() -> None:
            assert switch.lock.acquire(blocking=False)  # re-entrant: held by this thread
            switch.lock.release()
            other = threading.Thread(target=lambda: calls.append(f"other got lock: {_try_lock(switch)}"))
            other.start()
            other.join()
            calls.append(what)

        return step

    switch.turn_on(Settings(), record("patch"))
    assert switch.enabled
    switch.turn_off(record("restore"))
    assert not switch.enabled
    assert calls == ["other got lock: False", "patch", "other got lock: False", "restore"]


def test_depth_is_restored_when_the_call_raises() -> None:
    switch: Switch[Settings] = Switch()
    switch.turn_on(Settings(), lambda: None)

    def boom(self: Any) -> None:
        raise ValueError("training failed")

    fit = switch.outermost(boom, lambda s, original, model, args, kwargs: original(model, *args, **kwargs))
    with pytest.raises(ValueError, match="training failed"):
        fit(object())
    assert switch.depth == 0


def test_fit_run_starts_and_ends_its_own_run(embedded: Path) -> None:  # noqa: F811
    with fit_run() as active:
        assert tracklog.active_run() is active
    assert tracklog.active_run() is None
    assert tracklog.get_run(active.info.run_id).info.status == "FINISHED"
    with pytest.raises(RuntimeError), fit_run() as failing:
        raise RuntimeError("training failed")
    assert tracklog.active_run() is None
    assert tracklog.get_run(failing.info.run_id).info.status == "FAILED"


def test_fit_run_uses_and_keeps_the_active_run(embedded: Path) -> None:  # noqa: F811
    with tracklog.start_run() as outer:
        with fit_run() as active:
            assert active.info.run_id == outer.info.run_id
        with pytest.raises(RuntimeError), fit_run():
            raise RuntimeError("training failed")
        assert tracklog.active_run() is outer  # the caller's run is the caller's to end
    assert tracklog.get_run(outer.info.run_id).info.status == "FINISHED"


def test_warn_is_silenced_by_the_settings() -> None:
    with pytest.warns(UserWarning, match="tracklog autolog: could not log"):
        warn(Settings(), "could not log")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn(Settings(silent=True), "could not log")


def test_small_helpers() -> None:
    refuse_registered_model_name(None)
    with pytest.raises(InvalidArgument, match="no model registry"):
        refuse_registered_model_name("name")
    assert string_tags({"a": 1, "b": None}) == {"a": "1", "b": "None"}
    assert string_tags(None) == {}
