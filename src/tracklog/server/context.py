"""What every route handler receives: settings, the tracking store and artifact access."""

from __future__ import annotations

from dataclasses import dataclass

from tracklog.server.artifact_access import ArtifactAccess
from tracklog.server.settings import Settings
from tracklog.store.base import TrackingStore

__all__ = ["ServerContext"]


@dataclass(frozen=True, slots=True)
class ServerContext:
    settings: Settings
    store: TrackingStore
    artifacts: ArtifactAccess
