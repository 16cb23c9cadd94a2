"""NET-03 by fuzzing: schemathesis drives every party's own OpenAPI — valid requests, malformed
ones, wrong types, missing fields, boundary values — and no answer may be a server error.

It runs against a sandbox of its own (the fuzzer leaves junk state behind) with a fixed seed.
The default run keeps a few examples per operation; ``-m slow`` runs a deeper pass with the
stateful phase (sequences of calls that follow the links between operations).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.config import PARTIES
from sandbox.testing import SandboxHandle, running_sandbox

ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    if not ST.exists():
        pytest.skip(f"schemathesis is not installed in this environment ({ST} missing): pip install -e '.[test]'")
    with running_sandbox(tmp_path_factory.mktemp("fuzz")) as handle:
        yield handle


def _fuzz(handle: SandboxHandle, party: str, *, examples: int, phases: str) -> None:
    url = handle.url(party)
    result = subprocess.run(
        [str(ST), "run", f"{url}/openapi.json", "--checks", "not_a_server_error", "--max-examples", str(examples),
         "--seed", "20260115", "--workers", "1", "--phases", phases, "--request-timeout", "30"],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{party}: schemathesis found server errors or could not run\n{tail}"
    assert " passed" in result.stdout, tail
    handle.client.party(party).reset()


@pytest.mark.parametrize("party", list(PARTIES))
def test_no_request_gets_a_server_error(fuzz_target: SandboxHandle, party: str) -> None:
    _fuzz(fuzz_target, party, examples=8, phases="coverage,fuzzing")


@pytest.mark.slow
@pytest.mark.parametrize("party", list(PARTIES))
def test_no_request_gets_a_server_error_deep(fuzz_target: SandboxHandle, party: str) -> None:
    _fuzz(fuzz_target, party, examples=100, phases="examples,coverage,fuzzing,stateful")
