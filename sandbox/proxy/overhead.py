"""What the proxy costs a flow: the same cash deposits through red, without and with ``--proxy``.

``python -m sandbox.proxy.overhead [--ops 300]`` starts the sandbox twice on free ports (frozen
clock, the suite's settings), the second time with every party's outbound calls through
mitmdump and the project's addons (capture, contract check, faults: none set), and runs the
same sequence of deposits at red one after another. One deposit makes four proxied calls: red →
switch (open), switch → CEIBO (hold), red → switch (confirm), switch → CEIBO (post), plus a card
lookup when the switch has not seen the card (after each reset). It prints the latency of red's
answer (p50, p95, mean) in both runs and the difference per proxied call. A benchmark, not a
test (BENCHMARKS.md has the figures).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import requests

from sandbox.testing import SandboxHandle, running_sandbox

DEPOSITS_PER_CARD = 9  # the default world allows 10 card holds a day
LINKS_PER_DEPOSIT = 4  # red → switch open and confirm, switch → CEIBO hold and post (+ lookups of new cards)


def _deposits(sandbox: SandboxHandle, ops: int) -> list[float]:
    listed = sandbox.client.party("ceibo").request("GET", "/_sandbox/cards")["cards"]
    cards = [c for c in listed if c["status"] == "active"]
    if ops <= len(cards):
        raise SystemExit(f"--ops must exceed the {len(cards)} active cards (their first round is warm-up)")
    red = f"{sandbox.url('red')}/red/v1/operations"
    latencies: list[float] = []
    with requests.Session() as http:
        counter = http.get(f"{sandbox.url('red')}/red/v1/counters", timeout=10).json()[0]["id"]
        for n in range(ops):
            if n and n % (len(cards) * DEPOSITS_PER_CARD) == 0:
                sandbox.reset()  # back to the world: the cards' daily counts start again
            card = cards[n % len(cards)]
            body = {"operation": "deposit", "counter_id": counter, "amount": "10000"}
            body["document_number"] = card["document_number"]
            started = time.perf_counter()  # a benchmark's own stopwatch, not the sandbox clock
            answer = http.post(red, json=body, timeout=30)
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 201 or answer.json()["status"] != "completed":
                raise SystemExit(f"deposit {n} did not complete: {answer.status_code} {answer.text[:300]}")
    return latencies[len(cards) :]  # leave out the first round: warm-up


def _summary(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{name}: n={len(ms)} p50={statistics.median(ms):.1f} ms p95={p95:.1f} ms mean={statistics.fmean(ms):.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.proxy.overhead", description=__doc__)
    parser.add_argument("--ops", type=int, default=300, help="deposits per run (default 300)")
    args = parser.parse_args(argv)
    results: dict[str, list[float]] = {}
    for proxy in (False, True):
        with tempfile.TemporaryDirectory() as tmp, running_sandbox(Path(tmp), proxy=proxy) as sandbox:
            results["proxy" if proxy else "direct"] = _deposits(sandbox, args.ops)
    for name, ms in results.items():
        print(_summary(name, ms))
    extra = statistics.median(results["proxy"]) - statistics.median(results["direct"])
    print(f"proxy adds {extra:.1f} ms per deposit at p50, ≈ {extra / LINKS_PER_DEPOSIT:.1f} ms per proxied call")


if __name__ == "__main__":
    main()
