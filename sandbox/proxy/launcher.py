"""Start and stop the proxy process for a sandbox run (``coop-sandbox up --proxy``).

The proxy is ``mitmdump`` (or ``mitmweb`` with ``--proxy-ui``) in **its own process**, started
through :mod:`sandbox.proxy.serve` with the project's addons (:mod:`sandbox.proxy.addon_entry`),
listening on 127.0.0.1 only. It reads the party addresses from the run's ``config.json`` and
writes its capture and contract report under ``<state_dir>/proxy/``. Importing this module does
not import mitmproxy.
"""

from __future__ import annotations

import importlib.metadata
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sandbox.proxy.client import ProxyControl, ProxyControlError

DEFAULT_PORT = 8090
DEFAULT_WEB_PORT = 8091
ENTRY = Path(__file__).with_name("addon_entry.py")


class ProxyStartError(RuntimeError):
    """The proxy did not start; the message says why and shows the end of its log."""


@dataclass(frozen=True)
class ProxySettings:
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    #: mitmweb instead of mitmdump: the flows in a browser while they happen.
    ui: bool = False
    web_port: int = DEFAULT_WEB_PORT
    #: Faults active from the start (text form, see :mod:`sandbox.proxy.faultspec`).
    faults: tuple[str, ...] = ()
    contract: bool = True
    capture: bool = True
    extra_options: tuple[str, ...] = field(default=())

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def mitmproxy_version() -> tuple[int, ...]:
    try:
        raw = importlib.metadata.version("mitmproxy")
    except importlib.metadata.PackageNotFoundError:
        raise ProxyStartError(
            "mitmproxy no está instalado: instale el extra del proxy (pip install -e '.[proxy]')"
        ) from None
    return tuple(int(p) for p in raw.split(".")[:3] if p.isdigit())


class ProxyProcess:
    def __init__(self, settings: ProxySettings, *, config_file: Path, state_dir: Path, log_path: Path | None) -> None:
        self.settings = settings
        self.config_file = config_file
        self.dir = state_dir / "proxy"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._web_token: str | None = None

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def web_url(self) -> str | None:
        if not self.settings.ui:
            return None
        base = f"http://{self.settings.host}:{self.settings.web_port}/"
        return base + (f"?token={self._web_token}" if self._web_token else "")

    def command(self) -> list[str]:
        s = self.settings
        args = [sys.executable, "-m", "sandbox.proxy.serve", "web" if s.ui else "dump", "-s", str(ENTRY),
                "--listen-host", s.host, "--listen-port", str(s.port)]  # fmt: skip
        options = [
            f"confdir={self.dir / 'conf'}",
            f"sandbox_config={self.config_file}",
            f"sandbox_capture_dir={self.dir if s.capture else ''}",
            f"sandbox_contract_dir={self.dir}",
            f"sandbox_contract={'true' if s.contract else 'false'}",
            "flow_detail=0",  # flows are in the masked capture; the log never shows a URL's secrets
            "termlog_verbosity=warn",
            "connection_strategy=lazy",
            *s.extra_options,
        ]
        if s.ui:
            args += ["--web-host", s.host, "--web-port", str(s.web_port)]
            options.append("web_open_browser=false")
            if self._web_token:
                options.append(f"web_password={self._web_token}")
        for fault in s.faults:
            options.append(f"sandbox_faults={fault}")
        for option in options:
            args += ["--set", option]
        return args

    def start(self, timeout_s: float = 30.0) -> None:
        version = mitmproxy_version()
        if self.settings.ui and version >= (11, 1):
            self._web_token = secrets.token_hex(16)  # mitmweb >= 11.1 asks for a token
        self.dir.mkdir(parents=True, exist_ok=True)
        out: IO[bytes] | None = None
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "COOP_SANDBOX_SUPERVISED": "1", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.command(), env=env, stdout=out, stderr=subprocess.STDOUT if out else None
        )
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with ProxyControl(self.url, timeout_s=1.0) as control:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise ProxyStartError(
                        f"el proxy terminó al arrancar (código {self.proc.returncode}).\n{self.tail()}"
                    )
                try:
                    control.health()
                    return
                except ProxyControlError:
                    pass
                if time.monotonic() > deadline:
                    raise ProxyStartError(f"el proxy no respondió en {timeout_s:.0f} s.\n{self.tail()}")
                time.sleep(0.05)

    def warm_up(self) -> dict[str, Any]:
        """Once the parties answer: fetch and compile their OpenAPI specs now, so that no party's
        first message waits for it (a party with a 1 s timeout would see a slow first call)."""
        try:
            with ProxyControl(self.url, timeout_s=60.0) as control:
                return control.load_contracts()
        except ProxyControlError as exc:
            return {"error": str(exc)}

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        """The end of the log, after the lines that say why mitmproxy refused to start (an option
        error is printed before a long asyncio traceback on mitmproxy 12)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        reasons = [line for line in text if "OptionsError:" in line or line.startswith("Error")]
        return f"--- {self.log_path} ---\n" + "\n".join([*reasons, *text[-lines:]])

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM: mitmproxy shuts down cleanly, so the addons write the HAR file and the report."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
