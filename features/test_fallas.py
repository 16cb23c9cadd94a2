"""The fault matrix (features/fallas): every scenario runs on the sandbox behind the proxy."""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios

from features.conftest import Contexto
from sandbox.testing import SandboxHandle


@pytest.fixture
def contexto(fresh_proxied_sandbox: SandboxHandle) -> Contexto:
    """Like the suite's ``contexto``, on the proxied sandbox (no faults, flows and contract reset)."""
    return Contexto(red=fresh_proxied_sandbox)


scenarios("fallas")
