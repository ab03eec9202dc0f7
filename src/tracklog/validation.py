"""Input validation shared by the stores and the server.

Every check raises ``InvalidArgument`` with a message naming the field and the
limit. Nothing is ever truncated: a value over a limit is refused.

The rules follow MLflow's (``mlflow/utils/validation.py``) so that what the
official client sends is accepted, with two additions: strings must be valid
Unicode without NUL characters (databases refuse those, and a refusal must be a
400, not a 500), and non-finite metric values are accepted and kept exactly.
"""

from __future__ import annotations

import functools
import math
import posixpath
import re
from collections.abc import Sequence
from enum import Enum
from typing import TypeVar

from tracklog.entities import (
    DatasetInput,
    ExperimentTag,
    LoggedModelParameter,
    LoggedModelTag,
    Metric,
    Param,
    RunTag,
)
from tracklog.exceptions import InvalidArgument

# -- limits (MLflow's, section 3 of the REST reference) -------------------------
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_ARTIFACT_LOCATION_LENGTH = 2000
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_LOGGED_MODEL_NAME_LENGTH = 500
MAX_LOGGED_MODEL_TAG_VALUE_LENGTH = 100000
MAX_MODEL_TYPE_LENGTH = 500

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000

MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
MAX_DATASET_SOURCE_LENGTH = 65535
MAX_DATASET_SCHEMA_LENGTH = 1048575
MAX_DATASET_PROFILE_LENGTH = 16777215
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1

_KEY_RE = re.compile(r"^[/\w.\- :]*$")
_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_MODEL_ID_RE = re.compile(r"^m-[0-9a-f]{32}$")
_NEW_RUN_ID_RE = re.compile(r"^[0-9a-f]{32}$")  # uuid4().hex, as MLflow generates
_MODEL_NAME_FORBIDDEN = frozenset('/:.%"\'')

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "check_text",
    "check_time",
    "parse_enum",
    "validate_batch",
    "validate_dataset_input",
    "validate_experiment_id",
    "validate_experiment_name",
    "validate_experiment_tag",
    "validate_key",
    "validate_logged_model_name",
    "validate_logged_model_param",
    "validate_logged_model_tag",
    "validate_max_results",
    "validate_metric",
    "validate_model_id",
    "validate_new_run_id",
    "validate_param",
    "validate_run_id",
    "validate_run_tag",
]


def check_text(field: str, value: object, max_length: int | None = None, *, allow_empty: bool = True) -> str:
    """A string without NUL, encodable as UTF-8, at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {type(value).__name__}")
    if not allow_empty and not value:
        raise InvalidArgument(f"{field} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise InvalidArgument(
            f"{field} is {len(value)} characters long, over the limit of {max_length} characters"
        )
    if "\x00" in value:
        raise InvalidArgument(f"{field} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgument(f"{field} is not valid Unicode text") from exc
    return value


def validate_key(kind: str, key: object) -> str:
    """A metric, param or tag key: ``^[/\\w.\\- :]*$``, stable under path normalization, <= 250."""
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"{kind} key must be a non-empty string")
    problem = _key_problem(key)
    if problem is not None:
        raise InvalidArgument(f"Invalid {kind} key {key[:60]!r}: {problem}")
    return key


@functools.lru_cache(maxsize=8192)
def _key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid key, or None. Cached: a batch repeats the same few keys."""
    if len(key) > MAX_KEY_LENGTH:
        return f"it is {len(key)} characters long, over the limit of {MAX_KEY_LENGTH} characters"
    if not _KEY_RE.fullmatch(key):
        return (
            "names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
            "spaces ( ), colons (:) and slashes (/)"
        )
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid Unicode text"
    normalized = posixpath.normpath(key)
    if normalized != key or normalized == "." or normalized.startswith(("..", "/")):
        return "names may not be changed by path normalization (no '..', leading or trailing '/', './' or '//')"
    return None


def validate_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not _RUN_ID_RE.fullmatch(run_id):
        raise InvalidArgument(f"Invalid run ID: {str(run_id)[:300]!r}")
    return run_id


def validate_new_run_id(run_id: object) -> str:
    """A caller-chosen id for a new run (an import keeping MLflow's): 32 lowercase hex digits."""
    if not isinstance(run_id, str) or not _NEW_RUN_ID_RE.fullmatch(run_id):
        raise InvalidArgument(f"Invalid run ID: {str(run_id)[:300]!r} (expected 32 lowercase hex digits)")
    return run_id


def check_time(field: str, value: object) -> int:
    """A millisecond timestamp: an integer in [0, 2^63)."""
    return _check_int(field, value, 0, INT64_MAX)


def validate_model_id(model_id: object) -> str:
    if not isinstance(model_id, str) or not _MODEL_ID_RE.fullmatch(model_id):
        raise InvalidArgument(f"Invalid model ID: {str(model_id)[:300]!r}")
    return model_id


def validate_experiment_id(experiment_id: object) -> int:
    """Experiment ids are decimal integer strings; returns the integer."""
    text = str(experiment_id).strip() if isinstance(experiment_id, (str, int)) else ""
    if isinstance(experiment_id, bool) or not text.isdigit() or len(text) > 10 or int(text) > INT32_MAX:
        raise InvalidArgument(f"Invalid experiment ID: {str(experiment_id)[:100]!r}")
    return int(text)


def validate_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("experiment name must be a non-empty string")
    return check_text("experiment name", name, MAX_EXPERIMENT_NAME_LENGTH)


def validate_experiment_tag(tag: ExperimentTag) -> None:
    validate_key("experiment tag", tag.key)
    check_text(f"experiment tag {tag.key!r} value", tag.value, MAX_EXPERIMENT_TAG_VALUE_LENGTH)


