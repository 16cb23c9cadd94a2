"""The switch's one HTTP stack against real sockets: answers, keep-alive, every way a peer can fail
(no answer in time, an answer cut short, refused, an idle connection closed by the peer), TLS to an
https peer, and the proxy (absolute-form requests; a CONNECT tunnel to an https peer)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reference_impl.peers.transport import HttpTransport, PeerTimeout, PeerUnavailable, peer_transport

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


async def _with_server(
    handler: Handler, test: Callable[[str], Awaitable[None]], *, tls: ssl.SSLContext | None = None
) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        await test(f"{'https' if tls else 'http'}://127.0.0.1:{port}")
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
        transport = HttpTransport(url, party="switch", timeout_s=2)
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
        transport = HttpTransport(url, party="switch", timeout_s=0.2)
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
        transport = HttpTransport(url, party="switch", timeout_s=2)
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
            await HttpTransport(f"http://127.0.0.1:{port}", party="switch", timeout_s=2).request("GET", "/")

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
        transport = HttpTransport(url, party="switch", timeout_s=2)
        assert (await transport.request("POST", "/a")).field("n") == 1
        await asyncio.sleep(0.05)
        assert (await transport.request("POST", "/b")).field("n") == 2
        await transport.aclose()

    asyncio.run(_with_server(handler, test))


def test_peer_urls_and_proxies_are_checked() -> None:
    assert isinstance(peer_transport("https://ceibo.example", party="s", timeout_s=1), HttpTransport)
    with pytest.raises(ValueError, match="http:// or https://"):
        HttpTransport("ftp://ceibo.example", party="s", timeout_s=1)
    with pytest.raises(ValueError, match="proxy"):
        HttpTransport("http://ceibo.example", party="s", timeout_s=1, proxy_url="socks5://127.0.0.1:1080")


# -- TLS and the proxy ---------------------------------------------------------------------------


@dataclass
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A certificate for 127.0.0.1 and localhost, signed by itself, and a client that trusts it."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ceibo.test")])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=36500))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cafile=str(folder / "cert.pem"))
    return Tls(server, client)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request = await _read_request(reader)
            assert request is not None
            line, headers, _ = request
            writer.write(_answer(200, {"line": line, "host": headers.get("host")}))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def test_an_https_peer_is_called_over_tls_and_its_certificate_checked(tls: Tls) -> None:
    async def test(url: str) -> None:
        transport = peer_transport(url, party="switch", timeout_s=5, ssl_context=tls.client)
        got = await transport.request("GET", "/ceibo/v1/cards", params={"document_number": "1"})
        assert got.field("line") == "GET /ceibo/v1/cards?document_number=1 HTTP/1.1"
        again = await transport.request("POST", "/ceibo/v1/holds", json_body={})
        assert again.status == 200
        await transport.aclose()
        untrusted = peer_transport(url, party="switch", timeout_s=5)
        with pytest.raises(PeerUnavailable):  # the system's trust store does not know this certificate
            await untrusted.request("GET", "/")

    asyncio.run(_with_server(_echo, test, tls=tls.server))


def test_through_the_proxy_a_plain_peer_is_asked_in_absolute_form() -> None:
    async def test(proxy_url: str) -> None:  # the "proxy" answers what a forward proxy would relay
        transport = peer_transport("http://ceibo.test:8004", party="switch", timeout_s=5, proxy_url=proxy_url)
        got = await transport.request("POST", "/ceibo/v1/holds/h-1/post")
        assert got.field("line") == "POST http://ceibo.test:8004/ceibo/v1/holds/h-1/post HTTP/1.1"
        assert got.field("host") == "ceibo.test:8004"
        await transport.aclose()

    asyncio.run(_with_server(_echo, test))


def test_through_the_proxy_an_https_peer_is_reached_through_a_connect_tunnel(tls: Tls) -> None:
    tunnels: list[str] = []

    async def run() -> None:
        peer = await asyncio.start_server(_echo, "127.0.0.1", 0, ssl=tls.server)
        peer_port = peer.sockets[0].getsockname()[1]

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()

        async def proxy_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            tunnels.append(head.split("\r\n", 1)[0])
            if not head.startswith(f"CONNECT 127.0.0.1:{peer_port} "):
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                writer.close()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", peer_port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        proxy = await asyncio.start_server(proxy_handler, "127.0.0.1", 0)
        proxy_url = f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
        try:
            transport = peer_transport(
                f"https://127.0.0.1:{peer_port}",
                party="switch",
                timeout_s=5,
                proxy_url=proxy_url,
                ssl_context=tls.client,
            )
            got = await transport.request("GET", "/ceibo/v1/holds/h-1")
            assert got.field("line") == "GET /ceibo/v1/holds/h-1 HTTP/1.1"  # origin form, inside the tunnel
            assert (await transport.request("GET", "/again")).status == 200
            await transport.aclose()
            refused = peer_transport(
                "https://127.0.0.1:1", party="switch", timeout_s=5, proxy_url=proxy_url, ssl_context=tls.client
            )
            with pytest.raises(PeerUnavailable, match="refused the tunnel"):
                await refused.request("GET", "/")
        finally:
            proxy.close()
            peer.close()
            await proxy.wait_closed()
            await peer.wait_closed()

    asyncio.run(run())
    assert tunnels[0] == f"CONNECT 127.0.0.1:{tunnels[0].split(':')[1].split(' ')[0]} HTTP/1.1"
    assert len(tunnels) == 2  # the keep-alive connection carried both requests; then the refused one


def test_extra_request_headers_go_out_and_answer_headers_are_kept_when_asked() -> None:
    seen: list[dict[str, str]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                assert request is not None
                seen.append(request[1])
                raw = b"{}"
                writer.write(b"HTTP/1.1 201 X\r\nIdempotent-Replayed: true\r\nContent-Length: 2\r\n\r\n" + raw)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def test(url: str) -> None:
        keeping = peer_transport(url, party="switch", timeout_s=2, response_headers=True)
        got = await keeping.request("POST", "/x", json_body={}, headers={"Idempotency-Key": "k-1"})
        assert got.header("Idempotent-Replayed") == "true"
        with pytest.raises(ValueError, match="break the request"):
            await keeping.request("GET", "/x", headers={"X-Evil": "a\r\nInjected: 1"})
        await keeping.aclose()
        plain = peer_transport(url, party="switch", timeout_s=2)
        assert (await plain.request("GET", "/x")).headers == {}
        await plain.aclose()

    asyncio.run(_with_server(handler, test))
    assert seen[0]["idempotency-key"] == "k-1"
    assert all("injected" not in h for h in seen)
