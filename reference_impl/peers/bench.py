"""What a peer call costs the switch: CPU per call of its HTTP stack and of httpx, same server.

    python -m reference_impl.peers.bench                       # 5000 calls, 32 in flight
    python -m reference_impl.peers.bench --calls 3000 --concurrency 1

A minimal ASGI server (uvicorn with httptools, as the parties run) answers a CEIBO-sized hold answer
in another process; this process sends the same ``POST /ceibo/v1/holds`` through
:class:`~reference_impl.peers.transport.HttpTransport` and through the parties' ``httpx`` client
(:class:`sandbox.kit.peers.Peers`), a warm-up round first, and prints the CPU of this process per
call (``time.process_time``: steadier than wall time on a shared machine) and the calls per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from reference_impl.peers.transport import HttpTransport
from sandbox.kit.peers import Peers

_SERVER = r"""
import sys, uvicorn
body = (b'{"hold_id":"wd-0123456789abcdef","result":"created","state":"pending","card_id":"DIMO-0001",'
        b'"kind":"debit","amount":"100000","currency":"PYG","reason_code":null,"message":null,'
        b'"available":"900000","created_at":"2026-01-15T15:00:00+00:00","expires_at":"2026-01-16T15:02:00+00:00",'
        b'"resolved_at":null,"trace_number":"T1","counter_id":"RC-001"}')
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", http="httptools")
"""
_HOLD = {
    "hold_id": "wd-0123456789abcdef",
    "card_id": "DIMO-0001",
    "kind": "debit",
    "amount": "100000",
    "currency": "PYG",
    "soft_token": "123456",
    "expires_in_s": 86520,
    "trace_number": "T1",
    "counter_id": "RC-001",
}
Call = Callable[[], Awaitable[int]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _measure(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            status = await call()
            if status != 200:
                raise SystemExit(f"the server answered {status}")

    await asyncio.gather(*(one() for _ in range(200)))  # warm up: connections, caches
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    return (time.process_time() - cpu) / calls * 1e6, calls / (time.perf_counter() - wall)


async def _stack(name: str, url: str, calls: int, concurrency: int) -> tuple[float, float]:
    if name == "switch":
        transport = HttpTransport(url, party="switch", timeout_s=10)

        async def call() -> int:
            return (await transport.request("POST", "/ceibo/v1/holds", json_body=_HOLD)).status

        try:
            return await _measure(call, calls, concurrency)
        finally:
            await transport.aclose()
    peers = Peers("switch", {"ceibo": url})

    async def via_httpx() -> int:
        return (await peers.client("ceibo", timeout_s=10).post("/ceibo/v1/holds", json=_HOLD)).status_code

    try:
        return await _measure(via_httpx, calls, concurrency)
    finally:
        await peers.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_impl.peers.bench", description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="each stack this many times, alternating")
    args = parser.parse_args(argv)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(port)])  # noqa: S603 - our interpreter
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        for _ in range(args.rounds):
            for name in ("switch", "httpx"):
                cpu_us, rate = asyncio.run(_stack(name, url, args.calls, args.concurrency))
                print(
                    f"stack={name} cpu_us_per_call={cpu_us:.1f} calls_per_s={rate:.0f} calls={args.calls}"
                    f" concurrency={args.concurrency} load={os.getloadavg()[0]:.1f}"
                )
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
