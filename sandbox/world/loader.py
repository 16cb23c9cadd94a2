"""Load and validate a world file, turning every problem into a clear message."""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sandbox.kit.errors import field_path
from sandbox.world.model import World

BIG_SECTIONS = ("members", "dimo_cards", "counters")
GENERATED_MARK = "# coop-sandbox generated world"

DEFAULT_WORLD = Path(__file__).with_name("default.yaml")

try:  # libyaml is an order of magnitude faster on generated worlds
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - wheels ship libyaml
    _Loader = yaml.SafeLoader


class WorldError(ValueError):
    """A world file that cannot be used; ``problems`` are ``"path: message"`` lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:25])
        more = f"\n  ... y {len(problems) - 25} problemas más" if len(problems) > 25 else ""
        super().__init__(f"El mundo {source} no es válido:\n{shown}{more}")


def parse_world(data: Any, source: str = "<world>") -> World:
    if not isinstance(data, dict):
        raise WorldError(source, ["el archivo debe ser un mapa YAML con las secciones del mundo"])
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = field_path(err.get("loc", ())) or "(raíz)"
            message = str(err.get("msg", "")).removeprefix("Value error, ")
            if err.get("type") == "missing":
                message = "es obligatorio"
            elif err.get("type") == "extra_forbidden":
                message = "no es un campo conocido"
            problems.append(f"{where}: {message}")
        raise WorldError(source, problems) from None


def load_world(path: str | Path | None = None) -> World:
    """Load a world file (the default world when ``path`` is None). Cached per file content."""
    file = Path(path) if path else DEFAULT_WORLD
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise WorldError(str(file), [f"no se puede leer: {exc.strerror}"]) from None
    return _load_cached(str(file), hashlib.sha256(raw).hexdigest(), raw)


@functools.lru_cache(maxsize=4)
def _load_cached(source: str, digest: str, raw: bytes) -> World:
    cache = _cache_file(digest)
    if cache is not None and cache.exists():
        try:
            world = pickle.loads(cache.read_bytes())  # noqa: S301 - our own cache, keyed by content hash
            if isinstance(world, World):
                return world
        except Exception:  # noqa: S110 - a stale or broken cache is rebuilt
            pass
    try:
        data = _parse(source, raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"línea {mark.line + 1}, columna {mark.column + 1}" if mark else "YAML"
        raise WorldError(source, [f"{where}: YAML mal formado ({getattr(exc, 'problem', exc)})"]) from None
    world = parse_world(data, source)
    if cache is not None and len(raw) > 1_000_000:  # only big generated worlds are worth caching
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(world, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(cache)
        except OSError:
            pass
    return world


def _parse(source: str, raw: bytes) -> Any:
    if source.endswith(".json"):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise WorldError(source, [f"JSON mal formado: {exc}"]) from None
    if raw.startswith(GENERATED_MARK.encode()):
        fast = _parse_generated(raw.decode("utf-8"))
        if fast is not None:
            return fast
    return yaml.load(raw, Loader=_Loader)  # noqa: S506 - safe loader (C or Python)


def _parse_generated(text: str) -> Any:
    """Generated worlds: a YAML head, then big sections with one JSON object per line."""
    lines = text.split("\n")
    head_end = next(
        (i for i, line in enumerate(lines) if line.rstrip(":") in BIG_SECTIONS and line.endswith(":")), None
    )
    if head_end is None:
        return None
    data = yaml.load("\n".join(lines[:head_end]), Loader=_Loader)  # noqa: S506
    section = None
    try:
        for line in lines[head_end:]:
            if not line:
                continue
            if line.endswith(":") and line[:-1] in BIG_SECTIONS:
                section = line[:-1]
                data[section] = []
            elif line.startswith("- {") and section is not None:
                data[section].append(json.loads(line[2:]))
            else:
                return None
    except ValueError:
        return None
    return data


def _cache_file(digest: str) -> Path | None:
    import os

    base = os.environ.get("COOP_SANDBOX_CACHE_DIR")
    return Path(base) / f"world-{digest[:24]}.pickle" if base else None
