"""Fixtures of the BDD suite: every scenario starts from a fresh sandbox (the world, the clock
at its start instant), and gets a :class:`Contexto` to pass what one step learns to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from sandbox.testing import SandboxHandle


@dataclass
class Contexto:
    """What a scenario has seen so far (responses, ids, codes), by name."""

    red: SandboxHandle
    valores: dict[str, Any] = field(default_factory=dict)
    respuestas: list[Any] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        try:
            return self.valores[key]
        except KeyError:
            raise AssertionError(f"el escenario aún no tiene «{key}»; pasos previos: {sorted(self.valores)}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        self.valores[key] = value


@pytest.fixture
def contexto(fresh_sandbox: SandboxHandle) -> Contexto:
    return Contexto(red=fresh_sandbox)
