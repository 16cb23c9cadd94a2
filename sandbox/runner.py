"""Start and stop a whole sandbox: one process per party, one shared clock.

Used by ``coop-sandbox up`` and by the test suites' fixtures. Each party runs
``python -m sandbox.serve NAME`` with the resolved configuration; a party configured as
external is not started and its peers call the given URL instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import requests

from sandbox.config import RUN_ENV, SandboxConfig, dump_for_child
from sandbox.kit.clock import FileClockState, to_us
from sandbox.proxy.launcher import ProxyProcess, ProxySettings, ProxyStartError
from sandbox.supervisor import Event, Supervisor
from sandbox.world import World

#: Where a frozen sandbox clock starts unless ``clock_start`` says otherwise.
DEFAULT_FROZEN_START = "2026-01-15T10:00:00-05:00"


class StartError(RuntimeError):
    """A party did not start; the message says which and shows the end of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def with_free_ports(config: SandboxConfig) -> SandboxConfig:
    """A copy of ``config`` where every started party listens on a free port."""
    out = config.model_copy(deep=True)
    for party in out.parties.values():
        if not party.external:
            party.port = free_port(party.host)
    return out


class SandboxRun:
    def __init__(
        self,
        config: SandboxConfig,
        *,
        inherit_output: bool = False,
        proxy: ProxySettings | None = None,
        fresh: bool = False,
    ) -> None:
        self.config = config
        #: ``up --fresh``: the clock starts again and every party goes back to the world; otherwise
        #: the run continues what the state directory holds (parties' stores, the clock's offset).
        self.fresh = fresh
        #: Whether the clock of a previous run was kept (set by :meth:`start`).
        self.clock_kept = False
        #: With ``proxy``, every party's peer calls go through mitmproxy (``up --proxy``).
        self.proxy_settings = proxy
        self.proxy: ProxyProcess | None = None
        if proxy is not None:
            config.proxy_url = proxy.url
        self.inherit_output = inherit_output
        self.state_dir = Path(config.state_dir).resolve()
        self.run_dir = self.state_dir / "run"
        self.log_dir = self.state_dir / "logs"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}
        self._env: dict[str, str] = {}
        self.lock = threading.RLock()
        #: Restarts a party that dies (:mod:`sandbox.supervisor`), when started with ``supervise=True``.
        self.supervisor: Supervisor | None = None

    @property
    def started(self) -> list[str]:
        return [n for n, p in self.config.parties.items() if p.enabled and not p.external]

    def urls(self) -> dict[str, str]:
        return self.config.urls()

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _prepare(self) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        mode = self.config.clock
        value = 0
        if mode == "frozen":
            start = self.config.clock_start or DEFAULT_FROZEN_START
            value = to_us(datetime.fromisoformat(start))
        if self.fresh:
            FileClockState.create(self.run_dir / "clock", mode=mode, value_us=value).close()
        else:
            clock, self.clock_kept = FileClockState.open_or_create(self.run_dir / "clock", mode=mode, value_us=value)
            clock.close()
        config = self.config.model_copy(update={"state_dir": str(self.state_dir)})
        return dump_for_child(config, self.run_dir / "config.json")

    def start(
        self, timeout_s: float = 30.0, *, supervise: bool = False, on_event: Callable[[Event], None] | None = None
    ) -> None:
        """Start every party and wait for their health checks. ``supervise``: a party that dies
        afterwards is restarted (``on_event`` hears of it); without it, nobody restarts it."""
        busy = [
            f"{n} ({p.host}:{p.port})"
            for n, p in self.config.parties.items()
            if n in self.started and port_in_use(p.host, p.port)
        ]
        if self.proxy_settings is not None and port_in_use(self.proxy_settings.host, self.proxy_settings.port):
            busy.append(f"proxy ({self.proxy_settings.host}:{self.proxy_settings.port})")
        if busy:
            raise StartError(
                "Puertos ocupados: " + ", ".join(busy) + ". ¿Hay otro sandbox corriendo? "
                "Deténgalo o cambie los puertos en sandbox.toml."
            )
        config_file = self._prepare()
        env = {**os.environ, RUN_ENV: str(config_file), "COOP_SANDBOX_SUPERVISED": "1",
               "PYTHONUNBUFFERED": "1"}  # fmt: skip
        self._env = env
        if self.proxy_settings is not None:
            self._start_proxy(config_file, timeout_s)
        for name in self.started:
            self.procs[name] = self.spawn(name)
        try:
            self.wait_healthy(timeout_s)
            if self.fresh:
                self.reset_parties()
        except BaseException:
            self.stop()
            raise
        if self.proxy is not None:
            self.proxy.warm_up()
        if supervise:
            self.supervisor = Supervisor(
                self.started,
                self.procs,
                self.spawn,
                lambda name: self.config.party(name).url + "/_sandbox/health",
                self.run_dir,
                lock=self.lock,
                on_event=on_event,
            )
            self.supervisor.start()

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        """Start one party's process (its log file is appended to)."""
        out: IO[bytes] | None = None
        if not self.inherit_output:
            if name not in self._logs or self._logs[name].closed:
                self._logs[name] = open(self.log_path(name), "ab")  # noqa: SIM115 - closed in stop()
            out = self._logs[name]
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "sandbox.serve", name],
            env=self._env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to a party's process, as a crash would (the supervisor restarts it).
        Returns the pid signalled."""
        with self.lock:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise ProcessLookupError(f"{name} is not running (it is being started again)")
            proc.send_signal(sig)
            return proc.pid

    def command(self, name: str, command: str) -> None:
        """``stop``, ``start``, ``restart`` or ``kill`` one party (needs ``supervise=True``)."""
        if self.supervisor is None:
            raise RuntimeError("the sandbox was started without supervision")
        self.supervisor.command(name, command)
        if self.proxy is not None:
            self.proxy.warm_up()

    def reset_parties(self) -> None:
        """Every started party back to the world (``up --fresh``)."""
        with requests.Session() as http:
            for name in self.started:
                answer = http.post(self.config.party(name).url + "/_sandbox/reset", timeout=30)
                if answer.status_code != 200:
                    raise StartError(f"{name} no volvió al mundo: HTTP {answer.status_code} {answer.text[:200]}")

    def _start_proxy(self, config_file: Path, timeout_s: float) -> None:
        assert self.proxy_settings is not None
        self.proxy = ProxyProcess(
            self.proxy_settings,
            config_file=config_file,
            state_dir=self.state_dir,
            log_path=None if self.inherit_output else self.log_path("proxy"),
        )
        try:
            self.proxy.start(timeout_s)
        except ProxyStartError as exc:
            raise StartError(str(exc)) from None

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(self.started)
        with requests.Session() as http:
            while pending:
                for name in sorted(pending):
                    proc = self.procs[name]
                    if proc.poll() is not None:
                        raise StartError(f"{name} terminó al arrancar (código {proc.returncode}).\n{self.tail(name)}")
                    try:
                        url = self.config.party(name).url + "/_sandbox/health"
                        if http.get(url, timeout=1).status_code == 200:
                            pending.discard(name)
                    except requests.RequestException:
                        pass
                if pending and time.monotonic() > deadline:
                    details = "\n".join(self.tail(n) for n in sorted(pending))
                    raise StartError(f"Sin respuesta en {timeout_s:.0f} s: {', '.join(sorted(pending))}\n{details}")
                if pending:
                    time.sleep(0.05)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.log_path(name)
        if not path.exists():
            return ""
        text = path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {path} ---\n" + "\n".join(text)

    def alive(self) -> dict[str, bool]:
        alive = {name: proc.poll() is None for name, proc in self.procs.items()}
        if self.proxy is not None:
            alive["proxy"] = self.proxy.alive()
        return alive

    def stop(self, timeout_s: float = 8.0) -> None:
        if self.supervisor is not None:
            self.supervisor.halt()
            self.supervisor = None
        procs = [p for p in self.procs.values() if p.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        if self.proxy is not None:  # last: it records until the parties are gone, then writes its files
            self.proxy.stop()

    def __enter__(self) -> SandboxRun:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parse_externals(values: Iterable[str]) -> dict[str, str]:
    """``["coop=http://10.0.0.5:9000"]`` → ``{"coop": "http://10.0.0.5:9000"}``."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"--external espera NOMBRE=URL, no {value!r}")
        out[name.strip()] = url.strip()
    return out


