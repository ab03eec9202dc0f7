"""``tracklog sync``: deliver the spools that processes left behind.

A spool whose owner is alive (its lock is held) is skipped: the owner delivers it. Any
other spool is claimed (locked), delivered in order through the same code as the live
sender, its offline artifacts uploaded, and deleted once nothing is left in it. Writes the
server refused stay in the spool (``--status`` lists them; ``--retry-rejected`` queues them
again, e.g. after fixing a permission).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tracklog.client.spool._deliver import Delivery, Transient
from tracklog.client.spool._file import SpoolFile, list_spools, lock_is_free

__all__ = ["SpoolStatus", "SyncResult", "spool_statuses", "sync_spool"]


@dataclass(frozen=True, slots=True)
class SpoolStatus:
    path: Path
    tracking_uri: str
    pid: str
    live: bool
    pending: int
    rejected: int
    offline_runs: int
    artifacts: bool
    refusals: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SyncResult:
    path: Path
    tracking_uri: str = ""
    skipped_live: bool = False
    delivered: int = 0
    pending: int = 0
    rejected: int = 0
    deleted: bool = False
    mapped: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    refusals: list[str] = field(default_factory=list)


def spool_statuses(directory: Path) -> list[SpoolStatus]:
    out: list[SpoolStatus] = []
    for path in list_spools(directory):
        live = not lock_is_free(path)
        spool = SpoolFile(path, None)
        try:
            meta, counts = spool.meta(), spool.counts()
            refusals = [f"{op.describe()} of run {op.run_id}: {error}" for op, error in spool.rejected(5)]
            artifacts = spool.has_artifacts()
        finally:
            spool.close()
        out.append(SpoolStatus(path, meta.get("tracking_uri", "?"), meta.get("pid", "?"), live,
                               counts["pending"], counts["rejected"], counts["offline_runs"], artifacts, refusals))
    return out


def sync_spool(path: Path, *, dry_run: bool = False, retry_rejected: bool = False,
               tracking_uri: str | None = None) -> SyncResult:
    """Deliver one spool (unless its owner lives); delete it when nothing is left in it."""
    result = SyncResult(path)
    spool = SpoolFile.claim(path)
    if spool is None:
        result.skipped_live = True
        return result
    delete = False
    try:
        result.tracking_uri = tracking_uri or spool.meta().get("tracking_uri", "")
        if retry_rejected and not dry_run:
            spool.requeue_rejected()
        if dry_run:
            counts = spool.counts()
            result.pending, result.rejected = counts["pending"], counts["rejected"]
            return result
        delivery = _delivery(spool, result.tracking_uri)
        try:
            while delivery.step():
                pass
            delivery.upload_all_offline_artifacts()
        except Transient as exc:
            result.error = f"the server is unreachable ({exc}); the rest stays in the spool"
        result.delivered = delivery.delivered
        result.mapped = dict(delivery.mapped)
        result.refusals = [e.message for e in delivery.errors]
        counts = spool.counts()
        result.pending, result.rejected = counts["pending"], counts["rejected"]
        delete = result.error is None and not result.pending and not result.rejected and not spool.has_artifacts()
        result.deleted = delete
        return result
    finally:
        spool.close(delete=delete)


def _delivery(spool: SpoolFile, tracking_uri: str) -> Delivery:
    from tracklog.store.rest import RestStore

    return Delivery(spool, RestStore(tracking_uri), tracking_uri)
