"""What a participant declares it implements, and the failures it expects (waivers) — pure.

Both are YAML files validated with pydantic; every problem is reported with the file, the field
and what is wrong, in Spanish (``ConformanceFileError``). A declaration says which operations and
product types the participant implements: a scenario that needs anything else is **skipped and
reported as not declared**, never counted as passed. A waiver names a failure the participant
expects (by scenario, rule or test id) and why; a waiver that no longer matches any failure fails
the run, so waivers cannot rot.

```yaml
# declaracion.yaml
participant: Cooperativa Alianza
entities: [ALIANZA]
operations: [entity, lookup, products, debit, post, void, credit, reversal, transaction, transactions]
product_types: [AV, CR, PO]
```

```yaml
# dispensas.yaml
waivers:
  - scenario: "Una reversa repetida se rechaza"
    rule: COOP-05
    reason: "La versión 2.3 del núcleo responde 422 en vez de 409; corregido en 2.4 (marzo)."
    until: 2026-03-31
```
"""

from __future__ import annotations

import fnmatch
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox.conformance.operations import CATALOGUE, PRODUCT_TYPES, TARGETS, canonical, operation_names


class ConformanceFileError(ValueError):
    """A declaration or waiver file that cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Declaration(_Strict):
    participant: str = Field(default="", max_length=200)
    target: str = "coop"
    #: Entities the participant serves (its own cooperative); empty: the run's ``--entity``.
    entities: tuple[str, ...] = ()
    operations: tuple[str, ...]
    product_types: tuple[str, ...] = PRODUCT_TYPES
    #: True when no file was given: everything is declared (and the report says so).
    implicit: bool = Field(default=False, exclude=True)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        if value not in TARGETS:
            raise ValueError(f"«{value}» no es un destino; use {' o '.join(TARGETS)}")
        return value

    @field_validator("product_types")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in PRODUCT_TYPES]
        if unknown:
            raise ValueError(
                f"tipo de producto desconocido: {', '.join(unknown)}; los tipos son {', '.join(PRODUCT_TYPES)}"
            )
        return value

    @model_validator(mode="after")
    def _operations(self) -> Declaration:
        known = operation_names(self.target)
        names = tuple(canonical(self.target, n) for n in self.operations)
        unknown = [n for n in names if n not in known]
        if unknown:
            short = ", ".join(n.split(".", 1)[1] for n in known)
            raise ValueError(
                f"operations: operación desconocida {', '.join(unknown)}; las de {self.target} son {short}"
            )
        if not names:
            raise ValueError("operations: declare al menos una operación")
        object.__setattr__(self, "operations", names)
        return self

    def declares(self, operation: str) -> bool:
        return operation in self.operations

    def serves(self, entity: str | None) -> bool:
        return entity is None or not self.entities or entity in self.entities

    def undeclared(self, target: str) -> list[str]:
        return [n for n in operation_names(target) if n not in self.operations]


def everything(target: str, entity: str | None = None) -> Declaration:
    """The declaration of a run without a file: every operation and product type."""
    return Declaration(
        target=target, operations=tuple(operation_names(target)), entities=(entity,) if entity else (), implicit=True
    )


class Waiver(_Strict):
    scenario: str | None = Field(default=None, description="nombre del escenario (admite * y ?)")
    rule: str | None = Field(default=None, pattern=r"^[A-Z]+-\d{2}$")
    test: str | None = Field(default=None, description="id de la prueba (admite * y ?)")
    reason: str = Field(min_length=10, max_length=1000)
    until: date | None = None

    @model_validator(mode="after")
    def _names_something(self) -> Waiver:
        if not (self.scenario or self.rule or self.test):
            raise ValueError("una dispensa debe nombrar un escenario (scenario), una regla (rule) o una prueba (test)")
        return self

    def label(self) -> str:
        parts = [
            f"escenario «{self.scenario}»" if self.scenario else "",
            f"regla {self.rule}" if self.rule else "",
            f"prueba {self.test}" if self.test else "",
        ]
        return ", ".join(p for p in parts if p)

    def matches(self, *, scenario: str, rules: list[str] | tuple[str, ...], test: str) -> bool:
        if self.scenario and not fnmatch.fnmatchcase(scenario, self.scenario):
            return False
        if self.rule and self.rule not in rules:
            return False
        return not (self.test and not fnmatch.fnmatchcase(test, self.test))

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


class Waivers(_Strict):
    waivers: tuple[Waiver, ...] = ()


def _read_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConformanceFileError(f"{path}: no se puede leer el archivo de {what} ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (línea {mark.line + 1}, columna {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConformanceFileError(f"{path}: no es YAML válido{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConformanceFileError(f"{path}: el archivo de {what} debe ser un mapa YAML (clave: valor)")
    return data


def _problems(path: Path, exc: ValidationError) -> ConformanceFileError:
    lines = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(archivo)"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "campo desconocido (¿un error de escritura?)"
        elif error["type"] == "missing":
            message = "falta este campo obligatorio"
        lines.append(f"  - {where}: {message}")
    return ConformanceFileError(f"{path}: {len(lines)} problema(s):\n" + "\n".join(lines))


def load_declaration(path: Path, target: str, entity: str | None = None) -> Declaration:
    data = _read_yaml(path, "declaración")
    data.setdefault("target", target)
    try:
        declaration = Declaration.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None
    if declaration.target != target:
        raise ConformanceFileError(
            f"{path}: la declaración es para «{declaration.target}» y la corrida es «conformance {target}»"
        )
    if entity and declaration.entities and entity not in declaration.entities:
        raise ConformanceFileError(
            f"{path}: --entity {entity} no está entre las entidades declaradas ({', '.join(declaration.entities)})"
        )
    return declaration


def load_waivers(path: Path) -> Waivers:
    data = _read_yaml(path, "dispensas")
    try:
        return Waivers.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None


def catalogue_titles(target: str) -> dict[str, str]:
    return {op.name: op.title for op in CATALOGUE[target]}
