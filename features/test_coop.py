"""The coop contract (features/coop): against the sandbox's coop, or a cooperative's own core with
``pytest features/test_coop.py --sut-url coop=https://core.example`` (then every ``@solo_sandbox``
scenario, which forces outcomes through the sandbox, is skipped)."""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios

from features.conftest import Contexto


@pytest.fixture(autouse=True)
def _solo_sandbox(request: pytest.FixtureRequest, contexto: Contexto) -> None:
    if request.node.get_closest_marker("solo_sandbox") and contexto.red.config.party("coop").external:
        pytest.skip("fuerza el resultado con el API de control o los montos mágicos del coop del sandbox")


scenarios("coop")
