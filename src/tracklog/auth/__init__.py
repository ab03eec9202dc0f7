"""Authentication and authorization for ``tracklog server --auth`` (see docs/auth.md).

* ``rules``: the access rule every route declares (``PUBLIC``, ``AUTHENTICATED``, ``ADMIN``,
  ``experiment(level, source)``) and the permission ``Level``s;
* ``passwords``, ``tokens``, ``credentials``, ``ratelimit``: credential handling;
* ``service``: ``AuthService`` (who is calling, what they may do);
* ``policy``: checking a route's rule for one request, deny by default.
"""

from __future__ import annotations

from tracklog.auth.rules import ADMIN, AUTHENTICATED, CREATOR, PUBLIC, Level, Rule, Source, experiment

__all__ = ["ADMIN", "AUTHENTICATED", "CREATOR", "PUBLIC", "Level", "Rule", "Source", "experiment"]