def validate_param(param: Param) -> None:
    validate_key("param", param.key)
    check_text(f"param {param.key!r} value", param.value, MAX_PARAM_VALUE_LENGTH)


def validate_run_tag(tag: RunTag) -> None:
    validate_key("tag", tag.key)
    check_text(f"tag {tag.key!r} value", tag.value, MAX_TAG_VALUE_LENGTH)


def _check_int(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{field} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgument(f"{field} {value} is out of range [{low}, {high}]")
    return value


def validate_metric(metric: Metric) -> None:
    validate_key("metric", metric.key)
    value = metric.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"metric {metric.key!r} value must be a number, got {value!r}")
    if isinstance(value, int) and not math.isfinite(float(value)):
        raise InvalidArgument(f"metric {metric.key!r} value {value} does not fit in a double")
    _check_int(f"metric {metric.key!r} timestamp", metric.timestamp, 0, INT64_MAX)
    _check_int(f"metric {metric.key!r} step", metric.step, INT64_MIN, INT64_MAX)
    if metric.model_id is not None:
        validate_model_id(metric.model_id)
    if metric.dataset_name is not None:
        check_text("metric dataset_name", metric.dataset_name, MAX_DATASET_NAME_LENGTH)
    if metric.dataset_digest is not None:
        check_text("metric dataset_digest", metric.dataset_digest, MAX_DATASET_DIGEST_LENGTH)


def validate_batch(metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]) -> None:
    """Counts first (cheap), then every entity; also same-key/different-value params."""
    for what, items, limit in (
        ("metrics", metrics, MAX_METRICS_PER_BATCH),
        ("params", params, MAX_PARAMS_PER_BATCH),
        ("tags", tags, MAX_TAGS_PER_BATCH),
    ):
        if len(items) > limit:
            raise InvalidArgument(
                f"A batch logging request can contain at most {limit} {what}; got {len(items)}"
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidArgument(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} metrics, params "
            f"and tags in total; got {total}"
        )
    for metric in metrics:
        # The common point (what the REST fast path builds) in one expression; anything else,
        # including every invalid point, goes through validate_metric and its messages.
        if not (
            type(metric.value) is float and type(metric.timestamp) is int and type(metric.step) is int
            and 0 <= metric.timestamp <= INT64_MAX and INT64_MIN <= metric.step <= INT64_MAX
            and metric.model_id is None and metric.dataset_name is None and metric.dataset_digest is None
            and type(metric.key) is str and metric.key and _key_problem(metric.key) is None
        ):
            validate_metric(metric)
    seen: dict[str, str] = {}
    for param in params:
        validate_param(param)
        if seen.setdefault(param.key, param.value) != param.value:
            raise InvalidArgument(
                f"Duplicate param key {param.key!r} with different values in one batch "
                f"({seen[param.key]!r} and {param.value!r})"
            )
    for tag in tags:
        validate_run_tag(tag)


def validate_dataset_input(item: DatasetInput) -> None:
    ds = item.dataset
    check_text("dataset name", ds.name, MAX_DATASET_NAME_LENGTH, allow_empty=False)
    check_text("dataset digest", ds.digest, MAX_DATASET_DIGEST_LENGTH, allow_empty=False)
    check_text("dataset source_type", ds.source_type, MAX_DATASET_SOURCE_TYPE_LENGTH, allow_empty=False)
    check_text("dataset source", ds.source, MAX_DATASET_SOURCE_LENGTH)
    if ds.schema is not None:
        check_text("dataset schema", ds.schema, MAX_DATASET_SCHEMA_LENGTH)
    if ds.profile is not None:
        check_text("dataset profile", ds.profile, MAX_DATASET_PROFILE_LENGTH)
    for tag in item.tags:
        check_text("input tag key", tag.key, MAX_INPUT_TAG_KEY_LENGTH, allow_empty=False)
        check_text(f"input tag {tag.key!r} value", tag.value, MAX_INPUT_TAG_VALUE_LENGTH)


def validate_logged_model_name(name: object) -> str:
    check_text("logged model name", name, MAX_LOGGED_MODEL_NAME_LENGTH, allow_empty=False)
    assert isinstance(name, str)
    bad = sorted(set(name) & _MODEL_NAME_FORBIDDEN)
    if bad:
        raise InvalidArgument(
            f"Invalid logged model name {name!r}: it may not contain any of "
            f"{' '.join(sorted(_MODEL_NAME_FORBIDDEN))} (found {' '.join(bad)})"
        )
    return name


def validate_logged_model_tag(tag: LoggedModelTag) -> None:
    validate_key("logged model tag", tag.key)
    check_text(f"logged model tag {tag.key!r} value", tag.value, MAX_LOGGED_MODEL_TAG_VALUE_LENGTH)


def validate_logged_model_param(param: LoggedModelParameter) -> None:
    validate_key("logged model param", param.key)
    check_text(f"logged model param {param.key!r} value", param.value, MAX_PARAM_VALUE_LENGTH)


E = TypeVar("E", bound=Enum)


def parse_enum(cls: type[E], value: object, field: str) -> E:
    """``cls.parse(value)`` (names or MLflow's proto numbers); a bad value is InvalidArgument."""
    try:
        parsed: E = cls.parse(value)  # type: ignore[attr-defined]
    except ValueError as exc:
        raise InvalidArgument(f"Invalid {field}: {exc}") from None
    return parsed


def validate_max_results(value: object, low: int, high: int, field: str = "max_results") -> int:
    return _check_int(field, value, low, high)

