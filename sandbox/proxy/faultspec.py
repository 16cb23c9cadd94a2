"""Fault specs: what to break, where, how often — parsed and validated, no I/O.

A fault is written as text (CLI, the ``sandbox_faults`` mitmproxy option) or as a JSON object
(the control endpoint, the BDD steps); both have the same keys::

    drop_response from=red to=switch op="POST /sicoop/v1/withdrawals/*/confirm" count=1
    {"kind": "error", "from": "gateway", "to": "ach", "status": 503, "probability": 0.3, "seed": 7}

| key | meaning | default |
|---|---|---|
| ``kind`` | ``delay``, ``drop_request``, ``drop_response``, ``error``, ``reset``, ``duplicate`` | required |
| ``from`` / ``to`` | calling / receiving party (``*`` = any) | ``*`` |
| ``op`` | operation pattern (:mod:`sandbox.proxy.operations`) | ``*`` |
| ``count`` | apply to this many flows, then stop (omitted: every match) | every match |
| ``probability`` (``p``) | chance of applying to a matching flow, 0 < p ≤ 1 | 1 |
| ``seed`` | seed of that chance: the same seed breaks the same flows | 1 |
| ``delay`` | ``delay``: how long the request waits before delivery (``1.5``, ``500ms``, ``2s``) | 1s |
| ``status`` | ``error``: the 5xx answered instead of delivering | 503 |
| ``hold`` | drops: the longest a dropped flow is held open for the caller to give up | 30s |

:class:`FaultBook` keeps the active faults in order; a flow gets at most one fault, the first
active one that matches it and whose roll succeeds (first match wins, as in a test harness rule
file). A fault with a ``count`` is spent after that many applications and stays listed as spent.
"""

from __future__ import annotations

import random
import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.proxy.operations import ANY_OPERATION, OpPattern, PatternError, parse_op

FaultKind = Literal["delay", "drop_request", "drop_response", "error", "reset", "duplicate"]
KINDS: tuple[FaultKind, ...] = ("delay", "drop_request", "drop_response", "error", "reset", "duplicate")
KIND_HELP: dict[str, str] = {
    "delay": "retrasa la entrega de la solicitud",
    "drop_request": "la solicitud nunca llega; quien llama agota su tiempo de espera",
    "drop_response": "el receptor procesa la solicitud pero la respuesta nunca llega a quien llama",
    "error": "responde un 5xx sin entregar la solicitud",
    "reset": "cierra la conexión sin entregar la solicitud",
    "duplicate": "entrega la solicitud dos veces; quien llama recibe una sola respuesta",
}
MAX_DELAY_S = 300.0
MAX_HOLD_S = 600.0
_ALIASES = {"p": "probability", "from_party": "from", "to_party": "to", "delay_s": "delay", "hold_s": "hold",
            "operation": "op"}  # fmt: skip
_KEYS = frozenset({"kind", "from", "to", "op", "count", "probability", "seed", "delay", "status", "hold", "id"})
_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s|m)?$")


