"""What every route handler receives: settings, the tracking store and artifact access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracklog.server.artifact_access import ArtifactAccess
from tracklog.server.settings import Settings
from tracklog.store.base import TrackingStore

if TYPE_CHECKING:
    from tracklog.auth.service import AuthService

__all__ = ["ServerContext"]


@dataclass(frozen=True, slots=True)
class ServerContext:
    settings: Settings
    store: TrackingStore
    artifacts: ArtifactAccess
    auth: AuthService | None = None  # set when the server runs with --auth
