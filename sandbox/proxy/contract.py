"""Contract check: does each message match the receiving party's OpenAPI?

Every party publishes ``/openapi.json`` (FastAPI emits OpenAPI 3.1). :class:`PartyContract` wraps
one party's spec: it finds the operation a request is for (:class:`SpecIndex`, also used to tag
flows with their ``operationId``) and validates requests and responses with **openapi-core**
(a maintained validator of OpenAPI 3.0/3.1; nothing here re-implements JSON Schema).
Each problem becomes a :class:`Violation` — party, operation, field, what was wrong — and the
:class:`ContractLedger` counts them for the report (``contract.json``, ``contract.md``).

Pure of mitmproxy: values in, violations out (the addon in :mod:`sandbox.proxy.addons` feeds it).
Messages never carry a secret's value: a problem on a secret or account field names the field
and the rule, not the value (NET-05).
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from sandbox.kit.masking import is_account_field, is_secret_field, mask_text
from sandbox.proxy.operations import split_path

Direction = Literal["request", "response"]
Severity = Literal["error", "warning"]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Violation:
    party: str  # the receiver, whose contract it is
    caller: str  # who sent the request ("?" when unknown)
    operation: str  # "POST /sicoop/v1/withdrawals/{withdrawal_id}/confirm" or the raw path if unknown
    operation_id: str | None
    direction: Direction
    field: str  # "body.trace_number", "query.limit", "header.x-api-key", "status", "path"
    problem: str  # what was wrong, in words
    kind: str  # the rule: "required", "type", "minLength", "unknown_operation", "undocumented_status", ...
    severity: Severity = "error"
    status: int | None = None
    request_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Base:
    """What every violation of one message shares."""

    party: str
    caller: str
    operation: str
    operation_id: str | None
    request_id: str | None
    status: int | None = None

    def violation(self, direction: Direction, field: str, problem: str, kind: str,
                  severity: Severity = "error") -> Violation:  # fmt: skip
        return Violation(party=self.party, caller=self.caller, operation=self.operation,
                         operation_id=self.operation_id, direction=direction, field=field, problem=problem,
                         kind=kind, severity=severity, status=self.status, request_id=self.request_id)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    template: str  # "/sicoop/v1/withdrawals/{withdrawal_id}/confirm"
    operation_id: str | None
    segments: tuple[str | None, ...]  # None = a path parameter

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


class SpecIndex:
    """The operations of one spec; finds the one a (method, path) is for, literal segments first."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        ops: list[Operation] = []
        for template, item in (spec.get("paths") or {}).items():
            if not isinstance(item, Mapping):
                continue
            segments = tuple(None if re.fullmatch(r"\{[^{}]+\}", s) else s for s in split_path(template))
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, Mapping):
                    ops.append(Operation(method.upper(), template, op.get("operationId"), segments))
        # More literal segments first: /a/list wins over /a/{id}.
        self.operations = sorted(ops, key=lambda o: (sum(s is None for s in o.segments), -len(o.segments)))

    def find(self, method: str, path: str) -> Operation | None:
        parts = split_path(path)
        for op in self.operations:
            if op.method != method.upper() or len(op.segments) != len(parts):
                continue
            if all(s is None or s == p for s, p in zip(op.segments, parts, strict=True)):
                return op
        return None


class _Request:
    """openapi-core's request protocol over plain values."""

    def __init__(self, method: str, path: str, query: Iterable[tuple[str, str]], headers: Mapping[str, str],
                 body: bytes, content_type: str) -> None:  # fmt: skip
        self.host_url = "http://party"
        self.method = method.lower()
        self.path = path.split("?", 1)[0]
        self.body = body
        self.content_type = content_type.lower()
        pairs = [c.strip().partition("=") for c in headers.get("cookie", "").split(";") if "=" in c]
        cookies: ImmutableMultiDict[str, str] = ImmutableMultiDict([(k, v) for k, _, v in pairs])
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(query)), header=Headers(dict(headers)), cookie=cookies, path={}
        )


class _Response:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, content_type: str) -> None:
        self.status_code = status
        self.headers = Headers(dict(headers))
        self.data = body
        self.content_type = content_type.lower()


