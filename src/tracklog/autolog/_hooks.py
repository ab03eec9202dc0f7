"""Run a callback when a module is imported (now, if it already is).

Autologging for heavy libraries (TensorFlow takes seconds to import) must not
import them itself: ``tracklog.autolog()`` registers a hook, and the patching
happens right after the user's own ``import keras`` finishes executing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["cancel", "when_imported"]

Callback = Callable[[ModuleType], None]

_lock = threading.RLock()
_pending: dict[str, list[Callback]] = {}


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` once ``name`` is imported; at once if it is already in ``sys.modules``."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    with _lock:
        _pending.setdefault(name, []).append(callback)
        if not any(isinstance(finder, _PostImportFinder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _PostImportFinder())


def cancel(name: str) -> None:
    """Forget the callbacks still waiting for ``name``."""
    with _lock:
        _pending.pop(name, None)


def _fire(name: str, module: ModuleType) -> None:
    with _lock:
        callbacks = _pending.pop(name, [])
    for callback in callbacks:
        callback(module)


class _Loader(importlib.abc.Loader):
    """Wraps the real loader: executes the module, then fires the callbacks."""

    def __init__(self, name: str, wrapped: importlib.abc.Loader) -> None:
        self._name = name
        self._wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._wrapped.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._wrapped.exec_module(module)
        _fire(self._name, module)

    def __getattr__(self, item: str) -> Any:  # get_resource_reader, is_package, ... of the real loader
        return getattr(self._wrapped, item)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self._resolving: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        with _lock:
            wanted = fullname in _pending and fullname not in self._resolving
            if wanted:
                self._resolving.add(fullname)
        if not wanted:
            return None
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is not self and hasattr(finder, "find_spec"):
                    spec = finder.find_spec(fullname, path, target)
                    if spec is not None:
                        break
        finally:
            with _lock:
                self._resolving.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(fullname, spec.loader)
        return spec
