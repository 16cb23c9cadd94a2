"""The conformance run's own contract scenarios (``contrato/``), collected only when the runner
names this file (it is not a ``test_*.py``: the scenarios need a participant to talk to)."""

from pytest_bdd import scenarios

scenarios("contrato")