def _field_name(prefix: str, path: Iterable[Any]) -> str:
    out = prefix
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _problem_text(field_name: str, error: Any) -> str:
    """jsonschema's message, without the value when the field holds a secret or an account number."""
    leaf = field_name.rsplit(".", 1)[-1].split("[", 1)[0]
    validator = getattr(error, "validator", "")
    if is_secret_field(leaf) or is_account_field(leaf):
        return f"no cumple «{validator}» (valor oculto)"
    return mask_text(str(getattr(error, "message", error)))


def _schema_violations(prefix: str, exc: BaseException) -> list[tuple[str, str, str]]:
    """(field, problem, kind) for each JSON-schema error behind an openapi-core error."""
    cause = exc.__cause__
    errors = list(getattr(cause, "schema_errors", None) or [])
    out: list[tuple[str, str, str]] = []
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            for name in error.validator_value:
                found = (_field_name(prefix, [*path, name]), "falta el campo obligatorio", "required")
                if name not in error.instance and found not in out:  # one error per missing name, each listing all
                    out.append(found)
            continue
        name = _field_name(prefix, path)
        out.append((name, _problem_text(name, error), str(error.validator)))
    return out


def _param_field(exc: BaseException) -> str:
    name = getattr(exc, "name", None)
    location = getattr(exc, "location", None)
    return f"{location}.{name}" if name and location else "parameters"


class PartyContract:
    """One party's OpenAPI, ready to check requests and responses against."""

    def __init__(self, party: str, spec: Mapping[str, Any]) -> None:
        self.party = party
        self.spec = dict(spec)
        self.index = SpecIndex(self.spec)
        # FastAPI's specs have no servers; one relative server makes every host match.
        self.spec.setdefault("servers", [{"url": "/"}])
        self.openapi = OpenAPI.from_dict(self.spec)

    def check_request(
        self, *, caller: str, method: str, path: str, query: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None, body: bytes = b"", content_type: str = "",
        request_id: str | None = None,
    ) -> tuple[Operation | None, list[Violation]]:  # fmt: skip
        op = self.index.find(method, path)
        label = op.label if op else f"{method.upper()} {path.split('?', 1)[0]}"
        base = _Base(self.party, caller, label, op.operation_id if op else None, request_id)
        if op is None:
            problem = "la operación no existe en el OpenAPI del receptor"
            return None, [base.violation("request", "path", problem, "unknown_operation")]
        request = _Request(method, path, query, {k.lower(): v for k, v in (headers or {}).items()}, body, content_type)
        out: list[Violation] = []
        for exc in self.openapi.iter_request_errors(request):
            out.extend(self._request_violations(exc, base))
        return op, out

    def _request_violations(self, exc: BaseException, base: _Base) -> list[Violation]:
        kind = type(exc).__name__
        if "Body" in kind:
            found = _schema_violations("body", exc)
            if found:
                return [base.violation("request", f, p, k) for f, p, k in found]
            problem = {"MissingRequiredRequestBody": "falta el cuerpo obligatorio"}.get(kind, mask_text(str(exc)))
            return [base.violation("request", "body", problem, kind)]
        if "Parameter" in kind:
            name = _param_field(exc)
            found = _schema_violations(name, exc)
            if found:
                return [base.violation("request", f, p, k) for f, p, k in found]
            leaf = name.rsplit(".", 1)[-1]
            if "Missing" in kind:
                problem = "falta el parámetro obligatorio"
            elif is_secret_field(leaf) or is_account_field(leaf):
                problem = "valor no válido (valor oculto)"
            else:
                problem = mask_text(str(exc.__cause__ or exc))
            return [base.violation("request", name, problem, kind)]
        if "Security" in kind:
            return [base.violation("request", "security", "credenciales ausentes o no válidas", kind)]
        return [base.violation("request", "request", mask_text(str(exc)), kind)]

    def check_response(
        self, *, caller: str, method: str, path: str, status: int, headers: Mapping[str, str] | None = None,
        body: bytes = b"", content_type: str = "", request_id: str | None = None,
    ) -> list[Violation]:  # fmt: skip
        op = self.index.find(method, path)
        if op is None:
            return []  # already reported on the request
        base = _Base(self.party, caller, op.label, op.operation_id, request_id, status)
        request = _Request(method, path, (), {}, b"", "")
        response = _Response(status, {k.lower(): v for k, v in (headers or {}).items()}, body, content_type)
        out: list[Violation] = []
        for exc in self.openapi.iter_response_errors(request, response):
            kind = type(exc).__name__
            if kind == "ResponseNotFound":
                problem = f"el estado {status} no está documentado"
                out.append(base.violation("response", "status", problem, "undocumented_status", "warning"))
                continue
            found = _schema_violations("body", exc) if "Data" in kind else []
            if found:
                out.extend(base.violation("response", f, p, k) for f, p, k in found)
            elif "Header" in kind:
                name = f"header.{getattr(exc, 'name', '?')}"
                out.append(base.violation("response", name, mask_text(str(exc)), kind))
            else:
                name = "body" if "Data" in kind else "response"
                out.append(base.violation("response", name, mask_text(str(exc)), kind))
        return out


