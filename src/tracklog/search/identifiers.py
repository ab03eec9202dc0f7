"""What can be searched: entity-type prefixes and the attributes of each searchable entity.

Prefixes are case-sensitive, as in MLflow: ``metric(s)``, ``param(s)`` /
``parameter(s)``, ``tag(s)``, ``attribute(s)`` / ``attr`` / ``run``,
``dataset(s)``. A bare name is an attribute. Attribute names and their aliases
are case-sensitive too (``run name``, ``Run name`` and ``Run Name`` are the
aliases MLflow knows for ``run_name``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tracklog.search.ast import EntityType

__all__ = [
    "EXPERIMENTS",
    "LOGGED_MODELS",
    "RUNS",
    "AttrType",
    "Attribute",
    "EntitySpec",
    "describe",
    "resolve_prefix",
]

_PREFIXES: dict[str, EntityType] = {
    "metric": EntityType.METRIC,
    "metrics": EntityType.METRIC,
    "param": EntityType.PARAM,
    "params": EntityType.PARAM,
    "parameter": EntityType.PARAM,
    "parameters": EntityType.PARAM,
    "tag": EntityType.TAG,
    "tags": EntityType.TAG,
    "attribute": EntityType.ATTRIBUTE,
    "attributes": EntityType.ATTRIBUTE,
    "attr": EntityType.ATTRIBUTE,
    "run": EntityType.ATTRIBUTE,
    "dataset": EntityType.DATASET,
    "datasets": EntityType.DATASET,
}

_SINGULAR = {
    EntityType.METRIC: "metric",
    EntityType.PARAM: "param",
    EntityType.TAG: "tag",
    EntityType.ATTRIBUTE: "attribute",
    EntityType.DATASET: "dataset",
}


def resolve_prefix(prefix: str) -> EntityType | None:
    return _PREFIXES.get(prefix)


def describe(entity_type: EntityType, key: str) -> str:
    """``metric 'acc'``: how messages name an identifier."""
    return f"{_SINGULAR[entity_type]} '{key}'"


class AttrType(enum.Enum):
    STRING = "string"
    NUMBER = "number"
    ID = "id"
    """An integer id that MLflow clients send as a string (``experiment_id = '3'``)."""


@dataclass(frozen=True)
class Attribute:
    name: str
    type: AttrType
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    label: str
    filter_types: frozenset[EntityType]
    order_types: frozenset[EntityType]
    attributes: tuple[Attribute, ...]
    dataset_keys: frozenset[str] = frozenset()
    _lookup: dict[str, Attribute] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, Attribute] = {}
        for attribute in self.attributes:
            for name in (attribute.name, *attribute.aliases):
                lookup[name] = attribute
        object.__setattr__(self, "_lookup", lookup)

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name`` or one of its aliases."""
        return self._lookup.get(name)

    def attribute_names(self) -> list[str]:
        return [a.name for a in self.attributes]


RUNS = EntitySpec(
    label="runs",
    filter_types=frozenset(EntityType),
    order_types=frozenset({EntityType.METRIC, EntityType.PARAM, EntityType.TAG, EntityType.ATTRIBUTE}),
    attributes=(
        Attribute("run_id", AttrType.STRING),
        Attribute("run_name", AttrType.STRING, ("run name", "Run name", "Run Name")),
        Attribute("status", AttrType.STRING),
        Attribute("user_id", AttrType.STRING),
        Attribute("artifact_uri", AttrType.STRING),
        Attribute("lifecycle_stage", AttrType.STRING),
        Attribute("start_time", AttrType.NUMBER, ("created", "Created")),
        Attribute("end_time", AttrType.NUMBER),
    ),
    dataset_keys=frozenset({"name", "digest", "context"}),
)

EXPERIMENTS = EntitySpec(
    label="experiments",
    filter_types=frozenset({EntityType.TAG, EntityType.ATTRIBUTE}),
    order_types=frozenset({EntityType.TAG, EntityType.ATTRIBUTE}),
    attributes=(
        Attribute("name", AttrType.STRING),
        Attribute("experiment_id", AttrType.ID),
        Attribute("creation_time", AttrType.NUMBER),
        Attribute("last_update_time", AttrType.NUMBER),
    ),
)

LOGGED_MODELS = EntitySpec(
    label="logged models",
    filter_types=frozenset({EntityType.METRIC, EntityType.PARAM, EntityType.TAG, EntityType.ATTRIBUTE}),
    order_types=frozenset({EntityType.METRIC, EntityType.ATTRIBUTE}),
    attributes=(
        Attribute("name", AttrType.STRING),
        Attribute("model_id", AttrType.STRING),
        Attribute("model_type", AttrType.STRING),
        Attribute("status", AttrType.STRING),
        Attribute("source_run_id", AttrType.STRING),
        Attribute("creation_timestamp", AttrType.NUMBER, ("creation_time",)),
        Attribute("last_updated_timestamp", AttrType.NUMBER, ("last_updated_time",)),
    ),
)
