"""Access rules: what each route of the route table requires (see ``tracklog.auth.policy``).

Every route declares one ``Rule`` where it is declared (``@table.json(..., permission=...)``).
A route without a rule is refused when authentication is on (deny by default).

* ``PUBLIC``: anyone, no credentials (``/health``, ``/version``).
* ``AUTHENTICATED``: any signed-in user (search endpoints, which filter their results).
* ``ADMIN``: administrators only (user administration).
* ``experiment(level, source)``: the user needs ``level`` on the experiment found from the
  request by ``source`` (see ``Source``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "ADMIN",
    "AUTHENTICATED",
    "CREATOR",
    "PUBLIC",
    "Kind",
    "Level",
    "Rule",
    "Source",
    "experiment",
]


class Level(enum.IntEnum):
    """Permission levels on an experiment, ordered: each includes the ones below it."""

    NO_PERMISSIONS = 0
    READ = 1  # read everything in the experiment
    EDIT = 2  # + create runs and models, log, tag, rename, upload artifacts
    MANAGE = 3  # + delete (runs, models, artifacts, the experiment) and grant permissions

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            allowed = ", ".join(m.name for m in cls)
            raise ValueError(f"Unknown permission {text!r}; expected one of {allowed}") from None


class Kind(enum.Enum):
    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    ADMIN = "admin"
    EXPERIMENT = "experiment"


class Source(enum.Enum):
    """Where the experiment of a request comes from."""

    EXPERIMENT_ID = "experiment_id"  # the experiment_id field
    DEFAULT_EXPERIMENT_ID = "experiment_id or 0"  # runs/create: missing means the Default experiment
    EXPERIMENT_IDS = "experiment_ids"  # every listed experiment
    EXPERIMENT_NAME = "experiment_name"  # the experiment with that name
    RUN_ID = "run_id"  # the run's experiment (run_id, or its alias run_uuid)
    RUN_IDS = "run_ids"  # the experiments of every listed run (run_ids or run_id lists)
    MODEL_ID = "model_id"  # the logged model's experiment
    RESOURCE_ID = "resource_id"  # MLflow 3.x grants: resource_id with resource_type "experiment"
    ARTIFACT_PATH = "artifact_path"  # the first segment of an mlflow-artifacts path
    SEARCH = "search"  # runs/logged-model searches: experiment_ids narrowed to the readable ones
    EXPERIMENT_SEARCH = "experiment search"  # experiments/search: a readable-ids restriction is added


@dataclass(frozen=True, slots=True)
class Rule:
    kind: Kind
    level: Level = Level.NO_PERMISSIONS
    source: Source | None = None
    #: After success, give the caller MANAGE on the ``experiment_id`` of the response.
    grant_creator: bool = False
    #: A web UI page: anonymous browsers are redirected to the sign-in page instead of a 401.
    page: bool = False

    def describe(self) -> str:
        if self.kind is Kind.EXPERIMENT and self.source is not None:
            return f"{self.level.name} on the experiment (from {self.source.value})"
        return self.kind.value


PUBLIC = Rule(Kind.PUBLIC)
AUTHENTICATED = Rule(Kind.AUTHENTICATED)
ADMIN = Rule(Kind.ADMIN)
#: Any signed-in user; the caller then gets MANAGE on the experiment it created.
CREATOR = Rule(Kind.AUTHENTICATED, grant_creator=True)


def experiment(level: Level, source: Source = Source.EXPERIMENT_ID, *, grant_creator: bool = False) -> Rule:
    return Rule(Kind.EXPERIMENT, level, source, grant_creator)
