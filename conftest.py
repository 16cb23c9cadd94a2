"""Session-wide fixtures shared by tests/ and features/.

``sandbox``: the whole sandbox, started once per test session as real processes on free ports
(frozen clock, jobs only on tick). ``--sut-url NAME=URL`` (repeatable) or the environment
variable ``COOP_SANDBOX_SUT_<NAME>=URL`` runs the suites against an external party instead.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.runner import parse_externals
from sandbox.testing import SandboxHandle, attached_sandbox, externals_from_env, running_sandbox

# The rule-coverage report and every step module of features/steps (shared by all features).
_STEPS = Path(__file__).parent / "features" / "steps"
pytest_plugins = [
    "features.plugins.rule_coverage",
    *(f"features.steps.{m.name}" for m in sorted(pkgutil.iter_modules([str(_STEPS)]), key=lambda m: m.name)),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("coop-sandbox")
    group.addoption(
        "--sut-url",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="Run against an external party (not started by the suite), e.g. --sut-url coop=http://10.0.0.5:9000",
    )


@pytest.fixture(scope="session")
def sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    attached = attached_sandbox()  # a conformance run's sandbox (COOP_SANDBOX_ATTACH)
    if attached is not None:
        yield attached
        attached.client.close()
        return
    externals = {**externals_from_env(), **parse_externals(request.config.getoption("--sut-url"))}
    # Supervised: a party that dies is started again (the restart features, NET-08, kill one on purpose).
    with running_sandbox(tmp_path_factory.mktemp("sandbox"), externals, supervise=True) as handle:
        yield handle


@pytest.fixture
def fresh_sandbox(sandbox: SandboxHandle) -> SandboxHandle:
    """The session's sandbox, reset to the world with the clock at its start instant."""
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="session")
def proxied_sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxHandle]:
    """A second whole sandbox whose peer calls all go through the proxy (``up --proxy``);
    ``proxied_sandbox.proxy`` steers it (faults, flows, contract). Started only when asked for.
    In a conformance run the attached sandbox is already behind the proxy: it is used."""
    attached = attached_sandbox()
    if attached is not None and attached.proxy is not None:
        yield attached
        attached.client.close()
        return
    externals = {**externals_from_env(), **parse_externals(request.config.getoption("--sut-url"))}
    with running_sandbox(tmp_path_factory.mktemp("proxied"), externals, proxy=True, supervise=True) as handle:
        yield handle


@pytest.fixture
def fresh_proxied_sandbox(proxied_sandbox: SandboxHandle) -> SandboxHandle:
    """The proxied sandbox reset, with no faults and the flow list and contract counts cleared."""
    assert proxied_sandbox.proxy is not None
    proxied_sandbox.proxy.clear_faults()
    proxied_sandbox.reset()
    proxied_sandbox.proxy.clear_flows()
    proxied_sandbox.proxy.clear_contract()
    return proxied_sandbox
