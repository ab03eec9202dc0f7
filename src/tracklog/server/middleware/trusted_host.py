"""Host-header allowlist against DNS rebinding and Host injection (403 otherwise; /health exempt).

Enforced by the front middleware (``front.py``).

Entries are matched against the hostname with the port stripped:

* IP addresses (``10.0.0.5``, ``::1``) and networks (``10.0.0.0/8``) match only
  IP-literal hosts, compared as addresses;
* IPv4 globs (``10.*``, ``192.168.1.*``) match only IPv4-literal hosts, so
  ``10.*`` does not admit the rebindable name ``10.evil.example``;
* anything else is a hostname glob (``*.example.com``) and never matches an IP
  literal; a lone ``*`` allows every host (the operator's explicit opt-out).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")
_IPV4_GLOB = re.compile(r"^[0-9*?.\[\]!-]+$")
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def split_host(host: str) -> str:
    """Hostname of a Host header value: lower-cased, port and IPv6 brackets removed."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def parse_ip(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class HostRules:
    addresses: frozenset[IpAddress]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    ip_globs: tuple[str, ...]
    name_globs: tuple[str, ...]
    allow_all: bool = False

    @classmethod
    def build(cls, entries: Iterable[str]) -> HostRules:
        addresses: set[IpAddress] = set()
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        ip_globs: list[str] = []
        names: list[str] = []
        allow_all = False
        for raw in entries:
            entry = split_host(raw) if "/" not in raw else raw.strip().lower()
            if not entry:
                continue
            if entry == "*":
                allow_all = True
                continue
            ip = parse_ip(entry)
            if ip is not None:
                addresses.add(ip)
            elif "/" in entry:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            elif _IPV4_GLOB.match(entry) and any(c in entry for c in "*?["):
                ip_globs.append(entry)
            else:
                names.append(entry)
        return cls(frozenset(addresses), tuple(networks), tuple(ip_globs), tuple(names), allow_all)

    def allows(self, host_header: str) -> bool:
        host = split_host(host_header)
        if not host:
            return False
        if self.allow_all:
            return True
        ip = parse_ip(host)
        if ip is not None:
            if ip in self.addresses or any(ip in net for net in self.networks):
                return True
            return isinstance(ip, ipaddress.IPv4Address) and any(
                fnmatch.fnmatchcase(str(ip), g) for g in self.ip_globs
            )
        if not re.fullmatch(r"[a-z0-9._-]+", host):
            return False
        return any(fnmatch.fnmatchcase(host, g) for g in self.name_globs)
