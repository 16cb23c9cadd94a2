"""Who talks to whom: the party a flow comes from and the party it goes to.

* **from**: the ``X-Sandbox-Party`` header every party's peer calls carry (:mod:`sandbox.kit.peers`);
* **to**: the destination ``host:port`` looked up in the sandbox configuration (``localhost`` and
  ``127.0.0.1`` are one host), so ``--external coop=http://10.0.0.5:9000`` is named ``coop`` too.

The route is kept in ``flow.metadata["sandbox"]`` (plain values, so it survives in ``.mitm``
captures) and read by every other addon of the proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

PARTY_HEADER = "x-sandbox-party"
#: Set on the second delivery of a ``duplicate`` fault (value: the fault id); removed before delivery.
COPY_HEADER = "x-sandbox-fault-copy"
#: The reserved host of the proxy's control endpoint (``http://proxy.sandbox/_faults``).
CONTROL_HOST = "proxy.sandbox"
META = "sandbox"
_LOOPBACK = {"localhost": "127.0.0.1", "::1": "127.0.0.1", "[::1]": "127.0.0.1"}


def _norm_host(host: str) -> str:
    host = host.lower().strip("[]") if host.startswith("[") else host.lower()
    return _LOOPBACK.get(host, host)


@dataclass(frozen=True, slots=True)
class PartyMap:
    """``(host, port)`` → party name, built from the parties' base URLs."""

    by_address: Mapping[tuple[str, int], str]
    urls: Mapping[str, str]

    @classmethod
    def from_urls(cls, urls: Mapping[str, str]) -> PartyMap:
        out: dict[tuple[str, int], str] = {}
        for name, url in urls.items():
            parts = urlsplit(url)
            if not parts.hostname:
                raise ValueError(f"{name}: URL sin host: {url!r}")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            out[(_norm_host(parts.hostname), port)] = name
        return cls(out, {name: url.rstrip("/") for name, url in urls.items()})

    @property
    def parties(self) -> frozenset[str]:
        return frozenset(self.by_address.values())

    def party_at(self, host: str, port: int) -> str | None:
        return self.by_address.get((_norm_host(host), port))

    def url_of(self, party: str) -> str | None:
        return self.urls.get(party)


def route_of(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The route an addon tagged on a flow (empty when the flow was not tagged)."""
    route = metadata.get(META)
    return route if isinstance(route, dict) else {}
