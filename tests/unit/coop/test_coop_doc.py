"""docs/coop-api.md and coop's OpenAPI agree: every operation and every error code of one is in
the other (issue 12, item 4), and both agree with the contract's code table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sandbox.protocols.coop import API_PREFIX, ERRORS
from tests.unit.coop.conftest import Coop

DOC = Path(__file__).resolve().parents[3] / "docs" / "coop-api.md"


def _openapi(coop: Coop) -> dict[str, Any]:
    spec: dict[str, Any] = coop.client.get("/openapi.json").json()
    return spec


def _operations(spec: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        if path.startswith(API_PREFIX)
        for method in ops
    }


def _openapi_codes(spec: dict[str, Any]) -> dict[str, set[int]]:
    codes: dict[str, set[int]] = {}
    for path, ops in spec["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for op in ops.values():
            for status, response in op["responses"].items():
                for code in re.findall(r"`([a-z_]+)`:", response.get("description", "")):
                    codes.setdefault(code, set()).add(int(status))
    return codes


def _doc_operations(text: str) -> set[str]:
    found = re.findall(r"^#### `(GET|POST|PUT|DELETE|PATCH) (/coop/v1/[^`]*)`", text, re.M)
    return {f"{method} {path}" for method, path in found}


def _doc_codes(text: str) -> dict[str, int]:
    table = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    return {code: int(status) for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", table, re.M)}


def test_every_operation_is_documented_and_every_documented_one_exists(coop: Coop) -> None:
    spec = _openapi(coop)
    served, documented = _operations(spec), _doc_operations(DOC.read_text())
    assert served, "the OpenAPI lists no coop operation"
    assert served - documented == set(), "in the OpenAPI, not in docs/coop-api.md"
    assert documented - served == set(), "in docs/coop-api.md, not in the OpenAPI"


def test_every_error_code_is_documented_with_its_status_and_declared_in_the_openapi(coop: Coop) -> None:
    declared = _openapi_codes(_openapi(coop))
    documented = _doc_codes(DOC.read_text())
    assert set(declared) == set(documented), set(declared) ^ set(documented)
    for code, statuses in declared.items():
        assert statuses == {documented[code]}, (code, statuses, documented[code])
    assert documented == {code: status for code, (status, _) in ERRORS.items()}


def test_every_operation_declares_its_answer_and_its_errors(coop: Coop) -> None:
    spec = _openapi(coop)
    for path, ops in spec["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for method, op in ops.items():
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert ok and "$ref" in str(op["responses"][ok[0]]["content"]), (method, path)
            assert {"401", "404", "422"} <= set(op["responses"]), (method, path)
            assert op.get("security") == [{"HTTPBearer": []}], (method, path)
            if method == "post":
                assert {"400", "409"} <= set(op["responses"]), (method, path)
