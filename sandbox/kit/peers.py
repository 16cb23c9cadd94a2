"""Calls from one party to another.

:class:`Peers` hands out one ``httpx.AsyncClient`` per peer (base URL from the sandbox
configuration, so ``--external coop=URL`` just works), adds the ``X-Request-Id`` of the request
being handled and an ``X-Sandbox-Party`` header saying who calls, and sends everything through
the sandbox's HTTP proxy when one is configured (``coop-sandbox up --proxy``).
"""

from __future__ import annotations

import re

import httpx

from sandbox.kit.observe import PARTY_HEADER, REQUEST_ID_HEADER, current_request_id, new_request_id

_TEMPLATE = re.compile(r"\{(\w+)\}")


class UnknownPeer(KeyError):
    pass


class Peers:
    def __init__(
        self,
        party: str,
        urls: dict[str, str],
        *,
        proxy_url: str | None = None,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.party = party
        self.urls = dict(urls)
        self.proxy_url = proxy_url
        self.timeout_s = timeout_s
        self._transport = transport
        self._clients: dict[str, httpx.AsyncClient] = {}

    def url(self, name: str) -> str:
        """Base URL of a peer (also what browsers are redirected to)."""
        try:
            return self.urls[name]
        except KeyError:
            raise UnknownPeer(f"unknown party {name!r}; known: {sorted(self.urls)}") from None

    def resolve(self, template: str) -> str:
        """``"{merchant}/payu/confirmacion"`` → ``"http://127.0.0.1:8007/payu/confirmacion"``."""
        return _TEMPLATE.sub(lambda m: self.url(m.group(1)), template)

    async def _add_headers(self, request: httpx.Request) -> None:
        request.headers.setdefault(REQUEST_ID_HEADER, current_request_id() or new_request_id())
        request.headers[PARTY_HEADER] = self.party

    def client(self, name: str, *, timeout_s: float | None = None) -> httpx.AsyncClient:
        """The client for calls to ``name`` (relative URLs are resolved against its base URL)."""
        key = f"{name}:{timeout_s}"
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(
                base_url=self.url(name),
                timeout=httpx.Timeout(timeout_s or self.timeout_s),
                proxy=self.proxy_url if self._transport is None else None,
                transport=self._transport,
                trust_env=False,
                event_hooks={"request": [self._add_headers]},
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
            )
            self._clients[key] = client
        return client

    def absolute_client(self, *, timeout_s: float | None = None) -> httpx.AsyncClient:
        """A client for absolute URLs (for example a merchant's confirmation URL)."""
        key = f"*:{timeout_s}"
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(timeout_s or self.timeout_s),
                proxy=self.proxy_url if self._transport is None else None,
                transport=self._transport,
                trust_env=False,
                event_hooks={"request": [self._add_headers]},
            )
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()
