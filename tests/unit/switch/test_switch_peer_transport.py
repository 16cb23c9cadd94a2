"""The switch's raw HTTP/1.1 transport to CEIBO against a real socket: answers, keep-alive, and
every way a peer can fail (no answer in time, an answer cut short, refused, an idle connection
closed by the peer)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from reference_impl.peers.transport import (
    AiohttpTransport,
    PeerTimeout,
    PeerUnavailable,
    RawHttpTransport,
    peer_transport,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return lines[0], headers, body


def _answer(status: int, body: dict[str, Any]) -> bytes:
    raw = json.dumps(body).encode()
    return f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n".encode() + raw


async def _with_server(handler: Handler, test: Callable[[str], Awaitable[None]]) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await test(f"http://127.0.0.1:{port}")
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)


def test_requests_carry_the_sandbox_headers_and_reuse_the_connection() -> None:
    seen: list[tuple[str, dict[str, str], bytes]] = []
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:
                request = await _read_request(reader)
                assert request is not None
                seen.append(request)
                writer.write(_answer(200, {"echo": request[0]}))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def test(url: str) -> None:
        transport = RawHttpTransport(url, party="switch", timeout_s=2)
        got = await transport.request("POST", "/ceibo/v1/holds", json_body={"amount": "150000", "name": "Señor"})
        assert (got.status, got.field("echo")) == (200, "POST /ceibo/v1/holds HTTP/1.1")
        lookup = await transport.request("GET", "/ceibo/v1/cards", params={"phone": "0981 123"})
        assert lookup.field("echo") == "GET /ceibo/v1/cards?phone=0981+123 HTTP/1.1"
        await transport.aclose()

    asyncio.run(_with_server(handler, test))
    assert connections == 1
    _, headers, body = seen[0]
    assert headers["x-sandbox-party"] == "switch" and len(headers["x-request-id"]) == 16
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"amount": "150000", "name": "Señor"}
    assert seen[1][1]["content-length"] == "0"


def test_no_answer_in_time_is_a_timeout_and_the_connection_is_not_reused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        assert request is not None
        if request[0].startswith("POST /slow"):
            await asyncio.sleep(1)  # the answer comes too late, on this connection
        writer.write(_answer(200, {"path": request[0]}))
        await writer.drain()
        writer.close()

    async def test(url: str) -> None:
        transport = RawHttpTransport(url, party="switch", timeout_s=0.2)
        with pytest.raises(PeerTimeout):
            await transport.request("POST", "/slow")
        fast = await transport.request("POST", "/fast")
        assert fast.field("path") == "POST /fast HTTP/1.1"
        await transport.aclose()

    asyncio.run(_with_server(handler, test))


def test_an_answer_cut_short_or_a_refused_connection_is_unavailable() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n{")  # then the connection drops
        await writer.drain()
        writer.close()

    async def test(url: str) -> None:
        transport = RawHttpTransport(url, party="switch", timeout_s=2)
        with pytest.raises(PeerUnavailable):
            await transport.request("POST", "/ceibo/v1/holds", json_body={})
        await transport.aclose()

    asyncio.run(_with_server(handler, test))

    async def refused() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(PeerUnavailable):
            await RawHttpTransport(f"http://127.0.0.1:{port}", party="switch", timeout_s=2).request("GET", "/")

    asyncio.run(refused())


def test_an_idle_connection_the_peer_closed_is_replaced() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        request = await _read_request(reader)
        assert request is not None
        writer.write(_answer(200, {"n": connections}))  # keep-alive promised, then closed anyway
        await writer.drain()
        writer.close()

    async def test(url: str) -> None:
        transport = RawHttpTransport(url, party="switch", timeout_s=2)
        assert (await transport.request("POST", "/a")).field("n") == 1
        await asyncio.sleep(0.05)
        assert (await transport.request("POST", "/b")).field("n") == 2
        await transport.aclose()

    asyncio.run(_with_server(handler, test))


def test_the_proxy_and_https_go_through_aiohttp() -> None:
    assert isinstance(peer_transport("http://127.0.0.1:8004", party="s", timeout_s=1), RawHttpTransport)
    proxied = peer_transport("http://127.0.0.1:8004", party="s", timeout_s=1, proxy_url="http://127.0.0.1:8080")
    assert isinstance(proxied, AiohttpTransport)
    assert isinstance(peer_transport("https://ceibo.example", party="s", timeout_s=1), AiohttpTransport)
    with pytest.raises(ValueError, match="http://"):
        RawHttpTransport("https://ceibo.example", party="s", timeout_s=1)