class FaultSpecError(ValueError):
    """A fault that cannot be used; ``field`` names the key that is wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class FaultSpec:
    kind: FaultKind
    from_party: str = "*"
    to_party: str = "*"
    op: OpPattern = ANY_OPERATION
    count: int | None = None
    probability: float = 1.0
    seed: int = 1
    delay_s: float = 1.0
    status: int = 503
    hold_s: float = 30.0

    def matches(
        self, from_party: str | None, to_party: str | None, method: str, path: str, operation_id: str | None = None
    ) -> bool:
        if self.from_party != "*" and from_party != self.from_party:
            return False
        if self.to_party != "*" and to_party != self.to_party:
            return False
        return self.op.matches(method, path, operation_id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "from": self.from_party, "to": self.to_party, "op": self.op.text}
        out["count"] = self.count
        out["probability"] = self.probability
        out["seed"] = self.seed
        if self.kind == "delay":
            out["delay_s"] = self.delay_s
        if self.kind == "error":
            out["status"] = self.status
        if self.kind in ("drop_request", "drop_response"):
            out["hold_s"] = self.hold_s
        return out

    def to_text(self) -> str:
        """The canonical text form; ``parse_fault(spec.to_text()) == spec``."""
        parts = [self.kind, f"from={self.from_party}", f"to={self.to_party}", f"op={shlex.quote(self.op.text)}"]
        if self.count is not None:
            parts.append(f"count={self.count}")
        if self.probability != 1.0:
            parts.append(f"probability={self.probability:g}")
        if self.seed != 1:
            parts.append(f"seed={self.seed}")
        if self.kind == "delay":
            parts.append(f"delay={self.delay_s:g}s")
        if self.kind == "error":
            parts.append(f"status={self.status}")
        if self.kind in ("drop_request", "drop_response") and self.hold_s != 30.0:
            parts.append(f"hold={self.hold_s:g}s")
        return " ".join(parts)


def parse_duration(value: object, key: str) -> float:
    """``1.5`` / ``"1.5"`` / ``"500ms"`` / ``"2s"`` / ``"1m"`` → seconds."""
    if isinstance(value, bool):
        raise FaultSpecError(f"{key}: se esperaba una duración, no {value!r}", key)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip().lower())
        if not match:
            raise FaultSpecError(f"{key}: duración no válida {value!r} (ejemplos: 0.5, 500ms, 2s, 1m)", key)
        scale = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match.group("unit")]
        seconds = float(match.group("n")) * scale
    if seconds < 0:
        raise FaultSpecError(f"{key}: la duración no puede ser negativa", key)
    return seconds


def _int(value: object, key: str) -> int:
    if isinstance(value, bool):
        raise FaultSpecError(f"{key}: se esperaba un entero, no {value!r}", key)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise FaultSpecError(f"{key}: se esperaba un entero, no {value!r}", key) from None


def _party(value: object, key: str, known: Collection[str] | None) -> str:
    name = str(value).strip()
    if not name:
        raise FaultSpecError(f"{key}: falta el participante (use * para cualquiera)", key)
    if name != "*" and known is not None and name not in known:
        raise FaultSpecError(f"{key}: participante desconocido {name!r}; existen: {', '.join(sorted(known))}", key)
    return name


def fault_from_dict(data: Mapping[str, Any], known_parties: Collection[str] | None = None) -> FaultSpec:
    """Validate a fault given as a mapping (JSON from the control endpoint or the BDD steps)."""
    if not isinstance(data, Mapping):
        raise FaultSpecError("una falla es un objeto JSON con al menos «kind»", None)
    values = {_ALIASES.get(str(k), str(k)): v for k, v in data.items()}
    unknown = sorted(set(values) - _KEYS)
    if unknown:
        raise FaultSpecError(f"clave desconocida {unknown[0]!r}; válidas: {', '.join(sorted(_KEYS - {'id'}))}",
                             unknown[0])  # fmt: skip
    kind = values.get("kind")
    if kind not in KINDS:
        raise FaultSpecError(f"kind: {kind!r} no es una falla; use una de {', '.join(KINDS)}", "kind")
    try:
        op = parse_op(str(values.get("op", "*")))
    except PatternError as exc:
        raise FaultSpecError(f"op: {exc}", "op") from None
    count: int | None = None
    if values.get("count") is not None:
        count = _int(values["count"], "count")
        if count < 1:
            raise FaultSpecError("count: debe ser al menos 1 (omítalo para toda coincidencia)", "count")
    probability = 1.0
    if values.get("probability") is not None:
        try:
            probability = float(values["probability"])
        except (TypeError, ValueError):
            raise FaultSpecError(f"probability: se esperaba un número, no {values['probability']!r}",
                                 "probability") from None  # fmt: skip
        if not 0.0 < probability <= 1.0:
            raise FaultSpecError("probability: debe estar entre 0 (excluido) y 1", "probability")
    seed = _int(values.get("seed", 1), "seed")
    delay_s = parse_duration(values.get("delay", 1.0), "delay")
    if delay_s > MAX_DELAY_S:
        raise FaultSpecError(f"delay: como máximo {MAX_DELAY_S:g} s", "delay")
    hold_s = parse_duration(values.get("hold", 30.0), "hold")
    if not 0 < hold_s <= MAX_HOLD_S:
        raise FaultSpecError(f"hold: entre 0 y {MAX_HOLD_S:g} s", "hold")
    status = _int(values.get("status", 503), "status")
    if not 500 <= status <= 599:
        raise FaultSpecError(f"status: una falla responde un 5xx, no {status}", "status")
    for key, allowed in (("delay", ("delay",)), ("status", ("error",)), ("hold", ("drop_request", "drop_response"))):
        if key in values and kind not in allowed:
            raise FaultSpecError(f"{key}: solo aplica a {', '.join(allowed)}, no a {kind}", key)
    return FaultSpec(
        kind=kind,
        from_party=_party(values.get("from", "*"), "from", known_parties),
        to_party=_party(values.get("to", "*"), "to", known_parties),
        op=op,
        count=count,
        probability=probability,
        seed=seed,
        delay_s=delay_s,
        status=status,
        hold_s=hold_s,
    )


def parse_fault(text: str, known_parties: Collection[str] | None = None) -> FaultSpec:
    """Parse the text form: ``KIND key=value ...`` (values may be quoted, shell style)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise FaultSpecError(f"no se puede leer la falla {text!r}: {exc}", None) from None
    if not words:
        raise FaultSpecError("falla vacía; ejemplo: error from=gateway to=ach status=503 count=1", "kind")
    data: dict[str, Any] = {"kind": words[0]}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise FaultSpecError(f"se esperaba clave=valor, no {word!r}", None)
        data[key] = value
    return fault_from_dict(data, known_parties)


@dataclass
class ActiveFault:
    """A fault in the book, with what it has done so far."""

    id: int
    spec: FaultSpec
    matched: int = 0  # flows that matched (rolled or not)
    applied: int = 0  # flows it broke
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def remaining(self) -> int | None:
        return None if self.spec.count is None else max(0, self.spec.count - self.applied)

    @property
    def spent(self) -> bool:
        return self.remaining == 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.to_dict(), "text": self.spec.to_text(), "matched": self.matched,
                "applied": self.applied, "remaining": self.remaining, "spent": self.spent}  # fmt: skip


class FaultBook:
    """The active faults, in the order they were added; at most ``limit`` of them."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self._faults: list[ActiveFault] = []
        self._next_id = 1

    def add(self, spec: FaultSpec) -> ActiveFault:
        if len(self._faults) >= self.limit:
            raise FaultSpecError(f"ya hay {self.limit} fallas activas; borre alguna (fault clear)", None)
        fault = ActiveFault(id=self._next_id, spec=spec, rng=random.Random(spec.seed))
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> int:
        count, self._faults = len(self._faults), []
        return count

    def faults(self) -> list[ActiveFault]:
        return list(self._faults)

    def plan(
        self, from_party: str | None, to_party: str | None, method: str, path: str, operation_id: str | None = None
    ) -> ActiveFault | None:
        """The fault that breaks this flow, if any (and count it as applied)."""
        for fault in self._faults:
            if fault.spent or not fault.spec.matches(from_party, to_party, method, path, operation_id):
                continue
            fault.matched += 1
            if fault.spec.probability >= 1.0 or fault.rng.random() < fault.spec.probability:
                fault.applied += 1
                return fault
        return None
