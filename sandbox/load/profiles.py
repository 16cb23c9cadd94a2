"""Load profiles (``load/profiles.toml``) and their thresholds (``load/thresholds.toml``).

A profile is a shape: a peak number of users, a duration and stages, each stage ending at a
fraction of the duration with a fraction of the peak users::

    [spike]
    users = 96
    duration = "90s"
    stages = [{ until = 0.3, users = 0.25 }, { until = 0.5, users = 1.0 }, { until = 1.0, users = 0.25 }]

so ``--users`` and ``--duration`` scale a profile without rewriting it. :meth:`Profile.at` is
what the Locust shape's ``tick()`` returns. Thresholds are per profile: the fail ratio, p95/p99
per request type (Locust's ``name``), minimum throughput per request type and of the holds
(withdrawals and deposits opened) together.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

#: The repository's ``load/`` folder (Locust's side); ``coop-sandbox load`` runs its locustfile.
LOAD_DIR = Path(__file__).resolve().parents[2] / "load"

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ProfileError(ValueError):
    """A profile or threshold file that cannot be used; the message names the file and the key."""


def parse_duration(text: str | float | int) -> float:
    """``"90s"`` → 90; ``"1h30m"`` → 5400; ``"45"`` or ``45`` → 45 (seconds)."""
    if isinstance(text, int | float):
        return float(text)
    value = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"duración no válida: {text!r} (ejemplos: 30s, 5m, 1h30m)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


@dataclass(frozen=True, slots=True)
class Stage:
    until: float  # fraction of the duration at which this stage ends (0 < until <= 1)
    users: float  # fraction of the peak users during the stage


@dataclass(frozen=True, slots=True)
class RequestLimits:
    p95_ms: float | None = None
    p99_ms: float | None = None
    min_rps: float | None = None
    fail_ratio_max: float | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    fail_ratio_max: float | None = None
    #: Minimum holds (withdrawals and deposits opened) per second over the run.
    min_holds_per_s: float | None = None
    #: Per request type (Locust's ``name``, or ``Aggregated``).
    requests: dict[str, RequestLimits] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    users: int
    duration_s: float
    stages: tuple[Stage, ...]
    #: Users started per second when the count goes up (and stopped when it goes down).
    spawn_rate: float
    #: Each user starts a flow at most every ``pace_s`` seconds (0: as fast as answers come).
    pace_s: float = 0.0
    #: Cards in the world ``coop-sandbox load`` generates for this profile.
    world_cards: int = 100_000
    thresholds: Thresholds = field(default_factory=Thresholds)

    def at(self, run_time_s: float) -> tuple[int, float] | None:
        """(users, spawn rate) at ``run_time_s`` seconds into the run; None when it is over."""
        if run_time_s >= self.duration_s:
            return None
        fraction = run_time_s / self.duration_s
        for stage in self.stages:
            if fraction < stage.until:
                return max(1, round(stage.users * self.users)), self.spawn_rate
        return None

    def scaled(self, *, users: int | None = None, duration_s: float | None = None) -> Profile:
        """The same shape with another peak of users or another duration."""
        spawn = self.spawn_rate if users is None else max(1.0, self.spawn_rate * users / self.users)
        return replace(
            self,
            users=self.users if users is None else users,
            duration_s=self.duration_s if duration_s is None else duration_s,
            spawn_rate=spawn,
        )


def _number(where: str, value: Any, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ProfileError(f"{where}: debe ser un número ≥ {minimum:g}, no {value!r}")
    return float(value)


def _stages(where: str, raw: Any) -> tuple[Stage, ...]:
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{where}.stages: debe ser una lista no vacía de {{until, users}}")
    stages = []
    last = 0.0
    for i, item in enumerate(raw):
        here = f"{where}.stages[{i}]"
        if not isinstance(item, dict) or set(item) - {"until", "users"}:
            raise ProfileError(f"{here}: se espera {{until = fracción, users = fracción}}")
        until = _number(f"{here}.until", item.get("until"))
        users = _number(f"{here}.users", item.get("users"))
        if not last < until <= 1.0:
            raise ProfileError(f"{here}.until: debe crecer y quedar en (0, 1], no {until:g}")
        if users > 1.0:
            raise ProfileError(f"{here}.users: es una fracción de los usuarios del perfil (≤ 1), no {users:g}")
        stages.append(Stage(until, users))
        last = until
    if last != 1.0:
        raise ProfileError(f"{where}.stages: la última etapa debe terminar en until = 1.0")
    return tuple(stages)


_PROFILE_KEYS = {"description", "users", "duration", "spawn_rate", "stages", "pace", "world_cards"}
_LIMIT_KEYS = {"p95_ms", "p99_ms", "min_rps", "fail_ratio_max"}


def _thresholds(where: str, raw: Any) -> Thresholds:
    if raw is None:
        return Thresholds()
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: debe ser una tabla")
    unknown = set(raw) - {"fail_ratio_max", "min_holds_per_s", "requests"}
    if unknown:
        raise ProfileError(f"{where}: claves desconocidas {sorted(unknown)}")
    requests: dict[str, RequestLimits] = {}
    for name, limits in (raw.get("requests") or {}).items():
        here = f'{where}.requests."{name}"'
        if not isinstance(limits, dict) or set(limits) - _LIMIT_KEYS:
            raise ProfileError(f"{here}: claves posibles {sorted(_LIMIT_KEYS)}")
        requests[name] = RequestLimits(**{k: _number(f"{here}.{k}", v) for k, v in limits.items()})
    fail = raw.get("fail_ratio_max")
    holds = raw.get("min_holds_per_s")
    return Thresholds(
        fail_ratio_max=None if fail is None else _number(f"{where}.fail_ratio_max", fail),
        min_holds_per_s=None if holds is None else _number(f"{where}.min_holds_per_s", holds),
        requests=requests,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"No se puede leer {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path} no es TOML válido: {exc}") from None


def load_profiles(profiles_file: Path | None = None, thresholds_file: Path | None = None) -> dict[str, Profile]:
    """Every profile of ``profiles.toml`` with its thresholds from ``thresholds.toml``."""
    profiles_file = profiles_file or LOAD_DIR / "profiles.toml"
    thresholds_file = thresholds_file or profiles_file.with_name("thresholds.toml")
    raw = _read(profiles_file)
    limits = _read(thresholds_file) if thresholds_file.exists() else {}
    unknown = set(limits) - set(raw)
    if unknown:
        raise ProfileError(f"{thresholds_file}: umbrales de perfiles que no existen: {sorted(unknown)}")
    out: dict[str, Profile] = {}
    for name, spec in raw.items():
        where = f"{profiles_file.name}: [{name}]"
        if not isinstance(spec, dict):
            raise ProfileError(f"{where}: debe ser una tabla")
        extra = set(spec) - _PROFILE_KEYS
        if extra:
            raise ProfileError(f"{where}: claves desconocidas {sorted(extra)}; posibles: {sorted(_PROFILE_KEYS)}")
        try:
            duration_s = parse_duration(spec.get("duration", "60s"))
            pace_s = parse_duration(spec.get("pace", 0))
        except ValueError as exc:
            raise ProfileError(f"{where}: {exc}") from None
        users = int(_number(f"{where}.users", spec.get("users", 10), minimum=1))
        out[name] = Profile(
            name=name,
            description=str(spec.get("description", "")),
            users=users,
            duration_s=duration_s,
            stages=_stages(where, spec.get("stages", [{"until": 1.0, "users": 1.0}])),
            spawn_rate=_number(f"{where}.spawn_rate", spec.get("spawn_rate", users), minimum=0.1),
            pace_s=pace_s,
            world_cards=int(_number(f"{where}.world_cards", spec.get("world_cards", 100_000), minimum=1)),
            thresholds=_thresholds(f"{thresholds_file.name}: [{name}]", limits.get(name)),
        )
    return out