@dataclass(frozen=True)
class StartPoint:
    """A page where a person starts, and the test identity to use there."""

    what: str
    url: str
    identity: str
    #: False when the party answers 404/501 there: the flow is not built yet («pendiente»).
    available: bool = True


def probe_page(url: str, timeout_s: float = 2.0) -> bool:
    """Whether a page exists: anything but 404, 501 or no answer."""
    try:
        status = requests.get(url, timeout=timeout_s, allow_redirects=False).status_code
    except requests.RequestException:
        return False
    return status not in (404, 501)


def start_here(config: SandboxConfig, world: World, *, probe: Callable[[str], bool] = probe_page) -> list[StartPoint]:
    """The pages a person starts from, with the world's test identities (docs/magic-values.md).

    Only the flows the world has data for are listed; a page the switch does not serve yet
    (collections) is marked unavailable by probing it."""
    url = {name: config.party(name).url for name in config.urls()}
    points: list[StartPoint] = []
    card = next((c for c in world.dimo_cards if c.status == "active"), None)
    counter = next((c for c in world.counters if c.registration == "ok"), None)
    if card and counter and {"red", "ceibo"} <= url.keys():
        holder = f"cédula {card.holder_document} o celular {card.phone} ({card.holder_name}, {card.card_id})"
        points.append(
            StartPoint(
                "Cajero: extracción y depósito", f"{url['red']}/sicoop?boca={counter.id}",
                f"boca {counter.id}; titular {holder}; el código lo muestra la App DIMO",
            )
        )  # fmt: skip
        points.append(
            StartPoint("App DIMO (código soft-token)", f"{url['ceibo']}/app?q={card.holder_document}", holder)
        )
    merchant = next((m for m in world.merchants if m.customers and m.invoices), None)
    if merchant and "merchant" in url:
        customer = merchant.customers[0]
        bank_user = next((b for b in world.bank_customers if b.behaviour == "approve" and b.accounts), None)
        pays = f"; en el banco {bank_user.bank}: {bank_user.username} / {bank_user.password}" if bank_user else ""
        points.append(
            StartPoint(
                "Comercio: pagar una factura (PayU o PSE)",
                f"{url['merchant']}/portal?documento={customer.document_number}",
                f"{customer.name}, {customer.document_type.value} {customer.document_number}; "
                f"correo PSE {customer.email}{pays}",
            )
        )
    if "switch" in url:
        for entity in world.entities:
            if entity.collections_enabled and entity.country == "CO":
                page = f"{url['switch']}/recaudos/{entity.code}"
                member = next((m for m in world.members if any(p.entity == entity.code for p in m.products)), None)
                who = (
                    f"asociado CC {member.document_number} ({member.first_names} {member.last_names})" if member else ""
                )
                points.append(StartPoint(f"Recaudos de {entity.name}", page, who, probe(page)))
    if "notify" in url:
        points.append(
            StartPoint(
                "Buzón de SMS y correo (OTP, comprobantes)", f"{url['notify']}/inbox", "cualquier celular o correo"
            )
        )
    if "switch" in url and world.dimo_cards:
        points.append(
            StartPoint(
                "Conciliación de efectivo", f"{url['switch']}/sicoop/conciliacion", "fecha de hoy (hora de Paraguay)"
            )
        )
    account = next(iter(world.gateway_accounts), None)
    if account and "gateway" in url:
        points.append(
            StartPoint("Panel del comercio en la pasarela", f"{url['gateway']}/panel",
                       f"apiLogin {account.api_login} / apiKey {account.api_key}")
        )  # fmt: skip
    bank_user = next((b for b in world.bank_customers if b.behaviour == "approve" and b.accounts), None)
    if bank_user and "bank" in url:
        points.append(
            StartPoint(f"Banca en línea (banco {bank_user.bank})", f"{url['bank']}/banca/{bank_user.bank}",
                       f"{bank_user.username} / {bank_user.password}")
        )  # fmt: skip
    return points
