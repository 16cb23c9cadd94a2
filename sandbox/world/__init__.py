"""World files: loading, validation and generation (see :mod:`sandbox.world.model`)."""

from __future__ import annotations

from sandbox.world.loader import DEFAULT_WORLD, WorldError, load_world, parse_world
from sandbox.world.model import World

__all__ = ["DEFAULT_WORLD", "World", "WorldError", "load_world", "parse_world"]
