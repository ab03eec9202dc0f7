"""The emulator fixtures themselves: skip locally, fail under CI, stop what they start."""

from __future__ import annotations

import pytest
from tests.artifact_stores import emulators
from tests.artifact_stores.emulators import EmulatorUnavailable


def _broken() -> emulators.Emulator:
    raise EmulatorUnavailable("not installed (test)")


@pytest.fixture
def broken_starter(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(emulators._STARTERS, "broken", _broken)
    monkeypatch.setattr(emulators, "_failed", {})
    return "broken"


def test_unavailable_emulator_skips_locally(broken_starter: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emulators, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="broken emulator unavailable: not installed"):
        emulators.emulator(broken_starter)


def test_unavailable_emulator_fails_under_ci(broken_starter: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emulators, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        emulators.emulator(broken_starter)


def test_emulators_listen_on_loopback_and_are_reused(moto: emulators.Emulator) -> None:
    assert moto.endpoint.startswith("http://127.0.0.1:")
    assert moto.process.poll() is None
    assert emulators.emulator("moto") is moto