@dataclass
class ContractLedger:
    """Every violation seen, counted by (party, operation, direction, field, kind); the last ones kept whole."""

    keep: int = 500
    requests_checked: int = 0
    responses_checked: int = 0
    counts: Counter[tuple[str, str, str, str, str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str, str, str, str, str], Violation] = field(default_factory=dict)
    recent: deque[Violation] = field(default_factory=deque)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, violations: Iterable[Violation]) -> None:
        for v in violations:
            key = (v.party, v.operation, v.direction, v.field, v.kind, v.severity)
            self.counts[key] += 1
            self.examples.setdefault(key, v)
            self.recent.append(v)
            while len(self.recent) > self.keep:
                self.recent.popleft()

    def clear(self) -> None:
        self.requests_checked = self.responses_checked = 0
        self.counts.clear()
        self.examples.clear()
        self.recent.clear()

    def report(self, recent: int = 100) -> dict[str, Any]:
        summary = []
        for key, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            example = self.examples[key]
            summary.append({"party": key[0], "operation": key[1], "direction": key[2], "field": key[3],
                            "kind": key[4], "severity": key[5], "count": count, "problem": example.problem,
                            "caller": example.caller, "example_request_id": example.request_id})  # fmt: skip
        errors = sum(c for k, c in self.counts.items() if k[5] == "error")
        warnings = sum(c for k, c in self.counts.items() if k[5] == "warning")
        return {
            "checked": {"requests": self.requests_checked, "responses": self.responses_checked},
            "violations": errors + warnings,
            "errors": errors,
            "warnings": warnings,
            "summary": summary,
            "recent": [v.to_dict() for v in list(self.recent)[-recent:]],
            "specs": self.specs,
        }


def report_markdown(report: Mapping[str, Any]) -> str:
    """A readable ``contract.md`` from :meth:`ContractLedger.report`."""
    checked = report["checked"]
    lines = [
        "# Contrato: mensajes entre participantes frente a su OpenAPI",
        "",
        f"Revisados: {checked['requests']} solicitudes, {checked['responses']} respuestas. "
        f"Incumplimientos: **{report['errors']}** errores, {report['warnings']} avisos.",
        "",
    ]
    specs = report.get("specs") or {}
    if specs:
        lines += ["| participante | OpenAPI | operaciones |", "|---|---|---|"]
        for party, info in sorted(specs.items()):
            lines.append(f"| {party} | {info.get('status')} {info.get('error', '')} | {info.get('operations', '')} |")
        lines.append("")
    if not report["summary"]:
        lines.append("Ningún mensaje incumplió el contrato.")
        return "\n".join(lines) + "\n"
    lines += ["| gravedad | receptor | operación | dirección | campo | qué falló | veces | emisor |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in report["summary"]:
        problem = str(row["problem"]).replace("|", "\\|")
        lines.append(f"| {row['severity']} | {row['party']} | `{row['operation']}` | {row['direction']} | "
                     f"`{row['field']}` | {problem} ({row['kind']}) | {row['count']} | {row['caller']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def dumps_report(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)
