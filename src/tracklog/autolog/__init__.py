"""``tracklog.autolog()``: turn on autologging for every supported library that is installed.

Today that is scikit-learn (``tracklog.sklearn.autolog``) and Keras 3 on TensorFlow
(``tracklog.keras.autolog``, applied when Keras is imported, so enabling it never
imports TensorFlow). The module itself is
callable, so ``tracklog.autolog(...)`` works whether Python resolved the name to
this function or, after ``import tracklog.autolog``, to this module.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Mapping
from typing import Any

__all__ = ["autolog", "supported_libraries"]

_INTEGRATIONS = {"sklearn": "tracklog.sklearn", "keras": "tracklog.keras"}


def supported_libraries() -> list[str]:
    """Libraries with an autolog integration that are installed here."""
    return [lib for lib in _INTEGRATIONS if importlib.util.find_spec(lib) is not None]


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    disable: bool = False,
    silent: bool = False,
    extra_tags: Mapping[str, Any] | None = None,
    exclusive: bool = False,
) -> None:
    """Enable (or with ``disable=True`` undo) autologging for each installed supported library."""
    for library in supported_libraries():
        module = importlib.import_module(_INTEGRATIONS[library])
        module.autolog(
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            log_models=log_models,
            disable=disable,
            silent=silent,
            extra_tags=extra_tags,
        )


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> None:
        autolog(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
