"""Authorization: each route's ``Rule`` (declared in the route table) checked for one request.

Deny by default, in two places:

* ``RouteRules`` (used by the auth middleware) maps a request to the rule of the route it
  will reach; a request that matches no rule is refused before any handler runs;
* ``authorize`` (called by every route-table endpoint, with the parsed fields) checks
  experiment-level rules, and refuses a route without a rule again.

Experiment levels: admins have MANAGE everywhere; otherwise an explicit grant, else the
configured default (``--auth-default-permission``, NO_PERMISSIONS unless changed). A
resource that does not exist is passed on to the handler (which answers 404), except for
artifact-proxy paths, which must name an existing experiment.

Searches never filter after paging: the experiment ids of runs/logged-model searches are
narrowed to the readable ones, and experiment searches get an ``experiment_id [NOT] IN``
restriction added to their filter, before the store is called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.routing import compile_path

from tracklog.artifacts.paths import safe_relpath
from tracklog.auth.rules import Kind, Rule, Source
from tracklog.auth.service import AuthService, Principal, ReadableSet
from tracklog.exceptions import InvalidArgument, PermissionDenied, Unauthenticated
from tracklog.server.request import Params

__all__ = ["NOTHING_READABLE", "RouteRules", "UI_RULE", "authorize"]

#: The web UI's static files: any signed-in user (its API calls are then checked one by one).
#: Anonymous browsers asking for a page are sent to the sign-in page.
UI_RULE = Rule(Kind.AUTHENTICATED, page=True)


MAX_CHECKED_IDS = 1000


class _Nothing:
    """Returned by ``authorize`` for a search where the caller can read no experiment at all."""


NOTHING_READABLE = _Nothing()


@dataclass(frozen=True, slots=True)
class _Entry:
    pattern: re.Pattern[str]
    rules: dict[str, Rule | None]


class RouteRules:
    """Request (method, path) -> the declared rule; ``None`` when the route has no rule."""

    def __init__(self, routes: Iterable[tuple[str, str, Rule | None]], prefix: str = "") -> None:
        by_path: dict[str, dict[str, Rule | None]] = {}
        for method, path, rule in routes:
            by_path.setdefault(path, {})[method] = rule
        self.prefix = prefix
        self._entries = [_Entry(compile_path(path)[0], rules) for path, rules in by_path.items()]

    def match(self, method: str, path: str) -> tuple[bool, Rule | None]:
        """(found, rule): found is False when no declared route has this path and method."""
        if self.prefix:
            if not (path == self.prefix or path.startswith(self.prefix + "/")):
                return False, None
            path = path[len(self.prefix):] or "/"
        method = "GET" if method == "HEAD" else method
        for entry in self._entries:
            if entry.pattern.match(path) and method in entry.rules:
                return True, entry.rules[method]
        return False, None


def authorize(auth: AuthService, rule: Rule | None, principal: Principal | None,
              params: Params) -> Params | _Nothing:
    """Check ``rule`` for one request; returns the (possibly narrowed) fields or ``NOTHING_READABLE``."""
    if rule is None:
        raise PermissionDenied("This endpoint declares no access rule; it is refused (deny by default)")
    if rule.kind is Kind.PUBLIC:
        return params
    if principal is None:
        raise Unauthenticated("Authentication required")
    if rule.kind is Kind.AUTHENTICATED:
        if rule.grant_creator and not principal.is_admin and params.opt_str("artifact_location"):
            raise PermissionDenied("Only administrators may choose an experiment's artifact location")
        return params
    if rule.kind is Kind.ADMIN:
        if not principal.is_admin:
            raise PermissionDenied("Only administrators may do this")
        return params
    if rule.source in (Source.SEARCH, Source.EXPERIMENT_SEARCH):
        return _narrow(auth, principal, params, experiments=rule.source is Source.EXPERIMENT_SEARCH)
    assert rule.source is not None
    for experiment_id in _experiments(auth, rule.source, principal, params):
        have = auth.level(principal, experiment_id)
        if have < rule.level:
            raise PermissionDenied(
                f"Permission denied: {rule.level.name} on experiment {experiment_id} is required"
            )
    return params


def _int_ids(values: Iterable[str]) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue  # not an id: the handler rejects it
    return out


def _experiments(auth: AuthService, source: Source, principal: Principal, p: Params) -> set[int]:
    """The existing experiments a request touches (unknown resources are left to the handler)."""
    store = auth.store
    if source in (Source.EXPERIMENT_ID, Source.DEFAULT_EXPERIMENT_ID):
        raw = p.opt_id("experiment_id") if p.has("experiment_id") else None
        if raw is None:
            raw = "0" if source is Source.DEFAULT_EXPERIMENT_ID else None
        return store.existing_experiments(_int_ids([raw] if raw is not None else []))
    if source is Source.RESOURCE_ID:
        if p.opt_str("resource_type") != "experiment":
            return set()  # the handler refuses other resource types
        return store.existing_experiments(_int_ids([p.req_id("resource_id")]))
    if source is Source.EXPERIMENT_IDS:
        return store.existing_experiments(_int_ids(p.str_list("experiment_ids")))
    if source is Source.EXPERIMENT_NAME:
        name = p.opt_str("experiment_name")
        found = store.experiment_id_by_name(name) if name else None
        return {int(found)} if found is not None else set()
    if source is Source.RUN_ID:
        run_id = p.run_id()
        return set(store.experiment_of_runs([run_id]).values())
    if source is Source.RUN_IDS:
        run_ids = p.str_list("run_ids") + p.str_list("run_id")
        if len(run_ids) > MAX_CHECKED_IDS:
            raise InvalidArgument(f"At most {MAX_CHECKED_IDS} run ids per request")
        return set(store.experiment_of_runs(run_ids).values()) if run_ids else set()
    if source is Source.MODEL_ID:
        found = store.experiment_of_model(p.req_str("model_id"))
        return {int(found)} if found is not None else set()
    if source is Source.ARTIFACT_PATH:
        return _artifact_experiment(auth, principal, p)
    raise AssertionError(f"unhandled source {source}")  # pragma: no cover


def _artifact_experiment(auth: AuthService, principal: Principal, p: Params) -> set[int]:
    # Both spellings are checked: the proxy routes take the path from the URL (artifact_path)
    # or from the query (path, for listings), and a request must not name one and use the other.
    raws = [p.opt_str(name) for name in ("artifact_path", "path") if p.has(name)] or [None]
    found: set[int] = set()
    for raw in raws:
        head = safe_relpath(raw).split("/", 1)[0]
        if principal.is_admin:
            continue
        # ASCII digits only: str.isdigit() also takes '²' (int() fails) and other scripts' digits
        # (int('١') == 1, a directory that is not experiment 1's)
        if not (head.isascii() and head.isdigit()) or not auth.store.existing_experiments([int(head)]):
            raise PermissionDenied("Permission denied: artifact paths outside an experiment's directory "
                                   "(<experiment id>/...) are for administrators only")
        found.add(int(head))
    return found


def _narrow(auth: AuthService, principal: Principal, p: Params, *, experiments: bool) -> Params | _Nothing:
    readable = auth.readable(principal)
    if readable.everything:
        return p
    if experiments:
        return _restrict_experiment_filter(readable.exclude, sorted(readable.ids), p)
    ids = [i for i in p.str_list("experiment_ids") if _readable_id(readable, i)]
    if not ids:
        return NOTHING_READABLE
    return p.with_path_params({"experiment_ids": ids})


def _readable_id(readable: ReadableSet, value: str) -> bool:
    try:
        return readable.allows(int(value))
    except ValueError:
        return False


def _restrict_experiment_filter(exclude: bool, ids: list[int], p: Params) -> Params | _Nothing:
    from tracklog.search import experiments_search

    if not ids and not exclude:
        return NOTHING_READABLE
    if not ids:
        return p
    user_filter = (p.opt_str("filter") or "").strip()
    if user_filter:
        # Validate the caller's filter on its own first: only a complete expression may be
        # wrapped in parentheses (an unbalanced one could otherwise escape the restriction).
        experiments_search(user_filter, None, "sqlite")
    listed = ", ".join(f"'{i}'" for i in ids)
    restriction = f"experiment_id {'NOT IN' if exclude else 'IN'} ({listed})"
    combined = f"({user_filter}) AND {restriction}" if user_filter else restriction
    if len(ids) > 10_000:
        raise InvalidArgument("Too many experiment permissions to search with; ask an administrator")
    return p.with_path_params({"filter": combined})
