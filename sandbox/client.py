"""A small synchronous client for the sandbox's control API and the notify outbox.

Used by the CLI and by the BDD steps; works against any party that implements the control API,
including an external one.

>>> sandbox = SandboxClient({"notify": "http://127.0.0.1:8008", "switch": "http://127.0.0.1:8000"})
>>> sandbox.advance_clock(300)                      # doctest: +SKIP
>>> sandbox.notify.latest_secret(to="3104567890")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import requests

DEFAULT_TIMEOUT_S = 10.0


class ControlError(RuntimeError):
    """A party answered the control API with an error (or did not answer)."""

    def __init__(self, party: str, status: int | None, code: str, message: str, field: str | None = None) -> None:
        self.party, self.status, self.code, self.field = party, status, code, field
        super().__init__(f"{party}: {code}: {message}" + (f" (campo {field})" if field else ""))


class PartyClient:
    def __init__(self, name: str, base_url: str, http: requests.Session, timeout_s: float) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._timeout = timeout_s

    def __repr__(self) -> str:
        return f"PartyClient({self.name!r}, {self.base_url!r})"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, self.base_url + path, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            raise ControlError(self.name, None, "unreachable", f"sin respuesta de {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ControlError(
                self.name,
                response.status_code,
                str(body.get("error", f"http_{response.status_code}")),
                str(body.get("message", response.text[:200])),
                body.get("field"),
            )
        return response.json() if response.content else None

    # -- control API ------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/_sandbox/health")
        return result

    def reset(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/_sandbox/reset")
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/_sandbox/state")["state"]
        return result

    def clock(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/_sandbox/clock")
        return result

    def now(self) -> datetime:
        return datetime.fromisoformat(self.clock()["now"])

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/_sandbox/clock", json={"advance_s": seconds})
        return result

    def set_clock(self, moment: datetime) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/_sandbox/clock", json={"set": moment.isoformat()})
        return result

    def tick(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/_sandbox/tick")
        return result

    def rules(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", "/_sandbox/rules")["rules"]
        return result

    def set_rules(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("PUT", "/_sandbox/rules", json=rules)["rules"]
        return result

    def add_rule(self, rule: dict[str, Any]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("POST", "/_sandbox/rules", json=rule)["rules"]
        return result

    def clear_rules(self) -> None:
        self.request("DELETE", "/_sandbox/rules")

    def journal(self, limit: int = 100, path: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if path:
            params["path"] = path
        result: list[dict[str, Any]] = self.request("GET", "/_sandbox/journal", params=params)["entries"]
        return result


class NotifyClient(PartyClient):
    def messages(
        self, to: str | None = None, *, channel: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"to": to, "channel": channel, "kind": kind, "limit": limit}.items() if v}
        result: list[dict[str, Any]] = self.request("GET", "/_sandbox/messages", params=params)["messages"]
        return result

    def latest_secret(self, to: str, kind: str = "otp") -> str | None:
        """The code in the newest message of ``kind`` to ``to`` (what a person reads on the phone)."""
        found = self.messages(to, kind=kind, limit=1)
        return found[0]["secret"] if found else None


class SandboxClient:
    """Every party of one sandbox, by name."""

    def __init__(self, urls: Mapping[str, str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.urls = dict(urls)
        self._http = requests.Session()
        self._timeout = timeout_s
        self._parties: dict[str, PartyClient] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def party(self, name: str) -> PartyClient:
        if name not in self._parties:
            if name not in self.urls:
                raise KeyError(f"unknown party {name!r}; known: {sorted(self.urls)}")
            cls = NotifyClient if name == "notify" else PartyClient
            self._parties[name] = cls(name, self.urls[name], self._http, self._timeout)
        return self._parties[name]

    __getitem__ = party

    @property
    def notify(self) -> NotifyClient:
        client = self.party("notify")
        assert isinstance(client, NotifyClient)
        return client

    def _each(self, names: Iterable[str] | None) -> list[PartyClient]:
        return [self.party(n) for n in (names or self.urls)]

    def health_all(self, names: Iterable[str] | None = None) -> dict[str, dict[str, Any] | ControlError]:
        out: dict[str, dict[str, Any] | ControlError] = {}
        for party in self._each(names):
            try:
                out[party.name] = party.health()
            except ControlError as exc:
                out[party.name] = exc
        return out

    def reset_all(self, names: Iterable[str] | None = None) -> None:
        for party in self._each(names):
            party.reset()

    def tick_all(self, names: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
        return {p.name: p.tick()["jobs"] for p in self._each(names)}

    def advance_clock(self, seconds: float, names: Iterable[str] | None = None) -> datetime:
        """Move sandbox time forward on every party, then let every party run its due jobs.

        Parties started together share one clock (same ``clock_id``): it is advanced once.
        An external party with a clock of its own is advanced on its own.
        """
        parties = self._each(names)
        groups: dict[str, PartyClient] = {}
        for party in parties:
            groups.setdefault(party.clock()["clock_id"], party)
        now = None
        for party in groups.values():
            now = datetime.fromisoformat(party.advance_clock(seconds)["now"])
        for party in parties:
            if party not in groups.values():
                party.tick()
        assert now is not None
        return now

    def now(self, name: str | None = None) -> datetime:
        return self.party(name or next(iter(self.urls))).now()
