"""Request limits on every running party, over real sockets (issue 16, item 6).

The measured case: a 100 MB JSON body was parsed by the switch (437 MB of memory) and a deeply
nested one logged a RecursionError and was missing from the journal. Now every party refuses a
body over ``max_body_bytes`` (1 MiB) with ``413 payload_too_large`` without reading it (declared
length) or as soon as the streamed count passes the limit (chunked), and a JSON body nested deeper
than ``max_json_depth`` with ``422 json_too_deep``; the process's memory does not grow by the body,
and the request is in the journal.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest

from sandbox.config import PARTIES
from sandbox.testing import SandboxHandle

MIB = 1024 * 1024
#: A protocol route of each party that takes a JSON body (what it is does not matter: the limits
#: come first).
ROUTES = {
    "switch": "/sicoop/v1/withdrawals",
    "ach": "/psewebapinf/api/createTransactionPaymentNF",
    "bank": "/banca/1022",
    "coop": "/_probe",  # a shell: no protocol route yet, the limit still applies
    "ceibo": "/ceibo/v1/holds",
    "red": "/red/v1/operations",
    "gateway": "/checkout",
    "merchant": "/payu/confirmacion",
    "notify": "/messages",
}


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30)
    return sock


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, json.loads(rest[:length])


def _rss(sandbox: SandboxHandle, party: str) -> int:
    assert sandbox.run is not None
    proc = psutil.Process(sandbox.run.procs[party].pid)
    return int(sum(p.memory_info().rss for p in (proc, *proc.children(recursive=True))))


def _journal_statuses(sandbox: SandboxHandle, party: str, path: str) -> list[int]:
    entries = sandbox.client.party(party).request("GET", "/_sandbox/journal", params={"path": path, "limit": 5})
    return [e["status"] for e in entries["entries"]]


@pytest.mark.parametrize("party", list(PARTIES))
def test_a_declared_100_mb_body_is_refused_unread(fresh_sandbox: SandboxHandle, party: str) -> None:
    if fresh_sandbox.config.party(party).external:
        pytest.skip(f"{party} is external: its limits are its own")
    path = ROUTES[party]
    with _connect(fresh_sandbox.url(party)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * MIB}\r\n\r\n".encode()
            + b'{"trace_number": "'
        )
        status, body = _read_answer(sock)
    assert status == 413, body
    assert body["error"] == "payload_too_large" and body["max_bytes"] == MIB and "message" in body
    assert _journal_statuses(fresh_sandbox, party, path)[:1] == [413]


@pytest.mark.parametrize("party", ["switch", "red"])
def test_a_streamed_100_mb_body_is_cut_at_the_limit(fresh_sandbox: SandboxHandle, party: str) -> None:
    """Chunked, no length declared: the party stops reading past the limit; its memory stays put."""
    before = _rss(fresh_sandbox, party)
    path = ROUTES[party]
    chunk = b'"' + b"9" * (64 * 1024 - 2) + b'"'
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with _connect(fresh_sandbox.url(party)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        try:
            while sent < 100 * MIB:
                sock.sendall(framed)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the party answered and closed: nothing more is read
        status, body = _read_answer(sock)
    assert status == 413 and body["error"] == "payload_too_large"
    assert sent < 100 * MIB, "the party read the whole body"
    assert _rss(fresh_sandbox, party) - before < 50 * MIB
    assert _journal_statuses(fresh_sandbox, party, path)[:1] == [413]


@pytest.mark.parametrize("party", ["switch", "ceibo", "red", "notify"])
def test_a_deeply_nested_body_is_422_and_journaled(fresh_sandbox: SandboxHandle, party: str) -> None:
    path = ROUTES[party]
    deep = b"[" * 100_000 + b"]" * 100_000
    with _connect(fresh_sandbox.url(party)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(deep)}\r\nConnection: close\r\n\r\n".encode()
            + deep
        )
        status, body = _read_answer(sock)
    assert status == 422 and body["error"] == "json_too_deep" and body["max_depth"] == 64, body
    assert _journal_statuses(fresh_sandbox, party, path)[:1] == [422]
    health = fresh_sandbox.client.party(party).request("GET", "/_sandbox/health")
    assert health["status"] == "ok"
