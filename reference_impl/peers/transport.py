"""How the switch's hot-path peer clients put requests on the wire.

:class:`AiohttpTransport` is the production transport: one pooled ``aiohttp`` session per peer,
the sandbox's headers (``X-Request-Id`` of the request being handled, ``X-Sandbox-Party``) and
proxy (``coop-sandbox up --proxy``), as :class:`sandbox.kit.peers.Peers` does for ``httpx``. It
exists because a call costs ~0.5 ms of CPU with aiohttp against 1.5–3 ms with httpx (whose pool
bookkeeping grows with concurrency), and the cash path makes two or three calls per transaction.

:class:`HttpxTransport` wraps an ``httpx.AsyncClient`` (for instance ``ctx.peers.client(...)``
or one on ``httpx.MockTransport`` in tests). Both answer a :class:`PeerResponse` or raise
:class:`PeerTimeout` (no answer in time) / :class:`PeerUnavailable` (refused, reset, dropped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx

from sandbox.kit.observe import PARTY_HEADER, REQUEST_ID_HEADER, current_request_id, new_request_id


class PeerError(Exception):
    """The peer gave no usable answer."""


class PeerTimeout(PeerError):
    pass


class PeerUnavailable(PeerError):
    pass


@dataclass(frozen=True, slots=True)
class PeerResponse:
    status: int
    body: Any  # parsed JSON, or None

    def field(self, name: str) -> Any:
        return self.body.get(name) if isinstance(self.body, dict) else None


class PeerTransport(Protocol):
    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json_body: Any = None
    ) -> PeerResponse: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    def __init__(
        self,
        base_url: str,
        *,
        party: str,
        timeout_s: float,
        proxy_url: str | None = None,
        max_connections: int = 64,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.party = party
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.proxy_url = proxy_url
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections),
                timeout=self.timeout,
                json_serialize=json.dumps,
            )
        return self._session

    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json_body: Any = None
    ) -> PeerResponse:
        headers = {REQUEST_ID_HEADER: current_request_id() or new_request_id(), PARTY_HEADER: self.party}
        try:
            async with self._open().request(
                method, self.base_url + path, params=params, json=json_body, headers=headers, proxy=self.proxy_url
            ) as response:
                raw = await response.read()
                return PeerResponse(response.status, _parse(raw))
        except TimeoutError as exc:  # aiohttp's timeouts derive from it
            raise PeerTimeout(str(exc) or "timeout") from exc
        except aiohttp.ClientError as exc:
            raise PeerUnavailable(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxTransport:
    """Any ``httpx.AsyncClient`` (its base URL, headers and proxy as configured)."""

    def __init__(self, client: Callable[[], httpx.AsyncClient]) -> None:
        self._client = client

    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json_body: Any = None
    ) -> PeerResponse:
        try:
            response = await self._client().request(method, path, params=params, json=json_body)
        except httpx.TimeoutException as exc:
            raise PeerTimeout(str(exc) or "timeout") from exc
        except httpx.HTTPError as exc:
            raise PeerUnavailable(str(exc) or type(exc).__name__) from exc
        return PeerResponse(response.status_code, _parse(response.content))

    async def aclose(self) -> None:
        return None


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


__all__ = [
    "AiohttpTransport",
    "HttpxTransport",
    "PeerError",
    "PeerResponse",
    "PeerTimeout",
    "PeerTransport",
    "PeerUnavailable",
]
