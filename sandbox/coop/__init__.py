"""coop, the cooperatives' core banking (see :mod:`sandbox.coop.app`)."""

from sandbox.coop.app import build

__all__ = ["build"]
