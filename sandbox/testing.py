"""Start a whole sandbox for a test session (used by ``tests/`` and ``features/``).

The sandbox runs as real processes on free ports with a **frozen** clock that starts at
:data:`TEST_CLOCK_START` and moves only when a test advances it, and background jobs that run
only when a test ticks them, so runs are deterministic. Parties given as external
(``--sut-url NAME=URL`` or ``COOP_SANDBOX_SUT_<NAME>=URL``) are not started: the suite runs
against them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sandbox.client import ControlError, SandboxClient
from sandbox.config import PARTIES, SandboxConfig, load_config
from sandbox.proxy.client import ProxyControl
from sandbox.proxy.launcher import ProxySettings
from sandbox.runner import SandboxRun, free_port, with_free_ports

TEST_CLOCK_START = datetime.fromisoformat("2026-01-15T10:00:00-05:00")
SUT_ENV_PREFIX = "COOP_SANDBOX_SUT_"


@dataclass
class SandboxHandle:
    config: SandboxConfig
    client: SandboxClient
    run: SandboxRun | None
    start: datetime = TEST_CLOCK_START
    #: The proxy's control client, when the sandbox runs behind the proxy (``proxy=True``).
    proxy: ProxyControl | None = None

    @property
    def urls(self) -> dict[str, str]:
        return self.config.urls()

    def url(self, party: str) -> str:
        return self.config.party(party).url

    def reset(self) -> None:
        """Every party back to the world, the clock back to the start instant."""
        for name in self.urls:
            try:
                self.client.party(name).reset()
            except ControlError as exc:
                if self.config.party(name).external and exc.status == 404:
                    continue  # an external party without the control API
                raise
        self.set_clock(self.start)

    def set_clock(self, moment: datetime) -> None:
        seen: set[str] = set()
        for name in self.urls:
            party = self.client.party(name)
            try:
                view = party.clock()
            except ControlError:
                continue
            if view["clock_id"] not in seen:
                seen.add(view["clock_id"])
                if self.config.clock == "frozen" and view["mode"] != "frozen":
                    party.request("POST", "/_sandbox/clock", json={"mode": "frozen"})  # a test left it running
                party.set_clock(moment)


def externals_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    out = {}
    for key, value in env.items():
        if key.startswith(SUT_ENV_PREFIX) and value:
            out[key.removeprefix(SUT_ENV_PREFIX).lower()] = value
    return out


def suite_config(state_dir: Path, externals: Mapping[str, str] | None = None, **overrides: object) -> SandboxConfig:
    base = load_config(
        None,
        state_dir=str(state_dir),
        clock="frozen",
        clock_start=TEST_CLOCK_START.isoformat(),
        jobs_interval_s=0,
        log_level=os.environ.get("COOP_SANDBOX_TEST_LOG_LEVEL", "warning"),
        **overrides,
    )
    config = with_free_ports(base)
    for name, url in (externals or {}).items():
        if name not in PARTIES:
            raise ValueError(f"unknown party {name!r} in --sut-url; known: {', '.join(PARTIES)}")
        config.parties[name].external_url = url.rstrip("/")
    return config


@contextmanager
def running_sandbox(
    state_dir: Path,
    externals: Mapping[str, str] | None = None,
    *,
    proxy: bool = False,
    supervise: bool = False,
    **overrides: object,
) -> Iterator[SandboxHandle]:
    """A whole sandbox for tests; ``supervise``: a party that dies is started again (the crash test)."""
    config = suite_config(state_dir, externals, **overrides)
    settings = ProxySettings(port=free_port()) if proxy else None
    run = SandboxRun(config, proxy=settings)
    run.start(timeout_s=60, supervise=supervise)
    client = SandboxClient(config.urls())
    control = ProxyControl(settings.url) if settings else None
    try:
        yield SandboxHandle(config=config, client=client, run=run, proxy=control)
    finally:
        client.close()
        if control is not None:
            control.close()
        run.stop()


#: A conformance run (``coop-sandbox conformance``) starts the sandbox itself and hands its run
#: configuration to the suite: the session fixtures use that sandbox instead of starting one.
ATTACH_ENV = "COOP_SANDBOX_ATTACH"


def attached_sandbox(environ: Mapping[str, str] | None = None) -> SandboxHandle | None:
    """The sandbox named by ``COOP_SANDBOX_ATTACH`` (the path of a run's ``config.json``), or None."""
    raw = (os.environ if environ is None else environ).get(ATTACH_ENV)
    if not raw:
        return None
    config = SandboxConfig.model_validate_json(Path(raw).read_text())
    control = ProxyControl(config.proxy_url) if config.proxy_url else None
    return SandboxHandle(config=config, client=SandboxClient(config.urls()), run=None, proxy=control)
