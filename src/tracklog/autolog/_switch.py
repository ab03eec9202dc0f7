"""What every library's autologging shares: the on/off switch, the outermost-call guard, the run of one fit.

Each integration (``tracklog.sklearn``, ``tracklog.keras``) keeps one ``Switch``: its settings while
autologging is on (``None`` while off), turned on with the patch to apply and off with the patch to
undo. Patched methods go through ``Switch.outermost``, so only the outermost call logs (a Pipeline's
inner fits, a search's candidate fits, a model fitting inside a fit); ``fit_run`` gives that call its
run. Logging problems become warnings (``warn``); training errors propagate unchanged.
"""

from __future__ import annotations

import functools
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from tracklog.client._active import ActiveRun

__all__ = ["Switch", "fit_run", "now_ms", "refuse_registered_model_name", "string_tags", "warn"]


class Settings(Protocol):
    @property
    def silent(self) -> bool: ...


S = TypeVar("S", bound=Settings)
#: ``autologged(settings, original, instance, args, kwargs)``: the outermost call while autologging is on.
Autologged = Callable[[S, Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


class Switch(Generic[S]):
    """One library's autologging: on (with its settings) or off, and how deep in patched calls we are."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.settings: S | None = None
        self.depth = 0  # process-wide: calls of patched methods in progress

    @property
    def enabled(self) -> bool:
        return self.settings is not None

    def turn_on(self, settings: S, patch: Callable[[], None]) -> None:
        """Use ``settings`` from now on (again, when already on) and apply ``patch`` (it must be idempotent)."""
        with self.lock:
            self.settings = settings
            patch()

    def turn_off(self, restore: Callable[[], None]) -> None:
        """Stop logging and ``restore`` what the patch replaced."""
        with self.lock:
            self.settings = None
            restore()

    def outermost(self, original: Callable[..., Any], autologged: Autologged[S]) -> Callable[..., Any]:
        """Wrap the method ``original``: its outermost call while on runs ``autologged``, any other ``original``."""
        switch = self

        @functools.wraps(original)
        def wrapper(instance: Any, *args: Any, **kwargs: Any) -> Any:
            with switch.lock:
                switch.depth += 1
                outer = switch.depth == 1
            try:
                settings = switch.settings
                if not outer or settings is None:
                    return original(instance, *args, **kwargs)
                return autologged(settings, original, instance, args, kwargs)
            finally:
                with switch.lock:
                    switch.depth -= 1

        wrapper.__tracklog_original__ = original  # type: ignore[attr-defined]
        return wrapper


@contextmanager
def fit_run() -> Iterator[ActiveRun]:
    """The run one autologged call logs to: the active run, or a new one, ended here (FAILED if the body raises)."""
    from tracklog.client import fluent

    started = fluent.active_run() is None
    active = fluent.start_run() if started else fluent.active_run()
    assert active is not None
    try:
        yield active
    except BaseException:
        if started:
            fluent.end_run("FAILED")
        raise
    if started:
        fluent.end_run()


def warn(settings: Settings, message: str) -> None:
    """A logging problem, as a warning at the user's call of the patched method (unless ``silent``)."""
    if not settings.silent:
        warnings.warn(f"tracklog autolog: {message}", stacklevel=4)


def refuse_registered_model_name(name: str | None) -> None:
    if name is not None:
        from tracklog.exceptions import InvalidArgument

        raise InvalidArgument("registered_model_name is not supported: tracklog has no model registry")


def string_tags(extra_tags: Mapping[str, Any] | None) -> dict[str, str]:
    return {k: str(v) for k, v in (extra_tags or {}).items()}


def now_ms() -> int:
    return int(time.time() * 1000)
