"""coop's debit authorization and credit endpoints side by side with a stateful Mountebank stub of
the same work (issue 12, item 6), in one run on this machine:

    (cd bench/coop && npm ci)                                   # Mountebank 2.9.1, pinned
    .venv/bin/python bench/coop/coop_vs_mountebank.py           # 10 s per endpoint and server, 2 rounds

The server under test runs alone on CPU 0 (``taskset -c 0``), this load generator on CPU 1. Each
server is measured in turn (coop, Mountebank, coop, Mountebank, ...), each endpoint for
``--seconds`` after a one-second warm-up, with ``--concurrency`` requests in flight over
keep-alive connections, every request with its own ``Idempotency-Key``. coop runs as the sandbox
runs it (uvicorn + httptools, SQLite WAL with ``synchronous=FULL``: each answer is on disk before it
is sent; sandbox jobs every second); Mountebank runs ``mb --allowInjection`` with the JavaScript
injection of ``imposter.js`` (the entity's key, idempotency keys, balances and holds in the
imposter's state). Any answer but 201 is an error. The last lines are a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reference_impl.peers.transport import HttpTransport, PeerError  # noqa: E402

HERE = Path(__file__).resolve().parent
MB = HERE / "node_modules" / ".bin" / "mb"
AUTH = "Bearer coop-alianza-key"
ALIANZA = "/coop/v1/entities/ALIANZA"

_COOP_SERVER = r"""
import sys, uvicorn
from sandbox.config import load_config
from sandbox.serve import build_party
config = load_config(None, state_dir=sys.argv[2], clock="real", jobs_interval_s=1.0, log_level="warning",
                     journal_bodies=False)
uvicorn.run(build_party("coop", config), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, http="httptools", backlog=4096)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout_s} s")


