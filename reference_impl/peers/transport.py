"""The switch's one HTTP stack for calls to its peers (CEIBO, the collection network, ...).

:class:`HttpTransport` speaks HTTP/1.1 with keep-alive on asyncio protocols, responses parsed by
``httptools`` (what uvicorn parses requests with), one request at a time per connection, a small
pool of idle connections; TLS when the peer's URL is ``https://`` (the system's trust store, or the
context given); through an HTTP proxy when one is configured (``coop-sandbox up --proxy``):
absolute-form requests for an ``http://`` peer, a ``CONNECT`` tunnel for an ``https://`` one. It
adds the sandbox's headers (``X-Request-Id`` of the request being handled, ``X-Sandbox-Party``),
as :class:`sandbox.kit.peers.Peers` does for the parties' ``httpx`` clients.

Why not ``httpx`` (what the other parties use): measured against the same server at 32 calls in
flight (``BENCHMARKS.md``, issue 11), it costs ≈ 0.07–0.09 ms of the switch's CPU a call, against
≈ 0.3 ms with aiohttp and 3.4–3.9 ms with httpx, whose pool bookkeeping grows with concurrency;
the cash path makes two or three calls per transaction, and under ``coop-sandbox load bench`` the
switch spent 15.3 ms of CPU per hold over httpx against 2.6–2.8 ms over this transport.

Every call answers a :class:`PeerResponse` or raises :class:`PeerTimeout` (no answer in time) /
:class:`PeerUnavailable` (refused, reset, dropped, a broken answer, a refused tunnel).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Protocol, cast
from urllib.parse import urlencode, urlsplit

import httptools

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
    #: The answer's headers (names in lower case), kept only by a transport built with
    #: ``response_headers=True`` (the coop peer reads ``Idempotent-Replayed``); empty otherwise.
    headers: Mapping[str, str] = dc_field(default_factory=dict)

    def field(self, name: str) -> Any:
        return self.body.get(name) if isinstance(self.body, dict) else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class PeerTransport(Protocol):
    """What a peer client needs of the wire (tests give it an in-memory peer)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        timeout_s: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PeerResponse: ...

    async def aclose(self) -> None: ...


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: a request is written, its response parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.closed = False
        self.idle_since = 0.0

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(PeerUnavailable(f"malformed response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.fail(PeerUnavailable(str(exc) if exc else "connection closed before the answer"))

    # -- httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if not self.parser.should_keep_alive():
            self.close()
        body, self.body = b"".join(self.body), []
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    # -- the transport's side
    def fail(self, exc: PeerError) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _HeaderConnection(_Connection):
    """A connection that also keeps the answer's headers (for peers whose protocol uses them)."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: dict[str, str] = {}

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_message_begin(self) -> None:
        self.headers = {}


class _Tunnel(asyncio.Protocol):
    """The proxy's answer to ``CONNECT`` (its head only: what follows is the peer's TLS)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.head += data
        if b"\r\n\r\n" in self.head and not self.done.done():
            self.done.set_result(self.head)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(PeerUnavailable("the proxy closed the tunnel"))


class HttpTransport:
    """HTTP/1.1 keep-alive to one peer on asyncio protocols, parsed with httptools.

    A connection carries one request at a time and goes back to the idle pool once its response
    is complete; a timeout, a cancellation or a broken answer closes it. Idle connections older
    than ``max_idle_s`` are not reused (uvicorn closes idle ones after 5 s), and one the peer closed
    meanwhile is dropped from the pool. A connection that fails during a call is a failed call
    (:class:`PeerUnavailable`), never silently sent again: the caller decides (the switch treats
    it as no answer: NET-06), as it did through the proxy before this was the only stack.
    """

    def __init__(
        self,
        base_url: str,
        *,
        party: str,
        timeout_s: float,
        max_idle_s: float = 2.0,
        proxy_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        response_headers: bool = False,
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"a peer URL is http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.host = url.hostname
        self.tls = url.scheme == "https"
        self.port = url.port or (443 if self.tls else 80)
        self.prefix = url.path.rstrip("/")
        self.party = party
        self.timeout_s = timeout_s
        self.max_idle_s = max_idle_s
        self._host_header = url.netloc
        self._ssl = (ssl_context or ssl.create_default_context()) if self.tls else None
        self._proxy: tuple[str, int] | None = None
        if proxy_url is not None:
            proxy = urlsplit(proxy_url)
            if proxy.scheme != "http" or not proxy.hostname:
                raise ValueError(f"the proxy is an http:// URL, not {proxy_url!r}")
            self._proxy = (proxy.hostname, proxy.port or 80)
        # through a proxy, a plain peer is asked in absolute form; a TLS peer through a tunnel
        self._target_prefix = f"http://{url.netloc}" if self._proxy and not self.tls else ""
        self._idle: list[_Connection] = []
        self._conn_class: type[_Connection] = _HeaderConnection if response_headers else _Connection

    async def _connect(self, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(deadline):
                if self._proxy is None:
                    _, conn = await loop.create_connection(
                        self._conn_class,
                        self.host,
                        self.port,
                        ssl=self._ssl,
                        server_hostname=self.host if self.tls else None,
                    )
                elif not self.tls:
                    _, conn = await loop.create_connection(self._conn_class, *self._proxy)
                else:
                    conn = await self._tunnel(loop)
        except TimeoutError as exc:
            raise PeerTimeout("timeout while connecting") from exc
        except (OSError, ssl.SSLError) as exc:
            raise PeerUnavailable(str(exc) or type(exc).__name__) from exc
        return conn

    async def _tunnel(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        """``CONNECT host:port`` at the proxy, then TLS with the peer inside the tunnel."""
        assert self._proxy is not None
        assert self._ssl is not None
        raw, tunnel = await loop.create_connection(_Tunnel, *self._proxy)
        authority = f"{self.host}:{self.port}"
        raw.write(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode("latin-1"))
        try:
            head = await tunnel.done
            line = head.split(b"\r\n", 1)[0]
            status = line.split(b" ")
            if len(status) < 2 or status[1] != b"200":
                raise PeerUnavailable(f"the proxy refused the tunnel: {line!r}")
            conn = self._conn_class()
            tls = await loop.start_tls(raw, conn, self._ssl, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        if tls is None:  # pragma: no cover - the loop closed the connection
            raise PeerUnavailable("the TLS handshake with the peer failed")
        conn.connection_made(tls)
        return conn

    def _reusable(self, now: float) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < self.max_idle_s:
                return conn
            conn.close()
        return None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        timeout_s: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PeerResponse:
        target = self._target_prefix + self.prefix + path
        if params:
            target = f"{target}?{urlencode(params)}"
        rid = current_request_id() or new_request_id()
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self._host_header}\r\n"
            f"{REQUEST_ID_HEADER}: {rid}\r\n{PARTY_HEADER}: {self.party}\r\n"
        )
        if headers:
            for name, value in headers.items():
                if any(c in name or c in value for c in "\r\n\0") or ":" in name:
                    raise ValueError(f"a header that would break the request: {name!r}")
                head += f"{name}: {value}\r\n"
        if json_body is None:
            payload = (head + "Content-Length: 0\r\n\r\n").encode("latin-1")
        else:
            body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            payload = head.encode("latin-1") + body
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout_s if timeout_s is None else timeout_s)
        conn = self._reusable(loop.time())
        if conn is None:
            conn = await self._connect(deadline)
        status, raw = await self._exchange(conn, payload, deadline)
        if not conn.closed:
            conn.idle_since = loop.time()
            self._idle.append(conn)
        if isinstance(conn, _HeaderConnection):
            return PeerResponse(status, _parse(raw), conn.headers)
        return PeerResponse(status, _parse(raw))

    async def _exchange(self, conn: _Connection, payload: bytes, deadline: float) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        conn.waiter = waiter
        assert conn.transport is not None
        if conn.closed:
            raise PeerUnavailable("connection closed")
        conn.transport.write(payload)
        timer = loop.call_at(deadline, conn.fail, PeerTimeout("no answer in time"))
        try:
            return await waiter
        except BaseException:  # timeout, broken answer, cancellation: the connection is done for
            conn.close()
            raise
        finally:
            timer.cancel()

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


def peer_transport(
    base_url: str,
    *,
    party: str,
    timeout_s: float,
    proxy_url: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    response_headers: bool = False,
) -> HttpTransport:
    """The transport of calls to the peer at ``base_url`` (TLS for https, the proxy if configured);
    ``response_headers=True`` keeps each answer's headers in :attr:`PeerResponse.headers`."""
    return HttpTransport(
        base_url,
        party=party,
        timeout_s=timeout_s,
        proxy_url=proxy_url,
        ssl_context=ssl_context,
        response_headers=response_headers,
    )


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


__all__ = [
    "HttpTransport",
    "PeerError",
    "PeerResponse",
    "PeerTimeout",
    "PeerTransport",
    "PeerUnavailable",
    "peer_transport",
]
