"""Behaviour rules: data that forces a party's outcome (``/_sandbox/rules``).

A rule is ``match → action``. Rules are checked in order and the **first match wins**, as in
moov-io's ach-test-harness. Each party declares the operations it evaluates (for example
``ceibo.hold``) and the fields each one exposes; a rule naming an unknown operation or field
is refused when it is loaded, with an error that says which and lists what exists.

``match``
    ``operation``: an operation name, or a glob (``ceibo.*``).
    ``fields``: ``{name: condition}``; a condition is a scalar (equal, compared as text), a list
    (any of), or ``{"prefix": ...}`` / ``{"suffix": ...}`` / ``{"in": [...]}``.
    ``amount``: ``{"min": "1000.00", "max": "5000.00"}`` (decimal strings, inclusive).

``action`` (at least one; applied by the kit, :mod:`sandbox.kit.behaviour`, the same way in
every party)
    ``decline``: nothing is done; the party answers its protocol's refusal with this code;
    ``pending``: leave the operation pending (``pending_s``: resolve after that many sandbox
    seconds, with ``then``: ``approve`` | ``decline``);
    ``delay_s``: carry the operation out, then answer that many real seconds late (timeouts);
    ``error``: nothing is done; answer ``{"status": 503, "code": ..., "message": ...}`` instead;
    ``drop``: carry the operation out, then close the connection without an answer (a lost answer).

``times`` limits how often a rule fires (then it is spent); ``hits`` counts how often it did.

Rules outlive a crash of their party: :meth:`RuleSet.on_change` is told of every change (the kit
stages the rules in the party's durable rows, committed before the answer, and lays them back at
start with :meth:`RuleSet.restore`). A rule's ``hits`` are written with each hit only when it has
``times`` (a spent rule must stay spent); otherwise with the next change, so a bare count may lag.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox.kit.errors import InvalidInput, validation_error_body


class FieldCondition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str | None = None
    suffix: str | None = None
    in_: list[str | int] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _one(self) -> FieldCondition:
        if sum(x is not None for x in (self.prefix, self.suffix, self.in_)) != 1:
            raise ValueError("una condición usa exactamente una de prefix, suffix o in")
        return self

    def test(self, value: Any) -> bool:
        text = "" if value is None else str(value)
        if self.prefix is not None:
            return text.startswith(self.prefix)
        if self.suffix is not None:
            return text.endswith(self.suffix)
        return text in {str(v) for v in self.in_ or ()}


Condition = str | int | bool | list[str | int] | FieldCondition


def _decimal(value: str, what: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} debe ser un valor decimal como '1000.00'") from None
    if not out.is_finite() or out < 0:
        raise ValueError(f"{what} debe ser un valor decimal no negativo")
    return out


class AmountRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: str | None = None
    max: str | None = None

    @model_validator(mode="after")
    def _check(self) -> AmountRange:
        lo = _decimal(self.min, "amount.min") if self.min is not None else None
        hi = _decimal(self.max, "amount.max") if self.max is not None else None
        if lo is None and hi is None:
            raise ValueError("amount necesita min, max o ambos")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("amount.min no puede ser mayor que amount.max")
        return self

    def test(self, amount_minor: int | None, exponent: int) -> bool:
        if amount_minor is None:
            return False
        amount = Decimal(amount_minor).scaleb(-exponent)
        if self.min is not None and amount < Decimal(self.min):
            return False
        return not (self.max is not None and amount > Decimal(self.max))


class Match(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operation: str = Field(min_length=1)
    fields: dict[str, Condition] = Field(default_factory=dict)
    amount: AmountRange | None = None


class ErrorAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int = Field(default=503, ge=400, le=599)
    code: str = "forced_error"
    message: str = "Error forzado por una regla del sandbox."


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decline: str | None = Field(default=None, min_length=1)
    message: str | None = None
    pending: bool = False
    pending_s: float | None = Field(default=None, ge=0)
    then: Literal["approve", "decline"] | None = None
    delay_s: float = Field(default=0, ge=0, le=120)
    error: ErrorAction | None = None
    drop: bool = False

    @model_validator(mode="after")
    def _check(self) -> Action:
        outcomes = [self.decline is not None, self.pending, self.error is not None, self.drop]
        if sum(outcomes) > 1:
            raise ValueError("una acción elige solo una de decline, pending, error o drop")
        if sum(outcomes) == 0 and self.delay_s == 0:
            raise ValueError("la acción está vacía: use decline, pending, delay_s, error o drop")
        if (self.pending_s is not None or self.then is not None) and not self.pending:
            raise ValueError("pending_s y then solo aplican con pending: true")
        return self


_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _ids_after(number: int) -> None:
    """Generated ids continue after ``rule-<number>`` (rules restored after a restart keep theirs)."""
    global _ids
    with _ids_lock:
        _ids = itertools.count(max(next(_ids), number + 1))


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(default_factory=lambda: f"rule-{next(_ids)}")
    description: str = ""
    match: Match
    action: Action
    times: int | None = Field(default=None, ge=1)
    hits: int = 0

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not value or len(value) > 64:
            raise ValueError("id debe tener entre 1 y 64 caracteres")
        return value

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, operation: str, fields: Mapping[str, Any], amount_minor: int | None, exponent: int) -> bool:
        if not fnmatch.fnmatchcase(operation, self.match.operation):
            return False
        for name, cond in self.match.fields.items():
            value = fields.get(name)
            if isinstance(cond, FieldCondition):
                if not cond.test(value):
                    return False
            elif isinstance(cond, list):
                if str(value) not in {str(c) for c in cond}:
                    return False
            elif isinstance(cond, bool):
                if value is not cond and str(value).lower() != str(cond).lower():
                    return False
            elif str(value) != str(cond):
                return False
        return self.match.amount is None or self.match.amount.test(amount_minor, exponent)


class RuleSet:
    """The ordered rules of one party. Operations: ``{name: {field, ...}}`` it evaluates."""

    def __init__(self, operations: Mapping[str, set[str] | frozenset[str]]) -> None:
        self.operations = {name: frozenset(fields) for name, fields in operations.items()}
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        #: Told the rules' :meth:`dump` after every change (the kit keeps them on disk).
        self.on_change: Callable[[list[dict[str, Any]]], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.dump())

    def dump(self) -> list[dict[str, Any]]:
        """The rules as loaded, with their hits: what :meth:`restore` takes back."""
        with self._lock:
            return [r.model_dump(by_alias=True, exclude_none=True) for r in self._rules]

    def restore(self, data: Any) -> None:
        """Take back a :meth:`dump` (a restart); raise InvalidInput if this party no longer has an
        operation or field a rule names."""
        rules = self.parse(data)
        numbers = [int(m.group(1)) for r in rules if (m := re.fullmatch(r"rule-([0-9]{1,18})", r.id))]
        if numbers:
            _ids_after(max(numbers))
        with self._lock:
            self._rules = rules

    # -- loading -------------------------------------------------------------------------
    def parse(self, data: Any) -> list[Rule]:
        """Validate rules given as a list (or ``{"rules": [...]}``); raise InvalidInput."""
        if isinstance(data, dict) and "rules" in data:
            data = data["rules"]
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise InvalidInput("Se esperaba una lista de reglas.", code="invalid_rules", field="rules")
        rules: list[Rule] = []
        for index, item in enumerate(data):
            try:
                rule = Rule.model_validate(item)
            except ValidationError as exc:
                body = validation_error_body(exc.errors())
                field = f"rules[{index}]" + (f".{body['field']}" if body["field"] else "")
                raise InvalidInput(f"Regla {index}: {body['message']}", code="invalid_rule", field=field) from None
            self._check_names(rule, index)
            rules.append(rule)
        ids = [r.id for r in rules]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise InvalidInput(f"Identificadores de regla repetidos: {sorted(dup)}.", code="invalid_rule", field="id")
        return rules

    def _check_names(self, rule: Rule, index: int) -> None:
        pattern = rule.match.operation
        matched = [op for op in self.operations if fnmatch.fnmatchcase(op, pattern)]
        if not matched:
            raise InvalidInput(
                f"Regla {index}: la operación «{pattern}» no existe en este participante; "
                f"operaciones: {', '.join(sorted(self.operations)) or 'ninguna'}.",
                code="unknown_operation",
                field=f"rules[{index}].match.operation",
            )
        known = frozenset().union(*(self.operations[op] for op in matched))
        for name in rule.match.fields:
            if name not in known:
                raise InvalidInput(
                    f"Regla {index}: el campo «{name}» no existe en «{pattern}»; campos: "
                    f"{', '.join(sorted(known)) or 'ninguno'}.",
                    code="unknown_field",
                    field=f"rules[{index}].match.fields.{name}",
                )

    # -- state ---------------------------------------------------------------------------
    def replace(self, data: Any) -> list[Rule]:
        rules = self.parse(data)
        with self._lock:
            self._rules = rules
        self._changed()
        return rules

    def add(self, data: Any) -> list[Rule]:
        rules = self.parse(data)
        with self._lock:
            taken = {r.id for r in self._rules}
            clash = [r.id for r in rules if r.id in taken]
            if clash:
                raise InvalidInput(f"Ya existe una regla con id {clash[0]}.", code="duplicate_rule", field="id")
            self._rules.extend(rules)
        self._changed()
        return rules

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            removed = len(self._rules) != before
        if removed:
            self._changed()
        return removed

    def clear(self) -> None:
        with self._lock:
            had = bool(self._rules)
            self._rules = []
        if had:
            self._changed()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**r.model_dump(by_alias=True, exclude_none=True), "spent": r.spent} for r in self._rules]

    # -- evaluation ----------------------------------------------------------------------
    def evaluate(
        self,
        operation: str,
        fields: Mapping[str, Any] | None = None,
        *,
        amount_minor: int | None = None,
        exponent: int = 2,
    ) -> Action | None:
        """The action of the first live rule that matches, or None. Counts the hit."""
        if not self._rules:
            return None
        if operation not in self.operations:
            raise KeyError(f"operation {operation!r} was not declared by this party")
        fields = fields or {}
        fired: Rule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.spent and rule.matches(operation, fields, amount_minor, exponent):
                    rule.hits += 1
                    fired = rule
                    break
        if fired is None:
            return None
        if fired.times is not None:
            self._changed()
        return fired.action