def _get_json(url: str) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(url, headers={"Authorization": AUTH})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    server: str
    endpoint: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def per_cpu_s(self) -> float:
        """Requests answered per CPU-second of the server: steadier than req/s on a shared machine."""
        return self.requests / self.cpu_s if self.cpu_s else float("nan")

    def p(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(
    base: str,
    server: str,
    endpoint: str,
    body: dict[str, str],
    seconds: float,
    concurrency: int,
    tag: str,
    pid: int,
) -> Result:
    transports = [HttpTransport(base, party="bench", timeout_s=30) for _ in range(concurrency)]
    counts = {"ok": 0, "errors": 0}
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def worker(n: int, until: float, record: bool) -> None:
        transport, i = transports[n], 0
        while loop.time() < until:
            i += 1
            headers = {"Authorization": AUTH, "Idempotency-Key": f"{tag}-{n}-{i}-{record}"}
            started = loop.time()
            try:
                answer = await transport.request("POST", f"{ALIANZA}/{endpoint}", json_body=body, headers=headers)
                ok = answer.status == 201
            except PeerError:
                ok = False
            if record:
                latencies.append((loop.time() - started) * 1000)
                counts["ok" if ok else "errors"] += 1

    warm = loop.time() + 1.0
    await asyncio.gather(*(worker(n, warm, False) for n in range(concurrency)))
    start, cpu = loop.time(), _cpu_s(pid)
    await asyncio.gather(*(worker(n, start + seconds, True) for n in range(concurrency)))
    elapsed, cpu = loop.time() - start, _cpu_s(pid) - cpu
    for transport in transports:
        await transport.aclose()
    return Result(server, endpoint, counts["ok"] + counts["errors"], counts["errors"], elapsed, latencies, cpu)


def _start_coop(state_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-c", _COOP_SERVER, str(port), state_dir], cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/_sandbox/health")
    return process, base


def _start_mountebank(products: dict) -> tuple[subprocess.Popen[bytes], str]:  # type: ignore[type-arg]
    if not MB.exists():
        raise SystemExit(f"Mountebank is not installed: (cd {HERE} && npm ci)")
    admin, port = _free_port(), _free_port()
    process = subprocess.Popen(
        ["taskset", "-c", "0", str(MB), "start", "--port", str(admin), "--allowInjection", "--nologfile",
         "--loglevel", "error", "--localOnly"],
        cwd=HERE, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    _wait(f"http://127.0.0.1:{admin}/config")
    injection = (HERE / "imposter.js").read_text().replace("PRODUCTS_JSON", json.dumps(json.dumps(products)))
    imposter = {
        "port": port,
        "protocol": "http",
        "recordRequests": False,
        "stubs": [
            {
                "predicates": [{"equals": {"method": "POST"}}, {"startsWith": {"path": f"{ALIANZA}/"}}],
                "responses": [{"inject": injection}],
            }
        ],
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{admin}/imposters",
        data=json.dumps(imposter).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    return process, f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["coop", "mountebank"], default=None)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {1})  # the load generator on CPU 1; servers on CPU 0

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as state_dir:
        coop, coop_base = _start_coop(state_dir)
        try:
            member = _get_json(f"{coop_base}{ALIANZA}/members?document_type=CC&document_number=1033370434")
            products = _get_json(f"{coop_base}{ALIANZA}/members/{member['member_id']}/products")["products"]
            savings = next(p for p in products if p["number_masked"] == "****7756")
        finally:
            coop.terminate()
            coop.wait()
        stub_products = {savings["product_id"]: {"balance": 250_000_000, "held": 0, "masked": "****7756"}}
        debit = {"product_id": savings["product_id"], "amount": "1.00", "currency": "COP", "reference": "BENCH-D"}
        credit = {**debit, "amount": "1000.00", "reference": "BENCH-C", "payment_option": "free"}
        servers = [s for s in ("coop", "mountebank") if args.only in (None, s)]
        for round_ in range(args.rounds):
            for server in servers:
                if server == "coop":
                    process, base = _start_coop(state_dir)
                else:
                    process, base = _start_mountebank(stub_products)
                try:
                    for endpoint, body in (("debits", debit), ("credits", credit)):
                        result = asyncio.run(
                            _load(
                                base,
                                server,
                                endpoint,
                                body,
                                args.seconds,
                                args.concurrency,
                                f"r{round_}{endpoint}",
                                process.pid,
                            )
                        )
                        results.append(result)
                        print(
                            f"round {round_ + 1} {server:10} {endpoint:8} {result.rps:8.0f} req/s  "
                            f"errors {result.errors}  p50 {result.p(0.5):.1f} ms  p99 {result.p(0.99):.1f} ms  "
                            f"{result.per_cpu_s:.0f} req per server CPU-second",
                            flush=True,
                        )
                finally:
                    process.terminate()
                    process.wait()

    print(
        "\n| server | endpoint | req/s (each round) | median req/s | req per server CPU-s | errors | p50 ms | p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    medians: dict[tuple[str, str], float] = {}
    cpu_medians: dict[tuple[str, str], float] = {}
    for server in ("coop", "mountebank"):
        for endpoint in ("debits", "credits"):
            rows = [r for r in results if (r.server, r.endpoint) == (server, endpoint)]
            if not rows:
                continue
            median = statistics.median(r.rps for r in rows)
            medians[(server, endpoint)] = median
            cpu_medians[(server, endpoint)] = statistics.median(r.per_cpu_s for r in rows)
            print(
                f"| {server} | POST .../{endpoint} | {' · '.join(f'{r.rps:.0f}' for r in rows)} | {median:.0f} | "
                f"{cpu_medians[(server, endpoint)]:.0f} | "
                f"{sum(r.errors for r in rows)} | {statistics.median(r.p(0.5) for r in rows):.1f} | "
                f"{statistics.median(r.p(0.99) for r in rows):.1f} |"
            )
    for endpoint in ("debits", "credits"):
        if ("coop", endpoint) in medians and ("mountebank", endpoint) in medians:
            ratio = medians[("coop", endpoint)] / medians[("mountebank", endpoint)]
            per_cpu = cpu_medians[("coop", endpoint)] / cpu_medians[("mountebank", endpoint)]
            print(f"coop / Mountebank, {endpoint}: {ratio:.2f}x req/s, {per_cpu:.2f}x req per server CPU-second")


if __name__ == "__main__":
    main()
